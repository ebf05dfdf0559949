import { Hono } from "hono";
import type { Config } from "./config";
import type { AppEnv } from "./env";
import { AuthError } from "./errors";
import { securityHeaders } from "./headers";
import { getKeyring } from "./keys";
import { sameOriginOnly } from "./origins";
import { errorResponse, onError } from "./respond";
import { callbackRoutes } from "./routes/callback";
import { devRoutes } from "./routes/dev";
import { home, homeRoutes } from "./routes/home";
import { sessionRoutes } from "./routes/session";
import { signinRoutes } from "./routes/signin";

/** Builds the app for one configuration; routes are mounted under its base path. */
export function buildApp(config: Config): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const keys = getKeyring(config.secrets);

  app.use(async (c, next) => {
    c.set("config", config);
    c.set("keys", await keys);
    c.set("origin", config.authOrigin ?? new URL(c.req.url).origin);
    await next();
  });
  app.use(securityHeaders(config));

  const auth = new Hono<AppEnv>();
  auth.use(async (c, next) => {
    await next();
    // Everything here is personal; nothing may be cached on the way.
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  });
  auth.use(sameOriginOnly);
  auth.route("/", homeRoutes);
  auth.route("/", signinRoutes);
  auth.route("/", callbackRoutes);
  auth.route("/", sessionRoutes);
  auth.route("/", devRoutes);
  app.route(config.basePath, auth);

  app.get("/", home);
  app.notFound((c) => errorResponse(c, new AuthError(404, "not_found", "There is nothing here.")));
  app.onError(onError);
  return app;
}

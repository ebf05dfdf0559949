import { Hono } from "hono";
import { methodOverride } from "hono/method-override";
import type { Config } from "./config";
import type { AppEnv } from "./env";
import { AuthError } from "./errors";
import { securityHeaders } from "./headers";
import { getKeyring } from "./keys";
import { sameOriginOnly } from "./origins";
import { errorResponse, onError } from "./respond";
import { adminRoutes } from "./routes/admin";
import { callbackRoutes } from "./routes/callback";
import { devRoutes } from "./routes/dev";
import { home, homeRoutes } from "./routes/home";
import { sessionRoutes } from "./routes/session";
import { sessionsRoutes } from "./routes/sessions";
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
  auth.route("/", sessionsRoutes);
  auth.route("/", adminRoutes);
  auth.route("/", devRoutes);
  // Pages without scripts can only POST: `_method=DELETE` in a urlencoded
  // form (what our pages send, and a body that cannot fail to parse)
  // reaches the DELETE routes.
  const override = methodOverride({ app });
  app.use(`${config.basePath}/sessions/*`, (c, next) =>
    c.req.header("Content-Type")?.startsWith("application/x-www-form-urlencoded") ? override(c, next) : next(),
  );
  app.route(config.basePath, auth);

  app.get("/", home);
  app.notFound((c) => errorResponse(c, new AuthError(404, "not_found", "There is nothing here.")));
  app.onError(onError);
  return app;
}

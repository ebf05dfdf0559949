import type { Context } from "hono";
import { Hono } from "hono/tiny";
import { crossOrigin } from "./http/cors";
import { requestAddress } from "./http/client-address";
import type { Config } from "./config/config";
import type { AppEnv } from "./env";
import { AuthError } from "./errors";
import { securityHeaders } from "./http/headers";
import { getKeyring } from "./crypto/keys";
import { noStoreWithOurCookies } from "./http/cookies";
import { audit } from "./platform/log";
import { changesState, isLocalRequest, ownOriginOnly, sameOriginOnly } from "./http/origins";
import { appOriginOf } from "./http/app-origin";
import { proxy } from "./proxy/proxy";
import { limit, perAddress } from "./http/rate-limit";
import { refuseLargeBodies } from "./http/forms";
import { authOriginOnly, browserSessionOnly, recentSignInOnly } from "./http/scope";
import { errorResponse, onError } from "./http/respond";
import { adminRoutes } from "./routes/admin";
import { callbackRoutes } from "./routes/callback";
import { devRoutes } from "./routes/dev";
import { home, homeRoutes } from "./routes/home";
import { secondFactorRoutes } from "./routes/second-factor";
import { sessionRoutes } from "./routes/session";
import { sessionsRoutes } from "./routes/sessions";
import { signinRoutes } from "./routes/signin";
import { serveJWKS, tokenRoutes } from "./routes/tokens";
import { verifyRoutes } from "./routes/verify";
import { passkeyRoutes } from "./routes/passkeys";
import { deviceBoundRoutes } from "./routes/device-bound";

/** `scheme://host[:port]` of a URL string, without the cost of parsing all of it. */
function requestOrigin(url: string): string {
  const end = url.indexOf("/", url.indexOf("//") + 2);
  return end === -1 ? url : url.slice(0, end);
}

/** Builds the app for one configuration; routes are mounted under its base path. */
export function buildApp(config: Config): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const keys = getKeyring(config.secrets);
  const { basePath, upstream } = config;
  const isAuthPath = (path: string) => path === basePath || path.startsWith(`${basePath}/`);

  // Without AUTH_URL the worker's origin — token issuer, redirect_uri,
  // cookie names — is whatever Host each request names. Fine on localhost;
  // in production say so, once: the first request tells which it is.
  let originChecked = config.authOrigin !== null;
  app.use(async (c, next) => {
    c.set("config", config);
    c.set("keys", await keys);
    const own = requestOrigin(c.req.url);
    const app = appOriginOf(c.req.raw, own, config);
    c.set("origin", app ?? config.authOrigin ?? own);
    c.set("onApp", app !== null);
    c.set("clientAddress", requestAddress(c.req.raw, config.trustedProxies));
    if (!originChecked) {
      originChecked = true;
      if (!isLocalRequest(c)) {
        audit("config_warning", {
          reason: "AUTH_URL is not set: the token issuer, redirect_uri and cookie names follow each request's Host; set AUTH_URL to the public origin",
        });
      }
    }
    await next();
  });
  app.use(noStoreWithOurCookies);
  // Our own responses get our security headers; proxied ones keep the upstream's.
  const secure = securityHeaders(config);
  app.use(secure);

  const auth = new Hono<AppEnv>();
  auth.use(crossOrigin(config.allowedOrigins));
  auth.use(async (c, next) => {
    await next();
    // Everything here is personal; nothing may be cached on the way.
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  });
  // Before anything reads a body: none past our form limit ever is.
  auth.use(refuseLargeBodies);
  auth.use(sameOriginOnly);
  // Every state-changing request counts against the general per-address limit;
  // reads (the session, forward auth, pages) grant nothing new and are not limited.
  auth.use(limit("general", (c) => (changesState(c.req.method) ? perAddress(c) : [])));
  // Routes that act (security settings, sessions, tokens, administration):
  // the browser's cookie session only, never a bearer credential.
  // Changing the second factor (recent sign-in needed), and step-up and passkeys (a recent second factor).
  const factorChanges = ["/2fa/setup", "/2fa/enable", "/2fa/disable", "/2fa/codes"];
  const stepUpAndPasskeys = ["/2fa/step-up", "/2fa/step-up/*", "/passkeys", "/passkeys/*"];
  for (const path of ["/security", ...factorChanges, ...stepUpAndPasskeys, "/signout", "/sessions", "/sessions/*", "/token", "/admin/*"]) {
    auth.use(path, browserSessionOnly);
  }
  for (const path of factorChanges) auth.use(path, recentSignInOnly);
  // Only from the worker's own pages, and (but administration) only at the sign-in origin.
  for (const path of [...factorChanges, ...stepUpAndPasskeys, "/admin/*"]) auth.use(path, ownOriginOnly);
  for (const path of [...factorChanges, ...stepUpAndPasskeys]) auth.use(path, authOriginOnly);
  const routeGroups = [homeRoutes, signinRoutes, callbackRoutes, sessionRoutes, sessionsRoutes, adminRoutes, verifyRoutes, tokenRoutes, secondFactorRoutes, passkeyRoutes, deviceBoundRoutes];
  for (const routes of __DEV_BUILD__ ? [...routeGroups, devRoutes()] : routeGroups) {
    auth.route("/", routes);
  }
  app.route(basePath, auth);
  app.get("/.well-known/jwks.json", serveJWKS);

  const notFound = (c: Context<AppEnv>) => errorResponse(c, new AuthError(404, "not_found", "There is nothing here."));
  if (upstream) app.all("*", (c) => (isAuthPath(c.req.path) ? notFound(c) : proxy(c)));
  else app.get("/", home);
  app.notFound(notFound);
  app.onError(onError);
  return app;
}

import type { Context } from "hono";
import { Hono } from "hono/tiny";
import { getSession } from "../http/current-session";
import type { AppEnv } from "../env";
import { DELIVERS_COOKIES } from "../proxy/forward-auth";
import { identityHeaders } from "../proxy/identity";
import { isTrustedOrigin } from "../http/origins";
import { safeRedirect } from "../http/redirects";
import { notSignedIn } from "../http/respond";

/**
 * The URL the proxy in front of us was asked for: nginx's `X-Original-URL`,
 * Traefik/Caddy's `X-Forwarded-*`, or else oauth2-proxy's `rd`. What the
 * proxy says wins over the query: Caddy appends the application's own query
 * string to the verify URI, so an application URL with `?rd=` must not
 * steer where the browser is sent back to.
 */
function originalURL(c: Context<AppEnv>): string | undefined {
  const original = c.req.header("X-Original-URL");
  if (original) return original;
  const host = c.req.header("X-Forwarded-Host");
  const uri = c.req.header("X-Forwarded-Uri");
  if (host && uri) return `${c.req.header("X-Forwarded-Proto") ?? "https"}://${host}${uri.startsWith("/") ? uri : `/${uri}`}`;
  return c.req.query("rd");
}

/**
 * Forward auth (nginx `auth_request`, Traefik `forwardAuth`, Caddy
 * `forward_auth`): 200 with identity headers for a live session, 401
 * otherwise with where to sign in. Sessions are renewed here only for
 * proxies that deliver our cookies (`DELIVERS_COOKIES`).
 */
export const verifyRoutes = new Hono<AppEnv>().get("/verify", async (c) => {
  const session = await getSession(c, { renew: c.req.header(DELIVERS_COOKIES) === "true" });
  const original = originalURL(c);
  if (session) {
    let audience = c.var.origin;
    try {
      const origin = original ? new URL(original).origin : audience;
      if (isTrustedOrigin(c, origin)) audience = origin;
    } catch {
      // keep our own origin as the audience
    }
    for (const [name, value] of Object.entries(await identityHeaders(c, session, audience))) c.header(name, value);
    return c.body(null, 200);
  }
  // Its X-Auth-Signin is for proxies to redirect to (nginx: auth_request_set …
  // $upstream_http_x_auth_signin); Traefik and Caddy hand the browser's page
  // on as it is, and it moves on to sign in.
  return notSignedIn(c, { as: "forward-auth", back: safeRedirect(original, c.var.origin, c.var.config.allowedOrigins) });
});

import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { AuthError } from "../errors";

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** True when the request was made to this machine (the development provider's only audience). */
export function isLocalRequest(c: Context<AppEnv>): boolean {
  return LOCAL_HOSTS.has(new URL(c.req.url).hostname);
}

/** The worker's own origin or one listed in ALLOWED_ORIGINS. */
export function isTrustedOrigin(c: Context<AppEnv>, origin: string): boolean {
  return origin === c.var.origin || c.var.config.allowedOrigins.has(origin);
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** POST, DELETE and the like: requests that may change something. */
export const changesState = (method: string) => !SAFE_METHODS.has(method);

/**
 * Refuses cross-site state-changing requests. Browsers send `Origin` on
 * every POST and DELETE and, when they support it, `Sec-Fetch-Site` — which
 * a page cannot forge and which still says `same-origin` where a strict
 * referrer policy made `Origin` "null". A request with neither header comes
 * from a non-browser client (a server, a CLI), which SameSite cookies and
 * bearer tokens already cover.
 */
export const sameOriginOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (changesState(c.req.method)) {
    const origin = c.req.header("Origin");
    const site = c.req.header("Sec-Fetch-Site");
    const trusted =
      site === "same-origin" || (origin === undefined ? site === undefined : isTrustedOrigin(c, origin));
    if (!trusted) {
      throw new AuthError(403, "cross_site_request", "This request came from another site and was refused.");
    }
  }
  await next();
};

/**
 * For changes to security settings and administration: only from this
 * worker's own pages. ALLOWED_ORIGINS may act for their user (sign out,
 * tokens), not change how that user signs in, nor act as an admin: a
 * script there could otherwise add a passkey of its own.
 */
export const ownOriginOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const origin = c.req.header("Origin");
  if (changesState(c.req.method) && origin !== undefined && origin !== c.var.origin && c.req.header("Sec-Fetch-Site") !== "same-origin") {
    throw new AuthError(403, "cross_site_request", "This change is only made from this site's own pages.");
  }
  await next();
};

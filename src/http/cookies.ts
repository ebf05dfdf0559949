import type { Context, MiddlewareHandler } from "hono";
import { generateCookie, getCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import { COOKIE_NAMES, cookiePrefix, isOurCookieName, prefixedCookieName, type CookieKind, type CookiePrefix } from "./cookie-names";
import type { AppEnv } from "../env";
import { AuthError } from "../errors";

/** The cookie name of a `Set-Cookie` value. */
const setCookieName = (header: string) => header.slice(0, header.indexOf("=") >>> 0);

/**
 * Drops the `Set-Cookie` headers that would write one of our cookies: an
 * upstream must not be able to set, fix or clear a session.
 */
export function dropOurSetCookies(headers: Headers): void {
  const cookies = headers.getSetCookie();
  if (!cookies.some((cookie) => isOurCookieName(setCookieName(cookie)))) return;
  headers.delete("Set-Cookie");
  for (const cookie of cookies) if (!isOurCookieName(setCookieName(cookie))) headers.append("Set-Cookie", cookie);
}

/**
 * A response that sets one of our cookies is personal: no shared cache may
 * keep it, whatever the upstream or a route said about caching.
 */
export const noStoreWithOurCookies: MiddlewareHandler = async (c, next) => {
  await next();
  if (c.res.headers.getSetCookie().some((cookie) => isOurCookieName(setCookieName(cookie)))) {
    c.res.headers.set("Cache-Control", "private, no-store");
    // CDNs obey these over Cache-Control; an upstream's must not outlive ours.
    for (const name of CACHE_OVERRIDES) c.res.headers.delete(name);
  }
};

const CACHE_OVERRIDES = ["CDN-Cache-Control", "Cloudflare-CDN-Cache-Control", "Surrogate-Control", "Edge-Control", "Expires"];

/** Browsers drop larger cookies silently; we refuse them loudly instead. */
export const MAX_COOKIE_BYTES = 4096;

interface Scope {
  prefix: CookiePrefix;
  options: CookieOptions;
}

/** Where our cookies go on this request, and their prefix (see `cookiePrefix`). */
function scope(c: Context<AppEnv>): Scope {
  // An app origin's cookies are its own: host-only, whatever COOKIE_DOMAIN says for the worker's.
  const cookieDomain = c.var.onApp ? null : c.var.config.cookieDomain;
  const secure = c.var.origin.startsWith("https:");
  const options: CookieOptions = { path: "/", httpOnly: true, sameSite: "Lax", secure };
  if (cookieDomain) options.domain = cookieDomain;
  return { prefix: cookiePrefix(secure, cookieDomain), options };
}

/** The name a cookie kind has on this request's scheme, prefix included. */
export function cookieName(c: Context<AppEnv>, kind: CookieKind): string {
  return prefixedCookieName(kind, scope(c).prefix);
}

/**
 * Builds the `Set-Cookie` value for one of our cookies without sending it,
 * so a caller can check every cookie of a response before committing to
 * any. `maxAge` in seconds; omitted, the cookie lasts for the browser
 * session. A cookie over 4096 bytes is refused, never truncated.
 */
export function authCookie(c: Context<AppEnv>, kind: CookieKind, value: string, maxAge?: number): string {
  const { prefix, options } = scope(c);
  const header = generateCookie(COOKIE_NAMES[kind], value, { ...options, prefix, ...(maxAge === undefined ? {} : { maxAge }) });
  if (header.length > MAX_COOKIE_BYTES) {
    throw new AuthError(422, "cookie_too_large", `This ${kind} would need a cookie larger than ${MAX_COOKIE_BYTES} bytes, so it was refused.`);
  }
  return header;
}

/** Sets one of our cookies (see `authCookie`). */
export function setAuthCookie(c: Context<AppEnv>, kind: CookieKind, value: string, maxAge?: number): void {
  c.header("Set-Cookie", authCookie(c, kind, value, maxAge), { append: true });
}

export function readAuthCookie(c: Context<AppEnv>, kind: CookieKind): string | undefined {
  return getCookie(c, cookieName(c, kind));
}

export function clearAuthCookie(c: Context<AppEnv>, kind: CookieKind): void {
  setAuthCookie(c, kind, "", 0);
}

/** Signs this browser out of its session: the session and refresh cookies go, and any recovery codes not yet shown. */
export function clearSessionCookies(c: Context<AppEnv>): void {
  clearAuthCookie(c, "session");
  clearAuthCookie(c, "refresh");
  if (readAuthCookie(c, "codes")) clearAuthCookie(c, "codes");
}

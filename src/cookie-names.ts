/**
 * Our cookies' names and the prefix each carries on a given scheme. Apart
 * from `cookies.ts`, which needs the request, and importing nothing, so the
 * proxy recipes' tests can ask which names a browser sees on https.
 */

/**
 * Every cookie the worker writes, by kind; the one list anything that must
 * recognise our cookies (the proxy, the cache guard) goes by. `device` is
 * the second factor's "remember this device".
 */
export const COOKIE_KINDS = ["session", "refresh", "flow", "verify", "device"] as const;

export type CookieKind = (typeof COOKIE_KINDS)[number];

/** A kind's cookie name, before any prefix: `auth.<kind>`. */
export const baseCookieName = (kind: CookieKind) => `auth.${kind}`;

const OUR_NAMES = new Set<string>(COOKIE_KINDS.map(baseCookieName));

/**
 * True for any spelling of one of our cookies' names: with or without a
 * `__Host-`/`__Secure-` prefix, in any case (some servers and proxies fold
 * case), so none can be smuggled in or out under a variant.
 */
export function isOurCookieName(name: string): boolean {
  return OUR_NAMES.has(name.trim().toLowerCase().replace(/^__(host|secure)-/, ""));
}

export type CookiePrefix = "host" | "secure" | undefined;

// `__Host-` on https binds a cookie to this exact host; with COOKIE_DOMAIN
// sibling subdomains must see it, which only `__Secure-` allows. Plain-http
// localhost gets neither, since browsers refuse Secure cookies there.
export function cookiePrefix(https: boolean, cookieDomain: string | null): CookiePrefix {
  return https ? (cookieDomain ? "secure" : "host") : undefined;
}

/** A cookie kind's name under a prefix, as the browser sees it. */
export function prefixedCookieName(kind: CookieKind, prefix: CookiePrefix): string {
  return (prefix === "host" ? "__Host-" : prefix === "secure" ? "__Secure-" : "") + baseCookieName(kind);
}

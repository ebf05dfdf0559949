/**
 * Our cookies' names and the prefix each carries on a given scheme. Apart
 * from `cookies.ts`, which needs the request, and importing nothing, so the
 * proxy recipes' tests can ask which names a browser sees on https.
 */

export type CookieKind = "session" | "refresh" | "flow" | "verify" | "device";

export const COOKIE_NAMES: Record<CookieKind, string> = {
  session: "auth.session",
  refresh: "auth.refresh",
  flow: "auth.flow",
  verify: "auth.verify",
  /** "Remember this device" for the second factor. */
  device: "auth.device",
};

export type CookiePrefix = "host" | "secure" | undefined;

// `__Host-` on https binds a cookie to this exact host; with COOKIE_DOMAIN
// sibling subdomains must see it, which only `__Secure-` allows. Plain-http
// localhost gets neither, since browsers refuse Secure cookies there.
export function cookiePrefix(https: boolean, cookieDomain: string | null): CookiePrefix {
  return https ? (cookieDomain ? "secure" : "host") : undefined;
}

/** A cookie kind's name under a prefix, as the browser sees it. */
export function prefixedCookieName(kind: CookieKind, prefix: CookiePrefix): string {
  return (prefix === "host" ? "__Host-" : prefix === "secure" ? "__Secure-" : "") + COOKIE_NAMES[kind];
}

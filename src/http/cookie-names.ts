/**
 * Our cookies' names and the prefix each carries on a given scheme. Apart
 * from `cookies.ts`, which needs the request, and importing nothing, so the
 * proxy recipes' tests can ask which names a browser sees on https.
 */

export type CookieKind = "session" | "refresh" | "flow" | "verify" | "device" | "codes" | "handoff";

/** Every cookie the worker writes, by kind, and its name before any prefix. */
export const COOKIE_NAMES: Readonly<Record<CookieKind, string>> = {
  session: "auth.session",
  refresh: "auth.refresh",
  flow: "auth.flow",
  verify: "auth.verify",
  /** "Remember this device" for the second factor. */
  device: "auth.device",
  /** New recovery codes, sealed, on their way to the one page that shows them. */
  codes: "auth.codes",
  /** On an app origin, while its sign-in goes through AUTH_URL: the secret a handoff code is bound to. */
  handoff: "auth.handoff",
};

/**
 * The kinds, as a list. Whatever must recognise our cookies goes by this
 * record (the proxy and the cache guard through `isOurCookieName`, their
 * tests through this list), never by a copy of it.
 */
export const COOKIE_KINDS = /* @__PURE__ */ Object.keys(COOKIE_NAMES) as readonly CookieKind[];

const OUR_NAMES = new Set(Object.values(COOKIE_NAMES));

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
  return (prefix === "host" ? "__Host-" : prefix === "secure" ? "__Secure-" : "") + COOKIE_NAMES[kind];
}

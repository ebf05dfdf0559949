import { COOKIE_KINDS, prefixedCookieName } from "../src/cookie-names";

/**
 * Every kind the worker declares in COOKIE_KINDS, in each spelling a client
 * or an upstream might use to smuggle it past us (prefixed or not, in any
 * case). Tests go by this rather than a list of their own, so a kind added
 * to the worker is covered at once.
 */
export const ourCookieNames = () =>
  COOKIE_KINDS.flatMap((kind) => {
    const name = prefixedCookieName(kind, undefined);
    return [name, prefixedCookieName(kind, "host"), prefixedCookieName(kind, "secure"), `__host-${name}`, name.toUpperCase(), `__SECURE-${name}`];
  });

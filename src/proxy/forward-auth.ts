/**
 * What a forward-auth proxy (nginx `auth_request`, Traefik `forwardAuth`,
 * Caddy `forward_auth`) and the worker agree on, by name. The recipes in
 * `examples/` spell these out; their tests import this module in Node, so it
 * imports nothing.
 */

/** What forward auth answers and the proxy sends upstream; the proxy recipes copy exactly these. */
export const IDENTITY_HEADERS = [
  "X-Auth-Request-User",
  "X-Auth-Request-Email",
  "X-Auth-Request-Preferred-Username",
  "X-Auth-Request-Provider",
  "X-Auth-Request-Session",
  "X-Auth-Assertion",
] as const;
export type IdentityHeader = (typeof IDENTITY_HEADERS)[number];

/**
 * The request header a proxy recipe sets when it hands our `Set-Cookie` on
 * to the browser (nginx's `add_header`, Traefik v3's
 * `addAuthCookiesToResponse`). Only then may forward auth renew a session:
 * a rotated refresh secret that never reaches the browser would make its
 * next renewal look like theft. Without it an expired session answers 401,
 * and the browser's own visit to the sign-in URL renews it and comes
 * straight back.
 */
export const DELIVERS_COOKIES = "X-Auth-Deliver-Cookies";

import type { Context } from "hono";
import type { AppEnv } from "./env";
import type { Session } from "./session";
import { signAssertion } from "./tokens";

/**
 * Header families an upstream may take as identity or as where the request
 * came from: oauth2-proxy's `X-Auth-*`, `X-Forwarded-*` (user, email,
 * host, prefix, for…), Authelia/Authentik's `Remote-*`, Apache's
 * `X-Remote-*`, Grafana's `X-Webauth-*`, RFC 7239 `Forwarded`, IIS and
 * Symfony's `X-Original-*`/`X-Rewrite-*`, and the client-address headers.
 * Whole families go, not a list of known names: the next framework's
 * favourite spelling is in the family too.
 */
const SPOOFABLE = /^(x-auth-|x-forwarded-|remote-|x-remote-|x-webauth-|x-original-|x-rewrite-|forwarded$|true-client-ip$|x-real-ip$|x-user$|x-email$)/;

/**
 * Removes every such header the client sent. WSGI and CGI servers merge
 * `_` into `-` (`X_Auth_Request_Email` arrives as `HTTP_X_AUTH_REQUEST_EMAIL`),
 * so underscores are read as dashes; case never matters.
 */
export function stripIdentityHeaders(headers: Headers): void {
  for (const name of [...headers.keys()]) if (SPOOFABLE.test(name.toLowerCase().replaceAll("_", "-"))) headers.delete(name);
}

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

const printable = (value: string | null) => (value !== null && /^[\x20-\x7e]+$/.test(value) ? value : null);

/**
 * Who the request is from, for an upstream or a forward-auth proxy:
 * oauth2-proxy-style `X-Auth-Request-*` headers plus `X-Auth-Assertion`, a
 * 60-second EdDSA JWT for `audience` that the upstream can verify with our
 * JWKS.
 */
export async function identityHeaders(c: Context<AppEnv>, session: Session, audience: string): Promise<Record<IdentityHeader, string>> {
  // Every header, every time — empty when unknown — so a proxy that copies
  // them always overwrites whatever the client sent under the same name.
  return {
    "X-Auth-Request-User": printable(session.userKey) ?? encodeURIComponent(session.userKey),
    "X-Auth-Request-Email": printable(session.user.email) ?? "",
    "X-Auth-Request-Preferred-Username": printable(session.user.login) ?? "",
    "X-Auth-Request-Provider": session.provider,
    "X-Auth-Request-Session": session.id,
    "X-Auth-Assertion": await signAssertion(c.var.keys, session, c.var.origin, audience),
  };
}

import type { Context } from "hono";
import type { AppEnv } from "../env";
import type { IdentityHeader } from "./forward-auth";
import type { Session } from "../session/session";
import { signAssertion } from "../crypto/tokens";

/**
 * Header families an upstream may take as identity or as where the request
 * came from, each read as a prefix (`-` ending) or an exact name:
 * - identity from gateways: oauth2-proxy's `X-Auth-*`, Authelia's
 *   `Remote-*`, Apache's `X-Remote-*`, Grafana's `X-Webauth-*`,
 *   Authentik's `X-Authentik-*`, Pomerium, Vouch, Kong's
 *   `X-Authenticated-*`/`X-Consumer-*`, Cloudflare Access (`Cf-Access-*`),
 *   Google IAP (`X-Goog-*`), AWS ALB (`X-Amzn-Oidc-*`), Azure App Service
 *   (`X-Ms-Client-Principal*`), and mTLS terminators (`X-Ssl-*`, `Ssl-*`,
 *   `X-Client-*`);
 * - where the request came from: `X-Forwarded-*`, `X-Forwarded`,
 *   `Forwarded`, `Forwarded-For`, `X-Original-*`, `X-Rewrite-*`, `X-Host`,
 *   and every client-address header (`X-Real-IP`, `True-Client-IP`,
 *   `Client-IP`, `*-Client-IP`, `X-Originating-IP`, `Cf-Connecting-IP`,
 *   `Cf-Pseudo-*`, App Engine's `X-Appengine-*`);
 * - method overrides (`X-Http-Method*`, `X-Method-Override`), which turn a
 *   request the upstream sees into another.
 * Whole families go, not a list of known names: the next framework's
 * favourite spelling is in the family too.
 */
const SPOOFABLE = new RegExp(
  "^(" +
    [
      "x-auth-", "remote-", "x-remote-", "x-webauth-", "x-authentik-", "x-pomerium-", "x-vouch-", "x-authenticated-",
      "x-consumer-", "cf-access-", "x-goog-", "x-amzn-oidc-", "x-ms-client-principal", "x-ssl-", "ssl-", "x-client-",
      "x-forwarded", "forwarded", "x-original-", "x-rewrite-", "cf-pseudo-", "x-appengine-", "x-http-method",
      "x-method-override$", "x-host$", "x-real-ip$", "true-client-ip$", "client-ip$", "[a-z0-9-]+-client-ip$",
      "x-originating-ip$", "cf-connecting-ip$", "x-proxyuser-ip$", "x-user$", "x-username$", "x-email$",
    ].join("|") +
    ")",
);

/**
 * Removes every such header the client sent. WSGI and CGI servers merge
 * `_` into `-` (`X_Auth_Request_Email` arrives as `HTTP_X_AUTH_REQUEST_EMAIL`),
 * so underscores are read as dashes; case never matters.
 */
export function stripIdentityHeaders(headers: Headers): void {
  for (const name of [...headers.keys()]) if (SPOOFABLE.test(name.toLowerCase().replaceAll("_", "-"))) headers.delete(name);
}

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

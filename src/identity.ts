import type { Context } from "hono";
import type { AppEnv } from "./env";
import type { Session } from "./session";
import { signAssertion } from "./tokens";

/**
 * Headers a client might send to impersonate someone to an upstream that
 * trusts identity headers. They are removed before ours are added.
 */
const SPOOFABLE = /^(x-auth-|x-forwarded-(user|email|preferred-username|groups|access-token)$|x-(remote-)?user$|x-email$|remote-user$)/i;

export function stripIdentityHeaders(headers: Headers): void {
  for (const name of [...headers.keys()]) if (SPOOFABLE.test(name)) headers.delete(name);
}

const printable = (value: string | null) => (value !== null && /^[\x20-\x7e]+$/.test(value) ? value : null);

/**
 * Who the request is from, for an upstream or a forward-auth proxy:
 * oauth2-proxy-style `X-Auth-Request-*` headers plus `X-Auth-Assertion`, a
 * 60-second EdDSA JWT for `audience` that the upstream can verify with our
 * JWKS.
 */
export async function identityHeaders(c: Context<AppEnv>, session: Session, audience: string): Promise<Record<string, string>> {
  const headers: Record<string, string> = {
    "X-Auth-Request-User": printable(session.userKey) ?? encodeURIComponent(session.userKey),
    "X-Auth-Request-Provider": session.provider,
    "X-Auth-Request-Session": session.id,
    "X-Auth-Assertion": await signAssertion(c.var.keys, session, c.var.origin, audience),
  };
  const login = printable(session.user.login);
  if (login) headers["X-Auth-Request-Preferred-Username"] = login;
  const email = printable(session.user.email);
  if (email) headers["X-Auth-Request-Email"] = email;
  return headers;
}

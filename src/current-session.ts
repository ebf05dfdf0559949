import type { Context } from "hono";
import { readAuthCookie } from "./cookies";
import type { AppEnv } from "./env";
import { audit } from "./log";
import { renewSession } from "./refresh";
import { readRefreshCookie } from "./refresh-cookie";
import { isRevoked } from "./revocations";
import { open, type Opened } from "./seal";
import { AuthError, unauthenticated } from "./errors";
import { nowSeconds, toSession, type ProviderToken, type Session, type SessionClaims } from "./session";

/** The sealed session a request presents: `Authorization: Bearer …` first, else the cookie. */
function presentedSessionToken(c: Context<AppEnv>): { token: string; bearer: boolean } | null {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("Authorization") ?? "");
  if (bearer) return { token: bearer[1]!, bearer: true };
  const cookie = readAuthCookie(c, "session");
  return cookie ? { token: cookie, bearer: false } : null;
}

/** Opens the presented session token without consulting the revocation list. */
export async function openSessionToken(c: Context<AppEnv>): Promise<(Opened<SessionClaims> & { bearer: boolean }) | null> {
  const presented = presentedSessionToken(c);
  if (!presented) return null;
  const opened = await open<SessionClaims>(c.var.keys, "session", presented.token);
  if (opened.status === "invalid" && opened.reason === "unknown_key") audit("key_not_found", { reason: "session" }, c);
  return { ...opened, bearer: presented.bearer };
}

/** Renew when the session cookie has less than this share of its life left. */
const RENEW_WHEN_LEFT = 0.2;

async function lookUp(c: Context<AppEnv>): Promise<Session | null> {
  const opened = await openSessionToken(c);
  if (!opened || opened.status === "invalid") return null;
  const { claims } = opened;
  const exp = claims.exp ?? 0;
  const fresh = opened.status === "valid" && exp - nowSeconds() > c.var.config.accessTtl * RENEW_WHEN_LEFT;
  // Bearer callers cannot receive new cookies, so only cookies are renewed.
  const refresh = fresh || opened.bearer ? null : readRefreshCookie(c);
  if (refresh && refresh.sid === claims.sid) {
    if (opened.status === "valid") {
      // Still usable: a failed renewal (the store is down) must not sign anyone out.
      try {
        return (await renewSession(c, claims, refresh)) ?? null;
      } catch (error) {
        audit("renewal_deferred", { sessionId: claims.sid, reason: error instanceof Error ? error.message : "unknown" }, c);
      }
    } else {
      return renewSession(c, claims, refresh);
    }
  }
  if (opened.status !== "valid") return null;
  if (await isRevoked(c.env.REVOCATIONS, claims.sid)) return null;
  return toSession(claims, exp);
}

/**
 * The request's live session, or null: absent, undecryptable, expired and
 * revoked sessions all look the same to callers. An expired (or nearly
 * expired) session cookie with a valid refresh cookie is renewed on the
 * spot, so callers never see a 401 for a session that can go on.
 * Looked up at most once per request.
 */
export function getSession(c: Context<AppEnv>): Promise<Session | null> {
  let session = c.get("session");
  if (!session) {
    session = lookUp(c);
    c.set("session", session);
  }
  return session;
}

/**
 * The provider's access token for server-side calls on the user's behalf
 * (renewed with the session when it has expired and the provider can).
 * Never put it in a response body.
 */
export async function getProviderToken(c: Context<AppEnv>): Promise<ProviderToken | null> {
  return (await getSession(c))?.providerToken ?? null;
}

/** The live session, or a clean 401. */
export async function requireSession(c: Context<AppEnv>): Promise<Session> {
  const session = await getSession(c);
  if (!session) throw unauthenticated();
  return session;
}

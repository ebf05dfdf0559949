import type { Context } from "hono";
import { readAuthCookie } from "./cookies";
import type { AppEnv } from "./env";
import { unauthenticated } from "./errors";
import { isInternal } from "./internal";
import { audit } from "./log";
import { providerTokenStale, renewSession } from "./refresh";
import { readRefreshCookie, type RefreshCookie } from "./refresh-cookie";
import { isRevoked } from "./revocations";
import { open, type Opened } from "./seal";
import { toSession, type ProviderToken, type Session, type SessionClaims } from "./session";
import { nowSeconds } from "./time";
import { accessTokenAudience, verifyAccessToken } from "./tokens";

type Presented = { token: string; from: "cookie" | "bearer" };

/** The `Authorization: Bearer` token, whoever issued it. */
export const bearerToken = (c: Context<AppEnv>) => /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("Authorization") ?? "")?.[1];

/**
 * What the request presents: a bearer token of ours first, else the
 * session cookie. A bearer token someone else issued (an upstream's own API
 * token, in proxy mode) is not a credential for us: it neither signs the
 * request in nor out, and the cookie decides.
 */
async function presented(c: Context<AppEnv>): Promise<Presented | null> {
  const bearer = bearerToken(c);
  if (bearer && (await c.var.keys.issued(bearer))) return { token: bearer, from: "bearer" };
  const cookie = readAuthCookie(c, "session");
  return cookie ? { token: cookie, from: "cookie" } : null;
}

/** Compact JWS (our bearer JWTs) has three segments; the sealed session (JWE) has five. */
const isJWS = (token: string) => token.split(".").length === 3;

async function openPresented(c: Context<AppEnv>, token: Presented | null): Promise<(Opened<SessionClaims> & { from: Presented["from"] }) | null> {
  if (!token || isJWS(token.token)) return null;
  const opened = await open<SessionClaims>(c.var.keys, "session", token.token);
  if (opened.status === "invalid" && opened.reason === "unknown_key") audit("key_not_found", { reason: "session" }, c);
  return { ...opened, from: token.from };
}

/** Opens a presented sealed session (cookie or bearer) without consulting the revocation list. */
export const openSessionToken = async (c: Context<AppEnv>) => openPresented(c, await presented(c));

/** Renew when the session cookie has less than this share of its life left. */
const RENEW_WHEN_LEFT = 0.2;

async function fromBearerJWT(c: Context<AppEnv>, token: string): Promise<Session | null> {
  const { origin, config } = c.var;
  const claims = await verifyAccessToken(c.var.keys, token, origin, accessTokenAudience(origin, config.basePath));
  if (!claims || (await isRevoked(c.env.REVOCATIONS, claims.sid))) return null;
  return {
    id: claims.sid,
    userKey: claims.sub,
    provider: claims.provider,
    user: { id: claims.sub.slice(claims.provider.length + 1), login: claims.login, name: claims.name, email: claims.email, avatarUrl: claims.picture },
    remember: false,
    expiresAt: claims.exp!,
    endsAt: claims.exp!,
    signedInAt: 0,
    providerToken: null,
  };
}

async function lookUp(c: Context<AppEnv>, renew: boolean): Promise<Session | null> {
  const token = await presented(c);
  if (token?.from === "bearer" && isJWS(token.token)) return fromBearerJWT(c, token.token);
  const opened = await openPresented(c, token);
  if (!opened || opened.status === "invalid") return null;
  const { claims } = opened;
  const exp = claims.exp ?? 0;
  const fresh = opened.status === "valid" && exp - nowSeconds() > c.var.config.accessTtl * RENEW_WHEN_LEFT;
  // Only cookies are renewed: a bearer caller (or a service binding) cannot receive new cookies.
  const renewable = renew && opened.from === "cookie" && !isInternal(c.req.raw);
  const refresh = renewable && !fresh ? readRefreshCookie(c) : null;
  if (refresh && refresh.sid === claims.sid) {
    if (opened.status !== "valid") return renewSession(c, claims, refresh);
    const renewed = await renewEarly(c, claims, refresh);
    if (renewed !== undefined) return renewed;
  }
  if (opened.status !== "valid") return null;
  if (await isRevoked(c.env.REVOCATIONS, claims.sid)) return null;
  // Served as it is, but this request could still renew it (see getProviderToken).
  if (renewable && fresh) c.set("renewable", claims);
  return toSession(claims, exp);
}

/**
 * Renews a session that is still usable. A failed renewal (the store is
 * down) must not sign anyone out: then `kept` (undefined: go on without).
 */
async function renewEarly<T = undefined>(c: Context<AppEnv>, claims: SessionClaims, refresh: RefreshCookie, kept?: T): Promise<Session | null | T> {
  try {
    return await renewSession(c, claims, refresh);
  } catch (error) {
    audit("renewal_deferred", { sessionId: claims.sid, reason: error instanceof Error ? error.message : "unknown" }, c);
    return kept as T;
  }
}

/**
 * The request's live session, or null: absent, undecryptable, expired and
 * revoked sessions all look the same to callers. Accepts the session
 * cookie, the sealed session as a bearer token, or a bearer JWT from
 * `POST /auth/token`. An expired (or nearly expired) session cookie with a
 * valid refresh cookie is renewed on the spot, so callers never see a 401
 * for a session that can go on — unless `renew` is false: a caller that
 * cannot hand the new cookies to the browser must not spend the refresh
 * secret (the browser would present the old one again, and be taken for a
 * thief). Looked up at most once per request, by the first caller's rules.
 */
export function getSession(c: Context<AppEnv>, { renew = true }: { renew?: boolean } = {}): Promise<Session | null> {
  let session = c.get("session");
  if (!session) {
    session = lookUp(c, renew);
    c.set("session", session);
  }
  return session;
}

/**
 * The provider's access token for server-side calls on the user's behalf.
 * One that has expired (or is about to) is renewed now, by renewing the
 * whole session early: the refresh secret's one-statement rotation decides
 * which of two racing requests spends the provider's refresh token, and the
 * new session cookie carries the new token. The session this request sees
 * from then on is the renewed one, or null if renewing ended it. Where no
 * cookie can be delivered (a sealed session sent as a bearer token, forward
 * auth without X-Auth-Deliver-Cookies) the token is returned as it is,
 * expiry included. Null for callers that presented a bearer JWT. Never put
 * it in a response.
 */
export async function getProviderToken(c: Context<AppEnv>): Promise<ProviderToken | null> {
  const session = await getSession(c);
  const claims = c.get("renewable");
  const refresh = claims && providerTokenStale(claims) && readRefreshCookie(c);
  if (refresh && refresh.sid === claims!.sid) {
    c.set("renewable", undefined);
    c.set("session", renewEarly(c, claims!, refresh, session));
  }
  return (await c.get("session"))?.providerToken ?? null;
}

/** The live session, or a clean 401. */
export async function requireSession(c: Context<AppEnv>): Promise<Session> {
  const session = await getSession(c);
  if (!session) throw unauthenticated();
  return session;
}

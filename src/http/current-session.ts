import type { Context } from "hono";
import { clearSessionCookies, readAuthCookie, authCookie } from "./cookies";
import { describeDevice } from "./device";
import type { AppEnv } from "../env";
import { AuthError, unauthenticated } from "../errors";
import { audit } from "../platform/log";
import { rateLimit } from "./rate-limit";
import { providerTokenStale, renewSession, type Renewal } from "../session/renewal";
import { readRefreshCookie, refreshCookie } from "./refresh-cookie";
import type { RefreshCookie } from "../session/refresh-secret";
import { isRevoked } from "../session/revocations";
import { commitSession, cookieMaxAge, prepareSession, sealClaims, toSession, type NewSession, type ProviderToken, type Session, type SessionClaims } from "../session/session";
import { openCredential, toCredential, type Credential, type Opened } from "../session/check";
import type { SessionDeps } from "../session/deps";
import { nowSeconds } from "../platform/time";
import { offerDeviceBinding } from "./device-bound";
import { sealBoundClaims } from "../session/device-binding";
import { storeDeviceClaims } from "../session/store";

/**
 * The request's side of the session core: what the request presents, the
 * cookies a renewal or a sign-in sets, the renewal rate limit. The core
 * itself (session-check.ts, refresh.ts, revocations.ts, session.ts) never
 * sees a request.
 */
export const depsOf = (c: Context<AppEnv>): SessionDeps => ({
  config: c.var.config,
  keys: c.var.keys,
  db: c.env.DB,
  kv: c.env.REVOCATIONS,
  now: nowSeconds,
  audit: (event, fields) => audit(event, fields, c),
  waitUntil: (work) => c.executionCtx.waitUntil(work),
});

/** The token of an `Authorization: Bearer …` value, whoever issued it. */
export const parseBearer = (authorization: string) => /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];

/** The request's `Authorization: Bearer` token, whoever issued it. */
export const bearerToken = (c: Context<AppEnv>) => parseBearer(c.req.header("Authorization") ?? "");

/**
 * What the request presents: a bearer token of ours first, else the
 * session cookie. A bearer token someone else issued (an upstream's own API
 * token, in proxy mode) is not a credential for us: it neither signs the
 * request in nor out, and the cookie decides.
 */
async function presented(c: Context<AppEnv>): Promise<Credential | null> {
  const bearer = bearerToken(c);
  if (bearer && (await c.var.keys.issued(bearer))) return toCredential(bearer, "bearer");
  const cookie = readAuthCookie(c, "session");
  return cookie ? toCredential(cookie, "cookie") : null;
}

/** Opens what the request presents without consulting the revocation list (see `openCredential`). */
export const openSessionToken = async (c: Context<AppEnv>): Promise<Opened | null> => {
  const token = await presented(c);
  return token && openCredential(depsOf(c), token, c.var.origin);
};

/** Sets the cookies a renewal hands out: the refresh cookie first, which a proxy passing on only one must not lose. */
function deliver(c: Context<AppEnv>, sid: string, renewal: Renewal): Session | null {
  if (renewal.status === "ended") {
    clearSessionCookies(c);
    return null;
  }
  const { secret, token, maxAge, session } = renewal;
  if (secret) c.header("Set-Cookie", refreshCookie(c, sid, secret, maxAge), { append: true });
  if (token) c.header("Set-Cookie", authCookie(c, "session", token, maxAge), { append: true });
  return session;
}

/**
 * Renews through the refresh secret's rotation, counted per session, never
 * per address or user: behind a proxy every user arrives from its one
 * address, and a user bucket would be charged before the secret is
 * checked, so any old cookie of the user's could spend it and stop their
 * live sessions renewing. A session renews about once per ACCESS_TTL, a
 * few times at once when tabs race; the usual limit leaves room for that.
 */
async function renew(c: Context<AppEnv>, claims: SessionClaims, refresh: RefreshCookie): Promise<Session | null> {
  await rateLimit(c, "renewal", [`session:${claims.sid}`]);
  return deliver(c, claims.sid, await renewSession(depsOf(c), claims, refresh));
}

/** Renew when the session token has less than this share of its life left. */
const RENEW_WHEN_LEFT = 0.2;

async function lookUp(c: Context<AppEnv>, renewAllowed: boolean): Promise<Session | null> {
  const token = await presented(c);
  const deps = depsOf(c);
  const opened = token && (await openCredential(deps, token, c.var.origin));
  if (!opened) return null;
  if (opened.kind === "jwt") return (await isRevoked(deps.kv, opened.session.id)) ? null : opened.session;
  const { claims } = opened;
  const exp = claims.exp ?? 0;
  const fresh = opened.status === "valid" && exp - nowSeconds() > c.var.config.accessTtl * RENEW_WHEN_LEFT;
  // Only cookies are renewed: a bearer caller cannot receive new cookies.
  // A device-bound one never by the refresh cookie: only by the browser's proof (routes/device-bound.ts).
  const renewable = renewAllowed && token.kind === "sealed" && token.from === "cookie" && !claims.cnf;
  const refresh = renewable && !fresh ? readRefreshCookie(c) : null;
  if (refresh && refresh.sid === claims.sid) {
    if (opened.status !== "valid") return renew(c, claims, refresh);
    const renewed = await renewEarly(c, claims, refresh);
    if (renewed !== undefined) return renewed;
  }
  if (opened.status !== "valid") return null;
  if (await isRevoked(deps.kv, claims.sid)) return null;
  // Served as it is, but this request could still renew it (see getProviderToken).
  if (renewable && fresh) c.set("renewable", claims);
  return toSession(claims, exp);
}

/**
 * Renews a session that is still usable. A failed renewal (the store is
 * down, the limit reached) must not sign anyone out: then `kept`
 * (undefined: go on without).
 */
async function renewEarly<T = undefined>(c: Context<AppEnv>, claims: SessionClaims, refresh: RefreshCookie, kept?: T): Promise<Session | null | T> {
  try {
    return await renew(c, claims, refresh);
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

/**
 * Creates a session for someone who has just signed in (and passed the
 * second factor): both cookies are built — and checked to fit — before the
 * record is written, and set only once it exists and the user's sessions
 * beyond the cap have ended: no partial session.
 */
export async function startSession(c: Context<AppEnv>, fresh: NewSession): Promise<Session> {
  const deps = depsOf(c);
  const userAgent = c.req.header("User-Agent")?.slice(0, 512) || null;
  const prepared = await prepareSession(deps, fresh, {
    device: describeDevice(userAgent ?? undefined),
    user_agent: userAgent,
    origin: c.var.onApp ? c.var.origin : null,
    country: (c.req.raw.cf?.country as string | undefined) ?? null,
  });
  const cookies = [authCookie(c, "session", prepared.token, prepared.maxAge), refreshCookie(c, prepared.record.id, prepared.secret, prepared.maxAge)];
  await commitSession(deps, prepared);
  for (const cookie of cookies) c.header("Set-Cookie", cookie, { append: true });
  // A session handed off from a bound one is bound through it already.
  if (!prepared.session.boundKey) await offerDeviceBinding(c, prepared.record.id);
  return prepared.session;
}

/**
 * After a step-up: the session cookie again, now saying the second factor
 * was shown just now and how — expiring when the one presented does: a
 * step-up proves the second factor, not the device, and must not stretch a
 * copied cookie (nor outlast what `endSessions` reckons a live cookie can).
 * Renewals carry it on from the cookie, for the rest of this session; a
 * device-bound session's refreshes from D1, where its claims are stored anew.
 */
export async function stepUp(c: Context<AppEnv>, session: Session, amr: string[]): Promise<void> {
  // An app origin's cookie carries `org`, which Session does not: never re-sealed here (authOriginOnly).
  if (c.var.onApp) throw new AuthError(403, "not_here", "The second factor is at the sign-in origin.");
  const deps = depsOf(c);
  const now = deps.now();
  const claims = {
    sid: session.id,
    sub: session.userKey,
    prv: session.provider,
    usr: session.user,
    pat: session.providerToken?.accessToken ?? "",
    pax: session.providerToken?.expiresAt ?? null,
    rem: session.remember,
    end: Math.min(session.endsAt, session.expiresAt),
    ath: session.signedInAt,
    amr,
    sfa: now,
    ...(session.boundKey && { cnf: { jkt: session.boundKey } }),
  };
  const { token, session: stepped } = await sealClaims(deps, claims);
  c.header("Set-Cookie", authCookie(c, "session", token, cookieMaxAge(session.remember, session.endsAt, now, stepped)), { append: true });
  if (session.boundKey) await storeDeviceClaims(deps.db, session.id, session.boundKey, await sealBoundClaims(deps.keys, claims));
  c.set("session", Promise.resolve(stepped));
}

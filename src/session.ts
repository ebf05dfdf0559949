import type { Context } from "hono";
import { authCookie } from "./cookies";
import { describeDevice } from "./device";
import type { AppEnv } from "./env";
import type { Profile } from "./profile";
import type { ProviderTokens } from "./providers/types";
import { hashSecret, newSecret, refreshCookie } from "./refresh-cookie";
import { randomToken } from "./random";
import { seal } from "./seal";
import { nowSeconds } from "./time";
import { insertSession } from "./store";
import { endSessions } from "./revocations";

/** What the session cookie carries; short names keep the cookie small. */
export interface SessionClaims {
  /** Session id. */
  sid: string;
  /** User key, `provider:id`. */
  sub: string;
  prv: string;
  usr: Profile;
  /** The provider's access token and its expiry (epoch seconds), never shown to clients. */
  pat: string;
  pax: number | null;
  rem: boolean;
  /**
   * When the session ends at the latest, as of this cookie: the earlier of
   * its idle and absolute limits (epoch seconds). Neither this cookie nor a
   * bearer token minted from it outlives it. Absent from cookies sealed
   * before it existed.
   */
  end?: number;
  /** When the person signed in (epoch seconds), kept across renewals. Absent from older cookies. */
  ath?: number;
}

export interface Session {
  id: string;
  userKey: string;
  provider: string;
  user: Profile;
  remember: boolean;
  /** When this session cookie needs renewing (epoch seconds); renewal is automatic. */
  expiresAt: number;
  /** When the session itself ends at the latest (epoch seconds); nothing minted from it may outlive this. */
  endsAt: number;
  /** When the person last signed in to this session (epoch seconds; 0 when unknown). */
  signedInAt: number;
  /** Null when the caller proved itself with a bearer JWT, which never carries the provider token. */
  providerToken: ProviderToken | null;
}

export interface ProviderToken {
  accessToken: string;
  /** Epoch seconds; null when the token does not expire (GitHub OAuth Apps). */
  expiresAt: number | null;
}

export const newSessionId = () => randomToken(16);

export function toSession(claims: SessionClaims, expiresAt: number): Session {
  return {
    id: claims.sid,
    userKey: claims.sub,
    provider: claims.prv,
    user: claims.usr,
    remember: claims.rem,
    expiresAt,
    endsAt: claims.end ?? expiresAt,
    signedInAt: claims.ath ?? 0,
    providerToken: { accessToken: claims.pat, expiresAt: claims.pax },
  };
}

/**
 * Seals claims into a session cookie value. The token is good for
 * ACCESS_TTL, and never past the session's end (`end`): a renewal just
 * before the absolute limit must not buy a full ACCESS_TTL beyond it. The
 * cookie itself lives as long as the refresh cookie, so an expired token
 * can still be renewed.
 */
export async function sealSession(c: Context<AppEnv>, claims: SessionClaims & { end: number }, cookieMaxAge: number | undefined): Promise<{ cookie: string; session: Session }> {
  const { config, keys } = c.var;
  const now = nowSeconds();
  const ttl = Math.max(1, Math.min(config.accessTtl, claims.end - now));
  const token = await seal(keys, "session", { ...claims }, ttl);
  return { cookie: authCookie(c, "session", token, cookieMaxAge), session: toSession(claims, now + ttl) };
}

/** Cookie lifetime: browser-session cookies, or persistent until the session's end with remember-me. */
export const cookieMaxAge = (remember: boolean, endsAt: number, now: number) => (remember ? Math.max(0, endsAt - now) : undefined);

/** Live sessions a user may hold: a sign-in beyond it ends their oldest. */
export const MAX_SESSIONS = 50;

/** What a session is made of when someone has just signed in. */
export interface NewSession {
  provider: string;
  profile: Profile;
  tokens: ProviderTokens;
  remember: boolean;
}

/**
 * Creates a session: its refresh record in D1, then the session and refresh
 * cookies. Both cookies are built (and size-checked) before anything is
 * written, and set only once the record exists and the user's sessions
 * beyond `MAX_SESSIONS` have ended: no partial session.
 */
export async function startSession(c: Context<AppEnv>, fresh: NewSession): Promise<Session> {
  const { config, keys } = c.var;
  const now = nowSeconds();
  const id = newSessionId();
  const endsAt = now + (fresh.remember ? config.rememberTtl : config.maxTtl);
  const idleEndsAt = fresh.remember ? endsAt : Math.min(endsAt, now + config.idleTtl);
  const maxAge = cookieMaxAge(fresh.remember, endsAt, now);
  const claims: SessionClaims & { end: number } = {
    sid: id,
    sub: `${fresh.provider}:${fresh.profile.id}`,
    prv: fresh.provider,
    usr: fresh.profile,
    pat: fresh.tokens.accessToken,
    pax: fresh.tokens.accessTokenExpiresAt,
    rem: fresh.remember,
    end: idleEndsAt,
    ath: now,
  };
  const { cookie, session } = await sealSession(c, claims, maxAge);
  const secret = newSecret();
  const refresh = refreshCookie(c, id, secret, maxAge);
  const { refreshToken } = fresh.tokens;
  await insertSession(c.env.DB, {
    id,
    user_key: claims.sub,
    provider: fresh.provider,
    secret_hash: (await hashSecret(keys, secret))[0]!,
    provider_refresh_token: refreshToken ? await seal(keys, "provider-token", { rt: refreshToken }, endsAt - now) : null,
    device: describeDevice(c.req.header("User-Agent")),
    country: (c.req.raw.cf?.country as string | undefined) ?? null,
    remember: fresh.remember ? 1 : 0,
    created_at: now,
    last_used_at: now,
    idle_expires_at: idleEndsAt,
    expires_at: endsAt,
  });
  await endSessions(c, claims.sub, { kind: "session_limit", by: "system", except: id, keep: MAX_SESSIONS - 1 });
  c.header("Set-Cookie", cookie, { append: true });
  c.header("Set-Cookie", refresh, { append: true });
  return session;
}

import type { Profile } from "../signin/profile";
import type { ProviderTokens } from "../providers/types";
import { hashSecret, newSecret } from "./refresh-secret";
import { randomToken } from "../crypto/random";
import { endSessions } from "./revocations";
import { seal } from "../crypto/seal";
import type { SessionDeps } from "./deps";
import { insertSession, type NewRecord } from "./store";
import { userKey } from "./user-key";

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
  /** The app origin (APP_ORIGINS) whose cookie this is; absent: the worker's own. Good nowhere else. */
  org?: string;
  /** How the second factor was last shown (RFC 8176: `otp`, `hwk`, `swk`, with `mfa`), and when; absent: never in this session. */
  amr?: string[];
  sfa?: number;
  /**
   * Device-bound (DBSC, src/session/device-binding.ts): the RFC 7638
   * thumbprint of the key the browser proves to refresh this cookie, which
   * lives DEVICE_BOUND_TTL and is never renewed by the refresh cookie.
   */
  cnf?: { jkt: string };
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
  /** How the second factor was last shown in this session (RFC 8176 `amr` values), and when (epoch seconds; 0: never). */
  amr: string[];
  secondFactorAt: number;
  /** A device-bound session's key thumbprint: its cookie is renewed only by the browser's proof of that key (see `SessionClaims.cnf`); else null. */
  boundKey: string | null;
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
    amr: claims.amr ?? [],
    secondFactorAt: claims.sfa ?? 0,
    boundKey: claims.cnf?.jkt ?? null,
    providerToken: { accessToken: claims.pat, expiresAt: claims.pax },
  };
}

/**
 * Seals claims into a session token. It is good for ACCESS_TTL — a
 * device-bound one, or one `short`, for DEVICE_BOUND_TTL — and never past
 * the session's end (`end`): a renewal just before the absolute limit must
 * not buy a full ACCESS_TTL beyond it.
 */
export async function sealClaims(deps: Pick<SessionDeps, "config" | "keys" | "now">, claims: SessionClaims & { end: number }, short = false): Promise<{ token: string; session: Session }> {
  const now = deps.now();
  const ttl = Math.max(1, Math.min(claims.cnf || short ? deps.config.deviceBoundTtl : deps.config.accessTtl, claims.end - now));
  return { token: await seal(deps.keys, "session", { ...claims }, ttl), session: toSession(claims, now + ttl) };
}

/**
 * Cookie lifetime: browser-session cookies, or persistent until the
 * session's end with remember-me. A device-bound session's cookie lives
 * exactly as long as its token: its expiry is what makes the browser
 * refresh it by proof (remember-me or not, the refresh cookie still ends
 * with the browser's session, and a refresh needs it).
 */
export const cookieMaxAge = (remember: boolean, endsAt: number, now: number, bound?: Session) =>
  bound?.boundKey ? Math.max(0, bound.expiresAt - now) : remember ? Math.max(0, endsAt - now) : undefined;

/** Live sessions a user may hold: a sign-in beyond it ends their oldest. */
export const MAX_SESSIONS = 50;

/** What a session is made of when someone has just signed in. */
export interface NewSession {
  provider: string;
  profile: Profile;
  tokens: ProviderTokens;
  remember: boolean;
  /** A handoff to an app origin: when the person signed in, the family it joins, and the end it may not outlive. */
  signedInAt?: number;
  family?: string;
  endsBy?: number;
  /** After a second factor: how (RFC 8176), now. */
  amr?: string[];
  /**
   * Handed off from a device-bound session: the key thumbprint its family
   * is bound to. Its cookie lives DEVICE_BOUND_TTL and is never renewed
   * (nor bound to another key): only a new handoff from the bound session,
   * which needs that key's proofs to live, gives another.
   */
  boundKey?: string | null;
  /**
   * Its first cookie lives DEVICE_BOUND_TTL: an app origin's session handed
   * off while its sign-in may still be being bound (DBSC's registration
   * comes moments after the sign-in's answer, often after the handoff).
   */
  short?: boolean;
}

/** A session sealed but not stored yet: the caller checks its cookies fit before `commitSession`. */
export interface PreparedSession {
  session: Session;
  /** The sealed session, for the session cookie. */
  token: string;
  /** The refresh secret, for the refresh cookie; only its hash is stored. */
  secret: string;
  /** Cookie lifetime (see `cookieMaxAge`). */
  maxAge: number | undefined;
  record: NewRecord;
}

/** Seals a new session and its refresh secret; nothing is written yet. */
export async function prepareSession(deps: SessionDeps, fresh: NewSession, client: { device: string; user_agent: string | null; country: string | null; origin: string | null }): Promise<PreparedSession> {
  const { config, keys } = deps;
  const now = deps.now();
  const id = newSessionId();
  const endsAt = Math.min(now + (fresh.remember ? config.rememberTtl : config.maxTtl), fresh.endsBy ?? Infinity);
  const idleEndsAt = fresh.remember ? endsAt : Math.min(endsAt, now + config.idleTtl);
  const claims: SessionClaims & { end: number } = {
    sid: id,
    sub: userKey(fresh.provider, fresh.profile.id),
    prv: fresh.provider,
    usr: fresh.profile,
    pat: fresh.tokens.accessToken,
    pax: fresh.tokens.accessTokenExpiresAt,
    rem: fresh.remember,
    end: idleEndsAt,
    ath: fresh.signedInAt ?? now,
    ...(client.origin && { org: client.origin }),
    ...(fresh.amr && { amr: fresh.amr, sfa: now }),
    ...(fresh.boundKey && { cnf: { jkt: fresh.boundKey } }),
  };
  const { token, session } = await sealClaims(deps, claims, fresh.short);
  const secret = newSecret();
  const { refreshToken } = fresh.tokens;
  return {
    session,
    token,
    secret,
    maxAge: cookieMaxAge(fresh.remember, endsAt, now, session),
    record: {
      id,
      user_key: claims.sub,
      provider: fresh.provider,
      secret_hash: (await hashSecret(keys, secret))[0]!,
      provider_refresh_token: refreshToken ? await seal(keys, "provider-token", { rt: refreshToken }, endsAt - now) : null,
      ...client,
      family: fresh.family ?? null,
      remember: fresh.remember ? 1 : 0,
      created_at: now,
      last_used_at: now,
      idle_expires_at: idleEndsAt,
      expires_at: endsAt,
    },
  };
}

/** Stores a prepared session, then ends the user's oldest beyond `MAX_SESSIONS`. */
export async function commitSession(deps: SessionDeps, prepared: PreparedSession): Promise<void> {
  const { record } = prepared;
  await insertSession(deps.db, record);
  await endSessions(deps, record.user_key, { kind: "session_limit", by: "system", except: record.id, keep: MAX_SESSIONS - 1 });
}

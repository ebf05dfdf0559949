import type { Profile } from "../signin/profile";
import { isRevoked } from "./revocations";
import { open } from "../crypto/seal";
import { toSession, type Session, type SessionClaims } from "./session";
import type { SessionDeps } from "./deps";
import { accessTokenAudience, verifyAccessToken } from "../crypto/tokens";
import { parseUserKey } from "./user-key";
import { servesApp } from "../config/app-origins";

/**
 * What someone presents to prove a session: the sealed session (from the
 * session cookie, or copied into `Authorization: Bearer` by a caller that
 * cannot keep cookies), or a bearer JWT from `POST /auth/token`.
 */
export type Credential = { kind: "sealed"; token: string; from: "cookie" | "bearer" } | { kind: "jwt"; token: string };

/** Compact JWS (our bearer JWTs) has three segments; the sealed session (JWE) has five. */
export const toCredential = (token: string, from: "cookie" | "bearer"): Credential =>
  from === "bearer" && token.split(".").length === 3 ? { kind: "jwt", token } : { kind: "sealed", token, from };

/** What a credential says before the revocation list is asked. */
export type Opened =
  | { kind: "sealed"; status: "valid" | "expired"; claims: SessionClaims & { exp?: number } }
  | { kind: "jwt"; session: Session };

/**
 * Opens a credential: the claims of a sealed session (an expired one too:
 * it may be renewed, or signed out), the session a bearer JWT names for
 * `origin` (its issuer and audience). Null when it is not ours, tampered
 * with or, for a JWT, expired. The revocation list is not asked.
 */
export async function openCredential(deps: SessionDeps, presented: Credential, origin: string): Promise<Opened | null> {
  if (presented.kind === "jwt") {
    const claims = await verifyAccessToken(deps.keys, presented.token, origin, accessTokenAudience(origin, deps.config.basePath));
    if (!claims) return null;
    const user: Profile = { id: parseUserKey(claims.sub)?.id ?? "", login: claims.login, name: claims.name, email: claims.email, avatarUrl: claims.picture };
    const session: Session = {
      id: claims.sid,
      userKey: claims.sub,
      provider: claims.provider,
      user,
      remember: false,
      expiresAt: claims.exp!,
      endsAt: claims.exp!,
      signedInAt: claims.auth_time ?? 0,
      amr: claims.amr ?? [],
      secondFactorAt: 0,
      boundKey: null,
      providerToken: null,
    };
    return { kind: "jwt", session };
  }
  // A JWS where a sealed session belongs is not one.
  if (presented.token.split(".").length !== 5) return null;
  const opened = await open<SessionClaims & { exp?: number }>(deps.keys, "session", presented.token);
  if (opened.status === "invalid") {
    if (opened.reason === "unknown_key") deps.audit("key_not_found", { reason: "session" });
    return null;
  }
  // A session is good on the origin whose cookie it is, not where another origin's server replays it.
  if (opened.claims.org !== (servesApp(deps.config, origin) ? origin : undefined)) return null;
  return { kind: "sealed", status: opened.status, claims: opened.claims };
}

/**
 * The live session a credential proves, or null: absent, foreign,
 * tampered, expired and revoked all look the same. One decryption (or
 * signature check) and one KV read; never renews.
 */
export async function checkCredential(deps: SessionDeps, presented: Credential, origin: string): Promise<Session | null> {
  const opened = await openCredential(deps, presented, origin);
  if (!opened || (opened.kind === "sealed" && opened.status !== "valid")) return null;
  const session = opened.kind === "jwt" ? opened.session : toSession(opened.claims, opened.claims.exp ?? 0);
  return (await isRevoked(deps.kv, session.id)) ? null : session;
}

/** Who is signed in, as `GET /auth/session` and `AuthService.verify` answer. */
export interface Identity {
  user: Profile;
  provider: string;
  sessionId: string;
  /** When the credential presented expires (ISO 8601); renewal moves it on. */
  expiresAt: string;
  /** Whether the session is device-bound (DBSC): its cookie is renewed only by this browser's proof of its key. */
  deviceBound: boolean;
}

export const identityOf = (session: Session): Identity => ({
  user: session.user,
  provider: session.provider,
  sessionId: session.id,
  expiresAt: new Date(session.expiresAt * 1000).toISOString(),
  deviceBound: session.boundKey !== null,
});

import type { Context } from "hono";
import { base64url } from "jose";
import { readAuthCookie, setAuthCookie } from "./cookies";
import type { AppEnv } from "./env";
import { audit } from "./log";
import type { Profile } from "./profile";
import type { ProviderTokens } from "./providers/types";
import { isRevoked } from "./revocations";
import { open, seal, type Opened } from "./seal";

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
}

export interface Session {
  id: string;
  userKey: string;
  provider: string;
  user: Profile;
  remember: boolean;
  /** When this session cookie stops being accepted (epoch seconds). */
  expiresAt: number;
  providerToken: { accessToken: string; expiresAt: number | null };
}

export const newSessionId = () => base64url.encode(crypto.getRandomValues(new Uint8Array(16)));

function toSession(claims: SessionClaims & { exp?: number }): Session {
  return {
    id: claims.sid,
    userKey: claims.sub,
    provider: claims.prv,
    user: claims.usr,
    remember: claims.rem,
    expiresAt: claims.exp ?? 0,
    providerToken: { accessToken: claims.pat, expiresAt: claims.pax },
  };
}

/** What a session is made of when someone has just signed in. */
export interface NewSession {
  id: string;
  provider: string;
  profile: Profile;
  tokens: ProviderTokens;
  remember: boolean;
}

/** Seals a session into the session cookie. */
export async function issueSession(c: Context<AppEnv>, session: NewSession): Promise<Session> {
  const { config, keys } = c.var;
  const claims: SessionClaims = {
    sid: session.id,
    sub: `${session.provider}:${session.profile.id}`,
    prv: session.provider,
    usr: session.profile,
    pat: session.tokens.accessToken,
    pax: session.tokens.accessTokenExpiresAt,
    rem: session.remember,
  };
  const token = await seal(keys, "session", { ...claims }, config.accessTtl);
  // The cookie outlives the token inside it so an expired session can still be identified.
  setAuthCookie(c, "session", token, session.remember ? config.rememberTtl : undefined);
  return toSession({ ...claims, exp: Math.floor(Date.now() / 1000) + config.accessTtl });
}

/** The sealed session a request presents: `Authorization: Bearer …` first, else the cookie. */
export function presentedSessionToken(c: Context<AppEnv>): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("Authorization") ?? "");
  return bearer ? bearer[1] : readAuthCookie(c, "session");
}

/** Opens the presented session token without consulting the revocation list. */
export async function openSessionToken(c: Context<AppEnv>): Promise<Opened<SessionClaims> | null> {
  const token = presentedSessionToken(c);
  if (!token) return null;
  const opened = await open<SessionClaims>(c.var.keys, "session", token);
  if (opened.status === "invalid" && opened.reason === "unknown_key") audit("key_not_found", { reason: "session" }, c);
  return opened;
}

/**
 * The request's live session, or null: absent, undecryptable, expired and
 * revoked sessions all look the same to callers. Looked up once per request.
 */
export function getSession(c: Context<AppEnv>): Promise<Session | null> {
  let session = c.get("session");
  if (!session) {
    session = (async () => {
      const opened = await openSessionToken(c);
      if (opened?.status !== "valid") return null;
      if (await isRevoked(c.env.REVOCATIONS, opened.claims.sid)) return null;
      return toSession(opened.claims);
    })();
    c.set("session", session);
  }
  return session;
}

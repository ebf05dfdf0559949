import type { Context } from "hono";
import type { Config } from "./config";
import type { AppEnv } from "./env";
import { AuthError } from "./errors";
import { audit } from "./log";
import { open } from "./seal";
import { newDeviceKey } from "./second-factor";
import { rotateDeviceKey } from "./second-factor-store";
import { revokeSession, revokeUserSessions, type Revoked } from "./store";
import { nowSeconds } from "./time";
import { withTimeout } from "./timeout";
import { ACCESS_TOKEN_TTL } from "./tokens";

/** A KV call that has not answered by then fails closed, like a D1 statement. */
const KV_TIMEOUT_MS = 5_000;
/** KV's smallest allowed expirationTtl. */
const KV_MIN_TTL = 60;
/** Covers clock skew between the location that wrote and those that read. */
const SKEW = 60;

const keyFor = (sessionId: string) => `revoked:${sessionId}`;

const unavailable = () =>
  new AuthError(503, "revocation_list_unavailable", "Sessions cannot be checked right now. Please try again shortly.", { "Retry-After": "5" });

/**
 * How long a revocation entry must outlive the revocation: as long as a
 * session cookie or bearer token naming the session could be accepted.
 */
export const revocationWindow = (config: Config) => Math.max(KV_MIN_TTL, config.accessTtl, ACCESS_TOKEN_TTL) + SKEW;

/**
 * True when the session id is on the revocation list. A list that cannot
 * be read is not treated as "not revoked": the request fails with 503.
 */
export async function isRevoked(kv: KVNamespace, sessionId: string): Promise<boolean> {
  try {
    return (await withTimeout(kv.get(keyFor(sessionId)), KV_TIMEOUT_MS, unavailable)) !== null;
  } catch {
    throw unavailable();
  }
}

/** Puts a session id on the revocation list. */
export async function revokeSessionId(kv: KVNamespace, config: Config, sessionId: string): Promise<void> {
  try {
    await withTimeout(kv.put(keyFor(sessionId), "1", { expirationTtl: revocationWindow(config) }), KV_TIMEOUT_MS, unavailable);
  } catch {
    throw unavailable();
  }
}

export type RevocationKind =
  | "signout"
  | "everywhere"
  | "device"
  | "admin"
  | "service"
  | "refresh_reuse"
  | "provider_refresh_failed"
  /** Not shown to be on the allow-list any more at renewal (left the GitHub organisation, revoked the app). */
  | "not_allowed"
  /** The user's second factor was turned on or off (or reset by an admin): every other session ends. */
  | "second_factor_changed";

export interface RevocationContext {
  kind: RevocationKind;
  /** Who ended it: a user key, or "system". */
  by: string;
  /** A provider access token to revoke as well (the caller's own, at sign-out). */
  accessToken?: string;
}

/**
 * After the D1 rows are marked revoked: a KV entry per session so cookies
 * already handed out die on their next request, an audit line each, and —
 * in the background — the provider's tokens revoked where it supports it.
 */
async function finish(c: Context<AppEnv>, ended: Revoked[], how: RevocationContext): Promise<void> {
  await Promise.all(ended.map((row) => revokeSessionId(c.env.REVOCATIONS, c.var.config, row.id)));
  for (const row of ended) audit("revoked", { sessionId: row.id, user: row.user_key, kind: how.kind, by: how.by }, c);
  const tokens: { provider: string; token: string; kind: "access" | "refresh" }[] = [];
  for (const row of ended) {
    if (!row.provider_refresh_token) continue;
    const stored = await open<{ rt: string }>(c.var.keys, "provider-token", row.provider_refresh_token);
    if (stored.status !== "invalid") tokens.push({ provider: row.provider, token: stored.claims.rt, kind: "refresh" });
  }
  if (how.accessToken && ended[0]) tokens.push({ provider: ended[0].provider, token: how.accessToken, kind: "access" });
  const revocations = tokens.flatMap(({ provider, token, kind }) => {
    const revoke = c.var.config.providers.get(provider)?.revoke;
    if (!revoke) return [];
    return [revoke(token, kind).catch((error) => audit("provider_revoke_failed", { provider, reason: error instanceof AuthError ? error.code : "unknown" }, c))];
  });
  if (revocations.length) c.executionCtx.waitUntil(Promise.all(revocations));
}

/** Ends one session (with `owner`, only if it is theirs); null when there was no live session to end. */
export async function endSession(c: Context<AppEnv>, sessionId: string, how: RevocationContext & { owner?: string }): Promise<Revoked | null> {
  const ended = await revokeSession(c.env.DB, sessionId, nowSeconds(), how.owner);
  if (ended) await finish(c, [ended], how);
  return ended;
}

/**
 * Ends every live session of a user (but `except`, the one asking, when
 * given), and forgets every device remembered for their second factor:
 * "everywhere" includes the next sign-in.
 */
export async function endUserSessions(c: Context<AppEnv>, userKey: string, how: RevocationContext & { except?: string }): Promise<Revoked[]> {
  const ended = await revokeUserSessions(c.env.DB, userKey, nowSeconds(), how.except);
  await rotateDeviceKey(c.env.DB, userKey, newDeviceKey());
  await finish(c, ended, how);
  return ended;
}

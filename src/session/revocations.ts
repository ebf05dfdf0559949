import type { Config } from "../config/config";
import { AuthError } from "../errors";
import { open } from "../crypto/seal";
import type { SessionDeps } from "./deps";
import { recentTargets, revokeSession, revokeTargets, type Revoked, type Targets } from "./store";
import { withTimeout } from "../platform/timeout";
import { ACCESS_TOKEN_TTL } from "../crypto/tokens";

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
  /** A device-bound session's refresh, with its refresh cookie, proved by another key. */
  | "proof_refused"
  | "provider_refresh_failed"
  /** Not shown to be on the allow-list any more at renewal (left the GitHub organisation, revoked the app). */
  | "not_allowed"
  /** The user's second factor was turned on or off (or reset by an admin): every other session ends. */
  | "second_factor_changed"
  /** The oldest, when a sign-in would leave the user more than `MAX_SESSIONS` live sessions. */
  | "session_limit";

export interface RevocationContext {
  kind: RevocationKind;
  /** Who ended it: a user key, or "system". */
  by: string;
  /** A provider access token to revoke as well (the caller's own, at sign-out). */
  accessToken?: string;
}

/**
 * Once the sessions are ended in D1 and on the revocation list: an audit
 * line each and — in the background — the provider's tokens revoked where
 * it supports it.
 */
async function finish(deps: SessionDeps, ended: Revoked[], how: RevocationContext): Promise<void> {
  for (const row of ended) deps.audit("revoked", { sessionId: row.id, user: row.user_key, kind: how.kind, by: how.by });
  const tokens: { provider: string; token: string; kind: "access" | "refresh" }[] = [];
  for (const row of ended) {
    if (!row.provider_refresh_token) continue;
    const stored = await open<{ rt: string }>(deps.keys, "provider-token", row.provider_refresh_token);
    if (stored.status !== "invalid") tokens.push({ provider: row.provider, token: stored.claims.rt, kind: "refresh" });
  }
  if (how.accessToken && ended[0]) tokens.push({ provider: ended[0].provider, token: how.accessToken, kind: "access" });
  const revocations = tokens.flatMap(({ provider, token, kind }) => {
    const revoke = deps.config.providers.get(provider)?.revoke;
    if (!revoke) return [];
    return [revoke(token, kind).catch((error) => deps.audit("provider_revoke_failed", { provider, reason: error instanceof AuthError ? error.code : "unknown" }))];
  });
  if (revocations.length) deps.waitUntil(Promise.all(revocations));
}

/**
 * Ends one session — with the others of its family, one sign-in across app
 * origins — (with `owner`, only if it is theirs); null when there was no
 * live session to end.
 */
export async function endSession(deps: SessionDeps, sessionId: string, how: RevocationContext & { owner?: string }): Promise<Revoked | null> {
  const ended = await revokeSession(deps.db, sessionId, deps.now(), how.kind, how.owner);
  await Promise.all(ended.map((row) => revokeSessionId(deps.kv, deps.config, row.id)));
  await finish(deps, ended, how);
  return ended[0] ?? null;
}

/** Ids per round: with the statement's own five, under D1's 100 bound parameters. */
const ROUND = 90;
/** Revocation entries one request may write: far above `MAX_SESSIONS`, well within a Worker's 1,000 KV operations. */
const MAX_ENTRIES = 500;

/**
 * Ends a user's live sessions but `except` and the newest `keep`, however
 * many. Only sessions whose cookie was issued within `ACCESS_TTL` plus the
 * revocation window can still be presented, so only they get a revocation
 * entry — written, in parallel, before D1 marks them ended: a request cut
 * short leaves them live in D1, and a retry finishes the job. The others
 * need D1 alone (their next renewal asks it).
 */
export async function endSessions(deps: SessionDeps, userKey: string, how: RevocationContext & { except?: string; keep?: number }): Promise<Revoked[]> {
  const { config } = deps;
  const now = deps.now();
  const targets: Targets = [userKey, how.except ?? "", now, how.keep ?? 0, now - config.accessTtl - revocationWindow(config)];
  const ended: Revoked[] = [];
  for (let round = 0, written = 0; ; round++) {
    const ids = await recentTargets(deps.db, targets, ROUND);
    // The first round also ended every session without a live cookie: what
    // is left was renewed meanwhile, or did not fit in one round.
    if (round && !ids.length) return ended;
    if ((written += ids.length) > MAX_ENTRIES) throw unavailable();
    await Promise.all(ids.map((id) => revokeSessionId(deps.kv, config, id)));
    const rows = await revokeTargets(deps.db, targets, ids, how.kind);
    await finish(deps, rows, how);
    ended.push(...rows);
  }
}

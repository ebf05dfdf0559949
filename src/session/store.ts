import { run } from "../platform/d1";

/**
 * The refresh records in D1: one row per session. Every read-modify-write
 * is a single conditional statement — never read-then-write — so two
 * requests racing on the same row cannot both win.
 */
export interface SessionRecord {
  id: string;
  user_key: string;
  provider: string;
  secret_hash: string;
  previous_secret_hash: string | null;
  /** When the current secret replaced the previous one (epoch seconds). */
  rotated_at: number | null;
  /** The provider's refresh token, sealed under the `provider-token` key. */
  provider_refresh_token: string | null;
  device: string | null;
  /** The User-Agent at sign-in, for naming the device in the owner's browser. */
  user_agent: string | null;
  country: string | null;
  /** The app origin whose cookies hold it; null: the worker's own origin. */
  origin: string | null;
  /** The session it was handed off from; null: none, it heads its own family. */
  family: string | null;
  remember: number;
  created_at: number;
  last_used_at: number;
  idle_expires_at: number;
  expires_at: number;
  revoked_at: number | null;
  /** Device-bound sessions (migration 0010): the registered key (a JWK, JSON) and its thumbprint; null when not bound. */
  device_key: string | null;
  device_key_thumbprint: string | null;
  /** When the last challenge a proof answered was issued (epoch ms). */
  device_proof_at: number | null;
  /** The session cookie's claims, sealed (`bound-claims`), for refreshes without a cookie. */
  device_claims: string | null;
}

/**
 * A session that renews by its device's proof only: bound itself, or
 * handed off from one that is (its family's head) — or a copied cookie jar
 * would get an unbound session on an app origin out of a bound one.
 */
const BOUND = "(device_key IS NOT NULL OR EXISTS (SELECT 1 FROM sessions h WHERE h.id = sessions.family AND h.device_key IS NOT NULL))";

const placeholders = (count: number, from: number) => Array.from({ length: count }, (_, i) => `?${from + i}`).join(", ");

export type NewRecord = Omit<SessionRecord, "previous_secret_hash" | "rotated_at" | "revoked_at" | `device_${string}`>;

export function insertSession(db: D1Database, record: NewRecord): Promise<unknown> {
  return run(() =>
    db
      .prepare(
        `INSERT INTO sessions (id, user_key, provider, secret_hash, provider_refresh_token, device, user_agent, country, origin, family, remember,
           created_at, last_used_at, idle_expires_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)`,
      )
      .bind(
        record.id,
        record.user_key,
        record.provider,
        record.secret_hash,
        record.provider_refresh_token,
        record.device,
        record.user_agent,
        record.country,
        record.origin,
        record.family,
        record.remember,
        record.created_at,
        record.last_used_at,
        record.idle_expires_at,
        record.expires_at,
      )
      .run(),
  );
}

export type Rotated = Pick<SessionRecord, "user_key" | "provider" | "provider_refresh_token" | "remember" | "idle_expires_at" | "expires_at">;
const rotatedColumns = "user_key, provider, provider_refresh_token, remember, idle_expires_at, expires_at";
/** A renewal's new idle end: the session's end with remember-me, else ?2 (now) + ?3 (SESSION_IDLE_TTL) within it. */
const idleEnd = "idle_expires_at = CASE WHEN remember = 1 THEN expires_at ELSE min(expires_at, ?2 + ?3) END";
const live = "revoked_at IS NULL AND ?2 < expires_at AND ?2 < idle_expires_at";

/**
 * Replaces the refresh secret if — and only if — `presented` (the hashes of
 * the secret the client sent, one per configured key) is the current one,
 * the session is live and not device-bound. Null means nothing changed: the
 * secret was stale, the session ended or is bound, or another request
 * rotated it first.
 */
export function rotateSecret(db: D1Database, args: { id: string; presented: string[]; next: string; now: number; idleTtl: number }): Promise<Rotated | null> {
  const { id, presented, next, now, idleTtl } = args;
  return run(() =>
    db
      .prepare(
        `UPDATE sessions
            SET previous_secret_hash = secret_hash, secret_hash = ?1, rotated_at = ?2, last_used_at = ?2, ${idleEnd}
          WHERE id = ?4 AND secret_hash IN (${placeholders(presented.length, 5)}) AND ${live} AND NOT ${BOUND}
          RETURNING ${rotatedColumns}`,
      )
      .bind(next, now, idleTtl, id, ...presented)
      .first<Rotated>(),
  );
}

/** Whether a record's session is still live at `now`: not ended, neither idle nor past its absolute end. */
export const isLive = (record: SessionRecord | null, now: number): record is SessionRecord =>
  record !== null && record.revoked_at === null && now < record.expires_at && now < record.idle_expires_at;

/** A session's record; `bound`: 1 when it renews by its device's proof only (see BOUND). */
export function findSession(db: D1Database, id: string): Promise<(SessionRecord & { bound: number }) | null> {
  return run(() => db.prepare(`SELECT *, ${BOUND} AS bound FROM sessions WHERE id = ?1`).bind(id).first<SessionRecord & { bound: number }>());
}

/**
 * Binds a live, unbound session to a device's key: once, whatever races,
 * and never one whose family is bound already (it lives by that binding).
 * `issuedAt`: the registration challenge's issue time, below which no
 * later challenge can fall. False when nothing changed.
 */
export async function bindDevice(db: D1Database, args: { id: string; jwk: string; jkt: string; issuedAt: number; claims: string; now: number }): Promise<boolean> {
  const { id, jwk, jkt, issuedAt, claims, now } = args;
  const row = await run(() =>
    db
      .prepare(
        `UPDATE sessions SET device_key = ?3, device_key_thumbprint = ?4, device_proof_at = ?5, device_claims = ?6
          WHERE id = ?1 AND NOT ${BOUND} AND ${live} RETURNING id`,
      )
      .bind(id, now, jwk, jkt, issuedAt, claims)
      .first(),
  );
  return row !== null;
}

export type Proved = Rotated & Pick<SessionRecord, "secret_hash" | "device_claims">;

/**
 * A refresh by proof, in one conditional statement: the key is the one
 * registered (`jkt`), the challenge was issued after the last one answered
 * (so each is good once, and an older one is dead once a newer one is
 * used), and the session is live; it is marked used as a renewal marks it.
 * Null when nothing changed.
 */
export function proveDevice(db: D1Database, args: { id: string; jkt: string; issuedAt: number; now: number; idleTtl: number }): Promise<Proved | null> {
  const { id, jkt, issuedAt, now, idleTtl } = args;
  return run(() =>
    db
      .prepare(
        `UPDATE sessions SET device_proof_at = ?4, last_used_at = ?2, ${idleEnd}
          WHERE id = ?1 AND device_key_thumbprint = ?5 AND device_proof_at < ?4 AND ${live}
          RETURNING ${rotatedColumns}, secret_hash, device_claims`,
      )
      .bind(id, now, idleTtl, issuedAt, jkt)
      .first<Proved>(),
  );
}

/** Stores a bound session's claims anew (a renewed provider token, a step-up), only while that key is its own. */
export function storeDeviceClaims(db: D1Database, id: string, jkt: string, claims: string): Promise<unknown> {
  return run(() => db.prepare("UPDATE sessions SET device_claims = ?1 WHERE id = ?2 AND device_key_thumbprint = ?3").bind(claims, id, jkt).run());
}

/** Stores a renewed provider refresh token, only on the row as this request left it. */
export function storeProviderRefreshToken(db: D1Database, id: string, secretHash: string, sealed: string): Promise<unknown> {
  return run(() =>
    db.prepare("UPDATE sessions SET provider_refresh_token = ?1 WHERE id = ?2 AND secret_hash = ?3").bind(sealed, id, secretHash).run(),
  );
}

export type Revoked = Pick<SessionRecord, "id" | "user_key" | "provider" | "provider_refresh_token">;
const revokedColumns = "id, user_key, provider, provider_refresh_token";

/** How a session ended when revoked at ?1: `kind`, unless it was over already (it keeps its own end then). */
const endedBy = (kind: string) => `CASE WHEN ?1 < idle_expires_at AND ?1 < expires_at THEN ${kind} ELSE 'expired' END`;

/**
 * Ends a session and the rest of its family — the sessions one sign-in
 * made on app origins, and the one they were handed off from; with
 * `userKey`, only if the session belongs to that user. The session named
 * comes first; empty when nothing live was ended.
 */
export async function revokeSession(db: D1Database, id: string, now: number, kind: string, userKey?: string): Promise<Revoked[]> {
  const owner = userKey === undefined ? "" : " AND user_key = ?4";
  const statement = db.prepare(
    `WITH f AS (SELECT coalesce(family, id) AS id FROM sessions WHERE (id = ?2 OR family = ?2)${owner} LIMIT 1)
     UPDATE sessions SET revoked_at = min(?1, idle_expires_at, expires_at), ended_by = ${endedBy("?3")}
      WHERE (id IN f OR family IN f) AND revoked_at IS NULL RETURNING ${revokedColumns}`,
  );
  const { results } = await run(() => (userKey === undefined ? statement.bind(now, id, kind) : statement.bind(now, id, kind, userKey)).all<Revoked>());
  return results.sort((a, b) => +(b.id === id) - +(a.id === id));
}

/**
 * Which of a user's sessions an "end them" targets: the live ones but
 * `except` (a session id, or "") and the newest `keep`. Sessions whose last
 * cookie was issued (created or renewed: `last_used_at`) before `since`
 * can have no live cookie left.
 */
export type Targets = [userKey: string, except: string, now: number, keep: number, since: number];

const targeted = `id IN (SELECT id FROM sessions WHERE user_key = ?1 AND id != ?2 AND revoked_at IS NULL AND ?3 < expires_at AND ?3 < idle_expires_at ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET ?4)`;

/** Up to `limit` targeted sessions that may still have a live cookie: those need a revocation entry. */
export async function recentTargets(db: D1Database, targets: Targets, limit: number): Promise<string[]> {
  const { results } = await run(() => db.prepare(`SELECT id FROM sessions WHERE ${targeted} AND last_used_at >= ?5 LIMIT ?6`).bind(...targets, limit).all<{ id: string }>());
  return results.map((row) => row.id);
}

/**
 * Ends the targeted sessions whose cookies cannot be live any more, and
 * those of `entered` (already on the revocation list). One renewed since
 * `recentTargets` looked is left for the next round.
 */
export async function revokeTargets(db: D1Database, targets: Targets, entered: string[], kind: string): Promise<Revoked[]> {
  const { results } = await run(() =>
    db
      .prepare(`UPDATE sessions SET revoked_at = ?3, ended_by = ?6 WHERE ${targeted} AND (last_used_at < ?5 OR id IN (${placeholders(entered.length, 7)})) RETURNING ${revokedColumns}`)
      .bind(...targets, kind, ...entered)
      .all<Revoked>(),
  );
  return results;
}

/** A browser's live sessions, one family (see `revokeSession`) as one: `id` is the family's. */
export type ActiveSession = Pick<SessionRecord, "id" | "device" | "user_agent" | "country" | "created_at" | "last_used_at"> & {
  ends_at: number;
  /** The app origins among them, space-separated; "" for the worker's own. */
  origins: string;
  /** 1 when `current` is one of them. */
  current: number;
  /** 1 when the browser's session at the worker's origin is device-bound (its apps' sessions renew by proof too). */
  bound: number;
};

/** Up to `limit` of a user's live session families, newest first, from after (`created_at`, `id`) on. */
export async function listUserSessions(db: D1Database, userKey: string, now: number, createdAt: number, id: string, limit: number, current: string): Promise<ActiveSession[]> {
  const { results } = await run(() =>
    db
      .prepare(
        `SELECT coalesce(family, id) AS id, device, user_agent, country, min(created_at) AS created_at, max(last_used_at) AS last_used_at,
                max(min(idle_expires_at, expires_at)) AS ends_at, group_concat(coalesce(origin, ''), ' ') AS origins, max(id = ?6) AS current,
                max(device_key IS NOT NULL AND family IS NULL) AS bound
           FROM sessions WHERE user_key = ?1 AND revoked_at IS NULL AND ?2 < expires_at AND ?2 < idle_expires_at
          GROUP BY coalesce(family, id) HAVING (min(created_at), coalesce(family, id)) < (?3, ?4)
          ORDER BY created_at DESC, id DESC LIMIT ?5`,
      )
      .bind(userKey, now, createdAt, id, limit, current)
      .all<ActiveSession>(),
  );
  return results;
}

/**
 * Forgets up to `batch` endings (session_endings) and as many security
 * events from before `before`, which no metrics window reaches. Returns the
 * larger count: under `batch`, both are done.
 */
export async function deleteOldMetrics(db: D1Database, before: number, batch: number): Promise<number> {
  const results = await run(() =>
    db.batch([
      db.prepare("DELETE FROM session_endings WHERE rowid IN (SELECT rowid FROM session_endings WHERE ended_at < ?1 LIMIT ?2)").bind(before, batch),
      db.prepare("DELETE FROM security_events WHERE rowid IN (SELECT rowid FROM security_events WHERE at < ?1 LIMIT ?2)").bind(before, batch),
    ]),
  );
  return Math.max(...results.map((result) => result.meta.changes));
}

/**
 * Deletes up to `batch` records that can no longer matter: ended — expired,
 * idle or revoked — before `before`. Returns how many went.
 */
export async function deleteSpentSessions(db: D1Database, before: number, batch: number): Promise<number> {
  const spent = "SELECT id FROM sessions WHERE expires_at <= ?1 OR idle_expires_at <= ?1 OR revoked_at <= ?1 LIMIT ?2";
  // One transaction: a sign-in's session leaves its ending behind for the metrics as its record goes.
  const [, deleted] = await run(() =>
    db.batch([
      db
        .prepare(
          `INSERT INTO session_endings (ended_at, created_at, kind)
           SELECT coalesce(revoked_at, min(idle_expires_at, expires_at)), created_at, coalesce(ended_by, iif(revoked_at IS NULL, 'expired', 'unknown'))
             FROM sessions WHERE id IN (${spent}) AND family IS NULL`,
        )
        .bind(before, batch),
      db.prepare(`DELETE FROM sessions WHERE id IN (${spent})`).bind(before, batch),
    ]),
  );
  return deleted!.meta.changes;
}

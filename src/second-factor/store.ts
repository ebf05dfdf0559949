import { run } from "../platform/d1";

/**
 * The second-factor tables in D1 (migrations/0002_second_factor.sql). As
 * with the refresh records, every read-modify-write is one conditional
 * statement.
 */
export interface SecondFactorRecord {
  user_key: string;
  /** The TOTP key, sealed under the data key's `totp` key (src/data-key.ts). */
  secret: string;
  enabled_at: number | null;
  last_step: number;
  device_key: string;
  created_at: number;
  /** Codes counted as wrong since the last right one (migrations/0003_second_factor_failures.sql). */
  failures: number;
  /** No code is checked before this (epoch seconds). */
  blocked_until: number;
  /** The failures that preceded the latest right code, for the Security page. */
  failures_before_success: number;
}

export function findSecondFactor(db: D1Database, userKey: string): Promise<SecondFactorRecord | null> {
  return run(() => db.prepare("SELECT * FROM second_factors WHERE user_key = ?1").bind(userKey).first<SecondFactorRecord>());
}

/** Starts (or restarts) an enrollment; false when the user already has a second factor on. */
export async function putPendingSecondFactor(db: D1Database, userKey: string, sealedSecret: string, deviceKey: string, now: number): Promise<boolean> {
  const result = await run(() =>
    db
      .prepare(
        `INSERT INTO second_factors (user_key, secret, enabled_at, last_step, device_key, created_at)
         VALUES (?1, ?2, NULL, 0, ?3, ?4)
         ON CONFLICT (user_key) DO UPDATE SET secret = excluded.secret, device_key = excluded.device_key, created_at = excluded.created_at
         WHERE second_factors.enabled_at IS NULL`,
      )
      .bind(userKey, sealedSecret, deviceKey, now)
      .run(),
  );
  return result.meta.changes === 1;
}

/**
 * Records that the code of TOTP time step `step` was used, only if no code
 * of that step or a later one was: each code works once. With `enabling`,
 * also turns a pending enrollment on (and requires it to be pending).
 */
export async function useTimeStep(db: D1Database, userKey: string, step: number, enabling: { now: number } | null): Promise<boolean> {
  const statement = enabling
    ? db
        .prepare("UPDATE second_factors SET last_step = ?1, enabled_at = ?3 WHERE user_key = ?2 AND enabled_at IS NULL AND last_step < ?1")
        .bind(step, userKey, enabling.now)
    : db.prepare("UPDATE second_factors SET last_step = ?1 WHERE user_key = ?2 AND enabled_at IS NOT NULL AND last_step < ?1").bind(step, userKey);
  const result = await run(() => statement.run());
  return result.meta.changes === 1;
}

export async function storeRecoveryCodes(db: D1Database, userKey: string, hashes: string[]): Promise<void> {
  await run(() =>
    db.batch([
      db.prepare("DELETE FROM recovery_codes WHERE user_key = ?1").bind(userKey),
      ...hashes.map((hash) => db.prepare("INSERT INTO recovery_codes (user_key, code_hash) VALUES (?1, ?2)").bind(userKey, hash)),
    ]),
  );
}

/** Spends a recovery code (given as its hash under each configured key): true exactly once per code. */
export async function useRecoveryCode(db: D1Database, userKey: string, hashes: string[]): Promise<boolean> {
  const list = hashes.map((_, i) => `?${i + 2}`).join(", ");
  const result = await run(() =>
    db
      .prepare(`DELETE FROM recovery_codes WHERE user_key = ?1 AND code_hash IN (${list})`)
      .bind(userKey, ...hashes)
      .run(),
  );
  return result.meta.changes === 1;
}

export async function countRecoveryCodes(db: D1Database, userKey: string): Promise<number> {
  const row = await run(() => db.prepare("SELECT count(*) AS left FROM recovery_codes WHERE user_key = ?1").bind(userKey).first<{ left: number }>());
  return row?.left ?? 0;
}

export async function deleteSecondFactor(db: D1Database, userKey: string): Promise<void> {
  await run(() =>
    db.batch([
      db.prepare("DELETE FROM second_factors WHERE user_key = ?1").bind(userKey),
      db.prepare("DELETE FROM recovery_codes WHERE user_key = ?1").bind(userKey),
      db.prepare("DELETE FROM passkeys WHERE user_key = ?1").bind(userKey),
    ]),
  );
}

/**
 * Up to `batch` enrollments after `after` (by user) whose TOTP key was not
 * sealed with `header`, the data key's: sealed before it existed.
 */
export async function legacySecondFactors(db: D1Database, header: string, after: string, batch: number): Promise<{ user_key: string; secret: string }[]> {
  const { results } = await run(() =>
    db
      .prepare("SELECT user_key, secret FROM second_factors WHERE user_key > ?1 AND substr(secret, 1, length(?2)) != ?2 ORDER BY user_key LIMIT ?3")
      .bind(after, header, batch)
      .all<{ user_key: string; secret: string }>(),
  );
  return results;
}

/** Replaces a sealed TOTP key, only if unchanged since it was read; the rows changed. */
export async function resealSecondFactor(db: D1Database, userKey: string, from: string, to: string): Promise<number> {
  const result = await run(() => db.prepare("UPDATE second_factors SET secret = ?3 WHERE user_key = ?1 AND secret = ?2").bind(userKey, from, to).run());
  return result.meta.changes;
}

/** Forgets every remembered device of the user. */
export async function rotateDeviceKey(db: D1Database, userKey: string, deviceKey: string): Promise<void> {
  await run(() => db.prepare("UPDATE second_factors SET device_key = ?2 WHERE user_key = ?1").bind(userKey, deviceKey).run());
}

/** How long each counted failure blocks the next code. */
export interface BackOff {
  /** From this many failures in a row, the next code waits 2^(failures - waitAfter) seconds… */
  waitAfter: number;
  /** …but no longer than this… */
  maxWait: number;
  /** …until this many, from which each failure locks the second factor… */
  lockAfter: number;
  /** …for this many seconds. */
  lockFor: number;
}

/**
 * Claims the right to check one code, counted as a failure (and blocking
 * the next one as a failure would) until `succeedCodeCheck` says otherwise:
 * racing attempts are counted, and a check cut short counts against the
 * guesser. Null: the user is blocked until some later time.
 */
export function claimCodeCheck(db: D1Database, userKey: string, now: number, backOff: BackOff): Promise<{ failures: number; blocked_until: number } | null> {
  return run(() =>
    db
      .prepare(
        `UPDATE second_factors
            SET failures = failures + 1,
                blocked_until = ?2 + CASE
                  WHEN failures + 1 >= ?5 THEN ?6
                  WHEN failures + 1 >= ?3 THEN min(1 << (failures + 1 - ?3), ?4)
                  ELSE 0 END
          WHERE user_key = ?1 AND enabled_at IS NOT NULL AND blocked_until <= ?2
          RETURNING failures, blocked_until`,
      )
      .bind(userKey, now, backOff.waitAfter, backOff.maxWait, backOff.lockAfter, backOff.lockFor)
      .first<{ failures: number; blocked_until: number }>(),
  );
}

/** The claimed code was right: it was no failure, and the ones before it no longer count towards a wait. */
export async function succeedCodeCheck(db: D1Database, userKey: string): Promise<void> {
  await run(() =>
    db
      .prepare("UPDATE second_factors SET failures_before_success = max(failures - 1, 0), failures = 0, blocked_until = 0 WHERE user_key = ?1")
      .bind(userKey)
      .run(),
  );
}

/**
 * Claims one attempt at a pending sign-in; false once five have been made
 * (or the sign-in was completed), whoever races.
 */
export async function claimAttempt(db: D1Database, pendingId: string, expiresAt: number, maxAttempts: number): Promise<number | null> {
  const row = await run(() =>
    db
      .prepare(
        `INSERT INTO pending_signins (id, attempts, expires_at) VALUES (?1, 1, ?2)
         ON CONFLICT (id) DO UPDATE SET attempts = attempts + 1 WHERE attempts < ?3
         RETURNING attempts`,
      )
      .bind(pendingId, expiresAt, maxAttempts)
      .first<{ attempts: number }>(),
  );
  return row?.attempts ?? null;
}

/**
 * Marks a pending sign-in completed, so its verify cookie can never be used
 * again — once: of two requests completing it at the same moment (two
 * right codes), only one is told it may. Completed is one past the last
 * attempt, which an attempt can reach but never pass.
 */
export async function completePendingSignIn(db: D1Database, pendingId: string, maxAttempts: number): Promise<boolean> {
  const result = await run(() =>
    db.prepare("UPDATE pending_signins SET attempts = ?2 + 1 WHERE id = ?1 AND attempts <= ?2").bind(pendingId, maxAttempts).run(),
  );
  return result.meta.changes === 1;
}

export async function deleteExpiredPendingSignIns(db: D1Database, now: number, batch: number): Promise<number> {
  const result = await run(() =>
    db.prepare("DELETE FROM pending_signins WHERE id IN (SELECT id FROM pending_signins WHERE expires_at <= ?1 LIMIT ?2)").bind(now, batch).run(),
  );
  return result.meta.changes;
}

/** A passkey or security key of a user (migrations/0009_passkeys.sql). */
export interface PasskeyRecord {
  id: string;
  user_key: string;
  name: string;
  /** The public key as a JWK (JSON). */
  public_key: string;
  /** COSE: -7 ES256, -8 EdDSA (Ed25519). */
  algorithm: number;
  sign_count: number;
  /** Comma-separated, as the browser reported them. */
  transports: string;
  backup_eligible: number;
  backed_up: number;
  aaguid: string;
  created_at: number;
  last_used_at: number | null;
}

export function listPasskeys(db: D1Database, userKey: string): Promise<PasskeyRecord[]> {
  return run(async () => (await db.prepare("SELECT * FROM passkeys WHERE user_key = ?1 ORDER BY created_at").bind(userKey).all<PasskeyRecord>()).results);
}

/** Adds a passkey; false when that credential is registered already (to anyone). */
export async function insertPasskey(db: D1Database, record: PasskeyRecord): Promise<boolean> {
  const { id, user_key, name, public_key, algorithm, sign_count, transports, backup_eligible, backed_up, aaguid, created_at } = record;
  const result = await run(() =>
    db
      .prepare(
        `INSERT INTO passkeys (id, user_key, name, public_key, algorithm, sign_count, transports, backup_eligible, backed_up, aaguid, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (id) DO NOTHING`,
      )
      .bind(id, user_key, name, public_key, algorithm, sign_count, transports, backup_eligible, backed_up, aaguid, created_at)
      .run(),
  );
  return result.meta.changes === 1;
}

/**
 * Records a use: only if the counter went up (or the authenticator keeps
 * none: 0 then and now), in one statement, so that two racing assertions
 * with one counter value cannot both pass. False: a counter that did not
 * move forward — a cloned authenticator, or a replay.
 */
export async function usePasskey(db: D1Database, id: string, userKey: string, counter: number, backedUp: boolean, now: number): Promise<boolean> {
  const result = await run(() =>
    db
      .prepare(
        `UPDATE passkeys SET sign_count = ?3, backed_up = ?4, last_used_at = ?5
         WHERE id = ?1 AND user_key = ?2 AND (sign_count < ?3 OR (sign_count = 0 AND ?3 = 0))`,
      )
      .bind(id, userKey, counter, backedUp ? 1 : 0, now)
      .run(),
  );
  return result.meta.changes === 1;
}

export async function deletePasskey(db: D1Database, id: string, userKey: string): Promise<boolean> {
  const result = await run(() => db.prepare("DELETE FROM passkeys WHERE id = ?1 AND user_key = ?2").bind(id, userKey).run());
  return result.meta.changes === 1;
}

export function putChallenge(db: D1Database, hash: string, purpose: string, owner: string, expiresAt: number): Promise<unknown> {
  return run(() => db.prepare("INSERT INTO webauthn_challenges (hash, purpose, owner, expires_at) VALUES (?1, ?2, ?3, ?4)").bind(hash, purpose, owner, expiresAt).run());
}

/** Spends a challenge: true once, for its purpose and owner, before it expires. */
export async function takeChallenge(db: D1Database, hash: string, purpose: string, owner: string, now: number): Promise<boolean> {
  const row = await run(() =>
    db.prepare("DELETE FROM webauthn_challenges WHERE hash = ?1 AND purpose = ?2 AND owner = ?3 AND expires_at > ?4 RETURNING hash").bind(hash, purpose, owner, now).first(),
  );
  return row !== null;
}

export async function deleteExpiredChallenges(db: D1Database, now: number, batch: number): Promise<number> {
  const result = await run(() =>
    db.prepare("DELETE FROM webauthn_challenges WHERE rowid IN (SELECT rowid FROM webauthn_challenges WHERE expires_at <= ?1 LIMIT ?2)").bind(now, batch).run(),
  );
  return result.meta.changes;
}

import type { Config } from "../config/config";
import { resealLegacyTOTPKeys } from "../second-factor/data-key";
import { audit } from "../platform/log";
import { AuthError } from "../errors";
import { revocationWindow } from "./revocations";
import { deleteExpiredChallenges, deleteExpiredPendingSignIns } from "../second-factor/store";
import { deleteOldMetrics, deleteSpentSessions } from "./store";
import { METRICS_RETENTION } from "./metrics";
import { deleteExpiredHandoffs } from "../signin/handoff";
import { nowSeconds } from "../platform/time";

const BATCH = 500;
const MAX_BATCHES = 20;

/**
 * The Cron Trigger's job: delete refresh records once they have been over —
 * expired, idle or revoked — for longer than the revocation window, so that
 * "sign out everywhere" and an admin's "end all" still find every session a
 * cookie or token could name, leaving each sign-in's ending behind for the
 * metrics (kept 8 days, as are the security events); expired pending sign-ins, handoff codes and WebAuthn challenges; and the second
 * factor's data key after a rotation (src/data-key.ts). In bounded
 * batches, so one run never holds D1 for long.
 */
export async function cleanUp(db: D1Database, config: Config, now = nowSeconds()): Promise<number> {
  let deleted = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const removed = await deleteSpentSessions(db, now - revocationWindow(config), BATCH);
    deleted += removed;
    if (removed < BATCH) break;
  }
  let pending = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const removed = await deleteExpiredPendingSignIns(db, now, BATCH);
    pending += removed;
    if (removed < BATCH) break;
  }
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    if ((await deleteOldMetrics(db, now - METRICS_RETENTION, BATCH)) < BATCH) break;
  }
  let challenges = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const removed = await deleteExpiredChallenges(db, now, BATCH);
    challenges += removed;
    if (removed < BATCH) break;
  }
  let handoffs = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const removed = await deleteExpiredHandoffs(db, now, BATCH);
    handoffs += removed;
    if (removed < BATCH) break;
  }
  // Re-wraps the data key within one run of a rotation (so the old secret can go), and moves older TOTP keys onto it.
  const totpResealed = await resealLegacyTOTPKeys(db, config.secrets).catch((error) => (error instanceof AuthError ? error.code : "unavailable"));
  audit("cleanup", { deleted, pendingSignIns: pending, handoffs, challenges, totpResealed });
  return deleted;
}

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
  const deleted = await inBatches((batch) => deleteSpentSessions(db, now - revocationWindow(config), batch));
  const pending = await inBatches((batch) => deleteExpiredPendingSignIns(db, now, batch));
  await inBatches((batch) => deleteOldMetrics(db, now - METRICS_RETENTION, batch));
  const challenges = await inBatches((batch) => deleteExpiredChallenges(db, now, batch));
  const handoffs = await inBatches((batch) => deleteExpiredHandoffs(db, now, batch));
  // Re-wraps the data key within one run of a rotation (so the old secret can go), and moves older TOTP keys onto it.
  const totpResealed = await resealLegacyTOTPKeys(db, config.secrets).catch((error) => (error instanceof AuthError ? error.code : "unavailable"));
  audit("cleanup", { deleted, pendingSignIns: pending, handoffs, challenges, totpResealed });
  return deleted;
}

/** Runs a deletion of up to `BATCH` rows until one deletes fewer, `MAX_BATCHES` at most; how many went in all. */
async function inBatches(deleteBatch: (batch: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const removed = await deleteBatch(BATCH);
    total += removed;
    if (removed < BATCH) break;
  }
  return total;
}

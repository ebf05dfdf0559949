import type { Context } from "hono";
import type { AuditEvent, AuditFields } from "./log";
import { nowSeconds } from "./time";

/**
 * The audit events the admin console lists or counts as failures
 * (`securityEvents` in src/session/metrics.ts): each needs someone the
 * provider has identified, a session's cookie, or an admin. Refused
 * sign-ins count only once the provider has said whose they are: before
 * that (a forged state, a bare callback, a provider that is down) anyone
 * could write them, to fill D1 or bury the events that matter — those
 * stay in the log and Analytics Engine. Of `revoked`, only an admin's.
 * None is written by a normal request, or by a sign-in that succeeds.
 */
const RECORDED = new Set<AuditEvent>([
  "signin_refused",
  "second_factor_failed",
  "second_factor_locked",
  "refresh_reuse",
  "second_factor_reset",
  "passkey_refused",
  // A device-bound session's refresh proved by another key, or renewed by its refresh cookie: a copied cookie jar, most likely.
  "device_proof_refused",
  "device_bound_refused",
]);

/**
 * Adds the event to D1's `security_events` (migration 0008), after the
 * answer (`waitUntil`): a request never waits for it or fails with it.
 * Identifiers only, cut to size: what `audit` is given never holds a
 * token or code.
 */
export function recordSecurityEvent(c: Context, event: AuditEvent, fields: AuditFields, ip: string | undefined): void {
  if (event === "revoked" ? fields.kind !== "admin" : !RECORDED.has(event) || !fields.user) return;
  const text = (value: unknown) => (value === undefined ? null : String(value).slice(0, 256));
  const detail = fields.kind ?? fields.reason;
  try {
    const db = (c.env as { DB?: D1Database }).DB!;
    const insert = db
      .prepare("INSERT INTO security_events (at, event, user_key, detail, by_user, ip) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
      .bind(nowSeconds(), event, text(fields.user), text(fields.provider && detail ? `${fields.provider}: ${detail}` : detail), text(fields.by), text(ip));
    c.executionCtx.waitUntil(insert.run().catch(() => undefined));
  } catch {
    // No database or no execution context (a unit's own Context): an event the console misses.
  }
}

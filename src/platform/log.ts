import type { Context } from "hono";
import { recordSecurityEvent } from "./security-events";

export type AuditEvent =
  | "signin"
  | "signin_refused"
  | "allowlist_recheck_failed"
  | "signin_second_factor"
  | "signout"
  | "session_renewed"
  | "renewal_deferred"
  | "refresh_reuse"
  | "revoked"
  | "provider_refresh"
  | "provider_refresh_failed"
  | "provider_revoke_failed"
  | "cleanup"
  | "rate_limited"
  | "rate_limit_unavailable"
  | "second_factor_enrolled"
  | "second_factor_enabled"
  | "recovery_codes_renewed"
  | "second_factor_disabled"
  | "second_factor_success"
  | "second_factor_failed"
  | "second_factor_locked"
  | "second_factor_reset"
  | "key_not_found"
  | "config_invalid"
  | "config_warning"
  | "database_error"
  | "allowlist_login_match"
  | "allowlist_login_ignored"
  | "handoff"
  | "handoff_refused"
  | "passkey_registered"
  | "passkey_removed"
  | "passkey_refused"
  | "device_bound"
  | "device_registration_refused"
  | "device_proof_refused"
  | "device_challenge_stale"
  | "device_bound_refused"
  | "error";

export interface AuditFields {
  sessionId?: string;
  user?: string;
  reason?: string;
  [field: string]: string | number | boolean | undefined;
}

/**
 * One JSON line per security-relevant event, collected by Workers Logs and
 * `wrangler tail`, and — with the `ANALYTICS` binding, for a request — one
 * Workers Analytics Engine data point: blobs event, user, provider, kind or
 * reason, country; double 1 (README, "Metrics") — and, for the events the
 * admin console shows, a row in D1 (src/platform/security-events.ts).
 * Written, never awaited, so it costs a request nothing it waits for;
 * requests that log no event (a normal one) write none. Callers pass identifiers only — never a token,
 * secret, code or cookie value.
 */
export function audit(event: AuditEvent, fields: AuditFields = {}, c?: Context): void {
  const request = c?.req.raw as (Request & { cf?: { country?: string } }) | undefined;
  const country = request?.cf?.country;
  // The client's address as the app resolved it (behind TRUSTED_PROXIES,
  // the forwarded one); before that, what Cloudflare saw.
  const ip = c?.get("clientAddress") ?? request?.headers.get("CF-Connecting-IP") ?? undefined;
  console.log(
    JSON.stringify({
      event,
      at: new Date().toISOString(),
      ip,
      country,
      ...fields,
    }),
  );
  const blobs = [event, fields.user, fields.provider, fields.kind ?? fields.reason, country].map((value) => String(value ?? "").slice(0, 256));
  try {
    (c?.env as { ANALYTICS?: AnalyticsEngineDataset } | undefined)?.ANALYTICS?.writeDataPoint({ indexes: [event], blobs, doubles: [1] });
  } catch {
    // A metric lost is not worth a request.
  }
  if (c) recordSecurityEvent(c, event, fields, ip);
}

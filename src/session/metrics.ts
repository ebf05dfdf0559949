import { run } from "../platform/d1";

/** Endings are kept this long (src/session/cleanup.ts): the week's metrics count them. */
export const METRICS_RETENTION = 8 * 86_400;

/** The windows metrics are asked for, and the step of their sign-in series. */
export const WINDOWS = { "24h": { seconds: 86_400, step: 3_600 }, "7d": { seconds: 7 * 86_400, step: 86_400 } } as const;
export type MetricsWindow = keyof typeof WINDOWS;

/** A session that ended without being ended: its idle or absolute limit came first, within [?1, ?2). */
const EXPIRED = `revoked_at IS NULL AND ((idle_expires_at >= ?1 AND idle_expires_at < ?2 AND idle_expires_at <= expires_at) OR (expires_at >= ?1 AND expires_at < ?2 AND expires_at < idle_expires_at))`;
/**
 * Each sign-in that ended within [?1, ?2), once (a family's head: its
 * handoffs to app origins end with it), as kind and lifetime: those whose
 * record the cleanup has deleted, from what it left, and those still there.
 */
const ENDINGS = `SELECT kind, ended_at - created_at AS lived FROM session_endings WHERE ended_at >= ?1 AND ended_at < ?2
  UNION ALL SELECT coalesce(ended_by, 'unknown'), revoked_at - created_at FROM sessions WHERE revoked_at >= ?1 AND revoked_at < ?2 AND family IS NULL
  UNION ALL SELECT 'expired', min(idle_expires_at, expires_at) - created_at FROM sessions WHERE ${EXPIRED} AND family IS NULL`;
const LIVE = `?2 < expires_at AND ?2 < idle_expires_at AND revoked_at IS NULL`;

/**
 * The statements behind the metrics, bound as `?1` window start, `?2`
 * window end (now), `?3` series step. Each reads the sessions table through
 * an index (test/worker/metrics.test.ts asks SQLite's query plan).
 */
export const METRICS_SQL = {
  active: `SELECT provider, count(*) AS n, count(DISTINCT user_key) AS users FROM sessions WHERE ${LIVE} GROUP BY provider`,
  signIns: `SELECT CAST((created_at - ?1) / ?3 AS INTEGER) AS slot, count(*) AS n FROM (
            SELECT created_at FROM sessions WHERE created_at >= ?1 AND created_at < ?2 AND family IS NULL
            UNION ALL SELECT created_at FROM session_endings WHERE created_at >= ?1 AND created_at < ?2) GROUP BY slot`,
  ended: `SELECT kind, count(*) AS n, sum(lived) AS lived FROM (${ENDINGS}) GROUP BY kind`,
  median: `SELECT lived FROM (${ENDINGS}) ORDER BY lived LIMIT 1 OFFSET ?3`,
  // Bound as `?1` now. CROSS JOIN keeps SQLite to this order — the enrolled
  // users, then each one's sessions by index — rather than every session.
  secondFactor: `SELECT count(*) AS enabled, coalesce(sum(failures > 0), 0) AS failing, coalesce(sum(blocked_until > ?1), 0) AS blocked,
          (SELECT count(DISTINCT s.user_key) FROM second_factors f CROSS JOIN sessions s ON s.user_key = f.user_key
            WHERE f.enabled_at IS NOT NULL AND ?1 < s.expires_at AND ?1 < s.idle_expires_at AND s.revoked_at IS NULL) AS protected
          FROM second_factors WHERE enabled_at IS NOT NULL`,
} as const;

/** What counts as a failure in the metrics: a refused sign-in, a wrong second-factor code. */
const FAILED = `event IN ('signin_refused', 'second_factor_failed')`;

/** The admin console's statements on security_events (src/platform/security-events.ts), bound as METRICS_SQL's. */
export const EVENTS_SQL = {
  failures: `SELECT CAST((at - ?1) / ?3 AS INTEGER) AS slot, count(*) AS n FROM security_events WHERE at >= ?1 AND at < ?2 AND ${FAILED} GROUP BY slot`,
  // Bound also as `?4` the kind: each kind's newest apart, so that many of one (refused sign-ins) never hide another (a reuse).
  recent: `SELECT at, event, user_key AS user, detail, by_user AS "by", ip FROM security_events WHERE event = ?4 AND at >= ?1 AND at < ?2 ORDER BY at DESC LIMIT ?3`,
} as const;

/** The kinds the console lists (each wrong code is only counted, in `failures`), and how many of each, newest first. */
const LISTED = ["refresh_reuse", "device_proof_refused", "device_bound_refused", "second_factor_locked", "revoked", "second_factor_reset", "signin_refused"];
const RECENT_EVENTS = 20;

/** A security event as the admin console lists it. */
export interface SecurityEvent {
  at: string;
  /** One of LISTED: refresh_reuse, device_proof_refused, device_bound_refused, second_factor_locked, signin_refused, revoked (by an admin), second_factor_reset. */
  event: string;
  user: string | null;
  /** The reason or kind (a refused sign-in's is `provider: code`). */
  detail: string | null;
  /** The admin who acted. */
  by: string | null;
  ip: string | null;
}

export interface SessionMetrics {
  window: { from: string; to: string };
  /** Live sessions now, all and per provider, and the people they belong to. */
  active: { sessions: number; users: number; byProvider: Record<string, number> };
  /** Sign-ins (not handoffs to app origins) in the window: the total, and per hour (24h) or day (7d) from `from`. */
  signIns: Series;
  /** Refused sign-ins and wrong second-factor codes in the window, as `signIns`. */
  failures: Series;
  /** Sign-ins whose session ended in the window, by how: a revocation's kind, or `expired`. */
  ended: Record<string, number>;
  /** How long the sessions that ended in the window lived, in seconds; null when none did. */
  duration: { average: number | null; median: number | null };
  /**
   * People with the second factor on; the share of those signed in now who
   * have it; how many of them have wrong codes in a row, and how many must
   * wait before the next (back-off or lock).
   */
  secondFactor: { enabled: number; adoption: number | null; failing: number; blocked: number };
}

/** A count in the window, and per hour (24h) or day (7d) from its start. */
export interface Series {
  total: number;
  series: { at: string; count: number }[];
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** The metrics D1 can answer for the window ending `now` (epoch seconds): one batch, five statements, then the median. */
export async function sessionMetrics(db: D1Database, now: number, window: MetricsWindow): Promise<SessionMetrics> {
  const { seconds, step } = WINDOWS[window];
  const from = now - seconds;
  const [active, signIns, ended, factor, failures] = await run(() =>
    db.batch([
      db.prepare(METRICS_SQL.active).bind(from, now),
      db.prepare(METRICS_SQL.signIns).bind(from, now, step),
      db.prepare(METRICS_SQL.ended).bind(from, now),
      db.prepare(METRICS_SQL.secondFactor).bind(now),
      db.prepare(EVENTS_SQL.failures).bind(from, now, step),
    ]),
  );
  const rows = <T>(result: D1Result | undefined) => (result?.results ?? []) as T[];
  const byProvider: Record<string, number> = {};
  let sessions = 0;
  let users = 0;
  for (const row of rows<{ provider: string; n: number; users: number }>(active)) {
    byProvider[row.provider] = row.n;
    sessions += row.n;
    users += row.users;
  }
  const series = (result: D1Result | undefined): Series => {
    const counts = new Map(rows<{ slot: number; n: number }>(result).map((row) => [row.slot, row.n]));
    const slots = Array.from({ length: seconds / step }, (_, slot) => ({ at: iso(from + slot * step), count: counts.get(slot) ?? 0 }));
    return { total: slots.reduce((sum, slot) => sum + slot.count, 0), series: slots };
  };
  const endedBy: Record<string, number> = {};
  let count = 0;
  let lived = 0;
  for (const row of rows<{ kind: string; n: number; lived: number | null }>(ended)) {
    if (row.n) endedBy[row.kind] = row.n;
    count += row.n;
    lived += row.lived ?? 0;
  }
  const median = count ? await run(() => db.prepare(METRICS_SQL.median).bind(from, now, Math.floor((count - 1) / 2)).first<number>("lived")) : null;
  const { enabled, failing, blocked, protected: covered } = rows<{ enabled: number; failing: number; blocked: number; protected: number }>(factor)[0]!;
  return {
    window: { from: iso(from), to: iso(now) },
    active: { sessions, users, byProvider },
    signIns: series(signIns),
    failures: series(failures),
    ended: endedBy,
    duration: { average: count ? Math.round(lived / count) : null, median },
    secondFactor: { enabled, adoption: users ? Math.round((covered / users) * 1000) / 1000 : null, failing, blocked },
  };
}

/** The window's security events that need a look, newest first: at most 20 of each kind. */
export async function securityEvents(db: D1Database, now: number, window: MetricsWindow): Promise<SecurityEvent[]> {
  const statement = db.prepare(EVENTS_SQL.recent);
  const kinds = await run(() => db.batch<Omit<SecurityEvent, "at"> & { at: number }>(LISTED.map((kind) => statement.bind(now - WINDOWS[window].seconds, now, RECENT_EVENTS, kind))));
  return kinds
    .flatMap((kind) => kind.results)
    .sort((a, b) => b.at - a.at)
    .map((row) => ({ ...row, at: iso(row.at) }));
}

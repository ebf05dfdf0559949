import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { EVENTS_SQL, METRICS_SQL, securityEvents, sessionMetrics } from "../../src/session/metrics";
import { browse, call, LOCAL, signIn } from "./helpers";

const db = env.METRICS_DB;
/** A fixed "now" on an hour boundary: every answer below is worked out by hand from it. */
const T = 1_800_000_000;

interface Row {
  id: string;
  user: string;
  created: number;
  idle: number;
  expires: number;
  revoked?: number;
  endedBy?: string;
  family?: string;
}

const insert = ({ id, user, created, idle, expires, revoked, endedBy, family }: Row) =>
  db
    .prepare(
      `INSERT INTO sessions (id, user_key, provider, secret_hash, remember, created_at, last_used_at, idle_expires_at, expires_at, revoked_at, ended_by, family)
       VALUES (?1, ?2, ?3, 'h', 0, ?4, ?4, ?5, ?6, ?7, ?8, ?9)`,
    )
    .bind(id, user, user.split(":")[0], created, idle, expires, revoked ?? null, endedBy ?? null, family ?? null);

const factor = (user: string, enabled: boolean, failures = 0, blockedUntil = 0) =>
  db
    .prepare("INSERT INTO second_factors (user_key, secret, enabled_at, device_key, created_at, failures, blocked_until) VALUES (?1, 's', ?2, 'd', 0, ?3, ?4)")
    .bind(user, enabled ? T - 1000 : null, failures, blockedUntil);

describe("session metrics from D1", () => {
  beforeAll(async () => {
    await applyD1Migrations(db, env.TEST_MIGRATIONS);
  });

  it("answer an empty database with zeros and nulls, never an error", async () => {
    const metrics = await sessionMetrics(db, T, "24h");
    expect(metrics).toEqual({
      window: { from: new Date((T - 86_400) * 1000).toISOString(), to: new Date(T * 1000).toISOString() },
      active: { sessions: 0, users: 0, byProvider: {} },
      signIns: { total: 0, series: expect.any(Array) },
      failures: { total: 0, series: expect.any(Array) },
      ended: {},
      duration: { average: null, median: null },
      secondFactor: { enabled: 0, adoption: null, failing: 0, blocked: 0 },
    });
    expect(metrics.signIns.series).toHaveLength(24);
    expect(metrics.signIns.series.every((slot) => slot.count === 0)).toBe(true);
    expect(metrics.failures.series.map((slot) => slot.at)).toEqual(metrics.signIns.series.map((slot) => slot.at));
    expect(metrics.failures.series.every((slot) => slot.count === 0)).toBe(true);
    expect((await sessionMetrics(db, T, "7d")).signIns.series).toHaveLength(7);
    expect(await securityEvents(db, T, "7d")).toEqual([]);
  });

  it("count live sessions, sign-ins per hour, endings by kind and how long sessions lived, with the window's edges", async () => {
    const live = { idle: T + 1000, expires: T + 5000 };
    await db.batch([
      insert({ id: "a", user: "github:1", created: T - 7200, ...live }),
      insert({ id: "b", user: "github:2", created: T - 100, ...live }),
      insert({ id: "c", user: "vercel:3", created: T - 50_000, ...live }),
      // A handoff to an app origin: a live session, not a sign-in.
      insert({ id: "d", user: "github:1", created: T - 3000, ...live, family: "a" }),
      insert({ id: "e", user: "github:4", created: T - 40_000, ...live, revoked: T - 20_000, endedBy: "signout" }),
      insert({ id: "f", user: "github:5", created: T - 30_000, ...live, revoked: T - 1000, endedBy: "refresh_reuse" }),
      // Idle before its absolute end, within the window; signed in before it.
      insert({ id: "g", user: "dev:6", created: T - 90_000, idle: T - 10_000, expires: T + 5000 }),
      // Ended before the window: not counted.
      insert({ id: "h", user: "github:7", created: T - 200_000, ...live, revoked: T - 100_000, endedBy: "signout" }),
      // At its absolute end before going idle, within the window.
      insert({ id: "i", user: "github:8", created: T - 5000, idle: T + 1000, expires: T - 100 }),
      // Edges: signed in exactly at the window's start (counted, first hour); ended exactly now (not yet in).
      insert({ id: "j", user: "github:10", created: T - 86_400, idle: T + 1000, expires: T + 5000, revoked: T - 86_400 + 10, endedBy: "device" }),
      insert({ id: "k", user: "github:11", created: T - 500, ...live, revoked: T, endedBy: "admin" }),
      // A handoff of e's, ended with it: one sign-in, one ending.
      insert({ id: "n", user: "github:4", created: T - 39_000, ...live, revoked: T - 20_000, endedBy: "signout", family: "e" }),
      // Sign-ins whose records the cleanup already deleted: what it left behind, in the window and before the week.
      db.prepare("INSERT INTO session_endings (ended_at, created_at, kind) VALUES (?1, ?2, ?3), (?4, ?5, ?6)").bind(T - 3000, T - 9000, "everywhere", T - 700_000, T - 800_000, "signout"),
      factor("github:1", true),
      factor("github:2", true, 3, T + 60),
      factor("vercel:9", true, 1, T - 60),
      factor("dev:6", false),
    ]);

    const metrics = await sessionMetrics(db, T, "24h");
    expect(metrics.active).toEqual({ sessions: 4, users: 3, byProvider: { github: 3, vercel: 1 } });
    // a, i (hour 22), b (23), c (10), e (12), f (15), j (0), k (23), and the cleaned-up one (21).
    expect(metrics.signIns.total).toBe(9);
    expect(Object.fromEntries(metrics.signIns.series.filter((slot) => slot.count).map((slot) => [new Date(slot.at).getTime() / 1000 - (T - 86_400), slot.count]))).toEqual({
      0: 1,
      [10 * 3600]: 1,
      [12 * 3600]: 1,
      [15 * 3600]: 1,
      [21 * 3600]: 1,
      [22 * 3600]: 2,
      [23 * 3600]: 2,
    });
    expect(metrics.ended).toEqual({ signout: 1, refresh_reuse: 1, device: 1, expired: 2, everywhere: 1 });
    // Lived: e 20,000, f 29,000, j 10, g 80,000, i 4,900, the cleaned-up one 6,000 — the average, and the lower median.
    expect(metrics.duration).toEqual({ average: Math.round((20_000 + 29_000 + 10 + 80_000 + 4900 + 6000) / 6), median: 6000 });
    // Signed in now: github:1, github:2 (both with the second factor), vercel:3.
    expect(metrics.secondFactor).toEqual({ enabled: 3, adoption: 0.667, failing: 2, blocked: 1 });

    // The week: h ended 100,000 s ago, still in it; all of them signed in within it but h and the old ending.
    const week = await sessionMetrics(db, T, "7d");
    expect(week.ended).toEqual({ signout: 2, refresh_reuse: 1, device: 1, expired: 2, everywhere: 1 });
    expect(week.signIns.total).toBe(11);
  });

  it("count refused sign-ins and wrong codes per hour or day, and list the events that need a look, newest first", async () => {
    const event = (at: number, name: string, user: string | null, detail: string | null, by: string | null = null) =>
      db.prepare("INSERT INTO security_events (at, event, user_key, detail, by_user, ip) VALUES (?1, ?2, ?3, ?4, ?5, '192.0.2.1')").bind(at, name, user, detail, by);
    await db.batch([
      // The window's first second: counted, hour 0.
      event(T - 86_400, "signin_refused", null, "github: not_allowed"),
      event(T - 3600, "second_factor_failed", "github:1", "wrong_code"),
      event(T - 3599, "second_factor_failed", "github:1", "wrong_code"),
      event(T - 3000, "second_factor_locked", "github:1", null),
      event(T - 10, "revoked", "github:2", "admin", "github:99"),
      event(T - 5, "refresh_reuse", "github:3", "an older refresh secret presented"),
      // Now: the window ends just before it. Two days ago: in the week only.
      event(T, "signin_refused", null, "vercel: invalid_state"),
      event(T - 2 * 86_400, "signin_refused", null, "github: invalid_state"),
    ]);
    const day = await sessionMetrics(db, T, "24h");
    expect(day.failures.total).toBe(3);
    expect(day.failures.series[0]!.count).toBe(1);
    expect(day.failures.series[23]!.count).toBe(2);
    const week = await sessionMetrics(db, T, "7d");
    expect(week.failures.total).toBe(4);
    expect(week.failures.series.map((slot) => slot.count)).toEqual([0, 0, 0, 0, 0, 1, 3]);

    // Wrong codes are counted, not listed.
    expect(await securityEvents(db, T, "24h")).toEqual([
      { at: new Date((T - 5) * 1000).toISOString(), event: "refresh_reuse", user: "github:3", detail: "an older refresh secret presented", by: null, ip: "192.0.2.1" },
      { at: new Date((T - 10) * 1000).toISOString(), event: "revoked", user: "github:2", detail: "admin", by: "github:99", ip: "192.0.2.1" },
      { at: new Date((T - 3000) * 1000).toISOString(), event: "second_factor_locked", user: "github:1", detail: null, by: null, ip: "192.0.2.1" },
      { at: new Date((T - 86_400) * 1000).toISOString(), event: "signin_refused", user: null, detail: "github: not_allowed", by: null, ip: "192.0.2.1" },
    ]);
    expect((await securityEvents(db, T, "7d")).map((row) => row.detail).at(-1)).toBe("github: invalid_state");
  });

  it("read the sessions table through an index in every statement, never a scan", async () => {
    for (const [name, sql] of Object.entries(METRICS_SQL)) {
      const count = Math.max(...(sql.match(/\?\d/g) ?? []).map((marker) => Number(marker.slice(1))));
      const plan = await db.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...Array.from({ length: count }, () => T)).all<{ detail: string }>();
      const details = plan.results.map((row) => row.detail);
      expect(details.length, name).toBeGreaterThan(0);
      for (const detail of details) expect(detail, `${name}: ${details.join(" | ")}`).not.toMatch(/^SCAN (sessions|s)\b/);
      expect(details.some((detail) => /^SEARCH (sessions|s) USING (COVERING )?INDEX/.test(detail)), `${name}: ${details.join(" | ")}`).toBe(true);
    }
  });

  it("read security events through their index, never a scan", async () => {
    for (const [name, sql] of Object.entries(EVENTS_SQL)) {
      const count = Math.max(...(sql.match(/\?\d/g) ?? []).map((marker) => Number(marker.slice(1))));
      const plan = await db.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...[T, T, 50, "refresh_reuse"].slice(0, count)).all<{ detail: string }>();
      const details = plan.results.map((row) => row.detail);
      expect(details.some((detail) => /^SEARCH security_events USING (COVERING )?INDEX security_events_by_event \(event=\? AND at>\? AND at<\?\)/.test(detail)), `${name}: ${details.join(" | ")}`).toBe(true);
      for (const detail of details) expect(detail, name).not.toMatch(/^SCAN security_events/);
    }
  });
});

describe("GET /auth/admin/metrics", () => {
  const admin = { ADMIN_USERS: "dev:metrics-root" };

  it("answers an admin with the window asked for, and refuses everyone else", async () => {
    const root = await signIn("dev", { as: "Metrics Root", vars: admin });
    const json = { Accept: "application/json" };
    const day = await browse(root.jar, "/auth/admin/metrics", { headers: json }, admin);
    expect(day.status).toBe(200);
    const metrics = await day.json<{ signIns: { series: unknown[] }; active: { sessions: number } }>();
    expect(metrics.signIns.series).toHaveLength(24);
    expect(metrics.active.sessions).toBeGreaterThan(0);
    expect((await (await browse(root.jar, "/auth/admin/metrics?window=7d", { headers: json }, admin)).json<{ signIns: { series: unknown[] } }>()).signIns.series).toHaveLength(7);
    const odd = await browse(root.jar, "/auth/admin/metrics?window=1y", { headers: json }, admin);
    expect(odd.status).toBe(400);
    expect(await odd.json()).toMatchObject({ error: "invalid_window" });

    // Someone not in ADMIN_USERS, a bearer token of the admin's own, and nobody at all.
    const other = await signIn("dev", { as: "Not Metrics Root", vars: admin });
    expect((await browse(other.jar, "/auth/admin/metrics", { headers: json }, admin)).status).toBe(403);
    const token = await browse(root.jar, "/auth/token", { method: "POST", headers: { Origin: LOCAL, ...json } }, admin);
    const { access_token: bearer } = await token.json<{ access_token: string }>();
    const withBearer = await call("/auth/admin/metrics", { headers: { Authorization: `Bearer ${bearer}`, ...json } }, admin);
    expect(withBearer.status).toBe(403);
    expect((await call("/auth/admin/metrics", { headers: json }, admin)).status).toBe(401);
  });
});

/**
 * What an adversarial pass on the session metrics found, fixed and kept as
 * regression tests: ended sessions are not kept past the revocation window
 * (the cleanup leaves a sign-in's ending — when, how, nothing else — in
 * session_endings instead), a revocation of an expired session keeps its
 * own end, and one sign-in with its handoffs is one ending.
 */
import { applyD1Migrations, createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { sessionMetrics } from "../../src/session/metrics";
import { MAX_SESSIONS } from "../../src/session/session";
import { browse, fakeClock, LOCAL, sessionOf, sessionRow, signIn } from "./helpers";

const countRows = async (user: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_key = ?1").bind(user).first<number>("n"))!;

const runCleanup = () => worker.scheduled!(createScheduledController({ cron: "*/30 * * * *" }), env as unknown as Env);

describe("what the metrics keep of ended sessions", () => {
  const clock = fakeClock();

  it("a user who signs in over and over leaves no more than MAX_SESSIONS rows behind once the revocation window has passed", async () => {
    const as = "Adv16 Flood Storage";
    for (let i = 0; i < MAX_SESSIONS + 20; i++) {
      expect((await signIn("dev", { as })).response.status).toBe(302);
    }
    const user = "dev:adv16-flood-storage";
    // An hour on — far past the revocation window (16 minutes) — the cleanup runs.
    clock.advance(3600);
    await runCleanup();
    const left = await countRows(user);
    const ended = (await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_key = ?1 AND revoked_at IS NOT NULL").bind(user).first<number>("n"))!;
    expect(left, `${left} rows (${ended} of them ended by session_limit) are kept for 8 days: each extra sign-in is a row for a week, UA included`).toBeLessThanOrEqual(MAX_SESSIONS);
  });

  it("an ended session's record, once the revocation window has passed, no longer holds the provider's refresh token, the User-Agent or the refresh secret's hashes", async () => {
    const { jar } = await signIn("vercel", { as: "adv16-minimal", headers: { "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0 adv16-fingerprint" } });
    const { body } = await sessionOf(jar);
    const id = body.sessionId as string;
    expect((await sessionRow(id))!.provider_refresh_token).not.toBeNull();
    await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } });
    clock.advance(3600);
    await runCleanup();
    const row = await sessionRow(id);
    // Before the metrics, the row was gone by now. Kept, it should hold only what the metrics read.
    expect(row && { provider_refresh_token: row.provider_refresh_token, user_agent: row.user_agent, secret_hash: row.secret_hash, previous_secret_hash: row.previous_secret_hash }).toEqual(
      row && { provider_refresh_token: null, user_agent: null, secret_hash: null, previous_secret_hash: null },
    );
  });

  it("a sign-out with the cookie of a session that had already expired records it as expired, when it expired", async () => {
    const { jar } = await signIn("dev", { as: "Adv16 Idle Signout" });
    const id = (await sessionOf(jar)).body.sessionId as string;
    // Idle for two days (SESSION_IDLE_TTL is 24 h): it expired a day ago. The
    // browser's first request since is the click on "Sign out".
    clock.advance(2 * 86_400);
    const before = (await sessionRow(id))!;
    await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } });
    const row = (await sessionRow(id))!;
    const end = Math.min(row.idle_expires_at, row.expires_at);
    expect(
      { ended_by: row.ended_by, lived: (row.revoked_at ?? end) - row.created_at },
      `expired at ${end}, recorded as ended at ${row.revoked_at} by ${row.ended_by}`,
    ).toEqual({ ended_by: "expired", lived: end - row.created_at });
    expect(before.ended_by).toBeNull();
  });
});

describe("metrics with handoffs", () => {
  const db = env.METRICS_DB;
  const T = 1_800_000_000;
  it("a sign-in handed off to two app origins and signed out is one sign-in and one ending, not one and three", async () => {
    await applyD1Migrations(db, env.TEST_MIGRATIONS);
    const row = (id: string, family: string | null) =>
      db
        .prepare(
          `INSERT INTO sessions (id, user_key, provider, secret_hash, remember, created_at, last_used_at, idle_expires_at, expires_at, revoked_at, ended_by, family)
           VALUES (?1, 'github:adv16', 'github', 'h', 0, ?2, ?2, ?3, ?4, ?5, 'signout', ?6)`,
        )
        .bind(id, T - 3600, T + 80_000, T + 500_000, T - 60, family);
    // What revokeSession leaves after a sign-out: the head and its family, all `signout`.
    await db.batch([row("adv16-head", null), row("adv16-app-1", "adv16-head"), row("adv16-app-2", "adv16-head")]);
    const metrics = await sessionMetrics(db, T, "24h");
    expect({ signIns: metrics.signIns.total, ended: metrics.ended }).toEqual({ signIns: 1, ended: { signout: 1 } });
  });
});

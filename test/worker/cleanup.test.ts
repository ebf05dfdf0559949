import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env";
import worker from "../../src/index";

const now = Math.floor(Date.now() / 1000);

const row = (id: string, fields: { expires_at: number; idle_expires_at: number; revoked_at?: number | null }) =>
  env.DB.prepare(
    `INSERT INTO sessions (id, user_key, provider, secret_hash, remember, created_at, last_used_at, idle_expires_at, expires_at, revoked_at)
     VALUES (?1, 'dev:cleanup', 'dev', 'h', 0, ?2, ?2, ?3, ?4, ?5)`,
  ).bind(id, now - 1000, fields.idle_expires_at, fields.expires_at, fields.revoked_at ?? null);

async function insert(id: string, fields: { expires_at: number; idle_expires_at: number; revoked_at?: number | null }) {
  await row(id, fields).run();
}

const ids = async () => (await env.DB.prepare("SELECT id FROM sessions WHERE user_key = 'dev:cleanup' ORDER BY id").all<{ id: string }>()).results.map((r) => r.id);

describe("the cleanup Cron Trigger", () => {
  it("deletes expired and long-revoked records, keeps live and recently revoked ones, in batches", async () => {
    await insert("live", { expires_at: now + 1000, idle_expires_at: now + 500 });
    // Over for longer than the revocation window (15 min + 1 min): nothing can name them any more.
    const old = now - 3600;
    await insert("expired", { expires_at: old, idle_expires_at: old });
    await insert("idle", { expires_at: now + 1000, idle_expires_at: old });
    await insert("revoked-old", { expires_at: now + 1000, idle_expires_at: now + 500, revoked_at: old });
    // Over only just: kept, so that "sign out everywhere" still finds them.
    await insert("revoked-new", { expires_at: now + 1000, idle_expires_at: now + 500, revoked_at: now - 10 });
    await insert("expired-new", { expires_at: now - 10, idle_expires_at: now - 10 });
    await insert("idle-new", { expires_at: now + 1000, idle_expires_at: now - 10 });
    await env.DB.batch(Array.from({ length: 1200 }, (_, i) => row(`bulk-${String(i).padStart(4, "0")}`, { expires_at: old, idle_expires_at: old })));

    const log = vi.spyOn(console, "log");
    await worker.scheduled(createScheduledController({ cron: "*/30 * * * *" }), env as unknown as Env);

    expect(await ids()).toEqual(["expired-new", "idle-new", "live", "revoked-new"]);
    // Each deleted sign-in left its ending for the metrics: when, and how (revoked before kinds were kept: unknown).
    const endings = await env.DB.prepare("SELECT kind, ended_at - created_at AS lived, count(*) AS n FROM session_endings WHERE created_at = ?1 GROUP BY kind, lived ORDER BY kind, lived").bind(now - 1000).all();
    expect(endings.results).toEqual([
      { kind: "expired", lived: 1000 - 3600, n: 1202 },
      { kind: "unknown", lived: 1000 - 3600, n: 1 },
    ]);
    expect(log.mock.calls.map(([line]) => JSON.parse(String(line)))).toEqual(
      expect.arrayContaining([expect.objectContaining({ event: "cleanup", deleted: 1203 })]),
    );
  });

  it("is declared in wrangler.toml", async () => {
    const toml: string = (await import("../../wrangler.toml?raw")).default;
    expect(toml).toMatch(/\[triggers\]\s*crons = \["[^"]+"\]/);
  });
});

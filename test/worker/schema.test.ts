import { applyD1Migrations, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env";
import { AuthError } from "../../src/errors";
import worker from "../../src/index";
import { run } from "../../src/platform/d1";
import { browse, PUBLIC, signIn } from "./helpers";

const json = { Accept: "application/json" };
const REMOTE = "npx wrangler d1 migrations apply DB --remote";
const LOCAL_COMMAND = "npx wrangler d1 migrations apply DB --local";

/** The audit lines logged while `work` ran. */
async function logged(work: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const log = vi.spyOn(console, "log");
  try {
    await work();
    return log.mock.calls.map(([line]) => JSON.parse(String(line)));
  } finally {
    log.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe("a database without the migrations", () => {
  it("answers sign-in with 503 schema_missing, naming the command for wrangler dev's database on localhost", async () => {
    let result!: Awaited<ReturnType<typeof signIn>>;
    const lines = await logged(async () => {
      result = await signIn("dev", { as: "Ada", vars: { DB: env.EMPTY_DB }, headers: json });
    });
    const { response, jar } = result;
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBeNull();
    expect(await response.json()).toEqual({
      error: "schema_missing",
      message: `The database tables are missing or out of date: run ${LOCAL_COMMAND}`,
    });
    expect(jar.get("auth.session")).toBeUndefined();
    // The database's own words, which name the table and never a bound value (the session id, the user).
    const errors = lines.filter((line) => line.event === "database_error");
    expect(errors[0]).toMatchObject({ reason: "D1_ERROR: no such table: second_factors: SQLITE_ERROR" });
    expect(JSON.stringify(errors)).not.toMatch(/dev:ada/);
  });

  it("names --remote for a deployed worker, on the browser's error page too", async () => {
    const { response } = await signIn("github", { as: "schemaless", origin: PUBLIC, vars: { DB: env.EMPTY_DB }, headers: { Accept: "text/html" } });
    expect(response.status).toBe(503);
    const html = await response.text();
    expect(html).toContain(`The database tables are missing or out of date: run ${REMOTE}`);
    expect(html).not.toContain("--local");
  });

  it("answers a signed-in person's D1 routes the same way", async () => {
    const { jar } = await signIn("dev", { as: "Ada" });
    const devices = await browse(jar, "/auth/sessions", { headers: json }, { DB: env.EMPTY_DB });
    expect(devices.status).toBe(503);
    expect(await devices.json()).toMatchObject({ error: "schema_missing" });
  });

  it("fails the cleanup run with the reason logged", async () => {
    const lines = await logged(() =>
      expect(worker.scheduled!(createScheduledController({ cron: "*/30 * * * *" }), { ...env, DB: env.EMPTY_DB } as unknown as Env)).rejects.toMatchObject({ code: "schema_missing" }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ event: "database_error", reason: "D1_ERROR: no such table: session_endings: SQLITE_ERROR" }));
  });
});

describe("a database whose migrations stopped short", () => {
  it("tells missing tables and columns apart from an outage, in SQLite's own words", async () => {
    await env.EMPTY_DB.exec("CREATE TABLE IF NOT EXISTS old_shape (a TEXT) STRICT");
    for (const statement of [
      env.EMPTY_DB.prepare("SELECT b FROM old_shape WHERE a = ?1").bind("value"),
      env.EMPTY_DB.prepare("INSERT INTO old_shape (a, b) VALUES (?1, ?2)").bind("value", "other"),
      env.EMPTY_DB.prepare("UPDATE old_shape SET b = ?1").bind("value"),
    ]) {
      await expect(run(() => statement.run())).rejects.toMatchObject({ code: "schema_missing" });
    }
    // Anything else is the store being unavailable: try again shortly.
    const broken = run(() => env.EMPTY_DB.prepare("SELECT * FROM old_shape WHERE").run());
    await expect(broken).rejects.toBeInstanceOf(AuthError);
    await expect(broken).rejects.toMatchObject({ code: "session_store_unavailable", headers: { "Retry-After": "5" } });
  });

  it("answers the second factor's data key path with schema_missing, and works once migrated, with no restart", async () => {
    // Every migration but 0004: sessions and the second factor, but no data key table.
    await applyD1Migrations(env.OLD_DB, env.TEST_MIGRATIONS.filter((migration) => !migration.name.startsWith("0004")));
    // A secret of its own: the data key is remembered per isolate and secret.
    const vars = { DB: env.OLD_DB, AUTH_SECRET: "schema-test-secret-0123456789abcdef0123456789" };
    const { jar } = await signIn("dev", { as: "Grace", vars });
    const setup = () => browse(jar, "/auth/2fa/setup", { method: "POST", headers: { Origin: "http://localhost:8787", ...json } }, vars);
    let refused!: Response;
    const lines = await logged(async () => {
      refused = await setup();
    });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: "schema_missing" });
    expect(lines).toContainEqual(expect.objectContaining({ event: "database_error", reason: "D1_ERROR: no such table: data_keys: SQLITE_ERROR" }));

    const cleanup = await logged(() => worker.scheduled!(createScheduledController({ cron: "*/30 * * * *" }), { ...env, ...vars } as unknown as Env));
    expect(cleanup).toContainEqual(expect.objectContaining({ event: "cleanup", totpResealed: "schema_missing" }));

    await applyD1Migrations(env.OLD_DB, env.TEST_MIGRATIONS);
    expect((await setup()).status).toBe(200);
  });
});

import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";

it("`npm run deploy -- --dry-run` builds the worker and prints its size, offline and without an account", () => {
  const out = mkdtempSync(join(tmpdir(), "esw-deploy-"));
  try {
    const env = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith("CLOUDFLARE_")) delete env[name];
    // Any request would go to a proxy that is not there.
    const offline = { HTTPS_PROXY: "http://127.0.0.1:9", HTTP_PROXY: "http://127.0.0.1:9", NO_PROXY: "" };
    const run = spawnSync("npm", ["run", "deploy", "--", "--dry-run", "--outdir", out], { env: { ...env, ...offline }, encoding: "utf8" });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain("would run `wrangler d1 migrations apply DB --remote` first");
    expect(run.stdout).toMatch(/Total Upload: [\d.]+ KiB \/ gzip: [\d.]+ KiB/);
    expect(run.stdout).toContain("env.DB (edge-session-worker)");
    expect(run.stdout).toContain("--dry-run: exiting now.");
    expect(readdirSync(out)).toContain("index.js");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

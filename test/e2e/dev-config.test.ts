import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";

it("`npm run dev` with a bad variable names every problem and exits before starting wrangler", () => {
  const state = mkdtempSync(join(tmpdir(), "esw-devcheck-"));
  try {
    const args = ["run", "dev", "--", "--persist-to", state, "--var", "ACCESS_TTL:15m", "--var", "ALLOWED_ORIGINS:https://ok.example,app.example.com"];
    const run = spawnSync("npm", args, { cwd: process.cwd(), encoding: "utf8" });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/The worker.s configuration has \d+ problems/);
    expect(run.stderr).toContain("  - ACCESS_TTL must be a whole number ≥ 1\n");
    expect(run.stderr).toContain('  - ALLOWED_ORIGINS entry 2 ("app.example.com") is not an origin such as https://app.example.com\n');
    // Neither the local migrations nor `wrangler dev` ran: the state directory is untouched.
    expect(readdirSync(state)).toEqual([]);
    expect(run.stdout + run.stderr).not.toMatch(/Migrations|Ready on/);
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
});

#!/usr/bin/env node
// `npm run dev`: the worker on http://localhost:8787 with local KV and D1,
// migrations applied and the development sign-in provider on — no
// Cloudflare account or OAuth app needed. Extra arguments go to
// `wrangler dev` (e.g. `npm run dev -- --port 9000 --persist-to /tmp/state`).
// The configuration is checked first, by the worker's own parser: a problem
// stops here, named by variable, before wrangler starts.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkConfig } from "./check-config.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = join(root, "node_modules", ".bin", "wrangler");
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_SEND_ERROR_REPORTS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};

const devVars = join(root, ".dev.vars");
if (!existsSync(devVars)) {
  writeFileSync(
    devVars,
    [
      "# Local development only (git-ignored). Created by `npm run dev`.",
      "DEV_PROVIDER=true",
      `AUTH_SECRET=${randomBytes(32).toString("hex")}`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  console.log("Created .dev.vars with DEV_PROVIDER=true and a random AUTH_SECRET.");
}

const args = process.argv.slice(2);

const { problems, warnings } = await checkConfig(args);
for (const warning of warnings) console.warn(`warning: ${warning}`);
if (problems.length > 0) {
  console.error(`The worker's configuration has ${problems.length === 1 ? "a problem" : `${problems.length} problems`} (wrangler.toml [vars], .dev.vars, --var):`);
  for (const problem of problems) console.error(`  - ${problem}`);
  process.exit(1);
}
const persist = args.indexOf("--persist-to");
const persistArgs = persist >= 0 && args[persist + 1] ? ["--persist-to", args[persist + 1]] : [];

// CI=true: apply without asking; these are local migrations of a local database.
const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", ...persistArgs], { cwd: root, env: { ...env, CI: "true" }, stdio: "inherit" });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

// The development build: with the development sign-in provider (src/build.d.ts);
// beside it the pages Worker (pages/), which it calls as PAGES.
const configs = args.some((arg) => /^(-c|--config)(=|$)/.test(arg)) ? [] : ["-c", "wrangler.toml", "-c", "pages/wrangler.toml"];
const dev = spawn(wrangler, ["dev", ...configs, "--define", "__DEV_BUILD__:true", ...args], { cwd: root, env, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

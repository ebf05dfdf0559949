#!/usr/bin/env node
// `npm run deploy`: the pages Worker (pages/), the remote D1 migrations,
// then `wrangler deploy` — the pages first, as the session worker binds them, and migrations before the code, as new code may need new
// columns. Extra arguments go to `wrangler deploy` (`--config`/`--env` to the
// migrations too; `--dry-run` and `--outdir` to the pages as well).
//
// The first deploy with automatic provisioning (no database_id in
// wrangler.toml) is the other way round: `wrangler deploy` creates the
// database, and remote migrations need its id in wrangler.toml — which
// wrangler does not write into a configuration with comments, like ours.
//
// `npm run deploy -- --dry-run` builds the bundle and prints its size
// without touching the network: the migrations step is only named.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { unstable_readConfig } from "wrangler";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = join(root, "node_modules", ".bin", "wrangler");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false" };

const args = process.argv.slice(2);
const configArgs = args.flatMap((arg, i) =>
  ["--config", "-c", "--env", "-e"].includes(arg) ? [arg, args[i + 1]] : /^--(config|env)=/.test(arg) ? [arg] : [],
);
const optionValue = (...names) => {
  const i = configArgs.findIndex((arg) => names.includes(arg));
  return i >= 0 ? configArgs[i + 1] : configArgs.find((arg) => names.some((name) => arg.startsWith(`${name}=`)))?.split("=")[1];
};

function run(command) {
  console.log(`\n$ wrangler ${command.join(" ")}`);
  const result = spawnSync(wrangler, command, { cwd: root, env, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const databaseId = () =>
  unstable_readConfig({ config: optionValue("--config", "-c"), env: optionValue("--env", "-e") }, { hideWarnings: true }).d1_databases.find(
    (database) => database.binding === "DB",
  )?.database_id;

const migrate = ["d1", "migrations", "apply", "DB", "--remote", ...configArgs];
const deploy = ["deploy", ...args];
const pagesArgs = args.flatMap((arg, i) => (arg === "--dry-run" || arg === "--minify" ? [arg] : arg === "--outdir" ? [arg, join(args[i + 1], "pages")] : []));
const deployPages = ["deploy", "-c", "pages/wrangler.toml", ...pagesArgs];

if (args.includes("--dry-run")) {
  // The banner checks npm for a newer wrangler: the one network request a dry run would make.
  env.WRANGLER_HIDE_BANNER = "true";
  run(deployPages);
  console.log(`--dry-run: would run \`wrangler ${migrate.join(" ")}\` next (skipped: it needs your account)`);
  run(deploy);
} else if (databaseId()) {
  run(deployPages);
  run(migrate);
  run(deploy);
} else {
  console.log("DB has no database_id in wrangler.toml: `wrangler deploy` creates the database (automatic provisioning), then the migrations run.");
  run(deployPages);
  run(deploy);
  if (!databaseId()) {
    console.error(
      [
        "",
        "Deployed, but the database's id is not in wrangler.toml (wrangler writes ids back only to a configuration without comments),",
        "so the migrations cannot run yet and sign-ins will fail. Find the id with `npx wrangler d1 list`,",
        'add database_id = "<id>" under [[d1_databases]] in wrangler.toml, and run `npm run deploy` again.',
      ].join("\n"),
    );
    process.exit(1);
  }
  run(migrate);
}

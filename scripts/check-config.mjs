// The worker's own configuration check (src/config/config.ts `parseConfig`),
// run in Node before `wrangler dev` starts: every problem at once, named by
// variable, instead of a 500 page at the first request. The variables are
// those `wrangler dev` would give the worker — wrangler.toml [vars] (of
// `--env`), .dev.vars (or .env) and `--var NAME:VALUE` — read by wrangler's
// own functions; declared [[ratelimits]] get stand-ins, as the real
// bindings do not exist outside workerd.
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { unstable_getVarsForDev, unstable_readConfig } from "wrangler";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The values of the `wrangler dev` options that change what the worker is given. */
function option(args, ...names) {
  const values = [];
  args.forEach((arg, i) => {
    for (const name of names) {
      if (arg === name && args[i + 1] !== undefined) values.push(args[i + 1]);
      else if (arg.startsWith(`${name}=`)) values.push(arg.slice(name.length + 1));
    }
  });
  return values;
}

/** `parseConfig`, bundled for Node from the worker's source. */
async function loadParser() {
  const result = await build({
    entryPoints: [join(root, "src", "config", "config.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    write: false,
    logLevel: "silent",
    // The configuration `npm run dev` starts: the development build's.
    define: { __DEV_BUILD__: "true" },
  });
  const dir = mkdtempSync(join(tmpdir(), "esw-config-"));
  try {
    const file = join(dir, "config.mjs");
    writeFileSync(file, result.outputFiles[0].text);
    return (await import(pathToFileURL(file).href)).parseConfig;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `{ problems, warnings }` for the worker `wrangler dev <args>` would start. */
export async function checkConfig(args = []) {
  const env = option(args, "--env", "-e").at(-1);
  const config = unstable_readConfig({ config: option(args, "--config", "-c").at(-1), env }, { hideWarnings: true });
  const envFiles = option(args, "--env-file");
  const vars = {};
  const bindings = unstable_getVarsForDev(config.userConfigPath, envFiles.length ? envFiles : undefined, config.vars, env, true);
  for (const [name, binding] of Object.entries(bindings)) vars[name] = binding.value;
  for (const entry of option(args, "--var")) {
    const colon = entry.indexOf(":");
    if (colon > 0) vars[entry.slice(0, colon)] = entry.slice(colon + 1);
  }
  for (const { name } of config.ratelimits ?? []) vars[name] = { limit: async () => ({ success: true }) };
  if (config.assets?.binding) vars[config.assets.binding] = { fetch: async () => new Response(null, { status: 404 }) };
  const parseConfig = await loadParser();
  const result = parseConfig(vars);
  return result.ok ? { problems: [], warnings: result.config.warnings } : { problems: result.problems, warnings: [] };
}

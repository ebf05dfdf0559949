#!/usr/bin/env node
// The admin console Worker (console/) as one module, for the tests and the
// benchmark, which run it in Miniflare beside the session worker; `wrangler
// dev` and `wrangler deploy` bundle it themselves from console/wrangler.toml.
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const CONSOLE_SCRIPT = join(root, "dist", "console", "index.js");

export async function buildConsole() {
  await build({
    entryPoints: [join(root, "console", "src", "index.tsx")],
    outfile: CONSOLE_SCRIPT,
    bundle: true,
    format: "esm",
    platform: "neutral",
    external: ["cloudflare:*"],
    logLevel: "warning",
  });
  return CONSOLE_SCRIPT;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildConsole();

#!/usr/bin/env node
// The pages Worker (pages/) as one module, for the tests and the benchmark,
// which run it in Miniflare beside the session worker; `wrangler dev` and
// `wrangler deploy` bundle it themselves from pages/wrangler.toml.
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const PAGES_SCRIPT = join(root, "dist", "pages", "index.js");

export async function buildPages() {
  await build({
    entryPoints: [join(root, "pages", "src", "index.tsx")],
    outfile: PAGES_SCRIPT,
    bundle: true,
    format: "esm",
    platform: "neutral",
    external: ["cloudflare:*"],
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    logLevel: "warning",
  });
  return PAGES_SCRIPT;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildPages();

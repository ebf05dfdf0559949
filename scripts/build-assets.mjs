#!/usr/bin/env node
// The worker's static assets (wrangler.toml [assets], served by
// src/http/assets.ts): the stylesheet as it is, the devices page's script
// bundled with bowser, and the Security page's with lean-qr. Run by wrangler before `dev` and `deploy`
// ([build]) and by the test setup; the output is git-ignored.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const ASSETS_DIR = join(root, "dist", "assets");

export async function buildAssets() {
  mkdirSync(ASSETS_DIR, { recursive: true });
  copyFileSync(join(root, "browser", "style.css"), join(ASSETS_DIR, "style.css"));
  await build({
    entryPoints: ["devices", "security", "passkeys"].map((name) => join(root, "browser", `${name}.ts`)),
    outdir: ASSETS_DIR,
    bundle: true,
    minify: true,
    format: "iife",
    target: "es2020",
    logLevel: "warning",
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildAssets();

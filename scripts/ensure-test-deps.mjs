#!/usr/bin/env node
// Runs before `npm test`: the end-to-end tests drive Debian's Chromium
// through playwright-core (never a Playwright browser download) and put
// Debian's nginx and Caddy in front of the worker. Installs what is missing
// with apt-get when we may (root or passwordless sudo); otherwise says how.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const needed = [
  { path: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", apt: "chromium" },
  { path: process.env.NGINX_PATH ?? "/usr/sbin/nginx", apt: "nginx-light" },
  { path: process.env.CADDY_PATH ?? "/usr/bin/caddy", apt: "caddy" },
].filter(({ path }) => !existsSync(path));
if (needed.length === 0) process.exit(0);

const packages = needed.map(({ apt }) => apt);
const root = process.getuid?.() === 0;
const sudo =
  !root &&
  (() => {
    try {
      execFileSync("sudo", ["-n", "true"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();
if (!root && !sudo) {
  console.error(`Missing for the end-to-end tests: ${needed.map(({ path }) => path).join(", ")}. Install with: sudo apt-get install -y ${packages.join(" ")}`);
  process.exit(1);
}
console.log(`Installing ${packages.join(", ")} for the end-to-end tests…`);
const run = (args) =>
  execFileSync(root ? args[0] : "sudo", root ? args.slice(1) : args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
try {
  run(["apt-get", "install", "-y", "--no-install-recommends", ...packages]);
} catch {
  run(["apt-get", "update"]);
  run(["apt-get", "install", "-y", "--no-install-recommends", ...packages]);
}

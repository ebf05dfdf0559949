#!/usr/bin/env node
// Runs before `npm test`: the browser tests drive Debian's Chromium through
// playwright-core (never a Playwright browser download). Installs it with
// apt-get when it is missing and we may; otherwise says how.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const path = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (existsSync(path)) process.exit(0);

const root = process.getuid?.() === 0;
const sudo = !root && (() => {
  try {
    execFileSync("sudo", ["-n", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
if (!root && !sudo) {
  console.error(`Chromium is missing at ${path}. Install it with: sudo apt-get install -y chromium (or set CHROMIUM_PATH).`);
  process.exit(1);
}
console.log("Installing Debian's chromium for the browser tests…");
const run = (args) => execFileSync(root ? args[0] : "sudo", root ? args.slice(1) : args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
try {
  run(["apt-get", "install", "-y", "--no-install-recommends", "chromium"]);
} catch {
  run(["apt-get", "update"]);
  run(["apt-get", "install", "-y", "--no-install-recommends", "chromium"]);
}

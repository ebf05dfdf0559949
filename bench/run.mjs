#!/usr/bin/env node
// `npm run bench`: every figure measured inside workerd (Miniflare), side by
// side in one run. Prints a table and writes bench/results.json.
//   BENCH_SECONDS  seconds per throughput sample (default 3)
//   BENCH_ROUNDS   interleaved rounds per row (default 3)
import autocannon from "autocannon";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { ASSETS_DIR, buildAssets } from "../scripts/build-assets.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "bench", ".out");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 10;
const SECRET = "bench-secret-0123456789abcdef0123456789abcdef";
const compatibilityDate = /^compatibility_date\s*=\s*"([\d-]+)"/m.exec(readFileSync(join(root, "wrangler.toml"), "utf8"))[1];
const quiet = { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };

const log = (...args) => console.error(...args);

async function bundle() {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const entries = {
    "session-check": join(root, "bench/workers/session-check.ts"),
    baselines: join(root, "bench/workers/baselines.ts"),
    instrumented: join(root, "bench/workers/instrumented.ts"),
    worker: join(root, "src/index.ts"),
  };
  await build({
    entryPoints: entries,
    outdir: out,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["cloudflare:workers"],
    jsx: "automatic",
    jsxImportSource: "hono/jsx",
    minify: true,
    logLevel: "error",
    // The development build: the bench signs in with the development provider.
    define: { __DEV_BUILD__: "true" },
  });
  return Object.fromEntries(Object.keys(entries).map((name) => [name, join(out, `${name}.js`)]));
}

function migrations() {
  const dir = join(root, "migrations");
  return readdirSync(dir)
    .filter((file) => file.endsWith(".sql"))
    .sort()
    .map((file) => readFileSync(join(dir, file), "utf8").replace(/--[^\n]*\n/g, "\n").replace(/\s+/g, " ").trim());
}

/** A workerd with one worker; ours (`assets`) with its static assets as wrangler.toml has them. */
async function start(scriptPath, bindings = {}, storage = true, migrate = storage, assets = false) {
  const mf = new Miniflare({
    // The worker's audit lines would drown the table.
    handleRuntimeStdio: (stdout, stderr) => {
      stdout.resume();
      stderr.resume();
    },
    modules: true,
    scriptPath,
    compatibilityDate,
    bindings: { AUTH_SECRET: SECRET, ...bindings },
    ...(storage ? { kvNamespaces: ["REVOCATIONS"], d1Databases: ["DB"] } : {}),
    // The real bindings, with limits the bench's thousands of sign-ins from one address never reach:
    // the calls are measured, the refusals are not what is being measured.
    ratelimits: { RATE_LIMITER: { simple: { limit: 1e9, period: 10 } }, RATE_LIMITER_STRICT: { simple: { limit: 1e9, period: 10 } } },
    ...(assets ? { assets: { directory: ASSETS_DIR, binding: "ASSETS", routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true } } } : {}),
    port: 0,
  });
  const url = (await mf.ready).toString().replace(/\/$/, "");
  if (migrate) {
    const db = await mf.getD1Database("DB");
    for (const sql of migrations()) await db.exec(sql);
  }
  return { mf, url };
}

/** Signs in through the development provider, the way a browser would; returns the cookies. */
async function signIn(base, name) {
  const jar = new Map();
  const keep = (response) => {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(";");
      const at = pair.indexOf("=");
      const value = pair.slice(at + 1);
      if (value) jar.set(pair.slice(0, at), value);
      else jar.delete(pair.slice(0, at));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const start = await fetch(`${base}/auth/signin/dev`, { redirect: "manual" });
  if (start.status !== 302) throw new Error(`sign-in start answered ${start.status}: ${(await start.text()).slice(0, 300)}`);
  keep(start);
  const authorize = new URL(start.headers.get("Location"));
  const form = new URLSearchParams({
    name,
    state: authorize.searchParams.get("state"),
    redirect_uri: authorize.searchParams.get("redirect_uri"),
    code_challenge: authorize.searchParams.get("code_challenge"),
  });
  const approved = await fetch(`${base}/auth/dev/authorize`, { method: "POST", body: form, headers: { Origin: base, Cookie: cookie() }, redirect: "manual" });
  const done = await fetch(approved.headers.get("Location"), { headers: { Cookie: cookie() }, redirect: "manual" });
  keep(done);
  if (!jar.has("auth.session")) throw new Error(`sign-in failed: ${done.status} ${await done.text()}`);
  return cookie();
}

function load(url, options) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, ...options }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function throughput(ours, baselines, renewal) {
  const fresh = await signIn(ours.url, "Bench Fresh");
  const revoked = await signIn(ours.url, "Bench Revoked");
  const revokedId = (await (await fetch(`${ours.url}/auth/session`, { headers: { Cookie: revoked } })).json()).sessionId;
  await fetch(`${ours.url}/auth/signout`, { method: "POST", headers: { Origin: ours.url, Cookie: revoked, Accept: "application/json" } });
  // The minimal baseline sees the same revocation, so both revoked rows read a KV hit.
  await (await baselines.mf.getKVNamespace("REVOCATIONS")).put(`revoked:${revokedId}`, "1");
  const only = (cookies) => cookies.split("; ").find((c) => c.startsWith("auth.session="));

  const rows = {
    "bare Hono route": { url: `${baselines.url}/auth/session`, headers: { Cookie: only(fresh) } },
    "KV read + decrypt (minimal)": { url: `${baselines.url}/minimal/session`, headers: { Cookie: only(fresh) } },
    "ours: GET /auth/session (fresh)": { url: `${ours.url}/auth/session`, headers: { Cookie: fresh }, baseline: "KV read + decrypt (minimal)" },
    "minimal, revoked → 401": { url: `${baselines.url}/minimal/session`, headers: { Cookie: only(revoked) }, expect: 401 },
    "ours: revoked session → 401": { url: `${ours.url}/auth/session`, headers: { Cookie: revoked }, expect: 401, baseline: "minimal, revoked → 401" },
  };
  // Sanity: every row answers what it should before it is timed.
  for (const [name, row] of Object.entries(rows)) {
    const response = await fetch(row.url, { headers: row.headers });
    if (response.status !== (row.expect ?? 200)) throw new Error(`${name} answered ${response.status}`);
  }
  const samples = Object.fromEntries(Object.keys(rows).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, row] of Object.entries(rows)) {
      log(`  round ${round + 1}/${ROUNDS}: ${name}`);
      const result = await load(row.url, { duration: SECONDS, headers: row.headers });
      if (result.non2xx && !row.expect) throw new Error(`${name}: ${result.non2xx} non-2xx answers`);
      samples[name].push({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 });
    }
  }
  const table = Object.fromEntries(
    Object.entries(samples).map(([name, list]) => [
      name,
      { rps: median(list.map((s) => s.rps)), p50: median(list.map((s) => s.p50)), p99: median(list.map((s) => s.p99)), baseline: rows[name].baseline },
    ]),
  );

  // Renewal: each request presents an expired session cookie and its own refresh cookie.
  const count = Number(process.env.BENCH_RENEWALS ?? 1500);
  log(`  preparing ${count} sessions for the renewal row`);
  const pool = [];
  for (let i = 0; i < count; i++) pool.push(await signIn(renewal.url, `Renewal ${i}`));
  await new Promise((resolve) => setTimeout(resolve, 1500));
  let next = 0;
  const started = Date.now();
  const result = await load(`${renewal.url}/auth/session`, {
    amount: count,
    requests: [{ setupRequest: (request) => ({ ...request, headers: { ...request.headers, cookie: pool[next++ % pool.length] } }) }],
  });
  if (result.non2xx) throw new Error(`renewal: ${result.non2xx} non-2xx answers`);
  table["ours: renewal (1 D1 write)"] = { rps: count / ((Date.now() - started) / 1000), p50: result.latency.p50, p99: result.latency.p99 };
  return table;
}

async function costs(instrumented) {
  const counts = async () => (await fetch(`${instrumented.url}/__counts`)).json();
  await counts();
  const signedIn = await signIn(instrumented.url, "Counted");
  const signInCost = await counts();
  await fetch(`${instrumented.url}/auth/session`, { headers: { Cookie: signedIn } });
  const fresh = await counts();
  await new Promise((resolve) => setTimeout(resolve, 5500));
  const renewed = await fetch(`${instrumented.url}/auth/session`, { headers: { Cookie: signedIn } });
  if (renewed.status !== 200) throw new Error(`renewal answered ${renewed.status}`);
  const renewal = await counts();
  const revoked = await signIn(instrumented.url, "Counted Revoked");
  await fetch(`${instrumented.url}/auth/signout`, { method: "POST", headers: { Origin: instrumented.url, Cookie: revoked, Accept: "application/json" } });
  await counts();
  await fetch(`${instrumented.url}/auth/session`, { headers: { Cookie: revoked } });
  const revokedCost = await counts();
  return { "fresh session": fresh, renewal, "revoked cookie": revokedCost, "sign-in (start, dev page, callback)": signInCost };
}

function bundleSize() {
  const dir = join(out, "deploy");
  execFileSync(join(root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--minify", "--outdir", dir], { cwd: root, env: quiet, stdio: "ignore" });
  const file = readdirSync(dir).find((name) => name.endsWith(".js"));
  const code = readFileSync(join(dir, file));
  return { minifiedBytes: statSync(join(dir, file)).size, gzipBytes: gzipSync(code, { level: 9 }).length };
}

/** Time to a first answer from a new workerd with the worker, against the bare Hono bundle. */
async function startup(scripts) {
  const measure = async (scriptPath, path, bindings, assets) => {
    const times = [];
    for (let i = 0; i < 3; i++) {
      const began = performance.now();
      const { mf, url } = await start(scriptPath, bindings, true, false, assets);
      const ready = performance.now();
      await (await fetch(`${url}${path}`)).arrayBuffer();
      const answered = performance.now();
      times.push({ boot: ready - began, firstRequest: answered - ready });
      await mf.dispose();
    }
    return { bootMs: median(times.map((t) => t.boot)), firstRequestMs: median(times.map((t) => t.firstRequest)) };
  };
  return {
    ours: await measure(scripts.worker, "/auth/signin", { DEV_PROVIDER: "true" }, true),
    bareHono: await measure(scripts.baselines, "/auth/session", { BODY: "{}" }),
  };
}

const round = (value, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

async function main() {
  log("bundling…");
  await buildAssets();
  const scripts = await bundle();

  log("session check (inside workerd)…");
  const checker = await start(scripts["session-check"], {}, false);
  const check = await (await fetch(`${checker.url}/?iterations=5000&rounds=7`)).json();
  const sizes = await (await fetch(`${checker.url}/sizes`)).json();
  await checker.mf.dispose();

  log("request throughput (autocannon, interleaved)…");
  const body = JSON.stringify({ user: { id: "bench-fresh", login: "bench-fresh", name: "Bench Fresh", email: null, avatarUrl: null }, provider: "dev", sessionId: "x".repeat(22), expiresAt: new Date().toISOString() });
  const ours = await start(scripts.worker, { DEV_PROVIDER: "true" }, true, true, true);
  const baselines = await start(scripts.baselines, { BODY: body }, true, false);
  const renewal = await start(scripts.worker, { DEV_PROVIDER: "true", ACCESS_TTL: "1" }, true, true, true);
  const requests = await throughput(ours, baselines, renewal);
  for (const instance of [ours, baselines, renewal]) await instance.mf.dispose();

  log("cost per request (instrumented bindings)…");
  // Five seconds: the fresh and revoked requests come well within a cookie's life, however slow the machine.
  const instrumented = await start(scripts.instrumented, { DEV_PROVIDER: "true", ACCESS_TTL: "5" }, true, true, true);
  const cost = await costs(instrumented);
  await instrumented.mf.dispose();

  log("bundle size (wrangler deploy --dry-run --minify)…");
  const size = bundleSize();
  log("startup…");
  const boot = await startup(scripts);

  const minimal = requests["KV read + decrypt (minimal)"].rps;
  const bare = requests["bare Hono route"].rps;
  const results = {
    measuredAt: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, memoryGiB: round(totalmem() / 2 ** 30), node: process.version },
    settings: { secondsPerSample: SECONDS, rounds: ROUNDS, connections: CONNECTIONS },
    sessionCheck: {
      microsPerOp: Object.fromEntries(Object.entries(check.microsPerOp).map(([k, v]) => [k, round(v, 2)])),
      opsPerSecond: Object.fromEntries(Object.entries(check.microsPerOp).map(([k, v]) => [k, Math.round(1e6 / v)])),
      timesSlowerThanOurs: { authjs: round(check.microsPerOp.authjs / check.microsPerOp.ours, 2), iron: round(check.microsPerOp.iron / check.microsPerOp.ours, 2) },
      timesSlowerThanOursRemembered: {
        authjs: round(check.microsPerOp.authjs / check.microsPerOp.oursRemembered, 1),
        iron: round(check.microsPerOp.iron / check.microsPerOp.oursRemembered, 1),
      },
      tokenBytes: check.tokenBytes,
    },
    requests: Object.fromEntries(
      Object.entries(requests).map(([name, r]) => [
        name,
        {
          rps: Math.round(r.rps),
          p50ms: r.p50,
          p99ms: r.p99,
          // Against the same work done minimally (a KV miss or a KV hit).
          ofMinimal: round(r.rps / (r.baseline ? requests[r.baseline].rps : minimal), 2),
          ofBare: round(r.rps / bare, 2),
        },
      ]),
    ),
    bindingCalls: cost,
    size: { ...size, sessionCookieBytes: { github: sizes.github, vercel: sizes.vercel }, widestProfileLongestProviderTokenThatFits: sizes.widestProfileLongestTokenThatFits },
    startup: boot,
  };
  writeFileSync(join(root, "bench", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  print(results);
}

function print(r) {
  const line = (cells, widths) => cells.map((cell, i) => String(cell).padEnd(widths[i])).join("  ");
  const table = (head, rows) => {
    const widths = head.map((_, i) => Math.max(...[head, ...rows].map((row) => String(row[i]).length)));
    console.log(line(head, widths));
    console.log(widths.map((w) => "-".repeat(w)).join("  "));
    for (const row of rows) console.log(line(row, widths));
    console.log();
  };
  console.log(`\nMachine: ${r.machine.cpu} × ${r.machine.cores}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}\n`);
  const s = r.sessionCheck;
  table(
    ["session check (inside workerd)", "µs/op", "ops/s", "÷ ours (first open)", "÷ ours (repeat)"],
    [
      ["ours, first open: jose JWE dir+A256GCM, cached key", s.microsPerOp.ours, s.opsPerSecond.ours, 1, ""],
      ["ours, repeat: token already opened in this isolate", s.microsPerOp.oursRemembered, s.opsPerSecond.oursRemembered, "", 1],
      ["Auth.js @auth/core/jwt decode", s.microsPerOp.authjs, s.opsPerSecond.authjs, s.timesSlowerThanOurs.authjs, s.timesSlowerThanOursRemembered.authjs],
      ["iron-session unsealData", s.microsPerOp.iron, s.opsPerSecond.iron, s.timesSlowerThanOurs.iron, s.timesSlowerThanOursRemembered.iron],
    ],
  );
  table(
    ["requests (autocannon, " + r.settings.connections + " connections)", "req/s", "p50 ms", "p99 ms", "of its minimal", "of bare"],
    Object.entries(r.requests).map(([name, x]) => [name, x.rps, x.p50ms, x.p99ms, x.ofMinimal, x.ofBare]),
  );
  table(
    ["binding calls per request", "KV get", "KV put", "D1 statements"],
    Object.entries(r.bindingCalls).map(([name, c]) => [name, c.kvGet, c.kvPut, c.d1]),
  );
  table(
    ["size", "bytes"],
    [
      ["bundle, minified", r.size.minifiedBytes],
      ["bundle, gzip", r.size.gzipBytes],
      ["session cookie, GitHub user", r.size.sessionCookieBytes.github],
      ["session cookie, Vercel user", r.size.sessionCookieBytes.vercel],
      ["longest provider token fitting the widest profile", r.size.widestProfileLongestProviderTokenThatFits],
    ],
  );
  table(
    ["startup (new workerd)", "boot ms", "first request ms"],
    [
      ["ours", round(r.startup.ours.bootMs), round(r.startup.ours.firstRequestMs)],
      ["bare Hono", round(r.startup.bareHono.bootMs), round(r.startup.bareHono.firstRequestMs)],
    ],
  );
  console.log("Written to bench/results.json");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

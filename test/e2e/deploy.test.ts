import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare, Response as MiniflareResponse, type Request as MiniflareRequest } from "miniflare";
import { afterAll, beforeAll, expect, it } from "vitest";

it("`npm run deploy -- --dry-run` builds the pages Worker and the worker and prints their sizes, offline and without an account", () => {
  const out = mkdtempSync(join(tmpdir(), "esw-deploy-"));
  try {
    const env = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith("CLOUDFLARE_")) delete env[name];
    // Any request would go to a proxy that is not there.
    const offline = { HTTPS_PROXY: "http://127.0.0.1:9", HTTP_PROXY: "http://127.0.0.1:9", NO_PROXY: "" };
    const run = spawnSync("npm", ["run", "deploy", "--", "--dry-run", "--outdir", out], { env: { ...env, ...offline }, encoding: "utf8" });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain("would run `wrangler d1 migrations apply DB --remote` next");
    // The pages first (the worker binds them), then the worker.
    expect(run.stdout.match(/Total Upload: [\d.]+ KiB \/ gzip: [\d.]+ KiB/g)).toHaveLength(2);
    expect(run.stdout.indexOf("wrangler deploy -c pages/wrangler.toml")).toBeLessThan(run.stdout.indexOf("env.DB (edge-session-worker)"));
    expect(run.stdout).toContain("env.PAGES (edge-session-pages)");
    expect(run.stdout).toContain("env.DB (edge-session-worker)");
    expect(run.stdout).toContain("--dry-run: exiting now.");
    expect(readdirSync(out)).toContain("index.js");
    expect(readdirSync(join(out, "pages"))).toContain("index.js");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

/** What `wrangler deploy` would upload, built once for the tests below and run in Miniflare as Cloudflare would. */
let deployedDir: string;

beforeAll(() => {
  deployedDir = mkdtempSync(join(tmpdir(), "esw-deploy-"));
  const build = spawnSync("npx", ["wrangler", "deploy", "--dry-run", "--minify", "--outdir", deployedDir], { encoding: "utf8" });
  expect(build.status, build.stderr).toBe(0);
});

afterAll(() => rmSync(deployedDir, { recursive: true, force: true }));

interface DeployedOptions {
  bindings: Record<string, string>;
  /** Where the worker's outbound fetches go (a provider's endpoints). */
  outboundService?: (request: MiniflareRequest) => Promise<MiniflareResponse>;
}

async function withDeployed({ bindings, outboundService }: DeployedOptions, use: (mf: Miniflare) => Promise<void>) {
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(deployedDir, "index.js"),
    modulesRoot: deployedDir,
    compatibilityDate: "2026-04-26",
    kvNamespaces: ["REVOCATIONS"],
    d1Databases: ["DB"],
    ratelimits: { RATE_LIMITER: { simple: { limit: 100, period: 10 } }, RATE_LIMITER_STRICT: { simple: { limit: 100, period: 10 } } },
    serviceBindings: { ASSETS: () => new Response(null, { status: 404 }) },
    ...(outboundService && { outboundService }),
    bindings: { AUTH_SECRET: "deploy-test-secret-0123456789abcdef0123", ...bindings },
  });
  try {
    await use(mf);
  } finally {
    await mf.dispose();
  }
}

it("what is deployed has no development sign-in, and DEV_PROVIDER there is a configuration problem that says so", async () => {
  const bundle = readFileSync(join(deployedDir, "index.js"), "utf8");
  expect(bundle.includes("/dev/authorize"), "the development provider's page is in the deployed bundle").toBe(false);
  await withDeployed({ bindings: { DEV_PROVIDER: "true", GITHUB_CLIENT_ID: "id", GITHUB_CLIENT_SECRET: "secret" } }, async (mf) => {
    const answer = await mf.dispatchFetch("http://localhost/auth/signin", { headers: { Accept: "application/json" } });
    expect(answer.status).toBe(500);
    expect(((await answer.json()) as { message: string }).message).toContain("DEV_PROVIDER is on, but the development sign-in exists only in the development build");
  });
});

it("the deployed bundle's PKCE challenge is the verifier's SHA-256 (wrangler.toml [alias] gives arctic @oslojs/crypto's sha256 alone)", async () => {
  expect(readFileSync(join(deployedDir, "index.js"), "utf8")).not.toMatch(/sha512/i);
  const verifiers: (string | null)[] = [];
  const bindings = { VERCEL_CLIENT_ID: "id", VERCEL_CLIENT_SECRET: "secret" };
  // Vercel's token endpoint, as far as the worker can tell: it keeps the verifier the worker sends.
  const outboundService = async (request: MiniflareRequest) => {
    verifiers.push(new URLSearchParams(await request.text()).get("code_verifier"));
    return MiniflareResponse.json({ error: "invalid_grant" }, { status: 400 });
  };
  await withDeployed({ bindings, outboundService }, async (mf) => {
    const start = await mf.dispatchFetch("http://localhost/auth/signin/vercel", { redirect: "manual" });
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get("Location")!);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    const cookie = start.headers.getSetCookie().map((line) => line.split(";")[0]).join("; ");
    await mf.dispatchFetch(`http://localhost/auth/callback/vercel?code=c&state=${authorize.searchParams.get("state")}`, { headers: { Cookie: cookie }, redirect: "manual" });
    expect(verifiers).toHaveLength(1);
    expect(authorize.searchParams.get("code_challenge")).toBe(createHash("sha256").update(verifiers[0]!).digest("base64url"));
  });
});

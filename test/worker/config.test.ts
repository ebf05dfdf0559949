import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../src/config/config";
import { call, signIn } from "./helpers";

const SECRET = "0123456789abcdef0123456789abcdef";
const limiters = { RATE_LIMITER: env.RATE_LIMITER, RATE_LIMITER_STRICT: env.RATE_LIMITER_STRICT, ASSETS: env.ASSETS };

afterEach(() => vi.restoreAllMocks());

describe("configuration", () => {
  it.each([
    [{ AUTH_SECRET: "too-short" }, "AUTH_SECRET must be at least 32 characters"],
    [{ AUTH_SECRET: `${SECRET},short` }, "AUTH_SECRET must be at least 32 characters"],
    [{ AUTH_SECRET: undefined, DEV_PROVIDER: "false" }, "AUTH_SECRET is required"],
    [{ GITHUB_OAUTH_URL: "not a url" }, "GITHUB_OAUTH_URL must be an absolute URL"],
    [{ VERCEL_API_URL: "ftp://vercel.example" }, "VERCEL_API_URL must be an http(s) URL"],
    [{ GITHUB_CLIENT_SECRET: undefined }, "GITHUB_CLIENT_SECRET is required when GITHUB_CLIENT_ID is set"],
    [{ ACCESS_TTL: "15m" }, "ACCESS_TTL must be a whole number"],
    [{ SESSION_IDLE_TTL: "-5" }, "SESSION_IDLE_TTL must be a whole number"],
    [{ ALLOWED_ORIGINS: "https://ok.example,app.example.com" }, 'ALLOWED_ORIGINS entry 2 ("app.example.com") is not an origin such as https://app.example.com'],
    [{ ALLOWED_ORIGINS: "https://app.example.com/callback" }, 'ALLOWED_ORIGINS entry 1 ("https://app.example.com/callback") is not an origin'],
    [{ AUTH_URL: "https://auth.example.com/base" }, "AUTH_URL must be an origin"],
    [{ DEV_PROVIDER: "maybe" }, "DEV_PROVIDER must be \"true\" or \"false\""],
    [{ COOKIE_DOMAIN: "not a domain" }, "COOKIE_DOMAIN must be a domain name"],
    [{ RATE_LIMITER_STRICT: undefined }, "the RATE_LIMITER_STRICT binding is missing: declare it under [[ratelimits]] in wrangler.toml"],
    [{ ASSETS: undefined }, 'the ASSETS binding is missing: declare [assets] with binding = "ASSETS" in wrangler.toml'],
    [{ ALLOWED_GITHUB_ORGS: "acme", GITHUB_CLIENT_ID: undefined, GITHUB_CLIENT_SECRET: undefined }, "ALLOWED_GITHUB_ORGS applies to github sign-in, which is not enabled"],
    [{ ALLOWED_USERS: "gitlab:583231" }, "ALLOWED_USERS names a provider this worker does not know (gitlab)"],
    [{ ALLOWED_GITHUB_ORGS: " , " }, "ALLOWED_GITHUB_ORGS is set but lists nothing: list entries, or remove ALLOWED_GITHUB_ORGS"],
    [{ ADMIN_USERS: "vercel:vc_user_4242", VERCEL_CLIENT_ID: undefined, VERCEL_CLIENT_SECRET: undefined }, "ADMIN_USERS lists vercel users, but vercel sign-in is not enabled"],
    [{ TRUSTED_PROXIES: "10.0.0.0/8, 10.0.0.300/8" }, 'TRUSTED_PROXIES entry 2 ("10.0.0.300/8") is not a CIDR such as 10.0.0.0/8 or fd00::/8, or a single address'],
    [{ TRUSTED_PROXIES: "fd00::/129" }, 'TRUSTED_PROXIES entry 1 ("fd00::/129") is not a CIDR'],
    [{ TRUSTED_PROXIES: "192.168.1.5/24" }, 'TRUSTED_PROXIES entry 1 ("192.168.1.5/24") has address bits set past its prefix: write its network, 192.168.1.0/24, or 192.168.1.5 alone for that one address'],
    [{ TRUSTED_PROXIES: " , " }, "TRUSTED_PROXIES is set but lists nothing"],
  ])("reports %o as a 500 naming the variable", async (vars, message) => {
    const response = await call("/auth/session", { headers: { Accept: "application/json" } }, vars);
    expect(response.status).toBe(500);
    const body = await response.json<{ error: string; message: string }>();
    expect(body.error).toBe("server_misconfigured");
    expect(body.message).toContain(`server misconfigured: ${message}`);
    const page = await call("/auth/signin", {}, vars);
    expect(page.status).toBe(500);
    expect(await page.text()).toContain(message.replace(/"/g, "&quot;"));
  });

  it("shows a broken configuration on a page with the normal layout, each problem listed once and misconfiguration said once", async () => {
    const vars = { AUTH_SECRET: "short", ACCESS_TTL: "15m", ALLOWED_ORIGINS: "app.example.com" };
    const problems = [
      "AUTH_SECRET must be at least 32 characters (each, when several are listed)",
      "ACCESS_TTL must be a whole number ≥ 1",
      'ALLOWED_ORIGINS entry 1 ("app.example.com") is not an origin such as https://app.example.com',
    ];
    const page = await call("/auth/signin", {}, vars);
    expect(page.status).toBe(500);
    expect(page.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("Content-Security-Policy")).toBe("default-src 'none'; style-src 'self'");
    const html = await page.text();
    expect(html).toMatch(/^<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"\/><meta name="viewport"/);
    expect(html).toContain('<link rel="stylesheet" href="./style.css"/>');
    const main = /<main>(.*)<\/main>/s.exec(html)![1]!;
    expect(main.match(/misconfigured/gi)).toHaveLength(1);
    expect([...main.matchAll(/<li>(.*?)<\/li>/g)].map((m) => m[1])).toEqual(problems.map((p) => p.replace(/"/g, "&quot;")));

    // The stylesheet it links is served, relative to wherever the page is.
    for (const path of ["/auth/style.css", "/some/app/style.css"]) {
      const css = await call(path, {}, vars);
      expect(css.status).toBe(200);
      expect(css.headers.get("Content-Type")).toBe("text/css; charset=utf-8");
      expect(await css.text()).toBe(await (await call("/auth/style.css")).text());
    }

    // JSON callers get what they always did.
    const json = await call("/auth/session", { headers: { Accept: "application/json" } }, vars);
    expect(json.status).toBe(500);
    expect(await json.json()).toEqual({ error: "server_misconfigured", message: `server misconfigured: ${problems.join("; ")}` });
  });

  it("never echoes a secret's value", async () => {
    const response = await call("/auth/session", {}, { AUTH_SECRET: "hunter2-is-my-secret" });
    expect(await response.text()).not.toContain("hunter2");
  });

  it("lists every problem at once", () => {
    const result = parseConfig({ ...limiters, AUTH_SECRET: "short", ACCESS_TTL: "x", GITHUB_CLIENT_ID: "id" });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([
      "AUTH_SECRET must be at least 32 characters (each, when several are listed)",
      "ACCESS_TTL must be a whole number ≥ 1",
      "GITHUB_CLIENT_SECRET is required when GITHUB_CLIENT_ID is set",
    ]);
  });

  it("refuses to serve a sign-in at all when an allow-list cannot be applied, rather than letting anyone in", async () => {
    // A Vercel and development deployment: GitHub, which owns ALLOWED_GITHUB_ORGS, is off.
    const vars = { ALLOWED_GITHUB_ORGS: "acme", GITHUB_CLIENT_ID: undefined, GITHUB_CLIENT_SECRET: undefined };
    for (const provider of ["vercel", "dev"]) {
      const start = await call(`/auth/signin/${provider}`, { headers: { Accept: "application/json" } }, vars);
      expect(start.status).toBe(500);
      expect(start.headers.get("Location")).toBeNull();
      expect(start.headers.getSetCookie()).toEqual([]);
      expect(await start.json()).toMatchObject({ error: "server_misconfigured" });
    }
  });

  it.each([
    [{ ALLOWED_GITHUB_ORGS: "acme", VERCEL_CLIENT_ID: "id", VERCEL_CLIENT_SECRET: "s" }, "ALLOWED_GITHUB_ORGS applies to github sign-in, which is not enabled: set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET, or remove ALLOWED_GITHUB_ORGS"],
    [{ ALLOWED_GITHUB_ORGS: "acme", DEV_PROVIDER: "true" }, "ALLOWED_GITHUB_ORGS applies to github sign-in, which is not enabled: set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET, or remove ALLOWED_GITHUB_ORGS"],
    [{ ALLOWED_USERS: "vercel:vc_user_4242", DEV_PROVIDER: "true" }, "ALLOWED_USERS lists vercel users, but vercel sign-in is not enabled: set VERCEL_CLIENT_ID and VERCEL_CLIENT_SECRET, or remove those entries"],
    [{ ADMIN_USERS: "github:583231", DEV_PROVIDER: "true" }, "ADMIN_USERS lists github users, but github sign-in is not enabled: set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET, or remove those entries"],
    [{ ADMIN_USERS: "dev:root", GITHUB_CLIENT_ID: "id", GITHUB_CLIENT_SECRET: "s" }, "ADMIN_USERS lists dev users, but dev sign-in is not enabled: set DEV_PROVIDER=true, or remove those entries"],
    [{ ALLOWED_USERS: "okta:ada", DEV_PROVIDER: "true" }, "ALLOWED_USERS names a provider this worker does not know (okta): use one of github, vercel, dev"],
    [{ ADMIN_USERS: "github:ada@example.com", GITHUB_CLIENT_ID: "id", GITHUB_CLIENT_SECRET: "s" }, "ADMIN_USERS names admins by the provider's stable id, such as github:583231, not by email"],
    [{ ALLOWED_USERS: "github 583231", GITHUB_CLIENT_ID: "id", GITHUB_CLIENT_SECRET: "s" }, "ALLOWED_USERS must list provider:id or provider:email entries such as github:583231 or vercel:ada@example.com"],
  ])("refuses an allow-list that cannot be applied: %o", (vars, problem) => {
    const result = parseConfig({ ...limiters, AUTH_SECRET: SECRET, ...vars });
    expect(!result.ok && result.problems).toEqual([problem]);
  });

  it("warns about each renamable GitHub login in ALLOWED_USERS and ADMIN_USERS, and not about ids or emails", () => {
    const result = parseConfig({
      ...limiters,
      AUTH_SECRET: SECRET,
      GITHUB_CLIENT_ID: "id",
      GITHUB_CLIENT_SECRET: "s",
      VERCEL_CLIENT_ID: "id",
      VERCEL_CLIENT_SECRET: "s",
      ALLOWED_USERS: "github:583231, GitHub:Alice, github:bob@example.com, vercel:vc_user_4242",
      ADMIN_USERS: "github:octocat, github:1",
    });
    expect(result.ok && result.config.warnings).toEqual([
      "ALLOWED_USERS lists github:Alice by login, which can be renamed and claimed by someone else; it matches in this release only: use github:<id> (logged at each match)",
      "ADMIN_USERS lists github:octocat by login, which can be renamed and claimed by someone else; it matches in this release only: use github:<id> (logged at each match)",
    ]);
  });

  it("reads TRUSTED_PROXIES as IPv4 and IPv6 CIDRs, and names every entry it cannot read", () => {
    const good = parseConfig({ ...limiters, AUTH_SECRET: SECRET, DEV_PROVIDER: "true", TRUSTED_PROXIES: " 10.0.0.0/8, 192.168.1.5/32,fd00::/8 , 2001:db8::7 " });
    expect(good.ok && good.config.trustedProxies.map((cidr) => cidr.prefix)).toEqual([8, 32, 8, 128]);
    expect(good.ok && good.config.warnings).toEqual([]);
    const unset = parseConfig({ ...limiters, AUTH_SECRET: SECRET, DEV_PROVIDER: "true" });
    expect(unset.ok && unset.config.trustedProxies).toEqual([]);
    const bad = parseConfig({ ...limiters, AUTH_SECRET: SECRET, DEV_PROVIDER: "true", TRUSTED_PROXIES: `10.0.0.0/8, proxy.internal, ${"f".repeat(80)}, 10.1.0.0/8` });
    expect(!bad.ok && bad.problems).toEqual([
      'TRUSTED_PROXIES entry 2 ("proxy.internal") is not a CIDR such as 10.0.0.0/8 or fd00::/8, or a single address',
      `TRUSTED_PROXIES entry 3 ("${"f".repeat(50)}") is not a CIDR such as 10.0.0.0/8 or fd00::/8, or a single address`,
      'TRUSTED_PROXIES entry 4 ("10.1.0.0/8") has address bits set past its prefix: write its network, 10.0.0.0/8, or 10.1.0.0 alone for that one address',
    ]);
  });

  it("warns when TRUSTED_PROXIES trusts every address", () => {
    const result = parseConfig({ ...limiters, AUTH_SECRET: SECRET, DEV_PROVIDER: "true", TRUSTED_PROXIES: "10.0.0.0/8, ::/0" });
    expect(result.ok && result.config.warnings).toEqual([
      'TRUSTED_PROXIES entry 2 ("::/0") trusts every address: any client can then choose the address it is rate-limited by with X-Forwarded-For; list only your proxies\' addresses',
    ]);
  });

  it("needs at least one provider", () => {
    const result = parseConfig({ ...limiters, AUTH_SECRET: SECRET });
    expect(!result.ok && result.problems[0]).toMatch(/no sign-in provider is enabled/);
  });

  it("parses a good configuration into typed values with the documented defaults", () => {
    const result = parseConfig({ ...limiters, AUTH_SECRET: ` ${SECRET} , ${SECRET.toUpperCase()} `, GITHUB_CLIENT_ID: "id", GITHUB_CLIENT_SECRET: "s", ALLOWED_ORIGINS: "https://app.example.com/" });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      secrets: [SECRET, SECRET.toUpperCase()],
      basePath: "/auth",
      accessTtl: 900,
      idleTtl: 86_400,
      maxTtl: 604_800,
      rememberTtl: 2_592_000,
      cookieDomain: null,
      authOrigin: null,
    });
    expect([...result.config.allowedOrigins]).toEqual(["https://app.example.com"]);
    expect([...result.config.providers.keys()]).toEqual(["github"]);
  });

  it("lets development run without AUTH_SECRET, on a random per-isolate secret, and says so once", async () => {
    const vars = { AUTH_SECRET: undefined, DEV_PROVIDER: "true" };
    const log = vi.spyOn(console, "log");
    const { jar } = await signIn("dev", { as: "No Secret", vars });
    const warnings = log.mock.calls.map(([line]) => JSON.parse(String(line))).filter((line) => line.event === "config_warning");
    expect(warnings).toEqual([expect.objectContaining({ reason: expect.stringMatching(/^AUTH_SECRET is not set: using a random development secret/) })]);
    const session = await call("/auth/session", { headers: { Cookie: jar.header } }, vars);
    expect(session.status).toBe(200);
    // Another isolate (another env) has another secret: the session does not carry over.
    const elsewhere = await call("/auth/session", { headers: { Cookie: jar.header } }, { ...vars });
    expect(elsewhere.status).toBe(401);
  });

  it("warns once, at the first production request, when AUTH_URL does not pin the origin", async () => {
    const warningsIn = (log: { mock: { calls: unknown[][] } }) =>
      log.mock.calls.map(([line]) => JSON.parse(String(line))).filter((line) => line.event === "config_warning" && /^AUTH_URL is not set/.test(line.reason));
    const log = vi.spyOn(console, "log");
    // Configurations of their own (fresh isolates), identical to the default.
    await call("http://localhost:8787/auth/session", {}, { ACCESS_TTL: "900" });
    expect(warningsIn(log)).toEqual([]);
    const unpinned = { ACCESS_TTL: "900" };
    await call("https://auth.example.com/auth/session", {}, unpinned);
    await call("https://other.example/auth/session", {}, unpinned);
    expect(warningsIn(log)).toHaveLength(1);
    const pinned = { AUTH_URL: "https://auth.example.com" };
    await call("https://auth.example.com/auth/session", {}, pinned);
    expect(warningsIn(log)).toHaveLength(1);
  });

  it("serves under a configured base path", async () => {
    const response = await call("/login/signin", {}, { AUTH_BASE_PATH: "/login" });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('action="/login/signin/');
    expect((await call("/auth/signin", {}, { AUTH_BASE_PATH: "/login" })).status).toBe(404);
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { call, signIn } from "./helpers";

const SECRET = "0123456789abcdef0123456789abcdef";
const limiters = { RATE_LIMITER: env.RATE_LIMITER, RATE_LIMITER_STRICT: env.RATE_LIMITER_STRICT };

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
    [{ ALLOWED_ORIGINS: "https://ok.example,app.example.com" }, "ALLOWED_ORIGINS must list origins"],
    [{ AUTH_URL: "https://auth.example.com/base" }, "AUTH_URL must be an origin"],
    [{ DEV_PROVIDER: "maybe" }, "DEV_PROVIDER must be \"true\" or \"false\""],
    [{ COOKIE_DOMAIN: "not a domain" }, "COOKIE_DOMAIN must be a domain name"],
    [{ RATE_LIMITER_STRICT: undefined }, "the RATE_LIMITER_STRICT binding is missing: declare it under [[ratelimits]] in wrangler.toml"],
  ])("reports %o as a 500 naming the variable", async (vars, message) => {
    const response = await call("/auth/session", { headers: { Accept: "application/json" } }, vars);
    expect(response.status).toBe(500);
    const body = await response.json<{ error: string; message: string }>();
    expect(body.error).toBe("server_misconfigured");
    expect(body.message).toContain(`server misconfigured: ${message}`);
    const page = await call("/auth/signin", {}, vars);
    expect(page.status).toBe(500);
    expect(await page.text()).toContain(message.replace(/"/g, "&#34;"));
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

  it("lets development run without AUTH_SECRET, on a random per-isolate secret", async () => {
    const vars = { AUTH_SECRET: undefined, DEV_PROVIDER: "true" };
    const { jar } = await signIn("dev", { as: "No Secret", vars });
    const session = await call("/auth/session", { headers: { Cookie: jar.header } }, vars);
    expect(session.status).toBe(200);
    // Another isolate (another env) has another secret: the session does not carry over.
    const elsewhere = await call("/auth/session", { headers: { Cookie: jar.header } }, { ...vars });
    expect(elsewhere.status).toBe(401);
  });

  it("serves under a configured base path", async () => {
    const response = await call("/login/signin", {}, { AUTH_BASE_PATH: "/login" });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('action="/login/signin/');
    expect((await call("/auth/signin", {}, { AUTH_BASE_PATH: "/login" })).status).toBe(404);
  });
});

import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { parseConfig, type Config } from "../../src/config/config";
import { setAuthCookie } from "../../src/http/cookies";
import type { AppEnv } from "../../src/env";
import { onError } from "../../src/http/respond";
import { call, PUBLIC, sessionOf, signIn } from "./helpers";

const attributes = (header: string) => header.split(";").slice(1).map((a) => a.trim());

describe("cookies", () => {
  it("on plain-http localhost: no prefix, no Secure, HttpOnly, SameSite=Lax, Path=/", async () => {
    const { response } = await signIn("dev", { as: "Cookie Local" });
    const header = response.headers.getSetCookie().find((h) => h.startsWith("auth.session="))!;
    expect(header).toBeDefined();
    expect(attributes(header)).toEqual(expect.arrayContaining(["Path=/", "HttpOnly", "SameSite=Lax"]));
    expect(header).not.toMatch(/Secure|Domain=/);
  });

  it("on https: __Host- prefix, Secure, no Domain", async () => {
    const start = await call(`${PUBLIC}/auth/signin/github`);
    const header = start.headers.getSetCookie()[0]!;
    expect(header).toMatch(/^__Host-auth\.flow=/);
    expect(attributes(header)).toEqual(expect.arrayContaining(["Path=/", "HttpOnly", "SameSite=Lax", "Secure", "Max-Age=600"]));
    expect(header).not.toMatch(/Domain=/);

    const { jar, response } = await signIn("github", { as: "securecookie", origin: PUBLIC });
    expect(response.status).toBe(302);
    expect([...jar.cookies.keys()]).toEqual(["__Host-auth.session", "__Host-auth.refresh"]);
    expect((await sessionOf(jar, PUBLIC)).status).toBe(200);
  });

  it("with COOKIE_DOMAIN: __Secure- prefix and the domain, so sibling subdomains share it", async () => {
    const start = await call(`${PUBLIC}/auth/signin/github`, {}, { COOKIE_DOMAIN: "example.com" });
    const header = start.headers.getSetCookie()[0]!;
    expect(header).toMatch(/^__Secure-auth\.flow=/);
    expect(attributes(header)).toEqual(expect.arrayContaining(["Domain=example.com", "Secure", "HttpOnly"]));
  });

  it("ignores a cookie under the other scheme's name", async () => {
    const { jar } = await signIn("dev", { as: "Scheme Mixer" });
    const value = jar.get("auth.session")!;
    const response = await call(`${PUBLIC}/auth/session`, { headers: { Cookie: `auth.session=${value}` } });
    expect(response.status).toBe(401);
  });

  it("clips long display fields so a realistic session fits", async () => {
    const { response } = await signIn("github", { as: "x".repeat(39), behave: "wide_name" });
    expect(response.status).toBe(302);
    const header = response.headers.getSetCookie().find((h) => h.startsWith("auth.session="))!;
    expect(header.length).toBeLessThanOrEqual(4096);
  });

  it("refuses a cookie over 4096 bytes with a clear error, and sets nothing", async () => {
    const app = new Hono<AppEnv>();
    app.use(async (c, next) => {
      c.set("config", (parseConfig({ AUTH_SECRET: "x".repeat(32), DEV_PROVIDER: "true", RATE_LIMITER: env.RATE_LIMITER, RATE_LIMITER_STRICT: env.RATE_LIMITER_STRICT, ASSETS: env.ASSETS }) as { config: Config }).config);
      c.set("origin", "http://localhost");
      await next();
    });
    app.get("/:size", (c) => {
      setAuthCookie(c, "session", "v".repeat(Number(c.req.param("size"))));
      return c.text("set");
    });
    app.onError(onError);
    const fits = await app.request("/4000");
    expect(fits.status).toBe(200);
    expect(fits.headers.getSetCookie()[0]!.length).toBeLessThanOrEqual(4096);
    const refused = await app.request("/4090", { headers: { Accept: "application/json" } });
    expect(refused.status).toBe(422);
    expect(await refused.json()).toEqual({ error: "cookie_too_large", message: expect.stringContaining("4096 bytes") });
    expect(refused.headers.getSetCookie()).toEqual([]);
  });
});

import { env } from "cloudflare:workers";
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { browse, call, LOCAL, sessionRow, signIn } from "./helpers";

afterEach(() => vi.useRealTimers());

async function jwks() {
  return createLocalJWKSet(await (await call("/auth/jwks.json")).json());
}

describe("GET /auth/verify (forward auth)", () => {
  it("answers 200 with identity headers and a signed assertion for a live session", async () => {
    const { jar } = await signIn("github", { as: "verified" });
    const response = await browse(jar, "/auth/verify", { headers: { "X-Original-URL": `${LOCAL}/app/page` } });
    expect(response.status).toBe(200);
    expect(response.headers.get("X-Auth-Request-User")).toMatch(/^github:\d+$/);
    expect(response.headers.get("X-Auth-Request-Preferred-Username")).toBe("verified");
    expect(response.headers.get("X-Auth-Request-Email")).toBe("verified@example.com");
    expect(response.headers.get("X-Auth-Request-Provider")).toBe("github");
    expect(response.headers.get("X-Auth-Request-Session")).toMatch(/^[\w-]{22}$/);
    const { payload, protectedHeader } = await jwtVerify(response.headers.get("X-Auth-Assertion")!, await jwks(), { issuer: LOCAL, audience: LOCAL });
    expect(protectedHeader.alg).toBe("EdDSA");
    expect(payload).toMatchObject({ sub: response.headers.get("X-Auth-Request-User"), login: "verified", provider: "github", email: "verified@example.com" });
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(60);
  });

  it("addresses the assertion to an allowed origin named by the proxy", async () => {
    const { jar } = await signIn("dev", { as: "Audience" });
    const response = await browse(jar, "/auth/verify", {
      headers: { "X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/x" },
    });
    await jwtVerify(response.headers.get("X-Auth-Assertion")!, await jwks(), { audience: "https://app.example.com" });
    const spoofed = await browse(jar, "/auth/verify", { headers: { "X-Original-URL": "https://victim.example/x" } });
    await expect(jwtVerify(spoofed.headers.get("X-Auth-Assertion")!, await jwks(), { audience: "https://victim.example" })).rejects.toThrow();
  });

  it.each([
    ["rd", "/auth/verify?rd=%2Fapp%3Fx%3D1", {}, "/app?x=1"],
    ["X-Original-URL", "/auth/verify", { "X-Original-URL": `${LOCAL}/app/page` }, `${LOCAL}/app/page`],
    ["X-Forwarded-*", "/auth/verify", { "X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/dash" }, "https://app.example.com/dash"],
    ["a foreign rd", "/auth/verify?rd=https%3A%2F%2Fevil.example%2F", {}, "/"],
  ])("answers 401 with the sign-in URL that bounces back (%s)", async (_, path, headers, back) => {
    const response = await call(path, { headers });
    expect(response.status).toBe(401);
    const body = await response.json<{ error: string; signin: string }>();
    expect(body.error).toBe("unauthenticated");
    expect(body.signin).toBe(`${LOCAL}/auth/signin?redirect_to=${encodeURIComponent(back)}`);
    expect(response.headers.get("X-Auth-Signin")).toBe(body.signin);
  });

  it("gives browsers (behind Traefik or Caddy) a page that moves on to sign in", async () => {
    const response = await call("/auth/verify?rd=%2Fapp", { headers: { Accept: "text/html" } });
    expect(response.status).toBe(401);
    const html = await response.text();
    expect(html).toContain('<meta http-equiv="refresh" content="0;url=http://localhost:8787/auth/signin?redirect_to=%2Fapp"/>');
  });

  it("renews an expired session on the way for a proxy that delivers our cookies, refresh cookie first (for proxies that pass on only one)", async () => {
    const { jar } = await signIn("dev", { as: "Renew Verify" });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 901_000);
    const response = await browse(jar, "/auth/verify", { headers: { "X-Auth-Deliver-Cookies": "true" } });
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie().map((h) => h.split("=")[0])).toEqual(["auth.refresh", "auth.session"]);
  });

  it("never spends the refresh secret for a proxy that does not deliver cookies: 401, then the sign-in URL renews and bounces back", async () => {
    const { jar } = await signIn("dev", { as: "No Delivery" });
    const { sessionId } = await (await browse(jar, "/auth/session")).json<{ sessionId: string }>();
    const before = await sessionRow(sessionId);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 901_000);
    const log = vi.spyOn(console, "log");
    const denied = await call("/auth/verify", { headers: { Cookie: jar.header, "X-Forwarded-Proto": "http", "X-Forwarded-Host": "localhost:8787", "X-Forwarded-Uri": "/app?x=1" } });
    expect(denied.status).toBe(401);
    expect(denied.headers.getSetCookie()).toEqual([]);
    expect((await sessionRow(sessionId))!.secret_hash).toBe(before!.secret_hash);
    const signin = (await denied.json<{ signin: string }>()).signin;
    // The browser's top-level visit: renewal happens here, where the cookies reach it.
    const bounce = await browse(jar, signin);
    expect(bounce.status).toBe(302);
    expect(bounce.headers.get("Location")).toBe(`${LOCAL}/app?x=1`);
    expect((await sessionRow(sessionId))!.secret_hash).not.toBe(before!.secret_hash);
    const again = await browse(jar, "/auth/verify");
    expect(again.status).toBe(200);
    expect(again.headers.get("X-Auth-Request-Session")).toBe(sessionId);
    expect(log.mock.calls.map(([line]) => JSON.parse(String(line)).event)).not.toContain("refresh_reuse");
  });

  it("serves a session close to its expiry as it is, without renewing, for a proxy that does not deliver cookies", async () => {
    const { jar } = await signIn("dev", { as: "Near Expiry" });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 850_000);
    const response = await browse(jar, "/auth/verify");
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it("sends every identity header on every 200, empty when unknown", async () => {
    const { jar } = await signIn("dev", { as: "No Email" });
    const response = await browse(jar, "/auth/verify");
    expect(response.status).toBe(200);
    for (const name of ["X-Auth-Request-User", "X-Auth-Request-Email", "X-Auth-Request-Preferred-Username", "X-Auth-Request-Provider", "X-Auth-Request-Session", "X-Auth-Assertion"]) {
      expect(response.headers.has(name), name).toBe(true);
    }
    expect(response.headers.get("X-Auth-Request-Email")).toBe("");
  });

  it("takes the return target from the proxy's headers over an rd the application's own query string carried", async () => {
    const response = await call("/auth/verify?rd=%2Fsteered", {
      headers: { "X-Forwarded-Proto": "http", "X-Forwarded-Host": "localhost:8787", "X-Forwarded-Uri": "/page?rd=%2Fsteered" },
    });
    const { signin } = await response.json<{ signin: string }>();
    expect(signin).toBe(`${LOCAL}/auth/signin?redirect_to=${encodeURIComponent(`${LOCAL}/page?rd=%2Fsteered`)}`);
  });

  it("accepts a bearer token and refuses a revoked one", async () => {
    const { jar } = await signIn("dev", { as: "Bearer Verify" });
    const { access_token } = await (await browse(jar, "/auth/token", { method: "POST", headers: { Origin: LOCAL } })).json<{ access_token: string }>();
    expect((await call("/auth/verify", { headers: { Authorization: `Bearer ${access_token}` } })).status).toBe(200);
    await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } });
    expect((await call("/auth/verify", { headers: { Authorization: `Bearer ${access_token}` } })).status).toBe(401);
  });

  it("publishes the same keys at /.well-known/jwks.json", async () => {
    const a = await (await call("/auth/jwks.json")).json<{ keys: { kid: string; kty: string; crv: string; alg: string; d?: string }[] }>();
    const b = await (await call("/.well-known/jwks.json")).json();
    expect(b).toEqual(a);
    expect(a.keys).toHaveLength(1);
    expect(a.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    expect(a.keys[0]!.d).toBeUndefined();
  });

  it("publishes a key per configured secret so tokens survive a rotation", async () => {
    const vars = { AUTH_SECRET: `${"n".repeat(32)},${env.AUTH_SECRET}` };
    const { keys } = await (await call("/auth/jwks.json", {}, vars)).json<{ keys: unknown[] }>();
    expect(keys).toHaveLength(2);
  });
});

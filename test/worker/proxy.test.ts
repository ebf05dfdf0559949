import { env } from "cloudflare:workers";
import { createLocalJWKSet, generateKeyPair, jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { browse, call, LOCAL, signIn } from "./helpers";

const proxyVars = { UPSTREAM_URL: `${env.STANDIN_URL}/upstream` };
const withToken = { ...proxyVars, PASS_ACCESS_TOKEN: "true" };
const upstreamOrigin = new URL(env.STANDIN_URL).origin;

interface Echo {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string;
}

async function signedIn(vars: Record<string, unknown> = proxyVars) {
  return (await signIn("github", { as: "proxied", vars })).jar;
}

describe("proxy mode (UPSTREAM_URL)", () => {
  it("sends browsers that are not signed in to sign in, and answers others with 401", async () => {
    const browser = await call("/reports?year=2026", { headers: { Accept: "text/html" } }, proxyVars);
    expect(browser.status).toBe(302);
    expect(browser.headers.get("Location")).toBe("/auth/signin?redirect_to=%2Freports%3Fyear%3D2026");
    const api = await call("/api/items", { headers: { Accept: "application/json" } }, proxyVars);
    expect(api.status).toBe(401);
    expect(await api.json()).toMatchObject({ error: "unauthenticated" });
  });

  it("forwards method, path, query and body, with our identity headers and a verifiable assertion", async () => {
    const jar = await signedIn();
    const response = await browse(jar, "/api/items?sort=asc", { method: "POST", body: "hello upstream", headers: { "Content-Type": "text/plain", Origin: LOCAL } }, proxyVars);
    expect(response.status).toBe(200);
    const echo = await response.json<Echo>();
    expect(echo).toMatchObject({ method: "POST", path: "/api/items", query: "?sort=asc", body: "hello upstream" });
    expect(echo.headers["x-auth-request-user"]).toMatch(/^github:\d+$/);
    expect(echo.headers["x-auth-request-preferred-username"]).toBe("proxied");
    expect(echo.headers["x-auth-request-email"]).toBe("proxied@example.com");
    expect(echo.headers["x-forwarded-host"]).toBe("localhost:8787");
    const jwks = createLocalJWKSet(await (await call("/auth/jwks.json", {}, proxyVars)).json());
    const { payload } = await jwtVerify(echo.headers["x-auth-assertion"]!, jwks, { issuer: LOCAL, audience: upstreamOrigin });
    expect(payload.sub).toBe(echo.headers["x-auth-request-user"]);
  });

  it("strips identity headers the client sent, and our cookies, but keeps the rest", async () => {
    const jar = await signedIn();
    jar.cookies.set("theme", "dark");
    const response = await browse(jar, "/whoami", {
      headers: {
        "X-Auth-Request-User": "github:1",
        "X-Auth-Request-Email": "admin@example.com",
        "X-Auth-Assertion": "forged",
        "X-Forwarded-User": "admin",
        "X-Forwarded-Email": "admin@example.com",
        "X-Forwarded-Access-Token": "stolen",
        "Remote-User": "admin",
        "X-Custom": "kept",
      },
    }, proxyVars);
    const echo = await response.json<Echo>();
    expect(echo.headers["x-auth-request-user"]).not.toBe("github:1");
    expect(echo.headers["x-auth-request-email"]).toBe("proxied@example.com");
    expect(echo.headers["x-auth-assertion"]).not.toBe("forged");
    for (const name of ["x-forwarded-user", "x-forwarded-email", "x-forwarded-access-token", "remote-user"]) expect(echo.headers[name]).toBeUndefined();
    expect(echo.headers["x-custom"]).toBe("kept");
    expect(echo.headers.cookie).toBe("theme=dark");
  });

  it("passes the provider's access token only with PASS_ACCESS_TOKEN=true", async () => {
    const jar = await signedIn(withToken);
    const without = await (await browse(jar, "/t", {}, proxyVars)).json<Echo>();
    expect(without.headers["x-forwarded-access-token"]).toBeUndefined();
    const withIt = await (await browse(jar, "/t", {}, withToken)).json<Echo>();
    expect(withIt.headers["x-forwarded-access-token"]).toMatch(/^gho_/);
  });

  it("passes the upstream's status, headers, cookies and redirects through unchanged", async () => {
    const jar = await signedIn();
    const created = await browse(jar, "/created", { method: "PUT", body: "x", headers: { Origin: LOCAL } }, proxyVars);
    expect(created.status).toBe(201);
    expect(created.headers.get("X-Upstream")).toBe("yes");
    expect(created.headers.get("Content-Security-Policy")).toBe("default-src 'self' upstream.example");
    expect(created.headers.getSetCookie()).toEqual(["upstream_pref=dark; Path=/", "upstream_seen=1; Path=/; HttpOnly"]);
    const redirect = await browse(jar, "/redirect", {}, proxyVars);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("Location")).toBe("/elsewhere?from=upstream");
  });

  it("streams the upstream's body", async () => {
    const jar = await signedIn();
    const response = await browse(jar, "/stream", {}, proxyVars);
    const reader = response.body!.getReader();
    const chunks: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(new TextDecoder().decode(value));
    }
    expect(chunks.join("")).toBe("chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n");
  });

  it("accepts a bearer token instead of cookies, and does not forward it", async () => {
    const jar = await signedIn();
    const { access_token } = await (await browse(jar, "/auth/token", { method: "POST", headers: { Origin: LOCAL } }, proxyVars)).json<{ access_token: string }>();
    const response = await call("/api/x", { headers: { Authorization: `Bearer ${access_token}` } }, proxyVars);
    expect(response.status).toBe(200);
    const echo = await response.json<Echo>();
    expect(echo.headers.authorization).toBeUndefined();
    expect(echo.headers["x-auth-request-preferred-username"]).toBe("proxied");
  });

  it("keeps /auth to itself", async () => {
    const response = await call("/auth/nothing-here", { headers: { Accept: "application/json" } }, proxyVars);
    expect(response.status).toBe(404);
  });

  it("answers 502 when the upstream cannot be reached", async () => {
    const vars = { UPSTREAM_URL: "http://127.0.0.1:9" };
    const { jar } = await signIn("dev", { as: "Down Stream", vars });
    const response = await browse(jar, "/x", { headers: { Accept: "application/json" } }, vars);
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: "upstream_unavailable" });
  });

  it("an assertion forged by someone bypassing the worker fails JWKS verification", async () => {
    const jwks = createLocalJWKSet(await (await call("/auth/jwks.json")).json());
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const ourKid = (await (await call("/auth/jwks.json")).json<{ keys: { kid: string }[] }>()).keys[0]!.kid;
    const forged = await new SignJWT({ sub: "github:1", login: "admin" })
      .setProtectedHeader({ alg: "EdDSA", kid: ourKid })
      .setIssuer(LOCAL)
      .setAudience(upstreamOrigin)
      .setIssuedAt()
      .setExpirationTime("1m")
      .sign(privateKey);
    await expect(jwtVerify(forged, jwks, { issuer: LOCAL, audience: upstreamOrigin })).rejects.toThrow(/signature/);
  });
});

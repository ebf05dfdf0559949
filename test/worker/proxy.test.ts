import { env } from "cloudflare:workers";
import { createLocalJWKSet, generateKeyPair, jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { COOKIE_KINDS } from "../../src/http/cookie-names";
import { browse, call, LOCAL, ourCookieNames, signIn } from "./helpers";

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

  it("keeps every cookie kind the worker declares, in any spelling, from the upstream", async () => {
    const jar = await signedIn();
    const planted = ourCookieNames();
    // The list drives the check: each kind, six spellings.
    expect(planted).toHaveLength(COOKIE_KINDS.length * 6);
    const cookie = [jar.header, "theme=dark", ...planted.map((name) => `${name}=planted`)].join("; ");
    const response = await call("/whoami", { headers: { Cookie: cookie } }, proxyVars);
    expect(response.status).toBe(200);
    expect((await response.json<Echo>()).headers.cookie).toBe("theme=dark");
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

  it("passes a bearer token it did not issue on to the upstream, and identifies the request by its cookie", async () => {
    const jar = await signedIn();
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const upstreamJWT = await new SignJWT({ sub: "api-client" }).setProtectedHeader({ alg: "EdDSA", kid: "upstream-key" }).setExpirationTime("5m").sign(privateKey);
    for (const token of ["upstream-opaque-token", upstreamJWT]) {
      const response = await browse(jar, "/api/x", { headers: { Authorization: `Bearer ${token}` } }, proxyVars);
      expect(response.status, token).toBe(200);
      const echo = await response.json<Echo>();
      expect(echo.headers.authorization).toBe(`Bearer ${token}`);
      expect(echo.headers["x-auth-request-preferred-username"]).toBe("proxied");
    }
    // Without a session, someone else's token signs nobody in.
    expect((await call("/api/x", { headers: { Authorization: "Bearer upstream-opaque-token", Accept: "application/json" } }, proxyVars)).status).toBe(401);
  });

  it("never forwards a token of ours, however the client spells the Authorization header, nor our cookies from a second Cookie line", async () => {
    const jar = await signedIn();
    const { access_token: ours } = await (await browse(jar, "/auth/token", { method: "POST", headers: { Origin: LOCAL } }, proxyVars)).json<{ access_token: string }>();
    const [h, p, sig] = ours.split(".");
    for (const header of [`Bearer ${ours}, Bearer x`, `Bearer:${ours}`, `Basic x, Bearer ${ours}`]) {
      const response = await browse(jar, "/api/x", { headers: { Authorization: header } }, proxyVars);
      expect(response.status, header).toBe(200);
      expect((await response.json<Echo>()).headers.authorization, header).toBeUndefined();
    }
    // Ours by its key id, but not as we spell it: refused, never passed on.
    expect((await browse(jar, "/api/x", { headers: { Authorization: `Bearer ${h}==.${p}.${sig}`, Accept: "application/json" } }, proxyVars)).status).toBe(401);
    // Two Cookie lines arrive joined by ", ".
    const response = await call("/api/x", { headers: { Authorization: `Bearer ${ours}`, Cookie: `x=1, auth.session=${jar.get("auth.session")}` } }, proxyVars);
    expect((await response.json<Echo>()).headers.cookie).toBe("x=1");
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

  it("strips whole families of identity and forwarding headers, in any spelling, and sets the forwarding headers itself", async () => {
    const jar = await signedIn();
    const forged = {
      X_Auth_Request_Email: "admin@example.com",
      X_Auth_Request_User: "github:1",
      "x-AUTH-request-groups": "admins",
      "Remote-Groups": "admins",
      "Remote-Email": "admin@example.com",
      "Remote-Name": "Admin",
      Remote_User: "admin",
      "X-Remote-Email": "admin@example.com",
      "X-Remote-User": "admin",
      "X-Webauth-User": "admin",
      "X-Forwarded-Login": "admin",
      "X-Forwarded-Prefix": "/admin",
      X_Forwarded_Host: "evil.example",
      "X-Forwarded-For": "10.0.0.1",
      Forwarded: "for=10.0.0.1;host=evil.example",
      "X-Original-URL": "/admin",
      "X-Original-Host": "evil.example",
      "X-Rewrite-URL": "/admin",
      "True-Client-IP": "10.0.0.1",
      "X-Real-IP": "10.0.0.1",
      "X-Custom": "kept",
      "X-Authorization-Hint": "kept too",
    };
    const response = await browse(jar, "/whoami", { headers: { ...forged, "CF-Connecting-IP": "203.0.113.7" } }, proxyVars);
    const echo = await response.json<Echo>();
    const received = Object.keys(echo.headers);
    for (const name of Object.keys(forged)) {
      const spelled = name.toLowerCase();
      if (spelled.startsWith("x-custom") || spelled.startsWith("x-authorization")) continue;
      // Ours replace some of them; none may carry the client's value.
      if (received.includes(spelled)) expect(echo.headers[spelled], name).not.toBe(forged[name as keyof typeof forged]);
    }
    for (const name of ["x_auth_request_email", "remote-groups", "remote-email", "remote-name", "remote_user", "x-remote-email", "x-webauth-user", "x-forwarded-login", "x-forwarded-prefix", "x_forwarded_host", "forwarded", "x-original-url", "x-original-host", "x-rewrite-url", "true-client-ip", "x-auth-request-groups"]) {
      expect(echo.headers[name], name).toBeUndefined();
    }
    expect(echo.headers["x-auth-request-email"]).toBe("proxied@example.com");
    expect(echo.headers["x-forwarded-host"]).toBe("localhost:8787");
    expect(echo.headers["x-forwarded-for"]).toBe("203.0.113.7");
    expect(echo.headers["x-real-ip"]).toBe("203.0.113.7");
    expect(echo.headers["x-custom"]).toBe("kept");
    expect(echo.headers["x-authorization-hint"]).toBe("kept too");
  });

  it("strips the identity and client-address headers of other gateways, mTLS terminators and method overrides, and headers named in Connection", async () => {
    const jar = await signedIn();
    const forged: Record<string, string> = {
      "Client-IP": "10.0.0.1",
      "X-Client-IP": "10.0.0.1",
      "X-Cluster-Client-IP": "10.0.0.1",
      "Fastly-Client-IP": "10.0.0.1",
      "X-Originating-IP": "10.0.0.1",
      "X-ProxyUser-Ip": "10.0.0.1",
      "X-Forwarded": "for=10.0.0.1",
      "Forwarded-For": "10.0.0.1",
      "X-Appengine-User-Ip": "10.0.0.1",
      "Cf-Pseudo-IPv4": "10.0.0.1",
      "Cf-Access-Authenticated-User-Email": "admin@example.com",
      "Cf-Access-Jwt-Assertion": "forged",
      "X-Authentik-Username": "admin",
      "X-Goog-Authenticated-User-Email": "admin@example.com",
      "X-Amzn-Oidc-Identity": "admin",
      "X-MS-CLIENT-PRINCIPAL-NAME": "admin",
      "X-Pomerium-Jwt-Assertion": "forged",
      "X-Authenticated-Userid": "admin",
      "X-Consumer-Username": "admin",
      "X-Vouch-User": "admin",
      "X-Username": "admin",
      "X-SSL-Client-Verify": "SUCCESS",
      "X-SSL-Client-S-DN": "CN=admin",
      "Ssl-Client-Verify": "SUCCESS",
      "X-Client-Cert": "forged",
      "X-Host": "evil.example",
      "X-HTTP-Method-Override": "DELETE",
      "X-Method-Override": "DELETE",
      "X-Secret-Hop": "nominated",
      Connection: "keep-alive, X-Secret-Hop",
      "X-Application-Header": "kept",
    };
    const echo = await (await browse(jar, "/whoami", { headers: forged }, proxyVars)).json<Echo>();
    for (const name of Object.keys(forged)) {
      if (name === "X-Application-Header") continue;
      expect(echo.headers[name.toLowerCase()], name).toBeUndefined();
    }
    expect(echo.headers["x-application-header"]).toBe("kept");
  });

  it("sends X-Forwarded-Host/Proto for the worker's public origin, not the client's Host, when AUTH_URL is set", async () => {
    const vars = { ...proxyVars, AUTH_URL: "https://auth.example.com" };
    const { jar } = await signIn("github", { as: "forwarded-host", vars, origin: "https://auth.example.com" });
    const response = await call("https://evil.example/whoami", { headers: { Cookie: jar.header } }, vars);
    const echo = await response.json<Echo>();
    expect(echo.headers["x-forwarded-host"]).toBe("auth.example.com");
    expect(echo.headers["x-forwarded-proto"]).toBe("https");
  });

  it("passes a request with Expect: 100-continue on as a plain request, never a 500", async () => {
    const jar = await signedIn();
    const response = await browse(jar, "/upload", { method: "POST", body: "hello", headers: { Origin: LOCAL, Expect: "100-continue", "Content-Type": "text/plain" } }, proxyVars);
    expect(response.status).toBe(200);
    const echo = await response.json<Echo>();
    expect(echo.body).toBe("hello");
    expect(echo.headers.expect).toBeUndefined();
  });

  it("gives our own pages on proxied paths our security headers, and leaves the upstream's answers alone", async () => {
    const denied = await call("/private", { method: "POST", headers: { Accept: "text/html", Origin: LOCAL } }, proxyVars);
    expect(denied.status).toBe(401);
    expect(denied.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
    expect(denied.headers.get("X-Frame-Options")).toBe("DENY");
    const jar = await signedIn();
    const proxied = await browse(jar, "/created", { method: "PUT", body: "x", headers: { Origin: LOCAL } }, proxyVars);
    expect(proxied.headers.get("Content-Security-Policy")).toBe("default-src 'self' upstream.example");
    expect(proxied.headers.get("X-Frame-Options")).toBeNull();
  });

  it("drops an upstream's Set-Cookie for every cookie kind the worker declares, in any spelling, and keeps its own", async () => {
    const jar = await signedIn();
    const before = jar.get("auth.session");
    const response = await browse(jar, `/our-cookies?names=${encodeURIComponent(ourCookieNames().join(","))}`, {}, proxyVars);
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual(["upstream_ok=1; Path=/"]);
    expect(jar.get("auth.session")).toBe(before);
    expect((await browse(jar, "/auth/session", {}, proxyVars)).status).toBe(200);
  });
});

describe("responses that carry our cookies", () => {
  it("are never cacheable, even when the upstream said public", async () => {
    const vars = { ...proxyVars, ACCESS_TTL: "60" };
    const jar = await signedIn(vars);
    const fresh = await browse(jar, "/cacheable", {}, vars);
    expect(fresh.headers.get("Cache-Control")).toBe("public, max-age=3600");
    expect(fresh.headers.get("CDN-Cache-Control")).toBe("public, max-age=3600");
    expect(fresh.headers.getSetCookie()).toEqual([]);
    // Past its ACCESS_TTL the session cookie is renewed on the proxied request itself.
    const realNow = Date.now;
    Date.now = () => realNow() + 61_000;
    try {
      const renewed = await browse(jar, "/cacheable", {}, vars);
      expect(renewed.status).toBe(200);
      expect(renewed.headers.getSetCookie().map((cookie) => cookie.split("=")[0])).toEqual(["auth.refresh", "auth.session"]);
      expect(renewed.headers.get("Cache-Control")).toBe("private, no-store");
      // CDNs obey these over Cache-Control.
      for (const name of ["CDN-Cache-Control", "Surrogate-Control", "Expires"]) expect(renewed.headers.get(name), name).toBeNull();
    } finally {
      Date.now = realNow;
    }
  });

  it("the signed-in home page at / is never stored, renewing or not", async () => {
    const { jar } = await signIn("dev", { as: "Home Page" });
    const home = await browse(jar, "/");
    expect(home.status).toBe(200);
    expect(home.headers.getSetCookie()).toEqual([]);
    expect(home.headers.get("Cache-Control")).toBe("no-store");
  });

  it("the signed-in home page that renews is private too", async () => {
    const vars = { ACCESS_TTL: "60" };
    const { jar } = await signIn("dev", { as: "Home Renewal", vars });
    const realNow = Date.now;
    Date.now = () => realNow() + 61_000;
    try {
      const home = await browse(jar, "/", {}, vars);
      expect(home.status).toBe(200);
      expect(home.headers.getSetCookie().length).toBe(2);
      expect(home.headers.get("Cache-Control")).toBe("private, no-store");
    } finally {
      Date.now = realNow;
    }
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, LOCAL, PUBLIC, signIn } from "./helpers";

/** Every Location the worker sends must stay here, go to an allowed origin, or to a provider's sign-in page. */
function expectSafeLocation(response: Response, providerOrigin?: string) {
  const location = response.headers.get("Location");
  if (location === null) return;
  const url = new URL(location, LOCAL);
  const allowed = [new URL(LOCAL).origin, new URL(PUBLIC).origin, "https://app.example.com", ...(providerOrigin ? [providerOrigin] : [])];
  expect(allowed).toContain(url.origin);
}

describe("request hardening", () => {
  it("an oversized Cookie header (> 8 KB) is a clean 401", async () => {
    const { jar } = await signIn("dev", { as: "Big Header" });
    const cookie = `${"x".repeat(9000)}=1; ${jar.header}`;
    const response = await call("/auth/session", { headers: { Cookie: cookie } });
    expect([200, 401]).toContain(response.status);
    const huge = await call("/auth/session", { headers: { Cookie: `auth.session=${"A".repeat(12_000)}` } });
    expect(huge.status).toBe(401);
  });

  it("hundreds of cookies around the session still read the session", async () => {
    const { jar } = await signIn("dev", { as: "Many Cookies" });
    const noise = Array.from({ length: 400 }, (_, i) => `c${i}=${i}`).join("; ");
    expect((await call("/auth/session", { headers: { Cookie: `${noise}; ${jar.header}` } })).status).toBe(200);
  });

  it("duplicate session cookies: the first one counts, a forged first one is refused", async () => {
    const { jar } = await signIn("dev", { as: "Duplicate" });
    const real = jar.get("auth.session")!;
    expect((await call("/auth/session", { headers: { Cookie: `auth.session=forged; auth.session=${real}` } })).status).toBe(401);
    expect((await call("/auth/session", { headers: { Cookie: `auth.session=${real}; auth.session=forged` } })).status).toBe(200);
  });

  it.each([
    "/auth/signin?redirect_to=%FF%FE",
    "/auth/signin?redirect_to=%E0%A4%A",
    "/auth/signin/github?redirect_to=%",
    "/auth/signin/github?remember=%00&redirect_to=%0d%0aLocation:%20https://evil.example",
    "/auth/callback/github?code=%FF&state=%",
    "/auth/callback/github?code&state&error",
    "/auth/callback/github?error=%FF%FE&error_description=%",
    "/auth/verify?rd=%FF",
    "/auth/verify?rd=javascript:alert(1)",
    "/auth/session?%%%=%%%",
    "/auth/sessions",
    "/auth/admin/sessions?user=%FF",
    "/auth/dev/authorize?state=%FF&redirect_uri=%&code_challenge=x",
    "/auth/%2e%2e/%2e%2e/etc/passwd",
    "/%FF%FE",
    "/auth//signin",
  ])("malformed query or percent-encoding: %s → clean, never a 5xx or an off-site redirect", async (path) => {
    const response = await call(path, { headers: { Accept: "application/json" } });
    expect(response.status).toBeLessThan(500);
    expectSafeLocation(response, new URL(env.GITHUB_OAUTH_URL).origin);
    const body = await response.text();
    expect(body).not.toMatch(/\bat \S+ \(|node_modules|\.ts:\d+/);
  });

  it("an enormous redirect_to falls back to /", async () => {
    const target = `/${"a".repeat(100_000)}`;
    const { response } = await signIn("dev", { as: "Far Away", redirectTo: target });
    expect(response.headers.get("Location")).toBe("/");
  });

  it("raw non-UTF-8 and non-ASCII bytes in headers are clean", async () => {
    const latin1 = String.fromCharCode(0xff, 0xfe, 0xe9);
    const cases: Record<string, string>[] = [{ Cookie: `auth.session=${latin1}` }, { Authorization: `Bearer ${latin1}` }, { "X-Original-URL": `http://localhost/${latin1}` }];
    for (const headers of cases) {
      for (const path of ["/auth/session", "/auth/verify"]) expect((await call(path, { headers })).status).toBe(401);
    }
  });

  it("Host and X-Forwarded-Host cannot move redirect_uri once AUTH_URL is set", async () => {
    const vars = { AUTH_URL: PUBLIC };
    const spoofed = await call("https://evil.example/auth/signin/github", { headers: { "X-Forwarded-Host": "evil.example" } }, vars);
    expect(new URL(spoofed.headers.get("Location")!).searchParams.get("redirect_uri")).toBe(`${PUBLIC}/auth/callback/github`);
  });

  it("X-Forwarded-Host never moves redirect_uri or the cookies' scope", async () => {
    const response = await call("/auth/signin/github", { headers: { "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https" } });
    expect(new URL(response.headers.get("Location")!).searchParams.get("redirect_uri")).toBe(`${LOCAL}/auth/callback/github`);
    expect(response.headers.getSetCookie()[0]).toMatch(/^auth\.flow=/);
  });

  it("a form body far over the limit is refused before it is read", async () => {
    const response = await call("/auth/dev/authorize", {
      method: "POST",
      headers: { Origin: LOCAL, "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: `name=${"a".repeat(64 * 1024)}`,
    });
    expect(response.status).toBe(413);
  });

  describe("no body is read past 16 KiB anywhere", () => {
    /** A 1 MiB urlencoded body that counts how much of it the worker pulls. */
    function countedBody() {
      const chunk = new TextEncoder().encode(`_method=DELETE&pad=${"a".repeat(16 * 1024)}`);
      const pulled = { bytes: 0 };
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 64) return controller.close();
          sent++;
          pulled.bytes += chunk.byteLength;
          controller.enqueue(chunk);
        },
      });
      return { stream, pulled };
    }
    const form = { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" };

    it("a cross-site urlencoded POST to /auth/sessions/x is refused without reading its body", async () => {
      const { jar } = await signIn("dev", { as: "Body Victim" });
      const { stream, pulled } = countedBody();
      const response = await call("/auth/sessions/x", {
        method: "POST",
        headers: { ...form, Origin: "https://evil.example", Cookie: jar.header },
        body: stream,
      });
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: "cross_site_request" });
      // The stream's first chunk may be buffered by the runtime; nothing past it is parsed.
      expect(pulled.bytes).toBeLessThanOrEqual(2 * 16 * 1024 + 64);
    });

    it("a same-origin chunked POST is read only up to the limit, then 413", async () => {
      const { jar } = await signIn("dev", { as: "Body Owner" });
      const { stream, pulled } = countedBody();
      const response = await call("/auth/sessions/x", { method: "POST", headers: { ...form, Origin: LOCAL, Cookie: jar.header }, body: stream });
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ error: "form_too_large" });
      expect(pulled.bytes).toBeLessThanOrEqual(3 * 16 * 1024 + 64);
    });

    it("a declared Content-Length over the limit is refused before anything is read, on every auth route", async () => {
      for (const path of ["/auth/sessions/x", "/auth/signout", "/auth/token", "/auth/2fa/verify", "/auth/nowhere"]) {
        const { stream, pulled } = countedBody();
        const response = await call(path, {
          method: "POST",
          headers: { ...form, Origin: LOCAL, "Content-Length": String(64 * 1024 * 1024) },
          body: stream,
        });
        expect(response.status, path).toBe(413);
        expect(pulled.bytes, path).toBeLessThanOrEqual(2 * 16 * 1024 + 64);
      }
    });

    it("the devices form still ends a session through POST with _method=DELETE, and nothing else is taken for DELETE", async () => {
      const laptop = await signIn("dev", { as: "Form Owner" });
      const phone = await signIn("dev", { as: "Form Owner" });
      const phoneId = (await (await call("/auth/session", { headers: { Cookie: phone.jar.header } })).json<{ sessionId: string }>()).sessionId;
      const post = (body: string) =>
        call(`/auth/sessions/${phoneId}`, { method: "POST", headers: { ...form, Origin: LOCAL, Cookie: laptop.jar.header }, body });
      expect((await post("_method=PUT")).status).toBe(405);
      expect((await call("/auth/session", { headers: { Cookie: phone.jar.header } })).status).toBe(200);
      expect((await post("_method=DELETE")).status).toBe(200);
      expect((await call("/auth/session", { headers: { Cookie: phone.jar.header } })).status).toBe(401);
    });
  });
});

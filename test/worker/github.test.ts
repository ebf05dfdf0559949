import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { browse, call, Jar, LOCAL, sessionOf, signIn } from "./helpers";

describe("GitHub sign-in against the stand-in", () => {
  it("signs in, keyed by the numeric id, with the primary verified email", async () => {
    const { jar, response } = await signIn("github", { as: "alice", redirectTo: "/dashboard?tab=1" });
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/dashboard?tab=1");
    const { status, body } = await sessionOf(jar);
    expect(status).toBe(200);
    expect(body.provider).toBe("github");
    expect(body.user.login).toBe("alice");
    expect(body.user.id).toMatch(/^\d+$/);
    expect(body.user.email).toBe("alice@example.com");
    expect(body.user.avatarUrl).toMatch(/^https:\/\/avatars\.githubusercontent\.com\//);
    expect(new Date(body.expiresAt).getTime()).toBeGreaterThan(Date.now());
    expect(body.sessionId).toMatch(/^[\w-]{22}$/);
  });

  it("never shows the provider's access token in a response", async () => {
    const { jar } = await signIn("github", { as: "tokenwatch" });
    const session = await browse(jar, "/auth/session");
    const text = await session.text();
    expect(text).not.toMatch(/gho_/);
    const page = await browse(jar, "/auth");
    expect(await page.text()).not.toMatch(/gho_/);
  });

  it("sends PKCE S256 and state to the provider and the scopes it needs", async () => {
    const start = await call("/auth/signin/github");
    const url = new URL(start.headers.get("Location")!);
    expect(url.origin + url.pathname).toBe(`${env.GITHUB_OAUTH_URL}/login/oauth/authorize`);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("code_challenge")).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get("state")).toMatch(/^[\w-]{20,}$/);
    expect(url.searchParams.get("scope")).toBe("read:user user:email");
    expect(url.searchParams.get("redirect_uri")).toBe(`${LOCAL}/auth/callback/github`);
  });

  it("keeps no verifier or state in the clear in the flow cookie", async () => {
    const start = await call("/auth/signin/github");
    const url = new URL(start.headers.get("Location")!);
    const cookie = start.headers.getSetCookie().find((c) => c.startsWith("auth.flow="))!;
    expect(cookie).toMatch(/Max-Age=600/);
    expect(cookie).not.toContain(url.searchParams.get("state")!);
  });

  it("refuses a callback whose state does not match the flow cookie, and leaves the real sign-in alone", async () => {
    const jar = new Jar();
    const started = await browse(jar, "/auth/signin/github");
    const flow = jar.get("auth.flow");
    const forged = await browse(jar, "/auth/callback/github?code=anything&state=forged", { headers: { Accept: "application/json" } });
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ error: "invalid_state" });
    expect(jar.get("auth.session")).toBeUndefined();
    expect(jar.get("auth.flow")).toBe(flow);
    const approved = await fetch(new URL(started.headers.get("Location")!), { redirect: "manual" });
    expect((await browse(jar, approved.headers.get("Location")!)).status).toBe(302);
    expect(jar.get("auth.session")).toBeDefined();
  });

  it("lets two tabs sign in at once, and no link to the callback can cancel either", async () => {
    const jar = new Jar();
    const first = new URL((await browse(jar, "/auth/signin/github?redirect_to=%2Ffirst")).headers.get("Location")!);
    const second = new URL((await browse(jar, "/auth/signin/github?redirect_to=%2Fsecond")).headers.get("Location")!);
    // Any site can link here; without the state of a flow this browser started, nothing happens.
    const cancel = await browse(jar, "/auth/callback/github?error=access_denied", { headers: { Accept: "application/json" } });
    expect(cancel.status).toBe(400);
    const back = async (authorize: URL) => (await fetch(authorize, { redirect: "manual" })).headers.get("Location")!;
    const secondDone = await browse(jar, await back(second));
    expect(secondDone.status).toBe(302);
    expect(secondDone.headers.get("Location")).toBe("/second");
    const firstDone = await browse(jar, await back(first));
    expect(firstDone.status).toBe(302);
    expect(firstDone.headers.get("Location")).toBe("/first");
    // Each flow is good for one callback.
    expect(jar.get("auth.flow")).toBeUndefined();
  });

  it("acts on the provider's error only for the flow its state names, and ends that flow", async () => {
    const jar = new Jar();
    const started = new URL((await browse(jar, "/auth/signin/github")).headers.get("Location")!);
    const denied = await browse(jar, `/auth/callback/github?error=access_denied&state=${started.searchParams.get("state")}`, { headers: { Accept: "application/json" } });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ error: "access_denied" });
    expect(jar.get("auth.flow")).toBeUndefined();
  });

  it("refuses a callback without a flow cookie", async () => {
    const { callbackURL } = await signIn("github", { as: "carol" });
    const replay = await call(callbackURL);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain("expired or was started in another browser");
    expect(replay.headers.getSetCookie().some((c) => /auth\.session=[^;]/.test(c))).toBe(false);
  });

  it("refuses a replayed code even with a fresh, valid flow", async () => {
    const first = await signIn("github", { as: "dave" });
    const jar = new Jar();
    const start = await browse(jar, "/auth/signin/github");
    const state = new URL(start.headers.get("Location")!).searchParams.get("state")!;
    const code = new URL(first.callbackURL).searchParams.get("code")!;
    const replay = await browse(jar, `/auth/callback/github?code=${code}&state=${state}`, { headers: { Accept: "application/json" } });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: "provider_rejected_grant" });
    expect(jar.get("auth.session")).toBeUndefined();
  });

  it("shows a clean page when the person declines", async () => {
    const { jar, response } = await signIn("github", { deny: true });
    expect(response.status).toBe(403);
    const html = await response.text();
    expect(html).toContain("You did not allow GitHub to sign you in.");
    expect(html).not.toMatch(/at \w+ \(|Error:/);
    expect(jar.get("auth.session")).toBeUndefined();
  });

  it.each([
    ["token_500", 502, "provider_unavailable"],
    ["token_html", 502, "provider_bad_response"],
    ["token_slow", 504, "provider_timeout"],
    ["token_huge", 502, "provider_bad_response"],
    ["token_padded", 502, "provider_bad_response"],
    ["token_chunked", 502, "provider_bad_response"],
    ["profile_500", 502, "provider_unavailable"],
    ["profile_html", 502, "provider_bad_response"],
    ["profile_slow", 504, "provider_timeout"],
    ["profile_huge", 502, "provider_bad_response"],
    ["big_fields", 502, "provider_bad_response"],
  ])("answers a provider that misbehaves (%s) with %i %s and no session", async (behave, status, code) => {
    const jar = new Jar();
    const { response } = await signIn("github", { as: "erin", behave, jar, headers: { Accept: "application/json" } });
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ error: code, message: expect.stringContaining("GitHub") });
    expect(jar.get("auth.session")).toBeUndefined();
    expect((await sessionOf(jar)).status).toBe(401);
  });

  it("shows a token answer over 256 KiB as a clean page for browsers", async () => {
    const { response, jar } = await signIn("github", { as: "padded", behave: "token_chunked" });
    expect(response.status).toBe(502);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(await response.text()).toContain("GitHub sent a response that could not be understood");
    expect(jar.get("auth.session")).toBeUndefined();
  });

  it("sends arctic's token request through the global fetch, which is back in place before anything else runs", async () => {
    const original = globalThis.fetch;
    const tokenRequests: { restored: boolean }[] = [];
    const spy: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      // The first moment other code could run while this request is in flight.
      await null;
      if (url.endsWith("/login/oauth/access_token")) tokenRequests.push({ restored: globalThis.fetch === spy });
      return original(input, init);
    };
    globalThis.fetch = spy;
    try {
      expect((await signIn("github", { as: "bystander" })).response.status).toBe(302);
    } finally {
      globalThis.fetch = original;
    }
    expect(tokenRequests).toEqual([{ restored: true }]);
  });

  it("shows a slow provider as a clean page for browsers", async () => {
    const { response } = await signIn("github", { as: "erin", behave: "token_slow" });
    expect(response.status).toBe(504);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(await response.text()).toContain("GitHub did not answer in time");
  });

  it("signs in without an email when GitHub has no verified primary one", async () => {
    const { jar } = await signIn("github", { as: "frank", behave: "no_verified_email" });
    const { body } = await sessionOf(jar);
    expect(body.user.login).toBe("frank");
    expect(body.user.email).toBeNull();
  });

  it("signs in without an email when the token lacks the user:email scope", async () => {
    const { jar, response } = await signIn("github", { as: "noscope", behave: "no_email_scope" });
    expect(response.status).toBe(302);
    const { body } = await sessionOf(jar);
    expect(body.user.login).toBe("noscope");
    expect(body.user.email).toBeNull();
  });

  it("reports GitHub's 200-with-error token answers as a provider error", async () => {
    const { response, jar } = await signIn("github", { as: "gina", vars: { GITHUB_CLIENT_SECRET: "wrong-secret" } });
    expect(response.status).toBe(502);
    expect(await response.text()).toContain("incorrect_client_credentials");
    expect(jar.get("auth.session")).toBeUndefined();
  });

  it("keeps GitHub App tokens' expiry", async () => {
    const { jar, response } = await signIn("github", { as: "henry", behave: "app_tokens" });
    expect(response.status).toBe(302);
    expect((await sessionOf(jar)).status).toBe(200);
  });

  it("works with GitHub Enterprise-style base URLs that carry a path", async () => {
    // The stand-in serves the API under /github-api, like GHES serves it under /api/v3.
    expect(env.GITHUB_API_URL).toMatch(/\/github-api$/);
    const { response } = await signIn("github", { as: "ghes" });
    expect(response.status).toBe(302);
  });
});

describe("the stand-in behaves like GitHub", () => {
  it("refuses REST calls without a User-Agent", async () => {
    const response = await fetch(`${env.GITHUB_API_URL}/user`, { headers: { "User-Agent": "" } });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain("User-Agent");
  });

  it("revokes a token only for the app's Basic credentials and a User-Agent, like DELETE /applications/{client_id}/token", async () => {
    const url = `${env.GITHUB_API_URL}/applications/gh-client/token`;
    const revoke = (headers: Record<string, string>, token = "gho_unknown") =>
      fetch(url, { method: "DELETE", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify({ access_token: token }) });
    const app = { Authorization: `Basic ${btoa("gh-client:gh-secret")}`, "User-Agent": "test" };
    expect((await revoke({ Authorization: app.Authorization, "User-Agent": "" })).status).toBe(403);
    expect((await revoke({ "User-Agent": "test" })).status).toBe(401);
    expect((await revoke({ ...app, Authorization: `Basic ${btoa("gh-client:wrong")}` })).status).toBe(404);
    expect((await revoke(app)).status).toBe(404);
    const missing = await fetch(url, { method: "DELETE", headers: app, body: "{}" });
    expect(missing.status).toBe(422);
  });

  it("answers token errors with HTTP 200", async () => {
    const response = await fetch(`${env.GITHUB_OAUTH_URL}/login/oauth/access_token`, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: "client_id=gh-client&client_secret=gh-secret&code=nope",
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ error: "bad_verification_code" });
  });
});

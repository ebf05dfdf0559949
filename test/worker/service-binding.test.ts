import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { browse, Jar, LOCAL, PUBLIC, signIn } from "./helpers";

afterEach(() => vi.useRealTimers());

const whoami = (headers: Record<string, string>, origin?: string) =>
  env.CALLER.fetch(`http://caller/whoami${origin ? `?origin=${encodeURIComponent(origin)}` : ""}`, { headers });

describe("AuthService over a service binding", () => {
  it("verifies a Cookie header the calling Worker received", async () => {
    const { jar } = await signIn("dev", { as: "Rpc User" });
    const response = await whoami({ Cookie: jar.header }, LOCAL);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ provider: "dev", user: { login: "rpc-user" }, sessionId: expect.any(String) });
  });

  it("verifies __Host- cookies from an https site", async () => {
    const { jar } = await signIn("github", { as: "rpchttps", origin: PUBLIC });
    expect((await whoami({ Cookie: jar.header }, PUBLIC)).status).toBe(200);
  });

  it("answers exactly what /auth/session answers", async () => {
    const { jar } = await signIn("dev", { as: "Rpc Same" });
    const own = await (await browse(jar, "/auth/session", { headers: { Accept: "application/json" } })).json();
    expect(await (await whoami({ Cookie: jar.header }, LOCAL)).json()).toEqual(own);
  });

  it("verifies a bearer JWT against the origin that issued it, and only that one", async () => {
    const { jar } = await signIn("dev", { as: "Rpc Bearer" });
    const { access_token } = await (await browse(jar, "/auth/token", { method: "POST", headers: { Origin: LOCAL } })).json<{ access_token: string }>();
    const response = await whoami({ Authorization: `Bearer ${access_token}` }, LOCAL);
    expect((await response.json<{ user: { login: string } }>()).user.login).toBe("rpc-bearer");
    // Another origin is another issuer and audience.
    expect((await whoami({ Authorization: `Bearer ${access_token}` }, PUBLIC)).status).toBe(401);
    // Without an origin (and no AUTH_URL) there is nothing to check its issuer against: refused loudly, never guessed.
    const guessed = await whoami({ Authorization: `Bearer ${access_token}` });
    expect(guessed.status).toBe(400);
    expect(await guessed.json()).toMatchObject({ message: expect.stringContaining("origin") });
  });

  it("lists a user's sessions, a page at a time", async () => {
    const first = await signIn("dev", { as: "Rpc Lister" });
    await signIn("dev", { as: "Rpc Lister" });
    const { sessionId } = await (await browse(first.jar, "/auth/session")).json<{ sessionId: string }>();
    const listed = await (await env.CALLER.fetch("http://caller/sessions?user=dev:rpc-lister")).json<{ sessions: { id: string }[]; next?: string }>();
    expect(listed.sessions).toHaveLength(2);
    expect(listed.sessions.map((s) => s.id)).toContain(sessionId);
    expect(listed.next).toBeUndefined();
    expect(await (await env.CALLER.fetch("http://caller/sessions?user=not-a-key")).json()).toEqual({ sessions: [] });
    // A provider name is read in any case, as the admin route reads it.
    expect((await (await env.CALLER.fetch("http://caller/sessions?user=DEV:rpc-lister")).json<{ sessions: unknown[] }>()).sessions).toHaveLength(2);
  });

  it("names the session cookie by the origin, which it never guesses", async () => {
    const { jar } = await signIn("dev", { as: "Rpc Unnamed" });
    const unnamed = await whoami({ Cookie: jar.header });
    expect(unnamed.status).toBe(400);
    expect(await unnamed.json()).toMatchObject({ message: expect.stringContaining("origin") });
    // On an https origin the cookie is __Host-auth.session: a plain one is not ours there.
    expect((await whoami({ Cookie: jar.header }, PUBLIC)).status).toBe(401);
  });

  it("answers null for nothing, garbage and revoked sessions", async () => {
    expect((await whoami({}, LOCAL)).status).toBe(401);
    expect((await whoami({ Cookie: "auth.session=garbage" }, LOCAL)).status).toBe(401);
    const { jar } = await signIn("dev", { as: "Rpc Revoked" });
    const stale = jar.header;
    await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } });
    expect((await whoami({ Cookie: stale }, LOCAL)).status).toBe(401);
  });

  it("never renews (it could not hand the new cookies on)", async () => {
    const { jar } = await signIn("dev", { as: "Rpc Expired" });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 901_000);
    expect((await whoami({ Cookie: jar.header }, LOCAL)).status).toBe(401);
    // The browser itself still renews with the untouched refresh secret.
    expect((await browse(jar, "/auth/session")).status).toBe(200);
  });

  it("revokes a session", async () => {
    const { jar } = await signIn("dev", { as: "Rpc Target" });
    const { sessionId } = await (await browse(jar, "/auth/session")).json<{ sessionId: string }>();
    const revoked = await env.CALLER.fetch(`http://caller/revoke?session=${sessionId}`);
    expect(await revoked.json()).toEqual({ revoked: true });
    expect((await browse(jar, "/auth/session")).status).toBe(401);
    const again = await env.CALLER.fetch(`http://caller/revoke?session=${sessionId}`);
    expect(await again.json()).toEqual({ revoked: false });
  });
});

import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { browse, Jar, LOCAL, PUBLIC, signIn } from "./helpers";

afterEach(() => vi.useRealTimers());

const whoami = (headers: Record<string, string>) => env.CALLER.fetch("http://caller/whoami", { headers });

describe("AuthService over a service binding", () => {
  it("verifies a Cookie header the calling Worker received", async () => {
    const { jar } = await signIn("dev", { as: "Rpc User" });
    const response = await whoami({ Cookie: jar.header });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ provider: "dev", user: { login: "rpc-user" }, sessionId: expect.any(String) });
  });

  it("verifies __Host- cookies from an https site", async () => {
    const { jar } = await signIn("github", { as: "rpchttps", origin: PUBLIC });
    expect((await whoami({ Cookie: jar.header })).status).toBe(200);
  });

  it("verifies a bearer token", async () => {
    const { jar } = await signIn("dev", { as: "Rpc Bearer" });
    const { access_token } = await (await browse(jar, "/auth/token", { method: "POST", headers: { Origin: LOCAL } })).json<{ access_token: string }>();
    const response = await whoami({ Authorization: `Bearer ${access_token}` });
    expect((await response.json<{ user: { login: string } }>()).user.login).toBe("rpc-bearer");
  });

  it("answers null for nothing, garbage and revoked sessions", async () => {
    expect((await whoami({})).status).toBe(401);
    expect((await whoami({ Cookie: "auth.session=garbage" })).status).toBe(401);
    const { jar } = await signIn("dev", { as: "Rpc Revoked" });
    const stale = jar.header;
    await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } });
    expect((await whoami({ Cookie: stale })).status).toBe(401);
  });

  it("never renews (it could not hand the new cookies on)", async () => {
    const { jar } = await signIn("dev", { as: "Rpc Expired" });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 901_000);
    expect((await whoami({ Cookie: jar.header })).status).toBe(401);
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

  it("keeps its internal route out of reach of the network", async () => {
    const jar = new Jar();
    const response = await browse(jar, "/auth/internal/sessions/abc", { method: "DELETE", headers: { Accept: "application/json" } });
    expect(response.status).toBe(404);
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { browse, call, Jar, LOCAL, sessionOf, signIn } from "./helpers";

/**
 * Bearer credentials identify; they never act. A token from POST /auth/token
 * — or the sealed session copied into an Authorization header — is refused
 * by every route that changes security settings, manages sessions, mints
 * tokens or administers, and that route's effect does not happen.
 */
const admin = { ADMIN_USERS: "dev:scope-admin" };

async function holder(name: string) {
  const { jar } = await signIn("dev", { as: name, vars: admin });
  const minted = await browse(jar, "/auth/token", { method: "POST", headers: { Origin: LOCAL } }, admin);
  const { access_token: jwt } = await minted.json<{ access_token: string }>();
  return { jar, credentials: { "bearer JWT": jwt, "sealed session as bearer": jar.get("auth.session")! } };
}

const routes: { method: string; path: string; body?: string }[] = [
  { method: "GET", path: "/auth/security" },
  { method: "POST", path: "/auth/2fa/setup" },
  { method: "POST", path: "/auth/2fa/enable", body: "code=123456" },
  { method: "POST", path: "/auth/2fa/disable", body: "code=123456" },
  { method: "POST", path: "/auth/2fa/codes", body: "code=123456" },
  { method: "POST", path: "/auth/signout" },
  { method: "POST", path: "/auth/signout?all=1" },
  { method: "GET", path: "/auth/sessions" },
  { method: "DELETE", path: "/auth/sessions/SESSION" },
  { method: "POST", path: "/auth/sessions/SESSION", body: "_method=DELETE" },
  { method: "POST", path: "/auth/token" },
  { method: "GET", path: "/auth/admin/sessions?user=dev:someone" },
  { method: "DELETE", path: "/auth/admin/sessions?user=dev:scope-admin" },
];

/** Sends `route` as the holder's session `id`, with `headers` as the only credential; the route's effect must not happen. */
async function attempt(route: (typeof routes)[number], id: string, headers: Record<string, string>) {
  return call(
    route.path.replace("SESSION", id),
    {
      method: route.method,
      headers: { ...headers, Accept: "application/json", ...(route.body && { "Content-Type": "application/x-www-form-urlencoded" }) },
      body: route.body,
    },
    admin,
  );
}

async function expectNothingHappened(jar: Jar) {
  expect((await sessionOf(jar)).status).toBe(200);
  expect(await env.DB.prepare("SELECT count(*) AS n FROM second_factors WHERE user_key = 'dev:scope-admin'").first("n")).toBe(0);
}

describe("bearer credentials never act", () => {
  for (const route of routes) {
    const name = `${route.method} ${route.path.replace("SESSION", ":id")}`;

    it(`${name} answers a bearer caller 403 insufficient_scope and changes nothing`, async () => {
      const { jar, credentials } = await holder("Scope Admin");
      const { body: before } = await sessionOf(jar);
      for (const [kind, credential] of Object.entries(credentials)) {
        const response = await attempt(route, before.sessionId, { Authorization: `Bearer ${credential}` });
        expect(response.status, kind).toBe(403);
        expect(response.headers.get("WWW-Authenticate"), kind).toBe(`Bearer realm="${LOCAL}", error="insufficient_scope"`);
        expect(await response.json(), kind).toMatchObject({ error: "insufficient_scope" });
        expect(response.headers.getSetCookie(), kind).toEqual([]);
      }
      await expectNothingHappened(jar);
    });

    it(`${name} refuses the sealed session moved into a Cookie header, alone or with a refresh cookie that names its session but not its secret`, async () => {
      const { jar } = await holder("Scope Admin");
      const { body: before } = await sessionOf(jar);
      const sealed = `auth.session=${jar.get("auth.session")}`;
      // What a CLI handed the sealed session could send, with no browser headers; the session id is public, the secret is not.
      for (const cookie of [sealed, `${sealed}; auth.refresh=${before.sessionId}.${"A".repeat(43)}`]) {
        const response = await attempt(route, before.sessionId, { Cookie: cookie });
        expect(response.status, cookie).toBe(403);
        expect(await response.json()).toMatchObject({ error: "insufficient_scope" });
      }
      await expectNothingHappened(jar);
    });
  }

  it("a refresh cookie of another session does not make the pair", async () => {
    const { jar } = await holder("Scope Admin");
    const other = await holder("Scope Admin");
    const response = await call("/auth/token", {
      method: "POST",
      headers: { Cookie: `auth.session=${jar.get("auth.session")}; auth.refresh=${other.jar.get("auth.refresh")}`, Accept: "application/json" },
    });
    expect(response.status).toBe(403);
  });

  it("still identifies: /auth/session and /auth/verify accept both kinds of bearer", async () => {
    const { credentials } = await holder("Scope Reader");
    for (const [kind, credential] of Object.entries(credentials)) {
      const session = await call("/auth/session", { headers: { Authorization: `Bearer ${credential}` } });
      expect(session.status, kind).toBe(200);
      expect((await session.json<{ user: { login: string } }>()).user.login).toBe("scope-reader");
      const verify = await call("/auth/verify", { headers: { Authorization: `Bearer ${credential}` } });
      expect(verify.status, kind).toBe(200);
      expect(verify.headers.get("X-Auth-Request-User")).toBe("dev:scope-reader");
    }
  });

  it("the same routes still work with the browser's cookie session", async () => {
    const { jar } = await holder("Scope Admin");
    const setup = await browse(jar, "/auth/2fa/setup", { method: "POST", headers: { Origin: LOCAL, Accept: "application/json" } }, admin);
    expect(setup.status).toBe(200);
    expect(await setup.json()).toHaveProperty("otpauthURI");
    await env.DB.prepare("DELETE FROM second_factors WHERE user_key = 'dev:scope-admin'").run();
    const listed = await browse(jar, "/auth/admin/sessions?user=dev:scope-admin", { headers: { Accept: "application/json" } }, admin);
    expect(listed.status).toBe(200);
  });

  it("a browser that has both a cookie and a bearer header is still refused: the header is what it chose to present", async () => {
    const { jar, credentials } = await holder("Scope Both");
    const response = await browse(new Jar().take(new Response(null, { headers: [["Set-Cookie", `auth.session=${jar.get("auth.session")}`]] })), "/auth/token", {
      method: "POST",
      headers: { Origin: LOCAL, Authorization: `Bearer ${credentials["bearer JWT"]}` },
    });
    expect(response.status).toBe(403);
  });
});

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
  { method: "POST", path: "/auth/signout" },
  { method: "POST", path: "/auth/signout?all=1" },
  { method: "GET", path: "/auth/sessions" },
  { method: "DELETE", path: "/auth/sessions/SESSION" },
  { method: "POST", path: "/auth/sessions/SESSION", body: "_method=DELETE" },
  { method: "POST", path: "/auth/token" },
  { method: "GET", path: "/auth/admin/sessions?user=dev:someone" },
  { method: "DELETE", path: "/auth/admin/sessions?user=dev:scope-admin" },
];

describe("bearer credentials never act", () => {
  for (const route of routes) {
    it(`${route.method} ${route.path.replace("SESSION", ":id")} answers a bearer caller 403 insufficient_scope and changes nothing`, async () => {
      const { jar, credentials } = await holder("Scope Admin");
      const { body: before } = await sessionOf(jar);
      for (const [kind, credential] of Object.entries(credentials)) {
        const response = await call(
          route.path.replace("SESSION", before.sessionId),
          {
            method: route.method,
            headers: {
              Authorization: `Bearer ${credential}`,
              Accept: "application/json",
              ...(route.body && { "Content-Type": "application/x-www-form-urlencoded" }),
            },
            body: route.body,
          },
          admin,
        );
        expect(response.status, kind).toBe(403);
        expect(response.headers.get("WWW-Authenticate"), kind).toBe('Bearer error="insufficient_scope"');
        expect(await response.json(), kind).toMatchObject({ error: "insufficient_scope" });
        expect(response.headers.getSetCookie(), kind).toEqual([]);
      }
      // Nothing happened: the session lives, no second factor was started.
      expect((await sessionOf(jar)).status).toBe(200);
      expect(await env.DB.prepare("SELECT count(*) AS n FROM second_factors WHERE user_key = 'dev:scope-admin'").first("n")).toBe(0);
    });
  }

  for (const route of routes) {
    it(`${route.method} ${route.path.replace("SESSION", ":id")} refuses the sealed session moved into a Cookie header without its refresh cookie`, async () => {
      const { jar } = await holder("Scope Admin");
      const { body: before } = await sessionOf(jar);
      // What a CLI handed the sealed session could send: the value, as a cookie, with no browser headers.
      const response = await call(
        route.path.replace("SESSION", before.sessionId),
        {
          method: route.method,
          headers: {
            Cookie: `auth.session=${jar.get("auth.session")}`,
            Accept: "application/json",
            ...(route.body && { "Content-Type": "application/x-www-form-urlencoded" }),
          },
          body: route.body,
        },
        admin,
      );
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: "insufficient_scope" });
      expect((await sessionOf(jar)).status).toBe(200);
      expect(await env.DB.prepare("SELECT count(*) AS n FROM second_factors WHERE user_key = 'dev:scope-admin'").first("n")).toBe(0);
    });
  }

  for (const route of routes) {
    it(`${route.method} ${route.path.replace("SESSION", ":id")} refuses the sealed session with a refresh cookie that names its session but not its secret`, async () => {
      const { jar } = await holder("Scope Admin");
      const { body: before } = await sessionOf(jar);
      // The session id is public (GET /auth/session shows it); the secret is not.
      const forged = `${before.sessionId}.${"A".repeat(43)}`;
      const response = await call(
        route.path.replace("SESSION", before.sessionId),
        {
          method: route.method,
          headers: {
            Cookie: `auth.session=${jar.get("auth.session")}; auth.refresh=${forged}`,
            Accept: "application/json",
            ...(route.body && { "Content-Type": "application/x-www-form-urlencoded" }),
          },
          body: route.body,
        },
        admin,
      );
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: "insufficient_scope" });
      expect((await sessionOf(jar)).status).toBe(200);
      expect(await env.DB.prepare("SELECT count(*) AS n FROM second_factors WHERE user_key = 'dev:scope-admin'").first("n")).toBe(0);
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

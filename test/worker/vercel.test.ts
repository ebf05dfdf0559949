import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { browse, call, Jar, sessionOf, signIn } from "./helpers";

describe("Vercel sign-in against the stand-in", () => {
  it("signs in with userinfo, keyed by sub, asking for offline access", async () => {
    const start = await call("/auth/signin/vercel");
    const authorize = new URL(start.headers.get("Location")!);
    expect(authorize.origin + authorize.pathname).toBe(`${env.VERCEL_OAUTH_URL}/oauth/authorize`);
    expect(authorize.searchParams.get("scope")).toBe("openid email profile offline_access");
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");

    const { jar, response } = await signIn("vercel", { as: "vera" });
    expect(response.status).toBe(302);
    const { body } = await sessionOf(jar);
    expect(body.provider).toBe("vercel");
    expect(body.user).toMatchObject({ login: "vera", email: "vera@example.dev", name: "vera on Vercel" });
    expect(body.user.id).toMatch(/^vc_user_\d+$/);
  });

  it("drops an email Vercel has not verified", async () => {
    const { jar } = await signIn("vercel", { as: "unverified", behave: "no_verified_email" });
    expect((await sessionOf(jar)).body.user.email).toBeNull();
  });

  it("maps Vercel's HTTP 400 invalid_grant to a clean 400", async () => {
    const first = await signIn("vercel", { as: "victor" });
    const jar = new Jar();
    const start = await browse(jar, "/auth/signin/vercel");
    const state = new URL(start.headers.get("Location")!).searchParams.get("state")!;
    const code = new URL(first.callbackURL).searchParams.get("code")!;
    const replay = await browse(jar, `/auth/callback/vercel?code=${code}&state=${state}`, { headers: { Accept: "application/json" } });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: "provider_rejected_grant" });
    expect(jar.get("auth.session")).toBeUndefined();
  });

  it("treats refused client credentials as a provider error", async () => {
    const { response, jar } = await signIn("vercel", { as: "wendy", vars: { VERCEL_CLIENT_SECRET: "nope" }, headers: { Accept: "application/json" } });
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: "provider_error" });
    expect(jar.get("auth.session")).toBeUndefined();
  });

  it("answers an outage with 502 and a timeout with 504", async () => {
    const down = await signIn("vercel", { as: "xena", behave: "token_500" });
    expect(down.response.status).toBe(502);
    const slow = await signIn("vercel", { as: "xena", behave: "profile_slow" });
    expect(slow.response.status).toBe(504);
    expect(slow.jar.get("auth.session")).toBeUndefined();
  });
});

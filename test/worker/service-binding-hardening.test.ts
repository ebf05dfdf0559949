import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AuthService } from "../../src/index";
import type { Env } from "../../src/env";
import { browse, call, PUBLIC, sessionRow, signIn } from "./helpers";

afterEach(() => vi.useRealTimers());

/**
 * AuthService as deployed with some variables set. The service binding the
 * pool provides (env.CALLER) runs with the test run's variables, which have
 * no AUTH_URL; the finding below is about a deployment that has one.
 */
async function service<T>(vars: Record<string, unknown>, use: (auth: AuthService) => Promise<T>): Promise<T> {
  const ctx = createExecutionContext();
  const auth = new AuthService(ctx, { ...env, ...vars } as unknown as Env);
  try {
    return await use(auth);
  } finally {
    await waitOnExecutionContext(ctx);
  }
}

/** The sealed session an attacker gets by signing in with their own account on the https site. */
async function attackersSealedSession(login: string, vars: Record<string, unknown>): Promise<string> {
  const { jar } = await signIn("github", { as: login, origin: PUBLIC, vars });
  const sealed = jar.get("auth.session");
  expect(sealed).toBeTruthy();
  return sealed!;
}

describe("adversarial 13: AuthService.verify reads only the session cookie name the site's scheme gives it", () => {
  // README, Threat model, "AuthService callers": without AUTH_URL an
  // unprefixed auth.session planted in a browser with no real session is
  // read — "set AUTH_URL". Before the refactor, AUTH_URL fixed the scheme and
  // so the one cookie name (__Host-auth.session, or __Secure- with
  // COOKIE_DOMAIN), exactly as /auth/session reads it. Now sessionCookieIn
  // tries __Host-, then __Secure-, then the bare name whatever AUTH_URL says.
  // A bare `auth.session` needs no Secure: any http:// subdomain, or anyone on
  // the network answering one plain-http request for the site, can plant it
  // with Domain=example.com. A `__Secure-` one can be tossed from any https
  // sibling subdomain. Either way the calling Worker is told the browser is
  // the attacker (login CSRF: the victim's uploads, messages, payment details
  // land in the attacker's account).
  const HTTPS = { AUTH_URL: PUBLIC };

  it("an unprefixed auth.session planted on an https site (AUTH_URL set) is no session, for /auth/session and for AuthService", async () => {
    const sealed = await attackersSealedSession("adv13-planter", HTTPS);
    const planted = `auth.session=${sealed}`;
    // The worker's own routes never read it (holds today).
    const own = await call(`${PUBLIC}/auth/session`, { headers: { Cookie: planted, Accept: "application/json" } }, HTTPS);
    expect(own.status).toBe(401);
    // AuthService must answer what /auth/session answers.
    expect(await service(HTTPS, (auth) => auth.verify(planted))).toBeNull();
  });

  it("a __Secure-auth.session tossed from a sibling subdomain is no session where the site's cookie is __Host- (AUTH_URL set, no COOKIE_DOMAIN)", async () => {
    const sealed = await attackersSealedSession("adv13-tosser", HTTPS);
    const tossed = `__Secure-auth.session=${sealed}`;
    const own = await call(`${PUBLIC}/auth/session`, { headers: { Cookie: tossed, Accept: "application/json" } }, HTTPS);
    expect(own.status).toBe(401);
    expect(await service(HTTPS, (auth) => auth.verify(tossed))).toBeNull();
  });

  it("with COOKIE_DOMAIN (cookies are __Secure-), an unprefixed auth.session is no session either", async () => {
    const vars = { AUTH_URL: PUBLIC, COOKIE_DOMAIN: "example.com" };
    const sealed = await attackersSealedSession("adv13-planter2", vars);
    const planted = `other=1; auth.session=${sealed}`;
    const own = await call(`${PUBLIC}/auth/session`, { headers: { Cookie: planted, Accept: "application/json" } }, vars);
    expect(own.status).toBe(401);
    expect(await service(vars, (auth) => auth.verify(planted))).toBeNull();
  });
});

describe("adversarial 13: error codes at renewal", () => {
  // src/providers/http.ts (tokenEndpointError), new with the typed codes:
  // "The provider refusing the grant itself — a sign-in code, or a refresh
  // token, expired, spent or revoked — is provider_rejected_grant, and
  // nothing else is: renewal ends a session on it." README's table: a
  // provider_error is "the provider answered with an OAuth error of its
  // own" (502), and "one that is unreachable leaves the old token in place".
  // But renewProviderToken (src/session/renewal.ts) still ends the session
  // on provider_error too. Any OAuth error that says nothing about the
  // user's grant — invalid_client after the operator rotates the client
  // secret, or temporarily_unavailable / server_error / slow_down — then
  // signs out (and revokes in D1) every session whose provider token comes
  // due, although the stored refresh token is still good.
  const proxy = { UPSTREAM_URL: `${env.STANDIN_URL}/upstream`, PASS_ACCESS_TOKEN: "true" };

  it("an OAuth error from the token endpoint that is not a refused grant (invalid_client) does not end the session", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    let now = Date.now();
    const advance = (seconds: number) => vi.setSystemTime((now += seconds * 1000));
    vi.setSystemTime(now);
    const { jar } = await signIn("vercel", { as: `adv13-outage-${Math.floor(Math.random() * 1e6)}`, vars: proxy });
    const { sessionId } = await (await browse(jar, "/auth/session", {}, proxy)).json<{ sessionId: string }>();
    // As in provider-token.test.ts: renew once while the Vercel token is not
    // due, then let it expire while the session cookie is still good.
    advance(3000);
    expect((await browse(jar, "/auth/session", {}, proxy)).status).toBe(200);
    advance(601);
    // Vercel answers the refresh grant 401 {"error":"invalid_client"}: our
    // client credentials, not the user's refresh token.
    const misconfigured = { ...proxy, VERCEL_CLIENT_SECRET: "rotated-but-not-deployed" };
    const response = await browse(jar, "/t", { headers: { Accept: "application/json" } }, misconfigured);
    expect(response.status).toBe(200);
    expect((await sessionRow(sessionId))!.revoked_at).toBeNull();
  });
});

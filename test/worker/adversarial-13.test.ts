import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AuthService } from "../../src/index";
import type { Env } from "../../src/env";
import { browse, call, Jar, PUBLIC, signIn } from "./helpers";

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

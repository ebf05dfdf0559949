import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { getKeyring } from "../../src/crypto/keys";
import { open } from "../../src/crypto/seal";
import type { SessionClaims } from "../../src/session/session";
import { browse, call, countingD1, fakeClock, Jar, revokeStoredVercelRefreshToken, sessionRow, signIn } from "./helpers";

/**
 * A Vercel access token lives an hour; the session cookie 15 minutes. These
 * tests hold a session cookie that is still good while its provider token
 * has expired, and ask for the token the way server-side code does: the
 * proxy's X-Forwarded-Access-Token with PASS_ACCESS_TOKEN.
 */
const db = countingD1(env.DB);
const proxyVars = { UPSTREAM_URL: `${env.STANDIN_URL}/upstream`, DB: db.binding };
const withToken = { ...proxyVars, PASS_ACCESS_TOKEN: "true" };
const json = { Accept: "application/json" };
let logins = 0;
const { advance, seconds } = fakeClock();

async function claimsOf(cookie: string): Promise<SessionClaims & { exp?: number }> {
  const opened = await open<SessionClaims>(await getKeyring([env.AUTH_SECRET]), "session", cookie);
  if (opened.status === "invalid") throw new Error("no session cookie");
  return opened.claims;
}

/** The refresh grants the Vercel stand-in answered for this login. */
const refreshes = async (login: string) => (await fetch(`${env.STANDIN_URL}/control/vercel/users/${login}/refreshes`)).json<{ granted: number; refused: number }>();
const forwarded = async (response: Response) => (await response.json<{ headers: Record<string, string> }>()).headers["x-forwarded-access-token"];
/** Our cookies a response sets (the upstream sets its own). */
const setCookies = (response: Response) => response.headers.getSetCookie().map((header) => header.split("=")[0]!).filter((name) => name.startsWith("auth."));
const events = (log: { mock: { calls: unknown[][] } }) => log.mock.calls.map(([line]) => JSON.parse(String(line)));

/**
 * Signs in with Vercel, then lets 3 000 s pass and renews as usual (the
 * token is not due yet, so Vercel is not asked), then another 601 s: the
 * session cookie has 5 minutes left, the access token expired a second ago.
 */
async function staleToken() {
  const login = `stale-${++logins}-${Math.floor(Math.random() * 1e6)}`;
  const { jar } = await signIn("vercel", { as: login, vars: withToken });
  advance(3000);
  expect(setCookies(await browse(jar, "/auth/session", {}, withToken))).toEqual(["auth.refresh", "auth.session"]);
  advance(601);
  const claims = await claimsOf(jar.get("auth.session")!);
  expect(claims.pax).toBeLessThan(seconds());
  expect(claims.exp! - seconds()).toBeGreaterThan(180);
  expect(await refreshes(login)).toEqual({ granted: 0, refused: 0 });
  db.calls.statements = 0;
  return { login, jar, claims };
}

describe("an expired provider token, while the session cookie is still good", () => {
  it("is renewed before the proxy passes it upstream, asking Vercel once, with new cookies", async () => {
    const log = vi.spyOn(console, "log");
    const { login, jar, claims } = await staleToken();
    const response = await browse(jar, "/t", {}, withToken);
    expect(response.status).toBe(200);
    expect(setCookies(response)).toEqual(["auth.refresh", "auth.session"]);
    const renewed = await claimsOf(jar.get("auth.session")!);
    expect(renewed.sid).toBe(claims.sid);
    expect(renewed.pat).not.toBe(claims.pat);
    expect(renewed.pax).toBe(seconds() + 3600);
    expect(await forwarded(response)).toBe(renewed.pat);
    expect(await refreshes(login)).toEqual({ granted: 1, refused: 0 });
    expect(events(log)).toEqual(expect.arrayContaining([expect.objectContaining({ event: "provider_refresh", sessionId: claims.sid, provider: "vercel" })]));
    // The token Vercel now knows; the next request is an ordinary one again.
    expect((await fetch(`${env.VERCEL_API_URL}/login/oauth/userinfo`, { headers: { Authorization: `Bearer ${renewed.pat}` } })).status).toBe(200);
    db.calls.statements = 0;
    const next = await browse(jar, "/t", {}, withToken);
    expect(await forwarded(next)).toBe(renewed.pat);
    expect(setCookies(next)).toEqual([]);
    expect(db.calls.statements).toBe(0);
    expect(await refreshes(login)).toEqual({ granted: 1, refused: 0 });
  });

  it("costs nothing for a request that does not need it: no D1 statement, no call to Vercel", async () => {
    const { login, jar, claims } = await staleToken();
    for (const [path, vars] of [["/auth/session", withToken], ["/t", proxyVars]] as const) {
      const response = await browse(jar, path, {}, vars);
      expect(response.status).toBe(200);
      expect(setCookies(response)).toEqual([]);
    }
    // Forward auth hands out no provider token either, cookies delivered or not.
    const verify = await browse(jar, "/auth/verify", { headers: { "X-Auth-Deliver-Cookies": "true" } }, withToken);
    expect(verify.status).toBe(200);
    expect(setCookies(verify)).toEqual([]);
    expect(db.calls.statements).toBe(0);
    expect(await refreshes(login)).toEqual({ granted: 0, refused: 0 });
    expect((await claimsOf(jar.get("auth.session")!)).pat).toBe(claims.pat);
  });

  it("is spent once by two parallel requests, and neither ends the session", async () => {
    const log = vi.spyOn(console, "log");
    const { login, jar, claims } = await staleToken();
    const cookie = jar.header;
    const answers = await Promise.all([1, 2].map(() => call("/t", { headers: { Cookie: cookie } }, withToken)));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(await refreshes(login)).toEqual({ granted: 1, refused: 0 });
    const tokens = await Promise.all(answers.map(forwarded));
    // One of them renewed it; the other lost the race and was served within the grace window.
    expect(tokens.filter((token) => token !== claims.pat)).toHaveLength(1);
    for (const answer of answers) jar.take(answer);
    expect((await sessionRow(claims.sid))!.revoked_at).toBeNull();
    expect(events(log).map((line) => line.event)).not.toContain("refresh_reuse");
    advance(60);
    const later = await browse(jar, "/t", {}, withToken);
    expect(later.status).toBe(200);
    expect(await refreshes(login)).toMatchObject({ refused: 0 });
  });

  it("is renewed at most once while Vercel cannot be reached: the old one is passed on", async () => {
    const { login, jar, claims } = await staleToken();
    const unreachable = { ...withToken, VERCEL_API_URL: "http://127.0.0.1:9" };
    const first = await browse(jar, "/t", {}, unreachable);
    expect(first.status).toBe(200);
    expect(await forwarded(first)).toBe(claims.pat);
    expect(setCookies(first)).toEqual(["auth.refresh", "auth.session"]);
    db.calls.statements = 0;
    const second = await browse(jar, "/t", {}, unreachable);
    expect(await forwarded(second)).toBe(claims.pat);
    expect(setCookies(second)).toEqual([]);
    expect(db.calls.statements).toBe(0);
    expect(await refreshes(login)).toEqual({ granted: 0, refused: 0 });
  });

  it("is passed on as it is while the session store is down, and the session goes on", async () => {
    const failing = () => Promise.reject(new Error("D1 down"));
    const down = { ...withToken, DB: { prepare: () => ({ bind: () => ({ run: failing, first: failing, all: failing }) }) } };
    const { login, jar, claims } = await staleToken();
    const response = await browse(jar, "/t", {}, down);
    expect(response.status).toBe(200);
    expect(await forwarded(response)).toBe(claims.pat);
    expect(setCookies(response)).toEqual([]);
    expect(await refreshes(login)).toEqual({ granted: 0, refused: 0 });
  });

  it("ends the session when Vercel refuses the refresh: the proxy answers as signed out", async () => {
    const { jar, claims } = await staleToken();
    await revokeStoredVercelRefreshToken(claims.sid);
    const response = await browse(jar, "/t", { headers: json }, withToken);
    expect(response.status).toBe(401);
    expect(jar.get("auth.session")).toBeUndefined();
    expect((await sessionRow(claims.sid))!.revoked_at).not.toBeNull();
  });

  it("is passed on as it is to a caller that cannot take new cookies (the sealed session as a bearer token)", async () => {
    const { login, jar, claims } = await staleToken();
    const response = await call("/t", { headers: { Authorization: `Bearer ${jar.get("auth.session")}` } }, withToken);
    expect(response.status).toBe(200);
    expect(await forwarded(response)).toBe(claims.pat);
    expect(setCookies(response)).toEqual([]);
    expect(db.calls.statements).toBe(0);
    expect(await refreshes(login)).toEqual({ granted: 0, refused: 0 });
  });
});

describe("a provider token that is still good", () => {
  it("is passed on without a D1 statement or a call to Vercel", async () => {
    const login = `fresh-${Math.floor(Math.random() * 1e6)}`;
    const { jar } = await signIn("vercel", { as: login, vars: withToken });
    const { pat } = await claimsOf(jar.get("auth.session")!);
    advance(600);
    db.calls.statements = 0;
    const response = await browse(jar, "/t", {}, withToken);
    expect(await forwarded(response)).toBe(pat);
    expect(setCookies(response)).toEqual([]);
    expect(db.calls.statements).toBe(0);
    expect(await refreshes(login)).toEqual({ granted: 0, refused: 0 });
  });
});

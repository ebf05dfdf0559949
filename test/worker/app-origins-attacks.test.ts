/**
 * What an adversarial pass on APP_ORIGINS, handoff codes and session
 * families found, each fixed and kept here as a regression test, and what
 * held up. A leaked `h` (login CSRF, like a leaked OAuth `state`) is not
 * fixable here and is in the README's threat model instead.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { parseOriginEntry } from "../../src/config/app-origins";
import { parseConfig } from "../../src/config/config";
import { call, countingD1, countingKV, fakeClock, LOCAL } from "./helpers";
import { APP, APPS, Browser, PREVIEW, PROXY_SECRET as SECRET, signInDev } from "./origins-browser";

const ORGS = { ...APPS, ALLOWED_GITHUB_ORGS: "acme" };
const SHORT = { ...APPS, SESSION_IDLE_TTL: "3600", SESSION_MAX_TTL: "7200" };
const LOW = { ...APPS, RATE_LIMITER: env.LOW_RATE_LIMIT, RATE_LIMITER_STRICT: env.LOW_RATE_LIMIT };

const json = { Accept: "application/json" };

/** Signs in on an app origin with the GitHub stand-in, choosing who and how it behaves. */
async function signInGitHubOnApp(browser: Browser, login: string, behave: string, origin = APP) {
  let response = await browser.send(`${origin}/auth/signin/github?redirect_to=%2F`);
  response = await browser.send(response.headers.get("Location")!); // AUTH_URL's start → the provider
  const authorize = new URL(response.headers.get("Location")!);
  authorize.searchParams.set("as", login);
  authorize.searchParams.set("behave", behave);
  const approved = await fetch(authorize, { redirect: "manual" });
  return browser.go(approved.headers.get("Location")!);
}

/** The handoff URL in a redirect, if any. */
const handoffIn = (response: Response) => {
  const location = response.headers.get("Location") ?? "";
  return /\/auth\/handoff\?code=/.test(location) ? location : null;
};

const liveSessions = async (userKey: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_key = ?1 AND revoked_at IS NULL").bind(userKey).first<{ n: number }>())!.n;

const clock = fakeClock();

describe("handoffs under attack", () => {
  it("a bearer token (identify-only) cannot be turned into a full, acting, long-lived session through a handoff", async () => {
    const owner = new Browser();
    await signInDev(owner, "Bearer Owner");
    const minted = await owner.send(`${LOCAL}/auth/token`, { method: "POST", headers: { Origin: LOCAL, ...json } });
    expect(minted.status).toBe(200);
    const { access_token: token } = await minted.json<{ access_token: string }>();

    // An API server that was handed only the 15-minute bearer token, and a browser of its own.
    const holder = new Browser();
    const start = await holder.send(`${APP}/auth/signin`);
    const atAuth = start.headers.get("Location")!;
    const handed = await call(atAuth, { headers: { Authorization: `Bearer ${token}`, Accept: "text/html" } }, APPS);
    const code = handoffIn(handed);
    if (code) await holder.send(code);

    // Had the handoff happened, the holder would now have a cookie pair on the app that acts:
    // it lists and ends the owner's sessions, mints tokens, and outlives the bearer token.
    clock.advance(3600);
    const acting = await holder.send(`${APP}/auth/sessions`, { headers: json });
    expect(code, "AUTH_URL minted a handoff code for a bearer credential").toBeNull();
    expect(acting.status).not.toBe(200);
  });

  it("a handoff code minted for a victim's session on an h the attacker chose is spent when the victim's browser shows it, so a copy read off a log is useless", async () => {
    const victim = new Browser();
    await signInDev(victim, "Silent Victim");
    const victimUser = (await victim.session(LOCAL)).body.user;

    // The attacker starts a sign-in on the app in their own browser: their secret, their h.
    const attacker = new Browser();
    const start = await attacker.send(`${APP}/auth/signin?redirect_to=%2Fdash`);
    const lure = start.headers.get("Location")!; // AUTH_URL/auth/signin?app=…&h=<attacker's>

    // The victim follows a link to it (a top-level GET: SameSite=Lax cookies go along).
    // Signed in at AUTH_URL, they are handed off at once, with no page and no question.
    const atAuth = await victim.send(lure);
    const code = handoffIn(atAuth);
    expect(code).not.toBeNull();
    // Their browser has no secret for it: 400, and the code is spent.
    expect((await victim.send(code!)).status).toBe(400);

    // The URL (in Workers Logs, the app's access log, browser history) reaching the attacker
    // is worth nothing now, their own secret notwithstanding.
    expect((await attacker.send(code!)).status).toBe(400);
    const stolen = await attacker.session(APP);
    expect(stolen.status).toBe(401);
    expect(stolen.body.user?.id).not.toBe(victimUser.id);
  });

  it("an app origin's cookie pair is no session at AUTH_URL (e.g. to enrol a second factor) or on other app origins", async () => {
    const browser = new Browser();
    const { response } = await browser.go(`${APP}/auth/signin/dev?redirect_to=%2F`);
    await browser.approve(response, "Scoped Pair");
    const appJar = browser.jar(APP);
    const session = appJar.get("auth.session")!;
    const refresh = appJar.get("auth.refresh")!;
    expect(session && refresh).toBeTruthy();

    // The app's server sees both cookies on every request to its origin. Sent on to AUTH_URL (http: no prefix),
    // without Origin / Sec-Fetch-Site (a server, not a browser), they pass browserSessionOnly and recentSignInOnly (ath carried over).
    const atAuth = await call(`${LOCAL}/auth/2fa/setup`, { method: "POST", headers: { Cookie: `auth.session=${session}; auth.refresh=${refresh}`, ...json } }, APPS);
    // …and on another app origin (same https names).
    const atPreview = await call(`${PREVIEW}/auth/token`, { method: "POST", headers: { Cookie: `__Host-auth.session=${session}; __Host-auth.refresh=${refresh}`, ...json } }, APPS);
    expect([atAuth.status, atPreview.status]).toEqual([401, 401]);
  });

  it("an app origin's session is still checked against ALLOWED_GITHUB_ORGS once the copied GitHub App token has expired", async () => {
    const browser = new Browser(ORGS);
    const { response } = await signInGitHubOnApp(browser, "app-origin-leaver", "member_acme,app_tokens");
    expect(response.status).toBe(200); // landed on the app's "/"
    expect((await browser.session(APP)).status).toBe(200);

    await fetch(`${env.STANDIN_URL}/control/github/orgs/acme/members/app-origin-leaver`, { method: "DELETE" });
    // Past the GitHub App token's 8 hours: the session at AUTH_URL could renew it, the app's copy cannot
    // (the refresh token stays at AUTH_URL), so the org re-check is "unknown" at every renewal, for the session's whole life.
    clock.advance(28_801);
    expect((await browser.session(APP)).status).toBe(401);
  });

  it("'Sign out' on the devices page still ends an app session whose AUTH_URL session has idled out and been cleaned up", async () => {
    const laptop = new Browser();
    const { response } = await laptop.go(`${APP}/auth/signin/dev?redirect_to=%2F`);
    await laptop.approve(response, "Lost Laptop");
    // Only the app is used: its session renews, the one at AUTH_URL idles out (24 h) and the cron deletes it.
    clock.advance(20 * 3600);
    expect((await laptop.session(APP)).status).toBe(200);
    clock.advance(5 * 3600);
    expect((await laptop.session(APP)).status).toBe(200);
    clock.advance(1200);
    await worker.scheduled!(createScheduledController({ cron: "*/30 * * * *" }), env as unknown as Env);

    // The laptop is lost: from the phone, "Your devices" → "Sign out" on it.
    const phone = new Browser();
    await signInDev(phone, "Lost Laptop");
    const list = await phone.send(`${LOCAL}/auth/sessions`, { headers: json });
    const { sessions } = await list.json<{ sessions: { id: string; origins: string[]; current: boolean }[] }>();
    const lost = sessions.find((s) => s.origins.includes(APP));
    expect(lost).toBeDefined();
    const ended = await phone.send(`${LOCAL}/auth/sessions/${lost!.id}`, { method: "DELETE", headers: { Origin: LOCAL, ...json } });
    expect(ended.status).toBe(200);
    expect((await laptop.session(APP)).status).toBe(401);
  });

  it("minting handoff codes at AUTH_URL is rate limited (each GET /auth/signin?app= writes a D1 row)", async () => {
    const attacker = new Browser();
    await signInDev(attacker, "Code Flooder");
    const h = "f".repeat(43);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const response = await call(`${LOCAL}/auth/signin?app=${encodeURIComponent(APP)}&h=${h}`, { headers: { Cookie: attacker.jar(LOCAL).header } }, LOW);
      statuses.push(response.status);
    }
    const sid = (await attacker.session(LOCAL)).body.sessionId;
    const rows = (await env.DB.prepare("SELECT count(*) AS n FROM handoffs WHERE session_id = ?1").bind(sid).first<{ n: number }>())!.n;
    // LOW allows 3 per 10 s per kind and address; the sign-in start and the callback are limited like that.
    expect(rows, `statuses ${statuses.join(",")}`).toBeLessThanOrEqual(3);
  });

  it("signing in again on an app origin that already has a live session does not pile up sessions (and evict other devices at the cap)", async () => {
    const browser = new Browser();
    const { response } = await browser.go(`${APP}/auth/signin/dev?redirect_to=%2F`);
    await browser.approve(response, "Pile Up");
    const before = await liveSessions("dev:pile-up");
    expect(before).toBe(2); // AUTH_URL's and the app's
    // The app's "Sign in" link (or a cross-site page navigating the browser there), three times:
    // each is a handoff into a brand-new app session, the previous one left live.
    for (let i = 0; i < 3; i++) expect((await browser.go(`${APP}/auth/signin`)).response.status).toBe(200);
    // One navigation with redirect_to=/auth/signin even takes two laps.
    await browser.go(`${APP}/auth/signin?redirect_to=${encodeURIComponent("/auth/signin")}`);
    expect(await liveSessions("dev:pile-up")).toBe(before);
  });

  it("a handed-off app session does not outlive SESSION_MAX_TTL of the sign-in it came from", async () => {
    const browser = new Browser(SHORT);
    await signInDev(browser, "Max Age");
    const signedIn = clock.seconds();
    clock.advance(3000);
    expect((await browser.session(LOCAL)).status).toBe(200); // renewed: idle moves on, the absolute end does not
    clock.advance(3000);
    // Just before the absolute end, a visit to another app origin hands the sign-in off.
    const { response, hops } = await browser.go(`${PREVIEW}/auth/signin?redirect_to=%2F`);
    expect(response.status, hops.join(" ")).toBe(200);
    expect((await browser.session(PREVIEW)).status).toBe(200);
    clock.advance(7200 - (clock.seconds() - signedIn) + 300);
    expect((await browser.session(LOCAL)).status).toBe(401); // the sign-in is over (SESSION_MAX_TTL)…
    expect((await browser.session(PREVIEW)).status).toBe(401); // …and so is every session it made
  });

  it("a session handed off from an app origin's sealed session stays in the browser's family (its sign-out ends it)", async () => {
    const victim = new Browser();
    const { response } = await victim.go(`${APP}/auth/signin/dev?redirect_to=%2F`);
    await victim.approve(response, "Family Escapee");
    // The app's server holds the app's sealed session (it sees the cookie on every request).
    const appSealed = victim.jar(APP).get("auth.session")!;
    const holder = new Browser();
    const start = await holder.send(`${PREVIEW}/auth/signin`);
    const handed = await call(start.headers.get("Location")!, { headers: { Authorization: `Bearer ${appSealed}`, Accept: "text/html" } }, APPS);
    const code = handoffIn(handed);
    if (code) await holder.send(code);
    const minted = await holder.session(PREVIEW);

    // The victim signs out (on the app): the whole family should end…
    expect((await victim.send(`${APP}/auth/signout`, { method: "POST", headers: { Origin: APP } })).status).toBe(303);
    // …but the session minted from the app's session has family = the app session, not its head.
    const after = await holder.session(PREVIEW);
    expect([minted.status, after.status], "a session minted from the app's cookie outlives the browser's sign-out").not.toEqual([200, 200]);
  });
});

describe("configuration", () => {
  const bindings = { RATE_LIMITER: env.RATE_LIMITER, RATE_LIMITER_STRICT: env.RATE_LIMITER_STRICT, ASSETS: env.ASSETS };

  it("an origin entry with a backslash is refused, not read as another origin (ALLOWED_ORIGINS / APP_ORIGINS)", () => {
    // Before bb89c6f, ALLOWED_ORIGINS refused any entry whose path was not "/"; now the regex lets "\\" through
    // and new URL() reads it as "/": the entry becomes https://evil.example.
    const parsed = parseOriginEntry("https://evil.example\\app.example.com");
    expect(parsed).toEqual({ ok: false, reason: expect.any(String) });
    const result = parseConfig({ ...bindings, AUTH_SECRET: "x".repeat(32), DEV_PROVIDER: "true", ALLOWED_ORIGINS: "https://evil.example\\app.example.com" });
    expect(result.ok && [...result.config.allowedOrigins]).toBe(false);
  });

  it("more hosting platforms' suffixes are known: a partial label there is warned about, a bare * refused", () => {
    const parse = (entry: string) => parseConfig({ ...bindings, AUTH_SECRET: "x".repeat(32), DEV_PROVIDER: "true", AUTH_URL: LOCAL, APP_ORIGINS: entry });
    for (const entry of ["https://myapp-*.ondigitalocean.app", "https://myapp-*.app.github.dev", "https://myapp-*.a.run.app"]) {
      const result = parse(entry);
      expect(result.ok && result.config.warnings, entry).toEqual([expect.stringMatching(/public suffix/)]);
    }
    for (const entry of ["https://*.ondigitalocean.app", "https://*.app.github.dev", "https://*.a.run.app"]) {
      expect(parse(entry).ok, entry).toBe(false);
    }
  });
});

describe("what held up", () => {
  it("two parallel redemptions of one code: exactly one session", async () => {
    const browser = new Browser();
    await signInDev(browser, "Racer");
    const start = await browser.send(`${APP}/auth/signin`);
    const handed = await browser.send(start.headers.get("Location")!);
    const code = handoffIn(handed)!;
    const cookie = browser.jar(APP).header;
    const answers = await Promise.all(Array.from({ length: 5 }, () => call(code, { headers: { Cookie: cookie } }, APPS)));
    expect(answers.map((a) => a.status).sort()).toEqual([302, 400, 400, 400, 400]);
  });

  it("forwarded-host tricks: only the exact app origin with the exact secret counts", async () => {
    const tries: [Record<string, string>, boolean][] = [
      [{ "X-Forwarded-Host": "app.example.com", "X-Auth-Proxy-Secret": SECRET }, true],
      [{ "X-Forwarded-Host": "APP.EXAMPLE.COM", "X-Auth-Proxy-Secret": SECRET }, true],
      [{ "X-Forwarded-Host": "app.example.com, evil.com", "X-Auth-Proxy-Secret": SECRET }, false],
      [{ "X-Forwarded-Host": "evil.com, app.example.com", "X-Auth-Proxy-Secret": SECRET }, false],
      [{ "X-Forwarded-Host": "app.example.com.", "X-Auth-Proxy-Secret": SECRET }, false],
      [{ "X-Forwarded-Host": "app.example.com:443", "X-Auth-Proxy-Secret": SECRET }, false],
      [{ "X-Forwarded-Host": "app.example.com:8443", "X-Auth-Proxy-Secret": SECRET }, false],
      [{ "X-Forwarded-Host": "user@app.example.com", "X-Auth-Proxy-Secret": SECRET }, false],
      [{ "X-Forwarded-Host": "a.b.preview.example.com", "X-Auth-Proxy-Secret": SECRET }, false],
      [{ "X-Forwarded-Host": "x.preview.example.com/evil", "X-Auth-Proxy-Secret": SECRET }, false],
      [{ "X-Forwarded-Host": "app.example.com", "X-Forwarded-Proto": "http", "X-Auth-Proxy-Secret": SECRET }, false],
      [{ "X-Forwarded-Host": "app.example.com", "X-Auth-Proxy-Secret": SECRET.slice(0, -1) }, false],
      [{ "X-Forwarded-Host": "app.example.com", "X-Auth-Proxy-Secret": "" }, false],
    ];
    for (const [headers, onApp] of tries) {
      const response = await call("/auth/signin", { headers }, APPS);
      expect(response.status === 302 && response.headers.get("Location")!.includes("app="), JSON.stringify(headers)).toBe(onApp);
    }
  });

  it("app= edge cases at AUTH_URL are refused", async () => {
    const h = "a".repeat(43);
    for (const app of [
      "https://APP.example.com",
      "https://app.example.com.",
      "https://app.example.com:443",
      "https://app.example.com/",
      "https://user@app.example.com",
      "https://app.example.com@evil.com",
      "https://app.example.com%2F@evil.com",
      "https://x.preview.example.com.evil.com",
      "https://..preview.example.com",
      "https://x..preview.example.com",
      "https://xn--80ak6aa92e.preview.example.com.evil",
      "https://app.example.com\n",
      "//app.example.com",
    ]) {
      const response = await call(`/auth/signin?app=${encodeURIComponent(app)}&h=${h}`, { headers: json }, APPS);
      expect(response.status, app).toBe(400);
    }
  });

  it("the hot path stays one KV read and no D1 with APP_ORIGINS set, on AUTH_URL and on an app", async () => {
    const kv = countingKV(env.REVOCATIONS);
    const db = countingD1(env.DB);
    const vars = { ...APPS, REVOCATIONS: kv.binding, DB: db.binding };
    const browser = new Browser(vars);
    const { response } = await browser.go(`${APP}/auth/signin/dev?redirect_to=%2F`);
    await browser.approve(response, "Hot Path");
    for (const origin of [LOCAL, APP]) {
      kv.calls.get = 0;
      db.calls.statements = 0;
      expect((await browser.session(origin)).status).toBe(200);
      expect([kv.calls.get, db.calls.statements], origin).toEqual([1, 0]);
    }
  });

  it("the family ends together: device route with an app session's id, AuthService.revoke, sign out everywhere from an app", async () => {
    const device = new Browser();
    const started = await device.go(`${APP}/auth/signin/dev?redirect_to=%2F`);
    await device.approve(started.response, "Family Device");
    const appSid = (await device.session(APP)).body.sessionId;
    const ended = await device.send(`${LOCAL}/auth/sessions/${appSid}`, { method: "DELETE", headers: { Origin: LOCAL, ...json } });
    expect(ended.status).toBe(200);
    expect([(await device.session(APP)).status, (await device.session(LOCAL)).status]).toEqual([401, 401]);

    const service = new Browser();
    const again = await service.go(`${APP}/auth/signin/dev?redirect_to=%2F`);
    await service.approve(again.response, "Family Service");
    await service.go(`${PREVIEW}/auth/signin`);
    const previewSid = (await service.session(PREVIEW)).body.sessionId;
    expect(await (await env.CALLER.fetch(`http://caller/revoke?session=${previewSid}`)).json()).toEqual({ revoked: true });
    for (const origin of [LOCAL, APP, PREVIEW]) expect((await service.session(origin)).status, origin).toBe(401);

    const one = new Browser();
    const other = new Browser();
    for (const b of [one, other]) {
      const s = await b.go(`${APP}/auth/signin/dev?redirect_to=%2F`);
      await b.approve(s.response, "Family Everywhere");
    }
    const out = await one.send(`${APP}/auth/signout?all=1`, { method: "POST", headers: { Origin: APP, ...json } });
    expect(out.status).toBe(200);
    for (const b of [one, other]) for (const origin of [LOCAL, APP]) expect((await b.session(origin)).status, origin).toBe(401);
  });

  it("the devices list pages over families (head + app member) without repeats or gaps", async () => {
    const me = new Browser();
    await signInDev(me, "Family Pager");
    const now = clock.seconds();
    const insert = (id: string, family: string | null, origin: string | null, created: number) =>
      env.DB.prepare(
        `INSERT INTO sessions (id, user_key, provider, secret_hash, remember, created_at, last_used_at, idle_expires_at, expires_at, origin, family)
         VALUES (?1, 'dev:family-pager', 'dev', 'h', 0, ?2, ?2, ?3, ?3, ?4, ?5)`,
      ).bind(id, created, now + 3600, origin, family);
    const statements = [];
    for (let i = 0; i < 60; i++) {
      const head = `fam-${String(i).padStart(3, "0")}`;
      // Ties on created_at across families, members created later than (and before) others' heads.
      statements.push(insert(head, null, null, now - 1000 + Math.floor(i / 3)), insert(`${head}-app`, head, APP, now - 1000 + Math.floor(i / 3) + 5));
    }
    await env.DB.batch(statements);
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 5; page++) {
      const response = await me.send(`${LOCAL}/auth/sessions${after ? `?after=${after}` : ""}`, { headers: json });
      const body = await response.json<{ sessions: { id: string }[]; next?: string }>();
      seen.push(...body.sessions.map((x) => x.id));
      if (!body.next) break;
      after = body.next;
    }
    expect(seen.length).toBe(61);
    expect(new Set(seen).size).toBe(61);
  });

  it("the devices list shows only the user's own families, one per browser", async () => {
    const browsers = Array.from({ length: 3 }, () => new Browser());
    for (const b of browsers) {
      const s = await b.go(`${APP}/auth/signin/dev?redirect_to=%2F`);
      await b.approve(s.response, "Grouped Lister");
      clock.advance(1);
    }
    const stranger = new Browser();
    const s = await stranger.go(`${APP}/auth/signin/dev?redirect_to=%2F`);
    await stranger.approve(s.response, "Grouped Stranger");
    const list = await browsers[0]!.send(`${APP}/auth/sessions`, { headers: json });
    const { sessions } = await list.json<{ sessions: { id: string; origins: string[]; current: boolean }[] }>();
    expect(sessions).toHaveLength(3);
    expect(sessions.filter((x) => x.current)).toHaveLength(1);
    for (const x of sessions) expect(x.origins.sort()).toEqual([LOCAL, APP].sort());
  });
});

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { isAppOrigin, parseOriginEntry, type AppOrigins } from "../../src/config/app-origins";
import { parseConfig } from "../../src/config/config";
import { getKeyring } from "../../src/crypto/keys";
import { open } from "../../src/crypto/seal";
import type { SessionClaims } from "../../src/session/session";
import { call, fakeClock, LOCAL } from "./helpers";
import { APP, APPS, Browser, PREVIEW, PROXY_SECRET as SECRET, signInDev } from "./origins-browser";

const bindings = { RATE_LIMITER: env.RATE_LIMITER, RATE_LIMITER_STRICT: env.RATE_LIMITER_STRICT, ASSETS: env.ASSETS };

/** The handoff URL the worker sends a browser to after a sign-in on `origin`, not followed. */
async function handoffURL(browser: Browser, name: string, origin = APP): Promise<string> {
  const { response: page } = await browser.go(`${origin}/auth/signin/dev?redirect_to=%2F`);
  const posted = await browser.submit(page, name);
  const callback = await browser.send(new URL(posted.headers.get("Location")!, LOCAL).href);
  const location = callback.headers.get("Location")!;
  expect(location).toMatch(new RegExp(`^${origin.replace(/\./g, "\\.")}/auth/handoff\\?code=[\\w-]{43}$`));
  return location;
}

describe("APP_ORIGINS patterns", () => {
  const apps = (...entries: string[]): AppOrigins => {
    const exact = new Set<string>();
    const patterns: RegExp[] = [];
    for (const entry of entries) {
      const parsed = parseOriginEntry(entry);
      if (!parsed.ok) throw new Error(parsed.reason);
      if ("origin" in parsed) exact.add(parsed.origin);
      else patterns.push(parsed.pattern);
    }
    return { exact, patterns, sources: [] };
  };

  it("match one DNS label of [a-z0-9-] for the *, with scheme and port exact", () => {
    const wild = apps("https://*.example.com");
    for (const origin of ["https://a.example.com", "https://pr-7.example.com", "https://x1.example.com"]) expect(isAppOrigin(wild, origin), origin).toBe(true);
    for (const origin of [
      "https://example.com",
      "https://a.b.example.com",
      "http://a.example.com",
      "https://a.example.com:8443",
      "https://a_b.example.com",
      "https://a.example.com.evil.com",
      "https://evil.com/a.example.com",
      "https://aexample.com",
    ]) {
      expect(isAppOrigin(wild, origin), origin).toBe(false);
    }
    const vercel = apps("https://myapp-*-team.vercel.app");
    expect(isAppOrigin(vercel, "https://myapp-git-fix-login-team.vercel.app")).toBe(true);
    expect(isAppOrigin(vercel, "https://myapp--team.vercel.app")).toBe(false);
    expect(isAppOrigin(vercel, "https://other-git-x-team.vercel.app")).toBe(false);
    expect(isAppOrigin(vercel, "https://myapp-x-team.vercel.app.evil.com")).toBe(false);
    const ported = apps("http://*.app.localhost:8080", "https://app.example.com:443");
    expect(isAppOrigin(ported, "http://pr-7.app.localhost:8080")).toBe(true);
    expect(isAppOrigin(ported, "http://pr-7.app.localhost:8081")).toBe(false);
    expect(isAppOrigin(ported, "https://app.example.com")).toBe(true);
  });

  it("refuse a bare *, a * on a public suffix, a * past the first label, and anything but an origin", () => {
    const refused: [string, RegExp][] = [
      ["*", /is not an origin/],
      ["https://*", /is a bare \*/],
      ["https://*.com", /public suffix com/],
      ["https://*.vercel.app", /public suffix vercel\.app/],
      ["https://*.workers.dev", /public suffix workers\.dev/],
      ["https://*.co.uk", /public suffix co\.uk/],
      ["https://*.pages.dev", /public suffix pages\.dev/],
      ["https://a.*.example.com", /outside its first label/],
      ["https://*-*.example.com", /more than one/],
      ["https://*.example.com/path", /is not an origin/],
      ["https://user@*.example.com", /is not an origin/],
      ["ftp://*.example.com", /is not an origin/],
    ];
    for (const [entry, reason] of refused) {
      const parsed = parseOriginEntry(entry);
      expect(parsed.ok, entry).toBe(false);
      expect((parsed as { reason: string }).reason, entry).toMatch(reason);
    }
  });

  it("are checked at startup, each problem naming the variable and entry; ALLOWED_ORIGINS refuses patterns instead of ignoring them", () => {
    const problems = (vars: Record<string, unknown>) => {
      const result = parseConfig({ ...bindings, AUTH_SECRET: "x".repeat(32), DEV_PROVIDER: "true", ...vars });
      return result.ok ? [] : result.problems;
    };
    expect(problems({ AUTH_URL: LOCAL, APP_ORIGINS: "https://*.vercel.app" })).toEqual(['APP_ORIGINS entry 1 ("https://*.vercel.app") would match every site under the public suffix vercel.app']);
    expect(problems({ AUTH_URL: LOCAL, APP_ORIGINS: "https://app.example.com,*" })).toEqual(['APP_ORIGINS entry 2 ("*") is not an origin such as https://app.example.com']);
    expect(problems({ APP_ORIGINS: "https://app.example.com" })).toEqual([expect.stringMatching(/^APP_ORIGINS needs AUTH_URL/)]);
    expect(problems({ ALLOWED_ORIGINS: "https://*.example.com" })).toEqual([expect.stringMatching(/^ALLOWED_ORIGINS entry 1 \("https:\/\/\*\.example\.com"\) is a pattern: ALLOWED_ORIGINS takes exact origins/)]);
    expect(problems({ ALLOWED_ORIGINS: "https://*.com" })).toEqual(['ALLOWED_ORIGINS entry 1 ("https://*.com") would match every site under the public suffix com']);
    expect(problems({ ...APPS, PROXY_SECRET: "short" })).toEqual(["PROXY_SECRET must be at least 32 characters"]);
    expect(problems({ PROXY_SECRET: SECRET })).toEqual([expect.stringMatching(/^PROXY_SECRET is set but APP_ORIGINS is not/)]);
    // Allowed, with a warning: a name right under a public suffix can be anyone's.
    const result = parseConfig({ ...bindings, AUTH_SECRET: "x".repeat(32), DEV_PROVIDER: "true", AUTH_URL: LOCAL, APP_ORIGINS: "https://myapp-*-team.vercel.app" });
    expect(result.ok && result.config.warnings).toEqual([expect.stringMatching(/sits right under a public suffix/)]);
  });
});

describe("one sign-in across app origins", () => {
  const clock = fakeClock();

  it("signs in on an app at AUTH_URL and hands the session back with a code: the app gets host-only cookies of its own", async () => {
    const browser = new Browser();
    const landed = await signInDev(browser, "Ada Apps", APP, "/dash");
    expect(browser.visited.at(-1)).toBe(`${APP}/dash`);
    expect(landed.status).toBe(404); // no such page on the worker; an app would serve it
    // The app's own cookies, under __Host- (https, no Domain), and the browser's secret gone.
    expect([...browser.jar(APP).cookies.keys()].sort()).toEqual(["__Host-auth.refresh", "__Host-auth.session"]);
    const app = await browser.session(APP);
    const home = await browser.session(LOCAL);
    expect(app.status).toBe(200);
    expect(home.status).toBe(200);
    expect(app.body.user).toEqual(home.body.user);
    expect(app.body.sessionId).not.toBe(home.body.sessionId);
    // The provider was asked once, at AUTH_URL, and sent the browser back there.
    expect(browser.visited.filter((url) => url.includes("/dev/authorize?"))).toEqual([expect.stringContaining(`${LOCAL}/auth/dev/authorize?`)]);
    expect(browser.visited.some((url) => url.startsWith(`${APP}/auth/callback`))).toBe(false);
    // The app's session was signed in when the person did, not at the handoff: step-up rules see the real time.
    const keys = await getKeyring([env.AUTH_SECRET]);
    const claims = async (origin: string, name: string) => {
      const opened = await open<SessionClaims>(keys, "session", browser.jar(origin).get(name)!);
      return opened.status === "invalid" ? null : opened.claims;
    };
    expect((await claims(APP, "auth.session"))!.ath).toBe((await claims(LOCAL, "auth.session"))!.ath);
  });

  it("signs a browser signed in at AUTH_URL in on a second app origin without a provider trip or a page, and signs all out at once", async () => {
    const browser = new Browser();
    await signInDev(browser, "Once Everywhere", APP);
    const before = browser.visited.length;
    const { response: page } = await browser.go(`${PREVIEW}/auth`);
    expect(page.status).toBe(200);
    const trip = browser.visited.slice(before);
    // The app page, AUTH_URL (signed in: a code at once), the code, the app page again.
    expect(trip.map((url) => new URL(url).origin + new URL(url).pathname)).toEqual([`${PREVIEW}/auth`, `${LOCAL}/auth/signin`, `${PREVIEW}/auth/handoff`, `${PREVIEW}/auth`]);
    expect((await browser.session(PREVIEW)).status).toBe(200);

    // "Your devices": one entry for this browser, listing its three origins.
    const list = await call(`${LOCAL}/auth/sessions`, { headers: { Cookie: browser.jar(LOCAL).header, Accept: "application/json" } }, APPS);
    const { sessions } = await list.json<{ sessions: { origins: string[]; current: boolean }[] }>();
    expect(sessions).toEqual([expect.objectContaining({ current: true, origins: expect.arrayContaining([LOCAL, APP, PREVIEW]) })]);
    expect(sessions[0]!.origins).toHaveLength(3);

    // Sign-out on one origin ends the sessions of all three.
    const out = await browser.send(`${APP}/auth/signout`, { method: "POST", headers: { Origin: APP } });
    expect(out.status).toBe(303);
    for (const origin of [LOCAL, APP, PREVIEW]) expect((await browser.session(origin)).status, origin).toBe(401);
  });

  it("refuses a replayed code, a code for another origin, a code without the browser's secret, and an expired one", async () => {
    // Replay: the second use of a code is refused, and changes nothing.
    const owner = new Browser();
    const url = await handoffURL(owner, "Replay Target");
    expect((await owner.send(url)).status).toBe(302);
    const again = await owner.send(url);
    expect(again.status).toBe(400);
    expect(await again.text()).toContain("This sign-in link was already used, has expired, or was started in another browser.");

    // Without this browser's secret — a code injected into a victim's browser (who has a sign-in
    // of their own under way, so a secret of their own), or read off a log by someone without one.
    const victim = new Browser();
    await victim.go(`${APP}/auth/signin/dev`);
    expect(victim.jar(APP).get("auth.handoff")).toBeDefined();
    const stolen = await handoffURL(new Browser(), "Code Thief");
    const injected = await call(stolen, { headers: { Accept: "application/json" } }, APPS);
    expect(await injected.json()).toMatchObject({ error: "handoff_invalid" });
    expect((await victim.send(stolen)).status).toBe(400);
    expect(victim.jar(APP).get("auth.session")).toBeUndefined();

    // For another origin: the same browser's secret, copied there, does not make it that origin's code.
    const mover = new Browser();
    const forApp = await handoffURL(mover, "Origin Mover");
    const elsewhere = forApp.replace(APP, PREVIEW);
    mover.jar(PREVIEW).cookies.set("__Host-auth.handoff", mover.jar(APP).get("auth.handoff")!);
    expect((await mover.send(elsewhere)).status).toBe(400);
    // …and the refusal spent nothing: the right origin still redeems it.
    expect((await mover.send(forApp)).status).toBe(302);

    // Expired: a minute is all a code has.
    const late = new Browser();
    const slow = await handoffURL(late, "Too Late");
    clock.advance(61);
    const lateAnswer = await late.send(slow);
    expect(lateAnswer.status).toBe(400);
  });

  it("refuses a code once the session that handed it off has ended", async () => {
    const browser = new Browser();
    const url = await handoffURL(browser, "Ended Before");
    const out = await call(`${LOCAL}/auth/signout`, { method: "POST", headers: { Origin: LOCAL, Cookie: browser.jar(LOCAL).header } }, APPS);
    expect(out.status).toBe(303);
    expect((await browser.send(url)).status).toBe(400);
  });

  it("refuses a sign-in at AUTH_URL for an origin that is not an app, and keeps redirect_to on the app", async () => {
    const h = "a".repeat(43);
    for (const app of ["https://evil.example", "https://a.b.preview.example.com", "http://app.example.com"]) {
      const response = await call(`/auth/signin?app=${encodeURIComponent(app)}&h=${h}`, { headers: { Accept: "application/json" } }, APPS);
      expect(response.status, app).toBe(400);
      expect(await response.json()).toMatchObject({ error: "invalid_app" });
    }
    expect((await call(`/auth/signin?app=${encodeURIComponent(APP)}&h=short`, {}, APPS)).status).toBe(400);
    // A redirect_to off the app is its root instead.
    const bounce = await call(`${APP}/auth/signin?redirect_to=${encodeURIComponent("https://evil.example/x")}`, {}, APPS);
    expect(new URL(bounce.headers.get("Location")!).searchParams.get("redirect_to")).toBe("/");
  });
});

describe("proxied frontends", () => {
  const forwarded = (headers: Record<string, string>) => call("/auth/signin", { headers: { "X-Forwarded-Host": "app.example.com", "X-Forwarded-Proto": "https", ...headers } }, APPS);

  it("count as their app origin only with PROXY_SECRET beside X-Forwarded-Host", async () => {
    const vouched = await forwarded({ "X-Auth-Proxy-Secret": SECRET });
    expect(vouched.status).toBe(302);
    const location = new URL(vouched.headers.get("Location")!);
    expect(location.origin + location.pathname).toBe(`${LOCAL}/auth/signin`);
    expect(location.searchParams.get("app")).toBe(APP);
    expect(vouched.headers.get("Set-Cookie")).toMatch(/^__Host-auth\.handoff=/);
    // Anyone can send the header; without the secret — or with another — it is ignored, as ever.
    for (const headers of [{}, { "X-Auth-Proxy-Secret": "x".repeat(SECRET.length) }, { "X-Auth-Proxy-Secret": `${SECRET}x` }] as Record<string, string>[]) {
      const ignored = await forwarded(headers);
      expect(ignored.status).toBe(200);
      expect(ignored.headers.get("Set-Cookie")).toBeNull();
    }
    // A forwarded host that is not an app origin is ignored too, secret or not.
    const other = await call("/auth/signin", { headers: { "X-Forwarded-Host": "evil.example", "X-Auth-Proxy-Secret": SECRET } }, APPS);
    expect(other.status).toBe(200);
  });
});

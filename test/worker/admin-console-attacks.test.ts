/**
 * What the adversarial pass on the admin console found, fixed and kept as
 * regression tests: an admin's handoff session on an app origin was an
 * admin there; a form on an ALLOWED_ORIGINS page could end sessions; and
 * anonymous callbacks could bury the events that matter.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { browse, call, fakeClock, formPost, LOCAL, sessionOf, signIn } from "./helpers";
import { APPS, Browser, PREVIEW, signInDev } from "./origins-browser";

/*
 * ADMIN_USERS' power follows the admin onto every app origin. A handoff
 * session on an APP_ORIGINS origin (any preview deployment matching
 * `https://*.preview.example.com`, whose pages are the app's code, not the
 * worker's) is a full admin there: its own `/auth/admin` console, and the
 * admin routes, passing sameOriginOnly (the request is same-origin on the
 * app) and browserSessionOnly (the app origin's cookie pair). A script on any
 * preview the admin opens — and the admin gets a session there silently,
 * with no page, by being signed in at AUTH_URL — can end anyone's sessions
 * and reset anyone's second factor.
 */
const VARS = { ...APPS, ADMIN_USERS: "dev:adv16-root" };

describe("admin routes from an app origin's handoff session", () => {
  fakeClock();

  it("refuses the admin console and admin actions on an app origin (only AUTH_URL's own session may administer)", async () => {
    const victim = new Browser(VARS);
    await signInDev(victim, "Adv16 Victim", LOCAL, "/");
    expect((await victim.session(LOCAL)).status).toBe(200);

    const admin = new Browser(VARS);
    await signInDev(admin, "Adv16 Root", LOCAL, "/");
    // Opening any preview deployment: handed off silently, no page in between.
    await admin.go(`${PREVIEW}/auth/signin?redirect_to=%2F`);
    const onPreview = await admin.session(PREVIEW);
    expect(onPreview.status).toBe(200);
    expect(onPreview.body.user.id).toBe("adv16-root");

    // What the preview's own script can do, same-origin, with the browser's cookies:
    const page = await admin.send(`${PREVIEW}/auth/admin?user=dev:adv16-victim`);
    const endAll = await admin.send(`${PREVIEW}/auth/admin/sessions?user=dev:adv16-victim`, {
      method: "DELETE",
      headers: { Origin: PREVIEW, "Sec-Fetch-Site": "same-origin", Accept: "application/json" },
    });
    const reset = await admin.send(`${PREVIEW}/auth/admin/second-factor?user=dev:adv16-victim`, {
      method: "DELETE",
      headers: { Origin: PREVIEW, "Sec-Fetch-Site": "same-origin", Accept: "application/json" },
    });
    const outcome = {
      console: page.status,
      endAll: endAll.status,
      reset: reset.status,
      victimSignedIn: (await victim.session(LOCAL)).status,
    };
    expect(outcome).toEqual({ console: 403, endAll: 403, reset: 403, victimSignedIn: 200 });
  });
});

describe("admin forms posted from an ALLOWED_ORIGINS page", () => {
  fakeClock();

  it("refuses an admin form posted from another origin, even one in ALLOWED_ORIGINS", async () => {
    // The workerd suite runs with ALLOWED_ORIGINS = https://app.example.com.
    const vars = { ADMIN_USERS: "dev:adv16-allowed-root" };
    const victim = await signIn("dev", { as: "Adv16 Allowed Victim" });
    const root = await signIn("dev", { as: "Adv16 Allowed Root", vars });
    // A plain HTML form on the app (no script, no CORS): the browser sends the admin's cookies (same site).
    const posted = await browse(
      root.jar,
      "/auth/admin/sessions?user=dev:adv16-allowed-victim",
      formPost({ _method: "DELETE" }, { Origin: "https://app.example.com", "Sec-Fetch-Site": "same-site" }),
      vars,
    );
    expect({ status: posted.status, victim: (await sessionOf(victim.jar)).status }).toEqual({ status: 403, victim: 200 });
  });
});

/**
 * The console lists the window's 50 newest security events, and a refused
 * sign-in is one — including the `flow_missing` of a bare, cookieless
 * `GET /auth/callback/<provider>` anyone can send (5 per 10 s per address:
 * 50 of them are 10 addresses for 10 seconds, or one for 100). Someone who
 * has just stolen a session, and tripped `refresh_reuse`, or locked a
 * victim's second factor, can push that event off the admin's list with
 * anonymous requests; each also costs a D1 write nobody signed in for.
 */
const floodAdmin = { ADMIN_USERS: "dev:adv16-flood-root" };

describe("security events flushed by anonymous requests", () => {
  const clock = fakeClock();

  it("keeps a refresh_reuse on the console after 60 anonymous callback hits", async () => {
    await env.DB.prepare("INSERT INTO security_events (at, event, user_key, detail, by_user, ip) VALUES (?1, 'refresh_reuse', 'github:adv16-stolen', 'an older refresh secret presented', NULL, '203.0.113.9')")
      .bind(clock.seconds() - 60)
      .run();
    const root = await signIn("dev", { as: "Adv16 Flood Root", vars: floodAdmin });
    clock.advance(1);
    const shown = await (await browse(root.jar, "/auth/admin", { headers: { Accept: "text/html" } }, floodAdmin)).text();
    expect(shown).toContain("github:adv16-stolen");

    // Anonymous: no cookie, no state, no code. Twelve addresses, five each.
    const before = (await env.DB.prepare("SELECT count(*) AS n FROM security_events").first<number>("n"))!;
    for (let i = 0; i < 60; i++) {
      const answer = await call("/auth/callback/github", { headers: { "CF-Connecting-IP": `198.51.100.${i % 12}` } });
      expect(answer.status).toBe(400);
    }
    clock.advance(1);
    const after = await (await browse(root.jar, "/auth/admin", { headers: { Accept: "text/html" } }, floodAdmin)).text();
    expect(after.includes("github:adv16-stolen"), "the refresh_reuse is still on the admin's list").toBe(true);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM security_events").first<number>("n"))!).toBe(before);
  });

  it("keeps a refresh_reuse listed under a hundred refused sign-ins of real accounts, each kind listed apart", async () => {
    const at = clock.seconds() - 30;
    await env.DB.prepare("INSERT INTO security_events (at, event, user_key, detail, by_user, ip) VALUES (?1, 'refresh_reuse', 'github:adv16-buried', 'x', NULL, NULL)").bind(at - 100).run();
    const refused = env.DB.prepare("INSERT INTO security_events (at, event, user_key, detail, by_user, ip) VALUES (?1, 'signin_refused', ?2, 'github: not_allowed', NULL, NULL)");
    await env.DB.batch(Array.from({ length: 100 }, (_, i) => refused.bind(at + (i % 30), `github:adv16-refused-${i}`)));
    const root = await signIn("dev", { as: "Adv16 Flood Root", vars: floodAdmin });
    clock.advance(1);
    const shown = await (await browse(root.jar, "/auth/admin", { headers: { Accept: "text/html" } }, floodAdmin)).text();
    expect(shown).toContain("github:adv16-buried");
    expect(shown.match(/Sign-in refused/g)).toHaveLength(20);
  });
});

describe("the cleanup of old security events", () => {
  it("deletes them all in bounded batches, however many there are", async () => {
    const old = Math.floor(Date.now() / 1000) - 9 * 86_400;
    const insert = env.DB.prepare("INSERT INTO security_events (at, event, user_key, detail, by_user, ip) VALUES (?1, 'signin_refused', 'github:adv16-old', NULL, NULL, NULL)");
    for (let round = 0; round < 3; round++) await env.DB.batch(Array.from({ length: 450 }, (_, i) => insert.bind(old + i)));
    await worker.scheduled!(createScheduledController({ cron: "*/30 * * * *" }), env as unknown as Env);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM security_events WHERE user_key = 'github:adv16-old'").first("n")).toBe(0);
  });
});

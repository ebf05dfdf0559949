/**
 * DBSC, second pass: sessions on app origins (APP_ORIGINS) of a bound family.
 *
 * 1. A handoff from a bound AUTH_URL cookie seals the app's cookie for a
 *    full DEVICE_BOUND_TTL from the handoff (`prepareSession` ->
 *    `sealClaims`), not until the AUTH_URL cookie it came from expires: a
 *    copied jar used in its last seconds buys another DEVICE_BOUND_TTL on
 *    every app origin.
 * 2. Chromium's own sign-in on an app: the callback at AUTH_URL redirects
 *    straight to the app's /auth/handoff, and the registration of the
 *    AUTH_URL session runs in the background some 40-260 ms later
 *    (docs/dbsc-chromium-150.md). The handoff sees an unbound session; the
 *    app's session must not then hold a long unbound cookie, nor its
 *    refused renewal be taken for a copied cookie jar (a security event
 *    against the owner).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { fakeClock, LOCAL } from "./helpers";
import { APP, APPS, Browser } from "./origins-browser";
import { boundBrowser as boundVictim, challengeOf, DeviceKey, offered, offeredOrNull, refresh, register } from "./device-bound-client";

const clock = fakeClock();
const TTL = 300;

const expiresAt = (body: { expiresAt: string }) => Date.parse(body.expiresAt) / 1000;

describe("app sessions of a bound family", () => {
  it("a handoff from a copied bound cookie in its last seconds gives the app no cookie outliving it", async () => {
    const victim = await boundVictim("Late Handoff Victim");
    const thief = new Browser(APPS);
    for (const [name, value] of victim.browser.jar(LOCAL).cookies) thief.jar(LOCAL).cookies.set(name, value);
    const copiedUntil = expiresAt((await thief.session(LOCAL)).body);

    clock.advance(TTL - 5);
    expect((await thief.session(LOCAL)).status).toBe(200);
    const start = await thief.send(`${APP}/auth/signin?redirect_to=%2F`);
    const atAuth = await thief.send(start.headers.get("Location")!);
    expect((await thief.send(atAuth.headers.get("Location")!)).status).toBe(302);
    const app = await thief.session(APP);
    expect(app.status).toBe(200);
    expect(app.body.deviceBound).toBe(true);
    expect(expiresAt(app.body) - copiedUntil, "seconds the app cookie outlives the copied AUTH_URL cookie it was handed off from").toBeLessThanOrEqual(0);

    clock.advance(TTL - 10);
    expect((await thief.session(LOCAL)).status).toBe(401);
    expect((await thief.session(APP)).status, `signed in on the app ${clock.seconds() - copiedUntil} s after the copied bound cookie expired`).toBe(401);
  });

  it("Chromium's sign-in on an app (handoff before the background registration) gives an app cookie of at most DEVICE_BOUND_TTL, and no security event against the owner", async () => {
    const browser = new Browser(APPS);
    const { response: page } = await browser.go(`${APP}/auth/signin/dev?redirect_to=%2F`);
    expect(page.status).toBe(200);
    const posted = await browser.submit(page, "App Chromium Owner");
    const callback = await browser.send(new URL(posted.headers.get("Location")!, LOCAL).href);
    expect(callback.status).toBe(302);
    const authOffer = offered(callback);
    // The redirect is followed at once; the registration comes moments later.
    const landed = await browser.send(callback.headers.get("Location")!);
    expect(landed.status).toBe(302);
    const key = await DeviceKey.create();
    const registered = await register(browser.jar(LOCAL), await key.sign(authOffer.challenge, { withKey: true }), LOCAL, APPS);
    expect(registered.status).toBe(200);
    const sid = (await browser.session(LOCAL)).body.sessionId as string;
    let next = challengeOf(registered, sid);
    // The app's own offer, taken by the same browser (a key of its own for that origin): refused, the family is bound.
    const appOffer = offeredOrNull(landed);
    if (appOffer) await register(browser.jar(APP), await (await DeviceKey.create()).sign(appOffer.challenge, { withKey: true }), APP, APPS);

    const app = await browser.session(APP);
    expect(app.status).toBe(200);
    const left = expiresAt(app.body) - clock.seconds();
    const appBound = app.body.deviceBound;

    // Twenty minutes of use: AUTH_URL refreshed by proof as Chromium does, the app visited.
    for (let i = 0; i < 5; i++) {
      clock.advance(TTL - 60);
      const answer = await refresh(browser.jar(LOCAL), sid, await key.sign(next), LOCAL, APPS);
      expect(answer.status).toBe(200);
      next = challengeOf(answer, sid);
      await browser.session(APP);
    }
    const events = await env.DB.prepare("SELECT event, detail FROM security_events WHERE user_key = ?1").bind("dev:app-chromium-owner").all();
    // Handed off before the binding, it is not bound itself, only short: its renewal is then refused, quietly, and it is handed off anew.
    expect({ appBound, left, events: events.results }, "the app session of a bound family, and security events written about the owner's own browser").toEqual({
      appBound: false,
      left: expect.toSatisfy((n: number) => n <= TTL),
      events: [],
    });
  });
});

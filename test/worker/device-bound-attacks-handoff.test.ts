/**
 * DBSC under attack: a copied cookie jar of a device-bound session at
 * AUTH_URL, taken to another machine without the device's private key,
 * turned into a session on an app origin (APP_ORIGINS) that the thief binds
 * to a key of their own, and so refreshes for as long as the family lives.
 */
import { describe, expect, it } from "vitest";
import { fakeClock, LOCAL } from "./helpers";
import { APP, APPS, Browser } from "./origins-browser";
import { boundBrowser as boundVictim, challengeOf, DeviceKey, offeredOrNull, refresh, register } from "./device-bound-client";

const clock = fakeClock();
const TTL = 300;

/**
 * The thief: the victim's AUTH_URL cookies (session + refresh), copied into
 * a browser of their own, which signs in on the app: AUTH_URL sees the
 * copied session and hands off at once. The app's answer to the handoff.
 */
async function thiefOnApp(victim: { browser: Browser }) {
  const thief = new Browser(APPS);
  for (const [name, value] of victim.browser.jar(LOCAL).cookies) thief.jar(LOCAL).cookies.set(name, value);
  const start = await thief.send(`${APP}/auth/signin?redirect_to=%2F`);
  const atAuth = await thief.send(start.headers.get("Location")!);
  const handoff = atAuth.headers.get("Location")!;
  expect(handoff).toMatch(/\/auth\/handoff\?code=/);
  const landed = await thief.send(handoff);
  expect(landed.status).toBe(302);
  return { thief, landed };
}

describe("a copied cookie jar of a bound session, handed off to an app origin", () => {
  it("must not become an app session the thief binds to their own key and refreshes past the bound cookie's minutes", async () => {
    const { thief, landed } = await thiefOnApp(await boundVictim("Handoff Victim"));
    const appSid = (await thief.session(APP)).body.sessionId as string;

    // The app session's answer offers a registration; the thief's key takes it.
    const offer = offeredOrNull(landed);
    const thiefKey = await DeviceKey.create();
    let next: string | null = null;
    if (offer) {
      const registered = await register(thief.jar(APP), await thiefKey.sign(offer.challenge, { withKey: true }), APP, APPS);
      if (registered.status === 200) next = challengeOf(registered, appSid);
    }

    // An hour on, refreshing by the thief's own key every four minutes, as Chromium would.
    for (let i = 0; i < 15 && next; i++) {
      clock.advance(TTL - 60);
      const answer = await refresh(thief.jar(APP), appSid, await thiefKey.sign(next), APP, APPS);
      next = answer.status === 200 ? challengeOf(answer, appSid) : null;
    }
    clock.advance(TTL + 1);
    const after = await thief.session(APP);
    // The bound session at AUTH_URL has long needed its device's key; the thief never had it.
    expect(after.status, `the thief still holds app session ${appSid}, an hour after copying a bound cookie jar good for ${TTL} s`).toBe(401);
  });

  it("must not get a registration offer for a session handed off from a bound one (or accept one) while the family head is bound to another key", async () => {
    const { thief, landed } = await thiefOnApp(await boundVictim("Handoff Victim Offer"));
    const offer = offeredOrNull(landed);
    const thiefKey = await DeviceKey.create();
    const registered = offer ? await register(thief.jar(APP), await thiefKey.sign(offer.challenge, { withKey: true }), APP, APPS) : null;
    expect(registered?.status ?? 400, "an app session of a bound family was bound to a key that is not the family's").not.toBe(200);
  });

  it("gives no bearer token, even before any registration there, that outlives the short cookie of a session handed off from a bound one", async () => {
    const { thief } = await thiefOnApp(await boundVictim("Handoff Victim Token"));
    const app = await thief.session(APP);
    const left = Date.parse(app.body.expiresAt) / 1000 - clock.seconds();
    expect(left).toBeLessThanOrEqual(TTL);
    const minted = await thief.send(`${APP}/auth/token`, { method: "POST", headers: { Origin: APP, Accept: "application/json" } });
    expect(minted.status).toBe(200);
    const { expires_in } = await minted.json<{ expires_in: number }>();
    expect(expires_in, `a ${expires_in} s bearer token from an app cookie with ${left} s left, handed off from a bound session`).toBeLessThanOrEqual(left);
  });
});

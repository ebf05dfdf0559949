/**
 * DBSC, second pass: the cookie a session starts with, before its
 * registration. README ("Device-bound sessions", step 1, and the threat
 * model's "Stolen cookies" row) says it lives DEVICE_BOUND_TTL, so that a
 * jar copied between the sign-in and the binding "lives DEVICE_BOUND_TTL
 * and is then refused". `startSession` seals it for ACCESS_TTL (900 s): the
 * copy works three times as long as documented, and a handoff made with it
 * gives an app origin an unbound ACCESS_TTL cookie from then on.
 */
import { describe, expect, it } from "vitest";
import { fakeClock, LOCAL } from "./helpers";
import { APP, APPS, Browser } from "./origins-browser";
import { DeviceKey, offered, register } from "./device-bound-client";

const clock = fakeClock();
const TTL = 300;

describe("a jar copied between a sign-in and its binding", () => {
  it("holds a cookie of at most DEVICE_BOUND_TTL, on AUTH_URL and through a handoff", async () => {
    const owner = new Browser(APPS);
    const { response: page } = await owner.go(`${LOCAL}/auth/signin/dev?redirect_to=%2F`);
    const posted = await owner.submit(page, "First Cookie Victim");
    const callback = await owner.send(new URL(posted.headers.get("Location")!, LOCAL).href);
    const signedInAt = clock.seconds();
    const thief = new Browser(APPS);
    for (const [name, value] of owner.jar(LOCAL).cookies) thief.jar(LOCAL).cookies.set(name, value);
    const key = await DeviceKey.create();
    expect((await register(owner.jar(LOCAL), await key.sign(offered(callback).challenge, { withKey: true }), LOCAL, APPS)).status).toBe(200);

    const copied = await thief.session(LOCAL);
    expect.soft(Date.parse(copied.body.expiresAt) / 1000 - signedInAt, "seconds the first (unbound) cookie lives").toBeLessThanOrEqual(TTL);

    // Past DEVICE_BOUND_TTL: the copy hands off to the app, and is still signed in at AUTH_URL.
    clock.advance(TTL + 60);
    const start = await thief.send(`${APP}/auth/signin?redirect_to=%2F`);
    await thief.send(await thief.send(start.headers.get("Location")!).then((r) => r.headers.get("Location")!));
    const app = await thief.session(APP);
    const atAuth = await thief.session(LOCAL);
    expect({ auth: atAuth.status, app: app.status, appUntil: app.body.expiresAt && Date.parse(app.body.expiresAt) / 1000 - signedInAt }).toEqual({ auth: 401, app: 401, appUntil: undefined });
  });
});

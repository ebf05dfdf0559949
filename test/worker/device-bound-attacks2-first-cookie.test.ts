/**
 * DBSC, second pass: the cookie a session starts with, before its
 * registration (README: "a cookie copied in the moment between a sign-in
 * and its registration is the unbound one, good for ACCESS_TTL and then
 * refused"). A handoff made with it once the session is bound must give an
 * app origin nothing longer: no unbound app cookie renewed past it.
 */
import { describe, expect, it } from "vitest";
import { fakeClock, LOCAL } from "./helpers";
import { APP, APPS, Browser } from "./origins-browser";
import { DeviceKey, offered, register } from "./device-bound-client";

const clock = fakeClock();
const TTL = 300;
const ACCESS_TTL = 900;

describe("a jar copied between a sign-in and its binding", () => {
  it("holds at most the copied cookie's ACCESS_TTL, on AUTH_URL and through a handoff made after the binding", async () => {
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
    const copiedUntil = Date.parse(copied.body.expiresAt) / 1000;
    expect(copiedUntil - signedInAt, "seconds the first (unbound) cookie lives").toBe(ACCESS_TTL);

    // Past DEVICE_BOUND_TTL: the copy hands off to the app: a cookie no longer than the copied one, bound through the family.
    clock.advance(TTL + 60);
    const start = await thief.send(`${APP}/auth/signin?redirect_to=%2F`);
    await thief.send(await thief.send(start.headers.get("Location")!).then((r) => r.headers.get("Location")!));
    const app = await thief.session(APP);
    expect(app.status).toBe(200);
    expect(app.body.deviceBound).toBe(true);
    expect(Date.parse(app.body.expiresAt) / 1000).toBeLessThanOrEqual(copiedUntil);
    // Past the copied cookie: out everywhere.
    clock.advance(copiedUntil - clock.seconds() + 1);
    expect({ auth: (await thief.session(LOCAL)).status, app: (await thief.session(APP)).status }).toEqual({ auth: 401, app: 401 });
  });
});

import { env } from "cloudflare:workers";
import { calculateJwkThumbprint, UnsecuredJWT } from "jose";
import { describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../src/config/config";
import { browse, fakeClock, Jar, LOCAL, sessionOf, sessionRow, signIn } from "./helpers";
import { boundBrowser, boundSession, challengeOf, copyJar, DeviceKey, expire, offered, refresh, register } from "./device-bound-client";
import { APP, APPS } from "./origins-browser";

/** Device-bound sessions (DBSC): registration, refresh by proof, a copied cookie jar, alongside the rest. */

const clock = fakeClock();
const TTL = 300;

/** The session cookie's Max-Age a response sets, or null. */
const sessionMaxAge = (response: Response) => {
  const cookie = response.headers.getSetCookie().find((header) => header.startsWith("auth.session="));
  return cookie ? Number(/Max-Age=(\d+)/.exec(cookie)?.[1] ?? NaN) : null;
};

const audited = (spy: { mock: { calls: unknown[][] } }, event: string) =>
  spy.mock.calls.map(([line]) => JSON.parse(String(line))).filter((entry) => entry.event === event).map((entry) => entry.reason);

describe("registration", () => {
  it("binds the session to the key: its thumbprint stored, the configuration answered, a short cookie, deviceBound everywhere", async () => {
    const { jar, response } = await signIn("dev", { as: "Bound Ada" });
    const { path, challenge } = offered(response);
    expect(path).toBe("/auth/dbsc/register");
    const sid = (await sessionOf(jar)).body.sessionId as string;
    expect((await sessionOf(jar)).body.deviceBound).toBe(false);
    const key = await DeviceKey.create();
    const log = vi.spyOn(console, "log");
    const registered = await register(jar, await key.sign(challenge, { withKey: true }));
    expect(registered.status).toBe(200);
    expect(await registered.json()).toEqual({
      session_identifier: sid,
      refresh_url: "/auth/dbsc/refresh",
      scope: { include_site: false },
      credentials: [{ type: "cookie", name: "auth.session", attributes: "Path=/; HttpOnly; SameSite=Lax" }],
      allowed_refresh_initiators: [],
    });
    // The attributes are the Set-Cookie's exactly, Max-Age aside, and it lives DEVICE_BOUND_TTL.
    const cookie = registered.headers.getSetCookie().find((header) => header.startsWith("auth.session="))!;
    expect(cookie.replace(/^auth\.session=[^;]*; /, "")).toBe(`Max-Age=${TTL}; Path=/; HttpOnly; SameSite=Lax`);
    challengeOf(registered, sid);

    const row = await sessionRow(sid);
    expect(JSON.parse(row!.device_key)).toEqual(key.jwk);
    expect(row!.device_key_thumbprint).toBe(await calculateJwkThumbprint(key.jwk, "sha256"));
    expect(row!.device_claims).toEqual(expect.any(String));
    expect(audited(log, "device_bound")).toEqual([row!.device_key_thumbprint]);

    const session = await sessionOf(jar);
    expect(session.body).toMatchObject({ sessionId: sid, deviceBound: true, expiresAt: new Date((clock.seconds() + TTL) * 1000).toISOString() });
    const devices = await (await browse(jar, "/auth/sessions", { headers: { Accept: "application/json" } })).json<{ sessions: { id: string; deviceBound: boolean }[] }>();
    expect(devices.sessions.find((entry) => entry.id === sid)?.deviceBound).toBe(true);
    // A bearer token from it outlives neither the bound cookie.
    const token = await browse(jar, "/auth/token", { method: "POST", headers: { Origin: LOCAL } });
    expect((await token.json<{ expires_in: number }>()).expires_in).toBeLessThanOrEqual(TTL);
  });

  it("refuses, and audits, what does not prove a fresh unbound session's own challenge; the session goes on unbound", async () => {
    const { jar, response } = await signIn("dev", { as: "Bound Refusals" });
    const { challenge } = offered(response);
    const { response: other } = await signIn("dev", { as: "Bound Refusals Other" });
    const foreign = offered(other).challenge;
    const key = await DeviceKey.create();
    const stranger = await DeviceKey.create();
    const log = vi.spyOn(console, "log");
    const refused = async (proof: string | null, on = jar) => {
      const answer = await register(on, proof);
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ error: "registration_refused" });
      expect(answer.headers.getSetCookie()).toEqual([]);
    };
    await refused(null);
    await refused(await key.sign(foreign, { withKey: true }));
    // Signed by one key, naming another.
    await refused(await stranger.sign(challenge, { header: { jwk: key.jwk } }));
    await refused(await new UnsecuredJWT({ jti: challenge }).encode());
    await refused(await key.sign(challenge, { withKey: true, header: { typ: "JWT" } }));
    await refused(await key.sign(challenge));
    await refused(await key.sign(challenge, { header: { jwk: { ...key.jwk, crv: "P-384" } } }));
    await refused(await key.sign(123, { withKey: true }));
    await refused(`${await key.sign(challenge, { withKey: true })}${"A".repeat(2048)}`);
    // A refresh challenge is no registration's.
    const sid = (await sessionOf(jar)).body.sessionId as string;
    const asked = await refresh(jar, sid);
    expect(asked.status).toBe(403);
    await refused(await key.sign(challengeOf(asked, sid), { withKey: true }));
    // No session cookie at all.
    await refused(await key.sign(challenge, { withKey: true }), new Jar());
    // The sealed session sent as a bearer token is no browser's cookie, with or without the cookie beside it.
    for (const holder of [new Jar(), jar]) {
      const asBearer = await browse(holder, "/auth/dbsc/register", {
        method: "POST",
        headers: { "Secure-Session-Response": await key.sign(challenge, { withKey: true }), Authorization: `Bearer ${jar.get("auth.session")}` },
      });
      expect(asBearer.status).toBe(400);
    }
    expect(audited(log, "device_registration_refused")).toEqual([
      "bad_proof",
      "challenge_unknown",
      "bad_proof",
      "bad_proof",
      "bad_proof",
      "unsupported_key",
      "unsupported_key",
      "challenge_unknown",
      "proof_malformed",
      "challenge_unknown",
      "no_session",
      "no_session",
      "no_session",
    ]);
    expect((await sessionRow(sid))!.device_key).toBeNull();

    // Unbound, it renews by its refresh cookie as ever.
    clock.advance(900);
    const renewed = await sessionOf(jar);
    expect(renewed.body).toMatchObject({ sessionId: sid, deviceBound: false });
  });

  it("binds once: a second registration, even with the same challenge, is refused", async () => {
    const { jar, response } = await signIn("dev", { as: "Bound Once" });
    const { challenge } = offered(response);
    const before = copyJar(jar);
    const key = await DeviceKey.create();
    expect((await register(jar, await key.sign(challenge, { withKey: true }))).status).toBe(200);
    // The same browser again (its cookie says bound), and a copy of the cookies from before it registered, with another key.
    expect((await register(jar, await key.sign(challenge, { withKey: true }))).status).toBe(400);
    const thief = await DeviceKey.create();
    expect((await register(before, await thief.sign(challenge, { withKey: true }))).status).toBe(400);
    const sid = (await sessionOf(jar)).body.sessionId as string;
    expect((await sessionRow(sid))!.device_key_thumbprint).toBe(await calculateJwkThumbprint(key.jwk, "sha256"));
  });

  it("is not offered with DEVICE_BOUND_SESSIONS=false, and its path is not there", async () => {
    const off = { DEVICE_BOUND_SESSIONS: "false" };
    const { jar, response } = await signIn("dev", { as: "Unbound By Choice", vars: off });
    expect(response.headers.get("Secure-Session-Registration")).toBeNull();
    expect((await browse(jar, "/auth/dbsc/register", { method: "POST" }, off)).status).toBe(404);
    expect(parseConfig({ ...(env as unknown as Record<string, unknown>), DEVICE_BOUND_TTL: "901" })).toMatchObject({ ok: false, problems: ["DEVICE_BOUND_TTL must not be longer than ACCESS_TTL"] });
  });
});

describe("refresh by proof", () => {
  it("keeps a bound session going past its short cookie, a challenge at a time: asked for, or handed ahead", async () => {
    const { jar, sid, key, next } = await boundSession("Bound Refresher");
    const log = vi.spyOn(console, "log");
    clock.advance(TTL + 1);
    expect((await sessionOf(jar)).status).toBe(401);
    expect(audited(log, "session_renewed")).toEqual([]);
    expire(jar);

    // Round one: no proof, a 403 with a challenge; round two, the proof.
    const asked = await refresh(jar, sid);
    expect(asked.status).toBe(403);
    expect(await asked.json()).toMatchObject({ error: "proof_required" });
    const proved = await refresh(jar, sid, await key.sign(challengeOf(asked, sid)));
    expect(proved.status).toBe(200);
    expect(await proved.json()).toMatchObject({ session_identifier: sid, refresh_url: "/auth/dbsc/refresh" });
    expect(sessionMaxAge(proved)).toBe(TTL);
    expect((await sessionOf(jar)).body).toMatchObject({ sessionId: sid, deviceBound: true });

    // The challenge handed ahead (and the one from registration) answer at once.
    clock.advance(TTL - 100);
    const ahead = await refresh(jar, sid, await key.sign(challengeOf(proved, sid)));
    expect(ahead.status).toBe(200);
    expect((await sessionOf(jar)).body.expiresAt).toBe(new Date((clock.seconds() + TTL) * 1000).toISOString());
    expect(audited(log, "session_renewed")).toEqual(["device_proof", "device_proof"]);
    // A registration's handed-ahead challenge was for one refresh; a later one already answered makes it stale.
    expect((await refresh(jar, sid, await key.sign(next))).status).toBe(403);
    expect((await sessionRow(sid))!.last_used_at).toBe(clock.seconds());
  });

  it("a proof by another key, or by none, ends the session: a copied cookie jar is what sends one", async () => {
    const thief = await DeviceKey.create();
    const log = vi.spyOn(console, "log");
    const forged: [string, (challenge: string, own: DeviceKey, theirs: { key: DeviceKey }) => Promise<string>][] = [
      ["another key", (challenge) => thief.sign(challenge)],
      // The key in the header is not the key: the registered one is.
      ["another key, embedded", (challenge) => thief.sign(challenge, { header: { jwk: thief.jwk } })],
      ["alg none", async (challenge) => new UnsecuredJWT({ jti: challenge }).setIssuedAt().encode()],
      ["another typ", (challenge, own) => own.sign(challenge, { header: { typ: "JWT" } })],
      ["another session's key", (challenge, _own, other) => other.key.sign(challenge)],
    ];
    const other = await boundSession("Bound Prover Other");
    for (const [label, forge] of forged) {
      const { jar, sid, key } = await boundSession(`Bound Prover ${label}`);
      clock.advance(1);
      const asked = await refresh(jar, sid);
      const answer = await refresh(jar, sid, await forge(challengeOf(asked, sid), key, other));
      expect(answer.status, label).toBe(400);
      expect(await answer.json()).toMatchObject({ error: "proof_refused" });
      expect(answer.headers.getSetCookie().some((cookie) => cookie.startsWith("auth.refresh=;")), label).toBe(true);
      expect(await sessionRow(sid), label).toMatchObject({ revoked_at: clock.seconds(), ended_by: "proof_refused" });
      // Ended: the right key is told to stop, and no further refusal is written.
      expect(await (await refresh(jar, sid, await key.sign(challengeOf(asked, sid)))).json()).toEqual({ continue: false });
    }
    expect(audited(log, "device_proof_refused")).toEqual(["bad_proof", "bad_proof", "bad_proof", "bad_proof", "bad_proof"]);
    // Security events: each a copied cookie jar, most likely, that needs a look.
    const events = await env.DB.prepare("SELECT count(*) AS n FROM security_events WHERE event = 'device_proof_refused' AND user_key LIKE 'dev:bound-prover-%'").first("n");
    expect(events).toBe(5);
  });

  it("asks again, ending nothing, for a replayed, foreign, old or expired challenge", async () => {
    const { jar, sid, key, next } = await boundSession("Bound Asker");
    const { sid: otherSid, jar: otherJar } = await boundSession("Bound Asker Other");
    const log = vi.spyOn(console, "log");
    // Later than the registration (the fake clock stands still otherwise).
    clock.advance(1);
    const challenge = async () => challengeOf(await refresh(jar, sid), sid);
    const status = async (proof: string) => {
      const answer = await refresh(jar, sid, proof);
      return `${answer.status} ${(await answer.json<{ error?: string }>()).error ?? "ok"}`;
    };
    // Another session's challenge, signed by this one's key; a registration's challenge.
    expect(await status(await key.sign(challengeOf(await refresh(otherJar, otherSid), otherSid)))).toBe("403 proof_required");
    expect(await status(await key.sign(offered((await signIn("dev", { as: "Bound Asker" })).response).challenge))).toBe("403 proof_required");
    // Replayed: the same proof twice; an older challenge after a newer one was answered; an expired one.
    const older = await challenge();
    const newer = await challenge();
    const proof = await key.sign(newer);
    expect(await status(proof)).toBe("200 ok");
    expect(await status(proof)).toBe("403 proof_required");
    expect(await status(await key.sign(older))).toBe("403 proof_required");
    const stale = await challenge();
    clock.advance(301);
    expect(await status(await key.sign(stale))).toBe("403 proof_required");
    expect(await status(await key.sign(next))).toBe("403 proof_required");
    // A challenge to ask again for is no refusal: the browser caches them, and may send one late.
    expect(audited(log, "device_proof_refused")).toEqual([]);
    expect(audited(log, "device_challenge_stale")).toEqual(["challenge_unknown", "challenge_unknown", "challenge_used", "challenge_used", "challenge_unknown", "challenge_unknown"]);
    expect((await sessionRow(sid))!.revoked_at).toBeNull();
  });

  it("tells the browser to stop once the session has ended, is revoked, or is not this browser's any more", async () => {
    const { jar, sid, key } = await boundSession("Bound Ender");
    const stopped = async (answer: Response) => {
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ continue: false });
    };
    // No refresh cookie, or one of another session (the browser signed in anew): not this browser's.
    const bare = new Jar();
    bare.cookies.set("auth.session", jar.cookies.get("auth.session")!);
    await stopped(await refresh(bare, sid));
    const { jar: newer } = await signIn("dev", { as: "Bound Ender" });
    await stopped(await refresh(newer, sid, await key.sign("x")));
    await stopped(await refresh(jar, "not-a-session-id"));

    // The revocation list applies, whatever D1 says.
    const asked = challengeOf(await refresh(jar, sid), sid);
    // As an admin's ending writes it, with D1 left as it was.
    await env.REVOCATIONS.put(`revoked:${sid}`, "1");
    const revoked = await refresh(jar, sid, await key.sign(asked));
    await stopped(revoked);
    expect(revoked.headers.getSetCookie().some((cookie) => cookie.startsWith("auth.refresh=;"))).toBe(true);

    // Signed out: the same.
    const other = await boundSession("Bound Signer-Out");
    const challenge = challengeOf(await refresh(other.jar, other.sid), other.sid);
    const copy = copyJar(other.jar);
    expect((await browse(other.jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL, Accept: "application/json" } })).status).toBe(200);
    await stopped(await refresh(copy, other.sid, await other.key.sign(challenge)));
  });
});

describe("a copied cookie jar", () => {
  it("gets at most the bound cookie's minutes: the refresh cookie never renews a bound session, and saying so is audited", async () => {
    const { jar, response } = await signIn("dev", { as: "Bound Victim" });
    // Copied between the sign-in and the registration: an unbound cookie, and the refresh cookie.
    const early = copyJar(jar);
    const key = await DeviceKey.create();
    expect((await register(jar, await key.sign(offered(response).challenge, { withKey: true }))).status).toBe(200);
    const late = copyJar(jar);
    const sid = (await sessionOf(jar)).body.sessionId as string;

    // Within the bound cookie's minutes the copy works, like the original.
    expect((await sessionOf(late)).status).toBe(200);
    const log = vi.spyOn(console, "log");
    clock.advance(TTL + 1);
    // The bound cookie, expired, with the refresh cookie: no renewal is even tried.
    expect((await sessionOf(late)).status).toBe(401);
    // The unbound cookie from before, expired, with the refresh cookie: the renewal is refused and audited.
    clock.advance(900);
    const refused = await browse(early, "/auth/session");
    expect(refused.status).toBe(401);
    expect(early.get("auth.session")).toBeUndefined();
    expect(audited(log, "device_bound_refused")).toEqual(["refresh_cookie"]);
    const events = await env.DB.prepare("SELECT detail FROM security_events WHERE event = 'device_bound_refused' AND user_key = ?1").bind("dev:bound-victim").all();
    expect(events.results).toEqual([{ detail: "refresh_cookie" }]);
    // The owner's session lives on, by proof.
    expire(jar);
    const owner = await refresh(jar, sid);
    expect((await refresh(jar, sid, await key.sign(challengeOf(owner, sid)))).status).toBe(200);
    expect((await sessionOf(jar)).status).toBe(200);
    // Until the copy tries a proof of its own: the session ends, the owner's browser too (see "a proof by another key").
    const asked = await refresh(late, sid);
    expect((await refresh(late, sid, await (await DeviceKey.create()).sign(challengeOf(asked, sid)))).status).toBe(400);
    expect((await sessionOf(jar)).status).toBe(401);
  });
});

describe("alongside the rest", () => {
  it("on an app origin, a session handed off from a bound one is bound through it: never offered, short, handed off anew past it", async () => {
    const { browser, key, sid } = await boundBrowser("Bound Traveller");
    const { response: landed, hops } = await browser.go(`${APP}/auth/signin?redirect_to=%2F`);
    expect(hops.some((hop) => hop.startsWith(`${APP}/auth/handoff?code=`))).toBe(true);
    expect(landed.status).toBe(200);
    expect(hops.every((hop) => !hop.includes("/dev/"))).toBe(true);
    const app = await browser.session(APP);
    expect(app.body).toMatchObject({ deviceBound: true, expiresAt: new Date((clock.seconds() + TTL) * 1000).toISOString() });
    expect((await sessionRow(app.body.sessionId))!.device_key).toBeNull();

    // Past it, the app's session is over; AUTH_URL's cookie is refreshed by proof on the way, and the app is handed off anew.
    clock.advance(TTL + 1);
    expect((await browser.session(APP)).status).toBe(401);
    browser.jar(LOCAL).cookies.delete("auth.session");
    const asked = await refresh(browser.jar(LOCAL), sid, undefined, LOCAL, APPS);
    expect((await refresh(browser.jar(LOCAL), sid, await key.sign(challengeOf(asked, sid)), LOCAL, APPS)).status).toBe(200);
    const again = await browser.go(`${APP}/auth/signin?redirect_to=%2F`);
    expect(again.response.status).toBe(200);
    const renewed = await browser.session(APP);
    expect(renewed.body).toMatchObject({ deviceBound: true });
    expect(renewed.body.sessionId).not.toBe(app.body.sessionId);
  });

  it("a step-up on a bound session stays bound, and its refreshes carry the second factor on", async () => {
    const { jar, sid, key } = await boundSession("Bound Stepper");
    const setup = await browse(jar, "/auth/2fa/setup", { method: "POST", headers: { Origin: LOCAL, Accept: "application/json" } });
    const { secret } = await setup.json<{ secret: string }>();
    const { generateTOTP } = await import("@oslojs/otp");
    const { decodeBase32IgnorePadding } = await import("@oslojs/encoding");
    const code = generateTOTP(decodeBase32IgnorePadding(secret.replace(/\s/g, "")), 30, 6);
    const enabled = await browse(jar, "/auth/2fa/enable", {
      method: "POST",
      body: new URLSearchParams({ code }),
      headers: { Origin: LOCAL, "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    });
    expect(enabled.status).toBe(200);
    expect(sessionMaxAge(enabled)).toBe(TTL);
    expect((await sessionOf(jar)).body.deviceBound).toBe(true);
    clock.advance(TTL + 1);
    expire(jar);
    const asked = await refresh(jar, sid);
    expect((await refresh(jar, sid, await key.sign(challengeOf(asked, sid)))).status).toBe(200);
    const token = await browse(jar, "/auth/token", { method: "POST", headers: { Origin: LOCAL } });
    const { access_token } = await token.json<{ access_token: string }>();
    expect(JSON.parse(atob(access_token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")))).toMatchObject({ amr: ["otp", "mfa"] });
  });
});

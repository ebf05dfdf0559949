/**
 * DBSC, second pass: a copied cookie jar of a device-bound session, without
 * the device's key, keeps itself signed in past DEVICE_BOUND_TTL by
 * re-sealing the session cookie through the second-factor routes.
 *
 * `stepUp` (src/http/current-session.ts) seals the claims again with
 * `sealClaims`, whose TTL is counted from now: every step-up hands the
 * holder of a bound cookie a fresh DEVICE_BOUND_TTL. The thief turns TOTP
 * on (the copy is within RECENT_SIGN_IN of the sign-in, so `/2fa/enable`
 * is open to it; a TOTP seed kept in a browser's password manager would do
 * as well) and then steps up every few minutes: the bound cookie never
 * needs the key again.
 */
import { generateTOTP } from "@oslojs/otp";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { describe, expect, it } from "vitest";
import { browse, fakeClock, formPost, Jar, LOCAL, sessionOf, sessionRow, signIn } from "./helpers";
import { boundSession, challengeOf, copyJar, expire, refresh } from "./device-bound-client";

const admin = { ADMIN_USERS: "dev:stepup-admin" };

const clock = fakeClock();
const TTL = 300;

const post = (jar: Jar, path: string, form: Record<string, string> = {}) =>
  browse(jar, path, {
    method: "POST",
    body: new URLSearchParams(form),
    headers: { Origin: LOCAL, "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
  });

const codeFor = (secret: string) => generateTOTP(decodeBase32IgnorePadding(secret.replace(/\s/g, "")), 30, 6);

/**
 * A copy of a bound session's cookie jar, which turns on TOTP of its own (a
 * sign-in minutes ago: recentSignInOnly lets it); its TOTP secret.
 */
async function thiefWithTOTP(jar: Jar) {
  const thief = copyJar(jar);
  const setup = await post(thief, "/auth/2fa/setup");
  expect(setup.status).toBe(200);
  const { secret } = await setup.json<{ secret: string }>();
  expect((await post(thief, "/auth/2fa/enable", { code: codeFor(secret) })).status).toBe(200);
  return { thief, secret };
}

describe("a copied cookie jar of a bound session, and the second-factor routes", () => {
  it("does not outlive the copied cookie's minutes by stepping up again and again", async () => {
    const { jar, sid, key, next } = await boundSession("Stepup Victim");
    const copiedUntil = Date.parse((await sessionOf(copyJar(jar))).body.expiresAt) / 1000;
    const { thief, secret } = await thiefWithTOTP(jar);

    // The owner's browser goes on refreshing by proof, as Chromium does.
    let challenge = next;
    // Half an hour of step-ups, every four minutes, a new code each time.
    for (let i = 0; i < 8; i++) {
      clock.advance(TTL - 60);
      expire(jar);
      const owner = await refresh(jar, sid, await key.sign(challenge));
      expect(owner.status).toBe(200);
      challenge = challengeOf(owner, sid);
      await post(thief, "/auth/2fa/step-up", { code: codeFor(secret) });
    }
    clock.advance(60);
    const held = await sessionOf(thief);
    expect(
      held.status,
      `the copy (good until ${copiedUntil}) is signed in at ${clock.seconds()}, ${clock.seconds() - copiedUntil} s past it, until ${held.body.expiresAt}`,
    ).toBe(401);
  });

  it("a step-up re-seals a bound cookie no later than the one presented", async () => {
    const { jar } = await boundSession("Stepup Victim Short");
    const { thief, secret } = await thiefWithTOTP(jar);
    const before = Date.parse((await sessionOf(thief)).body.expiresAt) / 1000;
    clock.advance(TTL - 10);
    const stepped = await post(thief, "/auth/2fa/step-up", { code: codeFor(secret) });
    expect(stepped.status).toBe(200);
    const after = Date.parse((await sessionOf(thief)).body.expiresAt) / 1000;
    expect(after - before, "seconds a step-up added to a bound cookie held without the key").toBeLessThanOrEqual(0);
  });

  it("a copy stepping up is ended by an admin's ending every session of the user, even while the owner's browser is idle", async () => {
    const { jar } = await boundSession("Stepup Idle Victim");
    const { thief, secret } = await thiefWithTOTP(jar);
    // The owner's laptop is closed: no proofs. The copy steps up within its cookie's minutes.
    clock.advance(TTL - 60);
    expect((await post(thief, "/auth/2fa/step-up", { code: codeFor(secret) })).status).toBe(200);
    // Locked out by a second factor they never enrolled, the owner asks an admin to end every session of theirs.
    const root = await signIn("dev", { as: "Stepup Admin", vars: admin });
    const ended = await browse(root.jar, "/auth/admin/sessions?user=dev:stepup-idle-victim", formPost({ _method: "DELETE" }, { Origin: LOCAL, Accept: "application/json" }), admin);
    expect(ended.status).toBe(200);
    const { revoked } = await ended.json<{ revoked: string[] }>();
    expect(revoked.length).toBe(1);
    expect((await sessionRow(revoked[0]!))!.revoked_at).not.toBeNull();
    // The copy: its cookie is checked against the revocation list only, which the ending wrote since a cookie of it may be live.
    const after = await sessionOf(thief);
    const stepped = await post(thief, "/auth/2fa/step-up", { code: codeFor(secret) });
    expect({ session: after.status, stepUp: stepped.status }, "the copy after an admin ended every session of the user").toEqual({ session: 401, stepUp: 401 });
  });
});

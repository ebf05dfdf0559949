import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { base64url } from "jose";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { getKeyring } from "../../src/crypto/keys";
import { open, seal } from "../../src/crypto/seal";
import { matchingStep, newRecoveryCodes, normalizeRecoveryCode } from "../../src/second-factor/totp";
import { browse, call, formPost, Jar, LOCAL, sessionOf, signIn } from "./helpers";

const json = { Accept: "application/json" };

afterEach(() => vi.useRealTimers());

const events = (log: { mock: { calls: unknown[][] } }) => log.mock.calls.map(([line]) => JSON.parse(String(line)));

/** What an authenticator app shows for this key at this moment (`offset` steps away). */
const codeForKey = (key: Uint8Array, offset = 0) => generateHOTP(key, BigInt(Math.floor(Date.now() / 30_000) + offset), 6);
const codeFor = (secret: string, offset = 0) => codeForKey(decodeBase32IgnorePadding(secret.replace(/\s/g, "")), offset);

/** Signs in, sets up and turns on the second factor; returns the key and recovery codes. */
async function enrolled(name: string, vars: Record<string, unknown> = {}) {
  const { jar } = await signIn("dev", { as: name, vars });
  const setup = await browse(jar, "/auth/2fa/setup", { method: "POST", headers: { Origin: LOCAL, ...json } }, vars);
  const body = await setup.text();
  if (setup.status !== 200) throw new Error(`set-up answered ${setup.status}: ${body}`);
  const { secret, otpauthURI } = JSON.parse(body) as { secret: string; otpauthURI: string };
  const enabled = await browse(jar, "/auth/2fa/enable", formPost({ code: codeFor(secret) }, json), vars);
  const { recoveryCodes } = await enabled.json<{ recoveryCodes: string[] }>();
  return { jar, secret, otpauthURI, recoveryCodes };
}

/** A new sign-in that stops at the second-factor step. */
async function pending(name: string, jar = new Jar(), vars: Record<string, unknown> = {}) {
  const { response } = await signIn("dev", { as: name, jar, redirectTo: "/auth", vars });
  expect(response.status).toBe(302);
  expect(response.headers.get("Location")).toBe("/auth/2fa");
  return jar;
}

describe("TOTP (RFC 6238, SHA-1, 6 digits, 30 s)", () => {
  // RFC 6238 Appendix B, SHA-1 column, last six digits.
  const key = new TextEncoder().encode("12345678901234567890");
  it.each([
    [59, "287082"],
    [1111111109, "081804"],
    [1111111111, "050471"],
    [1234567890, "005924"],
    [2000000000, "279037"],
    [20000000000, "353130"],
  ])("at %i s the code is %s", (seconds, code) => {
    expect(matchingStep(key, code, seconds * 1000)).toBe(Math.floor(seconds / 30));
  });

  it("accepts one step of drift either way, not two", () => {
    expect(matchingStep(key, "287082", (59 + 30) * 1000)).toBe(1);
    expect(matchingStep(key, "287082", (59 - 30) * 1000)).toBe(1);
    expect(matchingStep(key, "287082", (59 + 60) * 1000)).toBeNull();
  });
});

describe("enrollment", () => {
  it("set-up returns an otpauth URI and the key, and the Security page shows a QR code", async () => {
    const { jar } = await signIn("dev", { as: "Enroller" });
    const setup = await browse(jar, "/auth/2fa/setup", { method: "POST", headers: { Origin: LOCAL, ...json } });
    expect(setup.status).toBe(200);
    const { otpauthURI, secret } = await setup.json<{ otpauthURI: string; secret: string }>();
    const uri = new URL(otpauthURI);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.searchParams.get("algorithm")).toBe("SHA1");
    expect(uri.searchParams.get("digits")).toBe("6");
    expect(uri.searchParams.get("period")).toBe("30");
    expect(uri.searchParams.get("secret")).toBe(secret.replace(/\s/g, ""));
    expect(decodeBase32IgnorePadding(uri.searchParams.get("secret")!)).toHaveLength(20);
    const page = await (await browse(jar, "/auth/security")).text();
    // The QR code is drawn by security.js from the URI (test/worker/qr.test.ts reads one back; the browser tests see it drawn).
    expect(page).toContain(`data-otpauth="${uri.href.replace(/&/g, "&amp;")}"`);
    expect(page).toContain('<script src="/auth/security.js" defer=""></script>');
    expect(page).toContain(secret);
    expect(page).not.toMatch(/style="/);
    expect(await (await browse(jar, "/auth/security", { headers: json })).json()).toEqual({ secondFactor: "pending" });
  });

  it("stores the key encrypted, not in the clear", async () => {
    const { jar } = await signIn("dev", { as: "Cipher Check" });
    const { secret } = await (await browse(jar, "/auth/2fa/setup", { method: "POST", headers: { Origin: LOCAL, ...json } })).json<{ secret: string }>();
    const row = await env.DB.prepare("SELECT secret FROM second_factors WHERE user_key = 'dev:cipher-check'").first<{ secret: string }>();
    expect(row!.secret.split(".")).toHaveLength(5);
    expect(row!.secret).not.toContain(secret.replace(/\s/g, ""));
  });

  it("turns on only with a current code, and answers with ten recovery codes once", async () => {
    const { jar } = await signIn("dev", { as: "Enabler" });
    const { secret } = await (await browse(jar, "/auth/2fa/setup", { method: "POST", headers: { Origin: LOCAL, ...json } })).json<{ secret: string }>();
    const wrong = await browse(jar, "/auth/2fa/enable", formPost({ code: "000000" }, json));
    expect(wrong.status).toBe(400);
    const stale = await browse(jar, "/auth/2fa/enable", formPost({ code: codeFor(secret, -3) }, json));
    expect(stale.status).toBe(400);
    const right = await browse(jar, "/auth/2fa/enable", formPost({ code: codeFor(secret) }, json));
    expect(right.status).toBe(200);
    const { recoveryCodes } = await right.json<{ recoveryCodes: string[] }>();
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/);
    const stored = await env.DB.prepare("SELECT code_hash FROM recovery_codes WHERE user_key = 'dev:enabler'").all<{ code_hash: string }>();
    expect(stored.results).toHaveLength(10);
    for (const { code_hash } of stored.results) expect(recoveryCodes.map((c) => c.replace("-", ""))).not.toContain(code_hash);
    expect(await (await browse(jar, "/auth/security", { headers: json })).json()).toEqual({ secondFactor: "on", recoveryCodesLeft: 10, failedAttempts: 0 });
    // Already on: a second set-up is refused.
    expect((await browse(jar, "/auth/2fa/setup", { method: "POST", headers: { Origin: LOCAL, ...json } })).status).toBe(409);
  });
});

describe("recovery codes in a browser", () => {
  /** Signs in and sets up the second factor, by forms; returns the key. */
  async function settingUp(name: string) {
    const { jar } = await signIn("dev", { as: name });
    const { secret } = await (await browse(jar, "/auth/2fa/setup", { method: "POST", headers: { Origin: LOCAL, ...json } })).json<{ secret: string }>();
    return { jar, secret };
  }
  const codesIn = (html: string) => /<textarea[^>]*data-testid="recovery-codes"[^>]*>([^<]*)<\/textarea>/.exec(html)?.[1]?.trim().split("\n") ?? [];

  it("turning it on redirects, and the Security page shows the codes once, sealed in a cookie until then", async () => {
    const { jar, secret } = await settingUp("Redirected");
    const enabled = await browse(jar, "/auth/2fa/enable", formPost({ code: codeFor(secret) }));
    expect(enabled.status).toBe(303);
    expect(enabled.headers.get("Location")).toBe("/auth/security");
    const sealed = jar.get("auth.codes")!;
    expect(sealed).toBeTruthy();
    const page = await (await browse(jar, "/auth/security")).text();
    const codes = codesIn(page);
    expect(codes).toHaveLength(10);
    for (const code of codes) expect(sealed).not.toContain(code);
    // Copy from the box, or download them as a file.
    expect(page).toMatch(/<textarea[^>]*readonly/);
    expect(page).toContain(`href="data:text/plain,${encodeURIComponent(codes.join("\n"))}" download="recovery-codes.txt"`);
    expect(jar.get("auth.codes")).toBeUndefined();
    // A reload shows the Security page, not the codes again.
    const again = await (await browse(jar, "/auth/security")).text();
    expect(codesIn(again)).toEqual([]);
    expect(again).toContain("10 recovery codes left");
    // The codes shown are the ones that work.
    await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } });
    const signingIn = await pending("Redirected");
    expect((await browse(signingIn, "/auth/2fa/verify", formPost({ code: codes[0]! }))).status).toBe(303);
  });

  it("another user's codes cookie shows nothing", async () => {
    const { jar, secret } = await settingUp("Cookie Owner");
    await browse(jar, "/auth/2fa/enable", formPost({ code: codeFor(secret) }));
    const { jar: other } = await signIn("dev", { as: "Cookie Thief" });
    const page = await (await call("/auth/security", { headers: { Cookie: `${other.header}; auth.codes=${jar.get("auth.codes")}` } })).text();
    expect(codesIn(page)).toEqual([]);
  });

  it("new codes, for a current code, replace the old ones, audited; JSON callers get them in the answer", async () => {
    const { jar, recoveryCodes } = await enrolled("Renewer");
    const wrong = await browse(jar, "/auth/2fa/codes", formPost({ code: "000000" }, json));
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: "invalid_code" });
    const log = vi.spyOn(console, "log");
    const renewed = await browse(jar, "/auth/2fa/codes", formPost({ code: recoveryCodes[0]! }, json));
    expect(renewed.status).toBe(200);
    const { recoveryCodes: fresh } = await renewed.json<{ recoveryCodes: string[] }>();
    expect(fresh).toHaveLength(10);
    expect(events(log)).toEqual(expect.arrayContaining([expect.objectContaining({ event: "recovery_codes_renewed", user: "dev:renewer" })]));
    log.mockRestore();
    const signingIn = await pending("Renewer");
    const old = await browse(signingIn, "/auth/2fa/verify", formPost({ code: recoveryCodes[1]! }, json));
    expect(await old.json()).toMatchObject({ error: "invalid_code" });
    expect((await browse(signingIn, "/auth/2fa/verify", formPost({ code: fresh[0]! }))).status).toBe(303);
  });

  it("a browser renewing them is sent to see them once; without a recent sign-in it is refused", async () => {
    const { jar, secret } = await enrolled("Browser Renewer");
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 30_000);
    const renewed = await browse(jar, "/auth/2fa/codes", formPost({ code: codeFor(secret) }));
    expect(renewed.status).toBe(303);
    expect(codesIn(await (await browse(jar, "/auth/security")).text())).toHaveLength(10);
    vi.setSystemTime(Date.now() + 11 * 60_000);
    const late = await browse(jar, "/auth/2fa/codes", formPost({ code: codeFor(secret) }, json));
    expect(late.status).toBe(403);
    expect(await late.json()).toMatchObject({ error: "reauthentication_required" });
  });
});

describe("signing in with a second factor", () => {
  it("stops at the second-factor step with no session: /auth/session, forward auth and the proxy see nobody", async () => {
    const { jar: first } = await enrolled("Pending Person");
    await browse(first, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } });
    const jar = await pending("Pending Person");
    expect(jar.get("auth.session")).toBeUndefined();
    expect(jar.get("auth.refresh")).toBeUndefined();
    expect(jar.get("auth.verify")).toBeDefined();
    expect((await browse(jar, "/auth/session")).status).toBe(401);
    expect((await browse(jar, "/auth/verify")).status).toBe(401);
    const proxied = await browse(jar, "/app", { headers: json }, { UPSTREAM_URL: `${env.STANDIN_URL}/upstream` });
    expect(proxied.status).toBe(401);
    const page = await browse(jar, "/auth/2fa");
    expect(await page.text()).toContain('autocomplete="one-time-code"');
    // No refresh record exists for a pending sign-in.
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_key = 'dev:pending-person' AND revoked_at IS NULL").first<{ n: number }>();
    expect(rows!.n).toBe(0);
  });

  it("five wrong codes void the pending sign-in; even a right one is refused after", async () => {
    const { secret } = await enrolled("Guesser");
    const jar = await pending("Guesser");
    for (let attempt = 1; attempt <= 4; attempt++) {
      const wrong = await browse(jar, "/auth/2fa/verify", formPost({ code: "000000" }, json));
      expect(wrong.status).toBe(400);
      expect(await wrong.json()).toMatchObject({ error: "invalid_code" });
    }
    const verifyCookie = jar.get("auth.verify")!;
    expect((await browse(jar, "/auth/2fa/verify", formPost({ code: "111111" }, json))).status).toBe(400);
    // Past the user's back-off (which five wrong codes start), to reach the pending sign-in's own limit.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 1_000);
    const sixth = await call("/auth/2fa/verify", formPost({ code: codeFor(secret) }, { ...json, Cookie: `auth.verify=${verifyCookie}` }));
    expect(sixth.status).toBe(400);
    expect(await sixth.json()).toMatchObject({ error: "pending_signin_void" });
    expect(sixth.headers.getSetCookie()).toEqual(expect.arrayContaining([expect.stringMatching(/^auth\.verify=; Max-Age=0/)]));
  });

  it("a right code signs in exactly as the callback would, with a new session id", async () => {
    const { secret, jar: enrolling } = await enrolled("Coder");
    const before = (await sessionOf(enrolling)).body.sessionId;
    const jar = await pending("Coder");
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 30_000);
    const response = await browse(jar, "/auth/2fa/verify", formPost({ code: codeFor(secret) }));
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/auth");
    expect(jar.get("auth.verify")).toBeUndefined();
    expect(jar.get("auth.refresh")).toBeDefined();
    const { status, body } = await sessionOf(jar);
    expect(status).toBe(200);
    expect(body.user.login).toBe("coder");
    expect(body.sessionId).not.toBe(before);
  });

  it("logs the same `signin` line whether the session came from the callback or from the second-factor step", async () => {
    const { secret } = await enrolled("Audited");
    const log = vi.spyOn(console, "log");
    const { jar: direct } = await signIn("dev", { as: "Audited Directly" });
    const { jar, response } = await signIn("dev", { as: "Audited", remember: true });
    expect(response.headers.get("Location")).toBe("/auth/2fa");
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 30_000);
    await browse(jar, "/auth/2fa/verify", formPost({ code: codeFor(secret) }));
    const lines = events(log).filter((line) => /^(signin|second_factor_success)/.test(line.event));
    log.mockRestore();
    const [plain, verified] = [(await sessionOf(direct)).body.sessionId, (await sessionOf(jar)).body.sessionId];
    expect(lines).toEqual([
      expect.objectContaining({ event: "signin", sessionId: plain, user: "dev:audited-directly", provider: "dev", remember: false }),
      expect.objectContaining({ event: "signin_second_factor", user: "dev:audited", provider: "dev" }),
      expect.objectContaining({ event: "second_factor_success", sessionId: verified, user: "dev:audited", method: "totp" }),
      expect.objectContaining({ event: "signin", sessionId: verified, user: "dev:audited", provider: "dev", remember: true }),
    ]);
    expect(Object.keys(lines[3]).sort()).toEqual(Object.keys(lines[0]).sort());
  });

  it("refuses a code replayed in the same time step, even on another pending sign-in", async () => {
    const { secret } = await enrolled("Replayer");
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 30_000);
    const code = codeFor(secret);
    const first = await pending("Replayer");
    expect((await browse(first, "/auth/2fa/verify", formPost({ code }))).status).toBe(303);
    const second = await pending("Replayer");
    expect((await browse(second, "/auth/2fa/verify", formPost({ code }, json))).status).toBe(400);
    vi.setSystemTime(Date.now() + 30_000);
    expect((await browse(second, "/auth/2fa/verify", formPost({ code: codeFor(secret) }))).status).toBe(303);
  });

  it("a recovery code works once", async () => {
    const { recoveryCodes } = await enrolled("Recoverer");
    const first = await pending("Recoverer");
    expect((await browse(first, "/auth/2fa/verify", formPost({ code: recoveryCodes[0]!.toUpperCase() }))).status).toBe(303);
    const second = await pending("Recoverer");
    expect((await browse(second, "/auth/2fa/verify", formPost({ code: recoveryCodes[0]! }, json))).status).toBe(400);
    expect((await browse(second, "/auth/2fa/verify", formPost({ code: recoveryCodes[1]!.replace("-", " ") }))).status).toBe(303);
  });

  it("a verify cookie that completed a sign-in cannot complete another", async () => {
    const { recoveryCodes } = await enrolled("Cookie Replayer");
    const jar = await pending("Cookie Replayer");
    const verifyCookie = jar.get("auth.verify")!;
    expect((await browse(jar, "/auth/2fa/verify", formPost({ code: recoveryCodes[0]! }))).status).toBe(303);
    const replay = await call("/auth/2fa/verify", formPost({ code: recoveryCodes[1]! }, { ...json, Cookie: `auth.verify=${verifyCookie}` }));
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: "pending_signin_void" });
  });

  it("a right code already used says so, by its own error code; the page shows the attempts left and ties the message to the input", async () => {
    const { secret } = await enrolled("Early Bird");
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 30_000);
    const code = codeFor(secret);
    expect((await browse(await pending("Early Bird"), "/auth/2fa/verify", formPost({ code }))).status).toBe(303);
    const jar = await pending("Early Bird");
    const used = await browse(jar, "/auth/2fa/verify", formPost({ code }, json));
    expect(await used.json()).toMatchObject({ error: "code_used", message: "That code was already used — wait for the next one." });
    const page = await (await browse(jar, "/auth/2fa/verify", formPost({ code }))).text();
    expect(page).toMatch(/<p role="alert" class="error" id="error">That code was already used — wait for the next one\. Attempts left: 3\.<\/p>/);
    expect(page).toMatch(/<input[^>]*id="code"[^>]*aria-invalid="true" aria-describedby="error"/);
    const wrong = await (await browse(jar, "/auth/2fa/verify", formPost({ code: "000000" }))).text();
    expect(wrong).toContain("That code is not right. Please try again. Attempts left: 2.");
  });

  it("the prompt can be cancelled: back to sign in, the verify cookie gone", async () => {
    await enrolled("Canceller");
    const jar = await pending("Canceller");
    const prompt = await (await browse(jar, "/auth/2fa")).text();
    expect(prompt).toContain('<a href="/auth/2fa?cancel">Cancel</a>');
    expect(prompt).not.toContain("aria-invalid");
    const cancelled = await browse(jar, "/auth/2fa?cancel");
    expect(cancelled.headers.get("Location")).toBe("/auth/signin");
    expect(jar.get("auth.verify")).toBeUndefined();
  });

  it("browsers get the page again with a message after a wrong code", async () => {
    await enrolled("Page Person");
    const jar = await pending("Page Person");
    const response = await browse(jar, "/auth/2fa/verify", formPost({ code: "123456" }));
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain('name="code"');
  });
});

describe("remember this device", () => {
  it("skips the step on this browser for the same user, until sign-out everywhere", async () => {
    const { secret, jar: enrolling } = await enrolled("Rememberer");
    const jar = await pending("Rememberer");
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 30_000);
    const verified = await browse(jar, "/auth/2fa/verify", formPost({ code: codeFor(secret), remember_device: "1" }));
    expect(verified.status).toBe(303);
    const device = verified.headers.getSetCookie().find((h) => h.startsWith("auth.device="))!;
    expect(device).toMatch(/Max-Age=2592000/);
    expect(device).toMatch(/HttpOnly/);

    await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } });
    const again = await signIn("dev", { as: "Rememberer", jar, redirectTo: "/auth" });
    expect(again.response.headers.get("Location")).toBe("/auth");
    expect((await sessionOf(jar)).status).toBe(200);

    // Another user on this browser is still asked.
    await enrolled("Other Person");
    const borrowed = new Jar();
    borrowed.cookies.set("auth.device", jar.get("auth.device")!);
    await pending("Other Person", borrowed);

    // Signing out everywhere forgets the device.
    await browse(enrolling, "/auth/signout?all=1", { method: "POST", headers: { Origin: LOCAL } });
    await pending("Rememberer", jar);
  });

  it("dies with the second factor when it is turned off", async () => {
    const { secret } = await enrolled("Turner Off");
    const jar = await pending("Turner Off");
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 30_000);
    await browse(jar, "/auth/2fa/verify", formPost({ code: codeFor(secret), remember_device: "1" }));
    const remembered = jar.get("auth.device")!;
    vi.setSystemTime(Date.now() + 30_000);
    expect((await browse(jar, "/auth/2fa/disable", formPost({ code: codeFor(secret) }, json))).status).toBe(200);
    expect(jar.get("auth.device")).toBeUndefined();
    // Back on, with a new enrollment: the old device cookie is worthless.
    const { secret: second } = await (await browse(jar, "/auth/2fa/setup", { method: "POST", headers: { Origin: LOCAL, ...json } })).json<{ secret: string }>();
    expect((await browse(jar, "/auth/2fa/enable", formPost({ code: codeFor(second) }, json))).status).toBe(200);
    const fresh = new Jar();
    fresh.cookies.set("auth.device", remembered);
    await pending("Turner Off", fresh);
  });
});

describe("turning it off", () => {
  it("needs a current code or a recovery code", async () => {
    const { jar, recoveryCodes } = await enrolled("Disabler");
    const wrong = await browse(jar, "/auth/2fa/disable", formPost({ code: "000000" }, json));
    expect(wrong.status).toBe(400);
    expect(await (await browse(jar, "/auth/security", { headers: json })).json()).toMatchObject({ secondFactor: "on" });
    const right = await browse(jar, "/auth/2fa/disable", formPost({ code: recoveryCodes[3]! }, json));
    expect(right.status).toBe(200);
    expect(await (await browse(jar, "/auth/security", { headers: json })).json()).toEqual({ secondFactor: "off" });
    await browse(jar, "/auth/signout", { method: "POST", headers: { Origin: LOCAL } });
    const { response } = await signIn("dev", { as: "Disabler", redirectTo: "/auth" });
    expect(response.headers.get("Location")).toBe("/auth");
  });

  it("is refused without a session and across sites", async () => {
    expect((await call("/auth/2fa/disable", formPost({ code: "000000" }, json))).status).toBe(401);
    const { jar } = await enrolled("Cross Site Disabler");
    expect((await browse(jar, "/auth/2fa/disable", formPost({ code: "000000" }, { ...json, Origin: "https://evil.example" }))).status).toBe(403);
  });
});

describe("guessing across sign-ins", () => {
  /** Freezes the clock, so back-off waits are exact; enrollment spent this step's code, so start at the next one. */
  const freezeClock = () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 30_000);
  };
  const advance = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000);
  const failures = (userKey: string, count: number) =>
    env.DB.prepare("UPDATE second_factors SET failures = ?2 WHERE user_key = ?1").bind(userKey, count).run();

  it("backs off after five wrong codes in a row, across pending sign-ins, without spending the pending sign-in's attempts", async () => {
    const { secret } = await enrolled("Persistent Guesser");
    freezeClock();
    const first = await pending("Persistent Guesser");
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await browse(first, "/auth/2fa/verify", formPost({ code: "000000" }, json))).status).toBe(400);
    }
    const log = vi.spyOn(console, "log");
    const second = await pending("Persistent Guesser");
    const sixth = await browse(second, "/auth/2fa/verify", formPost({ code: "000000" }, json));
    expect(sixth.status).toBe(429);
    expect(sixth.headers.get("Retry-After")).toBe("1");
    expect(await sixth.json()).toMatchObject({ error: "second_factor_locked" });
    // Refused before the code is looked at: more tries than the pending sign-in allows, a right code among them.
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await browse(second, "/auth/2fa/verify", formPost({ code: codeFor(secret) }, json))).status).toBe(429);
    }
    expect(events(log)).toEqual(
      expect.arrayContaining([expect.objectContaining({ event: "second_factor_failed", user: "dev:persistent-guesser", reason: "locked", retryAfter: 1 })]),
    );
    advance(1);
    const counted = await browse(second, "/auth/2fa/verify", formPost({ code: "000000" }, json));
    expect(counted.status).toBe(400);
    expect(events(log)).toEqual(
      expect.arrayContaining([expect.objectContaining({ event: "second_factor_failed", user: "dev:persistent-guesser", reason: "invalid_code", failures: 6 })]),
    );
    const doubled = await browse(second, "/auth/2fa/verify", formPost({ code: codeFor(secret) }));
    expect(doubled.status).toBe(429);
    expect(doubled.headers.get("Retry-After")).toBe("2");
    const page = await doubled.text();
    expect(page).toContain('role="alert"');
    expect(page).toContain("Too many wrong codes");
    expect(page).toContain('name="code"');
    advance(2);
    expect((await browse(second, "/auth/2fa/verify", formPost({ code: codeFor(secret) }))).status).toBe(303);
    // The back-off starts over after a right code.
    const third = await pending("Persistent Guesser");
    expect((await browse(third, "/auth/2fa/verify", formPost({ code: "000000" }, json))).status).toBe(400);
    expect((await browse(third, "/auth/2fa/verify", formPost({ code: "000000" }, json))).status).toBe(400);
  });

  it("after twenty failures even a right code is refused for fifteen minutes; then it works and the Security page counts them", async () => {
    const { secret } = await enrolled("Locked Out");
    freezeClock();
    await failures("dev:locked-out", 19);
    const log = vi.spyOn(console, "log");
    let jar = await pending("Locked Out");
    expect((await browse(jar, "/auth/2fa/verify", formPost({ code: "000000" }, json))).status).toBe(400);
    expect(events(log)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: "second_factor_failed", user: "dev:locked-out", reason: "invalid_code", failures: 20 }),
        expect.objectContaining({ event: "second_factor_locked", user: "dev:locked-out", failures: 20 }),
      ]),
    );
    expect(JSON.stringify(events(log))).not.toContain("000000");
    const refused = await browse(jar, "/auth/2fa/verify", formPost({ code: codeFor(secret) }, json));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("900");
    advance(899);
    jar = await pending("Locked Out");
    const stillLocked = await browse(jar, "/auth/2fa/verify", formPost({ code: codeFor(secret) }, json));
    expect(stillLocked.status).toBe(429);
    expect(stillLocked.headers.get("Retry-After")).toBe("1");
    // Each failure past twenty locks it again.
    advance(1);
    log.mockClear();
    expect((await browse(jar, "/auth/2fa/verify", formPost({ code: "000000" }, json))).status).toBe(400);
    expect(events(log)).toEqual(expect.arrayContaining([expect.objectContaining({ event: "second_factor_locked", failures: 21 })]));
    expect((await browse(jar, "/auth/2fa/verify", formPost({ code: codeFor(secret) }, json))).headers.get("Retry-After")).toBe("900");
    advance(900);
    jar = await pending("Locked Out");
    expect((await browse(jar, "/auth/2fa/verify", formPost({ code: codeFor(secret) }))).status).toBe(303);
    const page = await (await browse(jar, "/auth/security")).text();
    expect(page).toMatch(/<p role="status"[^>]*>21 failed attempts since your last sign-in\./);
    expect(await (await browse(jar, "/auth/security", { headers: json })).json()).toEqual({ secondFactor: "on", recoveryCodesLeft: 10, failedAttempts: 21 });
    // Failures after the sign-in add to the count.
    expect((await browse(jar, "/auth/2fa/disable", formPost({ code: "000000" }, json))).status).toBe(400);
    expect(await (await browse(jar, "/auth/security", { headers: json })).json()).toMatchObject({ failedAttempts: 22 });
  });

  it("a sign-in without failures shows none", async () => {
    const { secret } = await enrolled("Careful Typist");
    freezeClock();
    const jar = await pending("Careful Typist");
    expect((await browse(jar, "/auth/2fa/verify", formPost({ code: codeFor(secret) }))).status).toBe(303);
    expect(await (await browse(jar, "/auth/security")).text()).not.toContain("failed attempt");
    expect(await (await browse(jar, "/auth/security", { headers: json })).json()).toMatchObject({ failedAttempts: 0 });
  });

  it("counts and blocks codes given to turn it off, recovery codes included", async () => {
    const { jar, recoveryCodes } = await enrolled("Disable Guesser");
    freezeClock();
    const log = vi.spyOn(console, "log");
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await browse(jar, "/auth/2fa/disable", formPost({ code: "000000" }, json))).status).toBe(400);
    }
    expect(events(log)).toEqual(
      expect.arrayContaining([expect.objectContaining({ event: "second_factor_failed", reason: "invalid_code_to_disable", failures: 5 })]),
    );
    const blocked = await browse(jar, "/auth/2fa/disable", formPost({ code: recoveryCodes[0]! }, json));
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("Retry-After")).toBe("1");
    expect(await blocked.json()).toMatchObject({ error: "second_factor_locked" });
    const page = await browse(jar, "/auth/2fa/disable", formPost({ code: recoveryCodes[0]! }));
    expect(page.status).toBe(429);
    const html = await page.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain("Too many wrong codes");
    expect(html).toMatch(/5 failed attempts since your last sign-in/);
    expect(events(log)).toEqual(expect.arrayContaining([expect.objectContaining({ event: "second_factor_failed", reason: "locked_to_disable" })]));
    // The refused recovery code was not spent.
    advance(1);
    expect((await browse(jar, "/auth/2fa/disable", formPost({ code: recoveryCodes[0]! }, json))).status).toBe(200);
  });
});

describe("completing a pending sign-in", () => {
  it("happens once: two right codes sent at the same moment with one verify cookie make one session", async () => {
    const { recoveryCodes } = await enrolled("Double Submit");
    const jar = await pending("Double Submit");
    const send = (code: string) => call("/auth/2fa/verify", { ...formPost({ code }, json), headers: { ...formPost({ code }, json).headers, Cookie: jar.header } });
    const answers = await Promise.all([send(recoveryCodes[0]!), send(recoveryCodes[1]!)]);
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([200, 400]);
    const refused = answers.find((answer) => answer.status === 400)!;
    expect(await refused.json()).toMatchObject({ error: "pending_signin_void" });
    const sessions = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_key = 'dev:double-submit' AND revoked_at IS NULL").first("n");
    // One from enrolling, one from this sign-in.
    expect(sessions).toBe(2);
  });
});

describe("changing the second factor", () => {
  it("needs a sign-in within the last 10 minutes, however often the session renewed since", async () => {
    const { jar } = await signIn("dev", { as: "Stale Session" });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 11 * 60_000);
    // The session renews (it is 11 minutes old): still the same sign-in.
    expect((await browse(jar, "/auth/session")).status).toBe(200);
    const setup = await browse(jar, "/auth/2fa/setup", { method: "POST", headers: { Origin: LOCAL, ...json } });
    expect(setup.status).toBe(403);
    expect(await setup.json()).toMatchObject({ error: "reauthentication_required" });
    expect(setup.headers.get("X-Auth-Signin")).toBe(`${LOCAL}/auth/signin/dev?redirect_to=%2Fauth%2Fsecurity`);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM second_factors WHERE user_key = 'dev:stale-session'").first("n")).toBe(0);
    // Signing in again (no provider trip needed beyond the usual) makes it possible.
    const fresh = await signIn("dev", { as: "Stale Session" });
    expect((await browse(fresh.jar, "/auth/2fa/setup", { method: "POST", headers: { Origin: LOCAL, ...json } })).status).toBe(200);
  });

  it("turning it on or off ends the account's other sessions, and keeps this one", async () => {
    const other = await signIn("dev", { as: "Many Places" });
    const { jar, recoveryCodes } = await enrolled("Many Places");
    expect((await sessionOf(other.jar)).status).toBe(401);
    expect((await sessionOf(jar)).status).toBe(200);
    const again = await signIn("dev", { as: "Many Places", jar: new Jar() });
    // The second sign-in stops at the second factor; finish it with a recovery code.
    const finished = await browse(again.jar, "/auth/2fa/verify", formPost({ code: recoveryCodes[0]! }, json));
    expect(finished.status).toBe(200);
    const off = await browse(jar, "/auth/2fa/disable", formPost({ code: recoveryCodes[1]! }, json));
    expect(off.status).toBe(200);
    expect((await sessionOf(again.jar)).status).toBe(401);
    expect((await sessionOf(jar)).status).toBe(200);
  });

  it("an admin can reset someone's second factor, which ends all their sessions and is audited", async () => {
    const vars = { ADMIN_USERS: "dev:reset-admin" };
    const { jar: victim } = await enrolled("Reset Me");
    const admin = (await signIn("dev", { as: "Reset Admin", vars })).jar;
    const log = vi.spyOn(console, "log");
    const reset = await browse(admin, "/auth/admin/second-factor?user=dev:reset-me", { method: "DELETE", headers: { Origin: LOCAL, ...json } }, vars);
    expect(reset.status).toBe(200);
    expect(await reset.json()).toMatchObject({ user: "dev:reset-me", secondFactor: "off" });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM second_factors WHERE user_key = 'dev:reset-me'").first("n")).toBe(0);
    expect((await sessionOf(victim)).status).toBe(401);
    expect(log.mock.calls.map(([line]) => JSON.parse(String(line)))).toEqual(
      expect.arrayContaining([expect.objectContaining({ event: "second_factor_reset", user: "dev:reset-me", by: "dev:reset-admin" })]),
    );
    // The owner signs in again without a second factor.
    const back = await signIn("dev", { as: "Reset Me" });
    expect(back.response.headers.get("Location")).not.toBe("/auth/2fa");
    // Not for anyone else.
    const other = (await signIn("dev", { as: "Not Admin", vars })).jar;
    expect((await browse(other, "/auth/admin/second-factor?user=dev:reset-me", { method: "DELETE", headers: { Origin: LOCAL, ...json } }, vars)).status).toBe(403);
  });
});

describe("rotating AUTH_SECRET", () => {
  const secrets = (...list: string[]) => ({ AUTH_SECRET: list.map((name) => `${name}-secret-0123456789abcdef0123456789`).join(",") });
  const sealedDataKey = () => env.DB.prepare("SELECT sealed FROM data_keys").first<string>("sealed");
  const cron = (vars: { AUTH_SECRET: string }) => worker.scheduled(createScheduledController({ cron: "*/30 * * * *" }), { ...env, ...vars } as unknown as Env);

  // The data key is one row for the whole database: each test starts without
  // one (so it is made under the test's own secrets) and puts the suite's back.
  let suiteDataKey: string | null;
  beforeEach(async () => {
    suiteDataKey = await sealedDataKey();
    await env.DB.prepare("DELETE FROM data_keys").run();
  });
  afterEach(async () => {
    await env.DB.prepare("DELETE FROM data_keys").run();
    if (suiteDataKey) await env.DB.prepare("INSERT INTO data_keys (id, sealed) VALUES (1, ?1)").bind(suiteDataKey).run();
  });

  it.each([
    ["the cron runs", "cron"],
    ["someone uses their second factor", "use"],
  ])("a TOTP code and a recovery code enrolled under A still work with B alone, after B,A while %s", async (_, how) => {
    const [a, ba, b] = [secrets(`a-${how}`), secrets(`b-${how}`, `a-${how}`), secrets(`b-${how}`)];
    const user = `Rotator ${how}`;
    const { secret, recoveryCodes } = await enrolled(user, a);
    const wrappedUnderA = await sealedDataKey();

    if (how === "cron") await cron(ba);
    else expect((await browse(await pending(user, new Jar(), ba), "/auth/2fa/verify", formPost({ code: recoveryCodes[2]! }, json), ba)).status).toBe(200);
    // The data key is now wrapped under B: A can go.
    expect(await sealedDataKey()).not.toBe(wrappedUnderA);
    const underB = await open(await getKeyring([b.AUTH_SECRET]), "data-key", (await sealedDataKey())!);
    expect(underB.status).toBe("valid");

    const withCode = await pending(user, new Jar(), b);
    const signedIn = await browse(withCode, "/auth/2fa/verify", formPost({ code: codeFor(secret, 1) }, json), b);
    expect(signedIn.status).toBe(200);
    expect(await signedIn.json()).toMatchObject({ signedIn: true });
    const withRecovery = await pending(user, new Jar(), b);
    expect((await browse(withRecovery, "/auth/2fa/verify", formPost({ code: recoveryCodes[0]! }, json), b)).status).toBe(200);
    // And it can be turned off.
    expect((await browse(withRecovery, "/auth/2fa/disable", formPost({ code: recoveryCodes[1]! }, json), b)).status).toBe(200);
    expect(await (await browse(withRecovery, "/auth/security", { headers: json }, b)).json()).toEqual({ secondFactor: "off" });
  });

  it("dropping the secret that still wraps the data key is a clean 503 that says what to do; putting it back mends it", async () => {
    const [c, d, dc] = [secrets("c"), secrets("d"), secrets("d", "c")];
    const { secret } = await enrolled("Too Early", c);
    const log = vi.spyOn(console, "log");
    const jar = await pending("Too Early", new Jar(), d);
    const refused = await browse(jar, "/auth/2fa/verify", formPost({ code: codeFor(secret, 1) }, json), d);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({
      error: "data_key_unavailable",
      message: expect.stringMatching(/AUTH_SECRET that sealed its data key was removed too early\. Put it back, after the new one/),
    });
    const page = await browse(jar, "/auth/2fa/verify", formPost({ code: codeFor(secret, 1) }), d);
    expect(page.status).toBe(503);
    const html = await page.text();
    expect(html).toContain("removed too early");
    expect(html).not.toMatch(/Error:|\bat \S+ \(/);
    expect(events(log)).toEqual(expect.arrayContaining([expect.objectContaining({ event: "key_not_found", reason: "data_key" })]));
    expect(events(log).map((line) => line.event)).not.toContain("error");
    // Nothing was counted against the user.
    expect(await env.DB.prepare("SELECT failures FROM second_factors WHERE user_key = 'dev:too-early'").first("failures")).toBe(0);

    const verified = await browse(jar, "/auth/2fa/verify", formPost({ code: codeFor(secret, 1) }, json), dc);
    expect(verified.status).toBe(200);
  });

  it("a TOTP key and recovery codes stored before the data key still work, and the cron moves the TOTP key onto it", async () => {
    const [l, ml, m] = [secrets("l"), secrets("m", "l"), secrets("m")];
    const legacy = await getKeyring([l.AUTH_SECRET]);
    const key = crypto.getRandomValues(new Uint8Array(20));
    const [recoveryCode] = newRecoveryCodes(1);
    const now = Math.floor(Date.now() / 1000);
    await env.DB.batch([
      env.DB.prepare("INSERT INTO second_factors (user_key, secret, enabled_at, last_step, device_key, created_at) VALUES ('dev:legacy-person', ?1, ?2, 0, 'dk', ?2)").bind(
        await seal(legacy, "totp", { k: base64url.encode(key) }, 86_400 * 365),
        now,
      ),
      env.DB.prepare("INSERT INTO recovery_codes (user_key, code_hash) VALUES ('dev:legacy-person', ?1)").bind(
        (await legacy.hash("recovery", normalizeRecoveryCode(recoveryCode!)))[0],
      ),
    ]);
    const byCode = await pending("Legacy Person", new Jar(), l);
    expect((await browse(byCode, "/auth/2fa/verify", formPost({ code: codeForKey(key) }, json), l)).status).toBe(200);
    const byRecovery = await pending("Legacy Person", new Jar(), l);
    expect((await browse(byRecovery, "/auth/2fa/verify", formPost({ code: recoveryCode! }, json), l)).status).toBe(200);

    const log = vi.spyOn(console, "log");
    await cron(l);
    expect(events(log)).toEqual(expect.arrayContaining([expect.objectContaining({ event: "cleanup", totpResealed: 1 })]));
    const row = await env.DB.prepare("SELECT secret FROM second_factors WHERE user_key = 'dev:legacy-person'").first<string>("secret");
    expect(await open(legacy, "totp", row!)).toEqual({ status: "invalid", reason: "unknown_key" });

    // Under the data key now, it survives a rotation that drops L.
    await cron(ml);
    const afterRotation = await pending("Legacy Person", new Jar(), m);
    expect((await browse(afterRotation, "/auth/2fa/verify", formPost({ code: codeForKey(key, 1) }, json), m)).status).toBe(200);
  });
});

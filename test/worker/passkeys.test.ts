import { env } from "cloudflare:workers";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import { afterEach, describe, expect, it, vi } from "vitest";
import { base64url } from "jose";
import { Authenticator } from "./authenticator";
import { browse, formPost, Jar, LOCAL, sessionOf, signIn } from "./helpers";

const json = { Accept: "application/json", Origin: LOCAL, "Content-Type": "application/json" };
const post = (jar: Jar, path: string, body: unknown = {}) => browse(jar, path, { method: "POST", headers: json, body: JSON.stringify(body) });

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

const codeFor = (secret: string) => generateHOTP(decodeBase32IgnorePadding(secret.replace(/\s/g, "")), BigInt(Math.floor(Date.now() / 30_000)), 6);

/** The authenticator-app key of each user `enrolled` set up. */
const secrets = new Map<string, string>();

/** Signs in and turns the second factor on (passkeys come on top of it). */
async function enrolled(name: string) {
  const { jar } = await signIn("dev", { as: name });
  const setup = await browse(jar, "/auth/2fa/setup", { method: "POST", headers: { Origin: LOCAL, Accept: "application/json" } });
  const { secret } = await setup.json<{ secret: string }>();
  secrets.set(name, secret);
  const enabled = await browse(jar, "/auth/2fa/enable", formPost({ code: codeFor(secret) }, { Accept: "application/json" }));
  expect(enabled.status).toBe(200);
  return jar;
}

async function register(jar: Jar, authenticator: Authenticator, name = `${authenticator.algorithm} key`) {
  const options = await (await post(jar, "/auth/passkeys/options")).json<{ challenge: string; rp: { id: string } }>();
  return post(jar, "/auth/passkeys", { name, credential: await authenticator.register(options) });
}

/** A new sign-in stopped at the second factor, and the passkey options it is offered. */
async function pending(name: string) {
  const jar = new Jar();
  const { response } = await signIn("dev", { as: name, jar, redirectTo: "/auth" });
  expect(response.headers.get("Location")).toBe("/auth/2fa");
  const options = await post(jar, "/auth/2fa/passkey/options");
  expect(options.status).toBe(200);
  return { jar, options: await options.json<{ challenge: string; rpId: string; allowCredentials: { id: string }[] }>() };
}

const row = (id: string) => env.DB.prepare("SELECT * FROM passkeys WHERE id = ?1").bind(id).first<Record<string, unknown>>();

/** The audit lines of `passkey_refused` logged since `spy` was set. */
const refusals = (spy: { mock: { calls: unknown[][] } }) =>
  spy.mock.calls.map(([line]) => JSON.parse(String(line))).filter((event) => event.event === "passkey_refused").map((event) => event.reason);

describe("passkeys as the second factor", () => {
  it.each(["ES256", "Ed25519"] as const)("registers an %s passkey and completes a later sign-in's second factor with it", async (algorithm) => {
    const name = `Passkey User ${algorithm}`;
    const jar = await enrolled(name);
    const key = await Authenticator.create(algorithm);
    const registered = await register(jar, key, "My laptop");
    expect(registered.status).toBe(201);
    expect(await registered.json()).toEqual({ id: key.credentialId, name: "My laptop" });
    expect(await row(key.credentialId)).toMatchObject({
      user_key: `dev:passkey-user-${algorithm.toLowerCase()}`,
      algorithm: algorithm === "ES256" ? -7 : -8,
      sign_count: 1,
      transports: "internal",
      backup_eligible: 0,
      backed_up: 0,
      aaguid: "0".repeat(32),
      last_used_at: null,
    });
    const security = await (await browse(jar, "/auth/security", { headers: { Accept: "text/html" } })).text();
    expect(security).toContain(">My laptop</strong>");
    expect(security).toContain(`action="/auth/passkeys/${key.credentialId}"`);

    const { jar: later, options } = await pending(name);
    expect(options.rpId).toBe("localhost");
    expect(options.allowCredentials.map((credential) => credential.id)).toEqual([key.credentialId]);
    const prompt = await (await browse(later, "/auth/2fa", { headers: { Accept: "text/html" } })).text();
    expect(prompt).toContain("Use a passkey");
    const done = await post(later, "/auth/2fa/passkey", { credential: await key.assert(options) });
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({ signedIn: true, redirectTo: "/auth" });
    expect((await sessionOf(later)).status).toBe(200);
    expect(await row(key.credentialId)).toMatchObject({ sign_count: 2, last_used_at: expect.any(Number) });
  });

  it("refuses, and audits, a counter that went back, another user's credential, another origin's assertion, a replayed or foreign challenge", async () => {
    const jar = await enrolled("Passkey Refusals");
    const key = await Authenticator.create("ES256", 5);
    expect((await register(jar, key)).status).toBe(201);
    const stranger = await Authenticator.create("ES256");
    expect((await register(await enrolled("Passkey Stranger"), stranger)).status).toBe(201);
    const log = vi.spyOn(console, "log");

    const first = await pending("Passkey Refusals");
    const refused = async (credential: unknown) => {
      const answer = await post(first.jar, "/auth/2fa/passkey", { credential });
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ error: "passkey_refused" });
    };
    const fresh = async () => (await (await post(first.jar, "/auth/2fa/passkey/options")).json<{ challenge: string; rpId: string }>());

    // A cloned authenticator: its counter behind the stored one.
    key.counter = 2;
    await refused(await key.assert(await fresh()));
    key.counter = 5;
    await refused(await stranger.assert(await fresh()));
    await refused(await key.assert(await fresh(), { origin: "https://evil.example" }));
    // A challenge answers once: spent by the stranger's attempt, the right key's answer to it is refused too.
    const once = await fresh();
    await refused(await stranger.assert(once));
    await refused(await key.assert(once));
    expect(refusals(log)).toEqual(["counter_regression", "passkey_unknown", "wrong_origin", "passkey_unknown", "challenge_unknown"]);
    log.mockClear();

    // Another pending sign-in's challenge, and a registration's (a new user: the first is backing off now).
    const jar2 = await enrolled("Passkey Refusals Two");
    expect((await register(jar2, key)).status).toBe(409);
    const key2 = await Authenticator.create("Ed25519");
    expect((await register(jar2, key2)).status).toBe(201);
    const other = await pending("Passkey Refusals Two");
    const registration = await (await post(jar2, "/auth/passkeys/options")).json<{ challenge: string; rp: { id: string } }>();
    const second = await pending("Passkey Refusals Two");
    const left = async (credential: unknown) => (await post(second.jar, "/auth/2fa/passkey", { credential })).json<{ message: string }>();
    expect((await left(await key2.assert(other.options))).message).toContain("4 attempts left.");
    await left(await key2.assert({ challenge: registration.challenge, rpId: "localhost" }));
    expect((await left(await key2.assert(second.options, { rpId: "evil.example" }))).message).toContain("2 attempts left.");
    expect(refusals(log)).toEqual(["challenge_unknown", "challenge_unknown", "wrong_relying_party"]);
    // Each counted against the user's second factor like a wrong code: from the fifth, the next waits.
    const failures = (user: string) => env.DB.prepare("SELECT failures FROM second_factors WHERE user_key = ?1").bind(user).first<number>("failures");
    expect([await failures("dev:passkey-refusals"), await failures("dev:passkey-refusals-two")]).toEqual([5, 3]);
    // The first pending sign-in has had its five: the right key signs nobody in (void, or waiting out the back-off).
    const spent = await post(first.jar, "/auth/2fa/passkey", { credential: await key.assert(await fresh()) });
    expect(["pending_signin_void", "second_factor_locked"]).toContain((await spent.json<{ error: string }>()).error);
    expect((await sessionOf(first.jar)).status).toBe(401);
  });

  it("signs nobody in once a pending sign-in's five attempts are spent, right passkey or not", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const jar = await enrolled("Passkey Five");
    const key = await Authenticator.create("Ed25519", 0);
    expect((await register(jar, key)).status).toBe(201);
    const { jar: later } = await pending("Passkey Five");
    for (let i = 0; i < 5; i++) {
      // Past the user's back-off, which starts at the fifth wrong answer.
      vi.setSystemTime(Date.now() + 2_000);
      const options = await (await post(later, "/auth/2fa/passkey/options")).json<{ challenge: string; rpId: string }>();
      expect((await post(later, "/auth/2fa/passkey", { credential: await key.assert(options, { origin: "https://evil.example" }) })).status).toBe(400);
    }
    vi.setSystemTime(Date.now() + 5_000);
    const options = await (await post(later, "/auth/2fa/passkey/options")).json<{ challenge: string; rpId: string }>();
    const last = await post(later, "/auth/2fa/passkey", { credential: await key.assert(options) });
    expect(await last.json()).toMatchObject({ error: "pending_signin_void" });
    expect((await sessionOf(later)).status).toBe(401);
  });
});

describe("when the pages Worker, which reads authenticator data, is not there", () => {
  const unbound = { PAGES: undefined };

  it("a registration or an assertion is a 503 that says so, never a refusal counted against the user", async () => {
    const name = "Passkey Reader Down";
    const jar = await enrolled(name);
    const key = await Authenticator.create("ES256");
    const options = await (await post(jar, "/auth/passkeys/options")).json<{ challenge: string; rp: { id: string } }>();
    const registration = await browse(jar, "/auth/passkeys", { method: "POST", headers: json, body: JSON.stringify({ credential: await key.register(options) }) }, unbound);
    expect(registration.status).toBe(503);
    expect(await registration.json()).toMatchObject({ error: "pages_unavailable" });
    expect(await row(key.credentialId)).toBeNull();
    expect((await register(jar, key)).status).toBe(201);

    const log = vi.spyOn(console, "log");
    const { jar: later, options: first } = await pending(name);
    for (let attempt = 0; attempt < 3; attempt++) {
      const answer = attempt === 0 ? first : await (await post(later, "/auth/2fa/passkey/options")).json<{ challenge: string; rpId: string }>();
      const down = await browse(later, "/auth/2fa/passkey", { method: "POST", headers: json, body: JSON.stringify({ credential: await key.assert(answer) }) }, unbound);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ error: "pages_unavailable" });
    }
    expect(refusals(log)).toEqual([]);
    expect(await env.DB.prepare("SELECT failures FROM second_factors WHERE user_key = ?1").bind("dev:passkey-reader-down").first("failures")).toBe(0);
    // Answers the reader never saw spent none of the pending sign-in's attempts, nor the user's.
    const again = await (await post(later, "/auth/2fa/passkey/options")).json<{ challenge: string; rpId: string }>();
    expect((await post(later, "/auth/2fa/passkey", { credential: await key.assert(again) })).status).toBe(200);
    expect((await sessionOf(later)).status).toBe(200);
  });
});

describe("managing passkeys", () => {
  it("needs the second factor on, a recent sign-in of this browser, and never takes a registration twice", async () => {
    const { jar: plain } = await signIn("dev", { as: "Passkey Without Factor" });
    expect(await (await post(plain, "/auth/passkeys/options")).json()).toMatchObject({ error: "second_factor_off" });

    const jar = await enrolled("Passkey Manager");
    const key = await Authenticator.create("ES256");
    const options = await (await post(jar, "/auth/passkeys/options")).json<{ challenge: string; rp: { id: string }; excludeCredentials: unknown[] }>();
    expect(options.excludeCredentials).toEqual([]);
    const credential = await key.register(options);
    expect((await post(jar, "/auth/passkeys", { credential })).status).toBe(201);
    // The same registration again: its challenge is spent.
    expect(await (await post(jar, "/auth/passkeys", { credential })).json()).toMatchObject({ error: "passkey_refused" });
    // A new challenge, the same credential: registered already.
    const again = await key.register(await (await post(jar, "/auth/passkeys/options")).json());
    expect(await (await post(jar, "/auth/passkeys", { credential: again })).json()).toMatchObject({ error: "passkey_exists" });
    // An assertion where a registration belongs, and another origin's registration.
    const wrongType = await key.register(await (await post(jar, "/auth/passkeys/options")).json(), { type: "webauthn.get" });
    expect((await post(jar, "/auth/passkeys", { credential: wrongType })).status).toBe(400);
    const elsewhere = await (await Authenticator.create("ES256")).register(await (await post(jar, "/auth/passkeys/options")).json(), { origin: "https://evil.example" });
    expect((await post(jar, "/auth/passkeys", { credential: elsewhere })).status).toBe(400);
    const absent = await (await Authenticator.create("ES256")).register(await (await post(jar, "/auth/passkeys/options")).json(), { flags: 0 });
    expect((await post(jar, "/auth/passkeys", { credential: absent })).status).toBe(400);

    // A bearer token of this user is no browser.
    const token = await browse(jar, "/auth/token", { method: "POST", headers: { Origin: LOCAL, Accept: "application/json" } });
    const { access_token: bearer } = await token.json<{ access_token: string }>();
    const withBearer = await browse(new Jar(), "/auth/passkeys/options", { method: "POST", headers: { ...json, Authorization: `Bearer ${bearer}` } });
    expect(withBearer.status).toBe(403);

    // Eleven minutes after the code that turned the factor on: show it again (a step-up) first.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 11 * 60_000);
    expect(await (await post(jar, "/auth/passkeys/options")).json()).toMatchObject({ error: "step_up_required" });
    const wrong = await browse(jar, "/auth/2fa/step-up", formPost({ code: "000000" }, { Accept: "application/json" }));
    expect(await wrong.json()).toMatchObject({ error: "invalid_code" });
    const stepped = await browse(jar, "/auth/2fa/step-up", formPost({ code: codeFor(secrets.get("Passkey Manager")!) }, { Accept: "application/json" }));
    expect(await stepped.json()).toEqual({ steppedUp: true });
    expect((await post(jar, "/auth/passkeys/options")).status).toBe(200);
  });

  it("removes a passkey of one's own only; turning the second factor off removes them all", async () => {
    const jar = await enrolled("Passkey Remover");
    const [first, second] = [await Authenticator.create("ES256"), await Authenticator.create("Ed25519")];
    expect((await register(jar, first)).status).toBe(201);
    expect((await register(jar, second)).status).toBe(201);
    const other = await enrolled("Passkey Other");
    expect((await browse(other, `/auth/passkeys/${first.credentialId}`, formPost({ _method: "DELETE" }))).status).toBe(404);
    const removed = await browse(jar, `/auth/passkeys/${first.credentialId}`, formPost({ _method: "DELETE" }));
    expect(removed.status).toBe(303);
    expect(removed.headers.get("Location")).toBe("/auth/security");
    expect(await row(first.credentialId)).toBeNull();
    expect(await row(second.credentialId)).not.toBeNull();

    // A new time step for the code: the one that turned it on is spent.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 30_000);
    const off = await browse(jar, "/auth/2fa/disable", formPost({ code: codeFor(secrets.get("Passkey Remover")!) }, { Accept: "application/json" }));
    expect(off.status).toBe(200);
    expect(await row(second.credentialId)).toBeNull();
  });

  it("reads a ceremony's JSON bounded: too large is 413, not JSON is 400", async () => {
    const jar = await enrolled("Passkey Bodies");
    const large = await browse(jar, "/auth/passkeys", { method: "POST", headers: { ...json, "Content-Type": "application/json" }, body: JSON.stringify({ pad: "x".repeat(20_000) }) });
    expect(large.status).toBe(413);
    const broken = await browse(jar, "/auth/passkeys", { method: "POST", headers: json, body: "{not json" });
    expect(broken.status).toBe(400);
  });
});

describe("step-up and what tokens say of it", () => {
  const claimsOf = async (jar: Jar) => {
    const answer = await browse(jar, "/auth/token", { method: "POST", headers: { Origin: LOCAL, Accept: "application/json" } });
    const { access_token: token } = await answer.json<{ access_token: string }>();
    return JSON.parse(new TextDecoder().decode(base64url.decode(token.split(".")[1]!))) as { auth_time?: number; amr?: string[]; iat: number };
  };

  it("a bearer token carries amr and auth_time: none without a second factor, otp after a code, hwk after a passkey, renewed by a step-up", async () => {
    const { jar: plain } = await signIn("dev", { as: "Amr Plain" });
    const none = await claimsOf(plain);
    expect(none.amr).toBeUndefined();
    expect(none.auth_time).toBeGreaterThan(0);

    const jar = await enrolled("Amr User");
    // Turning the factor on with a code is showing it.
    expect((await claimsOf(jar)).amr).toEqual(["otp", "mfa"]);
    const key = await Authenticator.create("ES256");
    expect((await register(jar, key)).status).toBe(201);

    const { jar: later, options } = await pending("Amr User");
    expect((await post(later, "/auth/2fa/passkey", { credential: await key.assert(options) })).status).toBe(200);
    const withPasskey = await claimsOf(later);
    expect(withPasskey.amr).toEqual(["hwk", "mfa"]);

    // Eleven minutes on, a step-up with the passkey: a new auth_time, and passkeys may change again.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 11 * 60_000);
    expect(await (await browse(later, `/auth/passkeys/${key.credentialId}`, formPost({ _method: "DELETE" }, { Accept: "application/json" }))).json()).toMatchObject({
      error: "step_up_required",
    });
    const stepOptions = await (await post(later, "/auth/2fa/step-up/passkey/options")).json<{ challenge: string; rpId: string }>();
    // A sign-in's challenge is no step-up's, nor the other way round.
    expect((await post(later, "/auth/2fa/step-up/passkey", { credential: await key.assert(options) })).status).toBe(400);
    expect(await (await post(later, "/auth/2fa/step-up/passkey", { credential: await key.assert(stepOptions) })).json()).toEqual({ steppedUp: true });
    const stepped = await claimsOf(later);
    expect(stepped.auth_time).toBeGreaterThanOrEqual(withPasskey.auth_time! + 11 * 60);
    expect((await browse(later, `/auth/passkeys/${key.credentialId}`, formPost({ _method: "DELETE" }, { Accept: "application/json" }))).status).toBe(200);
  });
});

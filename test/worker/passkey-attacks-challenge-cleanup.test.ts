/**
 * Found by the adversarial pass on passkeys (fixed, kept as a regression test): WebAuthn challenges are never deleted. `deleteExpiredChallenges`
 * (src/second-factor/store.ts) exists but the cleanup Cron Trigger
 * (src/session/cleanup.ts) never calls it, so every options request that is
 * not answered — a cancelled browser prompt, a prompt answered with a TOTP
 * code instead, or anyone with a verify cookie or a recent session asking
 * on purpose (only the rate limits bound it) — leaves a row in
 * `webauthn_challenges` for ever.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { Authenticator } from "./authenticator";
import { fakeClock } from "./helpers";
import { enrolled, pendingSignIn, post, register } from "./passkey-attacks-helpers";

const clock = fakeClock();

const challenges = async () =>
  (await env.DB.prepare("SELECT count(*) AS n FROM webauthn_challenges WHERE expires_at <= ?1").bind(clock.seconds()).first<{ n: number }>())!.n;

describe("abandoned WebAuthn challenges", () => {
  it("are deleted by the cleanup Cron Trigger once expired", async () => {
    const { jar } = await enrolled("Adv17 Challenge Hoarder");
    expect((await register(jar, await Authenticator.create("ES256"))).status).toBe(201);
    // Options asked for and never answered: the Security page's and a pending sign-in's.
    for (let i = 0; i < 5; i++) expect((await post(jar, "/auth/passkeys/options")).status).toBe(200);
    const pending = await pendingSignIn("Adv17 Challenge Hoarder");
    for (let i = 0; i < 3; i++) expect((await post(pending, "/auth/2fa/passkey/options")).status).toBe(200);

    clock.advance(3600); // long past the 120 s they are good for
    expect(await challenges()).toBeGreaterThanOrEqual(8);
    await worker.scheduled(createScheduledController({ cron: "*/30 * * * *" }), env as unknown as Env);
    expect(await challenges()).toBe(0);
  });
});

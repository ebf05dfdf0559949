/**
 * DBSC under attack: a copied cookie jar (refresh cookie included) cannot
 * refresh a bound session without the key, but each refused proof writes a
 * `security_events` row, and the refusal ends nothing: the bound session's
 * refresh secret never rotates, so the copy writes rows for as long as the
 * session lives, burying the events that matter (the admin console lists
 * them) and spending D1 writes at the renewal limit's pace.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { fakeClock, sessionRow } from "./helpers";
import { boundSession, challengeOf, copyJar, DeviceKey, refresh } from "./device-bound-client";

const clock = fakeClock();

describe("refused proofs from a copied cookie jar", () => {
  it("write a bounded number of security events (or end the session), however long the copy keeps trying", async () => {
    const { jar, sid } = await boundSession("Flooded Victim");
    const thief = copyJar(jar);
    const stranger = await DeviceKey.create();
    clock.advance(1);
    const tries = 40;
    for (let i = 0; i < tries; i++) {
      const asked = await refresh(thief, sid);
      if (asked.status === 200) break;
      expect(asked.status).toBe(403);
      const refused = await refresh(thief, sid, await stranger.sign(challengeOf(asked, sid)));
      expect(refused.status).toBe(400);
      // Spread out, as a patient copy would: no window of the rate limiter (100 per 10 s per session) holds it back.
      clock.advance(60);
    }
    const rows = (await env.DB.prepare("SELECT count(*) AS n FROM security_events WHERE event = 'device_proof_refused' AND user_key = ?1").bind("dev:flooded-victim").first<{ n: number }>())!.n;
    const row = await sessionRow(sid);
    // Either the first proof by another key ends the session (proof of a copy, like refresh reuse), or the rows stop growing.
    const ended = row!.revoked_at !== null || row!.idle_expires_at <= clock.seconds();
    expect(ended || rows <= 3, `${rows} security_events rows written by one copied cookie jar, the session still live`).toBe(true);
  });
});

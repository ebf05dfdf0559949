/**
 * DBSC under attack: the refresh endpoint charges the session's renewal
 * bucket before it checks anything but the shape of a refresh cookie, so
 * anyone who knows a session id — it is no secret: `sid` in every bearer
 * token handed to an API, X-Auth-Request-Session to every upstream — can
 * keep a bound session from refreshing (429, which Chromium treats as
 * transient: requests go out without the cookie, the user looks signed out).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, fakeClock } from "./helpers";
import { boundSession, challengeOf } from "./device-bound-client";

fakeClock();
const LOW = { RATE_LIMITER: env.LOW_RATE_LIMIT };
let ip = 0;
const newIP = () => `198.51.100.${++ip}`;

describe("the refresh endpoint's rate limit", () => {
  it("is not spent by a stranger who knows only the session id", async () => {
    const { jar, sid, key, next } = await boundSession("Limited Victim");
    // The stranger: the session id, a refresh cookie made up around it, any proof — from as many addresses as they like.
    const forged = `auth.refresh=${sid}.${"A".repeat(43)}`;
    for (let i = 0; i < 5; i++) {
      const answer = await call("/auth/dbsc/refresh", { method: "POST", headers: { Cookie: forged, "Sec-Secure-Session-Id": sid, "Secure-Session-Response": "x.y.z", "CF-Connecting-IP": newIP() } }, LOW);
      // (What the stranger is told does not matter; what it costs the owner does.)
      void answer;
    }
    // The owner's browser refreshes with its key, from its own address.
    const headers = new Headers({ "Sec-Secure-Session-Id": sid, "Secure-Session-Response": await key.sign(next), "CF-Connecting-IP": newIP(), Cookie: jar.header });
    const owner = await call("/auth/dbsc/refresh", { method: "POST", headers }, LOW);
    expect(owner.status, "the owner's proof was refused for the stranger's requests").toBe(200);
    challengeOf(owner, sid);
  });
});

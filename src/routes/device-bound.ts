import type { Context } from "hono";
import { Hono } from "hono/tiny";
import { authCookie, clearSessionCookies } from "../http/cookies";
import { depsOf, openSessionToken } from "../http/current-session";
import { bareHeader, sessionConfig, setChallenge } from "../http/device-bound";
import type { AppEnv } from "../env";
import { AuthError, type ErrorCode } from "../errors";
import { audit } from "../platform/log";
import { rateLimit } from "../http/rate-limit";
import { readRefreshCookie } from "../http/refresh-cookie";
import { hashSecret } from "../session/refresh-secret";
import { carryOn, holdsSecret } from "../session/renewal";
import { endSession, isRevoked } from "../session/revocations";
import { sealClaims, type Session } from "../session/session";
import { nowSeconds } from "../platform/time";
import { bindDevice, findSession, isLive, proveDevice, storeDeviceClaims } from "../session/store";
import { checkProof, checkRegistration, openBoundClaims, ProofRefused, sealBoundClaims, type Registered } from "../session/device-binding";

/**
 * Device-bound sessions (DBSC): the browser registers a key for the session
 * it was just given (`offerDeviceBinding`), then proves it to get each new
 * session cookie. Both requests come from the browser itself, without
 * `Origin` or a body: the JWT in `Secure-Session-Response` is the request.
 */

const PROOF = "Secure-Session-Response";

/** Tells the browser to stop refreshing this session: it has ended, or is not this browser's. */
const stop = (c: Context<AppEnv>) => c.json({ continue: false });

/** Refusals are JSON, whatever the browser's `Accept`: nobody is shown these. */
const refuse = (c: Context<AppEnv>, status: 400 | 403, error: ErrorCode, message: string) => c.json({ error, message }, status);

/** "Sign this": a 403 with a challenge (a 401 or 400 would end the browser's session). */
async function askForProof(c: Context<AppEnv>, sid: string, stale?: string) {
  if (stale) audit("device_challenge_stale", { sessionId: sid, reason: stale }, c);
  await setChallenge(c, sid);
  return refuse(c, 403, "proof_required", "Sign the challenge with this session's key.");
}

/** A bound session's cookie: it lives exactly as long as its token, so the browser refreshes it in time. */
const boundCookie = (c: Context<AppEnv>, token: string, session: Session) => authCookie(c, "session", token, Math.max(0, session.expiresAt - nowSeconds()));

/** A registration refused: audited, and the session goes on unbound. */
function registrationRefused(c: Context<AppEnv>, reason: string, claims?: { sid: string; sub: string }) {
  audit("device_registration_refused", { sessionId: claims?.sid, user: claims?.sub, reason }, c);
  return refuse(c, 400, "registration_refused", "That registration could not be checked; the session goes on unbound.");
}

export const deviceBoundRoutes = new Hono<AppEnv>()
  .post("/dbsc/register", async (c) => {
    if (!c.var.config.deviceBound) throw new AuthError(404, "not_found", "Device-bound sessions are off here (DEVICE_BOUND_SESSIONS).");
    // The session it binds: the one whose cookie this browser was just given (never a credential sent as a bearer token).
    const opened = c.req.header("Authorization") ? null : await openSessionToken(c);
    if (opened?.kind !== "sealed" || opened.status !== "valid" || opened.claims.cnf) {
      return registrationRefused(c, opened?.kind === "sealed" && opened.claims.cnf ? "bound_already" : "no_session");
    }
    const { iat, exp, ...claims } = opened.claims as typeof opened.claims & { iat?: number };
    const deps = depsOf(c);
    let registered: Registered;
    try {
      registered = await checkRegistration(c.var.keys, bareHeader(c, PROOF) ?? "", claims.sid);
    } catch (error) {
      if (!(error instanceof ProofRefused)) throw error;
      return registrationRefused(c, error.message, claims);
    }
    const bound = { ...claims, end: claims.end ?? exp!, cnf: { jkt: registered.jkt } };
    const { token, session } = await sealClaims(deps, bound);
    // Built (and checked to fit) before anything is stored.
    const cookie = boundCookie(c, token, session);
    const ended = await isRevoked(deps.kv, claims.sid);
    if (ended || !(await bindDevice(c.env.DB, { id: claims.sid, ...registered, claims: await sealBoundClaims(c.var.keys, bound), now: deps.now() }))) {
      return registrationRefused(c, "not_bindable", claims);
    }
    c.header("Set-Cookie", cookie, { append: true });
    audit("device_bound", { sessionId: claims.sid, user: claims.sub, reason: registered.jkt }, c);
    await setChallenge(c, claims.sid, registered.issuedAt);
    return c.json(sessionConfig(c, claims.sid));
  })
  .post("/dbsc/refresh", async (c) => {
    const sid = bareHeader(c, "Sec-Secure-Session-Id") ?? "";
    const refresh = readRefreshCookie(c);
    // The refresh cookie ends with the browser's session, and moves on with a new sign-in: without it, this one is over here.
    if (!/^[\w-]{22}$/.test(sid) || refresh?.sid !== sid) return stop(c);
    const proof = bareHeader(c, PROOF);
    if (!proof) return askForProof(c, sid);
    const deps = depsOf(c);
    const now = deps.now();
    const record = await findSession(c.env.DB, sid);
    if (!isLive(record, now) || (await isRevoked(deps.kv, sid))) {
      clearSessionCookies(c);
      return stop(c);
    }
    // Not bound (its registration's answer was lost: it goes on unbound), or a refresh cookie this session no longer holds.
    if (!record.device_key || !holdsSecret(record, await hashSecret(c.var.keys, refresh.secret), now)) return stop(c);
    // Charged only now: a stranger who knows the session id must not spend its owner's renewals.
    await rateLimit(c, "renewal", [`session:${sid}`]);
    let issuedAt: number;
    try {
      issuedAt = await checkProof(c.var.keys, proof, record);
    } catch (error) {
      if (!(error instanceof ProofRefused)) throw error;
      // An old or foreign challenge gets a new one; a proof by another key ends the browser's session.
      if (error.message === "challenge_unknown") return askForProof(c, sid, error.message);
      // This session's own refresh cookie with a proof by another key: a copied cookie jar. Like refresh reuse, the session ends.
      audit("device_proof_refused", { sessionId: sid, user: record.user_key, reason: error.message }, c);
      await endSession(deps, sid, { kind: "proof_refused", by: "system" });
      clearSessionCookies(c);
      return refuse(c, 400, "proof_refused", "That proof is not by this session's key: the session has ended.");
    }
    const row = await proveDevice(c.env.DB, { id: sid, jkt: record.device_key_thumbprint!, issuedAt, now, idleTtl: c.var.config.idleTtl });
    if (!row) return askForProof(c, sid, "challenge_used");
    const stored = await openBoundClaims(c.var.keys, row.device_claims);
    const carried = stored && (await carryOn(deps, stored, row, row.secret_hash, now));
    if (!carried) {
      clearSessionCookies(c);
      return stop(c);
    }
    const { token, session } = await sealClaims(deps, carried);
    c.header("Set-Cookie", boundCookie(c, token, session), { append: true });
    if (carried.pat !== stored.pat) await storeDeviceClaims(c.env.DB, sid, record.device_key_thumbprint!, await sealBoundClaims(c.var.keys, carried));
    audit("session_renewed", { sessionId: sid, user: record.user_key, reason: "device_proof" }, c);
    await setChallenge(c, sid, issuedAt);
    return c.json(sessionConfig(c, sid));
  });

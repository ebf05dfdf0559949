import type { Context } from "hono";
import { Hono } from "hono/tiny";
import { clearAuthCookie, readAuthCookie, setAuthCookie } from "../http/cookies";
import { open, seal } from "../crypto/seal";
import { getSession, requireSession, startSession, stepUp } from "../http/current-session";
import type { AppEnv } from "../env";
import { AuthError } from "../errors";
import { readForm } from "../http/forms";
import { audit } from "../platform/log";
import { page } from "../http/page";
import type { SecondFactorState } from "../../pages/src/security";
import { byIP, limit } from "../http/rate-limit";
import { endUserSessions } from "../http/end-sessions";
import { notSignedIn, prefersJSON } from "../http/respond";
import {
  amrOf,
  checkCodeToChange,
  checkPasskeyToStepUp,
  checkSignInCode,
  checkSignInPasskey,
  enabledSecondFactor,
  failedAttemptsSinceSignIn,
  newDeviceKey,
  readPendingSignIn,
  sealTOTPKey,
  secondFactorKeys,
  totpKey,
  userKeyOf,
  type CodeCheck,
  type Method,
  type PendingSignIn,
} from "../second-factor/second-factor";
import {
  countRecoveryCodes,
  deleteSecondFactor,
  findSecondFactor,
  listPasskeys,
  putPendingSecondFactor,
  type PasskeyRecord,
  storeRecoveryCodes,
  useTimeStep,
} from "../second-factor/store";
import type { Session } from "../session/session";
import { completeSecondFactor } from "../signin/completion";
import { newChallenge, relyingParty } from "../second-factor/passkeys";
import { descriptors, readJSON } from "./passkeys";
import { nowSeconds } from "../platform/time";
import { RECENT_SIGN_IN } from "../http/scope";
import { matchingStep, newRecoveryCodes, newTOTPKey, normalizeRecoveryCode, readableKey, totpURI } from "../second-factor/totp";

const invalidCode = new AuthError(400, "invalid_code", "That code is not right. Please try again.");
const usedCode = new AuthError(400, "code_used", "That code was already used — wait for the next one.");

const wait = (seconds: number) => (seconds < 120 ? `${seconds} second${seconds === 1 ? "" : "s"}` : `${Math.ceil(seconds / 60)} minutes`);

const locked = (retryAfter: number) =>
  new AuthError(429, "second_factor_locked", `Too many wrong codes. Please wait ${wait(retryAfter)} before trying again.`, {
    "Retry-After": String(retryAfter),
  });

const refusal = (checked: Exclude<CodeCheck, { status: "valid" }>) =>
  checked.status === "blocked" ? locked(checked.retryAfter) : checked.used ? usedCode : invalidCode;

/** A refused code: the page again with the message for browsers, the error as JSON for JSON callers. */
function refuse(c: Context<AppEnv>, error: AuthError, page: (message: string) => Promise<Response> | Response) {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  if (prefersJSON(c.req.raw)) return c.json({ error: error.code, message: error.message }, error.status);
  c.status(error.status);
  return page(error.message);
}

async function securityState(c: Context<AppEnv>, session: Session): Promise<SecondFactorState> {
  const record = await findSecondFactor(c.env.DB, session.userKey);
  if (!record) return { state: "off" };
  if (record.enabled_at) {
    const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
    return {
      state: "on",
      since: iso(record.enabled_at).slice(0, 10),
      recoveryCodesLeft: await countRecoveryCodes(c.env.DB, session.userKey),
      failedAttempts: failedAttemptsSinceSignIn(record),
      steppedUp: nowSeconds() - session.secondFactorAt <= RECENT_SIGN_IN,
      passkeys: (await listPasskeys(c.env.DB, session.userKey)).map((passkey) => ({
        id: passkey.id,
        name: passkey.name,
        createdAt: iso(passkey.created_at),
        lastUsedAt: passkey.last_used_at === null ? null : iso(passkey.last_used_at),
        synced: passkey.backed_up === 1,
      })),
    };
  }
  const key = await totpKey(c, record);
  if (!key) return { state: "off" };
  const uri = totpURI(new URL(c.var.origin).host, session.user.email ?? session.user.login, key);
  return { state: "pending", uri, secret: readableKey(key) };
}

/** How long new recovery codes wait, sealed in their cookie, for the page that shows them. */
const CODES_TTL = 300;

/**
 * Ten new recovery codes in place of any old ones. JSON callers get them in
 * the answer; a browser is sent to the Security page, which shows them once
 * (a reload must not post again), carried there sealed in a cookie: only
 * their hashes are ever stored.
 */
async function newCodes(c: Context<AppEnv>, session: Session, answer: object) {
  const codes = newRecoveryCodes();
  const keys = await secondFactorKeys(c);
  const hashes = await Promise.all(codes.map(async (code) => (await keys.hash("recovery", normalizeRecoveryCode(code)))[0]!));
  await storeRecoveryCodes(c.env.DB, session.userKey, hashes);
  if (prefersJSON(c.req.raw)) return c.json({ ...answer, recoveryCodes: codes });
  setAuthCookie(c, "codes", await seal(c.var.keys, "codes", { sid: session.id, c: codes }, CODES_TTL), CODES_TTL);
  return c.redirect(`${c.var.config.basePath}/security`, 303);
}

/** A route that changes an enabled second factor, or steps up: it goes ahead only for a current code. */
const withCode =
  (purpose: "disable" | "renew" | "step_up", then: (c: Context<AppEnv>, session: Session, method: Method) => Response | Promise<Response>) => async (c: Context<AppEnv>) => {
    const session = await requireSession(c);
    const { code = "" } = await readForm(c);
    const record = await enabledSecondFactor(c, session.userKey);
    if (!record) throw new AuthError(409, "second_factor_off", "Two-step verification is not on.");
    const checked = await checkCodeToChange(c, record, code, purpose);
    if (checked.status !== "valid") return refuse(c, refusal(checked), (message) => securityPage(c, session, message));
    return then(c, session, checked.method);
  };

async function securityPage(c: Context<AppEnv>, session: Session, error?: string) {
  return page(c, { page: "security", basePath: c.var.config.basePath, factor: await securityState(c, session), error });
}

/** The session, or for a browser a trip to sign in and back. */
async function sessionOrSignIn(c: Context<AppEnv>): Promise<Session | Response> {
  const session = await getSession(c);
  if (session) return session;
  return notSignedIn(c, { back: `${c.var.config.basePath}/security` });
}

/** WebAuthn request options (`parseRequestOptionsFromJSON`) for one of `passkeys`, with a new challenge. */
async function requestOptions(c: Context<AppEnv>, purpose: "signin" | "step_up", owner: string, passkeys: PasskeyRecord[]) {
  return {
    challenge: await newChallenge(c.env.DB, purpose, owner, nowSeconds()),
    rpId: relyingParty(c.var.origin).id,
    allowCredentials: descriptors(passkeys),
    userVerification: "preferred",
    timeout: 120_000,
  };
}

/** The second-factor prompt: a passkey first when the user has one, then a code. */
async function promptPage(c: Context<AppEnv>, pending: PendingSignIn, error?: string, left?: number) {
  const passkeys = (await listPasskeys(c.env.DB, userKeyOf(pending))).length > 0;
  return page(c, { page: "secondFactor", basePath: c.var.config.basePath, error, left, passkeys });
}

/** The pending sign-in, or a 400: what the second-factor step completes. */
async function requirePendingSignIn(c: Context<AppEnv>): Promise<PendingSignIn> {
  const pending = await readPendingSignIn(c);
  if (!pending) throw new AuthError(400, "pending_signin_missing", "This sign-in has expired. Please sign in again.");
  return pending;
}

// Rate-limit keys: reading them first costs nothing later (the session is
// looked up once per request, and seal.ts remembers the opened verify cookie).
const signInAttempts = limit("second_factor", async (c) => [byIP(c), `user:${userKeyOf(await requirePendingSignIn(c))}`]);
const userAttempts = limit("second_factor", async (c) => [byIP(c), `user:${(await requireSession(c)).userKey}`]);

export const secondFactorRoutes = new Hono<AppEnv>()
  // Between the provider and the session: the code, then the session.
  // `?cancel`: back to sign in, this pending sign-in dropped.
  .get("/2fa", async (c) => {
    // Only our own Cancel link (or the address bar) cancels: another site's link is a top-level GET too.
    const cancel = c.req.query("cancel") !== undefined && ["same-origin", "none", undefined].includes(c.req.header("Sec-Fetch-Site"));
    if (cancel) clearAuthCookie(c, "verify");
    else {
      const pending = await readPendingSignIn(c);
      if (pending) return promptPage(c, pending);
    }
    return c.redirect(`${c.var.config.basePath}/signin`, 302);
  })
  .post("/2fa/verify", signInAttempts, async (c) => {
    const pending = await requirePendingSignIn(c);
    const { code = "", remember_device: rememberThisDevice } = await readForm(c);
    const checked = await checkSignInCode(c, pending, code);
    if (checked.status === "void") {
      clearAuthCookie(c, "verify");
      throw new AuthError(400, "pending_signin_void", "Too many attempts. Please sign in again.");
    }
    if (checked.status !== "valid") {
      return refuse(c, refusal(checked), (message) => promptPage(c, pending, message, checked.left));
    }
    const redirectTo = await completeSecondFactor(c, pending, checked, rememberThisDevice === "1");
    if (prefersJSON(c.req.raw)) return c.json({ signedIn: true, redirectTo });
    return c.redirect(redirectTo, 303);
  })
  // The same with a passkey (the prompt's script): options, then the assertion, JSON both ways.
  .post("/2fa/passkey/options", signInAttempts, async (c) => {
    const pending = await requirePendingSignIn(c);
    const passkeys = await listPasskeys(c.env.DB, userKeyOf(pending));
    if (!passkeys.length) throw new AuthError(404, "passkey_not_found", "There is no passkey for this account: use a code.");
    return c.json(await requestOptions(c, "signin", pending.pid, passkeys));
  })
  .post("/2fa/passkey", signInAttempts, async (c) => {
    const pending = await requirePendingSignIn(c);
    const body = await readJSON(c);
    const checked = await checkSignInPasskey(c, pending, body.credential);
    if (checked.status === "void") {
      clearAuthCookie(c, "verify");
      throw new AuthError(400, "pending_signin_void", "Too many attempts. Please sign in again.");
    }
    if (checked.status === "blocked") throw locked(checked.retryAfter);
    if (checked.status !== "valid") throw new AuthError(400, "passkey_refused", `That passkey was not accepted.${checked.left ? ` ${checked.left} attempts left.` : ""}`);
    const redirectTo = await completeSecondFactor(c, pending, checked, body.remember === true);
    return c.json({ signedIn: true, redirectTo });
  })
  // Enrollment, for someone signed in.
  .get("/security", async (c) => {
    const session = await sessionOrSignIn(c);
    if (session instanceof Response) return session;
    if (prefersJSON(c.req.raw)) {
      const factor = await securityState(c, session);
      return c.json({
        secondFactor: factor.state,
        ...(factor.state === "on" && { recoveryCodesLeft: factor.recoveryCodesLeft, failedAttempts: factor.failedAttempts }),
      });
    }
    // Recovery codes just made: shown this once, their cookie gone with it,
    // and only to the session that made them — not to whoever signs in next.
    const token = readAuthCookie(c, "codes");
    const opened = token && (await open<{ sid: string; c: string[] }>(c.var.keys, "codes", token));
    if (opened && opened.status === "valid" && opened.claims.sid === session.id) {
      clearAuthCookie(c, "codes");
      return page(c, { page: "recoveryCodes", basePath: c.var.config.basePath, codes: opened.claims.c });
    }
    return securityPage(c, session);
  })
  .post("/2fa/setup", async (c) => {
    const session = await requireSession(c);
    const key = newTOTPKey();
    if (!(await putPendingSecondFactor(c.env.DB, session.userKey, await sealTOTPKey(c, key), newDeviceKey(), nowSeconds()))) {
      throw new AuthError(409, "second_factor_on", "Two-step verification is already on.");
    }
    audit("second_factor_enrolled", { user: session.userKey }, c);
    if (prefersJSON(c.req.raw)) {
      return c.json({ otpauthURI: totpURI(new URL(c.var.origin).host, session.user.email ?? session.user.login, key), secret: readableKey(key) });
    }
    return c.redirect(`${c.var.config.basePath}/security`, 303);
  })
  .post("/2fa/enable", userAttempts, async (c) => {
    const session = await requireSession(c);
    const { code = "" } = await readForm(c);
    const record = await findSecondFactor(c.env.DB, session.userKey);
    if (!record || record.enabled_at) throw new AuthError(409, "no_pending_setup", "There is no set-up waiting for a code. Start again.");
    const key = await totpKey(c, record);
    const step = key ? matchingStep(key, code.trim()) : null;
    if (step === null || !(await useTimeStep(c.env.DB, session.userKey, step, { now: nowSeconds() }))) {
      return refuse(c, step === null ? invalidCode : usedCode, (message) => securityPage(c, session, message));
    }
    audit("second_factor_enabled", { user: session.userKey }, c);
    // The code just given is the second factor shown: this session may add passkeys now.
    await stepUp(c, session, amrOf("totp"));
    // Whoever else holds a session of this account signed in without it.
    await endUserSessions(c, session.userKey, { kind: "second_factor_changed", by: session.userKey, except: session.id });
    return newCodes(c, session, { enabled: true });
  })
  // New recovery codes, for a current code; the old ones stop working.
  .post(
    "/2fa/codes",
    userAttempts,
    withCode("renew", (c, session) => {
      audit("recovery_codes_renewed", { user: session.userKey }, c);
      return newCodes(c, session, {});
    }),
  )
  // A second factor shown again, for changes that need it lately (passkeys): a code, or a passkey.
  .post(
    "/2fa/step-up",
    userAttempts,
    withCode("step_up", async (c, session, method) => {
      await stepUp(c, session, amrOf(method));
      if (prefersJSON(c.req.raw)) return c.json({ steppedUp: true });
      return c.redirect(`${c.var.config.basePath}/security`, 303);
    }),
  )
  .post("/2fa/step-up/passkey/options", userAttempts, async (c) => {
    const session = await requireSession(c);
    const passkeys = await listPasskeys(c.env.DB, session.userKey);
    if (!passkeys.length) throw new AuthError(404, "passkey_not_found", "You have no passkey: use a code.");
    return c.json(await requestOptions(c, "step_up", session.id, passkeys));
  })
  .post("/2fa/step-up/passkey", userAttempts, async (c) => {
    const session = await requireSession(c);
    const body = await readJSON(c);
    const record = await enabledSecondFactor(c, session.userKey);
    if (!record) throw new AuthError(409, "second_factor_off", "Two-step verification is not on.");
    const checked = await checkPasskeyToStepUp(c, record, session.id, body.credential);
    if (checked.status === "blocked") throw locked(checked.retryAfter);
    if (checked.status !== "valid") throw new AuthError(400, "passkey_refused", "That passkey was not accepted.");
    await stepUp(c, session, amrOf(checked.method));
    return c.json({ steppedUp: true });
  })
  .post(
    "/2fa/disable",
    userAttempts,
    withCode("disable", async (c, session) => {
      // Its row goes, and with it the device key every remembered device needed.
      await deleteSecondFactor(c.env.DB, session.userKey);
      clearAuthCookie(c, "device");
      audit("second_factor_disabled", { user: session.userKey }, c);
      await endUserSessions(c, session.userKey, { kind: "second_factor_changed", by: session.userKey, except: session.id });
      if (prefersJSON(c.req.raw)) return c.json({ disabled: true });
      return c.redirect(`${c.var.config.basePath}/security`, 303);
    }),
  );

import { userKey } from "../session/user-key";
import type { Context } from "hono";
import { base64url } from "jose";
import { clearAuthCookie, readAuthCookie, setAuthCookie } from "../http/cookies";
import { dataKeyring, LONG_LIVED } from "./data-key";
import type { AppEnv } from "../env";
import { audit } from "../platform/log";
import type { Profile } from "../signin/profile";
import { open, seal } from "../crypto/seal";
import {
  claimAttempt,
  claimCodeCheck,
  findSecondFactor,
  listPasskeys,
  succeedCodeCheck,
  usePasskey,
  useRecoveryCode,
  useTimeStep,
  type BackOff,
  type SecondFactorRecord,
} from "./store";
import { randomToken } from "../crypto/random";
import { newSessionId } from "../session/session";
import type { SignIn } from "../signin/completion";
import type { AppSignIn } from "../signin/handoff";
import { nowSeconds } from "../platform/time";
import { looksLikeRecoveryCode, matchingStep, normalizeRecoveryCode } from "./totp";
import { PasskeyRefused, relyingParty, verifyAssertion } from "./passkeys";
import { authenticatorReader } from "../http/page";

/** How long the second-factor step may take. */
export const PENDING_TTL = 300;
/** Attempts per pending sign-in, right or wrong, before it is void. */
export const MAX_ATTEMPTS = 5;
/**
 * Wrong codes in a row, per user, whichever pending sign-in or form they
 * came through: from the fifth, the next code waits 1, 2, 4 … up to 300
 * seconds; from the twentieth, each locks the second factor for 15 minutes.
 * The five attempts of a pending sign-in alone would let someone holding
 * the first factor start sign-ins and guess forever.
 */
const BACK_OFF: BackOff = { waitAfter: 5, maxWait: 300, lockAfter: 20, lockFor: 15 * 60 };
/** "Remember this device". */
const REMEMBER_DEVICE_TTL = 30 * 86_400;

/** The sign-in waiting for its second factor, sealed in the verify cookie. */
export interface PendingSignIn {
  /** Pending sign-in id: what attempts are counted against. Not a session id. */
  pid: string;
  prv: string;
  usr: Profile;
  pat: string;
  pax: number | null;
  /** The provider's refresh token, until the session that will store it exists. */
  prt: string | null;
  rem: boolean;
  /** Where to go afterwards, already checked by `safeRedirect`. */
  rt: string;
  /** The app origin the sign-in is for, if any. */
  app?: AppSignIn | null;
}

export const userKeyOf = (pending: PendingSignIn) => userKey(pending.prv, pending.usr.id);
export const newDeviceKey = () => randomToken(16);

/** The user's second factor, if it is on. */
export async function enabledSecondFactor(c: Context<AppEnv>, userKey: string): Promise<SecondFactorRecord | null> {
  const record = await findSecondFactor(c.env.DB, userKey);
  return record?.enabled_at ? record : null;
}

/**
 * Wrong codes since the user last signed in with their second factor: those
 * that came before that right code, and those since.
 */
export const failedAttemptsSinceSignIn = (record: SecondFactorRecord) => record.failures_before_success + record.failures;

/** The keys for TOTP keys and recovery codes: the data key first (src/data-key.ts). */
export const secondFactorKeys = (c: Context<AppEnv>) => dataKeyring(c.env.DB, c.var.config.secrets);

/** The TOTP key of a record. */
export async function totpKey(c: Context<AppEnv>, record: SecondFactorRecord): Promise<Uint8Array | null> {
  const opened = await open<{ k: string }>(await secondFactorKeys(c), "totp", record.secret);
  return opened.status === "invalid" ? null : base64url.decode(opened.claims.k);
}

// The key lives as long as the enrollment; the token's own expiry is irrelevant (checked as "not invalid").
export const sealTOTPKey = async (c: Context<AppEnv>, key: Uint8Array) => seal(await secondFactorKeys(c), "totp", { k: base64url.encode(key) }, LONG_LIVED);

/** True when this browser was remembered for this user since their devices were last forgotten. */
export async function isRememberedDevice(c: Context<AppEnv>, userKey: string, record: SecondFactorRecord): Promise<boolean> {
  const token = readAuthCookie(c, "device");
  if (!token) return false;
  const opened = await open<{ sub: string; dk: string }>(c.var.keys, "device", token);
  return opened.status === "valid" && opened.claims.sub === userKey && opened.claims.dk === record.device_key;
}

export async function rememberDevice(c: Context<AppEnv>, userKey: string, deviceKey: string): Promise<void> {
  setAuthCookie(c, "device", await seal(c.var.keys, "device", { sub: userKey, dk: deviceKey }, REMEMBER_DEVICE_TTL), REMEMBER_DEVICE_TTL);
}

/** Seals the pending sign-in into the verify cookie; no session exists yet. */
export async function startPendingSignIn(c: Context<AppEnv>, pending: SignIn): Promise<void> {
  const claims: PendingSignIn = {
    pid: newSessionId(),
    prv: pending.provider,
    usr: pending.profile,
    pat: pending.tokens.accessToken,
    pax: pending.tokens.accessTokenExpiresAt,
    prt: pending.tokens.refreshToken,
    rem: pending.remember,
    rt: pending.redirectTo,
    app: pending.app,
  };
  setAuthCookie(c, "verify", await seal(c.var.keys, "verify", { ...claims }, PENDING_TTL), PENDING_TTL);
}

export async function readPendingSignIn(c: Context<AppEnv>): Promise<PendingSignIn | null> {
  const token = readAuthCookie(c, "verify");
  if (!token) return null;
  const opened = await open<PendingSignIn>(c.var.keys, "verify", token);
  return opened.status === "valid" ? opened.claims : null;
}

/** How the second factor was shown: a code, or a passkey — `hwk` bound to its device, `swk` synced (backed up). */
export type Method = "totp" | "recovery" | "hwk" | "swk";

/** The session's `amr` (RFC 8176) after a second factor shown this way. */
export const amrOf = (method: Method) => [method === "hwk" || method === "swk" ? method : "otp", "mfa"];

/** What came of a code (or passkey) given for an enabled second factor. */
export type CodeCheck =
  | { status: "valid"; method: Method }
  /** `used`: a right TOTP code whose time step was already spent. */
  | { status: "invalid"; used?: boolean }
  /** Too many wrong codes lately: refused without looking at the code. */
  | { status: "blocked"; retryAfter: number };

/** The same for a pending sign-in, which is void once its attempts are spent or the second factor was turned off. */
export type SignInCheck =
  /** `left`: attempts this pending sign-in still has. */
  | (Exclude<CodeCheck, { status: "valid" }> & { left?: number })
  | { status: "valid"; method: Method; deviceKey: string }
  | { status: "void" };

/**
 * Checks a code given to complete a pending sign-in. The user's back-off
 * comes first, so a blocked attempt spends none of the pending sign-in's
 * five.
 */
export const checkSignInCode = (c: Context<AppEnv>, pending: PendingSignIn, input: string) => checkSignIn(c, pending, (record) => matchCode(c, record, input));

/**
 * Checks a passkey's assertion given to complete a pending sign-in, under
 * the same rules as a code: the user's back-off, five attempts per pending
 * sign-in, a failure counted whatever went wrong (each reason audited).
 */
export async function checkSignInPasskey(c: Context<AppEnv>, pending: PendingSignIn, credential: unknown): Promise<SignInCheck> {
  await readerAnswers(c);
  return checkSignIn(c, pending, (record) => matchPasskey(c, record.user_key, pending.pid, credential, "signin"));
}

/**
 * Before anything is counted, the pages Worker (which reads authenticator
 * data) is asked to read nothing: one that is down answers a 503 here,
 * instead of spending the user's attempts on passkeys nobody looked at.
 */
const readerAnswers = (c: Context<AppEnv>) => authenticatorReader(c.env)(new Uint8Array(), "assertion");

async function checkSignIn(c: Context<AppEnv>, pending: PendingSignIn, match: Match): Promise<SignInCheck> {
  const userKey = userKeyOf(pending);
  const record = await enabledSecondFactor(c, userKey);
  if (!record) {
    audit("second_factor_failed", { user: userKey, reason: "second_factor_off" }, c);
    return { status: "void" };
  }
  const claim = await claimCheck(c, userKey, "signin");
  if (claim.status === "blocked") return claim;
  const attempts = await claimAttempt(c.env.DB, pending.pid, nowSeconds() + PENDING_TTL, MAX_ATTEMPTS);
  if (!attempts) {
    // The claim stands: a code was sent for this user and signed nobody in.
    countedFailure(c, userKey, claim, "too_many_attempts");
    return { status: "void" };
  }
  const checked = await checkClaimed(c, record, claim, match, "signin");
  return checked.status === "valid" ? { ...checked, deviceKey: record.device_key } : { ...checked, left: MAX_ATTEMPTS - attempts };
}

/** Checks a code given to turn the second factor off, renew the recovery codes or step up, under the same back-off as sign-ins. */
export async function checkCodeToChange(c: Context<AppEnv>, record: SecondFactorRecord, input: string, purpose: "disable" | "renew" | "step_up"): Promise<CodeCheck> {
  const claim = await claimCheck(c, record.user_key, purpose);
  return claim.status === "blocked" ? claim : checkClaimed(c, record, claim, (record) => matchCode(c, record, input), purpose);
}

/** Checks a passkey's assertion given to step up (a challenge of this session's), under the same back-off. */
export async function checkPasskeyToStepUp(c: Context<AppEnv>, record: SecondFactorRecord, sessionId: string, credential: unknown): Promise<CodeCheck> {
  await readerAnswers(c);
  const claim = await claimCheck(c, record.user_key, "step_up");
  return claim.status === "blocked" ? claim : checkClaimed(c, record, claim, () => matchPasskey(c, record.user_key, sessionId, credential, "step_up"), "step_up");
}

type Claim = { status: "claimed"; failures: number; blockedUntil: number };
type Purpose = "signin" | "disable" | "renew" | "step_up";

/** The audit reason, told apart by where the code was given. */
const reasonFor = (reason: string, purpose: Purpose) => (purpose === "signin" ? reason : `${reason}_to_${purpose}`);

async function claimCheck(c: Context<AppEnv>, userKey: string, purpose: Purpose): Promise<Claim | { status: "blocked"; retryAfter: number }> {
  // Before anything is counted: a data key that cannot be opened is no wrong code.
  await secondFactorKeys(c);
  const now = nowSeconds();
  const claimed = await claimCodeCheck(c.env.DB, userKey, now, BACK_OFF);
  if (claimed) return { status: "claimed", failures: claimed.failures, blockedUntil: claimed.blocked_until };
  // Only for Retry-After: the refusal above already decided.
  const record = await findSecondFactor(c.env.DB, userKey);
  const retryAfter = Math.max(1, (record?.blocked_until ?? 0) - now);
  audit("second_factor_failed", { user: userKey, reason: reasonFor("locked", purpose), retryAfter }, c);
  return { status: "blocked", retryAfter };
}

/** Whether what was given shows the second factor: how, "used" (a right code spent already), or null. */
type Match = (record: SecondFactorRecord) => Promise<Method | "used" | null>;

async function checkClaimed(c: Context<AppEnv>, record: SecondFactorRecord, claim: Claim, match: Match, purpose: Purpose): Promise<CodeCheck> {
  const method = await match(record);
  if (method === "used" || !method) {
    countedFailure(c, record.user_key, claim, reasonFor(method ? "code_used" : "invalid_code", purpose));
    return { status: "invalid", used: !!method };
  }
  await succeedCodeCheck(c.env.DB, record.user_key);
  return { status: "valid", method };
}

function countedFailure(c: Context<AppEnv>, userKey: string, claim: Claim, reason: string): void {
  audit("second_factor_failed", { user: userKey, reason, failures: claim.failures }, c);
  if (claim.failures >= BACK_OFF.lockAfter) {
    audit("second_factor_locked", { user: userKey, failures: claim.failures, until: new Date(claim.blockedUntil * 1000).toISOString() }, c);
  }
}

/**
 * Whether an assertion comes from one of the user's passkeys, for a
 * challenge of this pending sign-in; each refusal audited with its reason.
 */
async function matchPasskey(c: Context<AppEnv>, userKey: string, owner: string, credential: unknown, purpose: "signin" | "step_up"): Promise<Method | null> {
  const now = nowSeconds();
  try {
    const passkeys = await listPasskeys(c.env.DB, userKey);
    const proved = await verifyAssertion(c.env.DB, authenticatorReader(c.env), credential ?? {}, passkeys, relyingParty(c.var.origin), purpose, owner, now);
    if (!(await usePasskey(c.env.DB, proved.id, userKey, proved.counter, proved.backedUp, now))) throw new PasskeyRefused("counter_regression");
    return proved.backedUp ? "swk" : "hwk";
  } catch (error) {
    if (!(error instanceof PasskeyRefused)) throw error;
    audit("passkey_refused", { user: userKey, reason: error.message }, c);
    return null;
  }
}

/**
 * Whether a code matches the user's second factor: a TOTP code (each usable
 * once: its time step is recorded with one conditional statement; "used"
 * when it was) or a recovery code (spent with one conditional delete).
 */
async function matchCode(c: Context<AppEnv>, record: SecondFactorRecord, input: string): Promise<"totp" | "recovery" | "used" | null> {
  const code = input.trim().replace(/\s/g, "");
  if (/^\d{6}$/.test(code)) {
    const key = await totpKey(c, record);
    const step = key ? matchingStep(key, code) : null;
    if (step === null) return null;
    return (await useTimeStep(c.env.DB, record.user_key, step, null)) ? "totp" : "used";
  }
  if (looksLikeRecoveryCode(code)) {
    const hashes = await (await secondFactorKeys(c)).hash("recovery", normalizeRecoveryCode(code));
    return (await useRecoveryCode(c.env.DB, record.user_key, hashes)) ? "recovery" : null;
  }
  return null;
}

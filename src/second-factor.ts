import type { Context } from "hono";
import { base64url } from "jose";
import { clearAuthCookie, readAuthCookie, setAuthCookie } from "./cookies";
import type { AppEnv } from "./env";
import type { Profile } from "./profile";
import type { ProviderTokens } from "./providers/types";
import { open, seal } from "./seal";
import {
  claimAttempt,
  completePendingSignIn,
  findSecondFactor,
  useRecoveryCode,
  useTimeStep,
  type SecondFactorRecord,
} from "./second-factor-store";
import { randomToken } from "./random";
import { newSessionId } from "./session";
import { nowSeconds } from "./time";
import { looksLikeRecoveryCode, matchingStep, normalizeRecoveryCode } from "./totp";

/** How long the second-factor step may take. */
export const PENDING_TTL = 300;
/** Attempts per pending sign-in, right or wrong, before it is void. */
export const MAX_ATTEMPTS = 5;
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
}

export const userKeyOf = (pending: PendingSignIn) => `${pending.prv}:${pending.usr.id}`;
export const newDeviceKey = () => randomToken(16);

/** The user's second factor, if it is on. */
export async function enabledSecondFactor(c: Context<AppEnv>, userKey: string): Promise<SecondFactorRecord | null> {
  const record = await findSecondFactor(c.env.DB, userKey);
  return record?.enabled_at ? record : null;
}

/** The TOTP key of a record. */
export async function totpKey(c: Context<AppEnv>, record: SecondFactorRecord): Promise<Uint8Array | null> {
  const opened = await open<{ k: string }>(c.var.keys, "totp", record.secret);
  return opened.status === "invalid" ? null : base64url.decode(opened.claims.k);
}

export const sealTOTPKey = (c: Context<AppEnv>, key: Uint8Array) =>
  // The key lives as long as the enrollment; the token's own expiry is irrelevant (checked as "not invalid").
  seal(c.var.keys, "totp", { k: base64url.encode(key) }, 100 * 365 * 86_400);

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
export async function startPendingSignIn(
  c: Context<AppEnv>,
  pending: { provider: string; profile: Profile; tokens: ProviderTokens; remember: boolean; redirectTo: string },
): Promise<void> {
  const claims: PendingSignIn = {
    pid: newSessionId(),
    prv: pending.provider,
    usr: pending.profile,
    pat: pending.tokens.accessToken,
    pax: pending.tokens.accessTokenExpiresAt,
    prt: pending.tokens.refreshToken,
    rem: pending.remember,
    rt: pending.redirectTo,
  };
  setAuthCookie(c, "verify", await seal(c.var.keys, "verify", { ...claims }, PENDING_TTL), PENDING_TTL);
}

export async function readPendingSignIn(c: Context<AppEnv>): Promise<PendingSignIn | null> {
  const token = readAuthCookie(c, "verify");
  if (!token) return null;
  const opened = await open<PendingSignIn>(c.var.keys, "verify", token);
  return opened.status === "valid" ? opened.claims : null;
}

/** Counts one attempt at the pending sign-in; false once it is void. */
export const claimPendingAttempt = (c: Context<AppEnv>, pending: PendingSignIn) =>
  claimAttempt(c.env.DB, pending.pid, nowSeconds() + PENDING_TTL, MAX_ATTEMPTS);

/** The verify cookie is spent: it can never complete a sign-in again. */
export async function finishPendingSignIn(c: Context<AppEnv>, pending: PendingSignIn): Promise<void> {
  await completePendingSignIn(c.env.DB, pending.pid, MAX_ATTEMPTS);
  clearAuthCookie(c, "verify");
}

/**
 * Checks a code against the user's second factor: a TOTP code (each usable
 * once: its time step is recorded with one conditional statement) or a
 * recovery code (spent with one conditional delete). Returns which kind
 * matched, or null.
 */
export async function checkCode(c: Context<AppEnv>, record: SecondFactorRecord, input: string): Promise<"totp" | "recovery" | null> {
  const code = input.trim().replace(/\s/g, "");
  if (/^\d{6}$/.test(code)) {
    const key = await totpKey(c, record);
    const step = key ? matchingStep(key, code) : null;
    if (step === null) return null;
    return (await useTimeStep(c.env.DB, record.user_key, step, null)) ? "totp" : null;
  }
  if (looksLikeRecoveryCode(code)) {
    const hashes = await c.var.keys.hash("recovery", normalizeRecoveryCode(code));
    return (await useRecoveryCode(c.env.DB, record.user_key, hashes)) ? "recovery" : null;
  }
  return null;
}

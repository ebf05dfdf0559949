import { encodeBase32NoPadding } from "@oslojs/encoding";
import { createTOTPKeyURI, generateHOTP } from "@oslojs/otp";

/** RFC 6238 as authenticator apps expect it: SHA-1, six digits, 30-second steps. */
const PERIOD = 30;
const DIGITS = 6;
/** Codes from the step before and after are accepted too (clock drift). */
const DRIFT_STEPS = 1;

/** A new 160-bit TOTP key (RFC 4226 recommends 160 bits for SHA-1). */
export const newTOTPKey = () => crypto.getRandomValues(new Uint8Array(20));

export const totpURI = (issuer: string, account: string, key: Uint8Array) => createTOTPKeyURI(issuer, account, key, PERIOD, DIGITS);

/** The key as people type it into an authenticator app, in groups of four. */
export const readableKey = (key: Uint8Array) => encodeBase32NoPadding(key).replace(/(.{4})(?=.)/g, "$1 ");

export const timeStep = (now = Date.now()) => Math.floor(now / 1000 / PERIOD);

function sameDigits(a: string, b: string): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/**
 * The time step whose code `code` is (now, or one step either side), or
 * null. The caller must still make sure that step's code was not used before.
 */
export function matchingStep(key: Uint8Array, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const current = timeStep(now);
  for (let step = Math.max(0, current - DRIFT_STEPS); step <= current + DRIFT_STEPS; step++) {
    if (sameDigits(generateHOTP(key, BigInt(step), DIGITS), code)) return step;
  }
  return null;
}

/** Crockford's base32 alphabet, lower case: no i, l, o or u to misread. */
const RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** Ten recovery codes like `k7m2p-x9qtr`: 50 random bits each. */
export function newRecoveryCodes(count = 10): string[] {
  return Array.from({ length: count }, () => {
    const bytes = crypto.getRandomValues(new Uint8Array(10));
    const chars = Array.from(bytes, (b) => RECOVERY_ALPHABET[b & 31]).join("");
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** A typed recovery code as stored: lower case, no spaces or dashes. */
export const normalizeRecoveryCode = (input: string) => input.toLowerCase().replace(/[\s-]/g, "");
export const looksLikeRecoveryCode = (input: string) => /^[0-9a-hjkmnp-tv-z]{10}$/.test(normalizeRecoveryCode(input));

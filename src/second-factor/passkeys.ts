import { base64url } from "jose";
import type { AuthenticatorReading } from "../../pages/src/webauthn";
import { sha256, sha256Bytes } from "../crypto/digest";
import { randomToken } from "../crypto/random";
import { putChallenge, takeChallenge, type PasskeyRecord } from "./store";

/** A challenge is good for two minutes, once. */
const CHALLENGE_TTL = 120;
/** What the ceremony is for: a challenge of one is never accepted for the other. */
export type CeremonyPurpose = "register" | "signin" | "step_up";

/** Where a ceremony must have happened: the page's origin, and the relying party id (its host name). */
export interface RelyingParty {
  origin: string;
  id: string;
}

export const relyingParty = (origin: string): RelyingParty => ({ origin, id: new URL(origin).hostname });

/** Why a passkey was refused: audited as the reason, answered as one message. */
export class PasskeyRefused extends Error {}

const refuse = (reason: string): never => {
  throw new PasskeyRefused(reason);
};

/** A new challenge for `owner` (a user key, a pending sign-in id), stored only as its hash. */
export async function newChallenge(db: D1Database, purpose: CeremonyPurpose, owner: string, now: number): Promise<string> {
  const challenge = randomToken(32);
  await putChallenge(db, await sha256(challenge), purpose, owner, now + CHALLENGE_TTL);
  return challenge;
}

const decode = (value: unknown, name: string): Uint8Array => {
  if (typeof value !== "string" || value.length > 8192) return refuse(`${name}_malformed`);
  try {
    return base64url.decode(value);
  } catch {
    return refuse(`${name}_malformed`);
  }
};

/**
 * The client data of a ceremony (its JSON, as WebAuthn defines it): its
 * type, this origin (never a frame of another), and a challenge of ours for
 * this purpose and owner — spent here, whatever follows, so no response is
 * ever accepted twice.
 */
async function checkClientData(db: D1Database, encoded: Uint8Array, type: "webauthn.create" | "webauthn.get", rp: RelyingParty, purpose: CeremonyPurpose, owner: string, now: number): Promise<void> {
  let data: { type?: unknown; origin?: unknown; crossOrigin?: unknown; challenge?: unknown } | null;
  try {
    data = JSON.parse(new TextDecoder().decode(encoded));
  } catch {
    return refuse("client_data_malformed");
  }
  if (data?.type !== type) refuse("wrong_ceremony");
  if (data!.origin !== rp.origin || data!.crossOrigin === true) refuse("wrong_origin");
  // The challenge comes back as we gave it: base64url, no padding.
  if (typeof data!.challenge !== "string" || !(await takeChallenge(db, await sha256(data!.challenge), purpose, owner, now))) refuse("challenge_unknown");
}

/** Bits 3 and 4 of the flags byte: may be backed up (synced), and is. */
const backupFlags = (authenticatorData: Uint8Array) => ({ eligible: (authenticatorData[32]! & 0x08) !== 0, backedUp: (authenticatorData[32]! & 0x10) !== 0 });

/**
 * Reads an attestation object or an assertion's authenticator data: the
 * pages Worker's `readAuthenticator`, where the CBOR libraries live. Null:
 * malformed. Throws (a 503) when that Worker cannot be asked.
 */
export type AuthenticatorReader = (bytes: Uint8Array, kind: "attestation" | "assertion") => Promise<AuthenticatorReading | null>;

/** COSE algorithm identifiers (RFC 9053) of the keys accepted. */
const ES256 = -7;

async function readChecked(read: AuthenticatorReader, bytes: Uint8Array, kind: "attestation" | "assertion", rp: RelyingParty): Promise<AuthenticatorReading> {
  const reading = (await read(bytes, kind)) ?? refuse(kind === "attestation" ? "attestation_malformed" : "authenticator_data_malformed");
  const rpIdHash = await sha256Bytes(rp.id);
  if (reading.rpIdHash.length !== 32 || reading.rpIdHash.some((byte, i) => byte !== rpIdHash[i])) refuse("wrong_relying_party");
  if (!reading.userPresent) refuse("user_not_present");
  return reading;
}

const TRANSPORTS = new Set(["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"]);

/**
 * Checks a registration (a `PublicKeyCredential`'s `toJSON()`, attestation
 * "none": who made the authenticator is not checked) and returns the
 * passkey to store. ES256 and Ed25519 keys only.
 */
export async function verifyRegistration(
  db: D1Database,
  read: AuthenticatorReader,
  credential: { response?: { clientDataJSON?: unknown; attestationObject?: unknown; transports?: unknown } },
  rp: RelyingParty,
  userKey: string,
  now: number,
): Promise<Omit<PasskeyRecord, "name">> {
  const response = credential.response ?? {};
  await checkClientData(db, decode(response.clientDataJSON, "client_data"), "webauthn.create", rp, "register", userKey, now);
  // Attestation "none": only the authenticator data matters, not who made the authenticator.
  const reading = await readChecked(read, decode(response.attestationObject, "attestation"), "attestation", rp);
  const made = reading.credential ?? refuse("no_credential");
  // WebAuthn's own bound: the id is repeated in every later ceremony.
  if (made.id.length > 1023) refuse("credential_id_too_long");
  const key = made.key ?? refuse("unsupported_key");
  await usableKey(key.jwk);
  const transports = Array.isArray(response.transports) ? response.transports.filter((name): name is string => TRANSPORTS.has(name as string)) : [];
  const backup = backupFlags(reading.data);
  return {
    id: base64url.encode(made.id),
    user_key: userKey,
    public_key: JSON.stringify(key.jwk),
    algorithm: key.algorithm,
    sign_count: reading.counter,
    transports: [...new Set(transports)].join(","),
    backup_eligible: backup.eligible ? 1 : 0,
    backed_up: backup.backedUp ? 1 : 0,
    aaguid: Array.from(made.aaguid, (byte) => byte.toString(16).padStart(2, "0")).join(""),
    created_at: now,
    last_used_at: null,
  };
}

/**
 * Ed25519 points of small order (libsodium's list, the sign bit aside): a
 * "public key" among them lets anyone forge a signature that verifies.
 */
const SMALL_ORDER = [
  "00".repeat(32),
  `01${"00".repeat(31)}`,
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  ...["ec", "ed", "ee"].map((low) => `${low}${"ff".repeat(30)}7f`),
];

/** A key WebCrypto imports (so a P-256 point on the curve), and for Ed25519 32 bytes of no small order. */
async function usableKey(jwk: JsonWebKey): Promise<void> {
  try {
    await crypto.subtle.importKey("jwk", jwk, jwk.kty === "EC" ? { name: "ECDSA", namedCurve: "P-256" } : { name: "Ed25519" }, false, ["verify"]);
  } catch {
    refuse("unsupported_key");
  }
  if (jwk.kty === "OKP") {
    const x = base64url.decode(jwk.x!);
    const hex = Array.from(x, (byte, i) => (i === 31 ? byte & 0x7f : byte).toString(16).padStart(2, "0")).join("");
    if (x.length !== 32 || SMALL_ORDER.includes(hex)) refuse("unsupported_key");
  }
}

/** What an assertion proved: which passkey, its new counter and backup state. */
export interface Assertion {
  id: string;
  counter: number;
  backedUp: boolean;
}

/**
 * Checks an assertion (a `PublicKeyCredential`'s `toJSON()`) for one of
 * `passkeys` — the user's own: any other credential is unknown — against a
 * challenge of `owner`'s. The counter is compared when it is stored
 * (`usePasskey`), in the same statement that records the use.
 */
export async function verifyAssertion(
  db: D1Database,
  read: AuthenticatorReader,
  credential: { id?: unknown; response?: { clientDataJSON?: unknown; authenticatorData?: unknown; signature?: unknown } },
  passkeys: PasskeyRecord[],
  rp: RelyingParty,
  purpose: Exclude<CeremonyPurpose, "register">,
  owner: string,
  now: number,
): Promise<Assertion> {
  const response = credential.response ?? {};
  const clientDataJSON = decode(response.clientDataJSON, "client_data");
  await checkClientData(db, clientDataJSON, "webauthn.get", rp, purpose, owner, now);
  const passkey = passkeys.find((candidate) => candidate.id === credential.id) ?? refuse("passkey_unknown");
  const authenticatorData = decode(response.authenticatorData, "authenticator_data");
  const reading = await readChecked(read, authenticatorData, "assertion", rp);
  // What the authenticator signed: its data, then the client data's SHA-256.
  const message = new Uint8Array([...authenticatorData, ...(await sha256Bytes(clientDataJSON))]);
  if (!(await verifySignature(passkey, decode(response.signature, "signature"), message))) refuse("bad_signature");
  return { id: passkey.id, counter: reading.counter, backedUp: backupFlags(authenticatorData).backedUp };
}

async function verifySignature(passkey: PasskeyRecord, signature: Uint8Array, message: Uint8Array): Promise<boolean> {
  const jwk = JSON.parse(passkey.public_key) as JsonWebKey;
  try {
    if (passkey.algorithm === ES256) {
      const raw = ecdsaRaw(signature);
      if (!raw) return false;
      const key = await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
      return await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, raw, message);
    }
    const key = await crypto.subtle.importKey("jwk", jwk, { name: "Ed25519" }, false, ["verify"]);
    return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
  } catch {
    return false;
  }
}

/**
 * A WebAuthn ES256 signature is DER (`SEQUENCE { INTEGER r, INTEGER s }`);
 * WebCrypto verifies r‖s, 32 bytes each. Null for anything else.
 */
function ecdsaRaw(der: Uint8Array): Uint8Array | null {
  if (der[0] !== 0x30 || der[1] !== der.length - 2) return null;
  const raw = new Uint8Array(64);
  let at = 2;
  for (let half = 0; half < 2; half++) {
    if (der[at] !== 0x02) return null;
    const length = der[at + 1]!;
    let integer = der.subarray(at + 2, at + 2 + length);
    at += 2 + length;
    while (integer.length > 32 && integer[0] === 0) integer = integer.subarray(1);
    if (integer.length === 0 || integer.length > 32) return null;
    raw.set(integer, half * 32 + 32 - integer.length);
  }
  return at === der.length ? raw : null;
}

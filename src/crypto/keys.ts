import { base64url, type JWK } from "jose";
import { sha256 } from "./digest";

/** Every use of the secret gets its own key, so a key can never be used for another job. */
export type KeyPurpose = "session" | "flow" | "verify" | "device" | "provider-token" | "totp" | "data-key" | "codes" | "handoff" | "bound-challenge" | "bound-claims";
/** Purposes that need an HMAC key rather than an encryption key. */
export type HashPurpose = "refresh" | "rotation" | "recovery";
const HASH_PURPOSES: ReadonlySet<string> = new Set<HashPurpose>(["refresh", "rotation", "recovery"]);

const SALT = new TextEncoder().encode("edge-session-worker/v1");
const info = (label: string) => new TextEncoder().encode(label);

interface SecretKeys {
  kid: string;
  base: CryptoKey;
  derived: Map<string, Promise<CryptoKey>>;
}

/** An Ed25519 key pair for the identity assertion and bearer tokens. */
export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  /** The public half, for verifying our own tokens… */
  publicKey: CryptoKey;
  /** …and as published in the JWKS. */
  jwk: JWK;
}

// PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410): WebCrypto
// imports private keys only in a container, and this is the fixed prefix.
const ED25519_PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

/**
 * An OKP or EC key's RFC 7638 thumbprint: SHA-256 of its required members
 * in lexicographic order (`y` only for EC), base64url. What jose's
 * calculateJwkThumbprint gives (test/worker/keys.test.ts compares them),
 * without its handling of every other key type in the bundle.
 */
export const thumbprint = ({ crv, kty, x, y }: JWK) => sha256(JSON.stringify({ crv, kty, x, y }));

async function signingKeyFrom(base: CryptoKey): Promise<SigningKey> {
  const seed = new Uint8Array(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: SALT, info: info("ed25519:signing") }, base, 256));
  const pkcs8 = new Uint8Array(ED25519_PKCS8_PREFIX.length + seed.length);
  pkcs8.set(ED25519_PKCS8_PREFIX);
  pkcs8.set(seed, ED25519_PKCS8_PREFIX.length);
  const extractable = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
  const { kty, crv, x } = (await crypto.subtle.exportKey("jwk", extractable)) as JWK;
  const publicJwk: JWK = { kty, crv, x };
  const kid = await thumbprint(publicJwk);
  // Keep only a non-extractable copy for signing.
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
  const publicKey = await crypto.subtle.importKey("jwk", publicJwk as JsonWebKey, { name: "Ed25519" }, true, ["verify"]);
  return { kid, privateKey, publicKey, jwk: { ...publicJwk, kid, alg: "EdDSA", use: "sig" } };
}

export interface KeyEntry {
  kid: string;
  key: CryptoKey;
}

/**
 * The keys derived from `AUTH_SECRET`: one entry per listed secret, newest
 * first. Sealing always uses the newest; opening looks a key up by the
 * `kid` in the token header, so rotation needs no trial decryption.
 */
export class Keyring {
  private signing: Promise<SigningKey[]> | undefined;
  private readonly ready = new Map<string, CryptoKey>();

  private constructor(private readonly secrets: SecretKeys[]) {}

  static async create(secrets: string[]): Promise<Keyring> {
    const entries = await Promise.all(
      secrets.map(async (secret): Promise<SecretKeys> => {
        const base = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), "HKDF", false, ["deriveBits", "deriveKey"]);
        const bits = await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: SALT, info: info("kid") }, base, 48);
        return { kid: base64url.encode(new Uint8Array(bits)), base, derived: new Map() };
      }),
    );
    return new Keyring(entries);
  }

  private key(entry: SecretKeys, purpose: KeyPurpose | HashPurpose): Promise<CryptoKey> {
    let key = entry.derived.get(purpose);
    if (!key) {
      const hmac = HASH_PURPOSES.has(purpose);
      key = crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: SALT, info: info(`${hmac ? "hmac" : "aes-gcm"}:${purpose}`) },
        entry.base,
        hmac ? { name: "HMAC", hash: "SHA-256", length: 256 } : { name: "AES-GCM", length: 256 },
        false,
        hmac ? ["sign"] : ["encrypt", "decrypt"],
      );
      entry.derived.set(purpose, key);
    }
    return key;
  }

  /**
   * HMAC-SHA-256 of `value` under each configured secret's key for
   * `purpose`, newest first, base64url: stored hashes are made with the
   * first, and matched against all, so a record hashed before a secret
   * rotation still matches.
   */
  async hash(purpose: HashPurpose, value: string): Promise<string[]> {
    const data = new TextEncoder().encode(value);
    return Promise.all(
      this.secrets.map(async (entry) => base64url.encode(new Uint8Array(await crypto.subtle.sign("HMAC", await this.key(entry, purpose), data)))),
    );
  }

  /** The newest secret's key, for sealing. */
  async current(purpose: KeyPurpose): Promise<KeyEntry> {
    const entry = this.secrets[0]!;
    return { kid: entry.kid, key: await this.key(entry, purpose) };
  }

  /**
   * Ed25519 signing keys, one per configured secret, newest first: tokens
   * are signed with the first, and all are published so tokens signed
   * before a rotation still verify.
   */
  signingKeys(): Promise<SigningKey[]> {
    this.signing ??= Promise.all(this.secrets.map((entry) => signingKeyFrom(entry.base)));
    return this.signing;
  }

  /**
   * Whether a compact JWS or JWE names one of our keys (any configured
   * secret's, sealing or signing) in its header — whether it is ours to
   * judge, valid or not, rather than someone else's credential that merely
   * travels in the same header. Nothing is verified here.
   */
  async issued(token: string): Promise<boolean> {
    let kid: unknown;
    try {
      kid = JSON.parse(new TextDecoder().decode(base64url.decode(token.slice(0, token.indexOf(".")).replace(/=+$/, "")))).kid;
    } catch {
      return false;
    }
    if (typeof kid !== "string") return false;
    return this.secrets.some((entry) => entry.kid === kid) || (await this.signingKeys()).some((key) => key.kid === kid);
  }

  /**
   * The key for a `kid`, or undefined when that secret is no longer
   * configured. Once derived, a key is returned without awaiting anything:
   * this runs for every request.
   */
  find(purpose: KeyPurpose, kid: string): CryptoKey | Promise<CryptoKey | undefined> | undefined {
    const ready = this.ready.get(`${purpose}:${kid}`);
    if (ready) return ready;
    const entry = this.secrets.find((candidate) => candidate.kid === kid);
    if (!entry) return undefined;
    return this.key(entry, purpose).then((key) => {
      this.ready.set(`${purpose}:${kid}`, key);
      return key;
    });
  }
}

// Derived once per isolate, not per request.
const keyrings = new Map<string, Promise<Keyring>>();

export function getKeyring(secrets: string[]): Promise<Keyring> {
  const id = secrets.join("\n");
  let keyring = keyrings.get(id);
  if (!keyring) {
    keyring = Keyring.create(secrets);
    keyrings.set(id, keyring);
  }
  return keyring;
}

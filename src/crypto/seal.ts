import { CompactEncrypt, compactDecrypt, type CompactJWEHeaderParameters, type JWTPayload } from "jose";
import type { KeyPurpose, Keyring } from "./keys";
import { nowSeconds } from "../platform/time";

/** Tokens longer than any cookie we issue are refused before any crypto. */
const MAX_TOKEN_LENGTH = 4096;
// We never compress, so a `zip` header can only be an attack (a decompression bomb, or CRIME-style probing).
const OPTIONS = { keyManagementAlgorithms: ["dir"], contentEncryptionAlgorithms: ["A256GCM"], maxDecompressedLength: 0 };

/** Seals claims into a compact JWE (`dir` + `A256GCM`) under the newest key for `purpose`. */
export async function seal(keys: Keyring, purpose: KeyPurpose, claims: JWTPayload, ttlSeconds: number): Promise<string> {
  const { kid, key } = await keys.current(purpose);
  const now = nowSeconds();
  // A JWT's claims, checked by `open` itself: jose's JWT layer would add nothing here.
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ ...claims, iat: now, exp: now + ttlSeconds })))
    .setProtectedHeader({ alg: "dir", enc: "A256GCM", kid })
    .encrypt(key);
}

export type Opened<T> =
  | { status: "valid"; claims: T & JWTPayload }
  /** Authentic but past `exp`: still useful to renew a session. */
  | { status: "expired"; claims: T & JWTPayload }
  | { status: "invalid"; reason: "malformed" | "unknown_key" };

class UnknownKey extends Error {}

/** Five base64url segments (the second, the encrypted key, empty for `dir`). */
const COMPACT_JWE = /^[\w-]+\.\.[\w-]+\.[\w-]+\.[\w-]+$/;
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * True when every segment is canonical base64url. A segment's last
 * character can carry unused low bits; decoders ignore them, so without
 * this check one token would have many spellings that all open.
 */
function isCanonical(token: string): boolean {
  let start = 0;
  for (;;) {
    const dot = token.indexOf(".", start);
    const end = dot === -1 ? token.length : dot;
    const length = end - start;
    const unused = length % 4 === 2 ? 15 : length % 4 === 3 ? 3 : 0;
    if (length % 4 === 1 || (unused && B64URL.indexOf(token[end - 1]!) & unused)) return false;
    if (dot === -1) return true;
    start = dot + 1;
  }
}

const decoder = new TextDecoder();

/**
 * Tokens already opened in this isolate, by keyring, purpose and exact
 * (canonical) spelling. A browser presents the same session cookie on every
 * request until it is renewed, so most requests an isolate serves skip the
 * decryption and JSON parsing. Only authentic tokens are remembered, `exp`
 * is still checked on every use, and a new keyring (a changed AUTH_SECRET)
 * starts empty. Revocation is unaffected: it is checked per request.
 */
const remembered = new WeakMap<Keyring, Map<string, JWTPayload>>();
const REMEMBER_AT_MOST = 1000;

function rememberedFor(keys: Keyring): Map<string, JWTPayload> {
  let map = remembered.get(keys);
  if (!map) {
    map = new Map();
    remembered.set(keys, map);
  }
  return map;
}

function withStatus<T>(claims: JWTPayload): Opened<T> {
  const status = (claims.exp as number) > nowSeconds() ? "valid" : "expired";
  return { status, claims: claims as T & JWTPayload };
}

/**
 * Opens a token sealed by `seal` for the same purpose. Only `dir`/`A256GCM`
 * with a known `kid`, spelled canonically, is accepted; anything else —
 * tampered, truncated, foreign, another algorithm, no `exp` — is "invalid",
 * never an exception. jose's compactDecrypt does the JOSE work; the one
 * claim we rely on, `exp`, is checked here (this is the hot path of every
 * request, and a full JWT claims validation would cost more than it adds).
 */
export async function open<T extends object>(keys: Keyring, purpose: KeyPurpose, token: string): Promise<Opened<T>> {
  if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWE.test(token) || !isCanonical(token)) return { status: "invalid", reason: "malformed" };
  const cache = rememberedFor(keys);
  const cacheKey = `${purpose}:${token}`;
  const known = cache.get(cacheKey);
  if (known) return withStatus<T>(known);
  let plaintext: Uint8Array;
  try {
    ({ plaintext } = await compactDecrypt(
      token,
      (header: CompactJWEHeaderParameters) => {
        const key = typeof header.kid === "string" ? keys.find(purpose, header.kid) : undefined;
        if (!key) throw new UnknownKey();
        return key instanceof Promise ? key.then((found) => found ?? Promise.reject(new UnknownKey())) : key;
      },
      OPTIONS,
    ));
  } catch (error) {
    return { status: "invalid", reason: error instanceof UnknownKey ? "unknown_key" : "malformed" };
  }
  let claims: unknown;
  try {
    claims = JSON.parse(decoder.decode(plaintext));
  } catch {
    return { status: "invalid", reason: "malformed" };
  }
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) return { status: "invalid", reason: "malformed" };
  if (typeof (claims as JWTPayload).exp !== "number") return { status: "invalid", reason: "malformed" };
  if (cache.size >= REMEMBER_AT_MOST) cache.delete(cache.keys().next().value!);
  // Shared by every later request that presents the token: nobody may change it.
  for (const value of Object.values(claims)) if (typeof value === "object" && value !== null) Object.freeze(value);
  cache.set(cacheKey, Object.freeze(claims) as JWTPayload);
  return withStatus<T>(claims as JWTPayload);
}

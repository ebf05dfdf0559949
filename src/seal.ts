import { EncryptJWT, errors, jwtDecrypt, type CompactJWEHeaderParameters, type JWTPayload } from "jose";
import type { KeyPurpose, Keyring } from "./keys";

/** Tokens longer than any cookie we issue are refused before any crypto. */
const MAX_TOKEN_LENGTH = 4096;
// We never compress, so a `zip` header can only be an attack (a decompression bomb, or CRIME-style probing).
const OPTIONS = { keyManagementAlgorithms: ["dir"], contentEncryptionAlgorithms: ["A256GCM"], requiredClaims: ["exp"], maxDecompressedLength: 0 };

/** Seals claims into a compact JWE (`dir` + `A256GCM`) under the newest key for `purpose`. */
export async function seal(keys: Keyring, purpose: KeyPurpose, claims: JWTPayload, ttlSeconds: number): Promise<string> {
  const { kid, key } = await keys.current(purpose);
  const now = Math.floor(Date.now() / 1000);
  return new EncryptJWT(claims)
    .setProtectedHeader({ alg: "dir", enc: "A256GCM", kid })
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .encrypt(key);
}

export type Opened<T> =
  | { status: "valid"; claims: T & JWTPayload }
  /** Authentic but past `exp`: still useful to renew a session. */
  | { status: "expired"; claims: T & JWTPayload }
  | { status: "invalid"; reason: "malformed" | "unknown_key" };

class UnknownKey extends Error {}

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * True when every segment is canonical base64url. A segment's last
 * character can carry unused low bits; decoders ignore them, so without
 * this check one token would have many spellings that all open.
 */
function isCanonical(token: string): boolean {
  for (const segment of token.split(".")) {
    if (!/^[\w-]*$/.test(segment)) return false;
    const unused = segment.length % 4 === 2 ? 15 : segment.length % 4 === 3 ? 3 : 0;
    if (unused && B64URL.indexOf(segment[segment.length - 1]!) & unused) return false;
  }
  return true;
}

/**
 * Opens a token sealed by `seal` for the same purpose. Only `dir`/`A256GCM`
 * with a known `kid`, spelled canonically, is accepted; anything else —
 * tampered, truncated, foreign, another algorithm — is "invalid", never an
 * exception.
 */
export async function open<T extends object>(keys: Keyring, purpose: KeyPurpose, token: string): Promise<Opened<T>> {
  if (token.length > MAX_TOKEN_LENGTH || !isCanonical(token)) return { status: "invalid", reason: "malformed" };
  try {
    const { payload } = await jwtDecrypt(
      token,
      async (header: CompactJWEHeaderParameters) => {
        const key = typeof header.kid === "string" ? await keys.find(purpose, header.kid) : undefined;
        if (!key) throw new UnknownKey();
        return key;
      },
      OPTIONS,
    );
    return { status: "valid", claims: payload as T & JWTPayload };
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { status: "expired", claims: error.payload as T & JWTPayload };
    if (error instanceof UnknownKey) return { status: "invalid", reason: "unknown_key" };
    return { status: "invalid", reason: "malformed" };
  }
}

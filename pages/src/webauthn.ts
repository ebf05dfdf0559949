import { decodeCBORToNativeValueNoLeftoverBytes } from "@oslojs/cbor";
import { encodeBase64urlNoPadding as base64url } from "@oslojs/encoding";
import { coseAlgorithmEdDSA, coseAlgorithmES256, coseEllipticCurveEd25519, coseEllipticCurveP256, parseAuthenticatorData, type COSEPublicKey } from "@oslojs/webauthn";

/**
 * What an authenticator's data says, read and nothing more: the session
 * worker checks it (relying party, user presence, the key WebCrypto takes,
 * the counter) in src/second-factor/passkeys.ts. Reading CBOR and COSE is
 * here, off the request path, because those libraries would not fit the
 * session worker's bundle.
 */
export interface AuthenticatorReading {
  /** The authenticator data itself (from inside the attestation object, for a registration). */
  data: Uint8Array;
  rpIdHash: Uint8Array;
  userPresent: boolean;
  counter: number;
  /** The credential a registration made; absent from an assertion's data. */
  credential?: {
    id: Uint8Array;
    aaguid: Uint8Array;
    /** Its public key as a JWK with its COSE algorithm; null: neither ES256 on P-256 nor Ed25519. */
    key: { algorithm: number; jwk: JsonWebKey } | null;
  };
}

/**
 * Reads a registration's attestation object (attestation "none": only its
 * authenticator data matters) or an assertion's authenticator data. Null
 * when it is malformed.
 */
export function readAuthenticator(bytes: Uint8Array, kind: "attestation" | "assertion"): AuthenticatorReading | null {
  try {
    let data = bytes;
    if (kind === "attestation") {
      const attestation = decodeCBORToNativeValueNoLeftoverBytes(bytes, 4) as { authData?: unknown };
      if (!(attestation.authData instanceof Uint8Array)) return null;
      data = attestation.authData;
    }
    const parsed = parseAuthenticatorData(data);
    const made = parsed.credential;
    return {
      data,
      rpIdHash: parsed.relyingPartyIdHash,
      userPresent: parsed.userPresent,
      counter: parsed.signatureCounter,
      ...(made && { credential: { id: made.id, aaguid: made.authenticatorAAGUID, key: publicKeyJWK(made.publicKey) } }),
    };
  } catch {
    return null;
  }
}

/** A COSE public key as a JWK WebCrypto imports: ES256 (P-256) or Ed25519, else null. */
function publicKeyJWK(key: COSEPublicKey): { algorithm: number; jwk: JsonWebKey } | null {
  try {
    const algorithm = key.algorithm();
    if (algorithm === coseAlgorithmES256) {
      const { curve, x, y } = key.ec2();
      if (curve !== coseEllipticCurveP256) return null;
      return { algorithm, jwk: { kty: "EC", crv: "P-256", x: coordinate(x), y: coordinate(y) } };
    }
    if (algorithm === coseAlgorithmEdDSA) {
      const { curve, x } = key.okp();
      return curve === coseEllipticCurveEd25519 ? { algorithm, jwk: { kty: "OKP", crv: "Ed25519", x: base64url(x) } } : null;
    }
  } catch {
    // A key the library cannot read is as unsupported as one it can.
  }
  return null;
}

/** A P-256 coordinate as its 32 bytes, big-endian, base64url. */
function coordinate(value: bigint): string {
  if (value < 0n || value >> 256n) throw new RangeError("coordinate out of range");
  const bytes = new Uint8Array(32);
  for (let i = 31; i >= 0; i--, value >>= 8n) bytes[i] = Number(value & 0xffn);
  return base64url(bytes);
}

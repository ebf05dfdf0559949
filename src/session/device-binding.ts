import { jwtVerify, type JWK } from "jose";
import { thumbprint, type Keyring } from "../crypto/keys";
import { open, seal } from "../crypto/seal";
import { LONG_LIVED } from "../second-factor/data-key";
import type { SessionClaims } from "./session";
import type { SessionRecord } from "./store";

/**
 * Device-bound sessions (DBSC, W3C WebAppSec draft): the browser keeps a
 * key on the device and proves possession of it — an ES256 JWT of type
 * `dbsc+jwt` over a challenge of ours (`jti`) — to register a session and
 * to get each of its short-lived cookies. This is the protocol's core: the
 * challenges and the proofs. The routes are src/routes/device-bound.ts; the
 * statements src/session/store.ts (`bindDevice`, `proveDevice`).
 */

/** A challenge is good this long (seconds), and once: a session's registration may come that long after the sign-in. */
export const CHALLENGE_TTL = 300;
/** Longer than the largest JWT a browser sends (a P-256 key in its header, our challenge as `jti`). */
const MAX_PROOF_LENGTH = 2048;
const P256 = { name: "ECDSA", namedCurve: "P-256" } as const;

/** Why a registration or proof was refused: audited as the reason. */
export class ProofRefused extends Error {}

type ChallengeKind = "register" | "refresh";

/**
 * A challenge for session `sid`, for registering or refreshing it: sealed,
 * so nothing is stored until it comes back. `t`, its issue time in
 * milliseconds, orders it against the others (see `proveDevice`): later
 * than `after`, the one just answered, even where the clock has not moved
 * since (a Worker's clock stands still between I/O).
 */
export const newChallenge = (keys: Keyring, sid: string, kind: ChallengeKind, after = 0) =>
  seal(keys, "bound-challenge", { sid, k: kind, t: Math.max(Date.now(), after + 1) }, CHALLENGE_TTL);

/** A challenge of ours for `sid` and `kind`, within its lifetime: when it was issued (ms). */
async function openChallenge(keys: Keyring, jti: string, sid: string, kind: ChallengeKind): Promise<number> {
  const opened = await open<{ sid: string; k: string; t: number }>(keys, "bound-challenge", jti);
  if (opened.status !== "valid" || opened.claims.sid !== sid || opened.claims.k !== kind) throw new ProofRefused("challenge_unknown");
  return opened.claims.t;
}

/** The JWT of `Secure-Session-Response`: checked ES256, `dbsc+jwt`, signed by the key `keyOf` picks; its `jti`. */
async function verifyProof(token: string, keyOf: (header: { jwk?: JWK }) => Promise<CryptoKey>): Promise<string> {
  if (token.length > MAX_PROOF_LENGTH) throw new ProofRefused("proof_malformed");
  try {
    const { payload } = await jwtVerify(token, keyOf, { algorithms: ["ES256"], typ: "dbsc+jwt" });
    if (typeof payload.jti !== "string") throw new ProofRefused("challenge_unknown");
    return payload.jti;
  } catch (error) {
    throw error instanceof ProofRefused ? error : new ProofRefused("bad_proof");
  }
}

/** A P-256 public key as JWK, with exactly its public members; anything else refused. */
function publicKey(jwk: JWK | undefined): { kty: "EC"; crv: "P-256"; x: string; y: string } {
  if (jwk?.kty !== "EC" || jwk.crv !== "P-256" || typeof jwk.x !== "string" || typeof jwk.y !== "string" || "d" in jwk) throw new ProofRefused("unsupported_key");
  return { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y };
}

const importKey = (jwk: JWK) => crypto.subtle.importKey("jwk", jwk as JsonWebKey, P256, false, ["verify"]);

/** A key a browser registered: its JWK (JSON, as stored), its RFC 7638 thumbprint, and the challenge's issue time. */
export interface Registered {
  jwk: string;
  jkt: string;
  issuedAt: number;
}

/**
 * Checks a registration for session `sid`: signed by the P-256 key its own
 * header carries, over a registration challenge of that session's. The
 * statement that stores it (`bindDevice`) makes it the first and only one.
 */
export async function checkRegistration(keys: Keyring, token: string, sid: string): Promise<Registered> {
  let key: ReturnType<typeof publicKey> | undefined;
  const jti = await verifyProof(token, async (header) => importKey((key = publicKey(header.jwk))));
  const issuedAt = await openChallenge(keys, jti, sid, "register");
  return { jwk: JSON.stringify(key), jkt: await thumbprint(key!), issuedAt };
}

/**
 * Checks a refresh's proof: signed by the key registered for the session
 * (whatever key the JWT's header names), over a refresh challenge of that
 * session's. When the challenge was issued (ms): the statement that takes
 * the proof (`proveDevice`) takes it only if no later one was answered.
 */
export async function checkProof(keys: Keyring, token: string, record: SessionRecord): Promise<number> {
  const registered = JSON.parse(record.device_key!) as JWK;
  const jti = await verifyProof(token, () => importKey(registered));
  return openChallenge(keys, jti, record.id, "refresh");
}

/** A bound session's claims, sealed for D1 (`device_claims`): its cookie may be long gone when the browser next refreshes it. */
export const sealBoundClaims = (keys: Keyring, claims: SessionClaims) => seal(keys, "bound-claims", { ...claims }, LONG_LIVED);

/** The claims `sealBoundClaims` stored, or null if they cannot be opened (a secret since removed). */
export async function openBoundClaims(keys: Keyring, sealed: string | null): Promise<SessionClaims | null> {
  if (!sealed) return null;
  // The row's own ends decide how long the session lives; the seal's expiry is irrelevant.
  const opened = await open<SessionClaims>(keys, "bound-claims", sealed);
  if (opened.status === "invalid") return null;
  const { iat, exp, ...claims } = opened.claims;
  return claims;
}

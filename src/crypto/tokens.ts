import { jwtVerify, SignJWT, type JWTPayload } from "jose";
import type { Keyring } from "./keys";
import type { Session } from "../session/session";
import { nowSeconds } from "../platform/time";

/** The identity assertion sent upstream lives this long: enough for one request. */
export const ASSERTION_TTL = 60;
/** Bearer tokens from `POST /auth/token`. */
export const ACCESS_TOKEN_TTL = 900;
/**
 * The two token kinds must never pass for each other, even in same-origin
 * forward auth where the upstream's origin is the worker's own: explicit
 * types (RFC 8725 §3.11) and audiences that cannot coincide — an
 * assertion's audience is an origin, a bearer token's is the auth API's
 * URL, which has a path.
 */
export const ACCESS_TOKEN_TYPE = "at+jwt";
export const ASSERTION_TYPE = "assertion+jwt";

/** The `aud` of bearer tokens: the worker's auth API, e.g. `https://auth.example.com/auth`. */
export const accessTokenAudience = (issuer: string, basePath: string) => `${issuer}${basePath}`;

/** Identity claims shared by the assertion and bearer tokens. */
export interface IdentityClaims extends JWTPayload {
  sub: string;
  sid: string;
  provider: string;
  login: string;
  name: string | null;
  email: string | null;
  picture: string | null;
  /** When the person last authenticated: signed in, or showed the second factor (epoch seconds). */
  auth_time?: number;
  /** How (RFC 8176), when a second factor was shown in this session: `otp`, `hwk` or `swk`, with `mfa`. */
  amr?: string[];
}

const identity = (session: Session): IdentityClaims => ({
  sub: session.userKey,
  sid: session.id,
  provider: session.provider,
  login: session.user.login,
  name: session.user.name,
  email: session.user.email,
  picture: session.user.avatarUrl,
  ...(session.signedInAt && { auth_time: Math.max(session.signedInAt, session.secondFactorAt) }),
  ...(session.amr.length > 0 && { amr: session.amr }),
});

async function sign(keys: Keyring, claims: IdentityClaims, typ: string, issuer: string, audience: string, ttl: number): Promise<string> {
  const [key] = await keys.signingKeys();
  const now = nowSeconds();
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "EdDSA", kid: key!.kid, typ })
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt(now)
    .setExpirationTime(now + ttl)
    .sign(key!.privateKey);
}

/**
 * `X-Auth-Assertion`: who the request is from, signed for one upstream
 * origin, so the upstream can verify identity offline with our JWKS even
 * if someone reaches it around the worker.
 */
export function signAssertion(keys: Keyring, session: Session, issuer: string, upstreamOrigin: string): Promise<string> {
  return sign(keys, identity(session), ASSERTION_TYPE, issuer, upstreamOrigin, ASSERTION_TTL);
}

/**
 * A short-lived bearer token for APIs (15 minutes, at most until the
 * session ends, and from a device-bound session at most until its cookie
 * expires); its audience is the worker's auth API (`accessTokenAudience`).
 */
export async function issueAccessToken(keys: Keyring, session: Session, issuer: string, audience: string): Promise<{ token: string; expiresIn: number }> {
  // Never past the session's own end: a token is not a way to outlive it, nor a copied bound cookie's minutes.
  const expiresIn = Math.max(1, Math.min(ACCESS_TOKEN_TTL, (session.boundKey ? session.expiresAt : session.endsAt) - nowSeconds()));
  return { token: await sign(keys, identity(session), ACCESS_TOKEN_TYPE, issuer, audience, expiresIn), expiresIn };
}

/** The public keys as a JSON Web Key Set. */
export async function jwks(keys: Keyring) {
  return { keys: (await keys.signingKeys()).map((key) => key.jwk) };
}

/**
 * Verifies a bearer token we issued: EdDSA only, one of our keys, our
 * issuer and audience, the access-token type (so an upstream assertion
 * cannot be replayed as one), not expired. Anything else is null.
 */
export async function verifyAccessToken(keys: Keyring, token: string, issuer: string, audience: string): Promise<IdentityClaims | null> {
  const signing = await keys.signingKeys();
  try {
    const { payload } = await jwtVerify<IdentityClaims>(token, (header) => signing.find((key) => key.kid === header.kid)!.publicKey, {
      algorithms: ["EdDSA"],
      typ: ACCESS_TOKEN_TYPE,
      issuer,
      audience,
      requiredClaims: ["exp", "sub", "sid"],
    });
    return payload;
  } catch {
    return null;
  }
}

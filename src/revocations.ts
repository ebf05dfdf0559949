import type { Config } from "./config";
import { AuthError } from "./errors";

/** KV's smallest allowed expirationTtl. */
const KV_MIN_TTL = 60;
/** Covers clock skew between the location that wrote and those that read. */
const SKEW = 60;

const keyFor = (sessionId: string) => `revoked:${sessionId}`;

const unavailable = () =>
  new AuthError(503, "revocation_list_unavailable", "Sessions cannot be checked right now. Please try again shortly.", { "Retry-After": "5" });

/**
 * True when the session id is on the revocation list. A list that cannot
 * be read is not treated as "not revoked": the request fails with 503.
 */
export async function isRevoked(kv: KVNamespace, sessionId: string): Promise<boolean> {
  try {
    return (await kv.get(keyFor(sessionId))) !== null;
  } catch {
    throw unavailable();
  }
}

/**
 * Puts a session id on the revocation list for as long as any session
 * cookie naming it could still be accepted.
 */
export async function revokeSessionId(kv: KVNamespace, config: Config, sessionId: string): Promise<void> {
  try {
    await kv.put(keyFor(sessionId), "1", { expirationTtl: Math.max(KV_MIN_TTL, config.accessTtl) + SKEW });
  } catch {
    throw unavailable();
  }
}

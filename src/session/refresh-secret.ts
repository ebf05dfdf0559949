import type { Keyring } from "../crypto/keys";
import { randomToken } from "../crypto/random";

/** The refresh cookie's parts: a session id and a secret; D1 holds only the secret's hash. */
export interface RefreshCookie {
  sid: string;
  secret: string;
}

export const newSecret = () => randomToken(32);

/** The secret's HMAC under each configured key, newest first; only hashes are stored. */
export const hashSecret = (keys: Keyring, secret: string) => keys.hash("refresh", secret);

/**
 * The secrets that may replace `secret` at renewal, one per configured key,
 * newest first (a rotation may have run before AUTH_SECRET did): derived,
 * not drawn, so a browser whose renewal response was lost can be handed the
 * same successor again when it retries with the replaced secret inside the
 * grace window. Unpredictable without AUTH_SECRET, like a random one.
 */
export const nextSecrets = (keys: Keyring, sid: string, secret: string) => keys.hash("rotation", `${sid}.${secret}`);

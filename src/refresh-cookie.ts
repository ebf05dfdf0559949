import type { Context } from "hono";
import { authCookie, readAuthCookie } from "./cookies";
import type { AppEnv } from "./env";
import type { Keyring } from "./keys";
import { randomToken } from "./random";

/** The refresh cookie holds a session id and a random secret; D1 holds only the secret's hash. */
export interface RefreshCookie {
  sid: string;
  secret: string;
}

export const newSecret = () => randomToken(32);

/**
 * The secret that replaces `secret` at renewal: derived, not drawn, so a
 * browser whose renewal response was lost can be handed the same successor
 * again when it retries with the replaced secret inside the grace window.
 * Unpredictable without AUTH_SECRET, like a random one.
 */
export const nextSecret = async (keys: Keyring, sid: string, secret: string) => (await nextSecrets(keys, sid, secret))[0]!;

/** The successor under each configured key, newest first: a rotation may have run before AUTH_SECRET did. */
export const nextSecrets = (keys: Keyring, sid: string, secret: string) => keys.hash("rotation", `${sid}.${secret}`);

/** The secret's HMAC under each configured key, newest first; only hashes are stored. */
export const hashSecret = (keys: Keyring, secret: string) => keys.hash("refresh", secret);

/** The refresh cookie: `<session id>.<secret>`. */
export function refreshCookie(c: Context<AppEnv>, sid: string, secret: string, maxAge: number | undefined): string {
  return authCookie(c, "refresh", `${sid}.${secret}`, maxAge);
}

export function readRefreshCookie(c: Context<AppEnv>): RefreshCookie | null {
  const match = /^([\w-]{22})\.([\w-]{43})$/.exec(readAuthCookie(c, "refresh") ?? "");
  return match ? { sid: match[1]!, secret: match[2]! } : null;
}

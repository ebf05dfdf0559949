/**
 * How a person is named across the worker: the user key `provider:id`, in
 * sessions (`sub`), D1 rows, allow-lists, the admin API and the log.
 *
 * ```ts
 * const key = userKey("github", "583231"); // "github:583231"
 * parseUserKey("github:583231"); // { provider: "github", id: "583231" }
 * parseUserKey("github 583231"); // null
 * ```
 *
 * The provider part is a provider's id (letters, digits, `_`, `-`; read in
 * any case, written lower case); the id is the provider's stable id, exactly
 * as the provider spells it (never case-folded: Vercel's may be
 * case-sensitive). A provider id has no `:`, so the key splits at the first
 * one and an id may hold more. No whitespace or control characters, and at
 * most 254 characters: long enough for the email an allow-list may name in
 * the id's place.
 */

export type UserKey = `${string}:${string}`;

export const userKey = (provider: string, id: string): UserKey => `${provider}:${id}`;

const USER_KEY = /^([\w-]{1,32}):([^\s\u0000-\u001f\u007f]{1,254})$/;

/** A user key's parts, or null for anything that is not one. */
export function parseUserKey(key: string): { provider: string; id: string } | null {
  const match = USER_KEY.exec(key);
  return match && { provider: match[1]!.toLowerCase(), id: match[2]! };
}

/**
 * A person is named by user key, `provider:id`: the provider's id for them,
 * which stays when they rename their login. Built and read only here.
 */
export const userKey = (provider: string, id: string) => `${provider}:${id}`;

const USER_KEY = /^([a-z0-9_-]+):([^\s:]{1,64})$/;

/** The provider and id of a user key, or null when it is not one. */
export function parseUserKey(key: string): { provider: string; id: string } | null {
  const match = USER_KEY.exec(key);
  return match ? { provider: match[1]!, id: match[2]! } : null;
}

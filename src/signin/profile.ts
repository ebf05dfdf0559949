import { AuthError } from "../errors";

/** Who signed in, as the provider describes them. */
export interface Profile {
  /** Stable id at the provider (GitHub's numeric id, Vercel's `sub`); logins can be renamed. */
  id: string;
  login: string;
  name: string | null;
  /** A verified email only; `null` when the provider has none. */
  email: string | null;
  avatarUrl: string | null;
  /** Organisations (lower case), fetched only to check an allow-list; never stored. */
  orgs?: string[];
}

const LIMITS = { id: 64, login: 100, name: 100, email: 254, avatarUrl: 400 };

const clip = (value: string | null, max: number) => {
  if (!value) return null;
  const chars = [...value.replace(/[\u0000-\u001f\u007f]/g, "")];
  return chars.length > max ? chars.slice(0, max - 1).join("") + "…" : chars.join("");
};

/**
 * Keeps a profile small enough that a session always fits its cookie:
 * display fields are clipped, identifying fields that are out of bounds
 * are refused rather than silently changed.
 */
export function boundProfile(profile: Profile, providerName: string): Profile {
  const { id, login } = profile;
  if (!id || id.length > LIMITS.id || !login || login.length > LIMITS.login || /[\u0000-\u001f]/.test(id + login)) {
    throw new AuthError(502, "provider_bad_response", `${providerName} returned a profile without a usable id or login.`);
  }
  const email = profile.email && profile.email.length <= LIMITS.email && /^[^\s@]+@[^\s@]+$/.test(profile.email) ? profile.email : null;
  let avatarUrl: string | null = null;
  if (profile.avatarUrl && profile.avatarUrl.length <= LIMITS.avatarUrl && /^https?:\/\//.test(profile.avatarUrl)) {
    avatarUrl = profile.avatarUrl;
  }
  return { id, login, name: clip(profile.name, LIMITS.name), email, avatarUrl };
}

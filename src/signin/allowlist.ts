import type { Context } from "hono";
import type { Config } from "../config/config";
import { AuthError } from "../errors";
import type { Profile } from "./profile";
import type { Provider } from "../providers/types";
import { isListed } from "../config/user-list";

/**
 * Who may sign in: with no list configured, anyone; otherwise a person on
 * any one of them — ALLOWED_USERS (`provider:id`, or `provider:email`
 * matched against the verified email; see `user-list.ts`),
 * ALLOWED_EMAIL_DOMAINS (verified email only), or the provider's own list
 * (ALLOWED_GITHUB_ORGS). Throws a 403 for everyone else. `c` only adds the
 * request to log lines.
 */
export function checkAllowed(config: Config, provider: Provider, profile: Profile, c?: Context): void {
  const lists = config.allowedUsers.size > 0 || config.allowedEmailDomains.size > 0 || [...config.providers.values()].some((p) => p.admits);
  if (!lists) return;
  const email = profile.email?.toLowerCase();
  const admitted =
    isListed(config.allowedUsers, provider.id, profile, c) ||
    (email !== undefined && config.allowedEmailDomains.has(email.slice(email.lastIndexOf("@") + 1))) ||
    provider.admits?.(profile) === true;
  if (!admitted) {
    throw new AuthError(403, "not_allowed", `You signed in with ${provider.name} as ${profile.login}, but that account is not allowed to use this site.`);
  }
}

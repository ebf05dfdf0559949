import type { Context } from "hono";
import { audit } from "../platform/log";
import type { Profile } from "../signin/profile";
import type { ProviderDefinition } from "../providers/types";
import { parseUserKey, userKey } from "../session/user-key";

/**
 * ADMIN_USERS or ALLOWED_USERS, parsed once with the configuration:
 *
 * ```toml
 * ADMIN_USERS = "github:583231"
 * ALLOWED_USERS = "github:583231, vercel:345e869043f1e55f8bdc837c, vercel:ada@example.com"
 * ```
 *
 * A person is named by user key, `provider:id`: the provider's stable id,
 * compared exactly as the provider spells it (never case-folded: Vercel's
 * ids may be case-sensitive), the provider part in any case. ALLOWED_USERS may also name a
 * verified email, `provider:email`, in any case. Logins are not identities:
 * they can be renamed, and GitHub hands a released login to whoever claims
 * it next. A login entry (recognisable for GitHub only: not all digits) is
 * honoured for one more release, with a warning at startup and a log line
 * whenever it is what matched.
 */
export interface UserList {
  name: UserListName;
  /** How many entries there are; none means the list is not in use. */
  size: number;
  /** `provider:id`, the provider part lower case. */
  ids: Set<string>;
  /** `provider:email`, lower case (ALLOWED_USERS only). */
  emails: Set<string>;
  /** Deprecated `provider:login`, lower case. */
  logins: Set<string>;
}

export type UserListName = "ADMIN_USERS" | "ALLOWED_USERS";

/**
 * Reads one list. An entry that could never match — a provider that is
 * unknown or not enabled, an email where only ids count — is a problem, not
 * something to skip: a list that silently matches no one is a misconfigured
 * one. Every login entry adds a warning.
 */
export function parseUserList(
  name: UserListName,
  entries: string[],
  definitions: ProviderDefinition[],
  enabled: ReadonlySet<string>,
  report: { problems: string[]; warnings: string[] },
): UserList {
  const acceptsEmail = name === "ALLOWED_USERS";
  const list: UserList = { name, size: entries.length, ids: new Set(), emails: new Set(), logins: new Set() };
  const problems = new Set<string>();
  for (const entry of entries) {
    const parsed = parseUserKey(entry);
    if (!parsed) {
      problems.add(
        acceptsEmail
          ? `${name} must list provider:id or provider:email entries such as github:583231 or vercel:ada@example.com`
          : `${name} must list provider:id entries such as github:583231`,
      );
      continue;
    }
    const { provider, id: value } = parsed;
    const definition = definitions.find((d) => d.id === provider);
    if (!definition) {
      problems.add(`${name} names a provider this worker does not know (${provider}): use one of ${definitions.map((d) => d.id).join(", ")}`);
    } else if (!enabled.has(provider)) {
      problems.add(`${name} lists ${provider} users, but ${provider} sign-in is not enabled: set ${definition.enabledBy}, or remove those entries`);
    } else if (value.includes("@")) {
      if (acceptsEmail) list.emails.add(userKey(provider, value.toLowerCase()));
      else problems.add(`${name} names admins by the provider's stable id, such as github:583231, not by email`);
    } else if (definition.idPattern && !definition.idPattern.test(value)) {
      list.logins.add(userKey(provider, value.toLowerCase()));
      report.warnings.push(
        `${name} lists ${provider}:${value} by login, which can be renamed and claimed by someone else; it matches in this release only: ` +
          `use ${provider}:<id> (logged at each match)`,
      );
    } else {
      list.ids.add(userKey(provider, value));
    }
  }
  report.problems.push(...problems);
  return list;
}

/**
 * Whether this person is on the list. A match by login is logged with the
 * user key to replace it with; so is a login written where an id is
 * expected (Vercel, development), which never matches.
 */
export function isListed(list: UserList, provider: string, user: Profile, c?: Context): boolean {
  const key = userKey(provider, user.id);
  if (list.ids.has(key)) return true;
  const email = user.email?.toLowerCase();
  if (email !== undefined && list.emails.has(userKey(provider, email))) return true;
  const login = userKey(provider, user.login.toLowerCase());
  if (list.logins.has(login)) {
    audit("allowlist_login_match", { list: list.name, entry: login, user: key }, c);
    return true;
  }
  for (const entry of list.ids) {
    if (entry.toLowerCase() === login) audit("allowlist_login_ignored", { list: list.name, entry, user: key }, c);
  }
  return false;
}

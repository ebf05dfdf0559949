import type { VarReader } from "../config/vars";
import type { Profile } from "../signin/profile";

export interface ProviderTokens {
  accessToken: string;
  /** Epoch seconds; `null` for tokens that never expire (GitHub OAuth Apps). */
  accessTokenExpiresAt: number | null;
  refreshToken: string | null;
}

export interface AuthorizationRequest {
  state: string;
  codeVerifier: string;
  redirectURI: string;
}

export interface CodeExchange {
  code: string;
  codeVerifier: string;
  redirectURI: string;
}

/** Settings shared by every provider, read once with the rest of the configuration. */
export interface ProviderSettings {
  /** Milliseconds before a call to the provider is abandoned. */
  timeoutMs: number;
  /** Where the auth routes are mounted, e.g. `/auth`. */
  basePath: string;
}

/** The one interface every sign-in provider implements. */
export interface Provider {
  id: string;
  name: string;
  /** Origins the browser is sent to during sign-in (for CSP `form-action`). */
  origins: string[];
  /** The development provider only answers requests made to localhost. */
  localOnly: boolean;
  authorizationURL(request: AuthorizationRequest): URL;
  exchangeCode(exchange: CodeExchange): Promise<ProviderTokens>;
  profile(tokens: ProviderTokens): Promise<Profile>;
  /** Renews an expired access token; absent when the provider cannot. */
  refresh?(refreshToken: string): Promise<ProviderTokens>;
  /**
   * Revokes a token at the provider when its session ends; absent when
   * unsupported. A provider that can revoke only one kind ignores the other.
   */
  revoke?(token: string, kind: "access" | "refresh"): Promise<void>;
  /**
   * The provider's own allow-list (GitHub organisations), present only when
   * one is configured: true when this profile is on it.
   */
  admits?(profile: Profile): boolean;
  /**
   * The organisations (lower case) the token's owner belongs to, present
   * with `admits`: sign-in reads them with the profile, renewal re-reads
   * them with this, since membership can end while a session lives.
   */
  orgs?(accessToken: string): Promise<string[]>;
}

/**
 * A provider module: reads its own variables and, when they enable it,
 * returns the provider. Adding a provider is one such file plus one entry
 * in `providers/index.ts`.
 */
export interface ProviderDefinition {
  id: string;
  /** The variables that turn the provider on, named in configuration errors. */
  enabledBy: string;
  /**
   * The provider's own allow-list variable (ALLOWED_GITHUB_ORGS), if any.
   * Set while the provider is off, it would restrict nothing, so the
   * configuration is refused instead.
   */
  allowList?: string;
  /**
   * What the provider's stable ids look like, when that tells them from its
   * renamable logins (GitHub's are digits). An ALLOWED_USERS or ADMIN_USERS
   * entry that does not match is taken as a login. Without a pattern every
   * entry is an id: a login could not be told from one.
   */
  idPattern?: RegExp;
  configure(vars: VarReader, settings: ProviderSettings): Provider | null;
}

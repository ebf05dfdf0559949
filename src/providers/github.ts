import { CodeChallengeMethod, OAuth2Client } from "arctic";
import type { Profile } from "../signin/profile";
import { asArray, asRecord, getJSON, joinURL, parseTokens, sendToProvider, str, tokenEndpointError, tokenEndpoint } from "./http";
import type { Provider, ProviderDefinition, ProviderTokens } from "./types";

const NAME = "GitHub";
const API_HEADERS = { Accept: "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28" };

/**
 * GitHub (and GitHub Enterprise Server) through arctic's generic client:
 * arctic's `GitHub` class has fixed URLs and no PKCE.
 */
export const github: ProviderDefinition = {
  id: "github",
  enabledBy: "GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET",
  allowList: "ALLOWED_GITHUB_ORGS",
  idPattern: /^\d+$/,
  configure(vars, { timeoutMs }) {
    const client = vars.pair("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET");
    const oauthURL = vars.url("GITHUB_OAUTH_URL", "https://github.com");
    const apiURL = vars.url("GITHUB_API_URL", "https://api.github.com");
    const allowedOrgs = vars.list("ALLOWED_GITHUB_ORGS").map((org) => org.toLowerCase());
    if (!client || !oauthURL || !apiURL) return null;
    // Organisation membership needs read:org, asked for only when it is used.
    const scopes = ["read:user", "user:email", ...(allowedOrgs.length ? ["read:org"] : [])];
    const tokenURL = joinURL(oauthURL, "/login/oauth/access_token");
    const oauth = (redirectURI: string | null) => new OAuth2Client(client.id, client.secret, redirectURI);

    // GitHub answers token errors with HTTP 200 and an `error` field.
    const readTokens = (tokens: { data: object }): ProviderTokens => {
      const error = (tokens.data as { error?: unknown }).error;
      if (typeof error === "string") throw tokenEndpointError(NAME, error);
      // OAuth-App tokens never expire; GitHub-App tokens carry expires_in (8 h) and a refresh token.
      return parseTokens(NAME, tokens, null);
    };

    const orgsOf = async (accessToken: string) =>
      asArray(await getJSON(NAME, joinURL(apiURL, "/user/orgs?per_page=100"), accessToken, timeoutMs, API_HEADERS), NAME)
        .map((org) => str((org as { login?: unknown } | null)?.login)?.toLowerCase())
        .filter((login): login is string => !!login);

    const provider: Provider = {
      id: "github",
      name: NAME,
      origins: [new URL(oauthURL).origin],
      localOnly: false,
      authorizationURL({ state, codeVerifier, redirectURI }) {
        return oauth(redirectURI).createAuthorizationURLWithPKCE(
          joinURL(oauthURL, "/login/oauth/authorize"),
          state,
          CodeChallengeMethod.S256,
          codeVerifier,
          scopes,
        );
      },
      async exchangeCode({ code, codeVerifier, redirectURI }) {
        return readTokens(await tokenEndpoint(NAME, timeoutMs, () => oauth(redirectURI).validateAuthorizationCode(tokenURL, code, codeVerifier)));
      },
      async profile({ accessToken }): Promise<Profile> {
        const [user, emails, orgs] = await Promise.all([
          getJSON(NAME, joinURL(apiURL, "/user"), accessToken, timeoutMs, API_HEADERS),
          // Without the user:email scope GitHub answers 404: sign in without an email.
          getJSON(NAME, joinURL(apiURL, "/user/emails"), accessToken, timeoutMs, API_HEADERS, true),
          allowedOrgs.length ? orgsOf(accessToken) : undefined,
        ]);
        const u = asRecord(user, NAME);
        const primary = Array.isArray(emails)
          ? emails.find((e) => typeof e === "object" && e !== null && e.primary === true && e.verified === true)
          : undefined;
        return {
          id: typeof u.id === "number" && Number.isSafeInteger(u.id) ? String(u.id) : "",
          login: str(u.login) ?? "",
          name: str(u.name),
          email: str(primary?.email),
          avatarUrl: str(u.avatar_url),
          ...(orgs && { orgs }),
        };
      },
      async refresh(refreshToken) {
        return readTokens(await tokenEndpoint(NAME, timeoutMs, () => oauth(null).refreshAccessToken(tokenURL, refreshToken, [])));
      },
      async revoke(token, kind) {
        // GitHub revokes access tokens one at a time. A GitHub App's refresh
        // token has no endpoint of its own — only the whole grant, every
        // session's, could go — so it stays sealed in the revoked record.
        if (kind !== "access") return;
        await sendToProvider(
          NAME,
          joinURL(apiURL, `/applications/${encodeURIComponent(client.id)}/token`),
          {
            method: "DELETE",
            headers: { ...API_HEADERS, Authorization: `Basic ${btoa(`${client.id}:${client.secret}`)}`, "Content-Type": "application/json" },
            body: JSON.stringify({ access_token: token }),
          },
          timeoutMs,
        );
      },
      ...(allowedOrgs.length && {
        admits: (profile: Profile) => !!profile.orgs?.some((org) => allowedOrgs.includes(org)),
        orgs: orgsOf,
      }),
    };
    return provider;
  },
};

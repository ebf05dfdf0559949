import { CodeChallengeMethod, OAuth2Client } from "arctic";
import type { Profile } from "../signin/profile";
import { asRecord, getJSON, joinURL, parseTokens, str, tokenEndpoint } from "./http";
import type { Provider, ProviderDefinition } from "./types";

const NAME = "Vercel";
/** Vercel access tokens live an hour; one given without `expires_in` is treated the same. */
const DEFAULT_LIFETIME = 3600;

/** Sign in with Vercel (OAuth 2.0 / OIDC); arctic has no Vercel class. */
export const vercel: ProviderDefinition = {
  id: "vercel",
  enabledBy: "VERCEL_CLIENT_ID and VERCEL_CLIENT_SECRET",
  // No idPattern: `sub` (e.g. 345e869043f1e55f8bdc837c) is a string a
  // username could also be, so a login is never accepted in its place.
  configure(vars, { timeoutMs }) {
    const client = vars.pair("VERCEL_CLIENT_ID", "VERCEL_CLIENT_SECRET");
    const oauthURL = vars.url("VERCEL_OAUTH_URL", "https://vercel.com");
    const apiURL = vars.url("VERCEL_API_URL", "https://api.vercel.com");
    if (!client || !oauthURL || !apiURL) return null;
    const tokenURL = joinURL(apiURL, "/login/oauth/token");
    const oauth = (redirectURI: string | null) => new OAuth2Client(client.id, client.secret, redirectURI);

    const provider: Provider = {
      id: "vercel",
      name: NAME,
      origins: [new URL(oauthURL).origin],
      localOnly: false,
      authorizationURL({ state, codeVerifier, redirectURI }) {
        return oauth(redirectURI).createAuthorizationURLWithPKCE(
          joinURL(oauthURL, "/oauth/authorize"),
          state,
          CodeChallengeMethod.S256,
          codeVerifier,
          ["openid", "email", "profile", "offline_access"],
        );
      },
      async exchangeCode({ code, codeVerifier, redirectURI }) {
        const tokens = await tokenEndpoint(NAME, timeoutMs, () => oauth(redirectURI).validateAuthorizationCode(tokenURL, code, codeVerifier));
        return parseTokens(NAME, tokens, DEFAULT_LIFETIME);
      },
      async profile({ accessToken }): Promise<Profile> {
        const info = asRecord(await getJSON(NAME, joinURL(apiURL, "/login/oauth/userinfo"), accessToken, timeoutMs), NAME);
        const sub = str(info.sub);
        return {
          id: sub ?? "",
          login: str(info.preferred_username) ?? sub ?? "",
          name: str(info.name),
          email: info.email_verified === true ? str(info.email) : null,
          avatarUrl: str(info.picture),
        };
      },
      async refresh(refreshToken) {
        const tokens = await tokenEndpoint(NAME, timeoutMs, () => oauth(null).refreshAccessToken(tokenURL, refreshToken, []));
        return parseTokens(NAME, tokens, DEFAULT_LIFETIME);
      },
      async revoke(token) {
        await tokenEndpoint(NAME, timeoutMs, () => oauth(null).revokeToken(joinURL(apiURL, "/login/oauth/token/revoke"), token));
      },
    };
    return provider;
  },
};

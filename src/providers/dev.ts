import { CodeChallengeMethod, OAuth2Client } from "arctic";
import { base64url } from "jose";
import { AuthError } from "../errors";
import type { Provider, ProviderDefinition } from "./types";

const encode = (value: object) => base64url.encode(JSON.stringify(value));
const decode = (value: string): Record<string, unknown> | null => {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(base64url.decode(value)));
    return typeof parsed === "object" && parsed !== null ? parsed : null;
  } catch {
    return null;
  }
};

async function s256(verifier: string): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
}

const rejectedGrant = () => new AuthError(400, "provider_rejected_grant", "The development sign-in code is not valid. Please sign in again.");

/** Turns the typed name into a login: lower case letters, digits and dashes. */
export const devLogin = (name: string) =>
  name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 39) || "developer";

/**
 * The development provider: a local page signs you in as any name you
 * type. The "code" it hands to the callback carries the name and the PKCE
 * challenge in the clear — there is nothing to protect, since anyone who
 * can reach the page can pick any name — and the callback still checks
 * state and PKCE like it does for the real providers.
 */
export const dev: ProviderDefinition = {
  id: "dev",
  enabledBy: "DEV_PROVIDER=true",
  // No idPattern: its ids are its logins (lower case, see devLogin), so every entry is taken as an id.
  configure(vars, { basePath }) {
    if (!vars.boolean("DEV_PROVIDER")) return null;
    const provider: Provider = {
      id: "dev",
      name: "Development sign-in",
      origins: [],
      localOnly: true,
      authorizationURL({ state, codeVerifier, redirectURI }) {
        const page = new URL(`${basePath}/dev/authorize`, redirectURI).toString();
        return new OAuth2Client("dev", null, redirectURI).createAuthorizationURLWithPKCE(page, state, CodeChallengeMethod.S256, codeVerifier, []);
      },
      async exchangeCode({ code, codeVerifier }) {
        const grant = decode(code);
        if (!grant || typeof grant.name !== "string" || grant.challenge !== (await s256(codeVerifier))) throw rejectedGrant();
        return { accessToken: `dev.${encode({ name: grant.name })}`, accessTokenExpiresAt: null, refreshToken: null };
      },
      async profile({ accessToken }) {
        const token = decode(accessToken.slice("dev.".length));
        if (!token || typeof token.name !== "string") throw rejectedGrant();
        const login = devLogin(token.name);
        return { id: login, login, name: token.name, email: null, avatarUrl: null };
      },
    };
    return provider;
  },
};

/** The code the development page hands back to the callback. */
export const devCode = (name: string, challenge: string) => encode({ name, challenge });

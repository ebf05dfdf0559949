import { Hono } from "hono/tiny";
import type { AppEnv } from "../env";
import { readAuthCookie } from "../http/cookies";
import { AuthError } from "../errors";
import { callbackURL, requireProvider, takeFlow } from "../signin/flow";
import { limit, perAddress } from "../http/rate-limit";
import { completeSignIn, signInRefused } from "../signin/completion";
import { userKey } from "../session/user-key";

// Limited before the flow cookie is taken, so a refused callback can be retried.
export const callbackRoutes = new Hono<AppEnv>().get("/callback/:provider", limit("callback", perAddress), async (c) => {
  const provider = requireProvider(c);
  const query = c.req.query();
  // The state names the flow: nothing else in the request is looked at
  // before it matches one this browser started.
  const flow = await takeFlow(c, query.state);
  // Who the provider says this is, once it has: only such refusals are security events.
  let user: string | undefined;
  try {
    if (!flow || flow.prv !== provider.id) {
      throw flow || readAuthCookie(c, "flow") !== undefined
        ? new AuthError(400, "invalid_state", "This sign-in could not be verified (the state does not match). Please sign in again.")
        : new AuthError(400, "flow_missing", "This sign-in has expired or was started in another browser. Please sign in again.");
    }
    if (query.error !== undefined) {
      if (query.error === "access_denied") {
        throw new AuthError(403, "access_denied", `You did not allow ${provider.name} to sign you in.`);
      }
      // RFC 6749 §4.1.2.1: the provider's own trouble, or a request it refused.
      if (query.error === "server_error" || query.error === "temporarily_unavailable") {
        throw new AuthError(502, "provider_error", `${provider.name} could not complete the sign-in. Please try again.`);
      }
      throw new AuthError(400, "provider_refused", `${provider.name} refused the sign-in request.`);
    }
    if (!query.code) throw new AuthError(400, "missing_code", `${provider.name} did not send a sign-in code.`);

    const tokens = await provider.exchangeCode({ code: query.code, codeVerifier: flow.cv, redirectURI: callbackURL(c, provider) });
    const profile = await provider.profile(tokens);
    user = userKey(provider.id, profile.id);
    const next = await completeSignIn(c, provider, profile, { tokens, remember: flow.rem, redirectTo: flow.rt, app: flow.app });
    return c.redirect(next, 302);
  } catch (error) {
    signInRefused(c, provider.id, error, user);
    throw error;
  }
});

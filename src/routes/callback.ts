import { Hono } from "hono/tiny";
import type { AppEnv } from "../env";
import { readAuthCookie } from "../cookies";
import { AuthError } from "../errors";
import { takeFlow } from "../flow";
import { audit } from "../log";
import { checkAllowed } from "../allowlist";
import { boundProfile } from "../profile";
import { byIP, rateLimit } from "../rate-limit";
import { enabledSecondFactor, isRememberedDevice, startPendingSignIn } from "../second-factor";
import { startSession } from "../current-session";
import { callbackURL, requireProvider } from "./signin";

export const callbackRoutes = new Hono<AppEnv>().get("/callback/:provider", async (c) => {
  const provider = requireProvider(c);
  // Before the flow cookie is taken, so a refused callback can be retried.
  await rateLimit(c, "callback", [byIP(c)]);
  const query = c.req.query();
  // The state names the flow: nothing else in the request is looked at
  // before it matches one this browser started.
  const flow = await takeFlow(c, query.state);
  try {
    if (!flow && readAuthCookie(c, "flow") !== undefined) {
      throw new AuthError(400, "invalid_state", "This sign-in could not be verified (the state does not match). Please sign in again.");
    }
    if (!flow) {
      throw new AuthError(400, "flow_missing", "This sign-in has expired or was started in another browser. Please sign in again.");
    }
    if (flow.prv !== provider.id) {
      throw new AuthError(400, "invalid_state", "This sign-in could not be verified (the state does not match). Please sign in again.");
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
    const fetched = await provider.profile(tokens);
    const profile = boundProfile(fetched, provider.name);
    checkAllowed(c.var.config, provider, { ...profile, orgs: fetched.orgs }, c);
    const userKey = `${provider.id}:${profile.id}`;
    const factor = await enabledSecondFactor(c, userKey);
    if (factor && !(await isRememberedDevice(c, userKey, factor))) {
      // No session yet: it is created only once the second factor is checked.
      await startPendingSignIn(c, { provider: provider.id, profile, tokens, remember: flow.rem, redirectTo: flow.rt });
      audit("signin_second_factor", { user: userKey, provider: provider.id }, c);
      return c.redirect(`${c.var.config.basePath}/2fa`, 302);
    }
    const session = await startSession(c, { provider: provider.id, profile, tokens, remember: flow.rem });
    audit("signin", { sessionId: session.id, user: session.userKey, provider: provider.id, remember: flow.rem }, c);
    return c.redirect(flow.rt, 302);
  } catch (error) {
    if (error instanceof AuthError) audit("signin_refused", { provider: provider.id, reason: error.code }, c);
    throw error;
  }
});

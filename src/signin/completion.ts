import type { Context } from "hono";
import { checkAllowed } from "./allowlist";
import { clearAuthCookie } from "../http/cookies";
import { startSession } from "../http/current-session";
import type { AppEnv } from "../env";
import { AuthError } from "../errors";
import { audit } from "../platform/log";
import { boundProfile, type Profile } from "./profile";
import type { Provider, ProviderTokens } from "../providers/types";
import { amrOf, enabledSecondFactor, isRememberedDevice, MAX_ATTEMPTS, rememberDevice, startPendingSignIn, type Method, type PendingSignIn } from "../second-factor/second-factor";
import { completePendingSignIn } from "../second-factor/store";
import { userKey } from "../session/user-key";
import { handOff, type AppSignIn } from "./handoff";

/**
 * Who gets a session: the one place a sign-in ends, however it got here.
 *
 *   // the callback, once the provider has vouched for someone
 *   return c.redirect(await completeSignIn(c, provider, profile, { tokens, remember, redirectTo }), 302);
 *   // the second-factor step, once the code was right
 *   return c.redirect(await completeSecondFactor(c, pending, checked, rememberThisDevice), 303);
 *
 * Both answer where to send the browser next.
 */

/** A sign-in the provider vouched for and the allow-lists let through. */
export interface SignIn {
  provider: string;
  profile: Profile;
  tokens: ProviderTokens;
  remember: boolean;
  /** Where to go afterwards, already checked by `safeRedirect` (on `app`'s origin, when there is one). */
  redirectTo: string;
  /** The app origin this sign-in is for: it ends in a handoff there. */
  app?: AppSignIn | null;
}

/**
 * After the provider: the allow-lists, then the second factor if the user
 * has one and this device is not remembered (no session exists until it is
 * checked), or else the session.
 */
export async function completeSignIn(
  c: Context<AppEnv>,
  provider: Provider,
  fetched: Profile,
  rest: Pick<SignIn, "tokens" | "remember" | "redirectTo" | "app">,
): Promise<string> {
  const profile = boundProfile(fetched, provider.name);
  checkAllowed(c.var.config, provider, { ...profile, orgs: fetched.orgs }, c);
  const signIn = { provider: provider.id, profile, ...rest };
  const user = userKey(provider.id, profile.id);
  const factor = await enabledSecondFactor(c, user);
  if (factor && !(await isRememberedDevice(c, user, factor))) {
    await startPendingSignIn(c, signIn);
    audit("signin_second_factor", { user, provider: provider.id }, c);
    return `${c.var.config.basePath}/2fa`;
  }
  return createSession(c, signIn);
}

/**
 * After a right second-factor code: claims the pending sign-in — once, of
 * any racing requests only one creates the session — then the session.
 */
export async function completeSecondFactor(
  c: Context<AppEnv>,
  pending: PendingSignIn,
  checked: { method: Method; deviceKey: string },
  rememberThisDevice: boolean,
): Promise<string> {
  // Spent either way: this verify cookie never completes a sign-in again.
  clearAuthCookie(c, "verify");
  if (!(await completePendingSignIn(c.env.DB, pending.pid, MAX_ATTEMPTS))) {
    throw new AuthError(400, "pending_signin_void", "This sign-in was already completed. Please sign in again.");
  }
  const signIn = {
    provider: pending.prv,
    profile: pending.usr,
    tokens: { accessToken: pending.pat, accessTokenExpiresAt: pending.pax, refreshToken: pending.prt },
    remember: pending.rem,
    redirectTo: pending.rt,
    app: pending.app,
  };
  return createSession(c, signIn, checked.method, rememberThisDevice && checked.deviceKey);
}

/** Logs a refused sign-in with its reason, and whose it was once the provider has said; the caller rethrows. */
export function signInRefused(c: Context<AppEnv>, provider: string, error: unknown, user?: string): void {
  if (error instanceof AuthError) audit("signin_refused", { provider, reason: error.code, user }, c);
}

/**
 * The session and its `signin` line; after a second factor, this device
 * remembered if asked, and that factor's line first.
 */
async function createSession(c: Context<AppEnv>, signIn: SignIn, method?: Method, deviceKey?: string | false): Promise<string> {
  const session = await startSession(c, { ...signIn, ...(method && { amr: amrOf(method) }) });
  const user = session.userKey;
  if (deviceKey) await rememberDevice(c, user, deviceKey);
  if (method) audit("second_factor_success", { sessionId: session.id, user, method }, c);
  audit("signin", { sessionId: session.id, user, provider: signIn.provider, remember: signIn.remember }, c);
  return signIn.app ? handOff(c, session, signIn.app, signIn.redirectTo) : signIn.redirectTo;
}

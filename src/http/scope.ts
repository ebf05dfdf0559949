import type { MiddlewareHandler } from "hono";
import { bearerToken, getSession, openSessionToken } from "./current-session";
import type { AppEnv } from "../env";
import { AuthError } from "../errors";
import { holdsRefreshSecret } from "../session/renewal";
import { readRefreshCookie } from "./refresh-cookie";
import { nowSeconds } from "../platform/time";
import type { Session } from "../session/session";

const insufficientScope = (message: string) => new AuthError(403, "insufficient_scope", message);

/**
 * Bearer credentials identify; they never act. A token handed to an API (or
 * a sealed session copied into a CLI) must not be able to turn off the
 * second factor, end sessions, mint more tokens or administer: routes that
 * do those things are guarded by this middleware and answer 403
 * `insufficient_scope` (RFC 6750 §3.1) to anything but the browser that
 * signed in.
 *
 * That browser is told apart by the pair of cookies only it was given: the
 * session cookie and the refresh cookie of the same session, whose secret
 * is checked against D1 (one read; acting is rare). The sealed
 * session alone is a credential we hand out for callers that cannot keep
 * cookies; moved from the Authorization header into a Cookie header it is
 * still only that, so it is refused here too.
 */
export const browserSessionOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const bearer = bearerToken(c);
  if (bearer && (await c.var.keys.issued(bearer))) {
    // Answered with `WWW-Authenticate: Bearer …, error="insufficient_scope"` (see errorResponse).
    throw insufficientScope("A bearer token shows who you are but cannot act for you here. Use the signed-in browser.");
  }
  const opened = await openSessionToken(c);
  if (opened?.kind === "sealed") {
    // The session id is no secret (the session API shows it): the refresh
    // cookie must carry the secret D1 holds for that session. A session
    // that is no longer live is left to the route, which treats it as
    // signed out.
    const refresh = readRefreshCookie(c);
    const holds = refresh?.sid === opened.claims.sid ? await holdsRefreshSecret(c.env.DB, c.var.keys, refresh) : false;
    if (holds === false) throw insufficientScope("This can only be done in the browser that signed in.");
  }
  await next();
};

/** How recently someone must have signed in to change their second factor. */
export const RECENT_SIGN_IN = 600;

/**
 * Changing the second factor needs a sign-in within the last ten minutes:
 * someone who had the owner's browser session for a moment — an unlocked
 * laptop, a copied cookie pair — must not be able to enrol an
 * authenticator of their own (or remove the owner's) and lock them out.
 * Without a session, the route answers as it would.
 */
export const recentSignInOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const session = await getSession(c);
  if (session && nowSeconds() - session.signedInAt > RECENT_SIGN_IN) {
    // Straight to the provider: the sign-in page would see the live session and bounce back.
    const { basePath } = c.var.config;
    const again = `${c.var.origin}${basePath}/signin/${session.provider}?redirect_to=${encodeURIComponent(`${basePath}/security`)}`;
    throw new AuthError(
      403,
      "reauthentication_required",
      "Sign in again to change two-step verification: it needs a sign-in in the last 10 minutes.",
      { "X-Auth-Signin": again },
    );
  }
  await next();
};


/**
 * Passkeys change only with the second factor shown in this session in the
 * last 10 minutes: at a sign-in, at turning it on, or at a step-up
 * (`/2fa/step-up`). Whoever holds a signed-in browser is not enough.
 */
export function requireSteppedUp(session: Session): void {
  if (nowSeconds() - session.secondFactorAt > RECENT_SIGN_IN) {
    throw new AuthError(403, "step_up_required", "Confirm it is you with your second factor first: passkeys change only within 10 minutes of it.");
  }
}

/**
 * The second factor — setting it up, passkeys, step-up — belongs to the
 * sign-in origin. On an app origin the pages are the app's code, and a
 * step-up there would re-seal the app's cookie: never without what binds
 * it to that app.
 */
export const authOriginOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.var.onApp) throw new AuthError(403, "not_here", "Passkeys and step-up are at the sign-in origin.");
  await next();
};

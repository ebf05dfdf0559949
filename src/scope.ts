import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./env";
import { AuthError } from "./errors";

/**
 * Bearer credentials identify; they never act. A token handed to an API (or
 * a sealed session copied into a CLI) must not be able to turn off the
 * second factor, end sessions, mint more tokens or administer: routes that
 * do those things are guarded by this middleware and answer a bearer
 * caller 403 `insufficient_scope` (RFC 6750 §3.1), so only the browser's
 * cookie session — which `SameSite` and the origin check protect — acts.
 */
export const browserSessionOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (/^Bearer\s/i.test(c.req.header("Authorization") ?? "")) {
    throw new AuthError(
      403,
      "insufficient_scope",
      "A bearer token can show who you are but cannot change security settings, manage sessions, mint tokens or administer. Use the signed-in browser.",
      { "WWW-Authenticate": 'Bearer error="insufficient_scope"' },
    );
  }
  await next();
};

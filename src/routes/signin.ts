import { generateCodeVerifier, generateState } from "arctic";
import type { MiddlewareHandler } from "hono";
import { Hono } from "hono/tiny";
import { getSession } from "../http/current-session";
import { readAuthCookie } from "../http/cookies";
import type { AppEnv } from "../env";
import { callbackURL, requireProvider, startFlow } from "../signin/flow";
import { isLocalRequest } from "../http/origins";
import { limit, perAddress, rateLimit } from "../http/rate-limit";
import { browserSessionOnly } from "../http/scope";
import { page } from "../http/page";
import { safeRedirect } from "../http/redirects";
import { appSignIn, handOff, redeemHandoff, signInAtAuthOrigin } from "../signin/handoff";

/**
 * A handoff acts for the session it is minted from: only for the browser's
 * own cookie pair (as every route that acts), never a bearer credential.
 */
const handoffStart: MiddlewareHandler<AppEnv> = (c, next) => (c.req.query("app") === undefined ? next() : browserSessionOnly(c, next));

export const signinRoutes = new Hono<AppEnv>()
  .get("/signin", handoffStart, async (c) => {
    const { config } = c.var;
    if (c.var.onApp) {
      // Signed in here already: straight on. Another handoff would only add a session beside this one.
      const redirectTo = c.req.query("redirect_to");
      if (await getSession(c)) return c.redirect(safeRedirect(redirectTo, c.var.origin, config.allowedOrigins), 302);
      // An app origin signs in at AUTH_URL, and comes back with a handoff.
      return signInAtAuthOrigin(c, "/signin", redirectTo);
    }
    const app = appSignIn(c);
    const redirectTo = safeRedirect(c.req.query("redirect_to"), app?.origin ?? c.var.origin, config.allowedOrigins);
    // Signed in here already: an app gets its handoff at once, no page, no provider.
    if (app) {
      const session = await getSession(c);
      if (session) {
        // Counted like a sign-in start: each one writes a D1 row.
        await rateLimit(c, "signin", perAddress(c));
        return c.redirect(await handOff(c, session, app, redirectTo), 302);
      }
    }
    // Someone sent here on their way somewhere (a proxy's 401) who is in fact
    // signed in — perhaps only needing a renewal — goes straight on.
    else if (c.req.query("redirect_to") && (await getSession(c))) return c.redirect(redirectTo, 302);
    const local = isLocalRequest(c);
    const providers = [...config.providers.values()].filter((provider) => local || !provider.localOnly);
    // Only the development provider, away from localhost: the same page on localhost is the way in.
    const here = new URL(c.req.url);
    here.hostname = "localhost";
    return page(c, {
      page: "signin",
      basePath: config.basePath,
      providers: providers.map(({ id, name }) => ({ id, name })),
      redirectTo,
      localURL: __DEV_BUILD__ ? here.href : undefined,
      out: c.req.query("out") !== undefined && !readAuthCookie(c, "session"),
      app,
    });
  })
  .get(
    "/signin/:provider",
    // On an app origin only a redirect to AUTH_URL, which counts the start.
    (c, next) => (c.var.onApp ? signInAtAuthOrigin(c, `/signin/${encodeURIComponent(c.req.param("provider"))}`, c.req.query("redirect_to")) : next()),
    limit("signin", perAddress),
    async (c) => {
      const provider = requireProvider(c);
      const app = appSignIn(c);
      const state = generateState();
      const codeVerifier = generateCodeVerifier();
      await startFlow(c, {
        st: state,
        cv: codeVerifier,
        prv: provider.id,
        rt: safeRedirect(c.req.query("redirect_to"), app?.origin ?? c.var.origin, c.var.config.allowedOrigins),
        rem: c.req.query("remember") === "1",
        app,
      });
      const url = provider.authorizationURL({ state, codeVerifier, redirectURI: callbackURL(c, provider) });
      return c.redirect(url.toString(), 302);
    },
  )
  // On an app origin: the end of its sign-in at AUTH_URL.
  .get("/handoff", limit("callback", perAddress), async (c) => c.redirect(await redeemHandoff(c, c.req.query("code")), 302));

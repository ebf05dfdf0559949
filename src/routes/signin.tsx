import { generateCodeVerifier, generateState } from "arctic";
import { Hono } from "hono/tiny";
import { getSession } from "../http/current-session";
import { readAuthCookie } from "../http/cookies";
import type { AppEnv } from "../env";
import { callbackURL, requireProvider, startFlow } from "../signin/flow";
import { isLocalRequest } from "../http/origins";
import { limit, perAddress } from "../http/rate-limit";
import { SignInPage } from "../pages/signin";
import { safeRedirect } from "../http/redirects";

export const signinRoutes = new Hono<AppEnv>()
  .get("/signin", async (c) => {
    const { config } = c.var;
    const redirectTo = safeRedirect(c.req.query("redirect_to"), c.var.origin, config.allowedOrigins);
    // Someone sent here on their way somewhere (a proxy's 401) who is in fact
    // signed in — perhaps only needing a renewal — goes straight on.
    if (c.req.query("redirect_to") && (await getSession(c))) return c.redirect(redirectTo, 302);
    const local = isLocalRequest(c);
    const providers = [...config.providers.values()].filter((provider) => local || !provider.localOnly);
    // Only the development provider, away from localhost: the same page on localhost is the way in.
    const here = new URL(c.req.url);
    here.hostname = "localhost";
    return c.html(<SignInPage basePath={config.basePath} providers={providers} redirectTo={redirectTo} localURL={here.href} out={c.req.query("out") !== undefined && !readAuthCookie(c, "session")} />);
  })
  .get("/signin/:provider", limit("signin", perAddress), async (c) => {
    const provider = requireProvider(c);
    const state = generateState();
    const codeVerifier = generateCodeVerifier();
    await startFlow(c, {
      st: state,
      cv: codeVerifier,
      prv: provider.id,
      rt: safeRedirect(c.req.query("redirect_to"), c.var.origin, c.var.config.allowedOrigins),
      rem: c.req.query("remember") === "1",
    });
    const url = provider.authorizationURL({ state, codeVerifier, redirectURI: callbackURL(c, provider) });
    return c.redirect(url.toString(), 302);
  });

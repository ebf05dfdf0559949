import { Hono } from "hono/tiny";
import type { AppEnv } from "../env";
import { AuthError } from "../errors";
import { readForm } from "../http/forms";
import { page } from "../http/page";
import { devCode } from "../providers/dev";
import { callbackURL, requireProvider } from "../signin/flow";

const badRequest = () => new AuthError(400, "invalid_request", "This development sign-in request is incomplete. Please start again.");

/** The development provider's consent page and the form it posts back to. */
export const devRoutes = () =>
  new Hono<AppEnv>()
  .use("/dev/*", async (c, next) => {
    requireProvider(c, "dev");
    await next();
  })
  .get("/dev/authorize", (c) => {
    const { state, redirect_uri: redirectURI, code_challenge: codeChallenge } = c.req.query();
    if (!state || !redirectURI || !codeChallenge) throw badRequest();
    return page(c, { page: "dev", basePath: c.var.config.basePath, state, redirectURI, codeChallenge });
  })
  .post("/dev/authorize", async (c) => {
    const { name, state, redirect_uri: redirectURI, code_challenge: challenge } = await readForm(c);
    const provider = requireProvider(c, "dev");
    if (name === undefined || !state || !challenge) throw badRequest();
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 100) throw new AuthError(400, "invalid_name", "Please type a name of at most 100 characters.");
    // Only ever hand the code to our own callback.
    if (redirectURI !== callbackURL(c, provider)) throw badRequest();
    const target = new URL(redirectURI);
    target.searchParams.set("code", devCode(trimmed, challenge));
    target.searchParams.set("state", state);
    return c.redirect(target.toString(), 303);
  });

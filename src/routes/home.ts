import type { Context } from "hono";
import { Hono } from "hono/tiny";
import type { AppEnv } from "../env";
import { page } from "../http/page";
import { serveAsset } from "../http/assets";
import { getSession } from "../http/current-session";
import { notSignedIn } from "../http/respond";

/** The signed-in page, or a trip to sign in and back. */
export async function home(c: Context<AppEnv>) {
  const { basePath } = c.var.config;
  const session = await getSession(c);
  if (!session) return notSignedIn(c);
  const providerName = c.var.config.providers.get(session.provider)?.name ?? session.provider;
  // A person's own page, also at `/` outside the auth routes' no-store.
  c.header("Cache-Control", "no-store");
  return page(c, { page: "home", basePath, session: { user: session.user, userKey: session.userKey }, providerName });
}

export const homeRoutes = new Hono<AppEnv>()
  .get("/", home)
  .get("/style.css", (c) => serveAsset(c.env.ASSETS, "style.css"))
  .get("/devices.js", (c) => serveAsset(c.env.ASSETS, "devices.js"))
  .get("/security.js", (c) => serveAsset(c.env.ASSETS, "security.js"))
  .get("/passkeys.js", (c) => serveAsset(c.env.ASSETS, "passkeys.js"));

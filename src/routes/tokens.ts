import type { Context } from "hono";
import { Hono } from "hono/tiny";
import { requireSession } from "../http/current-session";
import type { AppEnv } from "../env";
import { bySession, limit } from "../http/rate-limit";
import { accessTokenAudience, issueAccessToken, jwks } from "../crypto/tokens";

/** The public keys for bearer tokens and the upstream assertion, as a JWKS. */
export async function serveJWKS(c: Context<AppEnv>) {
  c.header("Cache-Control", "public, max-age=300");
  return c.json(await jwks(c.var.keys));
}

/** Bearer tokens for APIs, and the keys to verify them (and the upstream assertion) with. */
export const tokenRoutes = new Hono<AppEnv>()
  .post("/token", limit("token", async (c) => bySession(await requireSession(c))), async (c) => {
    const session = await requireSession(c);
    const { origin, config } = c.var;
    const { token, expiresIn } = await issueAccessToken(c.var.keys, session, origin, accessTokenAudience(origin, config.basePath));
    return c.json({ access_token: token, token_type: "Bearer", expires_in: expiresIn });
  })
  .get("/jwks.json", serveJWKS);

import { Hono, type Context } from "hono";
import { requireSession } from "../current-session";
import type { AppEnv } from "../env";
import { AuthError } from "../errors";
import { byIP, rateLimit } from "../rate-limit";
import { ACCESS_TOKEN_TTL, issueAccessToken, jwks } from "../tokens";

/** The public keys for bearer tokens and the upstream assertion, as a JWKS. */
export async function serveJWKS(c: Context<AppEnv>) {
  c.header("Cache-Control", "public, max-age=300");
  return c.json(await jwks(c.var.keys));
}

/** Bearer tokens for APIs, and the keys to verify them (and the upstream assertion) with. */
export const tokenRoutes = new Hono<AppEnv>()
  .post("/token", async (c) => {
    const session = await requireSession(c);
    // A token minted from a token could outlive the session's own limits, which only the session cookie enforces.
    if (session.viaToken) throw new AuthError(403, "token_from_token", "A bearer token cannot be exchanged for another; use the session.");
    await rateLimit(c, "token", [byIP(c), `user:${session.userKey}`]);
    const accessToken = await issueAccessToken(c.var.keys, session, c.var.origin);
    return c.json({ access_token: accessToken, token_type: "Bearer", expires_in: ACCESS_TOKEN_TTL });
  })
  .get("/jwks.json", serveJWKS);

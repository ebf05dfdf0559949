import { Hono } from "hono";
import { clearAuthCookie } from "../cookies";
import type { AppEnv } from "../env";
import { audit } from "../log";
import { safeRedirect } from "../redirects";
import { prefersJSON } from "../respond";
import { revokeSessionId } from "../revocations";
import { getSession, openSessionToken } from "../session";

export const sessionRoutes = new Hono<AppEnv>()
  .get("/session", async (c) => {
    const session = await getSession(c);
    if (!session) return c.json({ error: "unauthenticated" }, 401);
    return c.json({
      user: session.user,
      provider: session.provider,
      sessionId: session.id,
      expiresAt: new Date(session.expiresAt * 1000).toISOString(),
    });
  })
  .post("/signout", async (c) => {
    // An expired cookie still names a session worth ending.
    const opened = await openSessionToken(c);
    if (opened && opened.status !== "invalid") {
      await revokeSessionId(c.env.REVOCATIONS, c.var.config, opened.claims.sid);
      audit("signout", { sessionId: opened.claims.sid, user: opened.claims.sub }, c);
    }
    clearAuthCookie(c, "session");
    clearAuthCookie(c, "refresh");
    if (prefersJSON(c.req.raw)) return c.json({ signedOut: true });
    const { basePath, allowedOrigins } = c.var.config;
    const target = c.req.query("redirect_to");
    return c.redirect(target ? safeRedirect(target, c.var.origin, allowedOrigins) : `${basePath}/signin`, 303);
  });

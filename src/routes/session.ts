import { Hono } from "hono";
import { clearAuthCookie } from "../cookies";
import { getSession, openSessionToken } from "../current-session";
import type { AppEnv } from "../env";
import { unauthenticated } from "../errors";
import { audit } from "../log";
import { safeRedirect } from "../redirects";
import { prefersJSON } from "../respond";
import { endSession, endUserSessions, revokeSessionId } from "../revocations";

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
    const everywhere = c.req.query("all") === "1";
    if (everywhere) {
      // Ending every session takes a live one, not merely an old cookie.
      const session = await getSession(c);
      if (!session) throw unauthenticated();
      const ended = await endUserSessions(c, session.userKey, { kind: "everywhere", by: session.userKey, accessToken: session.providerToken?.accessToken });
      audit("signout", { sessionId: session.id, user: session.userKey, everywhere: true, ended: ended.length }, c);
    } else {
      // An expired cookie still names a session worth ending; a bearer JWT names a live one.
      const opened = await openSessionToken(c);
      const session = opened && opened.status !== "invalid" ? null : await getSession(c);
      const target = opened && opened.status !== "invalid"
        ? { sid: opened.claims.sid, sub: opened.claims.sub, pat: opened.claims.pat }
        : session && { sid: session.id, sub: session.userKey, pat: session.providerToken?.accessToken };
      if (target) {
        const { sid, sub, pat } = target;
        const ended = await endSession(c, sid, { kind: "signout", by: sub, accessToken: pat });
        // Already ended in D1 (or never stored): still make sure its cookie dies everywhere.
        if (!ended) await revokeSessionId(c.env.REVOCATIONS, c.var.config, sid);
        audit("signout", { sessionId: sid, user: sub }, c);
      }
    }
    clearAuthCookie(c, "session");
    clearAuthCookie(c, "refresh");
    if (prefersJSON(c.req.raw)) return c.json({ signedOut: true });
    const { basePath, allowedOrigins } = c.var.config;
    const target = c.req.query("redirect_to");
    return c.redirect(target ? safeRedirect(target, c.var.origin, allowedOrigins) : `${basePath}/signin`, 303);
  });

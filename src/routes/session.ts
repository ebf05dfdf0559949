import type { Context } from "hono";
import { Hono } from "hono/tiny";
import { clearSessionCookies } from "../http/cookies";
import { getSession, openSessionToken } from "../http/current-session";
import type { AppEnv } from "../env";
import { unauthenticated } from "../errors";
import { audit } from "../platform/log";
import { safeRedirect } from "../http/redirects";
import { notSignedIn, prefersJSON } from "../http/respond";
import { endSession, endUserSessions } from "../http/end-sessions";
import { revokeSessionId } from "../session/revocations";
import { identityOf } from "../session/check";

/** The session a sign-out ends: the one its cookie names, even expired, or a bearer JWT's. */
async function sessionToEnd(c: Context<AppEnv>) {
  const opened = await openSessionToken(c);
  if (opened?.kind === "sealed") return { sid: opened.claims.sid, sub: opened.claims.sub, pat: opened.claims.pat };
  const session = await getSession(c);
  return session && { sid: session.id, sub: session.userKey, pat: session.providerToken?.accessToken };
}

export const sessionRoutes = new Hono<AppEnv>()
  .get("/session", async (c) => {
    const session = await getSession(c);
    if (!session) return notSignedIn(c, { as: "api" });
    return c.json(identityOf(session));
  })
  .post("/signout", async (c) => {
    const everywhere = c.req.query("all") === "1";
    if (everywhere) {
      // Ending every session takes a live one, not merely an old cookie.
      const session = await getSession(c);
      if (!session) throw unauthenticated();
      const how = { kind: "everywhere", by: session.userKey } as const;
      // This one last: a request cut short leaves it live, to try again with.
      const ended = await endUserSessions(c, session.userKey, { ...how, except: session.id });
      if (!(await endSession(c, session.id, { ...how, accessToken: session.providerToken?.accessToken }))) await revokeSessionId(c.env.REVOCATIONS, c.var.config, session.id);
      audit("signout", { sessionId: session.id, user: session.userKey, everywhere: true, ended: ended.length + 1 }, c);
    } else {
      const target = await sessionToEnd(c);
      if (target) {
        const { sid, sub, pat } = target;
        const ended = await endSession(c, sid, { kind: "signout", by: sub, accessToken: pat });
        // Already ended in D1 (or never stored): still make sure its cookie dies everywhere.
        if (!ended) await revokeSessionId(c.env.REVOCATIONS, c.var.config, sid);
        audit("signout", { sessionId: sid, user: sub }, c);
      }
    }
    clearSessionCookies(c);
    if (prefersJSON(c.req.raw)) return c.json({ signedOut: true });
    const { basePath, allowedOrigins } = c.var.config;
    const target = c.req.query("redirect_to");
    return c.redirect(target ? safeRedirect(target, c.var.origin, allowedOrigins) : `${basePath}/signin?out`, 303);
  });

import type { Context } from "hono";
import { Hono } from "hono/tiny";
import { clearSessionCookies } from "../http/cookies";
import { depsOf, getSession, requireSession } from "../http/current-session";
import type { AppEnv } from "../env";
import { AuthError } from "../errors";
import { readForm } from "../http/forms";
import { page as render } from "../http/page";
import { notSignedIn, prefersJSON } from "../http/respond";
import { endSession } from "../http/end-sessions";
import { listSessions } from "../session/list";

async function devices(c: Context<AppEnv>) {
  const session = await getSession(c);
  const { basePath } = c.var.config;
  if (!session) return notSignedIn(c);
  const html = !prefersJSON(c.req.raw);
  const page = await listSessions(depsOf(c), session.userKey, {
    after: c.req.query("after"),
    current: session.id,
    userAgents: html,
    ownOrigin: c.var.config.authOrigin ?? c.var.origin,
  });
  if (!html) return c.json(page);
  return render(c, { page: "devices", basePath, ...page, now: Date.now() });
}

async function endDevice(c: Context<AppEnv>) {
  const session = await requireSession(c);
  const id = c.req.param("id") ?? "";
  const ended = await endSession(c, id, { kind: "device", by: session.userKey, owner: session.userKey });
  // Someone else's session looks exactly like one that does not exist.
  if (!ended) throw new AuthError(404, "session_not_found", "There is no such session among yours.");
  if (id === session.id) {
    clearSessionCookies(c);
  }
  if (prefersJSON(c.req.raw)) return c.json({ revoked: id });
  const { basePath } = c.var.config;
  return c.redirect(id === session.id ? `${basePath}/signin` : `${basePath}/sessions`, 303);
}

/** "Your devices": list your sessions, end any of them. */
export const sessionsRoutes = new Hono<AppEnv>()
  .get("/sessions", devices)
  .delete("/sessions/:id", endDevice)
  // Pages without scripts can only POST: the devices page sends
  // `_method=DELETE`, read (bounded) only once the origin check has passed.
  .post("/sessions/:id", async (c) => {
    const { _method: method } = await readForm(c);
    if (method?.toUpperCase() !== "DELETE") throw new AuthError(405, "method_not_allowed", "To end a session, send DELETE (or a form with _method=DELETE).");
    return endDevice(c);
  });

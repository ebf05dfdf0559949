import type { Context } from "hono";
import { Hono } from "hono/tiny";
import { depsOf, requireSession } from "../http/current-session";
import type { AppEnv } from "../env";
import { AuthError } from "../errors";
import { audit } from "../platform/log";
import { deleteSecondFactor } from "../second-factor/store";
import { parseUserKey, userKey } from "../session/user-key";
import { isListed } from "../config/user-list";
import { listSessions } from "../session/list";
import { securityEvents, sessionMetrics, WINDOWS, type MetricsWindow } from "../session/metrics";
import { nowSeconds } from "../platform/time";
import { readForm } from "../http/forms";
import { prefersJSON } from "../http/respond";
import { endSession, endUserSessions } from "../http/end-sessions";
import type { ConsoleView } from "../../pages/src/view";
import { page } from "../http/page";

/**
 * The signed-in admin (ADMIN_USERS), or a 403. Only on the worker's own
 * origin: an app origin's pages are the app's code, and an admin's browser
 * is signed in there without a page. (Its changes come only from the
 * worker's own pages: `ownOriginOnly`, src/app.ts.)
 */
async function requireAdmin(c: Context<AppEnv>) {
  const session = await requireSession(c);
  if (c.var.onApp || !isListed(c.var.config.adminUsers, session.provider, session.user, c)) {
    throw new AuthError(403, "not_admin", "Only administrators may manage other people's sessions, and only at the sign-in origin.");
  }
  return session;
}

/** The signed-in admin and the `provider:id` user they are asking about. */
async function adminRequest(c: Context<AppEnv>) {
  const admin = await requireAdmin(c);
  const named = parseUserKey(c.req.query("user") ?? "");
  if (!named) throw new AuthError(400, "invalid_user", "Name the user as provider:id, for example github:583231.");
  return { admin, user: userKey(named.provider, named.id) };
}

function metricsWindow(c: Context<AppEnv>): MetricsWindow {
  const window = c.req.query("window") ?? "24h";
  if (!Object.hasOwn(WINDOWS, window)) throw new AuthError(400, "invalid_window", "Ask for window=24h or window=7d.");
  return window as MetricsWindow;
}

/**
 * The admin console: this worker gathers the view — metrics, security
 * events, and the sessions of the user searched for — for the pages Worker
 * to render. Its forms post back to the routes below.
 */
async function adminConsole(c: Context<AppEnv>) {
  const admin = await requireAdmin(c);
  const window = metricsWindow(c);
  const query = c.req.query("user")?.trim();
  const named = query ? parseUserKey(query) : null;
  const user = named && userKey(named.provider, named.id);
  const now = nowSeconds();
  const [metrics, events, found] = await Promise.all([
    sessionMetrics(c.env.DB, now, window),
    securityEvents(c.env.DB, now, window),
    user && listSessions(depsOf(c), user, { after: c.req.query("after"), ownOrigin: c.var.config.authOrigin ?? c.var.origin }),
  ]);
  const ended = Number(c.req.query("ended"));
  const view: ConsoleView = {
    basePath: c.var.config.basePath,
    admin: admin.userKey,
    window,
    metrics,
    events,
    ...(query && { search: user ? { query, user, ...found } : { query, error: "Name the user as provider:id, for example github:583231." } }),
    ...(user && Number.isSafeInteger(ended) && ended >= 0 && c.req.query("ended") && { ended: { user, count: ended } }),
  };
  return page(c, { page: "console", ...view });
}

/** Ends one session (`session`, with its family) or every session of the user; a form comes back to the console. */
async function endSessions(c: Context<AppEnv>, sessionId: string | undefined) {
  const { admin, user } = await adminRequest(c);
  const how = { kind: "admin", by: admin.userKey } as const;
  // A session not theirs, or over already, is one not ended: `revoked` is empty.
  const ended = sessionId ? [await endSession(c, sessionId, { ...how, owner: user })] : await endUserSessions(c, user, how);
  const revoked = ended.flatMap((row) => (row ? [row.id] : []));
  if (prefersJSON(c.req.raw)) return c.json({ user, revoked });
  return c.redirect(`${c.var.config.basePath}/admin?user=${encodeURIComponent(user)}&ended=${revoked.length}`, 303);
}

/** ADMIN_USERS only: the console; session metrics; list (a page at a time) or end sessions of a user. */
export const adminRoutes = new Hono<AppEnv>()
  .get("/admin", adminConsole)
  .get("/admin/metrics", async (c) => {
    await requireAdmin(c);
    return c.json(await sessionMetrics(c.env.DB, nowSeconds(), metricsWindow(c)));
  })
  .get("/admin/sessions", async (c) => {
    const { user } = await adminRequest(c);
    return c.json({ user, ...(await listSessions(depsOf(c), user, { after: c.req.query("after"), ownOrigin: c.var.config.authOrigin ?? c.var.origin })) });
  })
  .delete("/admin/sessions", (c) => endSessions(c, c.req.query("session")))
  // The console's forms: `_method=DELETE`, read (bounded) once the origin check has passed.
  .post("/admin/sessions", async (c) => {
    const form = await readForm(c);
    if (form._method?.toUpperCase() !== "DELETE") throw new AuthError(405, "method_not_allowed", "To end sessions, send DELETE (or a form with _method=DELETE).");
    return endSessions(c, form.session);
  })
  // For a user locked out of their own account by an authenticator someone
  // else enrolled: the second factor goes, and with it every session (the
  // one who enrolled it may hold some).
  .delete("/admin/second-factor", async (c) => {
    const { admin, user } = await adminRequest(c);
    await deleteSecondFactor(c.env.DB, user);
    const ended = await endUserSessions(c, user, { kind: "second_factor_changed", by: admin.userKey });
    audit("second_factor_reset", { user, by: admin.userKey }, c);
    return c.json({ user, secondFactor: "off", revoked: ended.map((row) => row.id) });
  });

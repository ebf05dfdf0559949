import type { Context } from "hono";
import { Hono } from "hono/tiny";
import { depsOf, requireSession } from "../http/current-session";
import type { AppEnv } from "../env";
import { AuthError } from "../errors";
import { audit } from "../platform/log";
import { endUserSessions } from "../http/end-sessions";
import { deleteSecondFactor } from "../second-factor/store";
import { parseUserKey, userKey } from "../session/user-key";
import { isListed } from "../config/user-list";
import { listSessions } from "../session/list";
import { sessionMetrics, WINDOWS, type MetricsWindow } from "../session/metrics";
import { nowSeconds } from "../platform/time";

/** The signed-in admin (ADMIN_USERS), or a 403. */
async function requireAdmin(c: Context<AppEnv>) {
  const session = await requireSession(c);
  if (!isListed(c.var.config.adminUsers, session.provider, session.user, c)) {
    throw new AuthError(403, "not_admin", "Only administrators may manage other people's sessions.");
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

/** ADMIN_USERS only: session metrics; list (a page at a time) or end every session of a user. */
export const adminRoutes = new Hono<AppEnv>()
  .get("/admin/metrics", async (c) => {
    await requireAdmin(c);
    const window = c.req.query("window") ?? "24h";
    if (!Object.hasOwn(WINDOWS, window)) throw new AuthError(400, "invalid_window", "Ask for window=24h or window=7d.");
    return c.json(await sessionMetrics(c.env.DB, nowSeconds(), window as MetricsWindow));
  })
  .get("/admin/sessions", async (c) => {
    const { user } = await adminRequest(c);
    return c.json({ user, ...(await listSessions(depsOf(c), user, { after: c.req.query("after"), ownOrigin: c.var.config.authOrigin ?? c.var.origin })) });
  })
  .delete("/admin/sessions", async (c) => {
    const { admin, user } = await adminRequest(c);
    const ended = await endUserSessions(c, user, { kind: "admin", by: admin.userKey });
    return c.json({ user, revoked: ended.map((row) => row.id) });
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

import type { Context } from "hono";
import { Hono } from "hono/tiny";
import { clearSessionCookies } from "../cookies";
import { getSession, requireSession } from "../current-session";
import type { AppEnv } from "../env";
import { AuthError } from "../errors";
import { readForm } from "../forms";
import { DevicesPage } from "../pages/devices";
import { prefersJSON, signInURL } from "../respond";
import { endSession } from "../revocations";
import { nowSeconds } from "../time";
import { listUserSessions, type ActiveSession } from "../store";

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** A user's sessions as the devices API shows them. */
export function describeSessions(rows: ActiveSession[], currentId?: string) {
  return rows.map((row) => ({
    id: row.id,
    current: row.id === currentId,
    device: row.device ?? "Unknown device",
    country: row.country,
    createdAt: iso(row.created_at),
    lastUsedAt: iso(row.last_used_at),
    expiresAt: iso(row.ends_at),
  }));
}

/** Sessions per page of the devices list and the admin's. */
const PAGE = 50;

/**
 * One page of a user's live sessions, newest first, from the `after`
 * cursor on (`created_at.id` of the previous page's last), with `next`
 * when there are more. Sessions come and go between pages; none is shown
 * twice, and none that lived through the paging is missed.
 */
export async function sessionsPage(c: Context<AppEnv>, userKey: string, currentId?: string) {
  // Unreadable, it starts from the top.
  const [, createdAt = 1e15, id = ""] = /^(\d{1,15})\.([\w-]+)$/.exec(c.req.query("after") ?? "") ?? [];
  const rows = await listUserSessions(c.env.DB, userKey, nowSeconds(), +createdAt, id, PAGE + 1);
  const last = rows[PAGE - 1];
  return { sessions: describeSessions(rows.slice(0, PAGE), currentId), next: rows[PAGE] && `${last!.created_at}.${last!.id}` };
}

async function devices(c: Context<AppEnv>) {
  const session = await getSession(c);
  const { basePath } = c.var.config;
  if (!session) {
    if (prefersJSON(c.req.raw)) return c.json({ error: "unauthenticated" }, 401);
    return c.redirect(signInURL(c, c.req.path), 302);
  }
  const page = await sessionsPage(c, session.userKey, session.id);
  if (prefersJSON(c.req.raw)) return c.json(page);
  return c.html(<DevicesPage basePath={basePath} {...page} />);
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

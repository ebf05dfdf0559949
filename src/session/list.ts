import type { SessionDeps } from "./deps";
import { listUserSessions } from "./store";

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** Sessions per page of the devices list, the admin's, and `AuthService.sessions`. */
const PAGE = 50;

/** One of a user's live sessions, as the devices API shows it. */
export interface DeviceSession {
  /** The browser's sessions as one: ending it ends all of them. */
  id: string;
  current: boolean;
  /** The origins it is signed in on: the worker's own, and app origins it was handed off to. */
  origins: string[];
  /** A coarse name, "Firefox on Linux". */
  device: string;
  /** The User-Agent it signed in with, for the devices page's finer name (`userAgents`); null for sessions from before it was kept. */
  userAgent?: string | null;
  country: string | null;
  createdAt: string;
  /** When it was created or last renewed: only a renewal moves it. */
  lastUsedAt: string;
  /** When it ends at the latest, unless renewed (idle) or ended. */
  expiresAt: string;
  /** Device-bound (DBSC): its cookies are renewed only by the browser's proof of a key it keeps on the device. */
  deviceBound: boolean;
}

/**
 * One page of a user's live sessions, newest first, from the `after`
 * cursor on (`created_at.id` of the previous page's last), with `next`
 * when there are more. Sessions come and go between pages; none is shown
 * twice, and none that lived through the paging is missed. An unreadable
 * cursor starts from the top.
 */
export async function listSessions(
  deps: SessionDeps,
  userKey: string,
  options: { after?: string; current?: string; userAgents?: boolean; ownOrigin?: string } = {},
): Promise<{ sessions: DeviceSession[]; next?: string }> {
  const [, createdAt = 1e15, id = ""] = /^(\d{1,15})\.([\w-]+)$/.exec(options.after ?? "") ?? [];
  const rows = await listUserSessions(deps.db, userKey, deps.now(), +createdAt, id, PAGE + 1, options.current ?? "");
  const own = options.ownOrigin ?? deps.config.authOrigin ?? "";
  const last = rows[PAGE - 1];
  const sessions = rows.slice(0, PAGE).map((row) => ({
    id: row.id,
    current: row.current === 1,
    // The worker's own first, then the apps'.
    origins: [...new Set(row.origins.split(" ").sort().map((origin) => origin || own))],
    device: row.device ?? "Unknown device",
    // Only for the owner's page: a whole User-Agent is more than an API needs to name a device.
    ...(options.userAgents && { userAgent: row.user_agent }),
    country: row.country,
    createdAt: iso(row.created_at),
    lastUsedAt: iso(row.last_used_at),
    expiresAt: iso(row.ends_at),
    deviceBound: row.bound === 1,
  }));
  return { sessions, next: rows[PAGE] && `${last!.created_at}.${last!.id}` };
}

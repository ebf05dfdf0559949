import type { DeviceSession } from "../../src/session/list";
import type { MetricsWindow, SecurityEvent, SessionMetrics } from "../../src/session/metrics";

/** Everything the console shows, gathered by the session worker for a signed-in admin (src/routes/admin.ts). */
export interface ConsoleView {
  /** AUTH_BASE_PATH: where the stylesheet is, and where the forms post. */
  basePath: string;
  /** The admin looking, as `provider:id`. */
  admin: string;
  window: MetricsWindow;
  metrics: SessionMetrics;
  /** The window's security events, newest first. */
  events: SecurityEvent[];
  /** A search by user: what was typed, and that user's live sessions — or why it was not a user key. */
  search?: { query: string; user?: string; sessions?: DeviceSession[]; next?: string; error?: string };
  /** How many sessions the admin's last form ended (the redirect back says). */
  ended?: { user: string; count: number };
}

type Pages = typeof import("./pages").PAGES;

/** A page and what it shows: the one argument of `render`. */
export type PageView = { [Name in keyof Pages]: { page: Name } & Parameters<Pages[Name]>[0] }[keyof Pages];

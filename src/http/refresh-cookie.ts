import type { Context } from "hono";
import { authCookie, readAuthCookie } from "./cookies";
import type { AppEnv } from "../env";
import type { RefreshCookie } from "../session/refresh-secret";

/** The refresh cookie: `<session id>.<secret>`. */
export function refreshCookie(c: Context<AppEnv>, sid: string, secret: string, maxAge: number | undefined): string {
  return authCookie(c, "refresh", `${sid}.${secret}`, maxAge);
}

export function readRefreshCookie(c: Context<AppEnv>): RefreshCookie | null {
  const match = /^([\w-]{22})\.([\w-]{43})$/.exec(readAuthCookie(c, "refresh") ?? "");
  return match ? { sid: match[1]!, secret: match[2]! } : null;
}

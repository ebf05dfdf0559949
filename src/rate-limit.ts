import type { Context } from "hono";
import type { AppEnv } from "./env";
import { AuthError } from "./errors";
import { audit } from "./log";

/**
 * What is being limited. `general` (every auth request), `token` and
 * `renewal` use RATE_LIMITER (100 per 10 s by default); sign-in starts,
 * callbacks and second-factor attempts use RATE_LIMITER_STRICT (5 per 10 s).
 * Each kind counts on its own, per client IP and, where known, per user.
 */
export type LimitKind = "general" | "signin" | "callback" | "second_factor" | "token" | "renewal";

const STRICT: ReadonlySet<LimitKind> = new Set(["signin", "callback", "second_factor"]);
/** Cloudflare's rate limits count over 10 or 60 s windows; ours are 10 s. */
const RETRY_AFTER = "10";

const clientIP = (c: Context<AppEnv>) => c.req.header("CF-Connecting-IP") ?? "unknown";

/**
 * Counts one request of `kind` against each key (`ip:…`, `user:…`); over
 * any limit, a 429 with Retry-After. The binding is a guard, not a lock: if
 * it fails, the request goes on rather than locking everyone out.
 */
export async function rateLimit(c: Context<AppEnv>, kind: LimitKind, keys: string[]): Promise<void> {
  const limiter = STRICT.has(kind) ? c.env.RATE_LIMITER_STRICT : c.env.RATE_LIMITER;
  for (const key of keys) {
    let allowed = true;
    try {
      allowed = (await limiter.limit({ key: `${kind}:${key}` })).success;
    } catch {
      audit("rate_limit_unavailable", { reason: kind }, c);
    }
    if (!allowed) {
      audit("rate_limited", { reason: kind, key: key.startsWith("user:") ? key : "ip" }, c);
      throw new AuthError(429, "rate_limited", "Too many attempts. Please wait a few seconds and try again.", { "Retry-After": RETRY_AFTER });
    }
  }
}

export const byIP = (c: Context<AppEnv>) => `ip:${clientIP(c)}`;

import type { Context, MiddlewareHandler } from "hono";
import { addressKey } from "./client-address";
import type { AppEnv } from "../env";
import { AuthError } from "../errors";
import { audit } from "../platform/log";
import { isLocalRequest } from "./origins";

/**
 * What is being limited. `general` (every auth request), `token` and
 * `renewal` use RATE_LIMITER (100 per 10 s by default); sign-in starts,
 * callbacks and second-factor attempts use RATE_LIMITER_STRICT (5 per 10 s).
 * Each kind counts on its own: per client address and, where known, per
 * user; renewals per session instead (see `renewSession`).
 */
export type LimitKind = "general" | "signin" | "callback" | "second_factor" | "token" | "renewal";

const STRICT: ReadonlySet<LimitKind> = new Set(["signin", "callback", "second_factor"]);
/**
 * Each binding's period in seconds, as `simple = { period }` declares it in
 * wrangler.toml (10 or 60): the binding does not say, and Retry-After is the
 * window of the limit that refused. Change both together; a test compares them.
 */
export const PERIODS = { RATE_LIMITER: 10, RATE_LIMITER_STRICT: 10 };

const MISSING_IP = "missing-ip";

/**
 * Counts one request of `kind` against each key (`ip:…`, `ip6-64:…`,
 * `missing-ip`, `session:…`, `user:…`); over any limit, a 429 with
 * Retry-After. The binding is a guard, not a lock: if it fails, the request
 * goes on rather than locking everyone out.
 */
export async function rateLimit(c: Context<AppEnv>, kind: LimitKind, keys: string[]): Promise<void> {
  for (const key of keys) {
    // Cloudflare names the client of every request from the internet; one
    // that is not named shares its bucket with every other such caller, so
    // that bucket is a strict one. wrangler dev need not name anyone.
    const strict = STRICT.has(kind) || (key === MISSING_IP && !isLocalRequest(c));
    const binding = strict ? "RATE_LIMITER_STRICT" : "RATE_LIMITER";
    let allowed = true;
    try {
      allowed = (await c.env[binding].limit({ key: `${kind}:${key}` })).success;
    } catch {
      audit("rate_limit_unavailable", { reason: kind }, c);
    }
    if (!allowed) {
      // The key's kind only (`ip`, `session`, …; a user key is the user):
      // the address is already on the line as `ip`.
      audit("rate_limited", { reason: kind, key: key.startsWith("user:") ? key : key.split(":", 1)[0] }, c);
      throw new AuthError(429, "rate_limited", "Too many attempts. Please wait a few seconds and try again.", { "Retry-After": String(PERIODS[binding]) });
    }
  }
}

/**
 * A rate limit as middleware, for a route or a route group: counts the
 * request against each key `keys` names (none: not counted) before the
 * handler runs, and answers 429 over any limit.
 *
 * ```ts
 * routes.post("/token", limit("token", async (c) => bySession(await requireSession(c))), issue);
 * auth.use(limit("general", (c) => (changesState(c.req.method) ? perAddress(c) : [])));
 * ```
 */
export const limit = (kind: LimitKind, keys: (c: Context<AppEnv>) => string[] | Promise<string[]>): MiddlewareHandler<AppEnv> =>
  async function rateLimited(c, next) {
    await rateLimit(c, kind, await keys(c));
    await next();
  };

/** Keys by client address (see `byIP`). */
export const perAddress = (c: Context<AppEnv>) => [byIP(c)];

/** Keys by session and by user: behind a proxy, everyone shares an address. */
export const bySession = (session: { id: string; userKey: string }) => [`session:${session.id}`, `user:${session.userKey}`];

/**
 * The client's key, by its address (`CF-Connecting-IP`, or behind
 * TRUSTED_PROXIES the forwarded one).
 */
export const byIP = (c: Context<AppEnv>) => {
  const address = c.var.clientAddress;
  return address ? addressKey(address) : MISSING_IP;
};

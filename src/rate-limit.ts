import type { Context } from "hono";
import type { AppEnv } from "./env";
import { AuthError } from "./errors";
import { isInternal } from "./internal";
import { audit } from "./log";
import { isLocalRequest } from "./origins";

/**
 * What is being limited. `general` (every auth request), `token` and
 * `renewal` use RATE_LIMITER (100 per 10 s by default); sign-in starts,
 * callbacks and second-factor attempts use RATE_LIMITER_STRICT (5 per 10 s).
 * Each kind counts on its own, per client address and, where known, per user.
 */
export type LimitKind = "general" | "signin" | "callback" | "second_factor" | "token" | "renewal";

const STRICT: ReadonlySet<LimitKind> = new Set(["signin", "callback", "second_factor"]);
/** Cloudflare's rate limits count over 10 or 60 s windows; ours are 10 s. */
const RETRY_AFTER = "10";

const MISSING_IP = "missing-ip";
const INTERNAL = "internal";

/**
 * Counts one request of `kind` against each key (`ip:…`, `ip6-64:…`,
 * `missing-ip`, `internal`, `user:…`); over any limit, a 429 with
 * Retry-After. The binding is a guard, not a lock: if it fails, the request
 * goes on rather than locking everyone out.
 */
export async function rateLimit(c: Context<AppEnv>, kind: LimitKind, keys: string[]): Promise<void> {
  for (const key of keys) {
    // Cloudflare names the client of every request from the internet; one
    // that is not named shares its bucket with every other such caller, so
    // that bucket is a strict one. wrangler dev need not name anyone.
    const strict = STRICT.has(kind) || (key === MISSING_IP && !isLocalRequest(c));
    const limiter = strict ? c.env.RATE_LIMITER_STRICT : c.env.RATE_LIMITER;
    let allowed = true;
    try {
      allowed = (await limiter.limit({ key: `${kind}:${key}` })).success;
    } catch {
      audit("rate_limit_unavailable", { reason: kind }, c);
    }
    if (!allowed) {
      // The key's kind only: the address is already on the line as `ip`.
      audit("rate_limited", { reason: kind, key: key.startsWith("user:") ? key : key.split(":", 1)[0] }, c);
      throw new AuthError(429, "rate_limited", "Too many attempts. Please wait a few seconds and try again.", { "Retry-After": RETRY_AFTER });
    }
  }
}

/**
 * The client's key. AuthService's requests name no client either, but come
 * from a Worker of ours rather than from outside: they keep a bucket of
 * their own under the usual limit.
 */
export const byIP = (c: Context<AppEnv>) => {
  if (isInternal(c.req.raw)) return INTERNAL;
  const address = c.req.header("CF-Connecting-IP");
  return address ? addressKey(address) : MISSING_IP;
};

/** Longer than any address; what Cloudflare would never send is still one key, not an unbounded one. */
const MAX_UNREADABLE = 64;

/**
 * The key a client address counts under. An IPv6 client is usually given a
 * whole /64 and can move between its addresses at will, so the /64 is the
 * client; an IPv4-mapped address is the IPv4 client it maps.
 */
export function addressKey(address: string): string {
  const v4 = ipv4(address);
  if (v4) return `ip:${v4.join(".")}`;
  const groups = ipv6(address);
  if (!groups) return `ip:${address.slice(0, MAX_UNREADABLE)}`;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return `ip:${groups.slice(6).flatMap((group) => [group >> 8, group & 0xff]).join(".")}`;
  }
  return `ip6-64:${groups.slice(0, 4).map((group) => group.toString(16)).join(":")}`;
}

function ipv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) return undefined;
  return parts.map(Number);
}

/** The eight 16-bit groups of an IPv6 address in text form (RFC 4291 §2.2). */
function ipv6(text: string): number[] | undefined {
  // A dotted IPv4 tail (`::ffff:1.2.3.4`) spells the last two groups.
  const tailAt = text.lastIndexOf(":") + 1;
  if (tailAt > 0 && text.includes(".", tailAt)) {
    const v4 = ipv4(text.slice(tailAt));
    if (!v4) return undefined;
    text = `${text.slice(0, tailAt)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const [head, tail] = halves.map((half) => (half === "" ? [] : half.split(":")));
  const zeros = 8 - head!.length - (tail?.length ?? 0);
  if (tail ? zeros < 1 : zeros !== 0) return undefined;
  const groups = [...head!, ...Array<string>(zeros).fill("0"), ...(tail ?? [])];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return undefined;
  return groups.map((group) => parseInt(group, 16));
}

import { parseCidr, type Cidr } from "../http/client-address";
import type { Vars } from "../env";
import { PROVIDERS } from "../providers";
import type { Provider } from "../providers/types";
import { parseUserList, type UserList } from "./user-list";
import { parseOriginEntry, type AppOrigins } from "./app-origins";
import { VarReader } from "./vars";

export interface Config {
  /** Secrets for key derivation, newest first. */
  secrets: string[];
  /** What works but should be changed, logged once when the app is built for this configuration. */
  warnings: string[];
  /** Public origin when the worker sits behind a rewrite; otherwise the request's origin is used. */
  authOrigin: string | null;
  basePath: string;
  providers: Map<string, Provider>;
  allowedOrigins: Set<string>;
  /** Origins of apps that sign in through `authOrigin` and get their own sessions by handoff; null when none. */
  appOrigins: AppOrigins | null;
  /** What a rewriting frontend sends in `X-Auth-Proxy-Secret` for its `X-Forwarded-Host` to count. */
  proxySecret: string | null;
  /** People allowed to list and end other users' sessions. */
  adminUsers: UserList;
  /** People allowed to sign in (one of the allow-lists). */
  allowedUsers: UserList;
  /** Email domains (lower case) whose verified addresses may sign in. */
  allowedEmailDomains: Set<string>;
  /** Proxy mode: where signed-in requests outside the base path go. */
  upstream: { origin: string; base: string } | null;
  passAccessToken: boolean;
  /** Proxies whose `X-Forwarded-For` names the client (empty: only `CF-Connecting-IP` does). */
  trustedProxies: readonly Cidr[];
  cookieDomain: string | null;
  /** Lifetimes in seconds. */
  accessTtl: number;
  idleTtl: number;
  maxTtl: number;
  rememberTtl: number;
  /**
   * Device-bound sessions (DBSC): offered to browsers at sign-in (not with
   * COOKIE_DOMAIN: DBSC refreshes one origin's cookie); a bound session's
   * cookie lives `deviceBoundTtl`.
   */
  deviceBound: boolean;
  deviceBoundTtl: number;
  providerTimeoutMs: number;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

const MIN_SECRET_LENGTH = 32;

function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Longest part of an entry repeated in a message: enough to find it, not a dump of the variable. */
const SHOWN = 50;

/** An entry of a list that is not secret, by its position and its value. */
const entryOf = (name: string, i: number, entry: string) => `${name} entry ${i + 1} ("${entry.slice(0, SHOWN)}")`;

/** ALLOWED_ORIGINS: exact origins only; a pattern is refused, not left to match nothing. */
function origins(vars: VarReader, name: string): Set<string> {
  const result = new Set<string>();
  for (const [i, entry] of vars.list(name).entries()) {
    const parsed = parseOriginEntry(entry);
    if (!parsed.ok) vars.problems.push(`${entryOf(name, i, entry)} ${parsed.reason}`);
    else if ("pattern" in parsed) vars.problems.push(`${entryOf(name, i, entry)} is a pattern: ${name} takes exact origins; app origins, patterns included, go in APP_ORIGINS`);
    else result.add(parsed.origin);
  }
  return result;
}

/** APP_ORIGINS: exact origins and one-label patterns (see `app-origins.ts`). */
function appOrigins(vars: VarReader, warnings: string[], authOrigin: string | null): AppOrigins | null {
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  const sources: string[] = [];
  for (const [i, entry] of vars.list("APP_ORIGINS").entries()) {
    const parsed = parseOriginEntry(entry);
    if (!parsed.ok) vars.problems.push(`${entryOf("APP_ORIGINS", i, entry)} ${parsed.reason}`);
    else if ("origin" in parsed) {
      exact.add(parsed.origin);
      sources.push(parsed.origin);
    }
    else {
      patterns.push(parsed.pattern);
      sources.push(parsed.source);
      if (parsed.underPublicSuffix) {
        warnings.push(`${entryOf("APP_ORIGINS", i, entry)} sits right under a public suffix: whoever can name a site there to match it is an app origin; prefer a domain of your own`);
      }
    }
  }
  if (exact.size + patterns.length === 0) return null;
  if (!authOrigin) vars.problems.push("APP_ORIGINS needs AUTH_URL: the one origin every provider sends sign-ins back to, and that hands them off to the apps");
  return { exact, patterns, sources };
}

/** TRUSTED_PROXIES: CIDRs, not secret, so a problem names the entry by its value. */
function trustedProxies(vars: VarReader, warnings: string[]): Cidr[] {
  const result: Cidr[] = [];
  vars.list("TRUSTED_PROXIES").forEach((entry, i) => {
    const named = entryOf("TRUSTED_PROXIES", i, entry);
    const parsed = parseCidr(entry);
    if (!parsed.ok) {
      vars.problems.push(
        parsed.reason === "host_bits"
          ? `${named} has address bits set past its prefix: write its network, ${parsed.network}, or ${entry.split("/")[0]} alone for that one address`
          : `${named} is not a CIDR such as 10.0.0.0/8 or fd00::/8, or a single address`,
      );
      return;
    }
    if (parsed.cidr.prefix === 0) {
      warnings.push(`${named} trusts every address: any client can then choose the address it is rate-limited by with X-Forwarded-For; list only your proxies' addresses`);
    }
    result.push(parsed.cidr);
  });
  return result;
}

/** Parses and validates the whole configuration; never throws. */
export function parseConfig(env: Vars): ConfigResult {
  const vars = new VarReader(env);
  const warnings: string[] = [];
  const dev = __DEV_BUILD__ && vars.boolean("DEV_PROVIDER");

  let secrets = vars.list("AUTH_SECRET");
  if (secrets.length === 0) {
    if (dev) {
      secrets = [randomSecret()];
      warnings.push("AUTH_SECRET is not set: using a random development secret; sessions end when the worker restarts");
    } else {
      vars.problems.push("AUTH_SECRET is required (at least 32 characters; comma-separated to rotate)");
    }
  } else if (secrets.some((secret) => secret.length < MIN_SECRET_LENGTH)) {
    vars.problems.push(`AUTH_SECRET must be at least ${MIN_SECRET_LENGTH} characters (each, when several are listed)`);
  }

  let authOrigin: string | null = null;
  const authURL = vars.url("AUTH_URL");
  if (authURL) {
    const url = new URL(authURL);
    if (url.pathname !== "/") vars.problems.push("AUTH_URL must be an origin such as https://auth.example.com, without a path");
    authOrigin = url.origin;
  }

  const basePath = vars.string("AUTH_BASE_PATH") ?? "/auth";
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(basePath)) vars.problems.push("AUTH_BASE_PATH must be a path such as /auth");

  const cookieDomain = vars.string("COOKIE_DOMAIN")?.toLowerCase() ?? null;
  if (cookieDomain && !/^\.?([a-z0-9-]+\.)+[a-z0-9-]+$/.test(cookieDomain)) {
    vars.problems.push("COOKIE_DOMAIN must be a domain name such as example.com");
  }

  const accessTtl = vars.integer("ACCESS_TTL", 900);
  const idleTtl = vars.integer("SESSION_IDLE_TTL", 86_400);
  const maxTtl = vars.integer("SESSION_MAX_TTL", 604_800);
  const rememberTtl = vars.integer("REMEMBER_TTL", 2_592_000);
  if (accessTtl > idleTtl) vars.problems.push("ACCESS_TTL must not be longer than SESSION_IDLE_TTL");
  if (idleTtl > maxTtl) vars.problems.push("SESSION_IDLE_TTL must not be longer than SESSION_MAX_TTL");
  const deviceBoundAsked = !vars.isSet("DEVICE_BOUND_SESSIONS") || vars.boolean("DEVICE_BOUND_SESSIONS");
  // A cookie shared with sibling hosts would lapse there: DBSC refreshes it only where it was registered.
  const deviceBound = deviceBoundAsked && !cookieDomain;
  if (deviceBoundAsked && cookieDomain && vars.isSet("DEVICE_BOUND_SESSIONS")) {
    warnings.push("DEVICE_BOUND_SESSIONS is on, but COOKIE_DOMAIN is set: sessions whose cookie sibling hosts share are never device-bound");
  }
  const deviceBoundTtl = vars.integer("DEVICE_BOUND_TTL", Math.min(300, accessTtl));
  if (deviceBoundTtl > accessTtl) vars.problems.push("DEVICE_BOUND_TTL must not be longer than ACCESS_TTL");
  if (deviceBound && deviceBoundTtl < 180) {
    warnings.push("DEVICE_BOUND_TTL is under 180 seconds: Chrome refreshes a bound cookie with under 2 minutes left on every request, past its quota of 6 signatures in 9 minutes, and sessions then lapse");
  }

  const providerTimeoutMs = vars.integer("PROVIDER_TIMEOUT_MS", 10_000, 100);
  const providers = new Map<string, Provider>();
  for (const definition of PROVIDERS) {
    const provider = definition.configure(vars, { timeoutMs: providerTimeoutMs, basePath });
    if (provider) providers.set(provider.id, provider);
  }
  if (!__DEV_BUILD__ && vars.boolean("DEV_PROVIDER")) {
    vars.problems.push("DEV_PROVIDER is on, but the development sign-in exists only in the development build: run npm run dev, or remove DEV_PROVIDER");
  }
  if (providers.size === 0 && vars.problems.length === 0) {
    vars.problems.push(`no sign-in provider is enabled: set ${PROVIDERS.map((definition) => definition.enabledBy).join(", or ")}`);
  }
  // A provider's own allow-list is applied by that provider only: without
  // it, the list would restrict nothing and anyone could sign in.
  for (const definition of PROVIDERS) {
    if (definition.allowList && vars.isSet(definition.allowList) && !providers.has(definition.id)) {
      vars.problems.push(
        `${definition.allowList} applies to ${definition.id} sign-in, which is not enabled: set ${definition.enabledBy}, or remove ${definition.allowList}`,
      );
    }
  }

  const allowedOrigins = origins(vars, "ALLOWED_ORIGINS");
  const apps = appOrigins(vars, warnings, authOrigin);
  const proxySecret = vars.string("PROXY_SECRET") ?? null;
  if (proxySecret !== null && proxySecret.length < MIN_SECRET_LENGTH) vars.problems.push(`PROXY_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
  if (proxySecret !== null && !apps) vars.problems.push("PROXY_SECRET is set but APP_ORIGINS is not: forwarded hosts count only when they are app origins");
  if (typeof (env.ASSETS as Fetcher | undefined)?.fetch !== "function") {
    vars.problems.push('the ASSETS binding is missing: declare [assets] with binding = "ASSETS" in wrangler.toml');
  }
  for (const binding of ["RATE_LIMITER", "RATE_LIMITER_STRICT"]) {
    if (typeof (env[binding] as RateLimit | undefined)?.limit !== "function") {
      vars.problems.push(`the ${binding} binding is missing: declare it under [[ratelimits]] in wrangler.toml`);
    }
  }
  const enabled = new Set(providers.keys());
  const report = { problems: vars.problems, warnings };
  const allowedUsers = parseUserList("ALLOWED_USERS", vars.list("ALLOWED_USERS"), PROVIDERS, enabled, report);
  const adminUsers = parseUserList("ADMIN_USERS", vars.list("ADMIN_USERS"), PROVIDERS, enabled, report);
  const allowedEmailDomains = new Set(vars.list("ALLOWED_EMAIL_DOMAINS").map((domain) => domain.toLowerCase().replace(/^@/, "")));
  if ([...allowedEmailDomains].some((domain) => !/^([a-z0-9-]+\.)+[a-z0-9-]+$/.test(domain))) {
    vars.problems.push("ALLOWED_EMAIL_DOMAINS must list domains such as example.com");
  }
  const upstreamURL = vars.url("UPSTREAM_URL");
  const upstream = upstreamURL ? { origin: new URL(upstreamURL).origin, base: upstreamURL } : null;
  const passAccessToken = vars.boolean("PASS_ACCESS_TOKEN");
  const proxies = trustedProxies(vars, warnings);

  if (vars.problems.length > 0) return { ok: false, problems: vars.problems };
  return {
    ok: true,
    config: {
      secrets,
      warnings,
      authOrigin,
      basePath,
      providers,
      allowedOrigins,
      appOrigins: apps,
      proxySecret,
      adminUsers,
      allowedUsers,
      allowedEmailDomains,
      upstream,
      passAccessToken,
      trustedProxies: proxies,
      cookieDomain,
      accessTtl,
      idleTtl,
      maxTtl,
      rememberTtl,
      deviceBound,
      deviceBoundTtl,
      providerTimeoutMs,
    },
  };
}

// The runtime hands every request of an isolate the same `env` object, so
// configuration is parsed once per isolate — and a broken one is reported
// on every request instead of crashing the isolate in a loop.
const cache = new WeakMap<object, ConfigResult>();

export function loadConfig(env: Vars): ConfigResult {
  let result = cache.get(env);
  if (!result) {
    result = parseConfig(env);
    cache.set(env, result);
  }
  return result;
}

import { WorkerEntrypoint } from "cloudflare:workers";
import type { Hono } from "hono";
import { parse } from "hono/utils/cookie";
import { buildApp } from "./app";
import { cleanUp } from "./session/cleanup";
import { loadConfig, type Config } from "./config/config";
import type { AppEnv, Env } from "./env";
import { audit } from "./platform/log";
import { cookiePrefix, prefixedCookieName } from "./http/cookie-names";
import { getKeyring } from "./crypto/keys";
import { endSession } from "./session/revocations";
import { checkCredential, identityOf, toCredential, type Identity } from "./session/check";
import type { SessionDeps } from "./session/deps";
import { listSessions, type DeviceSession } from "./session/list";
import { nowSeconds } from "./platform/time";
import { parseUserKey, userKey as makeUserKey } from "./session/user-key";
import { parseBearer } from "./http/current-session";
import { misconfigured } from "./http/respond";

const apps = new WeakMap<Config, Hono<AppEnv>>();

function appFor(config: Config): Hono<AppEnv> {
  let app = apps.get(config);
  if (!app) {
    // Once per configuration, which is once per isolate.
    for (const warning of config.warnings) audit("config_warning", { reason: warning });
    app = buildApp(config);
    apps.set(config, app);
  }
  return app;
}

function configOrThrow(env: Env): Config {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(`server misconfigured: ${loaded.problems.join("; ")}`);
  return loaded.config;
}

/** The session core's dependencies for a service-binding call: no request, so no client to log. */
async function serviceDeps(env: Env, ctx: ExecutionContext): Promise<SessionDeps> {
  const config = configOrThrow(env);
  return {
    config,
    keys: await getKeyring(config.secrets),
    db: env.DB,
    kv: env.REVOCATIONS,
    now: nowSeconds,
    audit: (event, fields) => audit(event, { ...fields, via: "service" }),
    waitUntil: (work) => ctx.waitUntil(work),
  };
}

/**
 * The session cookie in a `Cookie` header, under the one name it has on
 * `origin` (as `cookies.ts` names it): a cookie under another spelling was
 * not set by us there — a plain one planted over http, a `__Secure-` one
 * tossed from a sibling subdomain — and is no session.
 */
function sessionCookieIn(header: string, origin: string, cookieDomain: string | null): string | undefined {
  return parse(header)[prefixedCookieName("session", cookiePrefix(origin.startsWith("https:"), cookieDomain))];
}

/**
 * RPC for other Workers over a service binding:
 *
 * ```toml
 * # the calling Worker's wrangler.toml
 * [[services]]
 * binding = "AUTH"
 * service = "edge-session-worker"
 * entrypoint = "AuthService"
 * ```
 *
 * ```ts
 * const origin = "https://auth.example.com"; // or set AUTH_URL
 * const who = await env.AUTH.verify(request.headers.get("Cookie") ?? "", { origin }); // or "Bearer …"
 * await env.AUTH.revoke(who.sessionId);
 * const { sessions, next } = await env.AUTH.sessions(`${who.provider}:${who.user.id}`);
 * ```
 *
 * The same session core as the routes, called directly: checks are those of
 * `/auth/session` (revocation included) except that a session is never
 * renewed here — the caller could not hand the new cookies on.
 */
export class AuthService extends WorkerEntrypoint<Env> {
  /**
   * Who a credential belongs to: a `Cookie` header with the session cookie,
   * or `Bearer <token>` (the sealed session, or a JWT from `/auth/token`).
   * `origin` is the worker's public origin (default `AUTH_URL`): it names
   * the cookie and is the JWT's issuer, so a cookie or a JWT without one is
   * a TypeError. Null when it proves no live session.
   */
  async verify(credential: string, options: { origin?: string } = {}): Promise<Identity | null> {
    if (typeof credential !== "string" || credential.length > 16_384) return null;
    const deps = await serviceDeps(this.env, this.ctx);
    const origin = options.origin ?? deps.config.authOrigin;
    const bearer = parseBearer(credential);
    const presented = bearer ? toCredential(bearer, "bearer") : null;
    // A cookie's name and a JWT's issuer both depend on the origin: never guessed.
    if (!origin && presented?.kind !== "sealed") throw new TypeError("verify: pass { origin } (the worker's public origin) or set AUTH_URL");
    const cookie = bearer ? undefined : sessionCookieIn(credential, origin!, deps.config.cookieDomain);
    const session = presented ?? (cookie ? toCredential(cookie, "cookie") : null);
    const live = session && (await checkCredential(deps, session, origin ?? ""));
    return live ? identityOf(live) : null;
  }

  /** Ends a session; whether a live one was ended. */
  async revoke(sessionId: string): Promise<boolean> {
    if (typeof sessionId !== "string" || !/^[\w-]{1,64}$/.test(sessionId)) return false;
    return (await endSession(await serviceDeps(this.env, this.ctx), sessionId, { kind: "service", by: "service" })) !== null;
  }

  /** A user's live sessions (`provider:id`), a page at a time: pass the answer's `next` as `after`. */
  async sessions(userKey: string, options: { after?: string } = {}): Promise<{ sessions: DeviceSession[]; next?: string }> {
    const parsed = typeof userKey === "string" ? parseUserKey(userKey) : null;
    if (!parsed) return { sessions: [] };
    return listSessions(await serviceDeps(this.env, this.ctx), makeUserKey(parsed.provider, parsed.id), { after: options?.after });
  }
}

export default {
  fetch(request, env, ctx) {
    const loaded = loadConfig(env);
    if (!loaded.ok) return misconfigured(request, env, loaded.problems);
    return appFor(loaded.config).fetch(request, env, ctx);
  },
  async scheduled(_controller, env) {
    const loaded = loadConfig(env);
    if (!loaded.ok) {
      audit("config_invalid", { reason: loaded.problems.join("; ") });
      return;
    }
    await cleanUp(env.DB, loaded.config);
  },
} satisfies ExportedHandler<Env>;

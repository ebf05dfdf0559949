import { WorkerEntrypoint } from "cloudflare:workers";
import type { Hono } from "hono";
import { base64url } from "jose";
import { buildApp } from "./app";
import { cleanUp } from "./cleanup";
import { loadConfig, type Config } from "./config";
import type { AppEnv, Env } from "./env";
import { internalRequest } from "./internal";
import { audit } from "./log";
import type { Profile } from "./profile";
import { prefersJSON } from "./respond";

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

/**
 * A broken configuration answers every request with a 500 that names the
 * variable and what is wrong with it — never its value — instead of
 * throwing at startup and crash-looping.
 */
function misconfigured(request: Request, problems: string[]): Response {
  audit("config_invalid", { reason: problems.join("; ") });
  const message = `server misconfigured: ${problems.join("; ")}`;
  const headers = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" };
  if (prefersJSON(request)) return Response.json({ error: "server_misconfigured", message }, { status: 500, headers });
  const escaped = message.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return new Response(`<!DOCTYPE html><html lang="en"><title>Server misconfigured</title><h1>Server misconfigured</h1><p>${escaped}</p></html>`, {
    status: 500,
    headers: { ...headers, "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": "default-src 'none'" },
  });
}

function configOrThrow(env: Env): Config {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error(`server misconfigured: ${loaded.problems.join("; ")}`);
  return loaded.config;
}

/** What `AuthService.verify` answers: the same as `GET /auth/session`. */
export interface Identity {
  user: Profile;
  provider: string;
  sessionId: string;
  expiresAt: string;
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
 * `await env.AUTH.verify(request.headers.get("Cookie") ?? "")` or
 * `verify("Bearer …")` → the identity or null; `revoke(sessionId)` → whether
 * a live session was ended. Checks are exactly those of `/auth/session`,
 * revocation included, except that a session is never renewed here: the
 * caller could not hand the new cookies on.
 */
export class AuthService extends WorkerEntrypoint<Env> {
  private origin(config: Config, credential: string): string {
    if (config.authOrigin) return config.authOrigin;
    if (/^Bearer\s/i.test(credential)) {
      // Our bearer JWTs name the origin that issued them (and are checked against it).
      try {
        const payload = credential.replace(/^Bearer\s+/i, "").split(".")[1] ?? "";
        const iss: unknown = JSON.parse(new TextDecoder().decode(base64url.decode(payload))).iss;
        if (typeof iss === "string" && /^https?:\/\//.test(iss)) return new URL(iss).origin;
      } catch {
        // not a JWT: a sealed session, which names no origin
      }
      return "https://auth.internal";
    }
    // Cookie names carry the scheme: __Host-/__Secure- prefixes only exist on https.
    return /(^|;\s*)__(Host|Secure)-auth\.session=/.test(credential) ? "https://auth.internal" : "http://localhost";
  }

  async verify(credential: string): Promise<Identity | null> {
    if (typeof credential !== "string" || credential.length > 16_384) return null;
    const config = configOrThrow(this.env);
    const bearer = /^Bearer\s/i.test(credential);
    const request = internalRequest(`${this.origin(config, credential)}${config.basePath}/session`, {
      headers: bearer ? { Authorization: credential } : { Cookie: credential },
    });
    const response = await appFor(config).fetch(request, this.env, this.ctx);
    if (response.status === 200) return response.json<Identity>();
    if (response.status === 401) return null;
    throw new Error(`session check failed with ${response.status}`);
  }

  async revoke(sessionId: string): Promise<boolean> {
    if (typeof sessionId !== "string" || !/^[\w-]{1,64}$/.test(sessionId)) return false;
    const config = configOrThrow(this.env);
    const origin = config.authOrigin ?? "http://localhost";
    const request = internalRequest(`${origin}${config.basePath}/internal/sessions/${sessionId}`, { method: "DELETE" });
    const response = await appFor(config).fetch(request, this.env, this.ctx);
    if (!response.ok) throw new Error(`revocation failed with ${response.status}`);
    return (await response.json<{ revoked: boolean }>()).revoked;
  }
}

export default {
  fetch(request, env, ctx) {
    const loaded = loadConfig(env);
    if (!loaded.ok) return misconfigured(request, loaded.problems);
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

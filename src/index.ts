import type { Hono } from "hono";
import { buildApp } from "./app";
import { cleanUp } from "./cleanup";
import { loadConfig, type Config } from "./config";
import type { AppEnv, Env } from "./env";
import { audit } from "./log";
import { prefersJSON } from "./respond";

const apps = new WeakMap<Config, Hono<AppEnv>>();

function appFor(config: Config): Hono<AppEnv> {
  let app = apps.get(config);
  if (!app) {
    if (config.ephemeralSecret) {
      console.warn("AUTH_SECRET is not set: using a random development secret; sessions end when the worker restarts.");
    }
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

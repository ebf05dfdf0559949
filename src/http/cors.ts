import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";

/**
 * Credentialed CORS for exactly ALLOWED_ORIGINS, never `*`. Only
 * cross-origin requests carry `Origin` on a GET, so the rest pass through
 * untouched; everything under the base path is `no-store`, so no cache
 * needs `Vary: Origin` for them. A preflight is answered here, never by a
 * route. Written out rather than with hono/cors, which does the same for
 * every option it has: its share of the worker's 60 KiB was better spent.
 */
export function crossOrigin(allowed: ReadonlySet<string>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const origin = c.req.header("Origin");
    const preflight = c.req.method === "OPTIONS";
    if (origin === undefined && !preflight) return next();
    const headers: Record<string, string> = { Vary: "Origin" };
    if (origin !== undefined && allowed.has(origin)) {
      headers["Access-Control-Allow-Origin"] = origin;
      headers["Access-Control-Allow-Credentials"] = "true";
    }
    if (preflight) {
      return c.body(null, 204, {
        ...headers,
        "Access-Control-Allow-Methods": "GET,POST,DELETE",
        "Access-Control-Allow-Headers": "Content-Type,Authorization",
        "Access-Control-Max-Age": "600",
      });
    }
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.append(name, value);
  };
}

import type { MiddlewareHandler } from "hono";
import type { Config } from "../config/config";
import type { AppEnv } from "../env";

/**
 * Security headers. Pages load nothing but our own stylesheet and script; forms may
 * only go to us and, through our redirects, to the enabled providers and
 * the allowed origins a sign-in may end on (Chromium applies `form-action`
 * to every redirect after a form post). The page headers only mean
 * something on documents, so JSON and redirects get just `nosniff` — every
 * header costs a little on the hot path.
 *
 * Written out rather than through Hono's `secureHeaders`: the values are
 * fixed per configuration, and its option handling cost more bundle than
 * these lines. Its defaults for browsers of another era (IE's
 * X-Download-Options, Flash's X-Permitted-Cross-Domain-Policies, the
 * removed XSS auditor's X-XSS-Protection, X-DNS-Prefetch-Control and
 * Origin-Agent-Cluster, now the default) are left out.
 */
export function securityHeaders(config: Config): MiddlewareHandler<AppEnv> {
  const providerOrigins = [...config.providers.values()].flatMap((provider) => provider.origins);
  // With APP_ORIGINS, a sign-in's redirects go from the app to AUTH_URL and back.
  const apps = config.appOrigins ? [config.authOrigin!, ...config.appOrigins.sources] : [];
  const formAction = ["'self'", ...new Set([...providerOrigins, ...config.allowedOrigins, ...apps])].join(" ");
  const forPages: [string, string][] = [
    ["Content-Security-Policy", `default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' https: data:; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`],
    ["Cross-Origin-Opener-Policy", "same-origin"],
    ["Cross-Origin-Resource-Policy", "same-origin"],
    // Not "no-referrer": that makes browsers send `Origin: null` on our own form posts.
    ["Referrer-Policy", "same-origin"],
    ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
    ["X-Content-Type-Options", "nosniff"],
    ["X-Frame-Options", "DENY"],
  ];
  return async (c, next) => {
    await next();
    // The upstream's answer keeps the upstream's headers; our own pages and
    // errors on those paths (sign in, 401, 502) get ours.
    if (c.get("proxied")) return;
    if (c.res.headers.get("Content-Type")?.startsWith("text/html")) for (const [name, value] of forPages) c.res.headers.set(name, value);
    else c.res.headers.set("X-Content-Type-Options", "nosniff");
  };
}

import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { Config } from "./config";
import type { AppEnv } from "./env";

/**
 * Security headers. Pages load nothing but our own stylesheet; forms may
 * only go to us and, through our redirects, to the enabled providers and
 * the allowed origins a sign-in may end on (Chromium applies `form-action`
 * to every redirect after a form post). The page headers only mean
 * something on documents, so JSON and redirects get just `nosniff` — every
 * header costs a little on the hot path.
 */
export function securityHeaders(config: Config): MiddlewareHandler<AppEnv> {
  const providerOrigins = [...config.providers.values()].flatMap((provider) => provider.origins);
  const forPages = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "https:", "data:"],
      formAction: ["'self'", ...new Set([...providerOrigins, ...config.allowedOrigins])],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    xFrameOptions: "DENY",
    // Not "no-referrer": that makes browsers send `Origin: null` on our own form posts.
    referrerPolicy: "same-origin",
  });
  const done = async () => {};
  return async (c, next) => {
    await next();
    // The upstream's answer keeps the upstream's headers; our own pages and
    // errors on those paths (sign in, 401, 502) get ours.
    if (c.get("proxied")) return;
    if (c.res.headers.get("Content-Type")?.startsWith("text/html")) await forPages(c, done);
    else c.res.headers.set("X-Content-Type-Options", "nosniff");
  };
}

import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { Config } from "./config";

/**
 * Security headers for every response. Pages load nothing but our own
 * stylesheet; forms may only go to us and, through our redirects, to the
 * enabled providers and the allowed origins a sign-in may end on
 * (Chromium applies `form-action` to every redirect after a form post).
 */
export function securityHeaders(config: Config): MiddlewareHandler {
  const providerOrigins = [...config.providers.values()].flatMap((provider) => provider.origins);
  return secureHeaders({
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
}

import type { Config } from "../config/config";
import { servesApp } from "../config/app-origins";

/** The header a rewriting frontend adds, with `PROXY_SECRET`, to vouch for its `X-Forwarded-Host`. */
export const PROXY_SECRET_HEADER = "X-Auth-Proxy-Secret";

/** Compares in time that depends on the length only, which is not secret. */
function sameSecret(presented: string, expected: string): boolean {
  let difference = presented.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) difference |= presented.charCodeAt(i) ^ expected.charCodeAt(i);
  return difference === 0;
}

/**
 * The app origin (APP_ORIGINS) a request was made on — its own origin is
 * `own` — or null for the worker's (`AUTH_URL`). An app reaches the worker at its own host (a
 * route of the worker) or through a frontend that rewrites `/auth/*` to it;
 * that frontend's `X-Forwarded-Host` counts only with the `PROXY_SECRET`
 * beside it — anyone can send the header, only the frontend knows the secret.
 */
export function appOriginOf(request: Request, own: string, config: Config): string | null {
  if (!config.appOrigins) return null;
  let origin = own;
  const forwarded = request.headers.get("X-Forwarded-Host");
  const secret = request.headers.get(PROXY_SECRET_HEADER);
  if (forwarded && secret !== null && config.proxySecret && sameSecret(secret, config.proxySecret)) {
    const scheme = request.headers.get("X-Forwarded-Proto") === "http" ? "http" : "https";
    origin = `${scheme}://${forwarded.toLowerCase()}`;
  }
  return servesApp(config, origin) ? origin : null;
}

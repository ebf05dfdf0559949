const MAX_LENGTH = 2048;

/**
 * Where to send someone after sign-in or sign-out. Accepts a path on this
 * origin or a URL on an allowed origin; anything else — `//evil`,
 * `/\evil`, `/.//evil`, `https:evil`, `javascript:`, encoded slashes,
 * userinfo, control characters — falls back to `/`.
 */
export function safeRedirect(target: string | undefined | null, selfOrigin: string, allowedOrigins: ReadonlySet<string>): string {
  if (!target || target.length > MAX_LENGTH) return "/";
  // Browsers strip tabs and newlines from URLs and treat `\` like `/`, so
  // either can turn a harmless-looking path into another host.
  if (/[\u0000-\u001f\u007f\\\s]/.test(target)) return "/";
  if (target.startsWith("/")) {
    const url = parse(target, selfOrigin);
    return url && url.origin === selfOrigin && staysOnOrigin(url) ? url.pathname + url.search + url.hash : "/";
  }
  const url = parse(target);
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) return "/";
  if (url.username || url.password) return "/";
  if (url.origin !== selfOrigin && !allowedOrigins.has(url.origin)) return "/";
  // Only the exact spelling that parses to the same URL: `https:evil.com` or
  // `https:/\evil` parse "helpfully" and are refused above or here.
  if (!target.startsWith(`${url.origin}/`) && target !== url.origin) return "/";
  return staysOnOrigin(url) ? url.href : "/";
}

function parse(url: string, base?: string): URL | undefined {
  try {
    return new URL(url, base);
  } catch {
    return undefined;
  }
}

const HOST_LIKE = /^\/[\\/]/;

/**
 * Whether the path of an already resolved URL stays a path on its origin,
 * for the browser and for an app that decodes it once more before
 * following it. The raw string is not enough: dot segments are resolved
 * only by the parser, so `/.//evil` and `/x/%2E%2E//evil` become `//evil`,
 * `/.%2F/evil` becomes it once decoded, and a path beginning `//` is
 * another host to anyone who reads it as a relative URL. Decoded control
 * characters and `\` are refused too: a reader that decodes may also
 * split headers on them or treat `\` as `/`.
 */
function staysOnOrigin(url: URL): boolean {
  if (HOST_LIKE.test(url.pathname)) return false;
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname + url.search + url.hash);
  } catch {
    return false;
  }
  if (/[\u0000-\u001f\u007f\\]/.test(decoded)) return false;
  const again = parse(decoded, url.origin);
  return again !== undefined && again.origin === url.origin && !HOST_LIKE.test(again.pathname);
}

const MAX_LENGTH = 2048;

/**
 * Where to send someone after sign-in or sign-out. Accepts a path on this
 * origin or a URL on an allowed origin; anything else — `//evil`,
 * `/\evil`, `https:evil`, `javascript:`, encoded slashes, userinfo, control
 * characters — falls back to `/`.
 */
export function safeRedirect(target: string | undefined | null, selfOrigin: string, allowedOrigins: ReadonlySet<string>): string {
  if (!target || target.length > MAX_LENGTH) return "/";
  // Browsers strip tabs and newlines from URLs and treat `\` like `/`, so
  // either can turn a harmless-looking path into another host.
  if (/[\u0000-\u001f\u007f\\\s]/.test(target)) return "/";
  let decoded: string;
  try {
    decoded = decodeURIComponent(target);
  } catch {
    return "/";
  }
  if (target.startsWith("/")) {
    if (target.startsWith("//") || /^\/[\\/]/.test(decoded) || /[\\\u0000-\u001f]/.test(decoded)) return "/";
    const url = new URL(target, selfOrigin);
    return url.origin === selfOrigin ? url.pathname + url.search + url.hash : "/";
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return "/";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "/";
  if (url.username || url.password) return "/";
  if (url.origin !== selfOrigin && !allowedOrigins.has(url.origin)) return "/";
  // Only the exact spelling that parses to the same URL: `https:evil.com` or
  // `https:/\evil` parse "helpfully" and are refused above or here.
  if (!target.startsWith(`${url.origin}/`) && target !== url.origin) return "/";
  return url.href;
}

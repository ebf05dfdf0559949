/**
 * APP_ORIGINS: the origins of the apps that sign in through this worker,
 * each exact (`https://app.example.com`) or a pattern with one `*` in its
 * first label (`https://*.example.com`, `https://myapp-*-team.vercel.app`).
 * Scheme and port are exact; `*` stands for 1–63 characters of
 * `[a-z0-9-]`, never a dot, so a pattern reaches one level down and no
 * further.
 */
export interface AppOrigins {
  exact: ReadonlySet<string>;
  patterns: readonly RegExp[];
  /**
   * The same as CSP sources, for `form-action`: a sign-in's redirects end
   * on the app. CSP's `*` stands for whole labels, so `myapp-*-team.vercel.app`
   * becomes `*.vercel.app` there — wider, for where forms may lead only.
   */
  sources: readonly string[];
}

/**
 * Public suffixes a pattern may not sit on with a bare `*`: anyone can own
 * a name right under them. Not the whole Public Suffix List (the worker's
 * bundle is budgeted): the hosting platforms apps are deployed to, any
 * single label (`*.com`), and two-label country registries (`*.co.uk`).
 */
const HOSTING_SUFFIXES = new Set(
  (
    "vercel.app now.sh workers.dev pages.dev netlify.app herokuapp.com github.io gitlab.io fly.dev onrender.com web.app firebaseapp.com " +
    "appspot.com azurewebsites.net azurestaticapps.net cloudfront.net amplifyapp.com railway.app up.railway.app deno.dev glitch.me " +
    "replit.app replit.dev repl.co ngrok.io ngrok.app ngrok-free.app ngrok.dev trycloudflare.com r2.dev surge.sh blogspot.com vercel.dev " +
    "ondigitalocean.app app.github.dev github.dev run.app a.run.app cloudfunctions.net azurecontainerapps.io supabase.co hf.space " +
    "streamlit.app csb.app stackblitz.io webcontainer.io gitpod.io lovable.app deno.net"
  ).split(" "),
);
const REGISTRY_LABELS = new Set("ac co com edu gob go gov mil ne net or org".split(" "));

/** Whether `domain` is (as far as this worker knows) a public suffix. */
export function isPublicSuffix(domain: string): boolean {
  const labels = domain.split(".");
  if (labels.length === 1) return true;
  if (labels.length === 2 && REGISTRY_LABELS.has(labels[0]!) && labels[1]!.length === 2) return true;
  return HOSTING_SUFFIXES.has(domain);
}

const FIXED_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const escape = (text: string) => text.replace(/[.-]/g, "\\$&");

export type ParsedOrigin =
  | { ok: true; origin: string }
  | { ok: true; pattern: RegExp; source: string; underPublicSuffix: boolean }
  | { ok: false; reason: string };

/**
 * One entry, exact or pattern. The reasons complete a sentence that names
 * the entry ("… is not an origin such as https://app.example.com").
 */
export function parseOriginEntry(entry: string): ParsedOrigin {
  const match = /^(https?):\/\/([^/:?#@]+)(:\d{1,5})?\/?$/.exec(entry);
  const notOrigin = { ok: false, reason: "is not an origin such as https://app.example.com" } as const;
  if (!match) return notOrigin;
  const [, scheme, host, port = ""] = match;
  if (!host!.includes("*")) {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      return notOrigin;
    }
    // Only what it says: `https://evil.example\app.example.com` parses as evil.example.
    return url.hostname === host!.toLowerCase() ? { ok: true, origin: url.origin } : notOrigin;
  }
  const [first, ...rest] = host!.toLowerCase().split(".");
  if (first === "*" && rest.length === 0) return { ok: false, reason: "is a bare *: name the domain, such as https://*.example.com" };
  if (first!.split("*").length !== 2 || rest.some((label) => !FIXED_LABEL.test(label))) {
    return { ok: false, reason: "has a * outside its first label, or more than one: one * in the first label, such as https://*.example.com" };
  }
  const [before, after] = first!.split("*") as [string, string];
  if (!/^[a-z0-9-]*$/.test(before + after)) return notOrigin;
  const suffix = rest.join(".");
  const underPublicSuffix = isPublicSuffix(suffix);
  if (underPublicSuffix && first === "*") return { ok: false, reason: `would match every site under the public suffix ${suffix}` };
  const defaultPort = scheme === "https" ? ":443" : ":80";
  const portPart = port === defaultPort ? "" : port;
  return {
    ok: true,
    pattern: new RegExp(`^${scheme}://${escape(before)}[a-z0-9-]{1,63}${escape(after)}\\.${escape(suffix)}${portPart}$`),
    source: `${scheme}://*.${suffix}${portPart}`,
    underPublicSuffix,
  };
}

/** Whether an origin (as `URL.origin` spells it) is one of the app origins. */
export function isAppOrigin(apps: AppOrigins, origin: string): boolean {
  return apps.exact.has(origin) || apps.patterns.some((pattern) => pattern.test(origin));
}

/** Whether `origin` is an app origin this configuration serves: one of APP_ORIGINS, and not AUTH_URL itself. */
export const servesApp = (config: { appOrigins: AppOrigins | null; authOrigin: string | null }, origin: string) =>
  config.appOrigins !== null && origin !== config.authOrigin && isAppOrigin(config.appOrigins, origin);

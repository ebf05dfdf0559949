import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../env";
import { bearerToken } from "./current-session";
import { AuthError, NOT_SIGNED_IN } from "../errors";
import { audit } from "../platform/log";
import { changesState, isLocalRequest } from "./origins";
import { schemaMissing } from "../platform/d1";
import { renderPage } from "./page";
import type { Bindings } from "../env";
import { serveAsset } from "./assets";
import { signInAtAuthOrigin } from "../signin/handoff";

/** JSON for API callers (`Accept: application/json`), HTML for browsers. */
export function prefersJSON(request: Request): boolean {
  const accept = request.headers.get("Accept") ?? "";
  return accept.includes("application/json") && !accept.includes("text/html");
}

/**
 * A broken configuration answers every request with a 500 that names each
 * variable and what is wrong with it — never its value — instead of
 * throwing at startup and crash-looping. The page's stylesheet is served
 * wherever it is asked for: nothing else is.
 */
export async function misconfigured(request: Request, env: Pick<Bindings, "ASSETS" | "PAGES">, problems: string[]): Promise<Response> {
  audit("config_invalid", { reason: problems.join("; ") });
  const headers = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" };
  const json = () => Response.json({ error: "server_misconfigured", message: `server misconfigured: ${problems.join("; ")}` }, { status: 500, headers });
  if (prefersJSON(request)) return json();
  // Not cached: in proxy mode the path may be the upstream's own stylesheet's.
  if (env.ASSETS && new URL(request.url).pathname.endsWith("/style.css")) return serveAsset(env.ASSETS, "style.css", "no-store");
  // Without the pages Worker, the same answer as JSON.
  const html = await renderPage(env, { page: "misconfigured", problems }).catch(() => null);
  if (!html) return json();
  return new Response(html, {
    status: 500,
    headers: { ...headers, "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": "default-src 'none'; style-src 'self'" },
  });
}

/** Renders an expected failure; the body never contains more than its code and message. */
export function errorResponse(c: Context<AppEnv>, error: AuthError): Response | Promise<Response> {
  if (error.code === "unauthenticated") return notSignedIn(c);
  // The migrations command for the database this request reached: wrangler dev's on localhost.
  if (error.code === "schema_missing" && isLocalRequest(c)) error = schemaMissing(true);
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  // RFC 6750 §3.1: a bearer credential that is not enough for this route.
  if (error.code === "insufficient_scope" && bearerToken(c)) challenge(c, "insufficient_scope");
  const json = () => c.json({ error: error.code, message: error.message }, error.status);
  if (prefersJSON(c.req.raw)) return json();
  // Without the pages Worker, the same answer as JSON: still clear, never a 500.
  return renderPage(c.env, { page: "error", status: error.status, message: error.message, basePath: c.var.config?.basePath }).then((html) => c.html(html, error.status), json);
}

/** The one error handler: expected errors are rendered, anything else is logged and hidden. */
export const onError: ErrorHandler<AppEnv> = (error, c) => {
  if (error instanceof AuthError) return errorResponse(c, error);
  if (error instanceof HTTPException && error.status < 500) {
    return errorResponse(c, new AuthError(error.status, "bad_request", "The request could not be understood."));
  }
  audit("error", { reason: error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 500) : "unknown" }, c);
  return errorResponse(c, new AuthError(500, "internal_error", "Something went wrong on our side. Please try again."));
};

/** The sign-in page, coming back to `back` (a path here, or a URL on an allowed origin) afterwards. */
const signInURL = (c: Context<AppEnv>, back?: string) =>
  `${c.var.config.basePath}/signin${back ? `?redirect_to=${encodeURIComponent(back)}` : ""}`;

/** `WWW-Authenticate: Bearer realm="<our origin>"[, error="…"]` (RFC 6750 §3). */
function challenge(c: Context<AppEnv>, error?: "invalid_token" | "insufficient_scope") {
  c.header("WWW-Authenticate", `Bearer realm="${c.var.origin}"${error ? `, error="${error}"` : ""}`);
}

export interface NotSignedInOptions {
  /** Where sign-in comes back to; by default the URL asked for, when it was a GET. */
  back?: string;
  /**
   * `api`: a JSON endpoint (`/auth/session`), JSON to every caller.
   * `forward-auth`: the proxy in front must see the 401, so never a redirect.
   */
  as?: "api" | "forward-auth";
}

/**
 * "Not signed in", answered one way wherever it arises: a route, a
 * `requireSession` (through `errorResponse`), the proxy, forward auth.
 *
 * The browser rule. A browser is a caller whose `Accept` names text/html,
 * as every navigation's does (and `fetch`'s, curl's and API clients' do
 * not). A browser's GET is sent to sign in and back: 302 to the sign-in
 * page, `redirect_to` the URL it asked for. A browser request that cannot
 * be redirected gets a 401 page that moves on to the same sign-in URL at
 * once: forward auth, whose proxy must see the 401, and a form post, which
 * could not be replayed after sign-in (it comes back to `back`, or where
 * sign-in lands by default). Everyone else gets JSON, and so does every
 * caller of a JSON endpoint: a script that followed a redirect would read
 * the sign-in page as a 200.
 *
 * The 401 itself is always the same: `{"error":"unauthenticated",
 * "message":"You are not signed in.","signin":"<absolute sign-in URL>"}`,
 * the sign-in URL also as `X-Auth-Signin`, and `WWW-Authenticate: Bearer
 * realm="<origin>"` (RFC 7235 requires a challenge on every 401), with
 * `error="invalid_token"` when the request presented a bearer credential:
 * one that is accepted would have been a session.
 */
export function notSignedIn(c: Context<AppEnv>, { back, as }: NotSignedInOptions = {}): Response | Promise<Response> {
  const get = !changesState(c.req.method);
  if (get && as !== "api" && back === undefined) {
    const url = new URL(c.req.url);
    back = url.pathname + url.search;
  }
  const signin = signInURL(c, back);
  const browser = as !== "api" && (c.req.header("Accept") ?? "").includes("text/html");
  // On an app origin, straight to AUTH_URL: signed in there, the handoff comes back without a page.
  if (browser && get && as !== "forward-auth") return c.var.onApp ? signInAtAuthOrigin(c, "/signin", back) : c.redirect(signin, 302);
  const absolute = c.var.origin + signin;
  c.header("X-Auth-Signin", absolute);
  challenge(c, bearerToken(c) ? "invalid_token" : undefined);
  const json = () => c.json({ error: "unauthenticated", message: NOT_SIGNED_IN, signin: absolute }, 401);
  if (!browser) return json();
  const view = { page: "error", status: 401, basePath: c.var.config.basePath, message: NOT_SIGNED_IN, signin: absolute } as const;
  return renderPage(c.env, view).then((html) => c.html(html, 401), json);
}

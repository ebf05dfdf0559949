import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./env";
import { AuthError } from "./errors";
import { audit } from "./log";
import { ErrorPage } from "./pages/error";

/** JSON for API callers (`Accept: application/json`), HTML for browsers. */
export function prefersJSON(request: Request): boolean {
  const accept = request.headers.get("Accept") ?? "";
  return accept.includes("application/json") && !accept.includes("text/html");
}

/** Renders an expected failure; the body never contains more than its code and message. */
export function errorResponse(c: Context<AppEnv>, error: AuthError): Response | Promise<Response> {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  if (prefersJSON(c.req.raw)) return c.json({ error: error.code, message: error.message }, error.status);
  return c.html(<ErrorPage status={error.status} message={error.message} basePath={c.var.config?.basePath} />, error.status);
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

/** The sign-in page, coming back to `back` (a path here) afterwards. */
export const signInURL = (c: Context<AppEnv>, back: string) => `${c.var.config.basePath}/signin?redirect_to=${encodeURIComponent(back)}`;

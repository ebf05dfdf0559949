import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * Every code the worker answers with (`{"error":"…"}`), a closed set: code
 * that acts on an error compares against these, never against a message,
 * and each means one thing. README's "Error codes" table lists the same
 * (a test compares them); the array itself is for that test only, and
 * drops out of the bundle.
 */
export const ERROR_CODES = [
  // Who you are, and what you may do.
  "unauthenticated",
  "insufficient_scope",
  "reauthentication_required",
  "cross_site_request",
  "not_allowed",
  "not_admin",
  "rate_limited",
  // Requests that cannot be served as sent.
  "bad_request",
  "form_too_large",
  "method_not_allowed",
  "not_found",
  "invalid_user",
  "session_not_found",
  "cookie_too_large",
  // Signing in.
  "unknown_provider",
  "dev_provider_local_only",
  "invalid_request",
  "invalid_name",
  "invalid_state",
  "flow_missing",
  "invalid_app",
  "handoff_invalid",
  "invalid_window",
  "pages_unavailable",
  "passkey_refused",
  "passkey_exists",
  "passkey_not_found",
  "not_here",
  "step_up_required",
  "registration_refused",
  "proof_required",
  "proof_refused",
  "access_denied",
  "missing_code",
  "provider_refused",
  // The provider's answers.
  "provider_rejected_grant",
  "provider_error",
  "provider_token_rejected",
  "provider_bad_response",
  "provider_unavailable",
  "provider_timeout",
  // The second factor.
  "invalid_code",
  "code_used",
  "second_factor_locked",
  "pending_signin_missing",
  "pending_signin_void",
  "second_factor_on",
  "second_factor_off",
  "no_pending_setup",
  // Proxy mode.
  "upstream_unavailable",
  "upstream_bad_response",
  // Our own storage.
  "session_store_unavailable",
  "schema_missing",
  "revocation_list_unavailable",
  "data_key_unavailable",
  "internal_error",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * An expected failure with a status, a stable machine-readable code and a
 * message a person can act on. Anything else that is thrown is a bug and
 * becomes a generic 500 without details.
 */
export class AuthError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    /** Extra response headers, such as `Retry-After`. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "AuthError";
  }
}

/** Not signed in: answered by `notSignedIn` (respond.tsx), wherever it is thrown. */
export const NOT_SIGNED_IN = "You are not signed in.";
export const unauthenticated = () => new AuthError(401, "unauthenticated", NOT_SIGNED_IN);

import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * An expected failure with a status, a stable machine-readable code and a
 * message a person can act on. Anything else that is thrown is a bug and
 * becomes a generic 500 without details.
 */
export class AuthError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    /** Extra response headers, such as `Retry-After`. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "AuthError";
  }
}

export const unauthenticated = () =>
  new AuthError(401, "unauthenticated", "You are not signed in.");

import {
  ArcticFetchError,
  OAuth2RequestError,
  UnexpectedErrorResponseBodyError,
  UnexpectedResponseError,
} from "arctic";
import { readLimited } from "../http/body";
import { AuthError } from "../errors";
import { nowSeconds } from "../platform/time";
import type { ProviderTokens } from "./types";

/** GitHub's REST API refuses requests without one; others are happy to see it. */
export const USER_AGENT = "edge-session-worker";

/** Provider answers larger than this are refused rather than buffered. */
const MAX_BODY_BYTES = 256 * 1024;

export function joinURL(base: string, path: string): string {
  return base.replace(/\/+$/, "") + path;
}

const timeoutError = (provider: string) =>
  new AuthError(504, "provider_timeout", `${provider} did not answer in time. Please try again.`);
const unavailable = (provider: string) =>
  new AuthError(502, "provider_unavailable", `${provider} could not be reached or answered with an error. Please try again.`);
const tokenRejected = (provider: string) =>
  new AuthError(502, "provider_token_rejected", `${provider} no longer accepts this sign-in's access token. Please sign in again.`);
const badResponse = (provider: string) =>
  new AuthError(502, "provider_bad_response", `${provider} sent a response that could not be understood.`);

/**
 * Turns an OAuth error code from a token endpoint into a clean error. The
 * provider refusing the grant itself — a sign-in code, or a refresh token,
 * expired, spent or revoked — is `provider_rejected_grant`, and nothing
 * else is: renewal ends a session on it.
 */
export function tokenEndpointError(provider: string, code: string): AuthError {
  if (code === "invalid_grant" || code === "bad_verification_code") {
    return new AuthError(400, "provider_rejected_grant", `${provider} rejected the sign-in code: it has expired or was already used. Please sign in again.`);
  }
  return new AuthError(502, "provider_error", `${provider} refused the token request (${code.slice(0, 64)}).`);
}

/**
 * Runs an arctic request to a token or revocation endpoint, bounded in
 * time and size, and maps every way it can fail to a clean error.
 *
 * arctic takes no fetch of its own: it calls the global `fetch` and reads
 * the answer with `response.json()`, whole, however large. So for the
 * synchronous part of `send()` only, the global is swapped for a fetch
 * that hands arctic the answer already read, up to MAX_BODY_BYTES, within
 * the time limit. This works because arctic 3.7's OAuth2Client methods
 * build the request and call `fetch` before their first `await` (dist/
 * client.js → request.js `sendTokenRequest`, `sendTokenRevocationRequest`);
 * it is safe because the global is restored before this function awaits
 * anything, and no other code in the isolate can run before then
 * (test/worker/github.test.ts checks both). The alternative, our own token
 * requests, would give up arctic's request building and error parsing,
 * which is what we use it for.
 */
export async function tokenEndpoint<T>(provider: string, timeoutMs: number, send: () => Promise<T>): Promise<T> {
  const signal = AbortSignal.timeout(timeoutMs);
  const global = globalThis.fetch;
  let called = false;
  let work: Promise<T>;
  globalThis.fetch = (input, init) => {
    called = true;
    return boundedFetch(provider, global, input, { ...init, signal });
  };
  try {
    work = send();
  } finally {
    globalThis.fetch = global;
  }
  // A later arctic that awaited first would reach the real fetch, unbounded: fail loudly instead.
  if (!called) throw new Error("arctic did not call fetch synchronously; its answer would not be bounded");
  try {
    return await work;
  } catch (error) {
    // boundedFetch's own refusals, which arctic wraps.
    if (error instanceof ArcticFetchError && error.cause instanceof AuthError) throw error.cause;
    if (error instanceof OAuth2RequestError) throw tokenEndpointError(provider, error.code);
    if (error instanceof UnexpectedResponseError && error.status >= 200 && error.status < 300) throw badResponse(provider);
    if (error instanceof ArcticFetchError || error instanceof UnexpectedResponseError) throw unavailable(provider);
    if (error instanceof UnexpectedErrorResponseBodyError) throw badResponse(provider);
    throw unavailable(provider);
  }
}

/**
 * The fetch arctic gets: the answer read within the time limit and up to
 * MAX_BODY_BYTES (more is refused, Content-Length or not), then handed
 * back from memory.
 */
async function boundedFetch(
  provider: string,
  realFetch: typeof fetch,
  input: RequestInfo | URL,
  init: RequestInit & { signal: AbortSignal },
): Promise<Response> {
  let status: number;
  let bytes: Uint8Array | null;
  try {
    const response = await realFetch(input, init);
    status = response.status;
    bytes = await readLimited(response.body, MAX_BODY_BYTES);
  } catch {
    throw init.signal.aborted ? timeoutError(provider) : unavailable(provider);
  }
  if (!bytes) throw badResponse(provider);
  // An empty body is null: a 204 may not carry one.
  return new Response(bytes.byteLength ? bytes : null, { status });
}

/**
 * Reads a token response. `defaultLifetime` (seconds) applies when the
 * provider omits `expires_in` but its tokens do expire (Vercel).
 */
export function parseTokens(provider: string, tokens: { data: object }, defaultLifetime: number | null): ProviderTokens {
  const data = tokens.data as Record<string, unknown>;
  const accessToken = data.access_token;
  if (typeof accessToken !== "string" || accessToken === "" || accessToken.length > 2048) throw badResponse(provider);
  const expiresIn = typeof data.expires_in === "number" && data.expires_in > 0 ? data.expires_in : defaultLifetime;
  const refreshToken = typeof data.refresh_token === "string" && data.refresh_token.length <= 2048 ? data.refresh_token : null;
  return {
    accessToken,
    accessTokenExpiresAt: expiresIn === null ? null : nowSeconds() + Math.floor(expiresIn),
    refreshToken: refreshToken || null,
  };
}

/**
 * GET a provider API resource as JSON with the user's token, bounded in
 * time and size. With `optional`, a 403 or 404 (a scope the user did not
 * grant) is null rather than an error. A 401 is `provider_token_rejected`:
 * the token itself is no longer good (revoked, or the app uninstalled),
 * which is not an outage.
 */
export async function getJSON(
  provider: string,
  url: string,
  accessToken: string,
  timeoutMs: number,
  headers: Record<string, string> = {},
  optional = false,
): Promise<unknown> {
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { Accept: "application/json", "User-Agent": USER_AGENT, Authorization: `Bearer ${accessToken}`, ...headers },
      signal,
    });
  } catch {
    throw signal.aborted ? timeoutError(provider) : unavailable(provider);
  }
  if (!response.ok) {
    await response.body?.cancel();
    if (optional && (response.status === 403 || response.status === 404)) return null;
    throw response.status === 401 ? tokenRejected(provider) : unavailable(provider);
  }
  if (!/^application\/([\w.+-]*\+)?json\b/i.test(response.headers.get("content-type") ?? "")) {
    await response.body?.cancel();
    throw badResponse(provider);
  }
  let bytes: Uint8Array | null;
  try {
    bytes = await readLimited(response.body, MAX_BODY_BYTES);
  } catch {
    throw signal.aborted ? timeoutError(provider) : unavailable(provider);
  }
  if (!bytes) throw badResponse(provider);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw badResponse(provider);
  }
}

/**
 * Sends a request to a provider API that answers with a status only
 * (GitHub's token revocation), bounded in time; the body is never read.
 * Resolves on 2xx.
 */
export async function sendToProvider(
  provider: string,
  url: string,
  init: { method: string; headers: Record<string, string>; body: string },
  timeoutMs: number,
): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, { ...init, headers: { "User-Agent": USER_AGENT, ...init.headers }, signal });
  } catch {
    throw signal.aborted ? timeoutError(provider) : unavailable(provider);
  }
  await response.body?.cancel();
  if (!response.ok) throw unavailable(provider);
}

export function asRecord(value: unknown, provider: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw badResponse(provider);
  return value as Record<string, unknown>;
}

export function asArray(value: unknown, provider: string): unknown[] {
  if (!Array.isArray(value)) throw badResponse(provider);
  return value;
}

export const str = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

import { AuthError } from "../errors";
import { withTimeout } from "./timeout";

const TIMEOUT_MS = 5_000;

const unavailable = () =>
  new AuthError(503, "session_store_unavailable", "Sessions cannot be updated right now. Please try again shortly.", { "Retry-After": "5" });

/** Runs a D1 call with a timeout; any failure is a 503, never a half-done session. */
export async function run<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await withTimeout(work(), TIMEOUT_MS, unavailable);
  } catch {
    throw unavailable();
  }
}

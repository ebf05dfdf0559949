import { AuthError } from "../errors";
import { audit } from "./log";
import { withTimeout } from "./timeout";

const TIMEOUT_MS = 5_000;

const unavailable = () =>
  new AuthError(503, "session_store_unavailable", "Sessions cannot be updated right now. Please try again shortly.", { "Retry-After": "5" });

/**
 * The tables are missing or older than the code (a deploy that skipped
 * `migrations apply`, or `wrangler dev` run directly): retrying cannot help,
 * so say what will. `local` (a request to this machine, as for the
 * development provider) is `wrangler dev`'s database; anything else the
 * deployed one — also where no request tells (the cron, AuthService).
 */
export const schemaMissing = (local = false) =>
  new AuthError(
    503,
    "schema_missing",
    `The database tables are missing or out of date: run npx wrangler d1 migrations apply DB --${local ? "local" : "remote"}`,
  );

// What SQLite (so D1, local and deployed) says of a table or column the code expects and the database lacks.
const SCHEMA_ERROR = /no such (table|column)|has no column named/;

/** Runs a D1 call with a timeout; any failure is a 503, never a half-done session. */
export async function run<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await withTimeout(work(), TIMEOUT_MS, () => new Error("timed out"));
  } catch (error) {
    // SQLite's messages name tables and columns, never bound values; quoted text is dropped all the same.
    const reason = String(error instanceof Error ? error.message : error).replace(/'[^']*'/g, "'…'").slice(0, 300);
    audit("database_error", { reason });
    throw SCHEMA_ERROR.test(reason) ? schemaMissing() : unavailable();
  }
}

import type { Config } from "../config/config";
import type { Keyring } from "../crypto/keys";
import type { AuditEvent, AuditFields } from "../platform/log";

/**
 * What the session core needs, handed in rather than found on a request:
 * the same functions serve an HTTP request (`depsOf` in current-session.ts)
 * and a service-binding call (`AuthService` in index.ts).
 */
export interface SessionDeps {
  config: Config;
  keys: Keyring;
  db: D1Database;
  kv: KVNamespace;
  /** Epoch seconds. */
  now: () => number;
  /** One audit line, with whatever the caller knows about the client added. */
  audit: (event: AuditEvent, fields?: AuditFields) => void;
  /** Work that may finish after the answer: revoking tokens at the provider. */
  waitUntil: (work: Promise<unknown>) => void;
}

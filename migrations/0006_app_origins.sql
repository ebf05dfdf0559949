-- One sign-in across app origins (APP_ORIGINS). A session made for an app
-- origin by a handoff records that origin and its family: the session on
-- the worker's own origin (AUTH_URL) it was handed off from. Sign-out on
-- any origin ends the whole family; "Your devices" shows it as one entry.
ALTER TABLE sessions ADD COLUMN origin TEXT;
ALTER TABLE sessions ADD COLUMN family TEXT;
CREATE INDEX sessions_family ON sessions (family) WHERE family IS NOT NULL;

-- One-time handoff codes: SHA-256 of the code, the session handing off,
-- the app origin and the hash of the secret that origin's browser holds,
-- the new session's makings sealed under the `handoff` key, 60 seconds.
-- Redeemed by one conditional UPDATE; the cleanup run deletes old rows.
CREATE TABLE handoffs (
  code_hash TEXT PRIMARY KEY,
  session_id TEXT NOT NULL,
  app_origin TEXT NOT NULL,
  browser_hash TEXT NOT NULL,
  payload TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
) STRICT;

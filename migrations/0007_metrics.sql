-- Session metrics (GET /auth/admin/metrics, src/session/metrics.ts).
-- How each session was ended: the revocation kind (signout, everywhere,
-- device, admin, refresh_reuse, …), or 'expired' when it was past its limits
-- already; NULL while live or when it simply expired.
ALTER TABLE sessions ADD COLUMN ended_by TEXT;
CREATE INDEX sessions_by_created ON sessions (created_at);
CREATE INDEX sessions_by_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX sessions_by_idle ON sessions (idle_expires_at);

-- What is left of a sign-in's session once the cleanup deletes its record:
-- when it began and ended, and how — nothing else (no user, token or
-- device). Kept 8 days, for the week's metrics.
CREATE TABLE session_endings (
  ended_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  kind TEXT NOT NULL
) STRICT;
CREATE INDEX session_endings_by_end ON session_endings (ended_at);
CREATE INDEX session_endings_by_start ON session_endings (created_at);

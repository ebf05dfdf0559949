-- Session metrics (GET /auth/admin/metrics, src/session/metrics.ts): how
-- each session was ended (the revocation kind: signout, everywhere, device,
-- admin, refresh_reuse, …; NULL while live or when it expired), and the
-- indexes that keep every metrics query a search, never a scan of sessions.
ALTER TABLE sessions ADD COLUMN ended_by TEXT;
CREATE INDEX sessions_by_created ON sessions (created_at);
CREATE INDEX sessions_by_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX sessions_by_idle ON sessions (idle_expires_at);

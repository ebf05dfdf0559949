-- Refresh records: one row per session. Only hashes of refresh secrets are
-- stored; the provider's refresh token is encrypted under its own key.
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_key TEXT NOT NULL,
  provider TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  previous_secret_hash TEXT,
  rotated_at INTEGER,
  provider_refresh_token TEXT,
  device TEXT,
  country TEXT,
  remember INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL,
  idle_expires_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
) STRICT;

CREATE INDEX sessions_by_user ON sessions (user_key);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

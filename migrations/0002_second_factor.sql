-- Second factor: one row per user who set up an authenticator app. The TOTP
-- secret is encrypted under its own key; `enabled_at` is NULL while the
-- enrollment waits for its first code. `last_step` makes each code usable
-- once; `device_key` is what "remember this device" cookies must match, and
-- changes to forget every remembered device.
CREATE TABLE second_factors (
  user_key TEXT PRIMARY KEY,
  secret TEXT NOT NULL,
  enabled_at INTEGER,
  last_step INTEGER NOT NULL DEFAULT 0,
  device_key TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;

-- Single-use recovery codes, stored as HMACs.
CREATE TABLE recovery_codes (
  user_key TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  PRIMARY KEY (user_key, code_hash)
) STRICT, WITHOUT ROWID;

-- Attempts per pending sign-in (verify cookie): at most five, then void.
CREATE TABLE pending_signins (
  id TEXT PRIMARY KEY,
  attempts INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;

-- The second factor's data key: one random 256-bit key, sealed (JWE) under
-- the `data-key` key of AUTH_SECRET. TOTP keys are sealed and recovery codes
-- hashed under it, so they outlive any one AUTH_SECRET: a rotation re-wraps
-- this row (src/data-key.ts) and nothing else.
CREATE TABLE data_keys (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  sealed TEXT NOT NULL
) STRICT;

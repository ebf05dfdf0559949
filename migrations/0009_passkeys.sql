-- Passkeys and security keys: a second factor beside the authenticator app
-- (src/second-factor/passkeys.ts). The public key as a JWK (ES256 or Ed25519),
-- the authenticator's signature counter, what it said of itself (transports,
-- backup eligibility and state, AAGUID).
CREATE TABLE passkeys (
  id TEXT PRIMARY KEY,
  user_key TEXT NOT NULL,
  name TEXT NOT NULL,
  public_key TEXT NOT NULL,
  algorithm INTEGER NOT NULL,
  sign_count INTEGER NOT NULL,
  transports TEXT NOT NULL,
  backup_eligible INTEGER NOT NULL,
  backed_up INTEGER NOT NULL,
  aaguid TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
) STRICT;
CREATE INDEX passkeys_by_user ON passkeys (user_key);

-- WebAuthn challenges: each good once (one conditional DELETE … RETURNING),
-- for one purpose and one owner (a user registering, a pending sign-in), for
-- two minutes. Stored as SHA-256.
CREATE TABLE webauthn_challenges (
  hash TEXT PRIMARY KEY,
  purpose TEXT NOT NULL,
  owner TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX webauthn_challenges_by_expiry ON webauthn_challenges (expires_at);

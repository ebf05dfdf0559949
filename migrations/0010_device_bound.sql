-- Device-bound sessions (DBSC, src/session/device-binding.ts): the key a
-- browser registered for a session, and what a refresh by proof needs when
-- the browser has no session cookie left to carry the session over from.
-- All null: the session is not bound, and its refresh cookie renews it.

-- The registered public key, a JWK (ES256, P-256), and its RFC 7638 thumbprint.
ALTER TABLE sessions ADD COLUMN device_key TEXT;
ALTER TABLE sessions ADD COLUMN device_key_thumbprint TEXT;
-- When (epoch milliseconds) the challenge last answered was issued: a proof
-- is taken only for a later one, so each challenge is good once.
ALTER TABLE sessions ADD COLUMN device_proof_at INTEGER;
-- The session cookie's claims, sealed (`bound-claims` key), as of the last
-- registration, refresh or step-up.
ALTER TABLE sessions ADD COLUMN device_claims TEXT;

-- Wrong codes counted per user, across pending sign-ins and the disable form:
-- `failures` since the last right code, no code is checked before
-- `blocked_until` (epoch seconds), and `failures_before_success` keeps the
-- count that preceded the latest right code for the Security page. Existing
-- rows start with a clean slate.
ALTER TABLE second_factors ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE second_factors ADD COLUMN blocked_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE second_factors ADD COLUMN failures_before_success INTEGER NOT NULL DEFAULT 0;

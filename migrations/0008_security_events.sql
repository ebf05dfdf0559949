-- The admin console's security events (GET /auth/admin, src/session/security-events.ts):
-- refused sign-ins, wrong second-factor codes and lockouts, refresh-secret
-- reuse, and what admins ended or reset. Identifiers only (user keys, the
-- client's address), never a token or code. Kept 8 days, like the endings.
CREATE TABLE security_events (
  at INTEGER NOT NULL,
  event TEXT NOT NULL,
  user_key TEXT,
  detail TEXT,
  by_user TEXT,
  ip TEXT
) STRICT;
-- The console reads each kind's newest apart, so no kind can bury another;
-- the cleanup deletes by time.
CREATE INDEX security_events_by_event ON security_events (event, at);
CREATE INDEX security_events_by_at ON security_events (at);

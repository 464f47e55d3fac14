-- Secrets the server generates for itself, shared by every process on this database: the first
-- process to need one inserts it, the others read it back (the primary key makes that race-free).
-- "ui_session": the HMAC key that signs the dashboard's session cookies, so a session works on
-- any node and survives a restart.
CREATE TABLE IF NOT EXISTS server_secrets (
  name        TEXT    PRIMARY KEY,
  value       TEXT    NOT NULL,
  created_at  INTEGER NOT NULL
);

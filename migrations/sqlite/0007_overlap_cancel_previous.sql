-- ttr-overlap: cancel-previous. SQLite cannot widen the CHECK on generators.overlap without
-- rebuilding a table that triggers reference, so the policy is stored as overlap = 'allow' with
-- this flag set: a tick that comes due while an earlier instance is in flight cancels it.
ALTER TABLE generators ADD COLUMN cancel_previous INTEGER NOT NULL DEFAULT 0;

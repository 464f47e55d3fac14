-- The month whose quota counted a generator's tick ("2026-11"), NULL when none did: when the
-- pending tick is replaced (an edit, a pause, a skip, the generator cancelled), that month gets
-- it back, so that an edit is free and never mints a delivery past the quota.
ALTER TABLE triggers ADD COLUMN quota_month TEXT;

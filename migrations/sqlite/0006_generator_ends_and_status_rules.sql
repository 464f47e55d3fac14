-- ttr-success-status / ttr-retry-on, in canonical form ("2xx,409"); NULL: the default rules
-- (2xx and 3xx succeed; 408, 429, 5xx and network failures are retried). Snapshotted from a
-- generator into each instance, like the rest of the delivery policy.
ALTER TABLE triggers ADD COLUMN success_status TEXT;
ALTER TABLE triggers ADD COLUMN retry_on TEXT;
ALTER TABLE generators ADD COLUMN success_status TEXT;
ALTER TABLE generators ADD COLUMN retry_on TEXT;

-- ttr-ends-at (epoch ms) and ttr-max-runs, NULL when not set; `runs` counts the ticks fired
-- (claimed for delivery, not skipped; extra runs and retries do not count). A generator that
-- reached either limit is `cancelled` with `end_reason` set: unlike one cancelled by a user, the
-- retries of its last instances go on.
ALTER TABLE generators ADD COLUMN ends_at INTEGER;
ALTER TABLE generators ADD COLUMN max_runs INTEGER;
ALTER TABLE generators ADD COLUMN runs INTEGER NOT NULL DEFAULT 0;
ALTER TABLE generators ADD COLUMN end_reason TEXT;

-- ttr-success-status / ttr-retry-on, in canonical form ("2xx,409"); NULL: the default rules
-- (2xx and 3xx succeed; 408, 429, 5xx and network failures are retried). Snapshotted from a
-- generator into each instance, like the rest of the delivery policy.
ALTER TABLE triggers ADD COLUMN success_status TEXT;
ALTER TABLE triggers ADD COLUMN retry_on TEXT;
ALTER TABLE generators ADD COLUMN success_status TEXT;
ALTER TABLE generators ADD COLUMN retry_on TEXT;

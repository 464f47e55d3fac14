-- A project's delivery defaults (admin API), applied to a /schedule or JSON API request that does
-- not give its own; NULL: the server's (HOURGLASS_DEFAULT_*), and no callback or failure URL.
ALTER TABLE projects ADD COLUMN default_retries INTEGER;
ALTER TABLE projects ADD COLUMN default_retry_delay_ms INTEGER;
ALTER TABLE projects ADD COLUMN default_timeout_ms INTEGER;
ALTER TABLE projects ADD COLUMN default_callback_url TEXT;
ALTER TABLE projects ADD COLUMN default_failure_url TEXT;

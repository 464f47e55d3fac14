-- Hourglass schema (SQLite), migration 1: the schema of the last release before versioned migrations.
-- Written with IF NOT EXISTS, so that on a database that release created it changes nothing and is
-- only recorded as applied.
-- Times are integer epoch milliseconds. Invariants live here, not in application code.

CREATE TABLE IF NOT EXISTS projects (
  id               TEXT    PRIMARY KEY,
  name             TEXT    NOT NULL,
  created_at       INTEGER NOT NULL,
  -- Standard Webhooks secrets ("whsec_…"): JSON [current, previous?]; every one signs during rotation.
  signing_secrets  TEXT    NOT NULL DEFAULT '[]',
  month_quota      INTEGER,                     -- trigger instances per calendar month (UTC); NULL: none
  rate_limit       INTEGER                      -- /schedule and /cancel requests per second; NULL: none
);

-- Trigger instances created per project and month ("2026-11"), counted against month_quota.
CREATE TABLE IF NOT EXISTS project_usage (
  project_id  TEXT    NOT NULL REFERENCES projects (id),
  month       TEXT    NOT NULL,
  created     INTEGER NOT NULL,
  PRIMARY KEY (project_id, month)
);

CREATE TABLE IF NOT EXISTS api_keys (
  id          TEXT    PRIMARY KEY,
  project_id  TEXT    NOT NULL REFERENCES projects (id),
  key_hash    TEXT    NOT NULL UNIQUE,          -- SHA-256 hex of the key; the key itself is never stored
  key_prefix  TEXT    NOT NULL,                 -- first characters, to recognise a key in listings
  created_at  INTEGER NOT NULL,
  revoked_at  INTEGER
);

CREATE TABLE IF NOT EXISTS generators (
  id            TEXT    PRIMARY KEY,
  project_id    TEXT    NOT NULL REFERENCES projects (id),
  custom_key    TEXT,
  cron_expr     TEXT    NOT NULL,
  cron_tz       TEXT    NOT NULL,
  run_missed    TEXT    NOT NULL CHECK (run_missed IN ('skip', 'once', 'all')),
  catchup_left  INTEGER,                        -- run_missed=all: catch-up runs left, NULL when on time
  overlap       TEXT    NOT NULL DEFAULT 'allow' CHECK (overlap IN ('allow', 'skip')),
  resume_at     INTEGER,                        -- paused: nominal time of the tick that was pending
  note          TEXT,                           -- why the schedule is held back (e.g. the monthly quota)
  method        TEXT    NOT NULL,
  url           TEXT    NOT NULL,
  headers       TEXT    NOT NULL,               -- JSON [[name, value], ...] in original order
  body          BLOB,
  title         TEXT,
  tags          TEXT    NOT NULL,               -- ",tag1,tag2," (tags never contain commas)
  retries         INTEGER NOT NULL,
  retry_delay_ms  INTEGER NOT NULL,
  timeout_ms      INTEGER NOT NULL,
  callback_url    TEXT,
  failure_url     TEXT,
  status        TEXT    NOT NULL CHECK (status IN ('active', 'paused', 'cancelled')),
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS generators_by_project ON generators (project_id, id);

CREATE TABLE IF NOT EXISTS triggers (
  id             TEXT    PRIMARY KEY,
  project_id     TEXT    NOT NULL REFERENCES projects (id),
  generator_id   TEXT    REFERENCES generators (id),
  -- job: a one-shot; tick: a generator's scheduled instance; run: a generator's extra run now;
  -- callback: the outcome report of parent_trigger_id.
  origin         TEXT    NOT NULL CHECK (origin IN ('job', 'tick', 'run', 'callback')),
  parent_trigger_id TEXT REFERENCES triggers (id),
  custom_key     TEXT,
  method         TEXT    NOT NULL,
  url            TEXT    NOT NULL,
  headers        TEXT    NOT NULL,
  body           BLOB,
  title          TEXT,
  tags           TEXT    NOT NULL,
  retries        INTEGER NOT NULL,              -- retries allowed after a failed attempt
  retries_left   INTEGER NOT NULL,              -- of those, not used yet (reset by a replay)
  retry_delay_ms INTEGER NOT NULL,              -- first retry delay, doubled each time
  timeout_ms     INTEGER NOT NULL,              -- per attempt
  callback_url   TEXT,
  failure_url    TEXT,
  scheduled_at   INTEGER NOT NULL,              -- nominal due time
  due_at         INTEGER NOT NULL,              -- registered: next attempt; running: lease expiry
  status         TEXT    NOT NULL CHECK (status IN ('registered', 'running', 'succeeded', 'failed', 'cancelled')),
  attempts       INTEGER NOT NULL DEFAULT 0,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  finished_at    INTEGER,
  cancel_reason  TEXT
);
-- The dispatcher's only read path: due registered triggers and expired leases, in due order.
CREATE INDEX IF NOT EXISTS triggers_due ON triggers (due_at) WHERE status IN ('registered', 'running');
-- Exactly one pending instance per generator: a second never-attempted tick cannot be inserted.
-- (An instance waiting for a retry or replayed has attempts > 0: it is history, not the next tick.)
CREATE UNIQUE INDEX IF NOT EXISTS triggers_one_pending_per_generator
  ON triggers (generator_id) WHERE status = 'registered' AND origin = 'tick' AND attempts = 0;
CREATE INDEX IF NOT EXISTS triggers_by_project ON triggers (project_id, id);
-- Fair claiming: per project, its due triggers in due order.
CREATE INDEX IF NOT EXISTS triggers_due_by_project ON triggers (project_id, due_at) WHERE status IN ('registered', 'running');
CREATE INDEX IF NOT EXISTS triggers_by_generator ON triggers (generator_id, id) WHERE generator_id IS NOT NULL;
-- History pruning: finished triggers by age (the status list must stay literal in the queries too).
CREATE INDEX IF NOT EXISTS triggers_finished ON triggers (finished_at) WHERE status IN ('succeeded', 'failed', 'cancelled');
CREATE INDEX IF NOT EXISTS triggers_by_custom_key ON triggers (project_id, custom_key) WHERE custom_key IS NOT NULL;

-- A custom key belongs to at most one live trigger or generator of a project. The primary key
-- makes concurrent "create with this new key" requests collapse into one owner.
CREATE TABLE IF NOT EXISTS custom_keys (
  project_id  TEXT NOT NULL REFERENCES projects (id),
  custom_key  TEXT NOT NULL,
  owner_kind  TEXT NOT NULL CHECK (owner_kind IN ('job', 'generator')),
  owner_id    TEXT NOT NULL,
  PRIMARY KEY (project_id, custom_key)
);
CREATE INDEX IF NOT EXISTS custom_keys_by_owner ON custom_keys (owner_id);

CREATE TABLE IF NOT EXISTS executions (
  id                TEXT    PRIMARY KEY,
  trigger_id        TEXT    NOT NULL REFERENCES triggers (id),
  project_id        TEXT    NOT NULL REFERENCES projects (id),
  attempt           INTEGER NOT NULL,
  started_at        INTEGER NOT NULL,
  finished_at       INTEGER NOT NULL,
  duration_ms       INTEGER NOT NULL,
  outcome           TEXT    NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
  http_status       INTEGER,
  error             TEXT,
  response_headers  TEXT,                       -- JSON [[name, value], ...]: a subset of the target's answer
  response_excerpt  TEXT,
  retry_at          INTEGER                     -- when the next attempt is due, if one is
);
CREATE INDEX IF NOT EXISTS executions_by_trigger ON executions (trigger_id, id);
CREATE INDEX IF NOT EXISTS executions_by_project ON executions (project_id, id);
-- (History pruning needs no index here: an execution's id is stamped with its finished_at, so
-- "older than" is a range of the primary key.)

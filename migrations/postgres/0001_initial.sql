-- Hourglass schema (PostgreSQL), migration 1: the same tables, columns and invariants as
-- migrations/sqlite/0001–0006. Times are BIGINT epoch milliseconds (they compare and index as on
-- SQLite); request bodies are BYTEA; JSON lists stay TEXT, read and written by the application.
-- Invariants live here, not in application code.

CREATE TABLE projects (
  id               TEXT    PRIMARY KEY,
  name             TEXT    NOT NULL,
  created_at       BIGINT  NOT NULL,
  -- Standard Webhooks secrets ("whsec_…"): JSON [current, previous?]; every one signs during rotation.
  signing_secrets  TEXT    NOT NULL DEFAULT '[]',
  month_quota      INTEGER,                     -- trigger instances per calendar month (UTC); NULL: none
  rate_limit       INTEGER                      -- /schedule and /cancel requests per second; NULL: none
);

-- Trigger instances created per project and month ("2026-11"), counted against month_quota.
CREATE TABLE project_usage (
  project_id  TEXT     NOT NULL REFERENCES projects (id),
  month       TEXT     NOT NULL,
  created     INTEGER  NOT NULL,
  PRIMARY KEY (project_id, month)
);

CREATE TABLE api_keys (
  id          TEXT    PRIMARY KEY,
  project_id  TEXT    NOT NULL REFERENCES projects (id),
  key_hash    TEXT    NOT NULL UNIQUE,          -- SHA-256 hex of the key; the key itself is never stored
  key_prefix  TEXT    NOT NULL,                 -- first characters, to recognise a key in listings
  created_at  BIGINT  NOT NULL,
  revoked_at  BIGINT
);

CREATE TABLE generators (
  id            TEXT    PRIMARY KEY,
  project_id    TEXT    NOT NULL REFERENCES projects (id),
  custom_key    TEXT,
  cron_expr     TEXT    NOT NULL,
  cron_tz       TEXT    NOT NULL,
  run_missed    TEXT    NOT NULL CHECK (run_missed IN ('skip', 'once', 'all')),
  catchup_left  INTEGER,                        -- run_missed=all: catch-up runs left, NULL when on time
  overlap       TEXT    NOT NULL DEFAULT 'allow' CHECK (overlap IN ('allow', 'skip')),
  resume_at     BIGINT,                         -- paused: nominal time of the tick that was pending
  note          TEXT,                           -- why the schedule is held back (e.g. the monthly quota)
  method        TEXT    NOT NULL,
  url           TEXT    NOT NULL,
  headers       TEXT    NOT NULL,               -- JSON [[name, value], ...] in original order
  body          BYTEA,
  title         TEXT,
  tags          TEXT    NOT NULL,               -- ",tag1,tag2," (tags never contain commas)
  retries         INTEGER NOT NULL,
  retry_delay_ms  BIGINT  NOT NULL,
  timeout_ms      BIGINT  NOT NULL,
  callback_url    TEXT,
  failure_url     TEXT,
  status        TEXT    NOT NULL CHECK (status IN ('active', 'paused', 'cancelled')),
  created_at    BIGINT  NOT NULL,
  updated_at    BIGINT  NOT NULL
);
CREATE INDEX generators_by_project ON generators (project_id, id);

CREATE TABLE triggers (
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
  body           BYTEA,
  title          TEXT,
  tags           TEXT    NOT NULL,
  retries        INTEGER NOT NULL,              -- retries allowed after a failed attempt
  retries_left   INTEGER NOT NULL,              -- of those, not used yet (reset by a replay)
  retry_delay_ms BIGINT  NOT NULL,              -- first retry delay, doubled each time
  timeout_ms     BIGINT  NOT NULL,              -- per attempt
  callback_url   TEXT,
  failure_url    TEXT,
  scheduled_at   BIGINT  NOT NULL,              -- nominal due time
  due_at         BIGINT  NOT NULL,              -- registered: next attempt; running: lease expiry
  status         TEXT    NOT NULL CHECK (status IN ('registered', 'running', 'succeeded', 'failed', 'cancelled')),
  attempts       INTEGER NOT NULL DEFAULT 0,
  created_at     BIGINT  NOT NULL,
  updated_at     BIGINT  NOT NULL,
  finished_at    BIGINT,
  cancel_reason  TEXT,
  -- The month whose quota counted a generator's tick ("2026-11"), NULL when none did: when the
  -- pending tick is replaced, that month gets it back (an edit is free and mints nothing past the quota).
  quota_month    TEXT
);
-- The dispatcher's only read path: due registered triggers and expired leases, in due order.
CREATE INDEX triggers_due ON triggers (due_at) WHERE status IN ('registered', 'running');
-- Exactly one pending instance per generator: a second never-attempted tick cannot be inserted.
-- (An instance waiting for a retry or replayed has attempts > 0: it is history, not the next tick.)
CREATE UNIQUE INDEX triggers_one_pending_per_generator
  ON triggers (generator_id) WHERE status = 'registered' AND origin = 'tick' AND attempts = 0;
CREATE INDEX triggers_by_project ON triggers (project_id, id);
-- Fair claiming: per project, its due triggers in due order.
CREATE INDEX triggers_due_by_project ON triggers (project_id, due_at) WHERE status IN ('registered', 'running');
CREATE INDEX triggers_by_generator ON triggers (generator_id, id) WHERE generator_id IS NOT NULL;
-- History pruning: finished triggers by age.
CREATE INDEX triggers_finished ON triggers (finished_at) WHERE status IN ('succeeded', 'failed', 'cancelled');
-- Listing a project's triggers newest first, filtered by status, kind, custom key or tag, reads only
-- what matches (as migrations/sqlite/0004_list_indexes.sql).
CREATE INDEX triggers_by_custom_key ON triggers (project_id, custom_key, id) WHERE custom_key IS NOT NULL;
CREATE INDEX triggers_by_status ON triggers (project_id, status, id);
CREATE INDEX triggers_by_origin ON triggers (project_id, origin, id);
CREATE INDEX triggers_of_generators ON triggers (project_id, id) WHERE origin IN ('tick', 'run');
-- Callbacks by their parent (history pruning asks whether a finished trigger still has one; the
-- foreign key is checked on every delete of a trigger, and PostgreSQL indexes no foreign key by itself).
CREATE INDEX triggers_by_parent ON triggers (parent_trigger_id) WHERE parent_trigger_id IS NOT NULL;

-- One row per tag of a trigger, written with it: a tag filter walks its tag's rows, newest first.
CREATE TABLE trigger_tags (
  project_id  TEXT NOT NULL,
  tag         TEXT NOT NULL,
  trigger_id  TEXT NOT NULL REFERENCES triggers (id),
  PRIMARY KEY (project_id, tag, trigger_id)
);
CREATE INDEX trigger_tags_by_trigger ON trigger_tags (trigger_id);

-- A custom key belongs to at most one live trigger or generator of a project. The primary key
-- makes concurrent "create with this new key" requests collapse into one owner, on every node.
CREATE TABLE custom_keys (
  project_id  TEXT NOT NULL REFERENCES projects (id),
  custom_key  TEXT NOT NULL,
  owner_kind  TEXT NOT NULL CHECK (owner_kind IN ('job', 'generator')),
  owner_id    TEXT NOT NULL,
  PRIMARY KEY (project_id, custom_key)
);
CREATE INDEX custom_keys_by_owner ON custom_keys (owner_id);

CREATE TABLE executions (
  id                TEXT    PRIMARY KEY,
  trigger_id        TEXT    NOT NULL REFERENCES triggers (id),
  project_id        TEXT    NOT NULL REFERENCES projects (id),
  attempt           INTEGER NOT NULL,
  started_at        BIGINT  NOT NULL,
  finished_at       BIGINT  NOT NULL,
  duration_ms       BIGINT  NOT NULL,
  outcome           TEXT    NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
  http_status       INTEGER,
  error             TEXT,
  response_headers  TEXT,                       -- JSON [[name, value], ...]: a subset of the target's answer
  response_excerpt  TEXT,
  retry_at          BIGINT                      -- when the next attempt is due, if one is
);
CREATE INDEX executions_by_trigger ON executions (trigger_id, id);
CREATE INDEX executions_by_project ON executions (project_id, id);
-- (History pruning needs no index here: an execution's id is stamped with its finished_at, so
-- "older than" is a range of the primary key.)

-- A project's own egress allowlist, added to HOURGLASS_ALLOWED_TARGETS / HOURGLASS_ALLOWED_PORTS
-- for that project only. JSON arrays of entries in the environment variables' syntax.
CREATE TABLE project_egress (
  project_id       TEXT  PRIMARY KEY REFERENCES projects (id),
  allowed_targets  TEXT  NOT NULL DEFAULT '[]',
  allowed_ports    TEXT  NOT NULL DEFAULT '[]'
);

-- Keys provisioned from HOURGLASS_API_KEYS, by digest: one no longer listed there is revoked at
-- start-up. Keys created through the admin API, or generated at first start, are never listed here.
CREATE TABLE configured_api_keys (
  key_hash  TEXT  PRIMARY KEY REFERENCES api_keys (key_hash)
);

-- Secrets the server generates for itself, shared by every node on this database: the first to need
-- one inserts it, the others read it back. "ui_session": the HMAC key of the dashboard's sessions.
CREATE TABLE server_secrets (
  name        TEXT    PRIMARY KEY,
  value       TEXT    NOT NULL,
  created_at  BIGINT  NOT NULL
);

-- ttr-success-status / ttr-retry-on in canonical form ("2xx,409"), NULL: the default rules;
-- ttr-ends-at, ttr-max-runs, the ticks fired, and why a generator ended (as migrations/sqlite/0006).
ALTER TABLE triggers ADD COLUMN success_status TEXT;
ALTER TABLE triggers ADD COLUMN retry_on TEXT;
ALTER TABLE generators ADD COLUMN success_status TEXT;
ALTER TABLE generators ADD COLUMN retry_on TEXT;
ALTER TABLE generators ADD COLUMN ends_at BIGINT;
ALTER TABLE generators ADD COLUMN max_runs BIGINT;
ALTER TABLE generators ADD COLUMN runs BIGINT NOT NULL DEFAULT 0;
ALTER TABLE generators ADD COLUMN end_reason TEXT;

-- ttr-overlap: cancel-previous, stored as overlap = 'allow' with this flag (as migrations/sqlite/0007).
ALTER TABLE generators ADD COLUMN cancel_previous INTEGER NOT NULL DEFAULT 0;

-- A project's delivery defaults, NULL: the server's (as migrations/sqlite/0008).
ALTER TABLE projects ADD COLUMN default_retries INTEGER;
ALTER TABLE projects ADD COLUMN default_retry_delay_ms BIGINT;
ALTER TABLE projects ADD COLUMN default_timeout_ms BIGINT;
ALTER TABLE projects ADD COLUMN default_callback_url TEXT;
ALTER TABLE projects ADD COLUMN default_failure_url TEXT;

-- Several nodes on one database (PostgreSQL only: an SQLite file has one process). Each node
-- registers here and heartbeats in the database's time; a node whose heartbeat is older than a few
-- seconds is dead, and a survivor releases the leases it held (src/store/postgres/cluster-link.ts).
CREATE TABLE nodes (
  id            TEXT    PRIMARY KEY,
  started_at    BIGINT  NOT NULL,
  heartbeat_at  BIGINT  NOT NULL
);

-- Which node holds a running trigger's lease. Set by the row trigger below on every claim (the
-- attempt number goes up), from the claiming connection's `hourglass.node_id` setting, so that the
-- claim statements stay the same on both engines.
ALTER TABLE triggers ADD COLUMN claimed_by TEXT;
CREATE INDEX triggers_claimed_by ON triggers (claimed_by) WHERE status = 'running';

CREATE FUNCTION hourglass_record_claimant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.claimed_by := nullif(current_setting('hourglass.node_id', true), '');
  RETURN NEW;
END
$$;
CREATE TRIGGER triggers_record_claimant BEFORE UPDATE ON triggers FOR EACH ROW
  WHEN (NEW.status = 'running' AND NEW.attempts > OLD.attempts)
  EXECUTE FUNCTION hourglass_record_claimant();

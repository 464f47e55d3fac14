-- Flow control (ttr-flow-key, ttr-flow-parallelism, ttr-flow-rate): a project's flow and its
-- limits, with the one-second window its rate reservations have reached (see
-- src/store/flow-admission.ts). The flow's attempts in flight are not counted here: they are its
-- running triggers, counted through triggers_flow_running, so no path can leave a count wrong.
CREATE TABLE flows (
  project_id   TEXT    NOT NULL REFERENCES projects (id),
  flow_key     TEXT    NOT NULL,
  parallelism  INTEGER,                     -- NULL: no cap on attempts in flight
  rate         INTEGER,                     -- NULL: no cap on starts per second
  rate_window  INTEGER NOT NULL DEFAULT 0,  -- epoch ms: the latest window holding reservations
  rate_taken   INTEGER NOT NULL DEFAULT 0,  -- places taken in it
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (project_id, flow_key)
);

-- The flow a trigger (or a generator's instances) belongs to; NULL: none.
ALTER TABLE triggers ADD COLUMN flow_key TEXT;
ALTER TABLE generators ADD COLUMN flow_key TEXT;
-- Set while parked by its flow's parallelism: the due time it had (its due_at is then out of
-- every due scan). Set while waiting for a place in a later window of its flow's rate: that window.
ALTER TABLE triggers ADD COLUMN flow_parked_due INTEGER;
ALTER TABLE triggers ADD COLUMN flow_window INTEGER;

CREATE INDEX triggers_flow_running ON triggers (project_id, flow_key) WHERE status = 'running' AND flow_key IS NOT NULL;
CREATE INDEX triggers_flow_parked ON triggers (project_id, flow_key, flow_parked_due) WHERE flow_parked_due IS NOT NULL;
CREATE INDEX triggers_flow_waiting ON triggers (project_id, id) WHERE flow_parked_due IS NOT NULL OR flow_window IS NOT NULL;

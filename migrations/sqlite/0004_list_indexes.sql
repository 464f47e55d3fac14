-- A project's triggers listed newest first and filtered by status, kind (origin), custom key or tag
-- read only the rows that match: each filter has an index ordered by id within the project. (A
-- filter that matched one row in 100,000 walked the whole project: ≈ 300 ms at 1,000,000 triggers.)
CREATE INDEX triggers_by_status ON triggers (project_id, status, id);
CREATE INDEX triggers_by_origin ON triggers (project_id, origin, id);
-- The generator kind is two origins: one ordered walk of its own (the query names them literally).
CREATE INDEX triggers_of_generators ON triggers (project_id, id) WHERE origin IN ('tick', 'run');
DROP INDEX triggers_by_custom_key;
CREATE INDEX triggers_by_custom_key ON triggers (project_id, custom_key, id) WHERE custom_key IS NOT NULL;

-- One row per tag of a trigger, written with it: a tag filter walks its tag's rows, newest first.
CREATE TABLE trigger_tags (
  project_id  TEXT NOT NULL,
  tag         TEXT NOT NULL,
  trigger_id  TEXT NOT NULL REFERENCES triggers (id),
  PRIMARY KEY (project_id, tag, trigger_id)
) WITHOUT ROWID;
CREATE INDEX trigger_tags_by_trigger ON trigger_tags (trigger_id);

-- The tags of the triggers already stored (",a,b," split at its commas).
WITH RECURSIVE split (project_id, trigger_id, rest, tag) AS (
  SELECT project_id, id, substr(tags, 2), NULL FROM triggers WHERE tags <> ''
  UNION ALL
  SELECT project_id, trigger_id, substr(rest, instr(rest, ',') + 1), substr(rest, 1, instr(rest, ',') - 1)
  FROM split WHERE rest <> ''
)
INSERT OR IGNORE INTO trigger_tags (project_id, tag, trigger_id)
SELECT project_id, tag, trigger_id FROM split WHERE tag IS NOT NULL AND tag <> '';

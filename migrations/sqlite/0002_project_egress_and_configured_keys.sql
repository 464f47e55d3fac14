-- A project's own egress allowlist, added to HOURGLASS_ALLOWED_TARGETS / HOURGLASS_ALLOWED_PORTS
-- for that project only. JSON arrays of entries in the environment variables' syntax.
CREATE TABLE IF NOT EXISTS project_egress (
  project_id       TEXT  PRIMARY KEY REFERENCES projects (id),
  allowed_targets  TEXT  NOT NULL DEFAULT '[]',
  allowed_ports    TEXT  NOT NULL DEFAULT '[]'
);

-- Keys provisioned from HOURGLASS_API_KEYS, by digest: one no longer listed there is revoked at
-- start-up. Keys created through the admin API, or generated at first start, are never listed here.
CREATE TABLE IF NOT EXISTS configured_api_keys (
  key_hash  TEXT  PRIMARY KEY REFERENCES api_keys (key_hash)
);

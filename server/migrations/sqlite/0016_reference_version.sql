-- reference_version: one row, moved forward in the same transaction as every change to
-- dict_lists, dict_entries or custom_fields. Each server process caches the reference data with
-- the version it was read at and re-reads only when this row moved (decision 0020).
CREATE TABLE reference_version (
    id          BIGINT PRIMARY KEY NOT NULL,
    version     BIGINT NOT NULL
);
INSERT INTO reference_version (id, version) VALUES (1, 0);

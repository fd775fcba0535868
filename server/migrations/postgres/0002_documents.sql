-- Synced documents (PostgreSQL). One row per document: the compacted snapshot, its scope anchors and
-- sequence numbers; appended changes in doc_changes until the next compaction.

-- The change sequence: one row, bumped inside every writing transaction. Taking its row lock
-- first serialises writers, so sequence numbers commit in order and a cursor never skips one.
CREATE TABLE seq_counter (
    id     BIGINT PRIMARY KEY NOT NULL,
    value  BIGINT NOT NULL
);
INSERT INTO seq_counter (id, value) VALUES (1, 0);

CREATE TABLE documents (
    id            TEXT PRIMARY KEY NOT NULL,
    kind          TEXT NOT NULL,
    territory_id  TEXT NULL,
    assignee_id   TEXT NULL,
    seq           BIGINT NOT NULL,
    snapshot      BYTEA NOT NULL,
    snapshot_seq  BIGINT NOT NULL,
    moved_seq     BIGINT NOT NULL DEFAULT 0,
    heads         BYTEA NOT NULL,
    change_count  BIGINT NOT NULL DEFAULT 0,
    created_by    TEXT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX documents_seq_idx ON documents (seq, id);
CREATE INDEX documents_territory_seq_idx ON documents (territory_id, seq);
CREATE INDEX documents_assignee_seq_idx ON documents (assignee_id, seq);

CREATE TABLE doc_changes (
    doc_id  TEXT NOT NULL REFERENCES documents (id),
    seq     BIGINT NOT NULL,
    data    BYTEA NOT NULL,
    PRIMARY KEY (doc_id, seq)
);

-- Scope moves: a document left from_territory (or from_assignee) at seq.
CREATE TABLE doc_moves (
    id              BIGSERIAL PRIMARY KEY,
    seq             BIGINT NOT NULL,
    doc_id          TEXT NOT NULL,
    from_territory  TEXT NULL,
    from_assignee   TEXT NULL,
    at              BIGINT NOT NULL
);
CREATE INDEX doc_moves_seq_idx ON doc_moves (seq);

-- Projection of customer documents for lists, filters and reports.
CREATE TABLE customers (
    id             TEXT PRIMARY KEY NOT NULL REFERENCES documents (id),
    code           TEXT NOT NULL,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    tier           TEXT NOT NULL,
    industry       TEXT NOT NULL,
    source         TEXT NOT NULL,
    phone          TEXT NOT NULL,
    email          TEXT NOT NULL,
    province       TEXT NOT NULL,
    city           TEXT NOT NULL,
    district       TEXT NOT NULL,
    lat            DOUBLE PRECISION NULL,
    lon            DOUBLE PRECISION NULL,
    territory_id   TEXT NULL,
    owner_id       TEXT NULL,
    contact_names  TEXT NOT NULL,
    tags           TEXT NOT NULL,
    search         TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX customers_territory_idx ON customers (territory_id, name);
CREATE INDEX customers_owner_idx ON customers (owner_id);
CREATE INDEX customers_code_idx ON customers (code);
CREATE INDEX customers_updated_idx ON customers (updated_at);

-- Projection of visit documents.
CREATE TABLE visits (
    id             TEXT PRIMARY KEY NOT NULL REFERENCES documents (id),
    customer_id    TEXT NOT NULL,
    rep_id         TEXT NULL,
    territory_id   TEXT NULL,
    planned_at     BIGINT NULL,
    check_in_at    BIGINT NULL,
    check_in_lat   DOUBLE PRECISION NULL,
    check_in_lon   DOUBLE PRECISION NULL,
    check_out_at   BIGINT NULL,
    purpose        TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    photo_count    BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX visits_customer_idx ON visits (customer_id);
CREATE INDEX visits_rep_idx ON visits (rep_id, check_in_at);

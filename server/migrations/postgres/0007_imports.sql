-- Customer imports (back office): one row per uploaded file with its column mapping, the state of
-- its latest run (dry run or real) and the counts; the rows that run rejected, with the original
-- cell values and the reasons, for the error report. The uploaded file is kept until a real run
-- finishes (then emptied). See docs/decisions/0011-customer-import.md.
CREATE TABLE import_jobs (
    id            TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id),
    file_name     TEXT NOT NULL,
    file_kind     TEXT NOT NULL,
    encoding      TEXT NOT NULL,
    file_size     BIGINT NOT NULL,
    file_data     BYTEA NOT NULL,
    header_row    BIGINT NOT NULL,
    headers       TEXT NOT NULL,
    total_rows    BIGINT NOT NULL,
    settings      TEXT NOT NULL,
    status        TEXT NOT NULL,
    dry_run       BIGINT NOT NULL,
    rows_done     BIGINT NOT NULL,
    created       BIGINT NOT NULL,
    updated       BIGINT NOT NULL,
    skipped       BIGINT NOT NULL,
    rejected      BIGINT NOT NULL,
    error         TEXT NOT NULL,
    runner        TEXT NOT NULL,
    heartbeat_at  BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    started_at    BIGINT NULL,
    finished_at   BIGINT NULL
);
CREATE INDEX import_jobs_user_idx ON import_jobs (user_id, created_at);
CREATE INDEX import_jobs_status_idx ON import_jobs (status);

CREATE TABLE import_rejects (
    job_id   TEXT NOT NULL REFERENCES import_jobs (id),
    row_no   BIGINT NOT NULL,
    cells    TEXT NOT NULL,
    reasons  TEXT NOT NULL,
    PRIMARY KEY (job_id, row_no)
);

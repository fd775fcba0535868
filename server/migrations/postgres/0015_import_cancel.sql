-- Cancelling a running customer import: who asked and when. The run checks the request between
-- row batches and ends the job as 'cancelled' (rows of the batches already written stay). See
-- docs/decisions/0019-record-scope-and-import-cancel.md.
ALTER TABLE import_jobs ADD COLUMN cancel_requested_by TEXT NULL;
ALTER TABLE import_jobs ADD COLUMN cancel_requested_at BIGINT NULL;

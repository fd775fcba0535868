-- Service tickets (service requests and complaints): relational records of the back office. The
-- work on a ticket is done in dispatch documents (`dispatches` projection, ticket_id). `status`
-- holds what the office decides (open, closed, cancelled); "dispatched" and "completed" are read
-- from the ticket's dispatches (see `db::tickets`). Numbers (SR-2026-000001) come from
-- `number_series`, series 'SR', drawn in the inserting transaction.
CREATE TABLE tickets (
    id             TEXT PRIMARY KEY NOT NULL,
    number         TEXT NOT NULL,
    customer_id    TEXT NOT NULL REFERENCES documents (id),
    contact_name   TEXT NOT NULL,
    contact_phone  TEXT NOT NULL,
    ticket_type    TEXT NOT NULL,
    priority       TEXT NOT NULL,
    description    TEXT NOT NULL,
    product_id     TEXT NULL,
    serial         TEXT NOT NULL,
    sla_due_at     BIGINT NOT NULL,
    status         TEXT NOT NULL,
    created_by     TEXT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    closed_at      BIGINT NULL,
    closed_by      TEXT NULL,
    resolution     TEXT NOT NULL
);
CREATE UNIQUE INDEX tickets_number_idx ON tickets (number);
CREATE INDEX tickets_customer_idx ON tickets (customer_id, created_at);
CREATE INDEX tickets_status_idx ON tickets (status, sla_due_at);
CREATE INDEX tickets_created_idx ON tickets (created_at);

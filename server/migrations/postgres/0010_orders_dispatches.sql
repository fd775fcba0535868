-- Projections of order and dispatch documents, the status log both keep, and the number series
-- the server draws order numbers from.

CREATE TABLE orders (
    id              TEXT PRIMARY KEY NOT NULL REFERENCES documents (id),
    number          TEXT NULL,
    customer_id     TEXT NOT NULL,
    rep_id          TEXT NULL,
    territory_id    TEXT NULL,
    status          TEXT NOT NULL,
    currency        TEXT NOT NULL,
    subtotal        BIGINT NOT NULL,
    discount_total  BIGINT NOT NULL,
    total           BIGINT NOT NULL,
    line_count      BIGINT NOT NULL,
    notes           TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    status_at       BIGINT NOT NULL
);
CREATE UNIQUE INDEX orders_number_idx ON orders (number);
CREATE INDEX orders_customer_idx ON orders (customer_id, created_at);
CREATE INDEX orders_status_idx ON orders (status, created_at);
CREATE INDEX orders_territory_idx ON orders (territory_id, created_at);
CREATE INDEX orders_rep_idx ON orders (rep_id, created_at);

CREATE TABLE order_lines (
    order_id          TEXT NOT NULL,
    line_id           TEXT NOT NULL,
    position          BIGINT NOT NULL,
    product_id        TEXT NULL,
    product_code      TEXT NOT NULL,
    product_name      TEXT NOT NULL,
    unit              TEXT NOT NULL,
    quantity          DOUBLE PRECISION NOT NULL,
    unit_price        BIGINT NOT NULL,
    discount_bp       BIGINT NOT NULL,
    line_total        BIGINT NOT NULL,
    shipped_quantity  DOUBLE PRECISION NOT NULL,
    requested_delivery TEXT NULL,
    PRIMARY KEY (order_id, line_id)
);
CREATE INDEX order_lines_product_idx ON order_lines (product_id);

CREATE TABLE dispatches (
    id            TEXT PRIMARY KEY NOT NULL REFERENCES documents (id),
    ticket_id     TEXT NOT NULL,
    customer_id   TEXT NOT NULL,
    engineer_id   TEXT NULL,
    territory_id  TEXT NULL,
    status        TEXT NOT NULL,
    ticket_type   TEXT NOT NULL,
    priority      TEXT NOT NULL,
    scheduled_at  BIGINT NULL,
    sla_due_at    BIGINT NULL,
    check_in_at   BIGINT NULL,
    completed_at  BIGINT NULL,
    survey_score  BIGINT NULL,
    photo_count   BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    status_at     BIGINT NOT NULL
);
CREATE INDEX dispatches_ticket_idx ON dispatches (ticket_id);
CREATE INDEX dispatches_engineer_idx ON dispatches (engineer_id, scheduled_at);
CREATE INDEX dispatches_status_idx ON dispatches (status, scheduled_at);

-- Every status a workflow document entered, with the sequence number of the write that did it.
CREATE TABLE doc_status_log (
    id       BIGSERIAL PRIMARY KEY,
    doc_id   TEXT NOT NULL,
    kind     TEXT NOT NULL,
    status   TEXT NOT NULL,
    user_id  TEXT NULL,
    seq      BIGINT NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX doc_status_log_doc_idx ON doc_status_log (doc_id, id);
CREATE INDEX doc_status_log_status_idx ON doc_status_log (kind, status, at);

-- Number series (SO-2026-000123): the last number drawn per series and year, bumped inside the
-- serialised write transaction, so numbers are gapless and unique.
CREATE TABLE number_series (
    series  TEXT NOT NULL,
    year    BIGINT NOT NULL,
    last    BIGINT NOT NULL,
    PRIMARY KEY (series, year)
);

-- Permissions the server knew at its last start. A permission not listed is new: system roles
-- whose default set includes it receive it once, and it is recorded here (an administrator who
-- later removes it from a role is not overruled).
CREATE TABLE known_permissions (
    name  TEXT PRIMARY KEY NOT NULL
);
INSERT INTO known_permissions (name) VALUES
    ('customers.view'), ('customers.edit'), ('customers.reassign'), ('customers.import'),
    ('customers.export'), ('visits.view'), ('admin.users'), ('admin.org'), ('admin.roles'),
    ('admin.schema'), ('audit.view');

-- The largest discount (basis points, 100 = 1 %) a role's users may give on an order line; NULL
-- means the default of the role's kind (see `auth::permissions::default_max_discount_bp`).
ALTER TABLE roles ADD COLUMN max_discount_bp BIGINT NULL;

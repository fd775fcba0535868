-- Payments received (回款) against orders, and contracts with their linked orders and files.
-- Plain relational tables: none of this goes to a phone.

-- A payment received against an order. Amounts are minor units (fen). A reversed payment keeps
-- its row (who reversed it, when, why) and no longer counts towards what was paid.
CREATE TABLE payments (
    id              TEXT PRIMARY KEY NOT NULL,
    order_id        TEXT NOT NULL REFERENCES orders (id),
    customer_id     TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    paid_on         TEXT NOT NULL,
    method          TEXT NOT NULL,
    reference       TEXT NOT NULL,
    notes           TEXT NOT NULL,
    recorded_by     TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    reversed_at     BIGINT NULL,
    reversed_by     TEXT NULL,
    reverse_reason  TEXT NOT NULL
);
CREATE INDEX payments_order_idx ON payments (order_id);
CREATE INDEX payments_customer_idx ON payments (customer_id, paid_on);
CREATE INDEX payments_paid_on_idx ON payments (paid_on);

-- A contract with a customer. Dates are YYYY-MM-DD text (they compare as text).
CREATE TABLE contracts (
    id                  TEXT PRIMARY KEY NOT NULL,
    number              TEXT NOT NULL,
    customer_id         TEXT NOT NULL,
    contract_type       TEXT NOT NULL,
    title               TEXT NOT NULL,
    signed_on           TEXT NULL,
    start_on            TEXT NULL,
    end_on              TEXT NULL,
    amount              BIGINT NOT NULL,
    payment_terms_days  BIGINT NOT NULL,
    terms               TEXT NOT NULL,
    status              TEXT NOT NULL,
    created_by          TEXT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE UNIQUE INDEX contracts_number_idx ON contracts (number);
CREATE INDEX contracts_customer_idx ON contracts (customer_id);
CREATE INDEX contracts_end_idx ON contracts (status, end_on);
CREATE INDEX contracts_signed_idx ON contracts (signed_on);

-- Orders placed under a contract: an order belongs to at most one contract (whose payment terms
-- set its due date).
CREATE TABLE contract_orders (
    contract_id  TEXT NOT NULL REFERENCES contracts (id),
    order_id     TEXT NOT NULL REFERENCES orders (id),
    linked_by    TEXT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (contract_id, order_id)
);
CREATE UNIQUE INDEX contract_orders_order_idx ON contract_orders (order_id);

-- Files of a contract (scans, signed PDFs), stored in the attachment store by SHA-256.
CREATE TABLE contract_attachments (
    contract_id  TEXT NOT NULL REFERENCES contracts (id),
    sha256       TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (contract_id, sha256)
);
CREATE INDEX contract_attachments_sha_idx ON contract_attachments (sha256);

-- The customer list at scale (PostgreSQL): trigram search, keyset-paging indexes, saved filters
-- and column preferences per user. See docs/decisions/0010-customer-list-at-scale.md.

-- Substring search over customers.search (name, code, phones, contact names, …; lowercased):
-- a pg_trgm GIN index serves `search LIKE '%term%'` for terms of 3+ characters, Chinese or Latin.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX customers_search_trgm_idx ON customers USING GIN (search gin_trgm_ops);

-- Keyset paging: one index per sort key with the id tie-breaker (name, id exists since 0003).
CREATE INDEX customers_code_id_idx ON customers (code, id);
CREATE INDEX customers_updated_id_idx ON customers (updated_at, id);
CREATE INDEX customers_created_id_idx ON customers (created_at, id);
-- Filters.
CREATE INDEX customers_industry_idx ON customers (industry, name);
CREATE INDEX customers_owner_name_idx ON customers (owner_id, name);
CREATE INDEX customers_territory_updated_idx ON customers (territory_id, updated_at);

-- Saved filters ("favourites") of the customer list, per user. `query` is the list's query
-- string (filters and sort, no page cursor).
CREATE TABLE customer_saved_filters (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    name        TEXT NOT NULL,
    query       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (user_id, name)
);

-- The customer list's visible columns per user, in order (comma-separated column keys).
CREATE TABLE customer_list_columns (
    user_id     TEXT PRIMARY KEY NOT NULL REFERENCES users (id),
    columns     TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- The customer list at scale (SQLite): full-text search, keyset-paging indexes, saved filters and
-- column preferences per user. See docs/decisions/0010-customer-list-at-scale.md.

-- Substring search over customers.search (name, code, phones, contact names, …; lowercased):
-- an FTS5 index with the trigram tokenizer, so any 3+ character substring — Chinese or Latin —
-- is an index lookup. External content: the text lives once, in customers; the triggers below
-- keep the index current with every projection write (same transaction).
CREATE VIRTUAL TABLE customers_fts USING fts5(
    search,
    content = 'customers',
    content_rowid = 'rowid',
    tokenize = 'trigram'
);
INSERT INTO customers_fts (customers_fts) VALUES ('rebuild');

CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customers_fts (rowid, search) VALUES (new.rowid, new.search);
END;
CREATE TRIGGER customers_fts_delete AFTER DELETE ON customers BEGIN
    INSERT INTO customers_fts (customers_fts, rowid, search) VALUES ('delete', old.rowid, old.search);
END;
CREATE TRIGGER customers_fts_update AFTER UPDATE OF search ON customers
WHEN old.search IS NOT new.search BEGIN
    INSERT INTO customers_fts (customers_fts, rowid, search) VALUES ('delete', old.rowid, old.search);
    INSERT INTO customers_fts (rowid, search) VALUES (new.rowid, new.search);
END;

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

-- Two-character search (SQLite). A 2-character term — a Chinese given name, a brand, a district —
-- cannot use the trigram index of 0006. `search_bigrams` holds the distinct pairs of adjacent
-- letters or digits of `search`, space-separated (computed in Rust on every projection write:
-- `db::customer_list::search_bigrams`); an FTS5 table over it makes a 2-character term one
-- token lookup. NULL means "not computed yet": rows written before this migration are filled
-- by `Db::migrate` right after it. See docs/decisions/0021-customer-search-plans.md.
ALTER TABLE customers ADD COLUMN search_bigrams TEXT;

CREATE VIRTUAL TABLE customers_bigrams USING fts5(
    search_bigrams,
    content = 'customers',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 0'
);

-- A row is in the index exactly when its search_bigrams is not NULL (the rows written before this
-- migration enter it when they are filled), so the triggers never delete what was never added.
CREATE TRIGGER customers_bigrams_insert AFTER INSERT ON customers
WHEN new.search_bigrams IS NOT NULL BEGIN
    INSERT INTO customers_bigrams (rowid, search_bigrams) VALUES (new.rowid, new.search_bigrams);
END;
CREATE TRIGGER customers_bigrams_delete AFTER DELETE ON customers
WHEN old.search_bigrams IS NOT NULL BEGIN
    INSERT INTO customers_bigrams (customers_bigrams, rowid, search_bigrams)
    VALUES ('delete', old.rowid, old.search_bigrams);
END;
CREATE TRIGGER customers_bigrams_update AFTER UPDATE OF search_bigrams ON customers
WHEN old.search_bigrams IS NOT new.search_bigrams BEGIN
    INSERT INTO customers_bigrams (customers_bigrams, rowid, search_bigrams)
    SELECT 'delete', old.rowid, old.search_bigrams WHERE old.search_bigrams IS NOT NULL;
    INSERT INTO customers_bigrams (rowid, search_bigrams)
    SELECT new.rowid, new.search_bigrams WHERE new.search_bigrams IS NOT NULL;
END;

-- The rows still to fill (empty once the fill has run): found without a scan.
CREATE INDEX customers_bigrams_pending_idx ON customers (id) WHERE search_bigrams IS NULL;

-- Owner + creation range, sorted by creation (the "my new customers" view).
CREATE INDEX customers_owner_created_idx ON customers (owner_id, created_at, id);

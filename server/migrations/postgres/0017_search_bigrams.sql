-- Two-character search (PostgreSQL). A 2-character term — a Chinese given name, a brand, a
-- district — cannot use the pg_trgm index of 0006. `search_bigrams` holds the distinct pairs of
-- adjacent letters or digits of `search`, space-separated (computed in Rust on every projection
-- write: `db::customer_list::search_bigrams`); a GIN index over its array makes a 2-character
-- term one posting-list lookup (`string_to_array(search_bigrams, ' ') @> ARRAY[term]`). NULL
-- means "not computed yet": rows written before this migration are filled by `Db::migrate` right
-- after it. See docs/decisions/0021-customer-search-plans.md.
ALTER TABLE customers ADD COLUMN search_bigrams TEXT;
CREATE INDEX customers_bigrams_idx ON customers USING GIN (string_to_array(search_bigrams, ' '));

-- The rows still to fill (empty once the fill has run): found without a scan.
CREATE INDEX customers_bigrams_pending_idx ON customers (id) WHERE search_bigrams IS NULL;

-- Owner + creation range, sorted by creation (the "my new customers" view).
CREATE INDEX customers_owner_created_idx ON customers (owner_id, created_at, id);

-- The tag filter: an exact tag as an array element. ANALYZE keeps element statistics for the
-- expression, so the planner knows a frequent tag (walk the sort order) from a rare one (this
-- index); the LIKE over the delimited text it replaces was estimated blindly (a 366 ms plan).
CREATE INDEX customers_tags_idx ON customers USING GIN (string_to_array(LOWER(tags), ', '));

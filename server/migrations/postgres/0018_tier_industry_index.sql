-- Tier + industry, the list's most common pair of filters: one index serves the page (in name
-- order) and the capped count (an index range, not two bitmaps of 100,000 rows ANDed).
-- See docs/decisions/0021-customer-search-plans.md.
CREATE INDEX customers_tier_industry_idx ON customers (tier, industry, name, id);

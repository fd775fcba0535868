-- The product catalog (issue 5): relational reference data, never a synced document. Devices get
-- the active part of it from GET /api/v1/catalog; orders are priced from it on the server.
--
-- product_categories: a tree (parent_id NULL = top level), siblings ordered by position.
-- products: code is the business key (import upserts by it); list_price in minor units (fen);
-- image_sha256 names an attachment; tracking 'none' | 'batch' | 'serial'.
-- price_lists: per customer tier (a customer_tier dictionary code, '' = customers without one),
-- in force from valid_from to valid_to inclusive (YYYY-MM-DD; valid_to NULL = open-ended).
-- price_list_items: the unit price of a product on a list.
-- catalog_version: one row, moved forward by every catalog write (the entity tag devices hold).
CREATE TABLE product_categories (
    id          TEXT PRIMARY KEY NOT NULL,
    parent_id   TEXT NULL REFERENCES product_categories (id),
    name        TEXT NOT NULL,
    position    BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX product_categories_parent ON product_categories (parent_id);

CREATE TABLE products (
    id              TEXT PRIMARY KEY NOT NULL,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    unit            TEXT NOT NULL DEFAULT '',
    spec            TEXT NOT NULL DEFAULT '',
    category_id     TEXT NULL REFERENCES product_categories (id),
    list_price      BIGINT NOT NULL DEFAULT 0,
    image_sha256    TEXT NULL,
    tracking        TEXT NOT NULL DEFAULT 'none' CHECK (tracking IN ('none', 'batch', 'serial')),
    shelf_life_days BIGINT NULL,
    active          BIGINT NOT NULL DEFAULT 1,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX products_category ON products (category_id);
CREATE INDEX products_name ON products (name);
CREATE INDEX products_image ON products (image_sha256);

CREATE TABLE price_lists (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    tier        TEXT NOT NULL DEFAULT '',
    valid_from  TEXT NOT NULL,
    valid_to    TEXT NULL,
    active      BIGINT NOT NULL DEFAULT 1,
    currency    TEXT NOT NULL DEFAULT 'CNY',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX price_lists_tier ON price_lists (tier, valid_from);

CREATE TABLE price_list_items (
    price_list_id   TEXT NOT NULL REFERENCES price_lists (id),
    product_id      TEXT NOT NULL REFERENCES products (id),
    unit_price      BIGINT NOT NULL,
    PRIMARY KEY (price_list_id, product_id)
);
CREATE INDEX price_list_items_product ON price_list_items (product_id);

CREATE TABLE catalog_version (
    id          BIGINT PRIMARY KEY NOT NULL,
    version     BIGINT NOT NULL
);
INSERT INTO catalog_version (id, version) VALUES (1, 0);

-- Organisation, identity and audit (SQLite). Types are limited to what sqlx's Any driver decodes
-- the same way on both backends: BIGINT (i64), TEXT, BLOB; booleans are BIGINT 0/1;
-- timestamps are BIGINT unix milliseconds; ids are hyphenated UUID TEXT.

CREATE TABLE territories (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL UNIQUE,
    parent_id   TEXT NULL REFERENCES territories (id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX territories_parent_idx ON territories (parent_id);

CREATE TABLE users (
    id             TEXT PRIMARY KEY NOT NULL,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    disabled       BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL
);

-- A rep's territories, or the root(s) of a manager's subtree.
CREATE TABLE user_territories (
    user_id       TEXT NOT NULL REFERENCES users (id),
    territory_id  TEXT NOT NULL REFERENCES territories (id),
    PRIMARY KEY (user_id, territory_id)
);
CREATE INDEX user_territories_territory_idx ON user_territories (territory_id);

CREATE TABLE devices (
    id            TEXT PRIMARY KEY NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id),
    name          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NULL,
    revoked_at    BIGINT NULL
);
CREATE INDEX devices_user_idx ON devices (user_id);

-- Refresh tokens are stored as sha256 hex of the token; a family is one login's rotation chain.
CREATE TABLE refresh_tokens (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    family_id   TEXT NOT NULL,
    device_id   TEXT NOT NULL REFERENCES devices (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT NULL,
    revoked_at  BIGINT NULL
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_device_idx ON refresh_tokens (device_id);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         BIGINT NOT NULL,
    user_id    TEXT NULL,
    device_id  TEXT NULL,
    action     TEXT NOT NULL,
    doc_id     TEXT NULL,
    kind       TEXT NULL,
    verdict    TEXT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_user_idx ON audit_log (user_id);
CREATE INDEX audit_log_doc_idx ON audit_log (doc_id);

-- The scope (territories) each device last caught up with, so a change of the user's own
-- territories is noticed: documents of added territories are granted whole, documents of removed
-- ones revoked. Text: 'all', 'none', or comma-separated territory ids (sorted).
CREATE TABLE device_scopes (
    device_id   TEXT PRIMARY KEY NOT NULL REFERENCES devices (id),
    scope       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

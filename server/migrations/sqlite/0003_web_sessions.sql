-- Web back-office sessions: the cookie's random token is stored only as its sha256 hash, with the
-- per-session CSRF token and an expiry. Plus indexes for the back office's customer list.
CREATE TABLE web_sessions (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users (id),
    csrf_token  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX web_sessions_user_idx ON web_sessions (user_id);
CREATE INDEX web_sessions_expires_idx ON web_sessions (expires_at);

CREATE INDEX customers_name_idx ON customers (name, id);
CREATE INDEX customers_tier_idx ON customers (tier);
CREATE INDEX visits_territory_checkin_idx ON visits (territory_id, check_in_at);

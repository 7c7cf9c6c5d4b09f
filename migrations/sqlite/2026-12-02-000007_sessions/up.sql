-- Server-side sessions: the cookie carries a random id; only its digest is
-- kept here. `data` is the session's state, encrypted with a key derived from
-- that id, so a copy of the database alone reads none of it.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    secret_digest TEXT NOT NULL,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    data TEXT NOT NULL,
    persistent BOOLEAN NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    idle_timeout BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    address TEXT,
    user_agent TEXT,
    auth_time BIGINT,
    amr TEXT
);
CREATE UNIQUE INDEX sessions_secret_digest ON sessions (secret_digest);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Fixed-window counters: sign-in failures per account, per address and per
-- account from one address (incremented before the password is checked, so
-- parallel attempts cannot overshoot), and anonymous noise the audit log
-- records at most once a minute per address and kind.
CREATE TABLE counters (
    key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL
);

ALTER TABLE admin_api_keys ADD COLUMN expires_at BIGINT;

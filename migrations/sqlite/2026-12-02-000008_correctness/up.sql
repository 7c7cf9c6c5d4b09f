-- Pending authorization requests, kept server-side while the user signs in
-- or decides on consent: each has its own id, carried by its login and
-- consent forms, so several tabs with different apps work side by side.
-- `binding` is the digest of a value held in the browser's session: the id
-- alone opens nothing.
CREATE TABLE authorization_requests (
    id TEXT PRIMARY KEY,
    binding TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    request TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX authorization_requests_expires_at ON authorization_requests (expires_at);

-- Whether the authorization request named its redirect_uri: then the token
-- request must name it too (RFC 6749 §4.1.3).
ALTER TABLE authorization_codes ADD COLUMN redirect_uri_given BOOLEAN NOT NULL DEFAULT 1;

-- The key that signed a JWT access token, so revoking the key revokes them.
ALTER TABLE tokens ADD COLUMN kid TEXT;
CREATE INDEX tokens_kid ON tokens (kid) WHERE kid IS NOT NULL;

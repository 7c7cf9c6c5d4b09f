-- The built-in scope that GET /metrics requires. No client gets it unless an
-- admin allows it (a machine client for Prometheus, say).
INSERT INTO scopes (name, description, claims, builtin, created_at, updated_at) VALUES
    ('metrics', 'Read the server''s Prometheus metrics', '', TRUE, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT), CAST(EXTRACT(EPOCH FROM now()) AS BIGINT))
ON CONFLICT (name) DO UPDATE SET builtin = TRUE;

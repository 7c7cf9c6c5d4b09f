-- The built-in scope the admin API accepts on client-credentials tokens. Only
-- a client an administrator marked admin-capable may be allowed it.
INSERT INTO scopes (name, description, claims, builtin, created_at, updated_at) VALUES
    ('admin', 'Manage this server through the admin API', '', TRUE, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT), CAST(EXTRACT(EPOCH FROM now()) AS BIGINT))
ON CONFLICT (name) DO UPDATE SET builtin = TRUE;

-- The built-in scope the admin API accepts on client-credentials tokens. Only
-- a client an administrator marked admin-capable may be allowed it.
INSERT INTO scopes (name, description, claims, builtin, created_at, updated_at) VALUES
    ('admin', 'Manage this server through the admin API', '', 1, CAST(strftime('%s', 'now') AS INTEGER), CAST(strftime('%s', 'now') AS INTEGER))
ON CONFLICT (name) DO UPDATE SET builtin = 1;

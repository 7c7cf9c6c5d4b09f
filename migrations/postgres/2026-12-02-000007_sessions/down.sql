ALTER TABLE admin_api_keys DROP COLUMN expires_at;
DROP TABLE counters;
DROP TABLE sessions;

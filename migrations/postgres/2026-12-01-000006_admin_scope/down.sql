DELETE FROM scopes WHERE name = 'admin' AND builtin;

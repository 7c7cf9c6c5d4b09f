DELETE FROM scopes WHERE name = 'metrics' AND builtin;

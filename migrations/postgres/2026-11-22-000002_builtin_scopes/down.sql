DELETE FROM scopes WHERE name IN ('openid', 'profile', 'email', 'address', 'phone', 'offline_access');

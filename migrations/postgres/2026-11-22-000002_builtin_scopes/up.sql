-- The OpenID Connect Core 1.0 §5.4 scopes and the claims each one releases.
INSERT INTO scopes (name, description, claims, builtin, created_at, updated_at) VALUES
    ('openid', 'Sign you in and know who you are', 'sub', TRUE, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT), CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)),
    ('profile', 'Your name and basic profile', 'name family_name given_name middle_name nickname preferred_username profile picture website gender birthdate zoneinfo locale updated_at', TRUE, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT), CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)),
    ('email', 'Your email address', 'email email_verified', TRUE, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT), CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)),
    ('address', 'Your postal address', 'address', TRUE, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT), CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)),
    ('phone', 'Your phone number', 'phone_number phone_number_verified', TRUE, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT), CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)),
    ('offline_access', 'Stay signed in to the app when you are away', '', TRUE, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT), CAST(EXTRACT(EPOCH FROM now()) AS BIGINT));

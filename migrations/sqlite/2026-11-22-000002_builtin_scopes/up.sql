-- The OpenID Connect Core 1.0 §5.4 scopes and the claims each one releases.
INSERT INTO scopes (name, description, claims, builtin, created_at, updated_at) VALUES
    ('openid', 'Sign you in and know who you are', 'sub', 1, CAST(strftime('%s', 'now') AS INTEGER), CAST(strftime('%s', 'now') AS INTEGER)),
    ('profile', 'Your name and basic profile', 'name family_name given_name middle_name nickname preferred_username profile picture website gender birthdate zoneinfo locale updated_at', 1, CAST(strftime('%s', 'now') AS INTEGER), CAST(strftime('%s', 'now') AS INTEGER)),
    ('email', 'Your email address', 'email email_verified', 1, CAST(strftime('%s', 'now') AS INTEGER), CAST(strftime('%s', 'now') AS INTEGER)),
    ('address', 'Your postal address', 'address', 1, CAST(strftime('%s', 'now') AS INTEGER), CAST(strftime('%s', 'now') AS INTEGER)),
    ('phone', 'Your phone number', 'phone_number phone_number_verified', 1, CAST(strftime('%s', 'now') AS INTEGER), CAST(strftime('%s', 'now') AS INTEGER)),
    ('offline_access', 'Stay signed in to the app when you are away', '', 1, CAST(strftime('%s', 'now') AS INTEGER), CAST(strftime('%s', 'now') AS INTEGER));

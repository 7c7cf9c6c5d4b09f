DROP INDEX tokens_kid;
ALTER TABLE tokens DROP COLUMN kid;
ALTER TABLE authorization_codes DROP COLUMN redirect_uri_given;
DROP TABLE authorization_requests;

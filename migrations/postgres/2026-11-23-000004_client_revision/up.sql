-- Bumped by every change to a client, so a cached copy can be checked in the
-- same statement that relies on it.
ALTER TABLE clients ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;

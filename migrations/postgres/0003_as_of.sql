-- catalog history database on PostgreSQL, schema version 3 (as
-- migrations/sqlite/0003_as_of.sql): what --as-of and diff --db need.

-- The records' fetched_at exactly as the output wrote it (text: --as-of
-- rebuilds those bytes).
ALTER TABLE provider_fetch ADD COLUMN fetched_at TEXT;

CREATE TABLE listing_order (
    fetch_id   BIGINT PRIMARY KEY REFERENCES provider_fetch (fetch_id),
    provider   TEXT NOT NULL,
    order_hash BIGINT NOT NULL,          -- FNV-1a 64 of ids, signed
    ids        TEXT NOT NULL             -- JSON array of the model ids, in harvest order
);
CREATE INDEX listing_order_provider ON listing_order (provider, fetch_id);

-- catalog history database, schema version 3: what `--as-of` and
-- `diff --db` need to rebuild the file a harvest wrote.

-- The records' fetched_at as the output wrote it (RFC 3339 UTC, seconds);
-- NULL for fetches that wrote no records, and for those recorded before
-- schema version 3.
ALTER TABLE provider_fetch ADD COLUMN fetched_at TEXT;

-- The order a fetch listed its models in (the order its output has), kept
-- only when it differs from the provider's last stored order: a sync that
-- lists the same models in the same order writes no row here.
CREATE TABLE listing_order (
    fetch_id   INTEGER PRIMARY KEY REFERENCES provider_fetch (fetch_id),
    provider   TEXT NOT NULL,
    order_hash INTEGER NOT NULL,         -- FNV-1a 64 of ids, as a signed integer
    ids        TEXT NOT NULL             -- JSON array of the model ids, in harvest order
);
CREATE INDEX listing_order_provider ON listing_order (provider, fetch_id);

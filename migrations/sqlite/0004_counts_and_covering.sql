-- catalog history database, schema version 4: queries that answer from
-- indexes.
--
-- 1. provider_fetch.models_current: how many current versions the provider
--    had once the fetch was applied (NULL for fetches that wrote no versions,
--    and for those recorded before version 4). `count --as-of` reads it
--    instead of counting every version valid then.
-- 2. The indexes on valid_from and valid_to also hold (provider, model_id):
--    `changes` finds the models a window touched from the index alone,
--    without reading each version's row.

ALTER TABLE provider_fetch ADD COLUMN models_current INTEGER;

DROP INDEX model_version_from;
CREATE INDEX model_version_from ON model_version (valid_from, provider, model_id);
DROP INDEX model_version_to;
CREATE INDEX model_version_to ON model_version (valid_to, provider, model_id) WHERE valid_to IS NOT NULL;

-- 3. A listing order is stored in parts of at most 10,000 ids (`part` 0, 1,
--    ...; the order is their concatenation): writing or reading a 500,000
--    model order no longer holds all of it in memory at once. The orders
--    stored before are part 0. SQLite cannot change a primary key in place,
--    so the table is rebuilt (its index goes with it and is made again).
CREATE TABLE listing_order_v4 (
    fetch_id   INTEGER NOT NULL REFERENCES provider_fetch (fetch_id),
    part       INTEGER NOT NULL,
    provider   TEXT NOT NULL,
    order_hash INTEGER NOT NULL,         -- FNV-1a 64 of the whole order's JSON array, as a signed integer (on every part)
    ids        TEXT NOT NULL,            -- JSON array of this part's model ids, in harvest order
    PRIMARY KEY (fetch_id, part)
);
INSERT INTO listing_order_v4 SELECT fetch_id, 0, provider, order_hash, ids FROM listing_order;
DROP TABLE listing_order;
ALTER TABLE listing_order_v4 RENAME TO listing_order;
CREATE INDEX listing_order_provider ON listing_order (provider, fetch_id);

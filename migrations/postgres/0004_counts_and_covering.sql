-- catalog history database, schema version 4 (as
-- migrations/sqlite/0004_counts_and_covering.sql): queries that answer from
-- indexes.
--
-- 1. provider_fetch.models_current: how many current versions the provider
--    had once the fetch was applied (NULL for fetches that wrote no versions,
--    and for those recorded before version 4). `count --as-of` reads it
--    instead of counting every version valid then.
-- 2. The indexes on valid_from and valid_to also hold (provider, model_id):
--    `changes` finds the models a window touched from the index alone,
--    without reading each version's row.

ALTER TABLE provider_fetch ADD COLUMN models_current BIGINT;

DROP INDEX model_version_from;
CREATE INDEX model_version_from ON model_version (valid_from, provider, model_id);
DROP INDEX model_version_to;
CREATE INDEX model_version_to ON model_version (valid_to, provider, model_id) WHERE valid_to IS NOT NULL;

-- 3. A listing order is stored in parts (`part` 0, 1, ...; the order is
--    their concatenation), as on SQLite; the orders stored before are part 0.
ALTER TABLE listing_order ADD COLUMN part INTEGER NOT NULL DEFAULT 0;
ALTER TABLE listing_order DROP CONSTRAINT listing_order_pkey;
ALTER TABLE listing_order ADD PRIMARY KEY (fetch_id, part);

-- catalog history database on PostgreSQL, schema version 2 (as
-- migrations/sqlite/0002_unchanged_and_metrics.sql): status 'unchanged', and
-- model_metric, the volatile counters written with --track-metrics.

ALTER TABLE provider_fetch DROP CONSTRAINT provider_fetch_status_check;
ALTER TABLE provider_fetch ADD CONSTRAINT provider_fetch_status_check
    CHECK (status IN ('ok', 'partial', 'failed', 'skipped', 'cached', 'unchanged'));

CREATE TABLE model_metric (
    provider  TEXT NOT NULL,
    model_id  TEXT NOT NULL,
    fetch_id  BIGINT NOT NULL REFERENCES provider_fetch (fetch_id),
    downloads BIGINT,
    likes     BIGINT,
    PRIMARY KEY (provider, model_id, fetch_id)
);

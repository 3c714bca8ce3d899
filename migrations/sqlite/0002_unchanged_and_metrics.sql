-- catalog history database, schema version 2.
--
-- 1. provider_fetch.status gains 'unchanged': a listing answered 304 Not
--    Modified to a conditional request, or with a body whose SHA-256 equals
--    the cached one. Its records are the cached harvest's, confirmed current:
--    they are compared like any others (and so write no versions), nothing
--    is parsed. http_status, etag, last_modified and body_sha256 are filled
--    from now on (for a paged listing: of its first page).
-- 2. model_metric: the volatile counters (downloads, likes), one row per
--    model and fetch, written only with --track-metrics.
--
-- SQLite cannot change a CHECK constraint in place, so provider_fetch is
-- rebuilt: copied aside, dropped, created anew, copied back. model_version
-- references provider_fetch; the drop's implicit delete would break those
-- references for a moment, so foreign keys are checked at the commit of the
-- migration's transaction instead (defer_foreign_keys), when every fetch is
-- back. The views name provider_fetch and are valid again once it is.
--
-- PostgreSQL needs none of this; its 0002 is:
--   ALTER TABLE provider_fetch DROP CONSTRAINT provider_fetch_status_check;
--   ALTER TABLE provider_fetch ADD CONSTRAINT provider_fetch_status_check
--     CHECK (status IN ('ok', 'partial', 'failed', 'skipped', 'cached', 'unchanged'));
--   and model_metric as below, with BIGINT for the integers.

PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE provider_fetch_v1 AS SELECT * FROM provider_fetch;
DROP TABLE provider_fetch;
CREATE TABLE provider_fetch (
    fetch_id       INTEGER PRIMARY KEY,
    run_id         INTEGER NOT NULL REFERENCES run (run_id),
    provider       TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('ok', 'partial', 'failed', 'skipped', 'cached', 'unchanged')),
    complete       INTEGER NOT NULL,     -- 1: the whole listing was read (or confirmed unchanged); only then are absent models closed
    models_seen    INTEGER NOT NULL,
    versions_added INTEGER NOT NULL,
    versions_closed INTEGER NOT NULL,
    url            TEXT,
    started_at     TEXT NOT NULL,
    finished_at    TEXT NOT NULL,
    duration_ms    INTEGER NOT NULL,
    error          TEXT,
    http_status    INTEGER,              -- of the listing's first response: 200, or 304 for a conditional request answered Not Modified
    etag           TEXT,                 -- its ETag, as sent (W/"..." for a weak one)
    last_modified  TEXT,                 -- its Last-Modified, as sent
    body_sha256    TEXT,                 -- SHA-256 (hex) of its body; for a 304, of the body it confirmed
    UNIQUE (run_id, provider)
);
INSERT INTO provider_fetch SELECT * FROM provider_fetch_v1;
DROP TABLE provider_fetch_v1;
CREATE INDEX provider_fetch_finished ON provider_fetch (finished_at);

-- Volatile counters as a time series (--track-metrics): a Hub model's
-- downloads change nearly every day, so they are not attributes of
-- model_version. Models without either counter get no row.
CREATE TABLE model_metric (
    provider  TEXT NOT NULL,
    model_id  TEXT NOT NULL,
    fetch_id  INTEGER NOT NULL REFERENCES provider_fetch (fetch_id),
    downloads INTEGER,
    likes     INTEGER,
    PRIMARY KEY (provider, model_id, fetch_id)
);

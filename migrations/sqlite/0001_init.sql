-- catalog history database, schema version 1.
--
-- Written to run on SQLite and, with the type names switched, on PostgreSQL:
-- INTEGER PRIMARY KEY -> BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
-- TEXT timestamps -> timestamptz, NUMERIC stays NUMERIC, attrs TEXT -> jsonb.
-- Every query in src/store uses only what both dialects share (partial
-- indexes, ON CONFLICT, IS DISTINCT FROM, ->> on JSON).

-- One row per catalog invocation that writes to the database.
CREATE TABLE run (
    run_id       INTEGER PRIMARY KEY,
    started_at   TEXT NOT NULL,          -- RFC 3339 UTC, milliseconds
    finished_at  TEXT,                   -- NULL: the run is going on, or was killed
    tool_version TEXT NOT NULL,
    command      TEXT NOT NULL,          -- fetch | snapshot
    args         TEXT NOT NULL,          -- JSON array of the arguments, secrets removed
    host         TEXT
);

-- One row per run and provider. fetch_id is taken inside the transaction that
-- writes the provider's versions, so fetch ids grow in commit order even when
-- two runs write at once; model_version's validity refers to them.
CREATE TABLE provider_fetch (
    fetch_id       INTEGER PRIMARY KEY,
    run_id         INTEGER NOT NULL REFERENCES run (run_id),
    provider       TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('ok', 'partial', 'failed', 'skipped', 'cached')),
    complete       INTEGER NOT NULL,     -- 1: the whole listing was read; only then are absent models closed
    models_seen    INTEGER NOT NULL,
    versions_added INTEGER NOT NULL,
    versions_closed INTEGER NOT NULL,
    url            TEXT,
    started_at     TEXT NOT NULL,
    finished_at    TEXT NOT NULL,
    duration_ms    INTEGER NOT NULL,
    error          TEXT,
    -- For conditional requests (a later step); NULL until then.
    http_status    INTEGER,
    etag           TEXT,
    last_modified  TEXT,
    body_sha256    TEXT,
    UNIQUE (run_id, provider)
);
CREATE INDEX provider_fetch_finished ON provider_fetch (finished_at);

-- Slowly changing history (SCD type 2) of every model's catalog attributes:
-- a version is valid from the fetch that first saw it (valid_from) up to,
-- not including, the fetch that saw it change or vanish (valid_to; NULL while
-- current). Volatile counters (downloads, likes) and fetched_at are not
-- attributes: they would make a new version of nearly every Hub model a day.
CREATE TABLE model_version (
    provider          TEXT NOT NULL,
    model_id          TEXT NOT NULL,
    valid_from        INTEGER NOT NULL REFERENCES provider_fetch (fetch_id),
    valid_to          INTEGER REFERENCES provider_fetch (fetch_id),
    attr_hash         INTEGER NOT NULL,  -- FNV-1a 64 of attrs, as a signed integer
    name              TEXT,
    owned_by          TEXT,
    task              TEXT,
    hugging_face_id   TEXT,
    context_length    INTEGER,
    max_output_tokens INTEGER,
    price_input       NUMERIC,           -- USD per 1M tokens
    price_output      NUMERIC,
    price_cache_read  NUMERIC,
    price_cache_write NUMERIC,
    quantization      TEXT,
    knowledge_cutoff  TEXT,
    expires_at        TEXT,
    attrs             TEXT NOT NULL,     -- the record's attributes as JSON (the output schema minus downloads, likes, source, fetched_at)
    PRIMARY KEY (provider, model_id, valid_from)
);
-- At most one current version per model.
CREATE UNIQUE INDEX model_version_current ON model_version (provider, model_id) WHERE valid_to IS NULL;
CREATE INDEX model_version_from ON model_version (valid_from);
CREATE INDEX model_version_to ON model_version (valid_to) WHERE valid_to IS NOT NULL;
CREATE INDEX model_version_hf ON model_version (hugging_face_id) WHERE hugging_face_id IS NOT NULL;

-- The catalog as it is now, with the time each version was first seen.
CREATE VIEW current_model AS
SELECT v.*, f.finished_at AS since
FROM model_version v
JOIN provider_fetch f ON f.fetch_id = v.valid_from
WHERE v.valid_to IS NULL;

-- Every change a fetch recorded: one row per added or removed model, and one
-- per changed promoted column of a changed model (old -> new, prices with the
-- relative change in percent). `catalog changes` compares the full attrs.
CREATE VIEW model_change AS
WITH step AS (
    SELECT f.fetch_id, f.run_id, f.finished_at AS at, n.provider, n.model_id, o.attrs AS old_attrs, n.attrs AS new_attrs
    FROM model_version n
    JOIN provider_fetch f ON f.fetch_id = n.valid_from
    LEFT JOIN model_version o
        ON o.provider = n.provider AND o.model_id = n.model_id AND o.valid_to = n.valid_from
    UNION ALL
    SELECT f.fetch_id, f.run_id, f.finished_at, o.provider, o.model_id, o.attrs, NULL
    FROM model_version o
    JOIN provider_fetch f ON f.fetch_id = o.valid_to
    WHERE NOT EXISTS (
        SELECT 1 FROM model_version n
        WHERE n.provider = o.provider AND n.model_id = o.model_id AND n.valid_from = o.valid_to
    )
),
field (name, is_price) AS (
    VALUES ('name', 0), ('context_length', 0), ('max_output_tokens', 0),
           ('price_input', 1), ('price_output', 1), ('price_cache_read', 1), ('price_cache_write', 1),
           ('quantization', 0), ('knowledge_cutoff', 0), ('expires_at', 0)
)
SELECT fetch_id, run_id, at, provider, model_id, 'added' AS kind,
       NULL AS field, NULL AS old_value, NULL AS new_value, NULL AS pct
FROM step WHERE old_attrs IS NULL
UNION ALL
SELECT fetch_id, run_id, at, provider, model_id, 'removed', NULL, NULL, NULL, NULL
FROM step WHERE new_attrs IS NULL
UNION ALL
SELECT s.fetch_id, s.run_id, s.at, s.provider, s.model_id, 'changed', fd.name,
       s.old_attrs ->> fd.name, s.new_attrs ->> fd.name,
       CASE WHEN fd.is_price = 1 AND (s.old_attrs ->> fd.name) + 0 > 0 AND (s.new_attrs ->> fd.name) IS NOT NULL
            THEN round(((s.new_attrs ->> fd.name) - (s.old_attrs ->> fd.name)) * 100.0 / (s.old_attrs ->> fd.name), 1)
       END
FROM step s
CROSS JOIN field fd
WHERE s.old_attrs IS NOT NULL AND s.new_attrs IS NOT NULL
  AND (s.old_attrs ->> fd.name) IS DISTINCT FROM (s.new_attrs ->> fd.name);

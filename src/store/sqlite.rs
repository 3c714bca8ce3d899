//! The SQLite backend: one file, WAL, writers serialized by SQLite's lock
//! (each waits up to [`BUSY_TIMEOUT`] for the other).

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context as _};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension as _};

use super::spill::{Order, Rows, Spill};
use super::OrderHash;
use super::{
    Applied, Backend, Bound, FetchRow, Point, ProviderAt, RunRow, Seen, Staged, Transition, Version,
};

/// The migrations, in order; the schema version is the number of those
/// applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_unchanged_and_metrics.sql"),
    include_str!("../../migrations/sqlite/0003_as_of.sql"),
    include_str!("../../migrations/sqlite/0004_counts_and_covering.sql"),
];

/// How long a writer waits for another to finish its transaction. A
/// provider's transaction holds the lock only while its staged records are
/// applied (seconds even for a large Hub harvest); the harvest itself runs
/// outside it.
const BUSY_TIMEOUT: Duration = Duration::from_secs(300);

/// The models seen by the fetch being applied, for closing the ones no longer
/// listed (and for keeping the first of a listing's duplicate ids). Only ids:
/// the records themselves stream from the spill file.
const SEEN_DDL: &str = "CREATE TEMP TABLE IF NOT EXISTS seen (model_id TEXT PRIMARY KEY) WITHOUT ROWID";

/// The current version of a model (?1 provider, ?2 id).
const CURRENT: &str = "SELECT rowid, attr_hash FROM model_version
    WHERE provider = ?1 AND model_id = ?2 AND valid_to IS NULL";

/// Parameters of one row in [`insert_versions`].
const ROW_PARAMS: usize = 16;

/// New current versions, `rows` of them in one statement (?1 fetch, ?2
/// provider, then [`ROW_PARAMS`] a row). `OR IGNORE`: a listing that names a
/// model twice keeps the first (the unique index on the current version
/// refuses the second).
fn insert_versions(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT OR IGNORE INTO model_version (provider, model_id, valid_from, valid_to,
    attr_hash, name, owned_by, task, hugging_face_id, context_length, max_output_tokens,
    price_input, price_output, price_cache_read, price_cache_write,
    quantization, knowledge_cutoff, expires_at, attrs) VALUES ",
    );
    for k in 0..rows {
        let b = 3 + k * ROW_PARAMS;
        if k > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("(?2, ?{b}, ?1, NULL"));
        for j in 1..ROW_PARAMS {
            sql.push_str(&format!(", ?{}", b + j));
        }
        sql.push(')');
    }
    sql
}

/// Rows a full [`insert_versions`] statement takes: its fixed cost (five
/// cursors opened and closed, the reset) is paid once for them, not once a
/// row.
const BATCH: usize = 64;

/// Text already checked as UTF-8, bound as it is.
fn text(b: &[u8]) -> ToSqlOutput<'_> {
    ToSqlOutput::Borrowed(ValueRef::Text(b))
}

fn opt(b: Option<&[u8]>) -> Option<ToSqlOutput<'_>> {
    b.map(text)
}

/// Binds row `k` of an [`insert_versions`] statement.
fn bind_row(
    st: &mut rusqlite::CachedStatement<'_>,
    k: usize,
    r: &super::spill::RawRow<'_>,
) -> rusqlite::Result<()> {
    let b = 3 + k * ROW_PARAMS;
    st.raw_bind_parameter(b, text(r.model_id))?;
    st.raw_bind_parameter(b + 1, r.hash)?;
    st.raw_bind_parameter(b + 2, opt(r.name))?;
    st.raw_bind_parameter(b + 3, opt(r.owned_by))?;
    st.raw_bind_parameter(b + 4, opt(r.task))?;
    st.raw_bind_parameter(b + 5, opt(r.hugging_face_id))?;
    st.raw_bind_parameter(b + 6, r.context_length)?;
    st.raw_bind_parameter(b + 7, r.max_output_tokens)?;
    st.raw_bind_parameter(b + 8, r.price_input)?;
    st.raw_bind_parameter(b + 9, r.price_output)?;
    st.raw_bind_parameter(b + 10, r.price_cache_read)?;
    st.raw_bind_parameter(b + 11, r.price_cache_write)?;
    st.raw_bind_parameter(b + 12, opt(r.quantization))?;
    st.raw_bind_parameter(b + 13, opt(r.knowledge_cutoff))?;
    st.raw_bind_parameter(b + 14, opt(r.expires_at))?;
    st.raw_bind_parameter(b + 15, text(r.attrs))
}

/// The new versions waiting for a full statement, as the staging file
/// encodes them (each one handed out, so checked, by [`Rows::next_row`]).
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Batch {
    fn push(&mut self, raw: &[u8]) {
        self.bytes.extend_from_slice(raw);
        self.ends.push(self.bytes.len());
    }

    /// Inserts the waiting rows with `st`, made for exactly that many;
    /// returns how many were new.
    fn insert(
        &mut self,
        st: &mut rusqlite::CachedStatement<'_>,
        fetch: i64,
        provider: &str,
    ) -> anyhow::Result<usize> {
        st.raw_bind_parameter(1, fetch)?;
        st.raw_bind_parameter(2, provider)?;
        let mut start = 0;
        for (k, &end) in self.ends.iter().enumerate() {
            let r = super::spill::decode_raw(&self.bytes[start..end])?;
            bind_row(st, k, &r)?;
            start = end;
        }
        let n = st.raw_execute()?;
        self.bytes.clear();
        self.ends.clear();
        Ok(n)
    }
}

/// Closes a version (?1 fetch, ?2 its rowid) and moves its row to the end
/// of the table. The versions one fetch closes then lie together, beside
/// the ones it added, instead of one on each page of the table: `changes`
/// reads both, and the closed ones had been one random 16 KiB page read each
/// (15,000 of them cost 40-75 ms of a window's 150; moved, 12 ms). SQLite
/// moves the row and its index entries as a delete and an insert, about 5 %
/// of a resync that changes 3 % of the models. The space a row leaves comes
/// back as its page empties and merges with its neighbours: over 33 syncs of
/// 50,000 models, each changing another 3 %, the file was at most 21 % larger
/// than with rows closed in place (after 17 syncs) and 0.3 % at the end.
const CLOSE: &str =
    "UPDATE model_version SET valid_to = ?1, rowid = (SELECT MAX(rowid) + 1 FROM model_version)
    WHERE rowid = ?2";

/// The current versions of models no longer listed (?1 fetch, ?2 provider),
/// in order of id.
const MISSING: &str = "SELECT rowid FROM model_version
    WHERE provider = ?2 AND valid_to IS NULL AND valid_from <> ?1
      AND NOT EXISTS (SELECT 1 FROM seen s WHERE s.model_id = model_version.model_id)
    ORDER BY model_id";

/// One model's counters as a metric row of this fetch.
const INSERT_METRIC: &str =
    "INSERT OR IGNORE INTO model_metric (provider, model_id, fetch_id, downloads, likes)
    VALUES (?1, ?2, ?3, ?4, ?5)";

pub(super) struct Sqlite {
    conn: Connection,
    /// The current provider's records, while its harvest runs.
    spill: Option<Spill>,
    /// This run made the file: it writes it with a rollback journal and
    /// switches it to WAL when the run ends (see [`Sqlite::open`]).
    wal_at_end: bool,
}

/// Puts the database in WAL mode (a no-op when it is), waiting for other
/// connections to let go of it as any write does.
fn to_wal(conn: &Connection) -> anyhow::Result<()> {
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .context("switching to WAL")?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(
            "{}: journal mode {mode}, not WAL",
            conn.path().unwrap_or_default()
        );
    }
    Ok(())
}

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Sqlite {
    /// Whether a fetch at or before `x` recorded the provider's catalog.
    fn recorded(&self, x: i64, provider: &str) -> anyhow::Result<bool> {
        let last: Option<i64> = self.conn.query_row(
            concat!(
                "SELECT MAX(fetch_id) FROM provider_fetch
                 WHERE provider = ?1 AND fetch_id <= ?2 AND status IN ",
                holds_catalog!()
            ),
            params![provider, x],
            |r| r.get(0),
        )?;
        Ok(last.is_some())
    }

    pub(super) fn open(path: &Path, create: bool) -> anyhow::Result<Sqlite> {
        if create {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            }
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        // A file this run creates has nothing in it to read yet: its first
        // sync is written with a rollback journal, straight into the file
        // (a new page has nothing to journal), and the file goes to WAL
        // when the run ends. In WAL mode every page of it was written
        // twice, to the WAL and then back into the file at the checkpoint,
        // and the WAL grew as large as the file (2 GB for the whole Hub).
        let fresh = create && std::fs::metadata(path).map_or(true, |m| m.len() == 0);
        let conn = Connection::open_with_flags(path, flags).context("opening")?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Pages of 16 KiB instead of 4: a Hub version row is some 750
        // bytes, so a page holds 20 rows rather than 5, and a sync writes a
        // quarter as many pages (each a `pwrite`, twice in WAL mode: to the
        // WAL and back) and splits a quarter as many. Only a new file takes
        // it (it must precede the file's first write); an older database
        // keeps its pages, and works the same.
        conn.execute_batch("PRAGMA page_size = 16384")?;
        // WAL: readers never block the writer, and a killed writer leaves
        // the file as of its last commit.
        if !fresh {
            to_wal(&conn)?;
        }
        // Foreign keys are declared (they document the schema, and
        // `PRAGMA foreign_key_check` verifies them) but not enforced on this
        // connection. Enforced, every multi-row insert of versions was a
        // statement that may abort halfway, so SQLite copied the pages each
        // one touched (the right edges of the table and its four indexes)
        // into a statement journal spilled to a temporary file, and looked
        // the fetch up for every row: a first sync of 50,000 Hub models
        // wrote 184.6 MB into that journal beside the file's 47.9 MB, and
        // took 0.483 s, 0.424 s without (farm-bench, 25 pairs). Every row
        // this code writes names the run or fetch it inserted first in the
        // same transaction; the store tests check `foreign_key_check` after
        // each kind of sync.
        // Page caches sized for a sync's memory: the temporary database
        // holds only the ids a later sync has seen (`seen`), and half a MiB
        // keeps its upper pages; the main one gets 1 MiB instead of the
        // default 2. Records are applied in order of id, so the indexes are
        // written at their right edge and need few pages in the cache
        // (bench db-sync, realistic mock: 1 MiB and 1.5 MiB take the same
        // time, 3.21 and 3.16-3.28 x NDJSON; 1 MiB peaks 0.4 MiB lower).
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; PRAGMA temp_store = FILE;
             PRAGMA temp.cache_size = -512; PRAGMA main.cache_size = -1024;",
        )?;
        let mut db = Sqlite {
            conn,
            spill: None,
            wal_at_end: fresh,
        };
        db.migrate().context("migrating the schema")?;
        Ok(db)
    }

    /// Brings the schema up to date, in one transaction (two runs opening a
    /// new file at once migrate it once). A database written by a newer
    /// catalog is refused rather than misread.
    fn migrate(&mut self) -> anyhow::Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")?;
        let have: i64 = tx.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_version", [], |r| {
            r.get(0)
        })?;
        let known = MIGRATIONS.len() as i64;
        if have > known {
            bail!(
                "schema version {have} is newer than this catalog {} understands ({known}); use a newer catalog",
                env!("CARGO_PKG_VERSION")
            );
        }
        for (n, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(have).unwrap_or(0))
        {
            tx.execute_batch(sql)
                .with_context(|| format!("migration {}", n + 1))?;
            tx.execute("INSERT INTO schema_version (version) VALUES (?1)", [n as i64 + 1])?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// Applies one fetch's staged records, in order of id, inside its
/// transaction: a new version for each new or changed model (closing the
/// changed one's current version), with `close_missing` the close of every
/// current version the listing no longer names, with `metrics` the counters,
/// and the listing's order when it is not the last one stored. A model
/// listed twice keeps its first listing.
///
/// Each record costs one lookup of its current version by the unique index
/// on it, and a write only when it changed. A provider with no current
/// version (its first sync) skips the lookups and the set of seen ids.
#[allow(clippy::too_many_arguments, reason = "one transaction's inputs, each named")]
fn apply(
    tx: &rusqlite::Transaction<'_>,
    fetch: i64,
    provider: &str,
    rows: &mut Rows,
    order: &mut Order,
    close_missing: bool,
    metrics: bool,
) -> anyhow::Result<Applied> {
    let had_current = tx
        .query_row(
            "SELECT 1 FROM model_version WHERE provider = ?1 AND valid_to IS NULL LIMIT 1",
            [provider],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    // Made here, not on open: the query commands never need it.
    tx.execute_batch(SEEN_DDL)?;
    if had_current {
        tx.execute_batch("DELETE FROM seen")?;
    }
    let mut current = tx.prepare_cached(CURRENT)?;
    let mut close = tx.prepare_cached(CLOSE)?;
    let mut insert = tx.prepare_cached(&insert_versions(BATCH))?;
    let mut batch = Batch::default();
    let mut seen = tx.prepare_cached("INSERT OR IGNORE INTO seen (model_id) VALUES (?1)")?;
    let mut metric = tx.prepare_cached(INSERT_METRIC)?;
    let mut attrs_of = tx.prepare_cached("SELECT attrs FROM model_version WHERE rowid = ?1")?;
    let mut rehash = tx.prepare_cached("UPDATE model_version SET attr_hash = ?1 WHERE rowid = ?2")?;
    let mut scratch = Vec::new();
    let mut applied = Applied::default();
    // The places of repeated ids (after the first listing of each), left
    // out of the listing's order too.
    let mut repeated: Vec<u64> = Vec::new();
    let mut previous = String::new();
    let mut any = false;
    while let Some(r) = rows.next_row()? {
        // In order of id, a repeated id follows its first listing.
        if any && r.model_id == previous {
            repeated.push(r.seq);
            continue;
        }
        any = true;
        previous.clear();
        previous.push_str(r.model_id);
        let now: Option<(i64, i64)> = if had_current {
            seen.execute([r.model_id])?;
            current
                .query_row(params![provider, r.model_id], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()?
        } else {
            None
        };
        let changed = match now {
            None => true,
            Some((_, hash)) if hash == r.hash => false,
            // A hash of another rule (an older version of this tool) or,
            // rarely, a change: the attributes say which.
            Some((rowid, _)) => {
                let same = attrs_of.query_row([rowid], |row| {
                    let stored = row.get_ref(0)?.as_bytes()?;
                    Ok(super::same_attrs(stored, r.attrs.as_bytes(), &mut scratch))
                })?;
                if same {
                    rehash.execute(params![r.hash, rowid])?;
                }
                !same
            }
        };
        if metrics && (r.downloads.is_some() || r.likes.is_some()) {
            metric.execute(params![provider, r.model_id, fetch, r.downloads, r.likes])?;
        }
        if changed {
            if let Some((rowid, _)) = now {
                close.execute(params![fetch, rowid])?;
                applied.closed += 1;
            }
            // Its old version is closed already: the new one cannot clash
            // with it in the index of current versions when it goes in.
            batch.push(rows.raw());
            if batch.ends.len() == BATCH {
                applied.added += batch.insert(&mut insert, fetch, provider)? as u64;
            }
        }
    }
    if !batch.ends.is_empty() {
        let mut rest = tx.prepare_cached(&insert_versions(batch.ends.len()))?;
        applied.added += batch.insert(&mut rest, fetch, provider)? as u64;
    }
    if close_missing && had_current {
        // Read whole before the first is moved: rows must not change under
        // a query that is still reading them.
        let missing = tx
            .prepare_cached(MISSING)?
            .query_map(params![fetch, provider], |r| r.get::<_, i64>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        for rowid in missing {
            close.execute(params![fetch, rowid])?;
            applied.closed += 1;
        }
    }
    repeated.sort_unstable();
    // The listing's order, hashed as the JSON array of its distinct ids
    // would be, from the file of ids; written, in parts, only when it is not
    // the last one stored (an unchanged order costs no memory, a new one one
    // part's).
    let mut hash = OrderHash::new();
    each_listed(order, &repeated, |id| Ok(hash.push(id)?))?;
    if let Some(hash) = hash.finish() {
        let last: Option<i64> = tx
            .query_row(
                "SELECT order_hash FROM listing_order WHERE provider = ?1 ORDER BY fetch_id DESC LIMIT 1",
                [provider],
                |r| r.get(0),
            )
            .optional()?;
        if last != Some(hash) {
            order.rewind()?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO listing_order (fetch_id, part, provider, order_hash, ids) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut part = Vec::with_capacity(64 * 1024);
            let (mut n, mut parts) = (0usize, 0i64);
            each_listed(order, &repeated, |id| {
                part.push(if n == 0 { b'[' } else { b',' });
                serde_json::to_writer(&mut part, id)?;
                n += 1;
                if n == super::ORDER_PART {
                    part.push(b']');
                    insert.execute(params![fetch, parts, provider, hash, std::str::from_utf8(&part)?])?;
                    (n, parts) = (0, parts + 1);
                    part.clear();
                }
                Ok(())
            })?;
            if n > 0 {
                part.push(b']');
                insert.execute(params![fetch, parts, provider, hash, std::str::from_utf8(&part)?])?;
            }
        }
    }
    Ok(applied)
}

/// Calls `each` with the listing's ids in order, but for those at the
/// places in `repeated` (sorted).
fn each_listed(
    order: &mut Order,
    repeated: &[u64],
    mut each: impl FnMut(&str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let (mut seq, mut skip) = (0u64, repeated.iter().peekable());
    while let Some(id) = order.next_id()? {
        let here = seq;
        seq += 1;
        if skip.next_if_eq(&&here).is_some() {
            continue;
        }
        each(id)?;
    }
    Ok(())
}

impl Backend for Sqlite {
    fn begin_run(&mut self, run: &RunRow) -> anyhow::Result<i64> {
        let id = self.conn.query_row(
            "INSERT INTO run (started_at, tool_version, command, args, host) VALUES (?1, ?2, ?3, ?4, ?5)
             RETURNING run_id",
            params![run.started_at, run.tool_version, run.command, run.args, run.host],
            |r| r.get(0),
        )?;
        Ok(id)
    }

    fn finish_run(&mut self, run_id: i64, at: &str) -> anyhow::Result<()> {
        self.spill = None;
        self.conn.execute(
            "UPDATE run SET finished_at = ?1 WHERE run_id = ?2",
            params![at, run_id],
        )?;
        if std::mem::take(&mut self.wal_at_end) {
            // A run that ends before this (killed, failed) leaves it to the
            // next one to open the file, which switches it then.
            to_wal(&self.conn)?;
        }
        Ok(())
    }

    fn begin_stage(&mut self) -> anyhow::Result<()> {
        self.spill = Some(Spill::new().context("creating the staging file")?);
        Ok(())
    }

    fn stage(&mut self, row: &Staged<'_>) -> anyhow::Result<()> {
        let spill = self.spill.as_mut().context("staging without begin_stage")?;
        spill.push(row).context("writing the staging file")?;
        Ok(())
    }

    fn commit_fetch(
        &mut self,
        f: &FetchRow<'_>,
        versions: bool,
        close_missing: bool,
        metrics: bool,
        finished_at: &str,
    ) -> anyhow::Result<Applied> {
        let spill = self.spill.take();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let fetch: i64 = tx.query_row(
            "INSERT INTO provider_fetch (run_id, provider, status, complete, models_seen, versions_added,
                 versions_closed, url, started_at, finished_at, duration_ms, error,
                 http_status, etag, last_modified, body_sha256, fetched_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) RETURNING fetch_id",
            params![
                f.run_id,
                f.provider,
                f.status,
                i64::from(f.complete),
                int(f.models_seen),
                f.url,
                f.started_at,
                finished_at,
                int(f.duration_ms),
                f.error,
                f.http_status,
                f.etag,
                f.last_modified,
                f.body_sha256,
                f.fetched_at,
            ],
            |r| r.get(0),
        )?;
        let mut applied = Applied::default();
        if let (true, Some(spill)) = (versions, spill) {
            let (mut rows, mut order) = spill.into_reader().context("reading the staging file")?;
            applied = apply(
                &tx,
                fetch,
                f.provider,
                &mut rows,
                &mut order,
                close_missing,
                metrics,
            )?;
            tx.execute(
                "UPDATE provider_fetch SET versions_added = ?1, versions_closed = ?2,
                     models_current = (SELECT COUNT(*) FROM model_version WHERE provider = ?4 AND valid_to IS NULL)
                 WHERE fetch_id = ?3",
                params![int(applied.added), int(applied.closed), fetch, f.provider],
            )?;
        }
        tx.commit()?;
        Ok(applied)
    }

    fn cutoff(&self, bound: &Bound, since: bool) -> anyhow::Result<i64> {
        let last = self.last_fetch()?;
        let x: Option<i64> = match (bound, since) {
            (Bound::Time(t), true) => self.conn.query_row(
                "SELECT MAX(fetch_id) FROM provider_fetch WHERE finished_at < ?1",
                [super::bound_text(*t)],
                |r| r.get(0),
            )?,
            (Bound::Time(t), false) => self.conn.query_row(
                "SELECT MAX(fetch_id) FROM provider_fetch WHERE finished_at <= ?1",
                [super::bound_text(*t)],
                |r| r.get(0),
            )?,
            // The state just before the run's first fetch.
            (Bound::Run(n), true) => self
                .conn
                .query_row(
                    "SELECT MIN(fetch_id) - 1 FROM provider_fetch WHERE run_id >= ?1",
                    [n],
                    |r| r.get::<_, Option<i64>>(0),
                )?
                .or(Some(last)),
            (Bound::Run(n), false) => self.conn.query_row(
                "SELECT MAX(fetch_id) FROM provider_fetch WHERE run_id <= ?1",
                [n],
                |r| r.get(0),
            )?,
        };
        Ok(x.unwrap_or(0))
    }

    fn last_fetch(&self) -> anyhow::Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(fetch_id), 0) FROM provider_fetch", [], |r| {
                r.get(0)
            })?)
    }

    fn transitions(
        &self,
        x0: i64,
        x1: i64,
        providers: &[String],
        each: &mut dyn FnMut(Transition) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let only: String = (0..providers.len())
            .map(|i| format!("?{}", i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let filter = if providers.is_empty() {
            String::new()
        } else {
            format!("AND provider IN ({only})")
        };
        let mut pairing = super::Pairing::default();
        let mut bind: Vec<&dyn rusqlite::ToSql> = vec![&x0, &x1];
        bind.extend(providers.iter().map(|p| p as &dyn rusqlite::ToSql));
        let scan = |condition: &str| {
            format!("SELECT provider, model_id, attrs FROM model_version WHERE {condition} {filter}")
        };
        // The ended versions first: each began one is matched as it comes.
        for (condition, began) in [
            (super::TRANSITIONS_ENDED, false),
            (super::TRANSITIONS_BEGAN, true),
        ] {
            let mut st = self.conn.prepare(&scan(condition))?;
            let mut rows = st.query(bind.as_slice())?;
            while let Some(row) = rows.next()? {
                let (provider, id, attrs) = (row.get(0)?, row.get(1)?, row.get(2)?);
                if began {
                    each(pairing.began(provider, id, attrs))?;
                } else {
                    pairing.ended(provider, id, attrs);
                }
            }
        }
        pairing.removed().try_for_each(each)
    }

    fn versions(&self, provider: &str, id: &str) -> anyhow::Result<Vec<Version>> {
        let mut st = self.conn.prepare(
            "SELECT v.valid_from, ff.run_id, ff.finished_at, v.valid_to, tf.run_id, tf.finished_at, v.attrs
             FROM model_version v
             JOIN provider_fetch ff ON ff.fetch_id = v.valid_from
             LEFT JOIN provider_fetch tf ON tf.fetch_id = v.valid_to
             WHERE v.provider = ?1 AND v.model_id = ?2
             ORDER BY v.valid_from",
        )?;
        let rows = st.query_map(params![provider, id], |r| {
            let to = match r.get::<_, Option<i64>>(3)? {
                Some(fetch) => Some(super::Point {
                    fetch,
                    run: r.get(4)?,
                    at: r.get(5)?,
                }),
                None => None,
            };
            Ok(Version {
                from: super::Point {
                    fetch: r.get(0)?,
                    run: r.get(1)?,
                    at: r.get(2)?,
                },
                to,
                attrs: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn point(&self, x: i64) -> anyhow::Result<Option<Point>> {
        Ok(self
            .conn
            .query_row(
                "SELECT fetch_id, run_id, finished_at FROM provider_fetch WHERE fetch_id = ?1",
                [x],
                |r| {
                    Ok(Point {
                        fetch: r.get(0)?,
                        run: r.get(1)?,
                        at: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    fn last_run(&self) -> anyhow::Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(run_id), 0) FROM run", [], |r| r.get(0))?)
    }

    fn run_providers(&self, run: i64) -> anyhow::Result<Vec<String>> {
        let mut st = self.conn.prepare(concat!(
            "SELECT provider FROM provider_fetch
             WHERE run_id = ?1 AND (status IN ",
            holds_catalog!(),
            " OR status = 'cached') ORDER BY fetch_id"
        ))?;
        let rows = st.query_map([run], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn providers_at(&self, x: i64) -> anyhow::Result<Vec<String>> {
        let mut st = self.conn.prepare(concat!(
            "SELECT DISTINCT provider FROM provider_fetch
             WHERE fetch_id <= ?1 AND status IN ",
            holds_catalog!(),
            " ORDER BY provider"
        ))?;
        let rows = st.query_map([x], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn listing_order(&self, x: i64, provider: &str) -> anyhow::Result<Option<Vec<String>>> {
        let mut parts = Vec::new();
        self.each_order_part(x, provider, &mut |part| {
            parts.push(part.to_owned());
            Ok(())
        })?;
        Ok((!parts.is_empty()).then_some(parts))
    }

    fn each_order_part(
        &self,
        x: i64,
        provider: &str,
        each: &mut dyn FnMut(&str) -> anyhow::Result<()>,
    ) -> anyhow::Result<bool> {
        let mut st = self.conn.prepare_cached(super::ORDER_PARTS_SQLITE)?;
        let mut rows = st.query(params![provider, x])?;
        let mut any = false;
        while let Some(row) = rows.next()? {
            // Read where SQLite holds it: no copy of a part is made.
            each(row.get_ref(0)?.as_str()?)?;
            any = true;
        }
        Ok(any)
    }

    fn began(&self, x0: i64, x1: i64, provider: &str) -> anyhow::Result<bool> {
        Ok(self
            .conn
            .query_row(super::BEGAN, params![x0, x1, provider], |r| r.get(0))?)
    }

    fn count_at(&self, x: i64, provider: &str) -> anyhow::Result<Option<u64>> {
        if !self.recorded(x, provider)? {
            return Ok(None);
        }
        // The count kept by the last fetch at or before x that wrote
        // versions (every one since schema version 4 keeps it, and all those
        // before it are older); else counted.
        let kept: Option<i64> = self
            .conn
            .query_row(
                "SELECT models_current FROM provider_fetch
                 WHERE provider = ?1 AND fetch_id <= ?2 AND models_current IS NOT NULL
                 ORDER BY fetch_id DESC LIMIT 1",
                params![provider, x],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(n) = kept {
            return Ok(Some(u64::try_from(n).unwrap_or(0)));
        }
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM model_version
             WHERE provider = ?1 AND valid_from <= ?2 AND (valid_to IS NULL OR valid_to > ?2)",
            params![provider, x],
            |r| r.get(0),
        )?;
        Ok(Some(u64::try_from(n).unwrap_or(0)))
    }

    fn provider_at(&self, x: i64, provider: &str) -> anyhow::Result<Option<ProviderAt>> {
        if !self.recorded(x, provider)? {
            return Ok(None);
        }
        let seen = |r: &rusqlite::Row<'_>, at: usize| -> rusqlite::Result<Seen> {
            Ok(Seen {
                fetch: r.get(at)?,
                fetched_at: r.get(at + 1)?,
                url: r.get(at + 2)?,
            })
        };
        let complete = self
            .conn
            .query_row(
                "SELECT fetch_id, COALESCE(fetched_at, started_at), url FROM provider_fetch
                 WHERE provider = ?1 AND fetch_id <= ?2 AND complete = 1
                 ORDER BY fetch_id DESC LIMIT 1",
                params![provider, x],
                |r| seen(r, 0),
            )
            .optional()?;
        let order = self.listing_order(x, provider)?;
        let mut st = self.conn.prepare(
            "SELECT v.model_id, v.attrs, f.fetch_id, COALESCE(f.fetched_at, f.started_at), f.url
             FROM model_version v
             JOIN provider_fetch f ON f.fetch_id = v.valid_from
             WHERE v.provider = ?1 AND v.valid_from <= ?2 AND (v.valid_to IS NULL OR v.valid_to > ?2)
             ORDER BY v.model_id",
        )?;
        let versions = st
            .query_map(params![provider, x], |r| Ok((r.get(0)?, r.get(1)?, seen(r, 2)?)))?
            .collect::<Result<_, _>>()?;
        Ok(Some(ProviderAt {
            complete,
            order,
            versions,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_from_a_newer_catalog_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        drop(Sqlite::open(&path, true).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.execute("INSERT INTO schema_version VALUES (99)", [])
            .unwrap();
        drop(conn);
        let e = format!("{:#}", Sqlite::open(&path, false).err().unwrap());
        assert!(e.contains("schema version 99 is newer"), "{e}");
        // Opening twice applies the migrations once.
        let conn = Connection::open(&path).unwrap();
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM schema_version WHERE version = 1", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn a_new_database_has_pages_of_16_kib_and_an_older_one_keeps_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let page_size = |path: &Path| -> i64 {
            let conn = Connection::open(path).unwrap();
            conn.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap()
        };
        let new = dir.path().join("new.db");
        drop(Sqlite::open(&new, true).unwrap());
        assert_eq!(page_size(&new), 16384);
        // A file made with SQLite's default pages, as catalog made them
        // before, is opened, migrated and written as it is.
        let old = dir.path().join("old.db");
        let conn = Connection::open(&old).unwrap();
        conn.execute_batch("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE t (x)")
            .unwrap();
        drop(conn);
        let mut db = Sqlite::open(&old, false).unwrap();
        let applied = sync(&mut db, &[r#"{"provider":"groq","id":"whisper-large-v3"}"#]);
        assert_eq!(applied.added, 1);
        drop(db);
        assert_eq!(page_size(&old), 4096);
    }

    #[test]
    fn a_file_this_run_makes_is_written_without_a_wal_and_goes_to_wal_when_the_run_ends() {
        let dir = tempfile::tempdir().unwrap();
        let mode = |db: &Sqlite| -> String {
            db.conn
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap()
        };
        let versions = |path: &Path| -> i64 {
            let conn = Connection::open(path).unwrap();
            conn.query_row("SELECT COUNT(*) FROM model_version", [], |r| r.get(0))
                .unwrap()
        };
        let records: Vec<String> = (0..2000)
            .map(|i| format!(r#"{{"provider":"groq","id":"m{i:05}","name":"model {i}"}}"#))
            .collect();
        let records: Vec<&str> = records.iter().map(String::as_str).collect();

        let path = dir.path().join("new.db");
        let mut db = Sqlite::open(&path, true).unwrap();
        assert_eq!(mode(&db), "delete");
        assert_eq!(sync(&mut db, &records).added, 2000);
        // The versions went into the file itself, not into a WAL first.
        assert!(!dir.path().join("new.db-wal").exists());
        db.finish_run(1, "2026-12-01T00:00:02.000Z").unwrap();
        assert_eq!(mode(&db), "wal");
        drop(db);
        assert_eq!(versions(&path), 2000);
        // A file with something in it is in WAL mode from its open on.
        assert_eq!(mode(&Sqlite::open(&path, true).unwrap()), "wal");

        // A run that ends before finishing (killed, failed) leaves the
        // switch to the next open.
        let path = dir.path().join("cut.db");
        let mut db = Sqlite::open(&path, true).unwrap();
        sync(&mut db, &records);
        drop(db);
        let db = Sqlite::open(&path, false).unwrap();
        assert_eq!(mode(&db), "wal");
        drop(db);
        assert_eq!(versions(&path), 2000);
    }

    #[test]
    fn migration_2_keeps_a_version_1_history_and_accepts_unchanged_fetches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        // A version-1 database with one run, one fetch, one version.
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE schema_version (version INTEGER NOT NULL);
             INSERT INTO schema_version VALUES (1);",
        )
        .unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(
            "INSERT INTO run (run_id, started_at, tool_version, command, args) VALUES (1, 't', '0', 'fetch', '[]');
             INSERT INTO provider_fetch (fetch_id, run_id, provider, status, complete, models_seen, versions_added,
                 versions_closed, started_at, finished_at, duration_ms)
             VALUES (7, 1, 'groq', 'ok', 1, 1, 1, 0, 't0', 't1', 5);
             INSERT INTO model_version (provider, model_id, valid_from, attr_hash, attrs)
             VALUES ('groq', 'm', 7, 42, '{}');",
        )
        .unwrap();
        drop(conn);

        drop(Sqlite::open(&path, false).unwrap());
        let conn = Connection::open(&path).unwrap();
        let version: i64 = conn
            .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64, "migrations 2 and later applied");
        let kept: (i64, String, i64) = conn
            .query_row(
                "SELECT f.fetch_id, f.status, v.attr_hash FROM provider_fetch f
                 JOIN current_model v ON v.valid_from = f.fetch_id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(kept, (7, "ok".to_owned(), 42));
        let dangling: i64 = conn
            .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(dangling, 0);
        conn.execute(
            "INSERT INTO provider_fetch (run_id, provider, status, complete, models_seen, versions_added,
                 versions_closed, started_at, finished_at, duration_ms, http_status, etag, body_sha256)
             VALUES (1, 'openrouter', 'unchanged', 1, 3, 0, 0, 't2', 't3', 1, 304, 'W/\"x\"', 'ab')",
            [],
        )
        .unwrap();
        assert!(conn
            .execute(
                "INSERT INTO provider_fetch (run_id, provider, status, complete, models_seen, versions_added,
                     versions_closed, started_at, finished_at, duration_ms)
                 VALUES (1, 'xai', 'bogus', 0, 0, 0, 0, 't', 't', 0)",
                [],
            )
            .is_err());
        let metrics: i64 = conn
            .query_row("SELECT COUNT(*) FROM model_metric", [], |r| r.get(0))
            .unwrap();
        assert_eq!(metrics, 0);
    }

    #[test]
    fn migration_4_keeps_a_stored_listing_order_as_its_first_part_and_counts_older_fetches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (3);",
        )
        .unwrap();
        for m in &MIGRATIONS[..3] {
            conn.execute_batch(m).unwrap();
        }
        conn.execute_batch(
            r#"INSERT INTO run (run_id, started_at, tool_version, command, args) VALUES (1, 't', '0', 'fetch', '[]');
             INSERT INTO provider_fetch (fetch_id, run_id, provider, status, complete, models_seen, versions_added,
                 versions_closed, started_at, finished_at, duration_ms)
             VALUES (7, 1, 'groq', 'ok', 1, 2, 2, 0, 't0', 't1', 5);
             INSERT INTO model_version (provider, model_id, valid_from, attr_hash, attrs)
             VALUES ('groq', 'llama-3.3-70b-versatile', 7, 1, '{}'), ('groq', 'whisper-large-v3', 7, 2, '{}');
             INSERT INTO listing_order (fetch_id, provider, order_hash, ids)
             VALUES (7, 'groq', 3, '["whisper-large-v3","llama-3.3-70b-versatile"]');"#,
        )
        .unwrap();
        drop(conn);
        let db = Sqlite::open(&path, false).unwrap();
        assert_eq!(
            db.listing_order(7, "groq").unwrap(),
            Some(vec![
                r#"["whisper-large-v3","llama-3.3-70b-versatile"]"#.to_owned()
            ])
        );
        // Recorded before version 4: no kept count, so counted.
        assert_eq!(db.count_at(7, "groq").unwrap(), Some(2));
        assert_eq!(db.count_at(6, "groq").unwrap(), None);
    }

    fn sync(db: &mut Sqlite, records: &[&str]) -> Applied {
        let run = db
            .begin_run(&super::super::RunRow {
                started_at: "2026-12-01T00:00:00.000Z".into(),
                tool_version: "0",
                command: "fetch",
                args: "[]".into(),
                host: None,
            })
            .unwrap();
        db.begin_stage().unwrap();
        let records: Vec<crate::record::Record> =
            records.iter().map(|r| serde_json::from_str(r).unwrap()).collect();
        for (i, r) in records.iter().enumerate() {
            db.stage(&Staged::new(r, i as u64)).unwrap();
        }
        let row = FetchRow {
            run_id: run,
            provider: "groq",
            status: "ok",
            complete: true,
            models_seen: records.len() as u64,
            url: None,
            started_at: "2026-12-01T00:00:00.000Z".into(),
            duration_ms: 1,
            error: None,
            http_status: None,
            etag: None,
            last_modified: None,
            body_sha256: None,
            fetched_at: None,
        };
        db.commit_fetch(&row, true, true, false, "2026-12-01T00:00:01.000Z")
            .unwrap()
    }

    #[test]
    fn a_model_listed_twice_keeps_its_first_listing_and_one_place_in_the_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = Sqlite::open(&dir.path().join("c.db"), true).unwrap();
        let listing = [
            r#"{"provider":"groq","id":"whisper-large-v3","name":"Whisper"}"#,
            r#"{"provider":"groq","id":"llama-3.3-70b-versatile","name":"Llama 3.3 70B"}"#,
            r#"{"provider":"groq","id":"whisper-large-v3","name":"Whisper, listed again"}"#,
        ];
        for round in 0..2 {
            let applied = sync(&mut db, &listing);
            // The first sync adds both; the second, a resync of the same
            // listing, changes nothing.
            assert_eq!(applied.added, if round == 0 { 2 } else { 0 }, "round {round}");
            assert_eq!(applied.closed, 0, "round {round}");
            let name: String = db
                .conn
                .query_row(
                    "SELECT name FROM model_version WHERE model_id = 'whisper-large-v3' AND valid_to IS NULL",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(name, "Whisper");
            assert_eq!(
                db.listing_order(9, "groq").unwrap(),
                Some(vec![
                    r#"["whisper-large-v3","llama-3.3-70b-versatile"]"#.to_owned()
                ])
            );
        }
        // A listing without Llama closes it, and only it.
        let applied = sync(&mut db, &listing[..1]);
        assert_eq!((applied.added, applied.closed), (0, 1));
        assert_eq!(db.count_at(3, "groq").unwrap(), Some(1));
    }

    #[test]
    fn the_versions_a_fetch_closes_move_to_the_end_of_the_table_beside_the_ones_it_adds() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = Sqlite::open(&dir.path().join("c.db"), true).unwrap();
        let first: Vec<String> = (0..100)
            .map(|i| format!(r#"{{"provider":"groq","id":"m{i:03}","name":"model {i}"}}"#))
            .collect();
        let first: Vec<&str> = first.iter().map(String::as_str).collect();
        assert_eq!(sync(&mut db, &first).added, 100);
        // m010 and m050 change, m090 and m020 are no longer listed.
        let mut second: Vec<String> = first
            .iter()
            .filter(|r| !r.contains("m090") && !r.contains("m020"))
            .map(|r| (*r).to_owned())
            .collect();
        for r in &mut second {
            if r.contains("m010") || r.contains("m050") {
                *r = r.replace("model", "renamed");
            }
        }
        let second: Vec<&str> = second.iter().map(String::as_str).collect();
        let applied = sync(&mut db, &second);
        assert_eq!((applied.added, applied.closed), (2, 4));
        let rows: Vec<(i64, String, Option<i64>)> = db
            .conn
            .prepare("SELECT rowid, model_id, valid_to FROM model_version WHERE rowid > 100 ORDER BY rowid")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let ids: Vec<(&str, bool)> = rows
            .iter()
            .map(|(_, id, to)| (id.as_str(), to.is_some()))
            .collect();
        // Changed ones closed as the fetch reaches them, in order of id, the
        // new versions after them (they wait for a full statement); then the
        // unlisted ones, in order of id.
        assert_eq!(
            ids,
            [
                ("m010", true),
                ("m050", true),
                ("m010", false),
                ("m050", false),
                ("m020", true),
                ("m090", true)
            ]
        );
        assert_eq!(rows.first().unwrap().0, 101, "right after the first sync's rows");
        assert_eq!(db.count_at(2, "groq").unwrap(), Some(98));
        let current: i64 = db
            .conn
            .query_row(
                "SELECT COUNT(*) FROM model_version WHERE valid_to IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(current, 98);
    }
}

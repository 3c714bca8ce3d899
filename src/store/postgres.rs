//! The PostgreSQL backend: one server shared by a fleet (gateways read it,
//! several harvesters may write it).
//!
//! The schema and statements are SQLite's (`migrations/postgres/` is
//! `migrations/sqlite/` with server types and the casts PostgreSQL needs):
//! prices are `numeric`, `attrs` is `jsonb` (so `->>` in shared SQL and the
//! `model_change` view work natively, and fleet users get jsonb operators and
//! indexes), times are `timestamptz`, read back as the same RFC 3339 text
//! with milliseconds SQLite stores, so `changes` and `history` print the same
//! bytes on both.
//!
//! Crate: `tokio-postgres`, not the sync `postgres` wrapper. The wrapper
//! starts a runtime of its own per client and blocks on it; the consumer
//! thread already lives in the command's runtime, so this backend spawns
//! the connection task on that runtime and blocks on each call with
//! `block_in_place` + `Handle::block_on`, from a thread of the blocking
//! pool (the consumer's; `changes`, `history` and `diff` run there too):
//! the runtime's own thread drives the connection meanwhile. One runtime,
//! no extra threads.
//!
//! Writing: records are streamed with `COPY ... FROM STDIN` (text format)
//! into a temporary table while the provider is harvested, deduplicated
//! into a second temporary table, then applied set-based in one transaction
//! per provider. That transaction first takes one transaction-level
//! advisory lock ([`WRITE_LOCK`]), the same for every provider: writers
//! commit one at a time, exactly as on SQLite. A lock per provider would let
//! two providers' transactions overlap, and a `fetch_id` taken from the
//! identity sequence by one and committed after the other's larger id would
//! break "fetch ids grow in commit order", which `changes --since RUN` and
//! every validity interval rely on. Under the lock each statement (READ
//! COMMITTED) sees every earlier writer's versions, so two harvesters of the
//! same provider never both insert a current version (the partial unique
//! index would refuse it anyway). The heavy part, streaming, happens outside
//! the lock; the locked part is the set-based apply.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use bytes::{BufMut as _, Bytes, BytesMut};
use futures::SinkExt as _;
use tokio_postgres::config::SslMode;
use tokio_postgres::{Client, CopyInSink, NoTls};

use super::{
    Applied, Backend, Bound, FetchRow, Point, ProviderAt, RunRow, Seen, Staged, Transition, Version,
};
use crate::error::UsageError;

/// The migrations, in order, numbered as SQLite's are.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_unchanged_and_metrics.sql"),
    include_str!("../../migrations/postgres/0003_as_of.sql"),
    include_str!("../../migrations/postgres/0004_counts_and_covering.sql"),
];

/// The advisory lock key every provider transaction takes (see the module
/// comment); "catalog\0w" as a number.
const WRITE_LOCK: i64 = 0x6361_7461_6c6f_6700 | 0x77;
/// The advisory lock key for migrating the schema.
const MIGRATE_LOCK: i64 = 0x6361_7461_6c6f_6700 | 0x6d;

/// How long connecting may take when the URL sets no `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes of COPY data sent at once.
const COPY_CHUNK: usize = 256 * 1024;

/// A PostgreSQL URL: kept whole to connect, shown and debugged without its
/// password.
#[derive(Clone, PartialEq, Eq)]
pub struct PgUrl {
    url: String,
    tls: Tls,
}

/// `sslmode` as libpq reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    Disable,
    /// `prefer` (the default) and `require`: encrypted, the certificate not
    /// checked (libpq does the same without a root certificate file).
    Unverified(SslMode),
    /// `verify-full`: the certificate must chain to a web PKI root and
    /// name the host.
    VerifyFull,
}

impl fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgUrl({self})")
    }
}

impl fmt::Display for PgUrl {
    /// The URL with its password (in the user info or in `?password=`)
    /// replaced by `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match url::Url::parse(&self.url) {
            Ok(u) => f.write_str(&redact_url(u, "***")),
            Err(_) => f.write_str("postgres://(unparsable URL)"),
        }
    }
}

/// Whether a URL carries `password=` in its query.
pub(super) fn has_query_password(u: &url::Url) -> bool {
    u.query_pairs().any(|(k, _)| k == "password")
}

/// `u` with its password, wherever it is, replaced by `with`.
pub(super) fn redact_url(mut u: url::Url, with: &str) -> String {
    if u.password().is_some() {
        let _ = u.set_password(Some(with));
    }
    if has_query_password(&u) {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "password" {
                    with.to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

impl PgUrl {
    /// Checks a `postgres://` URL without connecting.
    pub(super) fn parse(text: &str) -> Result<PgUrl, UsageError> {
        let shown = match url::Url::parse(text) {
            Ok(u) => redact_url(u, "***"),
            Err(e) => return Err(UsageError::new(format!("--db: not a valid PostgreSQL URL: {e}"))),
        };
        let (conn, tls) = split_tls(text).map_err(|e| UsageError::new(format!("--db {shown}: {e}")))?;
        conn.parse::<tokio_postgres::Config>()
            .map_err(|e| UsageError::new(format!("--db {shown}: {e}")))?;
        Ok(PgUrl {
            url: text.to_owned(),
            tls,
        })
    }

    /// The connection configuration (the TLS mode taken out, as
    /// tokio-postgres knows only some of libpq's).
    fn config(&self) -> anyhow::Result<tokio_postgres::Config> {
        let (conn, _) = split_tls(&self.url).map_err(anyhow::Error::msg)?;
        let mut cfg: tokio_postgres::Config = conn.parse()?;
        if cfg.get_connect_timeout().is_none() {
            cfg.connect_timeout(CONNECT_TIMEOUT);
        }
        if cfg.get_application_name().is_none() {
            cfg.application_name("catalog");
        }
        cfg.ssl_mode(match self.tls {
            Tls::Disable => SslMode::Disable,
            Tls::Unverified(m) => m,
            Tls::VerifyFull => SslMode::Require,
        });
        Ok(cfg)
    }
}

/// The URL without `sslmode` (read here), and the TLS it asks for.
fn split_tls(text: &str) -> Result<(String, Tls), String> {
    let mut u = url::Url::parse(text).map_err(|e| e.to_string())?;
    let mut tls = Tls::Unverified(SslMode::Prefer);
    let mut rest = Vec::new();
    for (k, v) in u.query_pairs() {
        if k == "sslmode" {
            tls = match v.as_ref() {
                "disable" => Tls::Disable,
                "allow" | "prefer" => Tls::Unverified(SslMode::Prefer),
                "require" => Tls::Unverified(SslMode::Require),
                "verify-full" => Tls::VerifyFull,
                "verify-ca" => {
                    return Err(
                        "sslmode=verify-ca is not supported; use verify-full (the certificate and the host name checked) or require"
                            .to_owned(),
                    )
                }
                other => {
                    return Err(format!(
                        "unknown sslmode {other:?}; use disable, prefer, require or verify-full"
                    ))
                }
            };
        } else {
            rest.push((k.into_owned(), v.into_owned()));
        }
    }
    if rest.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(rest);
    }
    Ok((u.to_string(), tls))
}

/// A certificate verifier that checks nothing but the handshake
/// signatures: `sslmode=prefer`/`require` encrypt without authenticating
/// the server, as libpq does.
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn rustls_config(tls: Tls) -> anyhow::Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("TLS setup")?;
    Ok(match tls {
        Tls::VerifyFull => {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        _ => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
            .with_no_client_auth(),
    })
}

/// The staging tables: `stage_in` as COPY fills it (duplicates and all),
/// `staged` with one row per model (the first listed, as on SQLite).
const STAGE_DDL: &str = "
CREATE TEMP TABLE IF NOT EXISTS stage_in (
    seq BIGINT NOT NULL,
    model_id TEXT NOT NULL,
    attr_hash BIGINT NOT NULL,
    name TEXT, owned_by TEXT, task TEXT, hugging_face_id TEXT,
    context_length BIGINT, max_output_tokens BIGINT,
    price_input NUMERIC, price_output NUMERIC, price_cache_read NUMERIC, price_cache_write NUMERIC,
    quantization TEXT, knowledge_cutoff TEXT, expires_at TEXT,
    attrs JSONB NOT NULL,
    downloads BIGINT, likes BIGINT
);
CREATE TEMP TABLE IF NOT EXISTS staged (LIKE stage_in, PRIMARY KEY (model_id));
ALTER TABLE staged ALTER COLUMN model_id SET STATISTICS 10, ALTER COLUMN attr_hash SET STATISTICS 10,
    ALTER COLUMN seq SET STATISTICS 10, ALTER COLUMN downloads SET STATISTICS 10,
    ALTER COLUMN likes SET STATISTICS 10;";

const COPY: &str = "COPY stage_in (seq, model_id, attr_hash, name, owned_by, task, hugging_face_id,
    context_length, max_output_tokens, price_input, price_output, price_cache_read, price_cache_write,
    quantization, knowledge_cutoff, expires_at, attrs, downloads, likes) FROM STDIN";

/// `stage_in` to `staged`, keeping each model's first row; analyzed, as
/// autovacuum never sees temporary tables. Only the columns the apply's
/// statements join and filter on, from a sample of 3,000 rows (statistics
/// target 10, set on the table above): the whole table's statistics, the
/// JSON attributes' included, from a 30,000-row sample took 0.31-0.34 s of
/// a 50,000-model first sync; these take 16-19 ms (psql, the same rows).
const DEDUP: &str = "TRUNCATE staged;
INSERT INTO staged SELECT DISTINCT ON (model_id) * FROM stage_in ORDER BY model_id, seq;
ANALYZE staged (model_id, attr_hash, seq, downloads, likes);";

/// Closes the current versions whose attributes changed ($1 fetch, $2
/// provider). A hash that differs is only a hint: the attributes decide, as
/// on SQLite (`store::same_attrs`), so that hashes of an older rule write no
/// version; jsonb compares values, and versions stored before schema version
/// 4 kept their null members.
const CLOSE_CHANGED: &str = "UPDATE model_version SET valid_to = $1
    WHERE provider = $2 AND valid_to IS NULL
      AND EXISTS (SELECT 1 FROM staged s
                  WHERE s.model_id = model_version.model_id AND s.attr_hash <> model_version.attr_hash
                    AND s.attrs <> jsonb_strip_nulls(model_version.attrs))";

/// The hashes of the current versions that [`CLOSE_CHANGED`] left open
/// though their hashes differ: the same attributes, hashed by an older rule
/// ($1 provider).
const REHASH: &str = "UPDATE model_version m SET attr_hash = s.attr_hash FROM staged s
    WHERE m.provider = $1 AND m.valid_to IS NULL AND m.model_id = s.model_id AND m.attr_hash <> s.attr_hash";

/// Closes the current versions of models no longer listed ($1 fetch, $2
/// provider).
const CLOSE_MISSING: &str = "UPDATE model_version SET valid_to = $1
    WHERE provider = $2 AND valid_to IS NULL
      AND NOT EXISTS (SELECT 1 FROM staged s WHERE s.model_id = model_version.model_id)";

/// SQLite's `INSERT_VERSION`, for every staged model at once, its
/// parameters typed.
const INSERT_VERSIONS: &str =
    "INSERT INTO model_version (provider, model_id, valid_from, valid_to, attr_hash,
    name, owned_by, task, hugging_face_id, context_length, max_output_tokens,
    price_input, price_output, price_cache_read, price_cache_write,
    quantization, knowledge_cutoff, expires_at, attrs)
    SELECT $2::text, s.model_id, $1::bigint, NULL::bigint, s.attr_hash,
        s.name, s.owned_by, s.task, s.hugging_face_id, s.context_length, s.max_output_tokens,
        s.price_input, s.price_output, s.price_cache_read, s.price_cache_write,
        s.quantization, s.knowledge_cutoff, s.expires_at, s.attrs
    FROM staged s
    WHERE NOT EXISTS (SELECT 1 FROM model_version m
                      WHERE m.provider = $2::text AND m.model_id = s.model_id AND m.valid_to IS NULL)";

/// SQLite's `INSERT_METRICS`.
const INSERT_METRICS: &str = "INSERT INTO model_metric (provider, model_id, fetch_id, downloads, likes)
    SELECT $2::text, s.model_id, $1::bigint, s.downloads, s.likes FROM staged s
    WHERE s.downloads IS NOT NULL OR s.likes IS NOT NULL";

/// A stored time as SQLite stores it: RFC 3339 UTC with milliseconds.
macro_rules! text_time {
    ($col:literal) => {
        concat!(
            "to_char(",
            $col,
            " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
        )
    };
}

pub(super) struct Postgres {
    client: Client,
    rt: tokio::runtime::Handle,
    connection: tokio::task::JoinHandle<()>,
    /// The COPY of the current provider's records, while it streams.
    copy: Option<Pin<Box<CopyInSink<Bytes>>>>,
    buf: BytesMut,
    /// A record's attributes as stored, reused record after record
    /// ([`Staged::write_attrs`]).
    stored: Vec<u8>,
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.connection.abort();
    }
}

fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Postgres {
    /// Whether a fetch at or before `x` recorded the provider's catalog.
    fn recorded(&self, x: i64, provider: &str) -> anyhow::Result<bool> {
        let last: Option<i64> = self
            .block(self.client.query_one(
                concat!(
                    "SELECT MAX(fetch_id) FROM provider_fetch
                     WHERE provider = $1 AND fetch_id <= $2 AND status IN ",
                    holds_catalog!()
                ),
                &[&provider, &x],
            ))?
            .get(0);
        Ok(last.is_some())
    }

    pub(super) fn open(url: &PgUrl, create: bool) -> anyhow::Result<Postgres> {
        let rt = tokio::runtime::Handle::try_current()
            .context("the PostgreSQL backend runs inside the command's async runtime")?;
        let cfg = url.config()?;
        let tls = match url.tls {
            Tls::Disable => None,
            tls => Some(tokio_postgres_rustls::MakeRustlsConnect::new(rustls_config(tls)?)),
        };
        let connect = async {
            match tls {
                None => {
                    let (client, conn) = cfg.connect(NoTls).await?;
                    Ok::<_, tokio_postgres::Error>((client, rt.spawn(log_end(conn))))
                }
                Some(make) => {
                    let (client, conn) = cfg.connect(make).await?;
                    Ok((client, rt.spawn(log_end(conn))))
                }
            }
        };
        let (client, connection) = block(&rt, connect).context("connecting")?;
        let mut db = Postgres {
            client,
            rt,
            connection,
            copy: None,
            buf: BytesMut::with_capacity(COPY_CHUNK + 4096),
            stored: Vec::new(),
        };
        db.migrate(create).context("migrating the schema")?;
        db.batch(STAGE_DDL)?;
        Ok(db)
    }

    fn block<F: Future>(&self, f: F) -> F::Output {
        block(&self.rt, f)
    }

    fn batch(&self, sql: &str) -> anyhow::Result<()> {
        self.block(self.client.batch_execute(sql))?;
        Ok(())
    }

    /// Brings the schema up to date in one transaction, under an advisory
    /// lock (two harvesters opening a new database migrate it once). A
    /// schema newer than this catalog's is refused; without `create`, a
    /// database with no schema at all is an error.
    fn migrate(&mut self, create: bool) -> anyhow::Result<()> {
        let rt = self.rt.clone();
        block(&rt, async {
            let tx = self.client.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
                .await?;
            let exists: bool = tx
                .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])
                .await?
                .get(0);
            if !exists && !create {
                bail!("it holds no catalog history; record into it first with `catalog fetch --db URL`");
            }
            tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                .await?;
            let have: i32 = tx
                .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
                .await?
                .get(0);
            let known = i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX);
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
                let version = i32::try_from(n + 1).unwrap_or(i32::MAX);
                tx.batch_execute(sql)
                    .await
                    .with_context(|| format!("migration {version}"))?;
                tx.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&version])
                    .await?;
            }
            tx.commit().await?;
            anyhow::Ok(())
        })
    }

    /// Sends what is buffered to the COPY.
    fn flush(&mut self) -> anyhow::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = self.buf.split().freeze();
        if let Some(copy) = self.copy.as_mut() {
            block(&self.rt, copy.as_mut().send(chunk)).context("streaming records (COPY)")?;
        }
        Ok(())
    }

    /// Ends the current COPY, if any.
    fn end_staging(&mut self) -> anyhow::Result<()> {
        if self.copy.is_none() {
            return Ok(());
        }
        self.flush()?;
        if let Some(mut copy) = self.copy.take() {
            block(&self.rt, copy.as_mut().finish()).context("streaming records (COPY)")?;
        }
        Ok(())
    }
}

async fn log_end<S, T>(conn: tokio_postgres::Connection<S, T>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    if let Err(e) = conn.await {
        tracing::debug!("PostgreSQL connection: {e}");
    }
}

/// SQL written for both backends with SQLite's `?N` parameters (and no
/// other `?`), with PostgreSQL's `$N` instead.
fn numbered(sql: &str) -> String {
    sql.replace('?', "$")
}

/// Blocks this thread on `f`, the runtime going on meanwhile.
fn block<F: Future>(rt: &tokio::runtime::Handle, f: F) -> F::Output {
    tokio::task::block_in_place(|| rt.block_on(f))
}

/// One field of COPY's text format.
fn put_text(buf: &mut BytesMut, s: Option<&str>) {
    let Some(s) = s else {
        buf.put_slice(b"\\N");
        return;
    };
    for c in s.chars() {
        match c {
            '\\' => buf.put_slice(b"\\\\"),
            '\t' => buf.put_slice(b"\\t"),
            '\n' => buf.put_slice(b"\\n"),
            '\r' => buf.put_slice(b"\\r"),
            // PostgreSQL text holds no NUL.
            '\0' => buf.put_slice("\u{fffd}".as_bytes()),
            c => {
                let mut b = [0u8; 4];
                buf.put_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
}

fn put_int(buf: &mut BytesMut, n: Option<i64>) {
    match n {
        Some(n) => buf.put_slice(itoa::Buffer::new().format(n).as_bytes()),
        None => buf.put_slice(b"\\N"),
    }
}

fn put_price(buf: &mut BytesMut, p: Option<f64>) {
    match p.filter(|p| p.is_finite()) {
        // The shortest text that reads back as the same f64: the same
        // digits SQLite's REAL shows.
        Some(p) => buf.put_slice(p.to_string().as_bytes()),
        None => buf.put_slice(b"\\N"),
    }
}

/// The attributes as jsonb accepts them: jsonb refuses `\u0000`, so a NUL
/// in a string becomes U+FFFD (the hash stays that of the original text).
fn jsonb_text(attrs: &str) -> std::borrow::Cow<'_, str> {
    if !attrs.contains("\\u0000") {
        return attrs.into();
    }
    fn clean(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) => *s = s.replace('\0', "\u{fffd}"),
            serde_json::Value::Array(a) => a.iter_mut().for_each(clean),
            serde_json::Value::Object(o) => o.values_mut().for_each(clean),
            _ => {}
        }
    }
    match serde_json::from_str::<serde_json::Value>(attrs) {
        Ok(mut v) => {
            clean(&mut v);
            serde_json::to_string(&v).map_or_else(|_| attrs.into(), Into::into)
        }
        Err(_) => attrs.into(),
    }
}

impl Backend for Postgres {
    fn begin_run(&mut self, run: &RunRow) -> anyhow::Result<i64> {
        let row = self.block(self.client.query_one(
            "INSERT INTO run (started_at, tool_version, command, args, host)
             VALUES ($1::text::timestamptz, $2, $3, $4, $5) RETURNING run_id",
            &[
                &run.started_at,
                &run.tool_version,
                &run.command,
                &run.args,
                &run.host,
            ],
        ))?;
        Ok(row.get(0))
    }

    fn finish_run(&mut self, run_id: i64, at: &str) -> anyhow::Result<()> {
        self.end_staging()?;
        self.block(self.client.execute(
            "UPDATE run SET finished_at = $1::text::timestamptz WHERE run_id = $2",
            &[&at, &run_id],
        ))?;
        Ok(())
    }

    fn begin_stage(&mut self) -> anyhow::Result<()> {
        self.end_staging()?;
        self.batch("TRUNCATE stage_in")?;
        let copy = self.block(self.client.copy_in::<_, Bytes>(COPY))?;
        self.copy = Some(Box::pin(copy));
        self.buf.clear();
        Ok(())
    }

    fn stage(&mut self, row: &Staged<'_>) -> anyhow::Result<()> {
        let r = row.record;
        let price = |p: Option<crate::record::Price>| p.map(crate::record::Price::usd_per_million);
        self.stored.clear();
        let hash = row.write_attrs(&mut self.stored);
        let attrs = std::str::from_utf8(&self.stored)?;
        let b = &mut self.buf;
        put_int(b, Some(int(row.seq)));
        b.put_u8(b'\t');
        put_text(b, Some(r.id.as_str()));
        b.put_u8(b'\t');
        put_int(b, Some(hash));
        for s in [
            r.name.as_deref(),
            r.owned_by.as_deref(),
            r.task.as_deref(),
            r.hugging_face_id.as_deref(),
        ] {
            b.put_u8(b'\t');
            put_text(b, s);
        }
        for n in [r.context_length, r.max_output_tokens] {
            b.put_u8(b'\t');
            put_int(b, n.map(int));
        }
        for p in [
            r.price_input,
            r.price_output,
            r.price_cache_read,
            r.price_cache_write,
        ] {
            b.put_u8(b'\t');
            put_price(b, price(p));
        }
        for s in [
            r.quantization.as_deref(),
            r.knowledge_cutoff.as_deref(),
            r.expires_at.as_deref(),
        ] {
            b.put_u8(b'\t');
            put_text(b, s);
        }
        b.put_u8(b'\t');
        put_text(b, Some(&jsonb_text(attrs)));
        for n in [r.downloads, r.likes] {
            b.put_u8(b'\t');
            put_int(b, n.map(int));
        }
        b.put_u8(b'\n');
        if self.buf.len() >= COPY_CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn commit_fetch(
        &mut self,
        f: &FetchRow<'_>,
        versions: bool,
        close_missing: bool,
        metrics: bool,
        _finished_at: &str,
    ) -> anyhow::Result<Applied> {
        self.end_staging()?;
        if versions {
            // Outside the lock: only this session's temporary tables.
            self.batch(DEDUP)?;
        }
        let rt = self.rt.clone();
        block(&rt, async {
            let tx = self.client.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
                .await?;
            // finished_at is the server's clock, read under the lock: across
            // a fleet's machines, times then grow with fetch ids.
            let fetch: i64 = tx
                .query_one(
                    "INSERT INTO provider_fetch (run_id, provider, status, complete, models_seen, versions_added,
                         versions_closed, url, started_at, finished_at, duration_ms, error,
                         http_status, etag, last_modified, body_sha256, fetched_at)
                     VALUES ($1, $2, $3, $4, $5, 0, 0, $6, $7::text::timestamptz, clock_timestamp(), $8, $9,
                         $10, $11, $12, $13, $14)
                     RETURNING fetch_id",
                    &[
                        &f.run_id,
                        &f.provider,
                        &f.status,
                        &i32::from(f.complete),
                        &int(f.models_seen),
                        &f.url,
                        &f.started_at,
                        &int(f.duration_ms),
                        &f.error,
                        &f.http_status.map(i32::from),
                        &f.etag,
                        &f.last_modified,
                        &f.body_sha256,
                        &f.fetched_at,
                    ],
                )
                .await?
                .get(0);
            let mut applied = Applied::default();
            if versions {
                let mut closed = tx.execute(CLOSE_CHANGED, &[&fetch, &f.provider]).await?;
                tx.execute(REHASH, &[&f.provider]).await?;
                if close_missing {
                    closed += tx.execute(CLOSE_MISSING, &[&fetch, &f.provider]).await?;
                }
                let added = tx.execute(INSERT_VERSIONS, &[&fetch, &f.provider]).await?;
                applied = Applied { added, closed };
                tx.execute(
                    "UPDATE provider_fetch SET versions_added = $1, versions_closed = $2,
                         models_current = (SELECT COUNT(*) FROM model_version WHERE provider = $4 AND valid_to IS NULL)
                     WHERE fetch_id = $3",
                    &[&int(added), &int(closed), &fetch, &f.provider],
                )
                .await?;
                if metrics {
                    tx.execute(INSERT_METRICS, &[&fetch, &f.provider]).await?;
                }
                // The listing's order, when it is not the last one stored
                // (hashed as SQLite hashes it). The ids stream through the
                // hash; the server builds the parts: a 500,000-model order
                // was ~90 MiB of rows and text in this process.
                let mut hash = super::OrderHash::new();
                {
                    let rows = tx
                        .query_raw(
                            "SELECT model_id FROM staged ORDER BY seq",
                            std::iter::empty::<i64>(),
                        )
                        .await?;
                    futures::pin_mut!(rows);
                    while let Some(row) = futures::StreamExt::next(&mut rows).await {
                        let row = row?;
                        hash.push(row.get(0))?;
                    }
                }
                if let Some(hash) = hash.finish() {
                    let last: Option<i64> = tx
                        .query_opt(
                            "SELECT order_hash FROM listing_order WHERE provider = $1
                             ORDER BY fetch_id DESC LIMIT 1",
                            &[&f.provider],
                        )
                        .await?
                        .map(|r| r.get(0));
                    if last != Some(hash) {
                        let part = i64::try_from(super::ORDER_PART).unwrap_or(i64::MAX);
                        tx.execute(
                            "INSERT INTO listing_order (fetch_id, part, provider, order_hash, ids)
                             SELECT $1, (i / $4)::integer, $2, $3, json_agg(model_id ORDER BY i)::text
                             FROM (SELECT model_id, row_number() OVER (ORDER BY seq) - 1 AS i FROM staged) t
                             GROUP BY i / $4",
                            &[&fetch, &f.provider, &hash, &part],
                        )
                        .await?;
                    }
                }
            }
            tx.commit().await?;
            anyhow::Ok(applied)
        })
    }

    fn cutoff(&self, bound: &Bound, since: bool) -> anyhow::Result<i64> {
        let last = self.last_fetch()?;
        let one = |sql: &str, p: &(dyn tokio_postgres::types::ToSql + Sync)| -> anyhow::Result<Option<i64>> {
            Ok(self.block(self.client.query_one(sql, &[p]))?.get(0))
        };
        let x = match (bound, since) {
            (Bound::Time(t), true) => one(
                "SELECT MAX(fetch_id) FROM provider_fetch WHERE finished_at < $1::text::timestamptz",
                &super::bound_text(*t),
            )?,
            (Bound::Time(t), false) => one(
                "SELECT MAX(fetch_id) FROM provider_fetch WHERE finished_at <= $1::text::timestamptz",
                &super::bound_text(*t),
            )?,
            (Bound::Run(n), true) => one(
                "SELECT MIN(fetch_id) - 1 FROM provider_fetch WHERE run_id >= $1",
                n,
            )?
            .or(Some(last)),
            (Bound::Run(n), false) => one("SELECT MAX(fetch_id) FROM provider_fetch WHERE run_id <= $1", n)?,
        };
        Ok(x.unwrap_or(0))
    }

    fn last_fetch(&self) -> anyhow::Result<i64> {
        Ok(self
            .block(self.client.query_one(
                "SELECT COALESCE(MAX(fetch_id), 0)::bigint FROM provider_fetch",
                &[],
            ))?
            .get(0))
    }

    fn transitions(
        &self,
        x0: i64,
        x1: i64,
        providers: &[String],
        each: &mut dyn FnMut(Transition) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let filter = if providers.is_empty() {
            ""
        } else {
            "AND provider = ANY($3)"
        };
        // The two scans SQLite makes (see `Pairing`), attrs read back as text.
        let scan = |condition: &str| {
            format!(
                "SELECT provider, model_id, attrs::text FROM model_version WHERE {} {filter}",
                condition.replace('?', "$")
            )
        };
        let mut bind: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&x0, &x1];
        if !providers.is_empty() {
            bind.push(&providers);
        }
        let mut pairing = super::Pairing::default();
        // Streamed, not collected: a first sync's window is every model.
        self.block(async {
            // The ended versions first: each began one is matched as it comes.
            for (condition, began) in [
                (super::TRANSITIONS_ENDED, false),
                (super::TRANSITIONS_BEGAN, true),
            ] {
                let rows = self
                    .client
                    .query_raw(&scan(condition), bind.iter().copied())
                    .await?;
                futures::pin_mut!(rows);
                while let Some(row) = futures::StreamExt::next(&mut rows).await {
                    let row = row?;
                    let (provider, id, attrs) = (row.get(0), row.get(1), row.get(2));
                    if began {
                        each(pairing.began(provider, id, attrs))?;
                    } else {
                        pairing.ended(provider, id, attrs);
                    }
                }
            }
            anyhow::Ok(())
        })?;
        pairing.removed().try_for_each(each)
    }

    fn versions(&self, provider: &str, id: &str) -> anyhow::Result<Vec<Version>> {
        let rows = self.block(self.client.query(
            concat!(
                "SELECT v.valid_from, ff.run_id, ",
                text_time!("ff.finished_at"),
                ", v.valid_to, tf.run_id, ",
                text_time!("tf.finished_at"),
                ", v.attrs::text
                 FROM model_version v
                 JOIN provider_fetch ff ON ff.fetch_id = v.valid_from
                 LEFT JOIN provider_fetch tf ON tf.fetch_id = v.valid_to
                 WHERE v.provider = $1 AND v.model_id = $2
                 ORDER BY v.valid_from"
            ),
            &[&provider, &id],
        ))?;
        Ok(rows
            .iter()
            .map(|r| Version {
                from: super::Point {
                    fetch: r.get(0),
                    run: r.get(1),
                    at: r.get(2),
                },
                to: r.get::<_, Option<i64>>(3).map(|fetch| super::Point {
                    fetch,
                    run: r.get(4),
                    at: r.get(5),
                }),
                attrs: r.get(6),
            })
            .collect())
    }

    fn point(&self, x: i64) -> anyhow::Result<Option<Point>> {
        let row = self.block(self.client.query_opt(
            concat!(
                "SELECT fetch_id, run_id, ",
                text_time!("finished_at"),
                " FROM provider_fetch WHERE fetch_id = $1"
            ),
            &[&x],
        ))?;
        Ok(row.map(|r| Point {
            fetch: r.get(0),
            run: r.get(1),
            at: r.get(2),
        }))
    }

    fn last_run(&self) -> anyhow::Result<i64> {
        Ok(self
            .block(
                self.client
                    .query_one("SELECT COALESCE(MAX(run_id), 0)::bigint FROM run", &[]),
            )?
            .get(0))
    }

    fn run_providers(&self, run: i64) -> anyhow::Result<Vec<String>> {
        let rows = self.block(self.client.query(
            concat!(
                "SELECT provider FROM provider_fetch
             WHERE run_id = $1 AND (status IN ",
                holds_catalog!(),
                " OR status = 'cached') ORDER BY fetch_id"
            ),
            &[&run],
        ))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn providers_at(&self, x: i64) -> anyhow::Result<Vec<String>> {
        let rows = self.block(self.client.query(
            concat!(
                "SELECT DISTINCT provider COLLATE \"C\" FROM provider_fetch
             WHERE fetch_id <= $1 AND status IN ",
                holds_catalog!(),
                " ORDER BY 1"
            ),
            &[&x],
        ))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn listing_order(&self, x: i64, provider: &str) -> anyhow::Result<Option<Vec<String>>> {
        let rows = self.block(
            self.client
                .query(&numbered(super::ORDER_PARTS_SQLITE), &[&provider, &x]),
        )?;
        let parts: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        Ok((!parts.is_empty()).then_some(parts))
    }

    fn began(&self, x0: i64, x1: i64, provider: &str) -> anyhow::Result<bool> {
        let row = self.block(
            self.client
                .query_one(&numbered(super::BEGAN), &[&x0, &x1, &provider]),
        )?;
        Ok(row.get(0))
    }

    fn count_at(&self, x: i64, provider: &str) -> anyhow::Result<Option<u64>> {
        if !self.recorded(x, provider)? {
            return Ok(None);
        }
        // See the SQLite backend's count_at.
        let kept = self.block(self.client.query_opt(
            "SELECT models_current FROM provider_fetch
             WHERE provider = $1 AND fetch_id <= $2 AND models_current IS NOT NULL
             ORDER BY fetch_id DESC LIMIT 1",
            &[&provider, &x],
        ))?;
        if let Some(row) = kept {
            return Ok(Some(u64::try_from(row.get::<_, i64>(0)).unwrap_or(0)));
        }
        let n: i64 = self
            .block(self.client.query_one(
                "SELECT COUNT(*) FROM model_version
                 WHERE provider = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2)",
                &[&provider, &x],
            ))?
            .get(0);
        Ok(Some(u64::try_from(n).unwrap_or(0)))
    }

    fn provider_at(&self, x: i64, provider: &str) -> anyhow::Result<Option<ProviderAt>> {
        if !self.recorded(x, provider)? {
            return Ok(None);
        }
        let seen = |r: &tokio_postgres::Row, at: usize| Seen {
            fetch: r.get(at),
            fetched_at: r.get(at + 1),
            url: r.get(at + 2),
        };
        let complete = self
            .block(self.client.query_opt(
                concat!(
                    "SELECT fetch_id, COALESCE(fetched_at, ",
                    text_time!("started_at"),
                    "), url FROM provider_fetch
                     WHERE provider = $1 AND fetch_id <= $2 AND complete = 1
                     ORDER BY fetch_id DESC LIMIT 1"
                ),
                &[&provider, &x],
            ))?
            .map(|r| seen(&r, 0));
        let order = self.listing_order(x, provider)?;
        let rows = self.block(self.client.query(
            concat!(
                "SELECT v.model_id, v.attrs::text, f.fetch_id, COALESCE(f.fetched_at, ",
                text_time!("f.started_at"),
                "), f.url
                 FROM model_version v
                 JOIN provider_fetch f ON f.fetch_id = v.valid_from
                 WHERE v.provider = $1 AND v.valid_from <= $2 AND (v.valid_to IS NULL OR v.valid_to > $2)
                 ORDER BY v.model_id COLLATE \"C\""
            ),
            &[&provider, &x],
        ))?;
        let versions = rows.iter().map(|r| (r.get(0), r.get(1), seen(r, 2))).collect();
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
    fn urls_show_no_password_and_read_libpq_sslmodes() {
        let u = PgUrl::parse("postgres://me:hunter2@db.example:5433/cat?sslmode=require").unwrap();
        assert_eq!(
            u.to_string(),
            "postgres://me:***@db.example:5433/cat?sslmode=require"
        );
        assert_eq!(
            format!("{u:?}"),
            "PgUrl(postgres://me:***@db.example:5433/cat?sslmode=require)"
        );
        assert_eq!(u.tls, Tls::Unverified(SslMode::Require));
        let q = PgUrl::parse("postgresql://h/cat?password=hunter2&sslmode=disable").unwrap();
        assert_eq!(q.to_string(), "postgresql://h/cat?password=***&sslmode=disable");
        assert_eq!(q.tls, Tls::Disable);
        assert_eq!(
            PgUrl::parse("postgres://h/c").unwrap().tls,
            Tls::Unverified(SslMode::Prefer)
        );
        assert_eq!(
            PgUrl::parse("postgres://h/c?sslmode=verify-full").unwrap().tls,
            Tls::VerifyFull
        );
        let e = PgUrl::parse("postgres://me:hunter2@h/c?sslmode=verify-ca")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("verify-ca is not supported") && !e.contains("hunter2"),
            "{e}"
        );
        let e = PgUrl::parse("postgres://me:hunter2@h/c?bogus=1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("bogus") && !e.contains("hunter2"), "{e}");
        // The config keeps the other options and drops sslmode.
        let cfg = u.config().unwrap();
        assert_eq!(cfg.get_dbname(), Some("cat"));
        assert_eq!(cfg.get_ports(), [5433]);
        assert_eq!(cfg.get_connect_timeout(), Some(&CONNECT_TIMEOUT));
    }

    #[test]
    fn copy_text_escapes_what_copy_reads_specially() {
        let mut b = BytesMut::new();
        put_text(&mut b, Some("a\tb\\c\nd\0"));
        b.put_u8(b'|');
        put_text(&mut b, None);
        b.put_u8(b'|');
        put_price(&mut b, Some(3.125));
        b.put_u8(b'|');
        put_price(&mut b, Some(10.0));
        b.put_u8(b'|');
        put_price(&mut b, Some(f64::NAN));
        assert_eq!(&b[..], "a\\tb\\\\c\\nd\u{fffd}|\\N|3.125|10|\\N".as_bytes());
        assert_eq!(jsonb_text(r#"{"a":"x\u0000"}"#), "{\"a\":\"x\u{fffd}\"}");
        assert_eq!(jsonb_text(r#"{"a":"x\\u0000"}"#), r#"{"a":"x\\u0000"}"#);
    }
}

//! A test's history database on either backend: an SQLite file or a
//! database of the throwaway PostgreSQL cluster ([`super::pg`]), with the
//! `--db` argument to pass and a way to read rows back as text.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::pg::{self, PASSWORD};

/// Which database a case runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// A test's database: an SQLite file, or a database of the test cluster.
pub enum Db {
    Sqlite(PathBuf),
    Postgres {
        cluster: &'static pg::Cluster,
        name: String,
        url: String,
    },
}

impl Db {
    /// A fresh database; `None` when PostgreSQL is not installed (and `CI`
    /// is not set: then [`pg::cluster`] fails the test).
    pub fn new(kind: Kind, dir: &Path) -> Option<Db> {
        Some(match kind {
            Kind::Sqlite => Db::Sqlite(dir.join("catalog.db")),
            Kind::Postgres => {
                let cluster = pg::cluster()?;
                let (url, name) = cluster.database("store");
                Db::Postgres { cluster, name, url }
            }
        })
    }

    /// The `--db` argument.
    pub fn arg(&self) -> OsString {
        match self {
            Db::Sqlite(p) => p.clone().into_os_string(),
            Db::Postgres { url, .. } => url.into(),
        }
    }

    /// How catalog names it.
    pub fn shown(&self) -> String {
        match self {
            Db::Sqlite(p) => p.display().to_string(),
            Db::Postgres { url, .. } => url.replace(PASSWORD, "***"),
        }
    }

    /// `sql`'s rows, every value as text (NULL: `None`).
    pub fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        match self {
            Db::Sqlite(p) => {
                let c = Connection::open(p).unwrap();
                let mut st = c.prepare(sql).unwrap();
                let n = st.column_count();
                st.query_map([], |r| {
                    (0..n)
                        .map(|i| {
                            Ok(match r.get_ref(i)? {
                                rusqlite::types::ValueRef::Null => None,
                                rusqlite::types::ValueRef::Integer(i) => Some(i.to_string()),
                                rusqlite::types::ValueRef::Real(f) => Some(f.to_string()),
                                rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                                    Some(String::from_utf8_lossy(t).into_owned())
                                }
                            })
                        })
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
            }
            Db::Postgres { cluster, name, .. } => cluster.psql(name, sql),
        }
    }

    /// Every run, fetch, version, metric and listing order a test wrote
    /// names rows that exist. catalog's SQLite writer declares its foreign
    /// keys but does not enforce them (src/store/sqlite.rs says why), so
    /// they are checked here, after each kind of sync; PostgreSQL enforces
    /// them on every write.
    pub fn assert_references_hold(&self) {
        if let Db::Sqlite(_) = self {
            let broken = self.rows("PRAGMA foreign_key_check");
            assert!(broken.is_empty(), "rows naming no row: {broken:?}");
        }
    }

    /// The one row of `sql`.
    pub fn one(&self, sql: &str) -> Vec<Option<String>> {
        let mut rows = self.rows(sql);
        assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
        rows.remove(0)
    }
}

/// A value as text, which must be there.
pub fn v(x: &Option<String>) -> &str {
    x.as_deref().expect("a value, not NULL")
}

/// A value as a number.
pub fn num(x: &Option<String>) -> f64 {
    v(x).parse().unwrap()
}

/// Each case (an `async fn(Kind)`) as `sqlite::NAME` and `postgres::NAME`.
macro_rules! on_both {
    ($($case:ident),* $(,)?) => {
        on_both!(@ sqlite, postgres; $($case),*);
    };
    (@ $sqlite:ident, $postgres:ident; $($case:ident),*) => {
        mod $sqlite {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $case() {
                    super::$case($crate::common::db::Kind::Sqlite).await;
                }
            )*
        }
        mod $postgres {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $case() {
                    super::$case($crate::common::db::Kind::Postgres).await;
                }
            )*
        }
    };
}
pub(crate) use on_both;

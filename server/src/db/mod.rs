//! Storage: one sqlx [`AnyPool`] over SQLite (the zero-configuration default) or PostgreSQL.
//!
//! All SQL of the server lives under this module, one submodule per aggregate, each returning
//! domain types. SQL is written once with `$1, $2, …` placeholders (SQLite accepts them too) and
//! uses only the types the Any driver decodes identically on both backends: `BIGINT` (i64),
//! `TEXT`, `BLOB`/`BYTEA`, `DOUBLE PRECISION`. Booleans are `BIGINT` 0/1, timestamps are `BIGINT`
//! unix milliseconds, ids are hyphenated UUID `TEXT`.

pub mod attachments;
pub mod audit;
pub mod bench_data;
pub mod catalog;
pub mod contracts;
pub mod customer_list;
pub mod customers_query;
pub mod departments;
pub mod devices;
pub mod documents;
pub mod imports;
pub mod list_prefs;
mod local_id;
pub mod orders;
pub mod payments;
pub mod projections;
pub mod roles;
pub mod schema;
pub mod territories;
pub mod tickets;
pub mod tokens;
pub mod tree;
pub mod users;
pub mod visibility;
pub mod web_sessions;

use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use std::str::FromStr;

use sqlx::{AnyPool, Executor};

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database URL names no supported backend.
    #[error("unsupported database url {0:?} (expected sqlite:… or postgres://…)")]
    UnsupportedUrl(String),
    /// The directory holding the SQLite file could not be created.
    #[error("cannot create database directory {path}: {source}")]
    CreateDir {
        /// The directory.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A query or connection failed.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// Running the migrations failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A row held a value that does not parse (a corrupt id or role).
    #[error("corrupt row in {table}: {message}")]
    Corrupt {
        /// The table read.
        table: &'static str,
        /// What was wrong.
        message: String,
    },
    /// A uniqueness constraint was violated (a duplicate name).
    #[error("{0} already exists")]
    Duplicate(String),
    /// A referenced row does not exist.
    #[error("{0} not found")]
    NotFound(String),
}

impl DbError {
    pub(crate) fn corrupt(table: &'static str, message: impl std::fmt::Display) -> Self {
        DbError::Corrupt {
            table,
            message: message.to_string(),
        }
    }

    /// Maps a unique-constraint violation to [`DbError::Duplicate`], anything else to `Sqlx`.
    pub(crate) fn unique(err: sqlx::Error, what: impl Into<String>) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                DbError::Duplicate(what.into())
            }
            _ => DbError::Sqlx(err),
        }
    }
}

/// The database backend behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite (embedded, the default).
    Sqlite,
    /// PostgreSQL (scale-out).
    Postgres,
}

impl Backend {
    /// The backend a database URL names.
    pub fn from_url(url: &str) -> Result<Backend, DbError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(DbError::UnsupportedUrl(url.chars().take(64).collect()))
        }
    }
}

/// A connection pool and the backend it talks to. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    reference_cache: std::sync::Arc<schema::ReferenceCache>,
    list_limits: customer_list::PlanLimits,
    bigram_stats: std::sync::Arc<customer_list::BigramStatsCache>,
}

impl Db {
    /// Connects to `url` (`sqlite://path`, `sqlite::memory:`, `postgres://…`).
    ///
    /// For SQLite the file's directory is created, the file is created if missing, and every
    /// connection runs with WAL, a 10 s busy timeout, foreign keys on, `synchronous=NORMAL`, a
    /// 1 GiB memory map and a 16 MiB page cache. PostgreSQL connections run without JIT.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let pool = match backend {
            Backend::Sqlite => {
                let (url, in_memory) = prepare_sqlite_url(url)?;
                let options = AnyConnectOptions::from_str(&url)?;
                AnyPoolOptions::new()
                    // An in-memory database exists once per connection: keep exactly one.
                    .max_connections(if in_memory { 1 } else { 8 })
                    .min_connections(if in_memory { 1 } else { 0 })
                    .idle_timeout(if in_memory {
                        None
                    } else {
                        Some(Duration::from_secs(600))
                    })
                    .max_lifetime(if in_memory {
                        None
                    } else {
                        Some(Duration::from_secs(1800))
                    })
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                            // Reads through a memory map (no copy per page from the OS cache)
                            // and a larger page cache: the list's index walks and candidate
                            // lookups touch thousands of pages (decision 0021).
                            conn.execute("PRAGMA mmap_size = 1073741824").await?;
                            conn.execute("PRAGMA cache_size = -16384").await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                let options = AnyConnectOptions::from_str(url)?;
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // Our statements are short; JIT compiling the costlier ones (a list
                            // page sorting many search candidates) added 10-50 ms to each.
                            conn.execute("SET jit = off").await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
        };
        Ok(Db {
            pool,
            backend,
            reference_cache: Default::default(),
            list_limits: customer_list::PlanLimits::default(),
            bigram_stats: Default::default(),
        })
    }

    /// Runs the migrations of this backend (`migrations/sqlite` or `migrations/postgres`), then
    /// creates the system roles and gives every user without a role the one of their kind
    /// ([`roles::ensure_system_roles`]).
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.pool)
                    .await?
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        roles::ensure_system_roles(self).await?;
        // Derived columns added by a migration that SQL cannot compute (0017).
        let filled = customer_list::fill_search_bigrams(self, 2000).await?;
        if filled > 0 {
            tracing::info!(filled, "filled customers.search_bigrams");
        }
        Ok(())
    }

    /// The pool, for the storage modules.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: the write lock
    /// is taken up front (waiting under `busy_timeout`), so a transaction that reads before it
    /// writes cannot fail with "database is locked" because another connection committed
    /// between its read and its first write (a deferred transaction cannot upgrade a stale
    /// read snapshot, and SQLite does not wait in that case). PostgreSQL: a plain `BEGIN`.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, DbError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// The reference data cache shared by this handle's clones ([`schema::reference`]).
    pub(crate) fn reference_cache(&self) -> &schema::ReferenceCache {
        &self.reference_cache
    }

    /// The same database with other limits for the customer list's search plans (tests use
    /// them to drive every plan over a few rows).
    pub fn with_list_limits(mut self, limits: customer_list::PlanLimits) -> Db {
        self.list_limits = limits;
        self
    }

    /// The bigram statistics cache shared by this handle's clones (PostgreSQL's search plans).
    pub(crate) fn bigram_stats_cache(&self) -> &customer_list::BigramStatsCache {
        &self.bigram_stats
    }

    /// The limits of the customer list's search plans.
    pub fn list_limits(&self) -> customer_list::PlanLimits {
        self.list_limits
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks that the database answers (`SELECT 1`).
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection of the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// The current time as unix milliseconds, the timestamp format of every table.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Normalises a SQLite URL: creates the file's directory and adds `mode=rwc`.
/// Returns the URL and whether it is an in-memory database.
fn prepare_sqlite_url(url: &str) -> Result<(String, bool), DbError> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (rest, None),
    };
    let in_memory = path == ":memory:" || query.is_some_and(|q| q.contains("mode=memory"));
    if in_memory {
        return Ok((url.to_owned(), true));
    }
    if let Some(parent) = Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|source| DbError::CreateDir {
            path: parent.display().to_string(),
            source,
        })?;
    }
    let url = match query {
        Some(q) if q.contains("mode=") => url.to_owned(),
        Some(q) => format!("sqlite://{path}?{q}&mode=rwc"),
        None => format!("sqlite://{path}?mode=rwc"),
    };
    Ok((url, false))
}

/// The bind markers of an `IN (…)` list of `n` values whose first value is bind number `first`:
/// `$first, $first+1, …` (SQLite accepts the PostgreSQL form). Callers keep lists in chunks far
/// below either backend's bind-parameter limit.
pub(crate) fn bind_list(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Decodes a BIGINT 0/1 flag.
pub(crate) fn flag(value: i64) -> bool {
    value != 0
}

#[cfg(test)]
pub(crate) mod test_support {
    //! An in-memory migrated database for unit tests of the storage modules.
    use super::Db;

    /// A fresh, migrated in-memory SQLite database.
    pub async fn memory_db() -> Db {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        db.migrate().await.unwrap();
        db
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_mode_rwc_and_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/x.db");
        let (url, mem) = prepare_sqlite_url(&format!("sqlite://{}", path.display())).unwrap();
        assert!(!mem);
        assert!(url.ends_with("?mode=rwc"), "{url}");
        assert!(path.parent().unwrap().is_dir());
        let (_, mem) = prepare_sqlite_url("sqlite::memory:").unwrap();
        assert!(mem);
    }

    #[test]
    fn bind_lists_number_from_the_first_marker() {
        assert_eq!(bind_list(1, 3), "$1, $2, $3");
        assert_eq!(bind_list(4, 2), "$4, $5");
        assert_eq!(bind_list(7, 0), "");
    }

    #[test]
    fn backend_from_url() {
        assert_eq!(Backend::from_url("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(
            Backend::from_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::from_url("mysql://x").is_err());
    }

    #[tokio::test]
    async fn file_database_migrates_and_pings() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/data/f.db", dir.path().display());
        let db = Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        db.ping().await.unwrap();
        assert_eq!(db.backend(), Backend::Sqlite);
    }

    /// A write transaction that reads first, while another connection writes in between: with
    /// a deferred `BEGIN` its first write fails at once with "database is locked" (a stale read
    /// snapshot cannot be upgraded); [`Db::begin_write`] holds the lock from the start, so the
    /// other writer waits and both succeed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn read_then_write_transactions_never_see_database_is_locked() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite://{}/l.db", dir.path().display()))
            .await
            .unwrap();
        sqlx::query("CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)")
            .execute(db.pool())
            .await
            .unwrap();
        sqlx::query("INSERT INTO counter (id, n) VALUES (1, 0)")
            .execute(db.pool())
            .await
            .unwrap();
        let mut tx = db.begin_write().await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT n FROM counter WHERE id = 1")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        let other = {
            let db = db.clone();
            tokio::spawn(async move {
                sqlx::query("UPDATE counter SET n = n + 10 WHERE id = 1")
                    .execute(db.pool())
                    .await
            })
        };
        // Give the other writer every chance to commit first (it must wait instead).
        tokio::time::sleep(Duration::from_millis(300)).await;
        sqlx::query("UPDATE counter SET n = $1 WHERE id = 1")
            .bind(n + 1)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        other.await.unwrap().unwrap();
        let n: i64 = sqlx::query_scalar("SELECT n FROM counter WHERE id = 1")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(
            n, 11,
            "the read-then-write and the other write both applied, in order"
        );
    }
}

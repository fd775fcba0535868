//! The device's SQLite store: session metadata, documents with their synced heads and pending
//! flag, projections for lists and search, quarantine and notices.
//!
//! Every write that belongs together runs in one `BEGIN IMMEDIATE` transaction (document bytes,
//! pending flag and projection row), so a read-modify-write never loses a concurrent edit and a
//! committed edit survives the app being killed (WAL, `synchronous=FULL`).
//!
//! The schema is versioned with `PRAGMA user_version`: [`MIGRATIONS`] are applied in order at
//! open, each once. Landed migrations are never edited; add a new one.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use automerge::{Automerge, ChangeHash};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Row, Transaction};

use super::ClientError;
use super::projection::{CustomerSummary, Projection, VisitSummary, customer_search, visit_search};
use super::work::{DispatchSummary, OrderSummary};
use crate::document::Kind;
use crate::domain::Visit;
use crate::ids::{CustomerId, DocId, VisitId};

/// The store's file name inside the client home.
pub const DB_FILE: &str = "fieldcrm-client.db";

/// Schema migrations, applied in order; index + 1 is the `user_version` after each.
const MIGRATIONS: &[&str] = &[
    // 1: initial schema.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        data BLOB NOT NULL,
        synced_heads BLOB NOT NULL,
        pending INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX documents_pending ON documents(pending) WHERE pending = 1;
    CREATE TABLE customers (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        code TEXT NOT NULL,
        tier TEXT NOT NULL,
        industry TEXT NOT NULL,
        city TEXT NOT NULL,
        district TEXT NOT NULL,
        phones TEXT NOT NULL,
        email TEXT NOT NULL,
        contacts TEXT NOT NULL,
        territory TEXT,
        owner TEXT,
        pending INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        search TEXT NOT NULL
    );
    CREATE INDEX customers_name ON customers(name);
    CREATE TABLE visits (
        id TEXT PRIMARY KEY,
        customer TEXT,
        rep TEXT,
        planned_at INTEGER,
        check_in_at INTEGER,
        check_out_at INTEGER,
        purpose TEXT NOT NULL,
        outcome TEXT NOT NULL,
        pending INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        search TEXT NOT NULL
    );
    CREATE INDEX visits_customer ON visits(customer);
    CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        code TEXT NOT NULL,
        reason TEXT NOT NULL,
        changes BLOB NOT NULL,
        at INTEGER NOT NULL
    );
    CREATE TABLE notices (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        doc_id TEXT,
        message TEXT NOT NULL,
        seen INTEGER NOT NULL DEFAULT 0
    );
    "#,
    // 2: photos: a visit's photo count in its list row, and the upload queue of attachments
    // (see `super::attachments`). Visits stored before had no photos.
    r#"
    ALTER TABLE visits ADD COLUMN photo_count INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE uploads (
        sha256 TEXT PRIMARY KEY,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        doc_id TEXT,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX uploads_due ON uploads(state, next_attempt_at);
    "#,
    // 3: orders taken on the device and dispatches worked on it.
    r#"
    CREATE TABLE orders (
        id TEXT PRIMARY KEY,
        customer TEXT,
        number TEXT,
        status TEXT NOT NULL,
        currency TEXT NOT NULL,
        total INTEGER NOT NULL,
        line_count INTEGER NOT NULL,
        pending INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX orders_customer ON orders(customer);
    CREATE TABLE dispatches (
        id TEXT PRIMARY KEY,
        ticket_type TEXT NOT NULL,
        priority TEXT NOT NULL,
        status TEXT NOT NULL,
        customer_name TEXT NOT NULL,
        address TEXT NOT NULL,
        scheduled_at INTEGER,
        sla_due_at INTEGER,
        pending INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX dispatches_scheduled ON dispatches(scheduled_at);
    "#,
];

/// Kinds of notices shown to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// The server restored fields this device may not write or values that broke a rule.
    Compensated,
    /// The server refused local changes; they are in quarantine.
    Rejected,
    /// A document left the user's scope and was removed from the device.
    Revoked,
    /// A sync error worth telling the user.
    Error,
}

impl NoticeKind {
    fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Compensated => "compensated",
            NoticeKind::Rejected => "rejected",
            NoticeKind::Revoked => "revoked",
            NoticeKind::Error => "error",
        }
    }
}

impl FromStr for NoticeKind {
    type Err = ClientError;
    fn from_str(s: &str) -> Result<Self, ClientError> {
        Ok(match s {
            "compensated" => NoticeKind::Compensated,
            "rejected" => NoticeKind::Rejected,
            "revoked" => NoticeKind::Revoked,
            "error" => NoticeKind::Error,
            other => return Err(ClientError::Storage(format!("unknown notice kind {other}"))),
        })
    }
}

/// Something the user should know about what sync did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    /// Local sequence number.
    pub id: i64,
    /// When (unix ms).
    pub at: i64,
    /// What happened.
    pub kind: NoticeKind,
    /// The document concerned, if any.
    pub doc_id: Option<DocId>,
    /// Human-readable text.
    pub message: String,
    /// Whether the user has seen it (set by [`super::FieldClient::notices`]).
    pub seen: bool,
}

/// Local changes the server refused, kept for the user to see (and re-enter).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarantineEntry {
    /// Local sequence number.
    pub id: i64,
    /// The document.
    pub doc_id: DocId,
    /// Its kind.
    pub kind: Kind,
    /// Machine-readable reason (`out_of_scope`, `revoked`, …).
    pub code: String,
    /// Human-readable reason.
    pub reason: String,
    /// The refused changes, concatenated raw Automerge changes (loadable with
    /// `Automerge::load`).
    #[serde(skip)]
    pub changes: Vec<u8>,
    /// Number of bytes of refused changes.
    pub changes_bytes: usize,
    /// When (unix ms).
    pub at: i64,
}

/// A document as stored.
#[derive(Debug)]
pub(crate) struct StoredDoc {
    pub kind: Kind,
    pub doc: Automerge,
    pub synced: Vec<ChangeHash>,
}

/// Unix time in milliseconds.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Change hashes as one blob of 32-byte hashes.
pub(crate) fn heads_to_blob(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

/// The inverse of [`heads_to_blob`].
pub(crate) fn heads_from_blob(blob: &[u8]) -> Result<Vec<ChangeHash>, ClientError> {
    if !blob.len().is_multiple_of(32) {
        return Err(ClientError::Storage("corrupt synced heads".into()));
    }
    Ok(blob
        .chunks_exact(32)
        .filter_map(|c| <[u8; 32]>::try_from(c).ok().map(ChangeHash))
        .collect())
}

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) `<home>/fieldcrm-client.db` and applies pending migrations.
    pub async fn open(home: &Path) -> Result<Self, ClientError> {
        std::fs::create_dir_all(home)
            .map_err(|e| ClientError::Storage(format!("cannot create {}: {e}", home.display())))?;
        let opts = SqliteConnectOptions::new()
            .filename(home.join(DB_FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts)
            .await?;
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), ClientError> {
        let mut tx = self.begin().await?;
        let version: i64 = sqlx::query_scalar("PRAGMA user_version")
            .fetch_one(&mut *tx)
            .await?;
        let current = usize::try_from(version).unwrap_or(0);
        if current > MIGRATIONS.len() {
            return Err(ClientError::Storage(format!(
                "store schema {current} is newer than this app ({})",
                MIGRATIONS.len()
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
            sqlx::raw_sql(sql).execute(&mut *tx).await?;
            sqlx::raw_sql(&format!("PRAGMA user_version = {}", i + 1))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Starts a write transaction that holds the write lock from its first statement.
    pub(crate) async fn begin(&self) -> Result<Transaction<'static, sqlx::Sqlite>, ClientError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// The connection pool, for the other store modules of the client (attachments).
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes the pool (flushes the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ----- meta -----

    /// A metadata value.
    pub(crate) async fn meta(&self, key: &str) -> Result<Option<String>, ClientError> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Sets metadata values in one transaction.
    pub(crate) async fn set_meta(&self, values: &[(&str, String)]) -> Result<(), ClientError> {
        let mut tx = self.begin().await?;
        for (k, v) in values {
            set_meta_in(&mut tx, k, v).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes everything: session, documents, projections, quarantine, notices.
    pub(crate) async fn wipe(&self) -> Result<(), ClientError> {
        let mut tx = self.begin().await?;
        for table in [
            "meta",
            "documents",
            "customers",
            "visits",
            "orders",
            "dispatches",
            "quarantine",
            "notices",
            "uploads",
        ] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    // ----- documents -----

    /// Ids and kinds of documents with changes the server has not acknowledged.
    pub(crate) async fn pending_docs(&self) -> Result<Vec<(DocId, Kind)>, ClientError> {
        let rows = sqlx::query("SELECT id, kind FROM documents WHERE pending = 1 ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse_doc_id(r.try_get("id")?)?,
                    parse_kind(r.try_get("kind")?)?,
                ))
            })
            .collect()
    }

    /// Number of documents with pending changes.
    pub(crate) async fn pending_count(&self) -> Result<i64, ClientError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM documents WHERE pending = 1")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Loads a document outside any transaction (read-only use).
    pub(crate) async fn load(&self, id: DocId) -> Result<Option<StoredDoc>, ClientError> {
        let mut conn = self.pool.acquire().await?;
        load_doc(&mut conn, id).await
    }

    // ----- projections -----

    /// Customers matching `query` (case-insensitive substring of the search text), by name.
    pub(crate) async fn list_customers(
        &self,
        query: Option<&str>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<CustomerSummary>, ClientError> {
        let pattern = like_pattern(query);
        let rows = sqlx::query(
            "SELECT * FROM customers WHERE search LIKE ? ESCAPE '\\' \
             ORDER BY name COLLATE NOCASE, id LIMIT ? OFFSET ?",
        )
        .bind(pattern)
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(customer_row).collect()
    }

    /// Visits, optionally of one customer, newest first, with the customer's name; `limit`
    /// `None` means all.
    pub(crate) async fn list_visits(
        &self,
        customer: Option<CustomerId>,
        limit: Option<u32>,
        offset: u32,
    ) -> Result<Vec<VisitSummary>, ClientError> {
        let rows = sqlx::query(
            "SELECT v.*, c.name AS customer_name FROM visits v \
             LEFT JOIN customers c ON c.id = v.customer \
             WHERE (?1 IS NULL OR v.customer = ?1) \
             ORDER BY COALESCE(v.check_in_at, v.planned_at, v.updated_at) DESC, v.id DESC \
             LIMIT ?2 OFFSET ?3",
        )
        .bind(customer.map(|c| c.to_string()))
        .bind(limit.map_or(-1, i64::from))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(visit_row).collect()
    }

    /// Orders (optionally of one customer), newest first.
    pub(crate) async fn list_orders(
        &self,
        customer: Option<CustomerId>,
    ) -> Result<Vec<OrderSummary>, ClientError> {
        let rows = sqlx::query(
            "SELECT o.*, c.name AS customer_name FROM orders o \
             LEFT JOIN customers c ON c.id = o.customer \
             WHERE (?1 IS NULL OR o.customer = ?1) ORDER BY o.updated_at DESC, o.id DESC",
        )
        .bind(customer.map(|c| c.to_string()))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                Ok(OrderSummary {
                    id: parse_doc_id(r.try_get("id")?)?.into(),
                    customer: parse_opt(r.try_get("customer")?)?,
                    customer_name: r
                        .try_get::<Option<String>, _>("customer_name")?
                        .unwrap_or_default(),
                    number: r.try_get("number")?,
                    status: serde_json::from_value(serde_json::Value::String(status))
                        .map_err(|e| ClientError::Storage(e.to_string()))?,
                    currency: r.try_get("currency")?,
                    total: r.try_get("total")?,
                    line_count: u32::try_from(r.try_get::<i64, _>("line_count")?).unwrap_or(0),
                    pending: r.try_get("pending")?,
                    updated_at: r.try_get("updated_at")?,
                })
            })
            .collect()
    }

    /// Dispatches, by scheduled time (unscheduled last).
    pub(crate) async fn list_dispatches(&self) -> Result<Vec<DispatchSummary>, ClientError> {
        let rows =
            sqlx::query("SELECT * FROM dispatches ORDER BY scheduled_at IS NULL, scheduled_at, id")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                Ok(DispatchSummary {
                    id: parse_doc_id(r.try_get("id")?)?.into(),
                    ticket_type: r.try_get("ticket_type")?,
                    priority: r.try_get("priority")?,
                    status: serde_json::from_value(serde_json::Value::String(status))
                        .map_err(|e| ClientError::Storage(e.to_string()))?,
                    customer_name: r.try_get("customer_name")?,
                    address: r.try_get("address")?,
                    scheduled_at: r.try_get("scheduled_at")?,
                    sla_due_at: r.try_get("sla_due_at")?,
                    pending: r.try_get("pending")?,
                    updated_at: r.try_get("updated_at")?,
                })
            })
            .collect()
    }

    // ----- notices, quarantine -----

    /// All notices, newest first; with `mark_seen`, marks them seen.
    pub(crate) async fn notices(&self, mark_seen: bool) -> Result<Vec<Notice>, ClientError> {
        let mut tx = self.begin().await?;
        let rows = sqlx::query("SELECT * FROM notices ORDER BY id DESC")
            .fetch_all(&mut *tx)
            .await?;
        if mark_seen {
            sqlx::query("UPDATE notices SET seen = 1 WHERE seen = 0")
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(Notice {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    kind: r.try_get::<String, _>("kind")?.parse()?,
                    doc_id: r
                        .try_get::<Option<String>, _>("doc_id")?
                        .map(parse_doc_id)
                        .transpose()?,
                    message: r.try_get("message")?,
                    seen: r.try_get::<i64, _>("seen")? != 0,
                })
            })
            .collect()
    }

    /// Number of notices not seen yet.
    pub(crate) async fn unseen_notices(&self) -> Result<i64, ClientError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM notices WHERE seen = 0")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Everything in quarantine, newest first.
    pub(crate) async fn quarantine(&self) -> Result<Vec<QuarantineEntry>, ClientError> {
        let rows = sqlx::query("SELECT * FROM quarantine ORDER BY id DESC")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let changes: Vec<u8> = r.try_get("changes")?;
                Ok(QuarantineEntry {
                    id: r.try_get("id")?,
                    doc_id: parse_doc_id(r.try_get("doc_id")?)?,
                    kind: parse_kind(r.try_get("kind")?)?,
                    code: r.try_get("code")?,
                    reason: r.try_get("reason")?,
                    changes_bytes: changes.len(),
                    changes,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }
}

// ----- transaction-scoped helpers -----

/// Sets one metadata value inside a transaction.
pub(crate) async fn set_meta_in(
    conn: &mut SqliteConnection,
    key: &str,
    value: &str,
) -> Result<(), ClientError> {
    sqlx::query("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(conn)
        .await?;
    Ok(())
}

/// Loads a stored document.
pub(crate) async fn load_doc(
    conn: &mut SqliteConnection,
    id: DocId,
) -> Result<Option<StoredDoc>, ClientError> {
    let row = sqlx::query("SELECT kind, data, synced_heads FROM documents WHERE id = ?")
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let data: Vec<u8> = row.try_get("data")?;
    let heads: Vec<u8> = row.try_get("synced_heads")?;
    Ok(Some(StoredDoc {
        kind: parse_kind(row.try_get("kind")?)?,
        doc: crate::document::load(&data)?,
        synced: heads_from_blob(&heads)?,
    }))
}

/// Writes a document (`data`: its bytes) with its synced heads, and its projection row, and
/// returns whether it has pending changes. The projection is computed from `doc`, which must be
/// the document `data` holds.
pub(crate) async fn save_doc(
    conn: &mut SqliteConnection,
    id: DocId,
    kind: Kind,
    doc: &Automerge,
    data: &[u8],
    synced: &[ChangeHash],
) -> Result<bool, ClientError> {
    let pending = !doc.get_changes(synced).is_empty();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO documents (id, kind, data, synced_heads, pending, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, \
         data = excluded.data, synced_heads = excluded.synced_heads, pending = excluded.pending, \
         updated_at = excluded.updated_at",
    )
    .bind(id.to_string())
    .bind(kind.as_str())
    .bind(data)
    .bind(heads_to_blob(synced))
    .bind(pending)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    write_projection(conn, id, Projection::of(kind, doc)?, pending, now).await?;
    Ok(pending)
}

async fn write_projection(
    conn: &mut SqliteConnection,
    id: DocId,
    projection: Projection,
    pending: bool,
    now: i64,
) -> Result<(), ClientError> {
    match projection {
        Projection::Customer(c) => {
            let contacts: Vec<&str> = c.contacts.iter().map(|k| k.name.as_str()).collect();
            sqlx::query(
                "INSERT OR REPLACE INTO customers (id, name, code, tier, industry, city, district, \
                 phones, email, contacts, territory, owner, pending, updated_at, search) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id.to_string())
            .bind(&c.name)
            .bind(&c.code)
            .bind(&c.tier)
            .bind(&c.industry)
            .bind(&c.address.city)
            .bind(&c.address.district)
            .bind(json_list(&c.phones))
            .bind(&c.email)
            .bind(json_list(&contacts))
            .bind(c.territory.map(|t| t.to_string()))
            .bind(c.owner.map(|t| t.to_string()))
            .bind(pending)
            .bind(now)
            .bind(customer_search(&c))
            .execute(conn)
            .await?;
        }
        Projection::Visit(v) => {
            sqlx::query(
                "INSERT OR REPLACE INTO visits (id, customer, rep, planned_at, check_in_at, \
                 check_out_at, purpose, outcome, pending, updated_at, search, photo_count) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id.to_string())
            .bind(v.customer.map(|c| c.to_string()))
            .bind(v.rep.map(|r| r.to_string()))
            .bind(v.planned_at)
            .bind(v.check_in.as_ref().map(|c| c.at))
            .bind(v.check_out.as_ref().map(|c| c.at))
            .bind(&v.purpose)
            .bind(&v.outcome)
            .bind(pending)
            .bind(now)
            .bind(visit_search(&v))
            .bind(photo_count(&v))
            .execute(conn)
            .await?;
        }
        Projection::Order(o) => {
            sqlx::query(
                "INSERT OR REPLACE INTO orders (id, customer, number, status, currency, total, \
                 line_count, pending, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id.to_string())
            .bind(o.customer.map(|c| c.to_string()))
            .bind(o.number.clone())
            .bind(o.status.as_str())
            .bind(&o.currency)
            .bind(o.total)
            .bind(i64::try_from(o.lines.len()).unwrap_or(i64::MAX))
            .bind(pending)
            .bind(now)
            .execute(conn)
            .await?;
        }
        Projection::Dispatch(d) => {
            sqlx::query(
                "INSERT OR REPLACE INTO dispatches (id, ticket_type, priority, status, customer_name, \
                 address, scheduled_at, sla_due_at, pending, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(id.to_string())
            .bind(&d.ticket_type)
            .bind(&d.priority)
            .bind(d.status.as_str())
            .bind(&d.site.customer_name)
            .bind(&d.site.address)
            .bind(d.scheduled_at)
            .bind(d.sla_due_at)
            .bind(pending)
            .bind(now)
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

/// A document new to the device, as received from the server, ready to be inserted in a batch.
#[derive(Debug)]
pub(crate) struct NewDoc {
    pub(crate) id: DocId,
    pub(crate) kind: Kind,
    pub(crate) data: Vec<u8>,
    pub(crate) synced: Vec<ChangeHash>,
    pub(crate) projection: Projection,
}

/// Which of `ids` the store holds (one query per 500 ids).
pub(crate) async fn existing_ids(
    conn: &mut SqliteConnection,
    ids: &[DocId],
) -> Result<std::collections::HashSet<DocId>, ClientError> {
    let mut out = std::collections::HashSet::new();
    for chunk in ids.chunks(500) {
        let mut q =
            sqlx::QueryBuilder::<sqlx::Sqlite>::new("SELECT id FROM documents WHERE id IN (");
        let mut list = q.separated(", ");
        for id in chunk {
            list.push_bind(id.to_string());
        }
        list.push_unseparated(")");
        for row in q.build().fetch_all(&mut *conn).await? {
            let id: String = row.try_get("id")?;
            out.insert(DocId::parse(&id).map_err(|e| ClientError::Storage(e.to_string()))?);
        }
    }
    Ok(out)
}

/// Inserts documents new to the device with their projection rows, a few multi-row statements
/// per batch instead of three statements per document (the first sync brings thousands).
/// Documents straight from the server have nothing pending.
pub(crate) async fn insert_new_docs(
    conn: &mut SqliteConnection,
    docs: Vec<NewDoc>,
) -> Result<(), ClientError> {
    let now = now_ms();
    for chunk in docs.chunks(200) {
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT OR REPLACE INTO documents (id, kind, data, synced_heads, pending, updated_at) ",
        );
        q.push_values(chunk, |mut b, d| {
            b.push_bind(d.id.to_string())
                .push_bind(d.kind.as_str())
                .push_bind(d.data.as_slice())
                .push_bind(heads_to_blob(&d.synced))
                .push_bind(false)
                .push_bind(now);
        });
        q.build().execute(&mut *conn).await?;
        let customers: Vec<(DocId, &super::projection::CustomerRow)> = chunk
            .iter()
            .filter_map(|d| match &d.projection {
                Projection::Customer(c) => Some((d.id, c.as_ref())),
                _ => None,
            })
            .collect();
        if !customers.is_empty() {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT OR REPLACE INTO customers (id, name, code, tier, industry, city, district, \
                 phones, email, contacts, territory, owner, pending, updated_at, search) ",
            );
            q.push_values(customers, |mut b, (id, c)| {
                let contacts: Vec<&str> = c.contacts.iter().map(|k| k.name.as_str()).collect();
                b.push_bind(id.to_string())
                    .push_bind(c.name.clone())
                    .push_bind(c.code.clone())
                    .push_bind(c.tier.clone())
                    .push_bind(c.industry.clone())
                    .push_bind(c.address.city.clone())
                    .push_bind(c.address.district.clone())
                    .push_bind(json_list(&c.phones))
                    .push_bind(c.email.clone())
                    .push_bind(json_list(&contacts))
                    .push_bind(c.territory.map(|t| t.to_string()))
                    .push_bind(c.owner.map(|t| t.to_string()))
                    .push_bind(false)
                    .push_bind(now)
                    .push_bind(customer_search(c));
            });
            q.build().execute(&mut *conn).await?;
        }
        let visits: Vec<(DocId, &Visit)> = chunk
            .iter()
            .filter_map(|d| match &d.projection {
                Projection::Visit(v) => Some((d.id, v.as_ref())),
                _ => None,
            })
            .collect();
        if !visits.is_empty() {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT OR REPLACE INTO visits (id, customer, rep, planned_at, check_in_at, \
                 check_out_at, purpose, outcome, pending, updated_at, search, photo_count) ",
            );
            q.push_values(visits, |mut b, (id, v)| {
                b.push_bind(id.to_string())
                    .push_bind(v.customer.map(|c| c.to_string()))
                    .push_bind(v.rep.map(|r| r.to_string()))
                    .push_bind(v.planned_at)
                    .push_bind(v.check_in.as_ref().map(|c| c.at))
                    .push_bind(v.check_out.as_ref().map(|c| c.at))
                    .push_bind(v.purpose.clone())
                    .push_bind(v.outcome.clone())
                    .push_bind(false)
                    .push_bind(now)
                    .push_bind(visit_search(v))
                    .push_bind(photo_count(v));
            });
            q.build().execute(&mut *conn).await?;
        }
        // Orders and dispatches are few on a device: one statement each.
        for d in chunk {
            if matches!(d.projection, Projection::Order(_) | Projection::Dispatch(_)) {
                write_projection(&mut *conn, d.id, d.projection.clone(), false, now).await?;
            }
        }
    }
    Ok(())
}

/// Deletes a document and its projection row.
pub(crate) async fn delete_doc(conn: &mut SqliteConnection, id: DocId) -> Result<(), ClientError> {
    for table in ["documents", "customers", "visits", "orders", "dispatches"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE id = ?"))
            .bind(id.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Adds a notice.
pub(crate) async fn add_notice(
    conn: &mut SqliteConnection,
    kind: NoticeKind,
    doc: Option<DocId>,
    message: &str,
) -> Result<(), ClientError> {
    sqlx::query("INSERT INTO notices (at, kind, doc_id, message, seen) VALUES (?, ?, ?, ?, 0)")
        .bind(now_ms())
        .bind(kind.as_str())
        .bind(doc.map(|d| d.to_string()))
        .bind(message)
        .execute(conn)
        .await?;
    Ok(())
}

/// Puts refused changes in quarantine.
pub(crate) async fn add_quarantine(
    conn: &mut SqliteConnection,
    doc: DocId,
    kind: Kind,
    code: &str,
    reason: &str,
    changes: &[Vec<u8>],
) -> Result<(), ClientError> {
    sqlx::query(
        "INSERT INTO quarantine (doc_id, kind, code, reason, changes, at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(doc.to_string())
    .bind(kind.as_str())
    .bind(code)
    .bind(reason)
    .bind(changes.concat())
    .bind(now_ms())
    .execute(conn)
    .await?;
    Ok(())
}

// ----- row decoding -----

fn like_pattern(query: Option<&str>) -> String {
    let q = query.map(str::trim).unwrap_or_default().to_lowercase();
    let mut out = String::from("%");
    for ch in q.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

fn photo_count(v: &Visit) -> i64 {
    i64::try_from(v.photos.len()).unwrap_or(i64::MAX)
}

fn json_list<S: AsRef<str>>(items: &[S]) -> String {
    let v: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    serde_json::to_string(&v).unwrap_or_else(|_| "[]".into())
}

fn parse_json_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

fn parse_doc_id(s: String) -> Result<DocId, ClientError> {
    DocId::parse(&s).map_err(|e| ClientError::Storage(e.to_string()))
}

fn parse_kind(s: String) -> Result<Kind, ClientError> {
    s.parse()
        .map_err(|e: crate::document::UnknownKind| ClientError::Storage(e.to_string()))
}

fn parse_opt<T: FromStr>(s: Option<String>) -> Result<Option<T>, ClientError>
where
    T::Err: std::fmt::Display,
{
    s.map(|s| T::from_str(&s).map_err(|e| ClientError::Storage(e.to_string())))
        .transpose()
}

fn customer_row(r: &sqlx::sqlite::SqliteRow) -> Result<CustomerSummary, ClientError> {
    Ok(CustomerSummary {
        id: parse_doc_id(r.try_get("id")?)?.into(),
        name: r.try_get("name")?,
        code: r.try_get("code")?,
        tier: r.try_get("tier")?,
        industry: r.try_get("industry")?,
        city: r.try_get("city")?,
        district: r.try_get("district")?,
        phones: parse_json_list(&r.try_get::<String, _>("phones")?),
        email: r.try_get("email")?,
        contacts: parse_json_list(&r.try_get::<String, _>("contacts")?),
        territory: parse_opt(r.try_get("territory")?)?,
        owner: parse_opt(r.try_get("owner")?)?,
        pending: r.try_get("pending")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn visit_row(r: &sqlx::sqlite::SqliteRow) -> Result<VisitSummary, ClientError> {
    Ok(VisitSummary {
        id: VisitId::from(parse_doc_id(r.try_get("id")?)?),
        customer: parse_opt(r.try_get("customer")?)?,
        customer_name: r
            .try_get::<Option<String>, _>("customer_name")?
            .unwrap_or_default(),
        rep: parse_opt(r.try_get("rep")?)?,
        planned_at: r.try_get("planned_at")?,
        check_in_at: r.try_get("check_in_at")?,
        check_out_at: r.try_get("check_out_at")?,
        purpose: r.try_get("purpose")?,
        outcome: r.try_get("outcome")?,
        photo_count: u32::try_from(r.try_get::<i64, _>("photo_count")?).unwrap_or(u32::MAX),
        pending: r.try_get("pending")?,
        updated_at: r.try_get("updated_at")?,
    })
}

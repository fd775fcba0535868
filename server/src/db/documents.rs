//! Synced documents: snapshots, appended changes, the change sequence, scope moves and the
//! per-kind projection tables.
//!
//! Every write runs in one transaction that starts by bumping the single `seq_counter` row. That
//! row lock serialises writers on both backends (SQLite's write lock, PostgreSQL's row lock across
//! processes), so sequence numbers become visible in order and a device's cursor never skips a
//! change that commits late. See `docs/decisions/0002-serialised-writes.md`.

use fieldcrm_core::document::Kind;
use fieldcrm_core::domain::{Customer, Visit};
use fieldcrm_core::{DocId, TerritoryId, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::territories::ScopeTerritories;
use super::{Db, DbError, now_ms};

/// After this many appended change rows a document is compacted into a new snapshot.
pub const COMPACT_AFTER: i64 = 32;

/// A write transaction holding the next sequence number.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    seq: i64,
}

impl std::fmt::Debug for WriteTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTx").field("seq", &self.seq).finish()
    }
}

impl WriteTx {
    /// The sequence number this write will carry.
    pub fn seq(&self) -> u64 {
        u64::try_from(self.seq).unwrap_or_default()
    }

    /// Commits everything written.
    pub async fn commit(self) -> Result<(), DbError> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Queues a PostgreSQL `NOTIFY channel, '<seq>'`, delivered when the transaction commits.
    pub async fn notify(&mut self, channel: &str) -> Result<(), DbError> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(self.seq.to_string())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// The transaction's connection, for writes that belong to the same transaction.
    pub fn conn(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }

    /// Abandons everything, including the sequence number.
    pub async fn rollback(self) -> Result<(), DbError> {
        self.tx.rollback().await?;
        Ok(())
    }
}

/// Starts a write: opens a transaction and takes the next sequence number (and with it the
/// writers' lock).
pub async fn begin_write(db: &Db) -> Result<WriteTx, DbError> {
    let mut tx = db.begin_write().await?;
    let seq: i64 =
        sqlx::query_scalar("UPDATE seq_counter SET value = value + 1 WHERE id = 1 RETURNING value")
            .fetch_one(&mut *tx)
            .await?;
    Ok(WriteTx { tx, seq })
}

/// Opens a plain transaction for reading documents consistently (no sequence number taken).
pub async fn begin_read(db: &Db) -> Result<WriteTx, DbError> {
    let tx = db.pool().begin().await?;
    Ok(WriteTx { tx, seq: 0 })
}

/// A stored document as the write path needs it.
#[derive(Debug, Clone)]
pub struct StoredDoc {
    /// Kind.
    pub kind: Kind,
    /// Territory anchor.
    pub territory: Option<TerritoryId>,
    /// Assignee anchor.
    pub assignee: Option<UserId>,
    /// Snapshot followed by every appended change: loads with `Automerge::load`.
    pub data: Vec<u8>,
    /// Appended change rows since the snapshot.
    pub change_count: i64,
}

fn parse_opt<T: std::str::FromStr>(
    table: &'static str,
    v: Option<String>,
) -> Result<Option<T>, DbError>
where
    T::Err: std::fmt::Display,
{
    v.map(|s| s.parse::<T>().map_err(|e| DbError::corrupt(table, e)))
        .transpose()
}

/// Loads a document inside a write transaction.
pub async fn load_for_write(w: &mut WriteTx, id: DocId) -> Result<Option<StoredDoc>, DbError> {
    let row = sqlx::query("SELECT kind, territory_id, assignee_id, snapshot, change_count FROM documents WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *w.tx)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let kind: String = row.try_get("kind")?;
    let kind: Kind = kind.parse().map_err(|e| DbError::corrupt("documents", e))?;
    let mut data: Vec<u8> = row.try_get("snapshot")?;
    let changes = sqlx::query("SELECT data FROM doc_changes WHERE doc_id = $1 ORDER BY seq")
        .bind(id.to_string())
        .fetch_all(&mut *w.tx)
        .await?;
    for c in changes {
        let bytes: Vec<u8> = c.try_get("data")?;
        data.extend_from_slice(&bytes);
    }
    Ok(Some(StoredDoc {
        kind,
        territory: parse_opt("documents", row.try_get("territory_id")?)?,
        assignee: parse_opt("documents", row.try_get("assignee_id")?)?,
        data,
        change_count: row.try_get("change_count")?,
    }))
}

/// The kind and anchors of a document (outside any write).
pub async fn anchors(
    db: &Db,
    id: DocId,
) -> Result<Option<(Kind, Option<TerritoryId>, Option<UserId>)>, DbError> {
    let row = sqlx::query("SELECT kind, territory_id, assignee_id FROM documents WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let kind: String = row.try_get("kind")?;
    Ok(Some((
        kind.parse().map_err(|e| DbError::corrupt("documents", e))?,
        parse_opt("documents", row.try_get("territory_id")?)?,
        parse_opt("documents", row.try_get("assignee_id")?)?,
    )))
}

/// The territory of a customer, read inside a write transaction.
pub async fn customer_territory(
    w: &mut WriteTx,
    id: DocId,
) -> Result<Option<Option<TerritoryId>>, DbError> {
    let row = sqlx::query("SELECT territory_id FROM documents WHERE id = $1 AND kind = 'customer'")
        .bind(id.to_string())
        .fetch_optional(&mut *w.tx)
        .await?;
    match row {
        None => Ok(None),
        Some(r) => Ok(Some(parse_opt("documents", r.try_get("territory_id")?)?)),
    }
}

/// What a write stores.
pub struct DocWrite<'a> {
    /// Document.
    pub id: DocId,
    /// Kind.
    pub kind: Kind,
    /// True when the document is new.
    pub is_new: bool,
    /// Territory anchor after the write.
    pub territory: Option<TerritoryId>,
    /// Assignee anchor after the write.
    pub assignee: Option<UserId>,
    /// Raw changes to append (device changes, then the server's), concatenated.
    pub changes: Vec<u8>,
    /// The whole document saved, used as the snapshot when new or when compacting.
    pub saved: &'a (dyn Fn() -> Vec<u8> + Sync),
    /// Change rows stored before this write.
    pub previous_change_count: i64,
    /// Heads after the write (32-byte hashes, concatenated).
    pub heads: Vec<u8>,
    /// Who created it (new documents).
    pub created_by: Option<UserId>,
    /// Who made this write (`None`: the server on its own), for the status log.
    pub by: Option<UserId>,
    /// Typed record after the write, for the projection.
    pub record: &'a serde_json::Value,
    /// When the scope anchors changed: the territory and assignee it left.
    pub moved_from: Option<(Option<TerritoryId>, Option<UserId>)>,
}

/// Stores a write under the transaction's sequence number: appends the change row (or compacts),
/// updates the document row and its projection.
pub async fn store(w: &mut WriteTx, d: DocWrite<'_>) -> Result<(), DbError> {
    let now = now_ms();
    let id = d.id.to_string();
    let territory = d.territory.map(|t| t.to_string());
    let assignee = d.assignee.map(|t| t.to_string());
    if d.is_new {
        sqlx::query(
            "INSERT INTO documents (id, kind, territory_id, assignee_id, seq, snapshot, snapshot_seq, moved_seq, heads, \
             change_count, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $5, 0, $7, 0, $8, $9, $9)",
        )
        .bind(&id)
        .bind(d.kind.as_str())
        .bind(&territory)
        .bind(&assignee)
        .bind(w.seq)
        .bind((d.saved)())
        .bind(&d.heads)
        .bind(d.created_by.map(|u| u.to_string()))
        .bind(now)
        .execute(&mut *w.tx)
        .await?;
    } else if d.previous_change_count + 1 > COMPACT_AFTER {
        sqlx::query("DELETE FROM doc_changes WHERE doc_id = $1")
            .bind(&id)
            .execute(&mut *w.tx)
            .await?;
        sqlx::query(
            "UPDATE documents SET territory_id = $2, assignee_id = $3, seq = $4, snapshot = $5, snapshot_seq = $4, \
             heads = $6, change_count = 0, updated_at = $7 WHERE id = $1",
        )
        .bind(&id)
        .bind(&territory)
        .bind(&assignee)
        .bind(w.seq)
        .bind((d.saved)())
        .bind(&d.heads)
        .bind(now)
        .execute(&mut *w.tx)
        .await?;
    } else {
        sqlx::query("INSERT INTO doc_changes (doc_id, seq, data) VALUES ($1, $2, $3)")
            .bind(&id)
            .bind(w.seq)
            .bind(&d.changes)
            .execute(&mut *w.tx)
            .await?;
        sqlx::query(
            "UPDATE documents SET territory_id = $2, assignee_id = $3, seq = $4, heads = $5, \
             change_count = change_count + 1, updated_at = $6 WHERE id = $1",
        )
        .bind(&id)
        .bind(&territory)
        .bind(&assignee)
        .bind(w.seq)
        .bind(&d.heads)
        .bind(now)
        .execute(&mut *w.tx)
        .await?;
    }
    if let Some((from_territory, from_assignee)) = d.moved_from {
        record_move(w, d.id, from_territory, from_assignee).await?;
    }
    upsert_projection(w, &d, now).await
}

async fn record_move(
    w: &mut WriteTx,
    id: DocId,
    from_territory: Option<TerritoryId>,
    from_assignee: Option<UserId>,
) -> Result<(), DbError> {
    sqlx::query("UPDATE documents SET moved_seq = $2 WHERE id = $1")
        .bind(id.to_string())
        .bind(w.seq)
        .execute(&mut *w.tx)
        .await?;
    sqlx::query("INSERT INTO doc_moves (seq, doc_id, from_territory, from_assignee, at) VALUES ($1, $2, $3, $4, $5)")
        .bind(w.seq)
        .bind(id.to_string())
        .bind(from_territory.map(|t| t.to_string()))
        .bind(from_assignee.map(|t| t.to_string()))
        .bind(now_ms())
        .execute(&mut *w.tx)
        .await?;
    Ok(())
}

/// The projection tables of documents that follow their customer's territory.
const CHILD_TABLES: [&str; 2] = ["visits", "orders"];

/// Moves the visits and orders of a customer along with it: new territory, bumped sequence, a
/// move row each.
pub async fn move_children(
    w: &mut WriteTx,
    customer: DocId,
    from: Option<TerritoryId>,
    to: Option<TerritoryId>,
) -> Result<u64, DbError> {
    let mut n = 0;
    for table in CHILD_TABLES {
        n += move_children_in(w, table, customer, from, to).await?;
    }
    Ok(n)
}

async fn move_children_in(
    w: &mut WriteTx,
    table: &'static str,
    customer: DocId,
    from: Option<TerritoryId>,
    to: Option<TerritoryId>,
) -> Result<u64, DbError> {
    let rows = sqlx::query(&format!("SELECT id FROM {table} WHERE customer_id = $1"))
        .bind(customer.to_string())
        .fetch_all(&mut *w.tx)
        .await?;
    let mut n = 0;
    for r in rows {
        let id: String = r.try_get("id")?;
        let id = DocId::parse(&id).map_err(|e| DbError::corrupt(table, e))?;
        sqlx::query(
            "UPDATE documents SET territory_id = $2, seq = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(to.map(|t| t.to_string()))
        .bind(w.seq)
        .bind(now_ms())
        .execute(&mut *w.tx)
        .await?;
        sqlx::query(&format!(
            "UPDATE {table} SET territory_id = $2 WHERE id = $1"
        ))
        .bind(id.to_string())
        .bind(to.map(|t| t.to_string()))
        .execute(&mut *w.tx)
        .await?;
        record_move(w, id, from, None).await?;
        n += 1;
    }
    Ok(n)
}

fn json_err(kind: Kind, e: serde_json::Error) -> DbError {
    DbError::corrupt(
        match kind {
            Kind::Customer => "customers",
            Kind::Visit => "visits",
            Kind::Order => "orders",
            Kind::Dispatch => "dispatches",
        },
        e,
    )
}

async fn upsert_projection(w: &mut WriteTx, d: &DocWrite<'_>, now: i64) -> Result<(), DbError> {
    let (kind, id, record, territory) = (d.kind, d.id, d.record, d.territory);
    match kind {
        Kind::Customer => {
            let c: Customer =
                serde_json::from_value(record.clone()).map_err(|e| json_err(kind, e))?;
            upsert_customer(w, id, &c, territory, now).await
        }
        Kind::Visit => {
            let v: Visit = serde_json::from_value(record.clone()).map_err(|e| json_err(kind, e))?;
            upsert_visit(w, id, &v, territory, now).await
        }
        Kind::Order => {
            let o = serde_json::from_value(record.clone()).map_err(|e| json_err(kind, e))?;
            super::projections::upsert_order(&mut w.tx, w.seq, id, &o, territory, d.by, now).await
        }
        Kind::Dispatch => {
            let x = serde_json::from_value(record.clone()).map_err(|e| json_err(kind, e))?;
            super::projections::upsert_dispatch(&mut w.tx, w.seq, id, &x, d.by, now).await
        }
    }
}

/// The lowercased text a customer is found by.
pub fn customer_search_text(c: &Customer) -> String {
    let mut parts: Vec<&str> = vec![
        &c.name,
        &c.code,
        &c.email,
        &c.address.city,
        &c.address.district,
        &c.address.street,
    ];
    parts.extend(c.phones.iter().map(String::as_str));
    parts.extend(c.contacts.iter().map(|k| k.name.as_str()));
    parts.extend(
        c.contacts
            .iter()
            .flat_map(|k| k.phones.iter().map(String::as_str)),
    );
    parts.extend(c.tags.iter().map(String::as_str));
    parts.join(" ").to_lowercase()
}

/// The projection's `custom` column: the record's custom values as a JSON object (see
/// `db::schema::custom_value_predicate`).
fn custom_json(custom: &std::collections::BTreeMap<String, String>) -> String {
    serde_json::to_string(custom).unwrap_or_else(|_| "{}".to_owned())
}

async fn upsert_customer(
    w: &mut WriteTx,
    id: DocId,
    c: &Customer,
    territory: Option<TerritoryId>,
    now: i64,
) -> Result<(), DbError> {
    let contact_names: Vec<&str> = c.contacts.iter().map(|k| k.name.as_str()).collect();
    let search = customer_search_text(c);
    sqlx::query(
        "INSERT INTO customers (id, code, name, kind, tier, industry, source, phone, email, province, city, district, \
         lat, lon, territory_id, owner_id, contact_names, tags, search, created_at, updated_at, custom, search_bigrams) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20, $21, $22) \
         ON CONFLICT (id) DO UPDATE SET code = $2, name = $3, kind = $4, tier = $5, industry = $6, source = $7, \
         phone = $8, email = $9, province = $10, city = $11, district = $12, lat = $13, lon = $14, territory_id = $15, \
         owner_id = $16, contact_names = $17, tags = $18, search = $19, updated_at = $20, custom = $21, \
         search_bigrams = $22",
    )
    .bind(id.to_string())
    .bind(&c.code)
    .bind(&c.name)
    .bind(match c.kind {
        fieldcrm_core::domain::CustomerKind::Company => "company",
        fieldcrm_core::domain::CustomerKind::Person => "person",
    })
    .bind(&c.tier)
    .bind(&c.industry)
    .bind(&c.source)
    .bind(c.phones.first().cloned().unwrap_or_default())
    .bind(&c.email)
    .bind(&c.address.province)
    .bind(&c.address.city)
    .bind(&c.address.district)
    .bind(c.address.geo.map(|g| g.lat))
    .bind(c.address.geo.map(|g| g.lon))
    .bind(territory.map(|t| t.to_string()))
    .bind(c.owner.map(|u| u.to_string()))
    .bind(contact_names.join(", "))
    .bind(c.tags.join(", "))
    .bind(&search)
    .bind(now)
    .bind(custom_json(&c.custom))
    .bind(super::customer_list::search_bigrams(&search))
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

async fn upsert_visit(
    w: &mut WriteTx,
    id: DocId,
    v: &Visit,
    territory: Option<TerritoryId>,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO visits (id, customer_id, rep_id, territory_id, planned_at, check_in_at, check_in_lat, check_in_lon, \
         check_out_at, purpose, outcome, photo_count, created_at, updated_at, custom) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14) \
         ON CONFLICT (id) DO UPDATE SET rep_id = $3, territory_id = $4, planned_at = $5, check_in_at = $6, \
         check_in_lat = $7, check_in_lon = $8, check_out_at = $9, purpose = $10, outcome = $11, photo_count = $12, \
         updated_at = $13, custom = $14",
    )
    .bind(id.to_string())
    .bind(v.customer.map(|c| c.to_string()).unwrap_or_default())
    .bind(v.rep.map(|u| u.to_string()))
    .bind(territory.map(|t| t.to_string()))
    .bind(v.planned_at)
    .bind(v.check_in.as_ref().map(|c| c.at))
    .bind(v.check_in.as_ref().and_then(|c| c.geo).map(|g| g.lat))
    .bind(v.check_in.as_ref().and_then(|c| c.geo).map(|g| g.lon))
    .bind(v.check_out.as_ref().map(|c| c.at))
    .bind(&v.purpose)
    .bind(&v.outcome)
    .bind(i64::try_from(v.photos.len()).unwrap_or(i64::MAX))
    .bind(now)
    .bind(custom_json(&v.custom))
    .execute(&mut *w.tx)
    .await?;
    let photos: Vec<String> = v.photos.iter().map(|p| p.sha256.clone()).collect();
    super::attachments::set_doc_refs(&mut w.tx, id, &photos).await
}

// ---- reading for devices ----

/// The highest committed sequence number.
pub async fn current_seq(db: &Db) -> Result<u64, DbError> {
    let v: i64 = sqlx::query_scalar("SELECT value FROM seq_counter WHERE id = 1")
        .fetch_one(db.pool())
        .await?;
    Ok(u64::try_from(v).unwrap_or_default())
}

/// A changed document found by [`changed_since`].
#[derive(Debug, Clone)]
pub struct ChangedDoc {
    /// Document.
    pub id: DocId,
    /// Kind.
    pub kind: Kind,
    /// Its latest sequence number.
    pub seq: u64,
    /// The device must receive the whole document (new to it, compacted past its cursor, or moved
    /// into its scope).
    pub full: bool,
    /// Server heads, concatenated 32-byte hashes.
    pub heads: Vec<u8>,
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Appends ` AND <scope predicate>` to `sql`, binding territories from placeholder `$first`:
/// the document's territory is in `scope`, or (with `assignee`) it is assigned to that user.
fn scope_sql(
    sql: &mut String,
    scope: &ScopeTerritories,
    column: &str,
    assignee: Option<(&str, UserId)>,
    first: usize,
) -> Vec<String> {
    let mut binds: Vec<String> = Vec::new();
    let mut alternatives: Vec<String> = Vec::new();
    match scope {
        ScopeTerritories::All => return Vec::new(),
        ScopeTerritories::None => {}
        ScopeTerritories::Some(ids) if ids.is_empty() => {}
        ScopeTerritories::Some(ids) => {
            alternatives.push(format!(
                "{column} IN ({})",
                super::bind_list(first, ids.len())
            ));
            binds.extend(ids.iter().map(ToString::to_string));
        }
    }
    if let Some((column, user)) = assignee {
        alternatives.push(format!("{column} = ${}", first + binds.len()));
        binds.push(user.to_string());
    }
    if alternatives.is_empty() {
        sql.push_str(" AND 1 = 0");
    } else {
        sql.push_str(&format!(" AND ({})", alternatives.join(" OR ")));
    }
    binds
}

/// Whether a document with these anchors is visible to `user` with `scope`.
pub fn visible(
    scope: &ScopeTerritories,
    user: UserId,
    territory: Option<TerritoryId>,
    assignee: Option<UserId>,
) -> bool {
    matches!(scope, ScopeTerritories::All)
        || territory.is_some_and(|t| scope.contains(t))
        || assignee == Some(user)
}

/// Documents in `scope` whose sequence is in `(cursor, hi]`, in (seq, id) order after `after`,
/// at most `limit`.
pub async fn changed_since(
    db: &Db,
    scope: &ScopeTerritories,
    user: UserId,
    cursor: u64,
    hi: u64,
    after: Option<(u64, DocId)>,
    limit: usize,
) -> Result<Vec<ChangedDoc>, DbError> {
    let (after_seq, after_id) = after.map_or((0, String::new()), |(s, id)| (s, id.to_string()));
    let mut sql = String::from(
        "SELECT id, kind, seq, snapshot_seq, moved_seq, heads FROM documents \
         WHERE seq > $1 AND seq <= $2 AND (seq > $3 OR (seq = $3 AND id > $4))",
    );
    let binds = scope_sql(
        &mut sql,
        scope,
        "territory_id",
        Some(("assignee_id", user)),
        6,
    );
    sql.push_str(" ORDER BY seq, id LIMIT $5");
    let mut q = sqlx::query(&sql)
        .bind(to_i64(cursor))
        .bind(to_i64(hi))
        .bind(to_i64(after_seq))
        .bind(after_id)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX));
    for b in binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r: &AnyRow| {
            let id: String = r.try_get("id")?;
            let kind: String = r.try_get("kind")?;
            let seq: i64 = r.try_get("seq")?;
            let snapshot_seq: i64 = r.try_get("snapshot_seq")?;
            let moved_seq: i64 = r.try_get("moved_seq")?;
            let c = to_i64(cursor);
            Ok(ChangedDoc {
                id: DocId::parse(&id).map_err(|e| DbError::corrupt("documents", e))?,
                kind: kind.parse().map_err(|e| DbError::corrupt("documents", e))?,
                seq: u64::try_from(seq).unwrap_or_default(),
                full: c < snapshot_seq || c < moved_seq,
                heads: r.try_get("heads")?,
            })
        })
        .collect()
}

/// The bytes to send for each document: snapshot and all changes when `full`, else the changes
/// after `cursor`. Straight from SQL; nothing is loaded into Automerge.
pub async fn doc_data(db: &Db, docs: &[ChangedDoc], cursor: u64) -> Result<Vec<Vec<u8>>, DbError> {
    if docs.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT doc_id, seq, data FROM doc_changes WHERE doc_id IN ({}) ORDER BY doc_id, seq",
        super::bind_list(1, docs.len())
    );
    let mut q = sqlx::query(&sql);
    for d in docs {
        q = q.bind(d.id.to_string());
    }
    let mut changes: std::collections::HashMap<String, Vec<(i64, Vec<u8>)>> =
        std::collections::HashMap::new();
    for r in q.fetch_all(db.pool()).await? {
        let id: String = r.try_get("doc_id")?;
        let seq: i64 = r.try_get("seq")?;
        let data: Vec<u8> = r.try_get("data")?;
        changes.entry(id).or_default().push((seq, data));
    }
    let c = to_i64(cursor);
    // Whole documents: those marked full, and any whose changes after the cursor were compacted
    // away between the listing and now (they are in the snapshot).
    let whole: Vec<bool> = docs
        .iter()
        .map(|d| {
            d.full
                || !changes
                    .get(&d.id.to_string())
                    .is_some_and(|cs| cs.iter().any(|(seq, _)| *seq > c))
        })
        .collect();
    let mut snapshots = std::collections::HashMap::new();
    let wanted: Vec<&ChangedDoc> = docs
        .iter()
        .zip(&whole)
        .filter(|(_, w)| **w)
        .map(|(d, _)| d)
        .collect();
    if !wanted.is_empty() {
        let sql = format!(
            "SELECT id, snapshot FROM documents WHERE id IN ({})",
            super::bind_list(1, wanted.len())
        );
        let mut q = sqlx::query(&sql);
        for d in &wanted {
            q = q.bind(d.id.to_string());
        }
        for r in q.fetch_all(db.pool()).await? {
            let id: String = r.try_get("id")?;
            let snap: Vec<u8> = r.try_get("snapshot")?;
            snapshots.insert(id, snap);
        }
    }
    Ok(docs
        .iter()
        .zip(whole)
        .map(|(d, whole)| {
            let key = d.id.to_string();
            let mut out = if whole {
                snapshots.remove(&key).unwrap_or_default()
            } else {
                Vec::new()
            };
            for (seq, data) in changes.get(&key).map(Vec::as_slice).unwrap_or_default() {
                if whole || *seq > c {
                    out.extend_from_slice(data);
                }
            }
            out
        })
        .collect())
}

/// Documents that left the scope of `user` (its territories, or its assignment) in
/// `(cursor, hi]` and are not back in it.
pub async fn revoked_since(
    db: &Db,
    scope: &ScopeTerritories,
    user: UserId,
    cursor: u64,
    hi: u64,
) -> Result<Vec<DocId>, DbError> {
    if matches!(scope, ScopeTerritories::All) {
        return Ok(Vec::new());
    }
    let mut sql = String::from(
        "SELECT DISTINCT m.doc_id, d.territory_id, d.assignee_id FROM doc_moves m \
         LEFT JOIN documents d ON d.id = m.doc_id WHERE m.seq > $1 AND m.seq <= $2",
    );
    let binds = scope_sql(
        &mut sql,
        scope,
        "m.from_territory",
        Some(("m.from_assignee", user)),
        3,
    );
    let mut q = sqlx::query(&sql).bind(to_i64(cursor)).bind(to_i64(hi));
    for b in binds {
        q = q.bind(b);
    }
    let mut out = Vec::new();
    for r in q.fetch_all(db.pool()).await? {
        let id: String = r.try_get("doc_id")?;
        let now: Option<String> = r.try_get("territory_id")?;
        let now: Option<TerritoryId> = parse_opt("documents", now)?;
        let assignee: Option<String> = r.try_get("assignee_id")?;
        let assignee: Option<UserId> = parse_opt("documents", assignee)?;
        if !visible(scope, user, now, assignee) {
            out.push(DocId::parse(&id).map_err(|e| DbError::corrupt("doc_moves", e))?);
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Whether the documents are in `scope` (for `fetch`): returns those that are, with kind.
pub async fn filter_in_scope(
    db: &Db,
    scope: &ScopeTerritories,
    user: UserId,
    ids: &[DocId],
) -> Result<Vec<ChangedDoc>, DbError> {
    let mut out = Vec::new();
    for id in ids {
        let row = sqlx::query(
            "SELECT id, kind, seq, territory_id, assignee_id, heads FROM documents WHERE id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
        let Some(r) = row else { continue };
        let territory: Option<TerritoryId> = parse_opt("documents", r.try_get("territory_id")?)?;
        let assignee: Option<UserId> = parse_opt("documents", r.try_get("assignee_id")?)?;
        if visible(scope, user, territory, assignee) {
            let kind: String = r.try_get("kind")?;
            let seq: i64 = r.try_get("seq")?;
            out.push(ChangedDoc {
                id: *id,
                kind: kind.parse().map_err(|e| DbError::corrupt("documents", e))?,
                seq: u64::try_from(seq).unwrap_or_default(),
                full: true,
                heads: r.try_get("heads")?,
            });
        }
    }
    Ok(out)
}

/// Number of documents of a kind (tests, benchmarks, dashboards).
pub async fn count(db: &Db, kind: Kind) -> Result<i64, DbError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM documents WHERE kind = $1")
            .bind(kind.as_str())
            .fetch_one(db.pool())
            .await?,
    )
}

/// Finds a customer by id or by code.
pub async fn find_customer(db: &Db, id_or_code: &str) -> Result<Option<DocId>, DbError> {
    if let Ok(id) = DocId::parse(id_or_code) {
        let found: Option<String> = sqlx::query_scalar("SELECT id FROM customers WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(db.pool())
            .await?;
        return Ok(found.map(|_| id));
    }
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM customers WHERE code = $1 ORDER BY created_at LIMIT 1")
            .bind(id_or_code)
            .fetch_optional(db.pool())
            .await?;
    found
        .map(|s| DocId::parse(&s).map_err(|e| DbError::corrupt("customers", e)))
        .transpose()
}

/// The scope a device last caught up with.
pub async fn device_scope(
    db: &Db,
    device: fieldcrm_core::DeviceId,
) -> Result<Option<ScopeTerritories>, DbError> {
    let text: Option<String> =
        sqlx::query_scalar("SELECT scope FROM device_scopes WHERE device_id = $1")
            .bind(device.to_string())
            .fetch_optional(db.pool())
            .await?;
    Ok(text.and_then(|t| ScopeTerritories::from_text(&t)))
}

/// Records the scope a device has caught up with.
pub async fn set_device_scope(
    db: &Db,
    device: fieldcrm_core::DeviceId,
    scope: &ScopeTerritories,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO device_scopes (device_id, scope, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (device_id) DO UPDATE SET scope = $2, updated_at = $3",
    )
    .bind(device.to_string())
    .bind(scope.to_text())
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Documents inside `include` but outside `exclude` (whatever their sequence), in id order after
/// `after`, at most `limit`: what a device must be granted (or, swapped, revoked) when its user's
/// own scope changed. Documents assigned to `keep` are left out (they stay visible to that user
/// whatever the territories). Every result is marked `full`.
pub async fn in_scope_not_in(
    db: &Db,
    include: &ScopeTerritories,
    exclude: &ScopeTerritories,
    keep: Option<UserId>,
    after: Option<DocId>,
    limit: usize,
) -> Result<Vec<ChangedDoc>, DbError> {
    if matches!(exclude, ScopeTerritories::All) {
        return Ok(Vec::new());
    }
    let mut sql = String::from("SELECT id, kind, seq, heads FROM documents WHERE id > $1");
    let mut binds = scope_sql(&mut sql, include, "territory_id", None, 3);
    if let Some(user) = keep {
        sql.push_str(&format!(
            " AND (assignee_id IS NULL OR assignee_id <> ${})",
            3 + binds.len()
        ));
        binds.push(user.to_string());
    }
    if let ScopeTerritories::Some(ids) = exclude
        && !ids.is_empty()
    {
        let first = 3 + binds.len();
        sql.push_str(&format!(
            " AND (territory_id IS NULL OR territory_id NOT IN ({}))",
            super::bind_list(first, ids.len())
        ));
        binds.extend(ids.iter().map(ToString::to_string));
    }
    sql.push_str(" ORDER BY id LIMIT $2");
    let mut q = sqlx::query(&sql)
        .bind(after.map(|a| a.to_string()).unwrap_or_default())
        .bind(i64::try_from(limit).unwrap_or(i64::MAX));
    for b in binds {
        q = q.bind(b);
    }
    q.fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            let kind: String = r.try_get("kind")?;
            let seq: i64 = r.try_get("seq")?;
            Ok(ChangedDoc {
                id: DocId::parse(&id).map_err(|e| DbError::corrupt("documents", e))?,
                kind: kind.parse().map_err(|e| DbError::corrupt("documents", e))?,
                seq: u64::try_from(seq).unwrap_or_default(),
                full: true,
                heads: r.try_get("heads")?,
            })
        })
        .collect()
}

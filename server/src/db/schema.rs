//! The data dictionary (`dict_lists`, `dict_entries`) and the custom field definitions
//! (`custom_fields`): reading them as one [`Reference`] (what devices receive and every write is
//! checked against), their administration, the definitions per kind for lists and exports, and
//! the filter on one custom value of the customers projection's `custom` JSON column.
//!
//! Every change moves `reference_version` (migration 0016) in its own transaction; each process
//! caches the last [`Reference`] with the version it was read at ([`reference`]; decision 0020).
//!
//! Entries and fields are never deleted: they are deactivated, because documents keep their
//! codes and keys. A field's type and list are fixed once created (stored values keep their
//! meaning).

use fieldcrm_core::document::Kind;
use fieldcrm_core::schema::{DictEntry, DictList, FieldDef, FieldType, Reference};
use fieldcrm_core::{DocId, TerritoryId};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::territories::ScopeTerritories;
use super::{Backend, Db, DbError, flag, now_ms};

// ----- the cached reference -----

/// The last [`Reference`] this process read, with the `reference_version` it was read at. Lives
/// in [`Db`] (shared by its clones), so every caller of [`reference`] shares it.
#[derive(Default)]
pub struct ReferenceCache {
    last: RwLock<Option<(i64, Arc<Reference>)>>,
    full_reads: AtomicU64,
}

impl std::fmt::Debug for ReferenceCache {
    // The version only: `Db` is `Debug`, and the content would flood any log that prints it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let last = self.last.read().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("ReferenceCache")
            .field("version", &last.as_ref().map(|(v, _)| *v))
            .field("full_reads", &self.full_reads.load(Ordering::Relaxed))
            .finish()
    }
}

impl ReferenceCache {
    fn get(&self, version: i64) -> Option<Arc<Reference>> {
        let last = self.last.read().unwrap_or_else(|e| e.into_inner());
        match last.as_ref() {
            Some((v, r)) if *v == version => Some(Arc::clone(r)),
            _ => None,
        }
    }

    fn put(&self, version: i64, reference: Arc<Reference>) {
        // The last refresh wins: if a slower concurrent refresh files an older version, the
        // next call sees the version differ and reads again (never serves stale content).
        *self.last.write().unwrap_or_else(|e| e.into_inner()) = Some((version, reference));
    }
}

/// How many full reads (the three queries) [`reference`] has made through `db`'s cache, for
/// tests and measurements.
pub fn full_reads(db: &Db) -> u64 {
    db.reference_cache().full_reads.load(Ordering::Relaxed)
}

/// The current `reference_version` (one single-row query).
pub async fn reference_version(db: &Db) -> Result<i64, DbError> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT version FROM reference_version WHERE id = 1")
            .fetch_optional(db.pool())
            .await?
            .unwrap_or(0),
    )
}

/// Moves `reference_version` forward, inside the transaction of the change (so the version and
/// the content move together for every reader). It moves to at least the current time in
/// milliseconds, so a rebuilt or restored database does not reuse a version a running process
/// still caches for other content.
async fn bump(conn: &mut AnyConnection) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE reference_version SET version = CASE WHEN version + 1 > $1 THEN version + 1 \
         ELSE $1 END WHERE id = 1",
    )
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The dictionary and every field definition, with the content version: the cached copy when
/// `reference_version` has not moved since it was read (one single-row query), else a full
/// read that replaces the cache.
///
/// Always runs on the pool, never inside a caller's transaction: each call sees the latest
/// committed version, so a change committed before the call is always seen, also when it was
/// made by another server process on the same database. A full read is one snapshot
/// ([`read_snapshot`]): the version it is filed under is read in the same read-only
/// transaction as the content, and every change bumps the version in its own transaction, so
/// the cached copy is exactly the content of the version it is filed under. See decision 0020.
pub async fn reference(db: &Db) -> Result<Arc<Reference>, DbError> {
    let cache = db.reference_cache();
    let version = reference_version(db).await?;
    if let Some(hit) = cache.get(version) {
        return Ok(hit);
    }
    let (version, fresh) = read_snapshot(db).await?;
    let fresh = Arc::new(fresh);
    cache.full_reads.fetch_add(1, Ordering::Relaxed);
    cache.put(version, Arc::clone(&fresh));
    Ok(fresh)
}

/// Reads the whole dictionary and every field definition, with the content version (one
/// snapshot, no cache).
pub async fn reference_uncached(db: &Db) -> Result<Reference, DbError> {
    Ok(read_snapshot(db).await?.1)
}

/// The full read as one snapshot: `reference_version` and the three queries inside one
/// read-only transaction ([`begin_snapshot`]); the version it was read at, and the content.
async fn read_snapshot(db: &Db) -> Result<(i64, Reference), DbError> {
    let mut tx = begin_snapshot(db).await?;
    let read = read_in(&mut tx).await?;
    tx.commit().await?;
    Ok(read)
}

/// Begins the read-only transaction of a full read, one snapshot on both backends. PostgreSQL:
/// `REPEATABLE READ, READ ONLY` (the default `READ COMMITTED` takes a new snapshot for every
/// statement, so a change committed between two of the queries would be half seen); the
/// snapshot is taken by the first query. SQLite: a deferred `BEGIN`, whose first read starts a
/// read transaction that sees one snapshot of the database until it ends (WAL); it takes no
/// write lock, so writers are not held up.
async fn begin_snapshot(db: &Db) -> Result<sqlx::Transaction<'static, sqlx::Any>, DbError> {
    Ok(match db.backend() {
        Backend::Postgres => {
            db.pool()
                .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await?
        }
        Backend::Sqlite => db.pool().begin().await?,
    })
}

/// The version row, then the lists, entries and field definitions, on `conn` (inside the
/// snapshot transaction).
async fn read_in(conn: &mut AnyConnection) -> Result<(i64, Reference), DbError> {
    let version =
        sqlx::query_scalar::<_, i64>("SELECT version FROM reference_version WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or(0);
    let list_rows = sqlx::query(
        "SELECT list_key, name_zh, name_en, system FROM dict_lists ORDER BY system DESC, list_key",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut lists = Vec::with_capacity(list_rows.len());
    for r in &list_rows {
        lists.push(DictList {
            key: r.try_get("list_key")?,
            name_zh: r.try_get("name_zh")?,
            name_en: r.try_get("name_en")?,
            system: flag(r.try_get("system")?),
            entries: Vec::new(),
        });
    }
    let entry_rows = sqlx::query(
        "SELECT list_key, code, label_zh, label_en, position, active FROM dict_entries \
         ORDER BY list_key, position, code",
    )
    .fetch_all(&mut *conn)
    .await?;
    for r in &entry_rows {
        let key: String = r.try_get("list_key")?;
        if let Some(list) = lists.iter_mut().find(|l| l.key == key) {
            list.entries.push(entry_of(r)?);
        }
    }
    let field_rows = sqlx::query(&format!(
        "{FIELD_COLUMNS} FROM custom_fields ORDER BY kind, position, field_key"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let fields = field_rows
        .iter()
        .map(field_of)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((version, Reference::new(lists, fields)))
}

fn entry_of(r: &AnyRow) -> Result<DictEntry, DbError> {
    Ok(DictEntry {
        code: r.try_get("code")?,
        label_zh: r.try_get("label_zh")?,
        label_en: r.try_get("label_en")?,
        position: r.try_get("position")?,
        active: flag(r.try_get("active")?),
    })
}

const FIELD_COLUMNS: &str = "SELECT kind, field_key, label_zh, label_en, field_type, list_key, \
     required, active, position";

fn field_of(r: &AnyRow) -> Result<FieldDef, DbError> {
    let kind: String = r.try_get("kind")?;
    let field_type: String = r.try_get("field_type")?;
    Ok(FieldDef {
        kind: kind
            .parse()
            .map_err(|e| DbError::corrupt("custom_fields", e))?,
        key: r.try_get("field_key")?,
        label_zh: r.try_get("label_zh")?,
        label_en: r.try_get("label_en")?,
        field_type: field_type
            .parse::<FieldType>()
            .map_err(|e| DbError::corrupt("custom_fields", e))?,
        list: r.try_get("list_key")?,
        required: flag(r.try_get("required")?),
        active: flag(r.try_get("active")?),
        position: r.try_get("position")?,
    })
}

/// The definitions of `kind` that are in use (active), by position: the columns a list or an
/// export of that kind offers, and the inputs of its forms.
pub async fn active_fields(db: &Db, kind: Kind) -> Result<Vec<FieldDef>, DbError> {
    sqlx::query(&format!(
        "{FIELD_COLUMNS} FROM custom_fields WHERE kind = $1 AND active = 1 ORDER BY position, field_key"
    ))
    .bind(kind.as_str())
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(field_of)
    .collect()
}

/// Creates a list (admin-created lists are not `system`).
pub async fn create_list(db: &Db, key: &str, name_zh: &str, name_en: &str) -> Result<(), DbError> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO dict_lists (list_key, name_zh, name_en, system, created_at, updated_at) \
         VALUES ($1, $2, $3, 0, $4, $4)",
    )
    .bind(key)
    .bind(name_zh)
    .bind(name_en)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|e| DbError::unique(e, format!("list {key}")))?;
    bump(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Renames a list.
pub async fn rename_list(db: &Db, key: &str, name_zh: &str, name_en: &str) -> Result<(), DbError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE dict_lists SET name_zh = $2, name_en = $3, updated_at = $4 WHERE list_key = $1",
    )
    .bind(key)
    .bind(name_zh)
    .bind(name_en)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound(format!("list {key}")));
    }
    bump(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds an entry to a list.
pub async fn add_entry(db: &Db, list: &str, entry: &DictEntry) -> Result<(), DbError> {
    let mut tx = db.begin_write().await?;
    let exists: Option<String> =
        sqlx::query_scalar("SELECT list_key FROM dict_lists WHERE list_key = $1")
            .bind(list)
            .fetch_optional(&mut *tx)
            .await?;
    if exists.is_none() {
        return Err(DbError::NotFound(format!("list {list}")));
    }
    sqlx::query(
        "INSERT INTO dict_entries (list_key, code, label_zh, label_en, position, active, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(list)
    .bind(&entry.code)
    .bind(&entry.label_zh)
    .bind(&entry.label_en)
    .bind(entry.position)
    .bind(i64::from(entry.active))
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .map_err(|e| DbError::unique(e, format!("code {}", entry.code)))?;
    bump(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Updates an entry's labels, position and active flag (its code never changes).
pub async fn update_entry(db: &Db, list: &str, entry: &DictEntry) -> Result<(), DbError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE dict_entries SET label_zh = $3, label_en = $4, position = $5, active = $6, \
         updated_at = $7 WHERE list_key = $1 AND code = $2",
    )
    .bind(list)
    .bind(&entry.code)
    .bind(&entry.label_zh)
    .bind(&entry.label_en)
    .bind(entry.position)
    .bind(i64::from(entry.active))
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound(format!("entry {list}/{}", entry.code)));
    }
    bump(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Creates a custom field definition.
pub async fn create_field(db: &Db, def: &FieldDef) -> Result<(), DbError> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO custom_fields (kind, field_key, label_zh, label_en, field_type, list_key, \
         required, active, position, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(def.kind.as_str())
    .bind(&def.key)
    .bind(&def.label_zh)
    .bind(&def.label_en)
    .bind(def.field_type.as_str())
    .bind(def.list.clone())
    .bind(i64::from(def.required))
    .bind(i64::from(def.active))
    .bind(def.position)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(|e| DbError::unique(e, format!("field {}", def.key)))?;
    bump(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Updates a definition's labels, required and active flags and position (its kind, key, type
/// and list never change).
pub async fn update_field(db: &Db, def: &FieldDef) -> Result<(), DbError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE custom_fields SET label_zh = $3, label_en = $4, required = $5, active = $6, \
         position = $7, updated_at = $8 WHERE kind = $1 AND field_key = $2",
    )
    .bind(def.kind.as_str())
    .bind(&def.key)
    .bind(&def.label_zh)
    .bind(&def.label_en)
    .bind(i64::from(def.required))
    .bind(i64::from(def.active))
    .bind(def.position)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound(format!("field {}.{}", def.kind, def.key)));
    }
    bump(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// The SQL expression of custom value `key` (text, `NULL` when absent) on a projection's `custom`
/// JSON column, for this backend: the key binds to placeholder `$key_at`. The building block of
/// [`custom_value_predicate`] and of the list's range and substring filters.
pub fn custom_value_expr(backend: Backend, column: &str, key_at: usize) -> String {
    match backend {
        // Keys are [a-z0-9_] (checked when a field is created), so `$.key` is a valid JSON path.
        Backend::Sqlite => format!("json_extract({column}, '$.' || ${key_at})"),
        Backend::Postgres => format!("(CAST({column} AS jsonb) ->> ${key_at})"),
    }
}

/// The SQL predicate "custom value `key` equals `value`" on a projection's `custom` JSON column,
/// for this backend: the key binds to placeholder `$key_at`, the value to `$value_at`. For the
/// list, filter and export queries of a kind (`column` is e.g. `c.custom`).
pub fn custom_value_predicate(
    backend: Backend,
    column: &str,
    key_at: usize,
    value_at: usize,
) -> String {
    format!(
        "{} = ${value_at}",
        custom_value_expr(backend, column, key_at)
    )
}

/// Customers inside `scope` whose custom field `key` holds exactly `value` (canonical form),
/// by name, at most `limit`.
pub async fn customers_with_custom(
    db: &Db,
    scope: &ScopeTerritories,
    key: &str,
    value: &str,
    limit: i64,
) -> Result<Vec<DocId>, DbError> {
    let mut sql = format!(
        "SELECT id FROM customers WHERE {}",
        custom_value_predicate(db.backend(), "custom", 1, 2)
    );
    let territories: Vec<TerritoryId> = match scope {
        ScopeTerritories::All => Vec::new(),
        ScopeTerritories::None => return Ok(Vec::new()),
        ScopeTerritories::Some(ids) if ids.is_empty() => return Ok(Vec::new()),
        ScopeTerritories::Some(ids) => ids.clone(),
    };
    if !territories.is_empty() {
        sql.push_str(&format!(
            " AND territory_id IN ({})",
            super::bind_list(4, territories.len())
        ));
    }
    sql.push_str(" ORDER BY name, id LIMIT $3");
    let mut q = sqlx::query(&sql).bind(key).bind(value).bind(limit);
    for t in &territories {
        q = q.bind(t.to_string());
    }
    q.fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            DocId::parse(&id).map_err(|e| DbError::corrupt("customers", e))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::memory_db;

    #[tokio::test]
    async fn defaults_are_seeded_and_admin_changes_move_the_version() {
        let db = memory_db().await;
        let r = reference(&db).await.unwrap();
        let tiers = r.list(fieldcrm_core::schema::CUSTOMER_TIER).unwrap();
        let codes: Vec<&str> = tiers.entries.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, vec!["A", "B", "C", "D"]);
        for (_, _, list) in fieldcrm_core::schema::BOUND_FIELDS {
            assert!(r.list(list).is_some_and(|l| l.system), "{list}");
        }
        create_list(&db, "vip_level", "会员等级", "VIP level")
            .await
            .unwrap();
        assert!(matches!(
            create_list(&db, "vip_level", "x", "x").await,
            Err(DbError::Duplicate(_))
        ));
        let entry = DictEntry {
            code: "gold".into(),
            label_zh: "金卡".into(),
            label_en: "Gold".into(),
            position: 1,
            active: true,
        };
        add_entry(&db, "vip_level", &entry).await.unwrap();
        assert!(matches!(
            add_entry(&db, "nope", &entry).await,
            Err(DbError::NotFound(_))
        ));
        let def = FieldDef {
            kind: Kind::Customer,
            key: "vip".into(),
            label_zh: "会员".into(),
            label_en: "VIP".into(),
            field_type: FieldType::Choice,
            list: Some("vip_level".into()),
            required: false,
            active: true,
            position: 1,
        };
        create_field(&db, &def).await.unwrap();
        let r2 = reference(&db).await.unwrap();
        assert_ne!(r.version, r2.version);
        assert_eq!(r2.field(Kind::Customer, "vip"), Some(&def));
        update_field(
            &db,
            &FieldDef {
                active: false,
                ..def.clone()
            },
        )
        .await
        .unwrap();
        assert!(active_fields(&db, Kind::Customer).await.unwrap().is_empty());
        let r3 = reference(&db).await.unwrap();
        assert_ne!(r3.version, r2.version);
        assert_eq!(reference(&db).await.unwrap().version, r3.version);
    }

    fn gold() -> DictEntry {
        DictEntry {
            code: "gold".into(),
            label_zh: "金卡".into(),
            label_en: "Gold".into(),
            position: 1,
            active: true,
        }
    }

    fn vip_field() -> FieldDef {
        FieldDef {
            kind: Kind::Customer,
            key: "vip".into(),
            label_zh: "会员".into(),
            label_en: "VIP".into(),
            field_type: FieldType::Choice,
            list: Some("vip_level".into()),
            required: false,
            active: true,
            position: 1,
        }
    }

    /// One call: the reference, and whether it took a full read (else it was the cached copy).
    async fn read(db: &Db) -> (Arc<Reference>, bool) {
        let before = full_reads(db);
        let r = reference(db).await.unwrap();
        let full = full_reads(db) - before;
        assert!(full <= 1);
        (r, full == 1)
    }

    #[tokio::test]
    async fn a_cache_hit_returns_the_same_data_without_the_full_read() {
        let db = memory_db().await;
        assert_eq!(full_reads(&db), 0);
        let (first, full) = read(&db).await;
        assert!(full);
        let (second, full) = read(&db).await;
        assert!(!full, "second call must be served from the cache");
        assert!(Arc::ptr_eq(&first, &second));
        // A clone of the handle shares the cache.
        let (third, full) = read(&db.clone()).await;
        assert!(!full);
        assert!(Arc::ptr_eq(&first, &third));
        assert_eq!(*first, reference_uncached(&db).await.unwrap());
        assert_eq!(full_reads(&db), 1);
    }

    /// Every write function moves the version, and the next call reads the change.
    #[tokio::test]
    async fn every_change_makes_the_next_call_read_fresh_data() {
        let db = memory_db().await;
        read(&db).await;

        // List added.
        create_list(&db, "vip_level", "会员等级", "VIP level")
            .await
            .unwrap();
        let (r, full) = read(&db).await;
        assert!(full);
        assert_eq!(r.list("vip_level").unwrap().name_en, "VIP level");
        assert!(!read(&db).await.1);

        // List renamed.
        rename_list(&db, "vip_level", "会员", "Membership")
            .await
            .unwrap();
        let (r, full) = read(&db).await;
        assert!(full);
        assert_eq!(r.list("vip_level").unwrap().name_en, "Membership");

        // Entry added.
        add_entry(&db, "vip_level", &gold()).await.unwrap();
        let (r, full) = read(&db).await;
        assert!(full);
        assert_eq!(r.list("vip_level").unwrap().entries, vec![gold()]);
        assert!(!read(&db).await.1);

        // Entry deactivated.
        let inactive = DictEntry {
            active: false,
            ..gold()
        };
        update_entry(&db, "vip_level", &inactive).await.unwrap();
        let (r, full) = read(&db).await;
        assert!(full);
        assert_eq!(r.list("vip_level").unwrap().entries, vec![inactive]);

        // Field added.
        create_field(&db, &vip_field()).await.unwrap();
        let (r, full) = read(&db).await;
        assert!(full);
        assert_eq!(r.field(Kind::Customer, "vip"), Some(&vip_field()));
        assert!(!read(&db).await.1);

        // Field changed (made required).
        let required = FieldDef {
            required: true,
            ..vip_field()
        };
        update_field(&db, &required).await.unwrap();
        let (r, full) = read(&db).await;
        assert!(full);
        assert_eq!(r.field(Kind::Customer, "vip"), Some(&required));
        assert_eq!(*r, reference_uncached(&db).await.unwrap());
        assert!(!read(&db).await.1);
    }

    #[tokio::test]
    async fn refused_changes_do_not_move_the_version() {
        let db = memory_db().await;
        let v = reference_version(&db).await.unwrap();
        assert!(matches!(
            add_entry(&db, "nope", &gold()).await,
            Err(DbError::NotFound(_))
        ));
        assert!(matches!(
            update_entry(&db, "nope", &gold()).await,
            Err(DbError::NotFound(_))
        ));
        assert!(matches!(
            rename_list(&db, "nope", "x", "x").await,
            Err(DbError::NotFound(_))
        ));
        assert!(matches!(
            update_field(&db, &vip_field()).await,
            Err(DbError::NotFound(_))
        ));
        assert!(matches!(
            create_list(&db, fieldcrm_core::schema::CUSTOMER_TIER, "x", "x").await,
            Err(DbError::Duplicate(_))
        ));
        assert_eq!(reference_version(&db).await.unwrap(), v);
        create_list(&db, "vip_level", "x", "x").await.unwrap();
        assert!(reference_version(&db).await.unwrap() > v);
    }

    /// Two handles (two processes) on one database: a change through one is seen by the other.
    async fn two_handles_see_each_others_changes(a: Db, b: Db) {
        let (ra, _) = read(&a).await;
        let (rb, _) = read(&b).await;
        assert_eq!(ra.version, rb.version);
        assert!(!read(&b).await.1);

        create_list(&a, "vip_level", "会员等级", "VIP level")
            .await
            .unwrap();
        let (rb, full) = read(&b).await;
        assert!(full, "b must notice a's change");
        assert!(rb.list("vip_level").is_some());

        add_entry(&b, "vip_level", &gold()).await.unwrap();
        let (ra, full) = read(&a).await;
        assert!(full);
        assert_eq!(ra.list("vip_level").unwrap().entries, vec![gold()]);

        create_field(&a, &vip_field()).await.unwrap();
        let (rb, full) = read(&b).await;
        assert!(full);
        assert_eq!(rb.field(Kind::Customer, "vip"), Some(&vip_field()));

        let inactive = DictEntry {
            active: false,
            ..gold()
        };
        update_entry(&b, "vip_level", &inactive).await.unwrap();
        update_field(
            &b,
            &FieldDef {
                active: false,
                ..vip_field()
            },
        )
        .await
        .unwrap();
        let (ra, full) = read(&a).await;
        assert!(full);
        assert_eq!(ra.list("vip_level").unwrap().entries, vec![inactive]);
        assert!(!ra.field(Kind::Customer, "vip").unwrap().active);
        assert_eq!(*ra, reference_uncached(&b).await.unwrap());
        assert!(!read(&a).await.1);
        assert!(read(&b).await.1, "b's own writes also move the version");
        assert!(!read(&b).await.1);
    }

    /// Two handles on one migrated SQLite file in `dir` (as two server processes would hold).
    async fn sqlite_pair(dir: &tempfile::TempDir) -> (Db, Db) {
        let url = format!("sqlite://{}/r.db", dir.path().display());
        let a = Db::connect(&url).await.unwrap();
        a.migrate().await.unwrap();
        let b = Db::connect(&url).await.unwrap();
        (a, b)
    }

    #[tokio::test]
    async fn two_sqlite_handles_on_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = sqlite_pair(&dir).await;
        two_handles_see_each_others_changes(a, b).await;
    }

    /// A full read is one snapshot on both backends: a change committed by another handle
    /// while the snapshot transaction is open is not seen by it, neither the version nor any
    /// of the content; the next full read sees all of it.
    async fn a_full_read_is_one_snapshot(a: Db, b: Db) {
        let mut tx = begin_snapshot(&a).await.unwrap();
        let (v0, r0) = read_in(&mut tx).await.unwrap();
        create_list(&b, "vip_level", "会员等级", "VIP level")
            .await
            .unwrap();
        add_entry(&b, "vip_level", &gold()).await.unwrap();
        create_field(&b, &vip_field()).await.unwrap();
        let (v1, r1) = read_in(&mut tx).await.unwrap();
        assert_eq!((v1, &r1), (v0, &r0), "the same snapshot");
        tx.commit().await.unwrap();
        let (v2, r2) = read_snapshot(&a).await.unwrap();
        assert!(v2 > v0);
        assert_eq!(r2.list("vip_level").unwrap().entries, vec![gold()]);
        assert_eq!(r2.field(Kind::Customer, "vip"), Some(&vip_field()));
        assert_eq!(v2, reference_version(&b).await.unwrap());
    }

    /// PostgreSQL: a change committed while a full read is under way (held between its queries
    /// by a lock on `dict_entries`) is not half seen: the read returns the content of the
    /// version it started at, and files it under that version, so the next call reads again
    /// and gets the change.
    async fn a_change_during_a_full_read_is_not_half_seen(a: Db, b: Db) {
        let before = reference_uncached(&b).await.unwrap();
        let tier = fieldcrm_core::schema::CUSTOMER_TIER;
        // The change: a new tier entry and the version bump, in one transaction that first
        // locks `dict_entries`, so the reader's entries query waits for its commit.
        let mut tx = b.pool().begin().await.unwrap();
        sqlx::query("LOCK TABLE dict_entries IN ACCESS EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO dict_entries (list_key, code, label_zh, label_en, position, active, \
             updated_at) VALUES ($1, 'E', 'E 级', 'E', 50, 1, 0)",
        )
        .bind(tier)
        .execute(&mut *tx)
        .await
        .unwrap();
        bump(&mut tx).await.unwrap();
        let reader = tokio::spawn({
            let a = a.clone();
            async move { reference(&a).await }
        });
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_locks \
                 WHERE NOT granted AND relation = 'dict_entries'::regclass",
            )
            .fetch_one(b.pool())
            .await
            .unwrap();
            if waiting > 0 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the full read never reached dict_entries"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        tx.commit().await.unwrap();
        let r = reader.await.unwrap().unwrap();
        assert_eq!(*r, before, "the content before the change, not half of it");
        assert!(r.list(tier).unwrap().entries.iter().all(|e| e.code != "E"));
        let (r, full) = read(&a).await;
        assert!(
            full,
            "filed under the version it was read at, so the next call reads again"
        );
        assert!(r.list(tier).unwrap().entries.iter().any(|e| e.code == "E"));
        assert_eq!(*r, reference_uncached(&b).await.unwrap());
        assert!(!read(&a).await.1);
    }

    #[tokio::test]
    async fn a_full_read_is_one_snapshot_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = sqlite_pair(&dir).await;
        a_full_read_is_one_snapshot(a, b).await;
    }

    /// A fresh PostgreSQL database (dropped by [`PgPair::remove`]) with two handles on it, or
    /// `None` when PostgreSQL is not reachable (an error under `FIELDCRM_REQUIRE_PG=1`).
    struct PgPair {
        admin: Db,
        name: String,
        a: Db,
        b: Db,
    }

    impl PgPair {
        async fn new() -> Option<PgPair> {
            let admin = match Db::connect("postgres://postgres@127.0.0.1:5432/postgres").await {
                Ok(db) => db,
                Err(e) => {
                    assert!(
                        std::env::var("FIELDCRM_REQUIRE_PG").as_deref() != Ok("1"),
                        "PostgreSQL not reachable: {e}"
                    );
                    eprintln!("SKIPPED: PostgreSQL not reachable ({e})");
                    return None;
                }
            };
            let name = format!("fieldcrm_refcache_{}", uuid::Uuid::now_v7().simple());
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(admin.pool())
                .await
                .unwrap();
            let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
            let a = Db::connect(&url).await.unwrap();
            a.migrate().await.unwrap();
            let b = Db::connect(&url).await.unwrap();
            Some(PgPair { admin, name, a, b })
        }

        async fn remove(self) {
            self.a.close().await;
            self.b.close().await;
            sqlx::query(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .execute(self.admin.pool())
            .await
            .unwrap();
        }
    }

    #[tokio::test]
    async fn two_postgres_handles_on_one_database() {
        let Some(pg) = PgPair::new().await else {
            return;
        };
        two_handles_see_each_others_changes(pg.a.clone(), pg.b.clone()).await;
        pg.remove().await;
    }

    #[tokio::test]
    async fn a_full_read_is_one_snapshot_on_postgres() {
        let Some(pg) = PgPair::new().await else {
            return;
        };
        a_full_read_is_one_snapshot(pg.a.clone(), pg.b.clone()).await;
        a_change_during_a_full_read_is_not_half_seen(pg.a.clone(), pg.b.clone()).await;
        pg.remove().await;
    }
}

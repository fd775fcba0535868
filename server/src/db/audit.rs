//! The audit log: logins, token replays, device revocations, user administration, and every
//! sync verdict. Append-only; read newest first.

use fieldcrm_core::{DeviceId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, DbError, now_ms};

/// One entry to append. `at` is taken when it is recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditEntry {
    /// The acting (or, for a failed login, the targeted) user, if known.
    pub user_id: Option<UserId>,
    /// The device acting, if any.
    pub device_id: Option<DeviceId>,
    /// What happened, dotted (`auth.login`, `auth.refresh_replay`, `device.revoke`, …).
    pub action: String,
    /// The document concerned, if any.
    pub doc_id: Option<String>,
    /// The document kind, if any.
    pub kind: Option<String>,
    /// The outcome (`ok`, `denied`, `rejected`, `compensated`, …), if any.
    pub verdict: Option<String>,
    /// Anything else, as JSON.
    pub detail: serde_json::Value,
}

impl AuditEntry {
    /// An entry for `action` with everything else empty (`detail` = `{}`).
    pub fn new(action: impl Into<String>) -> Self {
        AuditEntry {
            user_id: None,
            device_id: None,
            action: action.into(),
            doc_id: None,
            kind: None,
            verdict: None,
            detail: serde_json::Value::Object(serde_json::Map::new()),
        }
    }
}

/// A stored audit entry.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditRecord {
    /// Sequence number.
    pub id: i64,
    /// When it was recorded, unix milliseconds.
    pub at: i64,
    /// The entry.
    pub entry: AuditEntry,
}

/// Which entries [`list`] and [`count`] return. Every condition given must hold.
#[derive(Clone, Debug)]
pub struct AuditFilter {
    /// Only entries of this user.
    pub user_id: Option<UserId>,
    /// Only entries about this document.
    pub doc_id: Option<String>,
    /// Only entries with this action.
    pub action: Option<String>,
    /// Only entries whose action starts with one of these (empty: any).
    pub action_prefixes: Vec<String>,
    /// Only entries about documents of this kind.
    pub kind: Option<String>,
    /// Only entries with this verdict.
    pub verdict: Option<String>,
    /// Recorded at or after (unix ms).
    pub from: Option<i64>,
    /// Recorded before (unix ms).
    pub to: Option<i64>,
    /// Entries to skip (newest first).
    pub offset: i64,
    /// At most this many (newest first).
    pub limit: i64,
}

impl Default for AuditFilter {
    fn default() -> Self {
        AuditFilter {
            user_id: None,
            doc_id: None,
            action: None,
            action_prefixes: Vec::new(),
            kind: None,
            verdict: None,
            from: None,
            to: None,
            offset: 0,
            limit: 100,
        }
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` prefix pattern.
fn prefix_pattern(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// The WHERE clause of `filter` and its bind values (`$1…`).
fn conditions(filter: &AuditFilter) -> (String, Vec<Bind>) {
    let mut sql = Vec::new();
    let mut binds = Vec::new();
    let mut push = |column_sql: &dyn Fn(usize) -> String, bind: Bind| {
        binds.push(bind);
        sql.push(column_sql(binds.len()));
    };
    if let Some(u) = filter.user_id {
        push(&|i| format!("user_id = ${i}"), Bind::Text(u.to_string()));
    }
    if let Some(d) = &filter.doc_id {
        push(&|i| format!("doc_id = ${i}"), Bind::Text(d.clone()));
    }
    if let Some(a) = &filter.action {
        push(&|i| format!("action = ${i}"), Bind::Text(a.clone()));
    }
    if let Some(k) = &filter.kind {
        push(&|i| format!("kind = ${i}"), Bind::Text(k.clone()));
    }
    if let Some(v) = &filter.verdict {
        push(&|i| format!("verdict = ${i}"), Bind::Text(v.clone()));
    }
    if let Some(from) = filter.from {
        push(&|i| format!("at >= ${i}"), Bind::Int(from));
    }
    if let Some(to) = filter.to {
        push(&|i| format!("at < ${i}"), Bind::Int(to));
    }
    if !filter.action_prefixes.is_empty() {
        let mut any = Vec::new();
        for p in &filter.action_prefixes {
            binds.push(Bind::Text(prefix_pattern(p)));
            any.push(format!("action LIKE ${} ESCAPE '\\'", binds.len()));
        }
        sql.push(format!("({})", any.join(" OR ")));
    }
    let clause = if sql.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", sql.join(" AND "))
    };
    (clause, binds)
}

#[derive(Clone)]
enum Bind {
    Text(String),
    Int(i64),
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    binds: &[Bind],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for b in binds {
        q = match b.clone() {
            Bind::Text(s) => q.bind(s),
            Bind::Int(i) => q.bind(i),
        };
    }
    q
}

/// Appends an entry.
pub async fn record(db: &Db, entry: &AuditEntry) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, device_id, action, doc_id, kind, verdict, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(now_ms())
    .bind(entry.user_id.map(|u| u.to_string()))
    .bind(entry.device_id.map(|d| d.to_string()))
    .bind(&entry.action)
    .bind(entry.doc_id.as_deref())
    .bind(entry.kind.as_deref())
    .bind(entry.verdict.as_deref())
    .bind(entry.detail.to_string())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Appends several entries in one transaction (bulk writes audit each document they touch).
pub async fn record_many(db: &Db, entries: &[AuditEntry]) -> Result<(), DbError> {
    let at = now_ms();
    let mut tx = db.begin_write().await?;
    for entry in entries {
        sqlx::query(
            "INSERT INTO audit_log (at, user_id, device_id, action, doc_id, kind, verdict, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(at)
        .bind(entry.user_id.map(|u| u.to_string()))
        .bind(entry.device_id.map(|d| d.to_string()))
        .bind(&entry.action)
        .bind(entry.doc_id.as_deref())
        .bind(entry.kind.as_deref())
        .bind(entry.verdict.as_deref())
        .bind(entry.detail.to_string())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn record_from_row(row: &AnyRow) -> Result<AuditRecord, DbError> {
    let user: Option<String> = row.try_get("user_id")?;
    let device: Option<String> = row.try_get("device_id")?;
    let detail: String = row.try_get("detail")?;
    Ok(AuditRecord {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        entry: AuditEntry {
            user_id: user
                .map(|u| UserId::parse(&u))
                .transpose()
                .map_err(|e| DbError::corrupt("audit_log", e))?,
            device_id: device
                .map(|d| DeviceId::parse(&d))
                .transpose()
                .map_err(|e| DbError::corrupt("audit_log", e))?,
            action: row.try_get("action")?,
            doc_id: row.try_get("doc_id")?,
            kind: row.try_get("kind")?,
            verdict: row.try_get("verdict")?,
            detail: serde_json::from_str(&detail).map_err(|e| DbError::corrupt("audit_log", e))?,
        },
    })
}

/// Entries matching `filter`, newest first, from `filter.offset`, at most `filter.limit`.
pub async fn list(db: &Db, filter: &AuditFilter) -> Result<Vec<AuditRecord>, DbError> {
    let (clause, mut binds) = conditions(filter);
    binds.push(Bind::Int(filter.limit.clamp(0, 10_000)));
    let limit = binds.len();
    binds.push(Bind::Int(filter.offset.max(0)));
    let offset = binds.len();
    let sql = format!(
        "SELECT id, at, user_id, device_id, action, doc_id, kind, verdict, detail FROM audit_log\
         {clause} ORDER BY id DESC LIMIT ${limit} OFFSET ${offset}"
    );
    let rows = bind_all(sqlx::query(&sql), &binds)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(record_from_row).collect()
}

/// How many entries match `filter` (ignoring its offset and limit).
pub async fn count(db: &Db, filter: &AuditFilter) -> Result<i64, DbError> {
    let (clause, binds) = conditions(filter);
    let sql = format!("SELECT COUNT(*) AS n FROM audit_log{clause}");
    Ok(bind_all(sqlx::query(&sql), &binds)
        .fetch_one(db.pool())
        .await?
        .try_get("n")?)
}

/// The distinct actions recorded, sorted (for the viewer's filter).
pub async fn actions(db: &Db) -> Result<Vec<String>, DbError> {
    let rows = sqlx::query("SELECT DISTINCT action FROM audit_log ORDER BY action")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| r.try_get("action").map_err(DbError::from))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::memory_db;

    #[tokio::test]
    async fn record_and_filter() {
        let db = memory_db().await;
        let user = UserId::new();
        let mut login = AuditEntry::new("auth.login");
        login.user_id = Some(user);
        login.verdict = Some("ok".into());
        login.detail = serde_json::json!({"device_name": "phone"});
        record(&db, &login).await.unwrap();
        let mut edit = AuditEntry::new("sync.change");
        edit.doc_id = Some("doc-1".into());
        edit.kind = Some("customer".into());
        record(&db, &edit).await.unwrap();

        let all = list(&db, &AuditFilter::default()).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].entry, edit);
        assert_eq!(all[1].entry, login);
        assert!(all[0].id > all[1].id);

        let mine = list(
            &db,
            &AuditFilter {
                user_id: Some(user),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(mine.len(), 1);
        let by_doc = list(
            &db,
            &AuditFilter {
                doc_id: Some("doc-1".into()),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(by_doc[0].entry.action, "sync.change");
        let limited = list(
            &db,
            &AuditFilter {
                limit: 1,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(limited.len(), 1);
    }

    #[tokio::test]
    async fn filters_combine_and_page() {
        let db = memory_db().await;
        let user = UserId::new();
        for i in 0..5 {
            let mut e = AuditEntry::new(if i % 2 == 0 {
                "sync.push"
            } else {
                "user.update"
            });
            e.user_id = (i < 3).then_some(user);
            e.kind = (i % 2 == 0).then(|| "customer".to_owned());
            e.verdict = Some(if i == 4 { "rejected" } else { "ok" }.into());
            record(&db, &e).await.unwrap();
        }
        let mut e = AuditEntry::new("sync_x%");
        e.verdict = Some("ok".into());
        record(&db, &e).await.unwrap();
        let f = |f: AuditFilter| f;
        let sync = f(AuditFilter {
            action_prefixes: vec!["sync.".into()],
            ..AuditFilter::default()
        });
        assert_eq!(
            count(&db, &sync).await.unwrap(),
            3,
            "prefix is not a LIKE pattern"
        );
        let rejected = AuditFilter {
            verdict: Some("rejected".into()),
            kind: Some("customer".into()),
            ..sync.clone()
        };
        assert_eq!(list(&db, &rejected).await.unwrap().len(), 1);
        let mine = AuditFilter {
            user_id: Some(user),
            action_prefixes: vec!["user.".into(), "sync.".into()],
            ..AuditFilter::default()
        };
        assert_eq!(count(&db, &mine).await.unwrap(), 3);
        let page2 = list(
            &db,
            &AuditFilter {
                offset: 2,
                limit: 2,
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        let all = list(&db, &AuditFilter::default()).await.unwrap();
        assert_eq!(page2, all[2..4].to_vec());
        let now = now_ms();
        let none = AuditFilter {
            from: Some(now + 60_000),
            ..AuditFilter::default()
        };
        assert_eq!(count(&db, &none).await.unwrap(), 0);
        let before = AuditFilter {
            to: Some(now + 60_000),
            ..AuditFilter::default()
        };
        assert_eq!(count(&db, &before).await.unwrap(), 6);
        assert_eq!(
            actions(&db).await.unwrap(),
            ["sync.push", "sync_x%", "user.update"]
        );
    }
}

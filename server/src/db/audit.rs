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

/// Which entries [`list`] returns.
#[derive(Clone, Debug)]
pub struct AuditFilter {
    /// Only entries of this user.
    pub user_id: Option<UserId>,
    /// Only entries about this document.
    pub doc_id: Option<String>,
    /// Only entries with this action.
    pub action: Option<String>,
    /// At most this many (newest first).
    pub limit: i64,
}

impl Default for AuditFilter {
    fn default() -> Self {
        AuditFilter {
            user_id: None,
            doc_id: None,
            action: None,
            limit: 100,
        }
    }
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
    let mut tx = db.pool().begin().await?;
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

/// Entries matching `filter`, newest first.
pub async fn list(db: &Db, filter: &AuditFilter) -> Result<Vec<AuditRecord>, DbError> {
    let rows = sqlx::query(
        "SELECT id, at, user_id, device_id, action, doc_id, kind, verdict, detail FROM audit_log \
         WHERE ($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR doc_id = $2) \
           AND ($3 IS NULL OR action = $3) \
         ORDER BY id DESC LIMIT $4",
    )
    .bind(filter.user_id.map(|u| u.to_string()))
    .bind(filter.doc_id.as_deref())
    .bind(filter.action.as_deref())
    .bind(filter.limit.clamp(0, 10_000))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(record_from_row).collect()
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
}

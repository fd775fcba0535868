//! Attachment metadata (`attachments`), who uploaded each file (`attachment_uploaders`) and which
//! documents reference it (`attachment_refs`, rewritten with a visit's projection). The files
//! themselves live on disk ([`crate::attachments::BlobStore`]).

use fieldcrm_core::attachment::Sha256Hex;
use fieldcrm_core::{DocId, TerritoryId, UserId};
use sqlx::{AnyConnection, Row};

use super::{Db, DbError, now_ms};

/// The metadata of a stored file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// Its address.
    pub sha256: String,
    /// Bytes.
    pub size: i64,
    /// MIME type, as checked at upload.
    pub content_type: String,
    /// Who uploaded it first.
    pub uploaded_by: UserId,
    /// When (unix ms).
    pub created_at: i64,
}

/// Records a stored file (if not recorded yet) and `user` as one of its uploaders. Returns true
/// when the metadata row is new.
pub async fn record_upload(
    db: &Db,
    sha: &Sha256Hex,
    size: i64,
    content_type: &str,
    user: UserId,
) -> Result<bool, DbError> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let inserted = sqlx::query(
        "INSERT INTO attachments (sha256, size, content_type, uploaded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha.as_str())
    .bind(size)
    .bind(content_type)
    .bind(user.to_string())
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    add_uploader(&mut tx, sha, user, now).await?;
    tx.commit().await?;
    Ok(inserted)
}

async fn add_uploader(
    conn: &mut AnyConnection,
    sha: &Sha256Hex,
    user: UserId,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO attachment_uploaders (sha256, user_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (sha256, user_id) DO NOTHING",
    )
    .bind(sha.as_str())
    .bind(user.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records `user` as an uploader of a file already stored (a repeated upload).
pub async fn record_uploader(db: &Db, sha: &Sha256Hex, user: UserId) -> Result<(), DbError> {
    let mut conn = db.pool().acquire().await?;
    add_uploader(&mut conn, sha, user, now_ms()).await
}

/// The metadata of a file, if stored.
pub async fn get(db: &Db, sha: &Sha256Hex) -> Result<Option<Attachment>, DbError> {
    let row = sqlx::query(
        "SELECT sha256, size, content_type, uploaded_by, created_at FROM attachments \
         WHERE sha256 = $1",
    )
    .bind(sha.as_str())
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let by: String = r.try_get("uploaded_by")?;
    Ok(Some(Attachment {
        sha256: r.try_get("sha256")?,
        size: r.try_get("size")?,
        content_type: r.try_get("content_type")?,
        uploaded_by: UserId::parse(&by).map_err(|e| DbError::corrupt("attachments", e))?,
        created_at: r.try_get("created_at")?,
    }))
}

/// Whether `user` uploaded the file.
pub async fn is_uploader(db: &Db, sha: &Sha256Hex, user: UserId) -> Result<bool, DbError> {
    let row =
        sqlx::query("SELECT 1 AS one FROM attachment_uploaders WHERE sha256 = $1 AND user_id = $2")
            .bind(sha.as_str())
            .bind(user.to_string())
            .fetch_optional(db.pool())
            .await?;
    Ok(row.is_some())
}

/// The territory anchors of the visits referencing the file (`None` for an unanchored one).
pub async fn referencing_visit_territories(
    db: &Db,
    sha: &Sha256Hex,
) -> Result<Vec<Option<TerritoryId>>, DbError> {
    let rows = sqlx::query(
        "SELECT d.territory_id FROM attachment_refs r JOIN documents d ON d.id = r.doc_id \
         WHERE r.sha256 = $1 AND d.kind = 'visit'",
    )
    .bind(sha.as_str())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            r.try_get::<Option<String>, _>("territory_id")?
                .map(|t| TerritoryId::parse(&t).map_err(|e| DbError::corrupt("documents", e)))
                .transpose()
        })
        .collect()
}

/// The dispatches referencing the file: their customer's territory (the office's scope) and
/// their engineer.
pub async fn referencing_dispatches(
    db: &Db,
    sha: &Sha256Hex,
) -> Result<Vec<(Option<TerritoryId>, Option<UserId>)>, DbError> {
    let rows = sqlx::query(
        "SELECT p.territory_id, p.engineer_id FROM attachment_refs r JOIN dispatches p ON p.id = r.doc_id \
         WHERE r.sha256 = $1",
    )
    .bind(sha.as_str())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let territory = r
                .try_get::<Option<String>, _>("territory_id")?
                .map(|t| TerritoryId::parse(&t).map_err(|e| DbError::corrupt("dispatches", e)))
                .transpose()?;
            let engineer = r
                .try_get::<Option<String>, _>("engineer_id")?
                .map(|u| UserId::parse(&u).map_err(|e| DbError::corrupt("dispatches", e)))
                .transpose()?;
            Ok((territory, engineer))
        })
        .collect()
}

/// The ids of the visits referencing the file.
pub async fn referencing_visits(db: &Db, sha: &Sha256Hex) -> Result<Vec<String>, DbError> {
    let rows = sqlx::query(
        "SELECT d.id FROM attachment_refs r JOIN documents d ON d.id = r.doc_id \
         WHERE r.sha256 = $1 AND d.kind = 'visit'",
    )
    .bind(sha.as_str())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>("id")?))
        .collect()
}

/// The tickets of the dispatches referencing the file.
pub async fn referencing_dispatch_tickets(
    db: &Db,
    sha: &Sha256Hex,
) -> Result<Vec<String>, DbError> {
    let rows = sqlx::query(
        "SELECT p.ticket_id FROM attachment_refs r JOIN dispatches p ON p.id = r.doc_id \
         WHERE r.sha256 = $1",
    )
    .bind(sha.as_str())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| Ok(r.try_get::<String, _>("ticket_id")?))
        .collect()
}

/// Whether the document references the file.
pub async fn is_referenced_by(db: &Db, sha: &Sha256Hex, doc: DocId) -> Result<bool, DbError> {
    let row = sqlx::query("SELECT 1 AS one FROM attachment_refs WHERE sha256 = $1 AND doc_id = $2")
        .bind(sha.as_str())
        .bind(doc.to_string())
        .fetch_optional(db.pool())
        .await?;
    Ok(row.is_some())
}

/// Of `shas`, those stored on the server.
pub async fn stored_among(db: &Db, shas: &[String]) -> Result<Vec<String>, DbError> {
    let mut out = Vec::new();
    for sha in shas {
        let row = sqlx::query("SELECT sha256 FROM attachments WHERE sha256 = $1")
            .bind(sha)
            .fetch_optional(db.pool())
            .await?;
        if let Some(r) = row {
            out.push(r.try_get("sha256")?);
        }
    }
    Ok(out)
}

/// Replaces the files a document references (inside the document's write transaction).
/// References that are not SHA-256 digests are ignored.
pub(crate) async fn set_doc_refs(
    conn: &mut AnyConnection,
    doc: DocId,
    shas: &[String],
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM attachment_refs WHERE doc_id = $1")
        .bind(doc.to_string())
        .execute(&mut *conn)
        .await?;
    let mut seen = std::collections::BTreeSet::new();
    for sha in shas {
        let Ok(sha) = Sha256Hex::parse(sha) else {
            continue;
        };
        if !seen.insert(sha.clone()) {
            continue;
        }
        sqlx::query("INSERT INTO attachment_refs (sha256, doc_id) VALUES ($1, $2)")
            .bind(sha.as_str())
            .bind(doc.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::memory_db;

    #[tokio::test]
    async fn uploads_are_recorded_once_and_refs_replaced() {
        let db = memory_db().await;
        let sha = Sha256Hex::of(b"x");
        let (a, b) = (UserId::new(), UserId::new());
        assert!(record_upload(&db, &sha, 1, "image/png", a).await.unwrap());
        assert!(!record_upload(&db, &sha, 1, "image/png", b).await.unwrap());
        let meta = get(&db, &sha).await.unwrap().unwrap();
        assert_eq!((meta.uploaded_by, meta.size), (a, 1));
        assert!(is_uploader(&db, &sha, a).await.unwrap());
        assert!(is_uploader(&db, &sha, b).await.unwrap());
        assert!(!is_uploader(&db, &sha, UserId::new()).await.unwrap());

        let doc = DocId::new();
        let mut conn = db.pool().acquire().await.unwrap();
        let refs = [sha.to_string(), sha.to_string(), "not-a-hash".to_owned()];
        set_doc_refs(&mut conn, doc, &refs).await.unwrap();
        drop(conn);
        assert!(is_referenced_by(&db, &sha, doc).await.unwrap());
        let mut conn = db.pool().acquire().await.unwrap();
        set_doc_refs(&mut conn, doc, &[]).await.unwrap();
        drop(conn);
        assert!(!is_referenced_by(&db, &sha, doc).await.unwrap());
    }
}

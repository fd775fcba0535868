//! Web back-office sessions: the cookie token's sha256 hash, the user, the per-session CSRF
//! token and an expiry. The token itself is never stored.

use fieldcrm_core::UserId;
use sqlx::Row;

use super::{Db, DbError};

/// A live web session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebSession {
    /// The signed-in user.
    pub user_id: UserId,
    /// The CSRF token every state-changing request of this session must carry.
    pub csrf_token: String,
    /// Expiry, unix milliseconds.
    pub expires_at: i64,
}

/// Stores a new session.
pub async fn create(
    db: &Db,
    token_hash: &str,
    session: &WebSession,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO web_sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(session.user_id.to_string())
    .bind(&session.csrf_token)
    .bind(now)
    .bind(session.expires_at)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The unexpired session with this token hash.
pub async fn get(db: &Db, token_hash: &str, now: i64) -> Result<Option<WebSession>, DbError> {
    let row = sqlx::query(
        "SELECT user_id, csrf_token, expires_at FROM web_sessions \
         WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let user: String = row.try_get("user_id")?;
    Ok(Some(WebSession {
        user_id: UserId::parse(&user).map_err(|e| DbError::corrupt("web_sessions", e))?,
        csrf_token: row.try_get("csrf_token")?,
        expires_at: row.try_get("expires_at")?,
    }))
}

/// Ends a session.
pub async fn delete(db: &Db, token_hash: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM web_sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Deletes sessions that expired before `before`. Returns how many.
pub async fn delete_expired(db: &Db, before: i64) -> Result<u64, DbError> {
    let done = sqlx::query("DELETE FROM web_sessions WHERE expires_at < $1")
        .bind(before)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::memory_db;
    use crate::db::users::{self, NewUser};
    use fieldcrm_core::Role;

    #[tokio::test]
    async fn create_get_expire_delete() {
        let db = memory_db().await;
        let u = users::create(
            &db,
            &NewUser {
                username: "o",
                display_name: "O",
                role: Role::Office,
                password_hash: "x",
            },
        )
        .await
        .unwrap();
        let s = WebSession {
            user_id: u.id,
            csrf_token: "c".into(),
            expires_at: 1000,
        };
        create(&db, "h", &s, 0).await.unwrap();
        assert_eq!(get(&db, "h", 10).await.unwrap(), Some(s));
        assert_eq!(get(&db, "h", 1000).await.unwrap(), None);
        assert_eq!(get(&db, "other", 10).await.unwrap(), None);
        assert_eq!(delete_expired(&db, 5000).await.unwrap(), 1);
        create(
            &db,
            "h2",
            &WebSession {
                user_id: u.id,
                csrf_token: "d".into(),
                expires_at: 9,
            },
            0,
        )
        .await
        .unwrap();
        delete(&db, "h2").await.unwrap();
        assert_eq!(get(&db, "h2", 1).await.unwrap(), None);
    }
}

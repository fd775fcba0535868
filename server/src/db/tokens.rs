//! Refresh tokens, stored only as their sha256 hash, grouped in families (one login's chain of
//! rotations). Rotation marks the presented token used; presenting a used token again is a
//! replay, which the caller answers by revoking the whole family.

use fieldcrm_core::{DeviceId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::{Db, DbError};

/// A stored refresh token (its hash, never the token itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshToken {
    /// sha256 of the token, lowercase hex.
    pub token_hash: String,
    /// The rotation chain this token belongs to.
    pub family_id: Uuid,
    /// The device it was issued to.
    pub device_id: DeviceId,
    /// The user it was issued to.
    pub user_id: UserId,
    /// Issue time, unix milliseconds.
    pub created_at: i64,
    /// Expiry, unix milliseconds.
    pub expires_at: i64,
    /// When it was exchanged for a new one.
    pub used_at: Option<i64>,
    /// When it (its family or device) was revoked.
    pub revoked_at: Option<i64>,
}

/// What happened when a refresh token was presented for rotation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Consumed {
    /// The token was valid and is now marked used; issue its successor in the same family.
    Rotated(RefreshToken),
    /// The token had already been used: a replay. The caller must revoke the family.
    Replayed(RefreshToken),
    /// The token (or its family or device) was revoked.
    Revoked(RefreshToken),
    /// The token expired.
    Expired(RefreshToken),
    /// No such token.
    Unknown,
}

const COLUMNS: &str =
    "token_hash, family_id, device_id, user_id, created_at, expires_at, used_at, revoked_at";

fn token_from_row(row: &AnyRow) -> Result<RefreshToken, DbError> {
    let family: String = row.try_get("family_id")?;
    let device: String = row.try_get("device_id")?;
    let user: String = row.try_get("user_id")?;
    Ok(RefreshToken {
        token_hash: row.try_get("token_hash")?,
        family_id: Uuid::parse_str(&family).map_err(|e| DbError::corrupt("refresh_tokens", e))?,
        device_id: DeviceId::parse(&device).map_err(|e| DbError::corrupt("refresh_tokens", e))?,
        user_id: UserId::parse(&user).map_err(|e| DbError::corrupt("refresh_tokens", e))?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        used_at: row.try_get("used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// Stores a newly issued token.
pub async fn insert(db: &Db, token: &RefreshToken) -> Result<(), DbError> {
    sqlx::query(&format!(
        "INSERT INTO refresh_tokens ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(&token.token_hash)
    .bind(token.family_id.to_string())
    .bind(token.device_id.to_string())
    .bind(token.user_id.to_string())
    .bind(token.created_at)
    .bind(token.expires_at)
    .bind(token.used_at)
    .bind(token.revoked_at)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The token with this hash.
pub async fn get(db: &Db, token_hash: &str) -> Result<Option<RefreshToken>, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM refresh_tokens WHERE token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(token_from_row).transpose()
}

/// Atomically consumes the token with this hash at time `now` (unix ms). Of two concurrent
/// calls with the same token exactly one gets [`Consumed::Rotated`]; the other sees a replay.
pub async fn consume(db: &Db, token_hash: &str, now: i64) -> Result<Consumed, DbError> {
    let Some(token) = get(db, token_hash).await? else {
        return Ok(Consumed::Unknown);
    };
    if token.revoked_at.is_some() {
        return Ok(Consumed::Revoked(token));
    }
    if token.used_at.is_some() {
        return Ok(Consumed::Replayed(token));
    }
    if token.expires_at <= now {
        return Ok(Consumed::Expired(token));
    }
    let done = sqlx::query(
        "UPDATE refresh_tokens SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(token_hash)
    .execute(db.pool())
    .await?;
    if done.rows_affected() == 1 {
        Ok(Consumed::Rotated(RefreshToken {
            used_at: Some(now),
            ..token
        }))
    } else {
        // Lost a race against another use of the same token.
        Ok(Consumed::Replayed(token))
    }
}

/// Revokes every token of a family. Returns how many were newly revoked.
pub async fn revoke_family(db: &Db, family_id: Uuid, now: i64) -> Result<u64, DbError> {
    let done = sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(family_id.to_string())
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// Deletes tokens that expired before `before` (unix ms). Returns how many were deleted.
pub async fn delete_expired(db: &Db, before: i64) -> Result<u64, DbError> {
    let done = sqlx::query("DELETE FROM refresh_tokens WHERE expires_at < $1")
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
    use crate::db::{devices, now_ms};
    use fieldcrm_core::Role;

    #[tokio::test]
    async fn rotate_replay_revoke_expire() {
        let db = memory_db().await;
        let u = users::create(
            &db,
            &NewUser {
                username: "u",
                display_name: "U",
                role: Role::Rep,
                password_hash: "x",
            },
        )
        .await
        .unwrap();
        let d = devices::register(&db, u.id, "phone").await.unwrap();
        let now = now_ms();
        let family = Uuid::now_v7();
        let token = |hash: &str, expires_at| RefreshToken {
            token_hash: hash.to_owned(),
            family_id: family,
            device_id: d.id,
            user_id: u.id,
            created_at: now,
            expires_at,
            used_at: None,
            revoked_at: None,
        };
        insert(&db, &token("a", now + 1000)).await.unwrap();
        insert(&db, &token("b", now + 1000)).await.unwrap();
        insert(&db, &token("old", now - 1)).await.unwrap();

        assert!(matches!(
            consume(&db, "a", now).await.unwrap(),
            Consumed::Rotated(_)
        ));
        assert!(matches!(
            consume(&db, "a", now).await.unwrap(),
            Consumed::Replayed(_)
        ));
        assert!(matches!(
            consume(&db, "old", now).await.unwrap(),
            Consumed::Expired(_)
        ));
        assert_eq!(consume(&db, "zzz", now).await.unwrap(), Consumed::Unknown);
        assert_eq!(revoke_family(&db, family, now).await.unwrap(), 3);
        assert!(matches!(
            consume(&db, "b", now).await.unwrap(),
            Consumed::Revoked(_)
        ));
        assert_eq!(delete_expired(&db, now).await.unwrap(), 1);
        assert!(get(&db, "old").await.unwrap().is_none());
    }
}

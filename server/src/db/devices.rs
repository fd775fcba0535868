//! Registered devices: one per login (a phone install or a command-line client home).

use fieldcrm_core::{DeviceId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, DbError, now_ms};

/// A registered device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    /// The device's id.
    pub id: DeviceId,
    /// The user it belongs to.
    pub user_id: UserId,
    /// The name given at login.
    pub name: String,
    /// Registration time, unix milliseconds.
    pub created_at: i64,
    /// Last login, refresh or sync, unix milliseconds.
    pub last_seen_at: Option<i64>,
    /// When the device was revoked; a revoked device's tokens are refused.
    pub revoked_at: Option<i64>,
}

impl Device {
    /// Whether the device has been revoked.
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

const COLUMNS: &str = "id, user_id, name, created_at, last_seen_at, revoked_at";

fn device_from_row(row: &AnyRow) -> Result<Device, DbError> {
    let id: String = row.try_get("id")?;
    let user: String = row.try_get("user_id")?;
    Ok(Device {
        id: DeviceId::parse(&id).map_err(|e| DbError::corrupt("devices", e))?,
        user_id: UserId::parse(&user).map_err(|e| DbError::corrupt("devices", e))?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// Registers a new device for `user`.
pub async fn register(db: &Db, user: UserId, name: &str) -> Result<Device, DbError> {
    let now = now_ms();
    let device = Device {
        id: DeviceId::new(),
        user_id: user,
        name: name.to_owned(),
        created_at: now,
        last_seen_at: Some(now),
        revoked_at: None,
    };
    sqlx::query(
        "INSERT INTO devices (id, user_id, name, created_at, last_seen_at, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, NULL)",
    )
    .bind(device.id.to_string())
    .bind(user.to_string())
    .bind(&device.name)
    .bind(now)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(device)
}

/// The device with this id.
pub async fn get(db: &Db, id: DeviceId) -> Result<Option<Device>, DbError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM devices WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(device_from_row).transpose()
}

/// The devices of `user`, newest first.
pub async fn list_for_user(db: &Db, user: UserId) -> Result<Vec<Device>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM devices WHERE user_id = $1 ORDER BY created_at DESC, id DESC"
    ))
    .bind(user.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(device_from_row).collect()
}

/// Records that the device was seen now.
pub async fn touch(db: &Db, id: DeviceId) -> Result<(), DbError> {
    sqlx::query("UPDATE devices SET last_seen_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(id.to_string())
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Revokes the device and all its refresh tokens, in one transaction. Returns `false` if it
/// was already revoked, [`DbError::NotFound`] if it does not exist.
pub async fn revoke(db: &Db, id: DeviceId) -> Result<bool, DbError> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let exists = sqlx::query("SELECT revoked_at FROM devices WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
    let Some(row) = exists else {
        return Err(DbError::NotFound(format!("device {id}")));
    };
    if row.try_get::<Option<i64>, _>("revoked_at")?.is_some() {
        return Ok(false);
    }
    sqlx::query("UPDATE devices SET revoked_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE device_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::memory_db;
    use crate::db::users::{self, NewUser};
    use fieldcrm_core::Role;

    #[tokio::test]
    async fn register_list_touch_revoke() {
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
        let a = register(&db, u.id, "phone").await.unwrap();
        let b = register(&db, u.id, "tablet").await.unwrap();
        assert_eq!(get(&db, a.id).await.unwrap().unwrap(), a);
        let listed = list_for_user(&db, u.id).await.unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].id, b.id);
        touch(&db, a.id).await.unwrap();
        assert!(revoke(&db, a.id).await.unwrap());
        assert!(!revoke(&db, a.id).await.unwrap());
        assert!(get(&db, a.id).await.unwrap().unwrap().is_revoked());
        assert!(matches!(
            revoke(&db, DeviceId::new()).await,
            Err(DbError::NotFound(_))
        ));
    }
}

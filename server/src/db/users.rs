//! Users: identity, role, password hash, disabled flag.

use fieldcrm_core::{Role, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, DbError, flag, now_ms};

/// A user, without the password hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The user's id.
    pub id: UserId,
    /// The unique login name.
    pub username: String,
    /// The name shown in the apps.
    pub display_name: String,
    /// The user's role.
    pub role: Role,
    /// A disabled user can neither log in nor refresh tokens.
    pub disabled: bool,
    /// Creation time, unix milliseconds.
    pub created_at: i64,
}

/// A user with the stored argon2 hash, for login.
#[derive(Clone, Debug)]
pub struct UserCredentials {
    /// The user.
    pub user: User,
    /// The PHC string of the password hash.
    pub password_hash: String,
}

/// What is needed to create a user.
#[derive(Clone, Debug)]
pub struct NewUser<'a> {
    /// The unique login name.
    pub username: &'a str,
    /// The name shown in the apps.
    pub display_name: &'a str,
    /// The role.
    pub role: Role,
    /// The PHC string of the argon2 hash (see `crate::auth::password`).
    pub password_hash: &'a str,
}

const COLUMNS: &str = "id, username, display_name, role, disabled, created_at";

fn user_from_row(row: &AnyRow) -> Result<User, DbError> {
    let id: String = row.try_get("id")?;
    let role: String = row.try_get("role")?;
    Ok(User {
        id: UserId::parse(&id).map_err(|e| DbError::corrupt("users", e))?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: role.parse().map_err(|e| DbError::corrupt("users", e))?,
        disabled: flag(row.try_get("disabled")?),
        created_at: row.try_get("created_at")?,
    })
}

/// Creates a user. A taken username is [`DbError::Duplicate`].
pub async fn create(db: &Db, new: &NewUser<'_>) -> Result<User, DbError> {
    let user = User {
        id: UserId::new(),
        username: new.username.to_owned(),
        display_name: new.display_name.to_owned(),
        role: new.role,
        disabled: false,
        created_at: now_ms(),
    };
    sqlx::query(
        "INSERT INTO users (id, username, display_name, role, password_hash, disabled, created_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6)",
    )
    .bind(user.id.to_string())
    .bind(&user.username)
    .bind(&user.display_name)
    .bind(user.role.as_str())
    .bind(new.password_hash)
    .bind(user.created_at)
    .execute(db.pool())
    .await
    .map_err(|e| DbError::unique(e, format!("user {:?}", new.username)))?;
    Ok(user)
}

/// The user with this id.
pub async fn get(db: &Db, id: UserId) -> Result<Option<User>, DbError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// The user with this username.
pub async fn get_by_username(db: &Db, username: &str) -> Result<Option<User>, DbError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE username = $1"))
        .bind(username)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(user_from_row).transpose()
}

/// The user with this username and their password hash, for login.
pub async fn credentials(db: &Db, username: &str) -> Result<Option<UserCredentials>, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, password_hash FROM users WHERE username = $1"
    ))
    .bind(username)
    .fetch_optional(db.pool())
    .await?;
    match row {
        Some(row) => Ok(Some(UserCredentials {
            user: user_from_row(&row)?,
            password_hash: row.try_get("password_hash")?,
        })),
        None => Ok(None),
    }
}

/// Every user, by username.
pub async fn list(db: &Db) -> Result<Vec<User>, DbError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM users ORDER BY username"))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(user_from_row).collect()
}

/// How many users exist.
pub async fn count(db: &Db) -> Result<i64, DbError> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
        .fetch_one(db.pool())
        .await?;
    Ok(row.try_get("n")?)
}

/// Disables or re-enables a user by username. Returns the updated user, or
/// [`DbError::NotFound`].
pub async fn set_disabled(db: &Db, username: &str, disabled: bool) -> Result<User, DbError> {
    let done = sqlx::query("UPDATE users SET disabled = $1 WHERE username = $2")
        .bind(i64::from(disabled))
        .bind(username)
        .execute(db.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound(format!("user {username:?}")));
    }
    get_by_username(db, username)
        .await?
        .ok_or_else(|| DbError::NotFound(format!("user {username:?}")))
}

/// Replaces a user's password hash.
pub async fn set_password_hash(db: &Db, id: UserId, password_hash: &str) -> Result<(), DbError> {
    let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(password_hash)
        .bind(id.to_string())
        .execute(db.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound(format!("user {id}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::memory_db;

    fn new_user(name: &str) -> NewUser<'_> {
        NewUser {
            username: name,
            display_name: "Someone",
            role: Role::Rep,
            password_hash: "$argon2id$fake",
        }
    }

    #[tokio::test]
    async fn create_get_list_disable() {
        let db = memory_db().await;
        let u = create(&db, &new_user("alice")).await.unwrap();
        assert_eq!(get(&db, u.id).await.unwrap().unwrap(), u);
        assert_eq!(get_by_username(&db, "alice").await.unwrap().unwrap(), u);
        let creds = credentials(&db, "alice").await.unwrap().unwrap();
        assert_eq!(creds.password_hash, "$argon2id$fake");
        assert_eq!(count(&db).await.unwrap(), 1);
        let disabled = set_disabled(&db, "alice", true).await.unwrap();
        assert!(disabled.disabled);
        assert_eq!(list(&db).await.unwrap(), vec![disabled]);
        assert!(matches!(
            set_disabled(&db, "nobody", true).await,
            Err(DbError::NotFound(_))
        ));
    }

    #[tokio::test]
    async fn duplicate_username_is_reported() {
        let db = memory_db().await;
        create(&db, &new_user("bob")).await.unwrap();
        assert!(matches!(
            create(&db, &new_user("bob")).await,
            Err(DbError::Duplicate(_))
        ));
    }
}

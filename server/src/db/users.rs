//! Users: identity, role (its built-in kind and the administered role), department, password
//! hash, disabled flag; and the back office's filtered user list.

use fieldcrm_core::{DepartmentId, Role, RoleId, UserId};
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
    /// The built-in kind of the user's role (drives the device sync policy and territory scope).
    pub role: Role,
    /// The administered role (permissions, data scope); `None` only before startup backfilled it.
    pub role_id: Option<RoleId>,
    /// The department the user belongs to.
    pub department_id: Option<DepartmentId>,
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

const COLUMNS: &str =
    "id, username, display_name, role, role_id, department_id, disabled, created_at";

fn user_from_row(row: &AnyRow) -> Result<User, DbError> {
    let id: String = row.try_get("id")?;
    let role: String = row.try_get("role")?;
    let role_id: Option<String> = row.try_get("role_id")?;
    let department: Option<String> = row.try_get("department_id")?;
    Ok(User {
        id: UserId::parse(&id).map_err(|e| DbError::corrupt("users", e))?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        role: role.parse().map_err(|e| DbError::corrupt("users", e))?,
        role_id: role_id
            .map(|r| RoleId::parse(&r))
            .transpose()
            .map_err(|e| DbError::corrupt("users", e))?,
        department_id: department
            .map(|d| DepartmentId::parse(&d))
            .transpose()
            .map_err(|e| DbError::corrupt("users", e))?,
        disabled: flag(row.try_get("disabled")?),
        created_at: row.try_get("created_at")?,
    })
}

/// Creates a user with the system role of `new.role`'s kind and no department. A taken
/// username is [`DbError::Duplicate`].
pub async fn create(db: &Db, new: &NewUser<'_>) -> Result<User, DbError> {
    create_in_org(db, new, None, None).await
}

/// Creates a user with role `role_id` (whose kind must be `new.role`; `None`: the system role
/// of that kind) in `department`. A taken username is [`DbError::Duplicate`].
pub async fn create_in_org(
    db: &Db,
    new: &NewUser<'_>,
    role_id: Option<RoleId>,
    department: Option<DepartmentId>,
) -> Result<User, DbError> {
    let id = UserId::new();
    let created_at = now_ms();
    sqlx::query(
        "INSERT INTO users (id, username, display_name, role, password_hash, disabled, created_at, \
                            role_id, department_id) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, \
                 COALESCE($7, (SELECT r.id FROM roles r WHERE r.system = 1 AND r.kind = $4)), $8)",
    )
    .bind(id.to_string())
    .bind(new.username)
    .bind(new.display_name)
    .bind(new.role.as_str())
    .bind(new.password_hash)
    .bind(created_at)
    .bind(role_id.map(|r| r.to_string()))
    .bind(department.map(|d| d.to_string()))
    .execute(db.pool())
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(ref d) if d.is_foreign_key_violation() => {
            DbError::NotFound("role or department".to_owned())
        }
        e => DbError::unique(e, format!("user {:?}", new.username)),
    })?;
    get(db, id)
        .await?
        .ok_or_else(|| DbError::NotFound(format!("user {id}")))
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

/// Gives a user the role `role` (and its kind).
pub async fn set_role(db: &Db, id: UserId, role: &super::roles::RoleRecord) -> Result<(), DbError> {
    let done = sqlx::query("UPDATE users SET role_id = $1, role = $2 WHERE id = $3")
        .bind(role.id.to_string())
        .bind(role.kind.as_str())
        .bind(id.to_string())
        .execute(db.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound(format!("user {id}")));
    }
    Ok(())
}

/// What administration may change of a user (besides password, disabled flag, territories).
#[derive(Clone, Debug)]
pub struct Profile<'a> {
    /// The name shown in the apps.
    pub display_name: &'a str,
    /// The role.
    pub role: &'a super::roles::RoleRecord,
    /// The department, if any.
    pub department: Option<DepartmentId>,
}

/// Updates display name, role (and kind) and department.
pub async fn update_profile(db: &Db, id: UserId, profile: &Profile<'_>) -> Result<User, DbError> {
    let done = sqlx::query(
        "UPDATE users SET display_name = $1, role_id = $2, role = $3, department_id = $4 \
         WHERE id = $5",
    )
    .bind(profile.display_name)
    .bind(profile.role.id.to_string())
    .bind(profile.role.kind.as_str())
    .bind(profile.department.map(|d| d.to_string()))
    .bind(id.to_string())
    .execute(db.pool())
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(ref d) if d.is_foreign_key_violation() => {
            DbError::NotFound("role or department".to_owned())
        }
        e => DbError::Sqlx(e),
    })?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound(format!("user {id}")));
    }
    get(db, id)
        .await?
        .ok_or_else(|| DbError::NotFound(format!("user {id}")))
}

/// Disables or re-enables a user by id. A disabled user's web sessions are deleted and their
/// refresh tokens revoked in the same transaction (their devices are refused at the next
/// request or sync connection).
pub async fn set_disabled_by_id(db: &Db, id: UserId, disabled: bool) -> Result<User, DbError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
        .bind(i64::from(disabled))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::NotFound(format!("user {id}")));
    }
    if disabled {
        sqlx::query("DELETE FROM web_sessions WHERE user_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    get(db, id)
        .await?
        .ok_or_else(|| DbError::NotFound(format!("user {id}")))
}

/// Which users [`search`] returns.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// Free text: part of the username or display name (case-insensitive).
    pub query: Option<String>,
    /// Only users of this role.
    pub role: Option<RoleId>,
    /// Only users of this department (not its subdepartments).
    pub department: Option<DepartmentId>,
    /// Only disabled (`Some(true)`) or enabled (`Some(false)`) users.
    pub disabled: Option<bool>,
    /// Rows to skip.
    pub offset: i64,
    /// Rows per page.
    pub limit: i64,
}

/// A user as listed in administration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRow {
    /// The user.
    pub user: User,
    /// The role's name (empty if none).
    pub role_name: String,
    /// Whether the role is a system role (its name is then the kind).
    pub role_system: bool,
    /// The department's name (empty if none).
    pub department: String,
}

/// Users matching `filter`, by username, one page, with the total count.
pub async fn search(db: &Db, filter: &UserFilter) -> Result<(Vec<UserRow>, i64), DbError> {
    let pattern = filter
        .query
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| {
            let mut p = String::from("%");
            for ch in q.to_lowercase().chars() {
                if matches!(ch, '%' | '_' | '\\') {
                    p.push('\\');
                }
                p.push(ch);
            }
            p.push('%');
            p
        });
    const CONDITIONS: &str = "($1 IS NULL OR LOWER(u.username) LIKE $1 ESCAPE '\\' \
                          OR LOWER(u.display_name) LIKE $1 ESCAPE '\\') \
                      AND ($2 IS NULL OR u.role_id = $2) \
                      AND ($3 IS NULL OR u.department_id = $3) \
                      AND ($4 IS NULL OR u.disabled = $4)";
    let role = filter.role.map(|r| r.to_string());
    let department = filter.department.map(|d| d.to_string());
    let disabled = filter.disabled.map(i64::from);
    let total: i64 = sqlx::query(&format!(
        "SELECT COUNT(*) AS n FROM users u WHERE {CONDITIONS}"
    ))
    .bind(pattern.clone())
    .bind(role.clone())
    .bind(department.clone())
    .bind(disabled)
    .fetch_one(db.pool())
    .await?
    .try_get("n")?;
    let rows = sqlx::query(&format!(
        "SELECT u.id, u.username, u.display_name, u.role, u.role_id, u.department_id, \
                u.disabled, u.created_at, r.name AS role_name, r.system AS role_system, \
                d.name AS department_name \
         FROM users u LEFT JOIN roles r ON r.id = u.role_id \
         LEFT JOIN departments d ON d.id = u.department_id \
         WHERE {CONDITIONS} ORDER BY u.username LIMIT $5 OFFSET $6"
    ))
    .bind(pattern)
    .bind(role)
    .bind(department)
    .bind(disabled)
    .bind(filter.limit.clamp(1, 500))
    .bind(filter.offset.max(0))
    .fetch_all(db.pool())
    .await?;
    let rows = rows
        .iter()
        .map(|row| {
            Ok(UserRow {
                user: user_from_row(row)?,
                role_name: row
                    .try_get::<Option<String>, _>("role_name")?
                    .unwrap_or_default(),
                role_system: row
                    .try_get::<Option<i64>, _>("role_system")?
                    .is_some_and(flag),
                department: row
                    .try_get::<Option<String>, _>("department_name")?
                    .unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok((rows, total))
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

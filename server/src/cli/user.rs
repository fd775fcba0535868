//! `fieldcrm user add|list|disable`: user administration over the storage layer, audited.

use fieldcrm_core::Role;
use serde::Serialize;

use super::CliError;
use crate::auth::password;
use crate::db::audit::{self, AuditEntry};
use crate::db::territories;
use crate::db::users::{self, NewUser, User};
use crate::db::{Db, DbError};

/// What `user add` creates.
#[derive(Clone, Debug)]
pub struct AddUser {
    /// Login name: 1–64 characters, no whitespace.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Display name (default: the username).
    pub display_name: Option<String>,
    /// The password (non-empty).
    pub password: String,
    /// Names of the territories to assign.
    pub territories: Vec<String>,
}

/// A user as listed, with their territory names.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct UserListing {
    /// The id.
    pub id: String,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Whether disabled.
    pub disabled: bool,
    /// Assigned territory names, sorted.
    pub territories: Vec<String>,
}

fn validate_username(username: &str) -> Result<(), CliError> {
    if username.is_empty() || username.chars().count() > 64 {
        return Err(CliError::InvalidInput(
            "username must be 1 to 64 characters".into(),
        ));
    }
    if username
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(CliError::InvalidInput(
            "username must not contain whitespace".into(),
        ));
    }
    Ok(())
}

/// Creates a user, assigns their territories (which must exist) and audits it.
pub async fn add_user(db: &Db, new: &AddUser) -> Result<User, CliError> {
    validate_username(&new.username)?;
    if new.password.is_empty() {
        return Err(CliError::InvalidInput("password must not be empty".into()));
    }
    let mut territory_ids = Vec::new();
    for name in &new.territories {
        let territory = territories::get_by_name(db, name)
            .await?
            .ok_or_else(|| CliError::NotFound(format!("territory {name:?}")))?;
        territory_ids.push(territory.id);
    }
    let hash = password::hash_password_blocking(new.password.clone()).await?;
    let display_name = new
        .display_name
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .unwrap_or(&new.username);
    let user = users::create(
        db,
        &NewUser {
            username: &new.username,
            display_name,
            role: new.role,
            password_hash: &hash,
        },
    )
    .await?;
    for id in territory_ids {
        territories::assign_user(db, user.id, id).await?;
    }
    let mut entry = AuditEntry::new("user.create");
    entry.verdict = Some("ok".into());
    entry.detail = serde_json::json!({
        "user_id": user.id.to_string(),
        "username": user.username,
        "role": user.role,
        "territories": new.territories,
        "via": "cli",
    });
    audit::record(db, &entry).await?;
    Ok(user)
}

/// Every user with their territory names, by username.
pub async fn list_users(db: &Db) -> Result<Vec<UserListing>, CliError> {
    let names: std::collections::HashMap<_, _> = territories::list(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let mut out = Vec::new();
    for user in users::list(db).await? {
        let mut territories: Vec<String> = territories::user_territories(db, user.id)
            .await?
            .iter()
            .filter_map(|id| names.get(id).cloned())
            .collect();
        territories.sort();
        out.push(UserListing {
            id: user.id.to_string(),
            username: user.username,
            display_name: user.display_name,
            role: user.role,
            disabled: user.disabled,
            territories,
        });
    }
    Ok(out)
}

/// A plain-text table of users.
pub fn render_users(users: &[UserListing]) -> String {
    let territories: Vec<String> = users
        .iter()
        .map(|u| {
            if u.territories.is_empty() {
                "-".to_owned()
            } else {
                u.territories.join(",")
            }
        })
        .collect();
    // Pad by display width: CJK characters take two columns.
    let columns = |s: &str| {
        s.chars()
            .map(|c| if c.is_ascii() { 1 } else { 2 })
            .sum::<usize>()
    };
    let t_width = territories
        .iter()
        .map(|t| columns(t))
        .max()
        .unwrap_or(0)
        .max("TERRITORIES".len());
    let width = users
        .iter()
        .map(|u| columns(&u.username))
        .max()
        .unwrap_or(0)
        .max("USERNAME".len());
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(columns(s))));
    let mut out = format!(
        "{}  {:<8}  {:<8}  {}  NAME\n",
        pad("USERNAME", width),
        "ROLE",
        "STATUS",
        pad("TERRITORIES", t_width)
    );
    for (u, t) in users.iter().zip(&territories) {
        let status = if u.disabled { "disabled" } else { "active" };
        out.push_str(&format!(
            "{}  {:<8}  {:<8}  {}  {}\n",
            pad(&u.username, width),
            u.role.as_str(),
            status,
            pad(t, t_width),
            u.display_name
        ));
    }
    out
}

/// JSON for `user list --json`.
pub fn users_json(users: &[UserListing]) -> Result<String, CliError> {
    serde_json::to_string_pretty(users).map_err(|e| CliError::Render(e.to_string()))
}

/// Disables a user by username and audits it.
pub async fn disable_user(db: &Db, username: &str) -> Result<User, CliError> {
    let user = users::set_disabled(db, username, true)
        .await
        .map_err(|e| match e {
            DbError::NotFound(what) => CliError::NotFound(what),
            e => CliError::Db(e),
        })?;
    let mut entry = AuditEntry::new("user.disable");
    entry.verdict = Some("ok".into());
    entry.detail = serde_json::json!({
        "user_id": user.id.to_string(),
        "username": user.username,
        "via": "cli",
    });
    audit::record(db, &entry).await?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::memory_db;

    #[tokio::test]
    async fn add_list_disable() {
        let db = memory_db().await;
        territories::create(&db, "上海", None).await.unwrap();
        let add = AddUser {
            username: "rep.x".into(),
            role: Role::Rep,
            display_name: None,
            password: "pw".into(),
            territories: vec!["上海".into()],
        };
        let user = add_user(&db, &add).await.unwrap();
        assert_eq!(user.display_name, "rep.x");
        assert!(matches!(
            add_user(&db, &add).await,
            Err(CliError::Db(DbError::Duplicate(_)))
        ));
        let bad_territory = AddUser {
            username: "rep.y".into(),
            territories: vec!["火星".into()],
            ..add.clone()
        };
        assert!(matches!(
            add_user(&db, &bad_territory).await,
            Err(CliError::NotFound(_))
        ));
        let bad_name = AddUser {
            username: "has space".into(),
            ..add.clone()
        };
        assert!(matches!(
            add_user(&db, &bad_name).await,
            Err(CliError::InvalidInput(_))
        ));

        let listed = list_users(&db).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].territories, ["上海"]);
        assert!(render_users(&listed).contains("rep.x"));
        assert!(users_json(&listed).unwrap().contains("\"role\": \"rep\""));

        assert!(disable_user(&db, "rep.x").await.unwrap().disabled);
        assert!(matches!(
            disable_user(&db, "ghost").await,
            Err(CliError::NotFound(_))
        ));
        let log = audit::list(&db, &audit::AuditFilter::default())
            .await
            .unwrap();
        assert_eq!(log[0].entry.action, "user.disable");
        assert_eq!(log[1].entry.action, "user.create");
    }
}

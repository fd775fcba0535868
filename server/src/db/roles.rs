//! Roles: named sets of [`Permission`]s with a [`DataScope`], each based on a built-in kind
//! ([`Role`]: admin, manager, office, rep, engineer, partner) that still drives the device sync
//! policy. One *system* role per kind is created at startup ([`ensure_system_roles`]) with
//! [`default_permissions`]; users without a role get the system role of their kind.

use std::collections::{BTreeSet, HashMap};

use fieldcrm_core::{Role, RoleId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, DbError, flag, now_ms};
use crate::auth::permissions::{DataScope, Permission, default_permissions};

/// A stored role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleRecord {
    /// The role's id.
    pub id: RoleId,
    /// Unique name. System roles are named after their kind (`admin`, `rep`, …).
    pub name: String,
    /// The built-in kind it is based on (device sync policy, territory scope).
    pub kind: Role,
    /// What its users may do.
    pub permissions: BTreeSet<Permission>,
    /// Whose records its users see.
    pub data_scope: DataScope,
    /// Largest discount on an order line, basis points; `None`: the default of the kind.
    pub max_discount_bp: Option<i64>,
    /// The one role per kind created at startup: not deletable, kind fixed.
    pub system: bool,
    /// Creation time, unix ms.
    pub created_at: i64,
    /// Last change, unix ms.
    pub updated_at: i64,
}

impl RoleRecord {
    /// Whether the role grants `p`.
    pub fn has(&self, p: Permission) -> bool {
        self.permissions.contains(&p)
    }

    /// The system admin role keeps every permission and sees everything: administration cannot
    /// lock itself out.
    pub fn is_locked(&self) -> bool {
        self.system && self.kind == Role::Admin
    }
}

/// What a role is made of, to create or update one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleSpec {
    /// Unique name (trimmed, non-empty).
    pub name: String,
    /// Built-in kind (ignored on update of a system role).
    pub kind: Role,
    /// Permissions.
    pub permissions: BTreeSet<Permission>,
    /// Data scope.
    pub data_scope: DataScope,
    /// Largest discount on an order line, basis points; `None`: the default of the kind.
    pub max_discount_bp: Option<i64>,
}

const COLUMNS: &str = "id, name, kind, data_scope, system, created_at, updated_at, max_discount_bp";

fn role_from_row(row: &AnyRow, permissions: BTreeSet<Permission>) -> Result<RoleRecord, DbError> {
    let id: String = row.try_get("id")?;
    let kind: String = row.try_get("kind")?;
    let scope: String = row.try_get("data_scope")?;
    Ok(RoleRecord {
        id: RoleId::parse(&id).map_err(|e| DbError::corrupt("roles", e))?,
        name: row.try_get("name")?,
        kind: kind.parse().map_err(|e| DbError::corrupt("roles", e))?,
        permissions,
        data_scope: DataScope::parse(&scope)
            .ok_or_else(|| DbError::corrupt("roles", format!("data scope {scope:?}")))?,
        max_discount_bp: row.try_get("max_discount_bp")?,
        system: flag(row.try_get("system")?),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The permissions of every role. Names the code no longer knows are skipped.
async fn all_permissions(db: &Db) -> Result<HashMap<RoleId, BTreeSet<Permission>>, DbError> {
    let rows = sqlx::query("SELECT role_id, permission FROM role_permissions")
        .fetch_all(db.pool())
        .await?;
    let mut out: HashMap<RoleId, BTreeSet<Permission>> = HashMap::new();
    for row in rows {
        let id: String = row.try_get("role_id")?;
        let id = RoleId::parse(&id).map_err(|e| DbError::corrupt("role_permissions", e))?;
        let name: String = row.try_get("permission")?;
        if let Some(p) = Permission::parse(&name) {
            out.entry(id).or_default().insert(p);
        }
    }
    Ok(out)
}

async fn permissions_of(db: &Db, id: RoleId) -> Result<BTreeSet<Permission>, DbError> {
    let rows = sqlx::query("SELECT permission FROM role_permissions WHERE role_id = $1")
        .bind(id.to_string())
        .fetch_all(db.pool())
        .await?;
    let mut out = BTreeSet::new();
    for row in rows {
        let name: String = row.try_get("permission")?;
        if let Some(p) = Permission::parse(&name) {
            out.insert(p);
        }
    }
    Ok(out)
}

/// Every role: system roles first (by kind), then the others by name.
pub async fn list(db: &Db) -> Result<Vec<RoleRecord>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM roles ORDER BY system DESC, name"
    ))
    .fetch_all(db.pool())
    .await?;
    let mut perms = all_permissions(db).await?;
    let mut out = rows
        .iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            let set = RoleId::parse(&id)
                .ok()
                .and_then(|id| perms.remove(&id))
                .unwrap_or_default();
            role_from_row(row, set)
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    out.sort_by_key(|r| {
        (
            !r.system,
            if r.system {
                Role::ALL.iter().position(|k| *k == r.kind).unwrap_or(0)
            } else {
                0
            },
            r.name.clone(),
        )
    });
    Ok(out)
}

/// The role with this id.
pub async fn get(db: &Db, id: RoleId) -> Result<Option<RoleRecord>, DbError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM roles WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
    match row {
        Some(row) => Ok(Some(role_from_row(&row, permissions_of(db, id).await?)?)),
        None => Ok(None),
    }
}

/// The system role of `kind`.
pub async fn system_role(db: &Db, kind: Role) -> Result<Option<RoleRecord>, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM roles WHERE system = 1 AND kind = $1"
    ))
    .bind(kind.as_str())
    .fetch_optional(db.pool())
    .await?;
    match row {
        Some(row) => {
            let id: String = row.try_get("id")?;
            let id = RoleId::parse(&id).map_err(|e| DbError::corrupt("roles", e))?;
            Ok(Some(role_from_row(&row, permissions_of(db, id).await?)?))
        }
        None => Ok(None),
    }
}

/// The role a user acts with: their `role_id`, else the system role of their kind. `None` only
/// if neither exists (before [`ensure_system_roles`] ran).
pub async fn effective(
    db: &Db,
    role_id: Option<RoleId>,
    kind: Role,
) -> Result<Option<RoleRecord>, DbError> {
    if let Some(id) = role_id
        && let Some(role) = get(db, id).await?
    {
        return Ok(Some(role));
    }
    system_role(db, kind).await
}

/// How many users have each role.
pub async fn user_counts(db: &Db) -> Result<HashMap<RoleId, i64>, DbError> {
    let rows = sqlx::query(
        "SELECT role_id, COUNT(*) AS n FROM users WHERE role_id IS NOT NULL GROUP BY role_id",
    )
    .fetch_all(db.pool())
    .await?;
    let mut out = HashMap::new();
    for row in rows {
        let id: String = row.try_get("role_id")?;
        let id = RoleId::parse(&id).map_err(|e| DbError::corrupt("users", e))?;
        out.insert(id, row.try_get("n")?);
    }
    Ok(out)
}

async fn insert_role(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: RoleId,
    spec: &RoleSpec,
    system: bool,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO roles (id, name, kind, data_scope, system, created_at, updated_at, max_discount_bp) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
    )
    .bind(id.to_string())
    .bind(&spec.name)
    .bind(spec.kind.as_str())
    .bind(spec.data_scope.as_str())
    .bind(i64::from(system))
    .bind(now)
    .bind(spec.max_discount_bp)
    .execute(&mut **tx)
    .await
    .map_err(|e| DbError::unique(e, format!("role {:?}", spec.name)))?;
    write_permissions(tx, id, &spec.permissions).await
}

async fn write_permissions(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: RoleId,
    permissions: &BTreeSet<Permission>,
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM role_permissions WHERE role_id = $1")
        .bind(id.to_string())
        .execute(&mut **tx)
        .await?;
    for p in permissions {
        sqlx::query("INSERT INTO role_permissions (role_id, permission) VALUES ($1, $2)")
            .bind(id.to_string())
            .bind(p.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Creates the missing system roles (one per kind, named after it, with
/// [`default_permissions`] and data scope *all*), gives the system admin role any permission
/// it lacks (new permissions reach administrators), and sets the role of users that have none
/// to the system role of their kind. Idempotent; runs after the migrations.
pub async fn ensure_system_roles(db: &Db) -> Result<(), DbError> {
    let now = now_ms();
    let known: BTreeSet<String> = sqlx::query_scalar("SELECT name FROM known_permissions")
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .collect();
    for kind in Role::ALL {
        let existing = system_role(db, kind).await?;
        let mut tx = db.begin_write().await?;
        match existing {
            None => {
                let spec = RoleSpec {
                    name: kind.as_str().to_owned(),
                    kind,
                    permissions: default_permissions(kind).iter().copied().collect(),
                    data_scope: DataScope::All,
                    max_discount_bp: None,
                };
                insert_role(&mut tx, RoleId::new(), &spec, true, now).await?;
            }
            Some(role) if role.is_locked() => {
                let all: BTreeSet<Permission> = Permission::ALL.into_iter().collect();
                if role.permissions != all || role.data_scope != DataScope::All {
                    write_permissions(&mut tx, role.id, &all).await?;
                    sqlx::query("UPDATE roles SET data_scope = 'all' WHERE id = $1")
                        .bind(role.id.to_string())
                        .execute(&mut *tx)
                        .await?;
                }
            }
            Some(role) => {
                // Permissions introduced since this role was last brought up to date.
                let mut granted = role.permissions.clone();
                for p in default_permissions(kind) {
                    if !known.contains(p.as_str()) {
                        granted.insert(*p);
                    }
                }
                if granted != role.permissions {
                    write_permissions(&mut tx, role.id, &granted).await?;
                }
            }
        }
        sqlx::query(
            "UPDATE users SET role_id = (SELECT r.id FROM roles r \
                 WHERE r.system = 1 AND r.kind = $1) \
             WHERE role_id IS NULL AND role = $1",
        )
        .bind(kind.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    for p in Permission::ALL {
        if !known.contains(p.as_str()) {
            sqlx::query(
                "INSERT INTO known_permissions (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
            )
            .bind(p.as_str())
            .execute(db.pool())
            .await?;
        }
    }
    Ok(())
}

/// Creates a (non-system) role. A taken name is [`DbError::Duplicate`].
pub async fn create(db: &Db, spec: &RoleSpec) -> Result<RoleRecord, DbError> {
    let id = RoleId::new();
    let mut tx = db.begin_write().await?;
    insert_role(&mut tx, id, spec, false, now_ms()).await?;
    tx.commit().await?;
    get(db, id)
        .await?
        .ok_or_else(|| DbError::NotFound(format!("role {id}")))
}

/// Why a role change was refused.
#[derive(Debug, thiserror::Error)]
pub enum RoleChangeError {
    /// The system admin role keeps every permission and the scope *all*.
    #[error("the system administrator role cannot be changed")]
    Locked,
    /// A system role keeps its kind and cannot be deleted.
    #[error("a system role keeps its kind and cannot be deleted")]
    System,
    /// Users still have the role.
    #[error("the role still has users")]
    InUse,
    /// Storage failed (including a duplicate name or an unknown role).
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for RoleChangeError {
    fn from(e: sqlx::Error) -> Self {
        RoleChangeError::Db(DbError::Sqlx(e))
    }
}

/// Updates a role; returns it before and after. A changed kind is copied to every user of the
/// role in the same transaction (their devices follow the new kind's sync policy).
pub async fn update(
    db: &Db,
    id: RoleId,
    spec: &RoleSpec,
) -> Result<(RoleRecord, RoleRecord), RoleChangeError> {
    let before = get(db, id)
        .await?
        .ok_or_else(|| DbError::NotFound(format!("role {id}")))?;
    if before.is_locked()
        && (spec.permissions != before.permissions || spec.data_scope != before.data_scope)
    {
        return Err(RoleChangeError::Locked);
    }
    if before.system && spec.kind != before.kind {
        return Err(RoleChangeError::System);
    }
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE roles SET name = $1, kind = $2, data_scope = $3, updated_at = $4, max_discount_bp = $6 \
         WHERE id = $5",
    )
    .bind(&spec.name)
    .bind(spec.kind.as_str())
    .bind(spec.data_scope.as_str())
    .bind(now_ms())
    .bind(id.to_string())
    .bind(spec.max_discount_bp)
    .execute(&mut *tx)
    .await
    .map_err(|e| DbError::unique(e, format!("role {:?}", spec.name)))?;
    write_permissions(&mut tx, id, &spec.permissions).await?;
    if spec.kind != before.kind {
        sqlx::query("UPDATE users SET role = $1 WHERE role_id = $2")
            .bind(spec.kind.as_str())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    let after = get(db, id)
        .await?
        .ok_or_else(|| DbError::NotFound(format!("role {id}")))?;
    Ok((before, after))
}

/// Deletes a role no user has. System roles cannot be deleted.
pub async fn delete(db: &Db, id: RoleId) -> Result<RoleRecord, RoleChangeError> {
    let role = get(db, id)
        .await?
        .ok_or_else(|| DbError::NotFound(format!("role {id}")))?;
    if role.system {
        return Err(RoleChangeError::System);
    }
    let mut tx = db.begin_write().await?;
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role_id = $1")
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
    if n > 0 {
        return Err(RoleChangeError::InUse);
    }
    sqlx::query("DELETE FROM role_permissions WHERE role_id = $1")
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM roles WHERE id = $1")
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(role)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::memory_db;
    use crate::db::users::{self, NewUser};

    #[tokio::test]
    async fn system_roles_are_seeded_with_the_defaults() {
        let db = memory_db().await;
        let roles = list(&db).await.unwrap();
        assert_eq!(roles.len(), Role::ALL.len());
        for (role, kind) in roles.iter().zip(Role::ALL) {
            assert!(role.system);
            assert_eq!(role.kind, kind);
            assert_eq!(role.name, kind.as_str());
            assert_eq!(role.data_scope, DataScope::All);
            let expected: BTreeSet<_> = default_permissions(kind).iter().copied().collect();
            assert_eq!(role.permissions, expected, "{kind}");
        }
        // Idempotent.
        ensure_system_roles(&db).await.unwrap();
        assert_eq!(list(&db).await.unwrap(), roles);
    }

    #[tokio::test]
    async fn users_get_their_kinds_system_role_and_follow_kind_changes() {
        let db = memory_db().await;
        let u = users::create(
            &db,
            &NewUser {
                username: "r",
                display_name: "R",
                role: Role::Rep,
                password_hash: "x",
            },
        )
        .await
        .unwrap();
        let rep_role = system_role(&db, Role::Rep).await.unwrap().unwrap();
        assert_eq!(u.role_id, Some(rep_role.id));
        assert_eq!(
            effective(&db, None, Role::Rep).await.unwrap().unwrap().id,
            rep_role.id
        );

        let custom = create(
            &db,
            &RoleSpec {
                name: "区域销售 Field".into(),
                kind: Role::Rep,
                permissions: [Permission::CustomersView].into(),
                data_scope: DataScope::Own,
                max_discount_bp: None,
            },
        )
        .await
        .unwrap();
        assert!(!custom.system);
        assert!(matches!(
            create(
                &db,
                &RoleSpec {
                    name: "区域销售 Field".into(),
                    ..RoleSpec {
                        name: String::new(),
                        kind: Role::Rep,
                        permissions: BTreeSet::new(),
                        data_scope: DataScope::All,
                        max_discount_bp: None,
                    }
                }
            )
            .await,
            Err(DbError::Duplicate(_))
        ));
        users::set_role(&db, u.id, &custom).await.unwrap();
        let (before, after) = update(
            &db,
            custom.id,
            &RoleSpec {
                name: "Field office".into(),
                kind: Role::Office,
                permissions: [Permission::CustomersView, Permission::CustomersExport].into(),
                data_scope: DataScope::Department,
                max_discount_bp: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(before, custom);
        assert_eq!(after.kind, Role::Office);
        assert!(after.has(Permission::CustomersExport));
        // The user's kind followed.
        assert_eq!(
            users::get(&db, u.id).await.unwrap().unwrap().role,
            Role::Office
        );
        assert!(matches!(
            delete(&db, custom.id).await,
            Err(RoleChangeError::InUse)
        ));
        users::set_role(&db, u.id, &rep_role).await.unwrap();
        delete(&db, custom.id).await.unwrap();
        assert!(get(&db, custom.id).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn the_system_admin_role_is_locked_and_system_roles_keep_their_kind() {
        let db = memory_db().await;
        let admin = system_role(&db, Role::Admin).await.unwrap().unwrap();
        let mut spec = RoleSpec {
            name: admin.name.clone(),
            kind: Role::Admin,
            permissions: [Permission::CustomersView].into(),
            data_scope: DataScope::All,
            max_discount_bp: None,
        };
        assert!(matches!(
            update(&db, admin.id, &spec).await,
            Err(RoleChangeError::Locked)
        ));
        assert!(matches!(
            delete(&db, admin.id).await,
            Err(RoleChangeError::System)
        ));
        let rep = system_role(&db, Role::Rep).await.unwrap().unwrap();
        spec.name = rep.name.clone();
        spec.kind = Role::Office;
        assert!(matches!(
            update(&db, rep.id, &spec).await,
            Err(RoleChangeError::System)
        ));
        // A system role's permissions and scope may change.
        spec.kind = Role::Rep;
        spec.data_scope = DataScope::Own;
        let (_, after) = update(&db, rep.id, &spec).await.unwrap();
        assert_eq!(after.data_scope, DataScope::Own);
        assert_eq!(after.permissions, spec.permissions);
    }
}

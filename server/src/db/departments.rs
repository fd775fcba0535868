//! The department tree (create, rename, move without cycles, delete when empty) and the owner
//! part of a user's back-office data scope ([`owner_restriction`]): whose records a role with a
//! given [`DataScope`] sees.

use std::collections::HashMap;

use fieldcrm_core::{DepartmentId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::tree::{self, TreeError};
use super::{Db, DbError, now_ms};
use crate::auth::permissions::DataScope;

/// A node of the department tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Department {
    /// The department's id.
    pub id: DepartmentId,
    /// The unique name.
    pub name: String,
    /// The parent department; `None` for a root.
    pub parent_id: Option<DepartmentId>,
    /// Creation time, unix ms.
    pub created_at: i64,
}

fn department_from_row(row: &AnyRow) -> Result<Department, DbError> {
    let id: String = row.try_get("id")?;
    let parent: Option<String> = row.try_get("parent_id")?;
    Ok(Department {
        id: DepartmentId::parse(&id).map_err(|e| DbError::corrupt("departments", e))?,
        name: row.try_get("name")?,
        parent_id: parent
            .map(|p| DepartmentId::parse(&p))
            .transpose()
            .map_err(|e| DbError::corrupt("departments", e))?,
        created_at: row.try_get("created_at")?,
    })
}

/// Every department, by name.
pub async fn list(db: &Db) -> Result<Vec<Department>, DbError> {
    let rows = sqlx::query("SELECT id, name, parent_id, created_at FROM departments ORDER BY name")
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(department_from_row).collect()
}

/// The department with this id.
pub async fn get(db: &Db, id: DepartmentId) -> Result<Option<Department>, DbError> {
    let row = sqlx::query("SELECT id, name, parent_id, created_at FROM departments WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(department_from_row).transpose()
}

/// Creates a department under `parent` (or a root). A taken name is [`DbError::Duplicate`], an
/// unknown parent [`DbError::NotFound`].
pub async fn create(
    db: &Db,
    name: &str,
    parent: Option<DepartmentId>,
) -> Result<Department, DbError> {
    if let Some(p) = parent
        && get(db, p).await?.is_none()
    {
        return Err(DbError::NotFound(format!("department {p}")));
    }
    let department = Department {
        id: DepartmentId::new(),
        name: name.to_owned(),
        parent_id: parent,
        created_at: now_ms(),
    };
    sqlx::query(
        "INSERT INTO departments (id, name, parent_id, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(department.id.to_string())
    .bind(&department.name)
    .bind(parent.map(|p| p.to_string()))
    .bind(department.created_at)
    .execute(db.pool())
    .await
    .map_err(|e| DbError::unique(e, format!("department {name:?}")))?;
    Ok(department)
}

/// Renames and moves a department (a `parent` of `None` makes it a root). Moving it under
/// itself or a descendant is [`TreeError::Cycle`]. Returns it before and after.
pub async fn update(
    db: &Db,
    id: DepartmentId,
    name: &str,
    parent: Option<DepartmentId>,
) -> Result<(Department, Department), TreeError> {
    let all = list(db).await?;
    let before = all
        .iter()
        .find(|d| d.id == id)
        .cloned()
        .ok_or_else(|| DbError::NotFound(format!("department {id}")))?;
    if let Some(p) = parent
        && !all.iter().any(|d| d.id == p)
    {
        return Err(DbError::NotFound(format!("department {p}")).into());
    }
    let parents: HashMap<_, _> = all.iter().map(|d| (d.id, d.parent_id)).collect();
    if tree::would_cycle(&parents, id, parent) {
        return Err(TreeError::Cycle);
    }
    sqlx::query("UPDATE departments SET name = $1, parent_id = $2 WHERE id = $3")
        .bind(name)
        .bind(parent.map(|p| p.to_string()))
        .bind(id.to_string())
        .execute(db.pool())
        .await
        .map_err(|e| DbError::unique(e, format!("department {name:?}")))?;
    let after = Department {
        name: name.to_owned(),
        parent_id: parent,
        ..before.clone()
    };
    Ok((before, after))
}

/// Deletes a department without subdepartments or members.
pub async fn delete(db: &Db, id: DepartmentId) -> Result<Department, TreeError> {
    let department = get(db, id)
        .await?
        .ok_or_else(|| DbError::NotFound(format!("department {id}")))?;
    let mut tx = db.begin_write().await?;
    let children: i64 = sqlx::query("SELECT COUNT(*) AS n FROM departments WHERE parent_id = $1")
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
    let members: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE department_id = $1")
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
    if children > 0 || members > 0 {
        return Err(TreeError::NotEmpty);
    }
    sqlx::query("DELETE FROM departments WHERE id = $1")
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(department)
}

/// How many users each department has (directly).
pub async fn member_counts(db: &Db) -> Result<HashMap<DepartmentId, i64>, DbError> {
    let rows = sqlx::query(
        "SELECT department_id, COUNT(*) AS n FROM users \
         WHERE department_id IS NOT NULL GROUP BY department_id",
    )
    .fetch_all(db.pool())
    .await?;
    let mut out = HashMap::new();
    for row in rows {
        let id: String = row.try_get("department_id")?;
        let id = DepartmentId::parse(&id).map_err(|e| DbError::corrupt("users", e))?;
        out.insert(id, row.try_get("n")?);
    }
    Ok(out)
}

/// The owners whose records a user with `scope` sees in the back office, on top of the territory
/// scope: `None` = unrestricted (*all*); *self* = the user; *department* = the users of the
/// user's department; *department and below* = the users of its subtree. A user without a
/// department sees only their own records under a department scope.
pub async fn owner_restriction(
    db: &Db,
    user: UserId,
    department: Option<DepartmentId>,
    scope: DataScope,
) -> Result<Option<Vec<UserId>>, DbError> {
    let departments = match (scope, department) {
        (DataScope::All, _) => return Ok(None),
        (DataScope::Own, _) | (_, None) => return Ok(Some(vec![user])),
        (DataScope::Department, Some(d)) => vec![d],
        (DataScope::DepartmentTree, Some(d)) => {
            let parents: HashMap<_, _> = list(db)
                .await?
                .into_iter()
                .map(|d| (d.id, d.parent_id))
                .collect();
            tree::subtree(&parents, &[d]).into_iter().collect()
        }
    };
    let mut owners = vec![user];
    // In chunks, to stay far below any bind-parameter limit.
    for chunk in departments.chunks(500) {
        let sql = format!(
            "SELECT id FROM users WHERE department_id IN ({})",
            super::bind_list(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for d in chunk {
            q = q.bind(d.to_string());
        }
        for row in q.fetch_all(db.pool()).await? {
            let id: String = row.try_get("id")?;
            owners.push(UserId::parse(&id).map_err(|e| DbError::corrupt("users", e))?);
        }
    }
    owners.sort();
    owners.dedup();
    Ok(Some(owners))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::roles;
    use crate::db::test_support::memory_db;
    use crate::db::users::{self, NewUser, Profile};
    use fieldcrm_core::Role;

    async fn member(db: &Db, name: &str, department: Option<DepartmentId>) -> UserId {
        let u = users::create(
            db,
            &NewUser {
                username: name,
                display_name: name,
                role: Role::Rep,
                password_hash: "x",
            },
        )
        .await
        .unwrap();
        let role = roles::system_role(db, Role::Rep).await.unwrap().unwrap();
        users::update_profile(
            db,
            u.id,
            &Profile {
                display_name: name,
                role: &role,
                department,
            },
        )
        .await
        .unwrap();
        u.id
    }

    #[tokio::test]
    async fn tree_moves_without_cycles_and_deletes_only_empty_nodes() {
        let db = memory_db().await;
        let sales = create(&db, "销售部 Sales", None).await.unwrap();
        let east = create(&db, "华东销售 East", Some(sales.id)).await.unwrap();
        let sh = create(&db, "上海组 Shanghai", Some(east.id)).await.unwrap();
        assert!(matches!(
            create(&db, "销售部 Sales", None).await,
            Err(DbError::Duplicate(_))
        ));
        assert!(matches!(
            create(&db, "x", Some(DepartmentId::new())).await,
            Err(DbError::NotFound(_))
        ));
        assert!(matches!(
            update(&db, sales.id, "销售部 Sales", Some(sh.id)).await,
            Err(TreeError::Cycle)
        ));
        assert!(matches!(
            update(&db, sales.id, "销售部 Sales", Some(sales.id)).await,
            Err(TreeError::Cycle)
        ));
        let (before, after) = update(&db, sh.id, "上海一组", Some(sales.id))
            .await
            .unwrap();
        assert_eq!(before.parent_id, Some(east.id));
        assert_eq!(after.parent_id, Some(sales.id));
        assert_eq!(get(&db, sh.id).await.unwrap().unwrap(), after);

        member(&db, "m", Some(sh.id)).await;
        assert!(matches!(
            delete(&db, sales.id).await,
            Err(TreeError::NotEmpty)
        ));
        assert!(matches!(delete(&db, sh.id).await, Err(TreeError::NotEmpty)));
        delete(&db, east.id).await.unwrap();
        assert_eq!(list(&db).await.unwrap().len(), 2);
        assert_eq!(member_counts(&db).await.unwrap()[&sh.id], 1);
    }

    #[tokio::test]
    async fn owner_restriction_follows_the_scope() {
        let db = memory_db().await;
        let sales = create(&db, "Sales", None).await.unwrap();
        let east = create(&db, "East", Some(sales.id)).await.unwrap();
        let other = create(&db, "Other", None).await.unwrap();
        let boss = member(&db, "boss", Some(sales.id)).await;
        let peer = member(&db, "peer", Some(sales.id)).await;
        let below = member(&db, "below", Some(east.id)).await;
        let outsider = member(&db, "outsider", Some(other.id)).await;
        let loner = member(&db, "loner", None).await;
        let sorted = |mut v: Vec<UserId>| {
            v.sort();
            v
        };
        let r = |u, d, s| owner_restriction(&db, u, d, s);
        assert_eq!(r(boss, Some(sales.id), DataScope::All).await.unwrap(), None);
        assert_eq!(
            r(boss, Some(sales.id), DataScope::Own).await.unwrap(),
            Some(vec![boss])
        );
        assert_eq!(
            r(boss, Some(sales.id), DataScope::Department)
                .await
                .unwrap(),
            Some(sorted(vec![boss, peer]))
        );
        assert_eq!(
            r(boss, Some(sales.id), DataScope::DepartmentTree)
                .await
                .unwrap(),
            Some(sorted(vec![boss, peer, below]))
        );
        let tree = r(below, Some(east.id), DataScope::DepartmentTree)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(tree, vec![below]);
        assert!(!tree.contains(&outsider));
        assert_eq!(
            r(loner, None, DataScope::Department).await.unwrap(),
            Some(vec![loner])
        );
    }
}

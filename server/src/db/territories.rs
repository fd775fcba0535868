//! The territory tree (create, rename, move without cycles), users' territory assignments, and
//! the territory part of a user's data scope ([`scope_territories`]), which the sync endpoint
//! uses to decide what a device sees (a change of assignments or of the tree reaches devices at
//! their next catch-up: the sync session notices the changed scope and rescopes).

use std::collections::{BTreeSet, HashMap};

use fieldcrm_core::{Role, TerritoryId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::tree::{self, TreeError};
use super::{Db, DbError, now_ms};

/// A node of the territory tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Territory {
    /// The territory's id.
    pub id: TerritoryId,
    /// The unique name (e.g. `上海`).
    pub name: String,
    /// The parent node; `None` for a root.
    pub parent_id: Option<TerritoryId>,
    /// Creation time, unix milliseconds.
    pub created_at: i64,
}

/// Removes a territory from a user's assignments; returns whether it was assigned.
pub async fn unassign_user(db: &Db, user: UserId, territory: TerritoryId) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM user_territories WHERE user_id = $1 AND territory_id = $2")
        .bind(user.to_string())
        .bind(territory.to_string())
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The territories whose records a user may see, by role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeTerritories {
    /// Every territory (admin, office).
    All,
    /// Exactly these territories, sorted and without duplicates: a rep's assigned territories,
    /// or the union of the subtrees of a manager's assigned territories.
    Some(Vec<TerritoryId>),
    /// No territory (engineer, partner: their scope comes from assignments, not territories).
    None,
}

impl ScopeTerritories {
    /// Whether a record in `territory` is inside this scope.
    pub fn contains(&self, territory: TerritoryId) -> bool {
        match self {
            ScopeTerritories::All => true,
            ScopeTerritories::Some(ids) => ids.binary_search(&territory).is_ok(),
            ScopeTerritories::None => false,
        }
    }

    /// The stored text form: `all`, `none`, or sorted comma-separated ids.
    pub fn to_text(&self) -> String {
        match self {
            ScopeTerritories::All => "all".to_owned(),
            ScopeTerritories::None => "none".to_owned(),
            ScopeTerritories::Some(ids) => ids
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    /// Parses [`ScopeTerritories::to_text`]; `None` for text that is not a scope.
    pub fn from_text(text: &str) -> Option<ScopeTerritories> {
        match text {
            "all" => Some(ScopeTerritories::All),
            "none" | "" => Some(ScopeTerritories::None),
            list => {
                let mut ids: Vec<TerritoryId> = list
                    .split(',')
                    .map(TerritoryId::parse)
                    .collect::<Result<_, _>>()
                    .ok()?;
                ids.sort_unstable();
                ids.dedup();
                Some(ScopeTerritories::Some(ids))
            }
        }
    }

    /// Whether this scope contains no territory at all.
    pub fn is_empty(&self) -> bool {
        match self {
            ScopeTerritories::All => false,
            ScopeTerritories::Some(ids) => ids.is_empty(),
            ScopeTerritories::None => true,
        }
    }
}

fn territory_from_row(row: &AnyRow) -> Result<Territory, DbError> {
    let id: String = row.try_get("id")?;
    let parent: Option<String> = row.try_get("parent_id")?;
    Ok(Territory {
        id: TerritoryId::parse(&id).map_err(|e| DbError::corrupt("territories", e))?,
        name: row.try_get("name")?,
        parent_id: parent
            .map(|p| TerritoryId::parse(&p))
            .transpose()
            .map_err(|e| DbError::corrupt("territories", e))?,
        created_at: row.try_get("created_at")?,
    })
}

/// Creates a territory under `parent` (or a root). A taken name is [`DbError::Duplicate`], an
/// unknown parent [`DbError::NotFound`].
pub async fn create(
    db: &Db,
    name: &str,
    parent: Option<TerritoryId>,
) -> Result<Territory, DbError> {
    if let Some(p) = parent
        && get(db, p).await?.is_none()
    {
        return Err(DbError::NotFound(format!("territory {p}")));
    }
    let territory = Territory {
        id: TerritoryId::new(),
        name: name.to_owned(),
        parent_id: parent,
        created_at: now_ms(),
    };
    sqlx::query(
        "INSERT INTO territories (id, name, parent_id, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(territory.id.to_string())
    .bind(&territory.name)
    .bind(parent.map(|p| p.to_string()))
    .bind(territory.created_at)
    .execute(db.pool())
    .await
    .map_err(|e| DbError::unique(e, format!("territory {name:?}")))?;
    Ok(territory)
}

/// Every territory, by name.
pub async fn list(db: &Db) -> Result<Vec<Territory>, DbError> {
    let rows = sqlx::query("SELECT id, name, parent_id, created_at FROM territories ORDER BY name")
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(territory_from_row).collect()
}

/// The territory with this name.
pub async fn get_by_name(db: &Db, name: &str) -> Result<Option<Territory>, DbError> {
    let row =
        sqlx::query("SELECT id, name, parent_id, created_at FROM territories WHERE name = $1")
            .bind(name)
            .fetch_optional(db.pool())
            .await?;
    row.as_ref().map(territory_from_row).transpose()
}

/// The territory with this id.
pub async fn get(db: &Db, id: TerritoryId) -> Result<Option<Territory>, DbError> {
    let row = sqlx::query("SELECT id, name, parent_id, created_at FROM territories WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(territory_from_row).transpose()
}

/// `root` and all its descendants, sorted. Empty if `root` does not exist.
pub async fn subtree(db: &Db, root: TerritoryId) -> Result<Vec<TerritoryId>, DbError> {
    let all = list(db).await?;
    Ok(subtrees_of(&all, &[root]).into_iter().collect())
}

/// The union of the subtrees of `roots` within `all` (cycle-safe).
fn subtrees_of(all: &[Territory], roots: &[TerritoryId]) -> BTreeSet<TerritoryId> {
    let mut children: HashMap<TerritoryId, Vec<TerritoryId>> = HashMap::new();
    for t in all {
        if let Some(parent) = t.parent_id {
            children.entry(parent).or_default().push(t.id);
        }
    }
    let mut out = BTreeSet::new();
    let mut stack: Vec<TerritoryId> = roots
        .iter()
        .copied()
        .filter(|r| all.iter().any(|t| t.id == *r))
        .collect();
    while let Some(id) = stack.pop() {
        if out.insert(id)
            && let Some(kids) = children.get(&id)
        {
            stack.extend(kids.iter().copied());
        }
    }
    out
}

/// Renames and moves a territory (a `parent` of `None` makes it a root). Moving it under itself
/// or a descendant is [`TreeError::Cycle`]. Returns it before and after.
pub async fn update(
    db: &Db,
    id: TerritoryId,
    name: &str,
    parent: Option<TerritoryId>,
) -> Result<(Territory, Territory), TreeError> {
    let all = list(db).await?;
    let before = all
        .iter()
        .find(|t| t.id == id)
        .cloned()
        .ok_or_else(|| DbError::NotFound(format!("territory {id}")))?;
    if let Some(p) = parent
        && !all.iter().any(|t| t.id == p)
    {
        return Err(DbError::NotFound(format!("territory {p}")).into());
    }
    let parents: HashMap<_, _> = all.iter().map(|t| (t.id, t.parent_id)).collect();
    if tree::would_cycle(&parents, id, parent) {
        return Err(TreeError::Cycle);
    }
    sqlx::query("UPDATE territories SET name = $1, parent_id = $2 WHERE id = $3")
        .bind(name)
        .bind(parent.map(|p| p.to_string()))
        .bind(id.to_string())
        .execute(db.pool())
        .await
        .map_err(|e| DbError::unique(e, format!("territory {name:?}")))?;
    let after = Territory {
        name: name.to_owned(),
        parent_id: parent,
        ..before.clone()
    };
    Ok((before, after))
}

/// Every assignment: (territory, user), for the territory administration page.
pub async fn assignments(db: &Db) -> Result<Vec<(TerritoryId, UserId)>, DbError> {
    let rows = sqlx::query("SELECT territory_id, user_id FROM user_territories")
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|row| {
            let t: String = row.try_get("territory_id")?;
            let u: String = row.try_get("user_id")?;
            Ok((
                TerritoryId::parse(&t).map_err(|e| DbError::corrupt("user_territories", e))?,
                UserId::parse(&u).map_err(|e| DbError::corrupt("user_territories", e))?,
            ))
        })
        .collect()
}

/// Replaces `user`'s territories with `territories`, in one transaction. Unknown territories are
/// [`DbError::NotFound`]. Returns the territories assigned before.
pub async fn set_user_territories(
    db: &Db,
    user: UserId,
    territories: &[TerritoryId],
) -> Result<Vec<TerritoryId>, DbError> {
    let before = user_territories(db, user).await?;
    let mut wanted: Vec<TerritoryId> = territories.to_vec();
    wanted.sort();
    wanted.dedup();
    let mut tx = db.begin_write().await?;
    sqlx::query("DELETE FROM user_territories WHERE user_id = $1")
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
    for t in &wanted {
        sqlx::query("INSERT INTO user_territories (user_id, territory_id) VALUES ($1, $2)")
            .bind(user.to_string())
            .bind(t.to_string())
            .execute(&mut *tx)
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(ref d) if d.is_foreign_key_violation() => {
                    DbError::NotFound(format!("user {user} or territory {t}"))
                }
                e => DbError::Sqlx(e),
            })?;
    }
    tx.commit().await?;
    Ok(before)
}

/// Assigns `territory` to `user` (idempotent).
pub async fn assign_user(db: &Db, user: UserId, territory: TerritoryId) -> Result<(), DbError> {
    let exists = sqlx::query(
        "SELECT COUNT(*) AS n FROM user_territories WHERE user_id = $1 AND territory_id = $2",
    )
    .bind(user.to_string())
    .bind(territory.to_string())
    .fetch_one(db.pool())
    .await?;
    if exists.try_get::<i64, _>("n")? > 0 {
        return Ok(());
    }
    sqlx::query("INSERT INTO user_territories (user_id, territory_id) VALUES ($1, $2)")
        .bind(user.to_string())
        .bind(territory.to_string())
        .execute(db.pool())
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(ref d) if d.is_foreign_key_violation() => {
                DbError::NotFound(format!("user {user} or territory {territory}"))
            }
            e => DbError::unique(e, "territory assignment"),
        })?;
    Ok(())
}

/// The territories assigned to `user` (not expanded), sorted.
pub async fn user_territories(db: &Db, user: UserId) -> Result<Vec<TerritoryId>, DbError> {
    let rows = sqlx::query(
        "SELECT territory_id FROM user_territories WHERE user_id = $1 ORDER BY territory_id",
    )
    .bind(user.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let id: String = row.try_get("territory_id")?;
            TerritoryId::parse(&id).map_err(|e| DbError::corrupt("user_territories", e))
        })
        .collect()
}

/// The territories whose records `user` (of `role`) may see:
/// admin and office → [`ScopeTerritories::All`]; rep → their assigned territories; manager →
/// the union of the subtrees of their assigned territories; engineer and partner →
/// [`ScopeTerritories::None`].
pub async fn scope_territories(
    db: &Db,
    user: UserId,
    role: Role,
) -> Result<ScopeTerritories, DbError> {
    match role {
        Role::Admin | Role::Office => Ok(ScopeTerritories::All),
        Role::Engineer | Role::Partner => Ok(ScopeTerritories::None),
        Role::Rep => {
            let mut ids = user_territories(db, user).await?;
            ids.sort();
            ids.dedup();
            Ok(ScopeTerritories::Some(ids))
        }
        Role::Manager => {
            let roots = user_territories(db, user).await?;
            if roots.is_empty() {
                return Ok(ScopeTerritories::Some(Vec::new()));
            }
            let all = list(db).await?;
            Ok(ScopeTerritories::Some(
                subtrees_of(&all, &roots).into_iter().collect(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::memory_db;
    use crate::db::users::{self, NewUser};

    async fn user(db: &Db, name: &str, role: Role) -> UserId {
        users::create(
            db,
            &NewUser {
                username: name,
                display_name: name,
                role,
                password_hash: "x",
            },
        )
        .await
        .unwrap()
        .id
    }

    fn sorted(mut v: Vec<TerritoryId>) -> Vec<TerritoryId> {
        v.sort();
        v
    }

    #[tokio::test]
    async fn tree_subtree_and_scopes() {
        let db = memory_db().await;
        let east = create(&db, "华东", None).await.unwrap();
        let sh = create(&db, "上海", Some(east.id)).await.unwrap();
        let pd = create(&db, "浦东", Some(sh.id)).await.unwrap();
        let hz = create(&db, "杭州", Some(east.id)).await.unwrap();
        let north = create(&db, "华北", None).await.unwrap();
        let bj = create(&db, "北京", Some(north.id)).await.unwrap();

        assert_eq!(get_by_name(&db, "上海").await.unwrap().unwrap(), sh);
        assert_eq!(get(&db, bj.id).await.unwrap().unwrap(), bj);
        assert!(get_by_name(&db, "nowhere").await.unwrap().is_none());
        assert_eq!(list(&db).await.unwrap().len(), 6);
        assert_eq!(
            subtree(&db, east.id).await.unwrap(),
            sorted(vec![east.id, sh.id, pd.id, hz.id])
        );
        assert_eq!(subtree(&db, bj.id).await.unwrap(), vec![bj.id]);
        assert!(subtree(&db, TerritoryId::new()).await.unwrap().is_empty());

        let rep = user(&db, "rep", Role::Rep).await;
        assign_user(&db, rep, sh.id).await.unwrap();
        assign_user(&db, rep, sh.id).await.unwrap();
        assign_user(&db, rep, bj.id).await.unwrap();
        assert_eq!(
            user_territories(&db, rep).await.unwrap(),
            sorted(vec![sh.id, bj.id])
        );
        let scope = scope_territories(&db, rep, Role::Rep).await.unwrap();
        // A rep sees their territories only, not the subtree below them.
        assert_eq!(scope, ScopeTerritories::Some(sorted(vec![sh.id, bj.id])));
        assert!(scope.contains(sh.id) && !scope.contains(pd.id) && !scope.contains(east.id));

        let manager = user(&db, "mgr", Role::Manager).await;
        assign_user(&db, manager, east.id).await.unwrap();
        assign_user(&db, manager, sh.id).await.unwrap();
        assert_eq!(
            scope_territories(&db, manager, Role::Manager)
                .await
                .unwrap(),
            ScopeTerritories::Some(sorted(vec![east.id, sh.id, pd.id, hz.id]))
        );
        let idle_manager = user(&db, "mgr2", Role::Manager).await;
        let empty = scope_territories(&db, idle_manager, Role::Manager)
            .await
            .unwrap();
        assert!(empty.is_empty());

        for role in [Role::Admin, Role::Office] {
            let u = user(&db, role.as_str(), role).await;
            let scope = scope_territories(&db, u, role).await.unwrap();
            assert_eq!(scope, ScopeTerritories::All);
            assert!(scope.contains(bj.id));
        }
        for role in [Role::Engineer, Role::Partner] {
            let u = user(&db, role.as_str(), role).await;
            // Even with an assignment, these roles get no territory scope.
            assign_user(&db, u, east.id).await.unwrap();
            let scope = scope_territories(&db, u, role).await.unwrap();
            assert_eq!(scope, ScopeTerritories::None);
            assert!(scope.is_empty() && !scope.contains(east.id));
        }
    }

    #[tokio::test]
    async fn rename_reparent_without_cycles_and_replace_assignments() {
        let db = memory_db().await;
        let east = create(&db, "华东", None).await.unwrap();
        let sh = create(&db, "上海", Some(east.id)).await.unwrap();
        let pd = create(&db, "浦东", Some(sh.id)).await.unwrap();
        let north = create(&db, "华北", None).await.unwrap();
        assert!(matches!(
            update(&db, east.id, "华东", Some(pd.id)).await,
            Err(TreeError::Cycle)
        ));
        assert!(matches!(
            update(&db, sh.id, "北京", Some(TerritoryId::new())).await,
            Err(TreeError::Db(DbError::NotFound(_)))
        ));
        assert!(matches!(
            update(&db, sh.id, "华北", Some(east.id)).await,
            Err(TreeError::Db(DbError::Duplicate(_)))
        ));
        let (_, after) = update(&db, sh.id, "上海市", Some(north.id)).await.unwrap();
        assert_eq!(get(&db, sh.id).await.unwrap().unwrap(), after);
        assert_eq!(
            subtree(&db, north.id).await.unwrap(),
            sorted(vec![north.id, sh.id, pd.id])
        );

        let rep = user(&db, "rep", Role::Rep).await;
        set_user_territories(&db, rep, &[sh.id, east.id, sh.id])
            .await
            .unwrap();
        assert_eq!(
            user_territories(&db, rep).await.unwrap(),
            sorted(vec![sh.id, east.id])
        );
        let before = set_user_territories(&db, rep, &[north.id]).await.unwrap();
        assert_eq!(before, sorted(vec![sh.id, east.id]));
        assert_eq!(assignments(&db).await.unwrap(), vec![(north.id, rep)]);
        assert!(
            set_user_territories(&db, rep, &[TerritoryId::new()])
                .await
                .is_err()
        );
        // A failed replacement changes nothing.
        assert_eq!(user_territories(&db, rep).await.unwrap(), vec![north.id]);
    }

    #[tokio::test]
    async fn duplicate_names_and_dangling_assignments_fail() {
        let db = memory_db().await;
        create(&db, "华东", None).await.unwrap();
        assert!(matches!(
            create(&db, "华东", None).await,
            Err(DbError::Duplicate(_))
        ));
        let rep = user(&db, "rep", Role::Rep).await;
        assert!(assign_user(&db, rep, TerritoryId::new()).await.is_err());
    }
}

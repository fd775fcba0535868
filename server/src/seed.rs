//! The deterministic demo organisation: a small territory tree and one user per role, all with
//! the same password. Customers and visits are added through the document path elsewhere.

use std::collections::BTreeMap;

use fieldcrm_core::{Role, TerritoryId, UserId};

use crate::auth::password::{self, PasswordError};
use crate::db::territories::{self, Territory};
use crate::db::users::{self, NewUser};
use crate::db::{Db, DbError};

/// Errors of seeding.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The database already has users; the demo is only seeded into an empty database.
    #[error("the database is not empty")]
    NotEmpty,
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Password hashing failed.
    #[error(transparent)]
    Password(#[from] PasswordError),
}

/// What [`seed_org`] created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedReport {
    /// 华东 (East), a root.
    pub east: TerritoryId,
    /// 上海 (Shanghai), under East.
    pub shanghai: TerritoryId,
    /// 杭州 (Hangzhou), under East.
    pub hangzhou: TerritoryId,
    /// 华北 (North), a root.
    pub north: TerritoryId,
    /// 北京 (Beijing), under North.
    pub beijing: TerritoryId,
    /// Every created user by username.
    pub users: BTreeMap<String, UserId>,
}

/// The demo users: (username, display name, role, territory names).
pub const DEMO_USERS: [(&str, &str, Role, &[&str]); 8] = [
    ("admin", "管理员 Admin", Role::Admin, &[]),
    ("office", "内勤 Office", Role::Office, &[]),
    (
        "manager.east",
        "华东经理 East Manager",
        Role::Manager,
        &["华东"],
    ),
    ("rep.sh", "上海销售 Shanghai Rep", Role::Rep, &["上海"]),
    ("rep.hz", "杭州销售 Hangzhou Rep", Role::Rep, &["杭州"]),
    ("rep.bj", "北京销售 Beijing Rep", Role::Rep, &["北京"]),
    ("engineer", "服务工程师 Engineer", Role::Engineer, &[]),
    ("partner", "渠道伙伴 Partner", Role::Partner, &[]),
];

/// Creates the demo organisation in an empty database (no users), every user with `password`.
pub async fn seed_org(db: &Db, password: &str) -> Result<SeedReport, SeedError> {
    if users::count(db).await? > 0 {
        return Err(SeedError::NotEmpty);
    }
    let east = territory(db, "华东", None).await?;
    let shanghai = territory(db, "上海", Some(east.id)).await?;
    let hangzhou = territory(db, "杭州", Some(east.id)).await?;
    let north = territory(db, "华北", None).await?;
    let beijing = territory(db, "北京", Some(north.id)).await?;
    let by_name: BTreeMap<&str, TerritoryId> = [
        ("华东", east.id),
        ("上海", shanghai.id),
        ("杭州", hangzhou.id),
        ("华北", north.id),
        ("北京", beijing.id),
    ]
    .into();

    let mut created = BTreeMap::new();
    for (username, display_name, role, assigned) in DEMO_USERS {
        let hash = password::hash_password_blocking(password.to_owned()).await?;
        let user = users::create(
            db,
            &NewUser {
                username,
                display_name,
                role,
                password_hash: &hash,
            },
        )
        .await?;
        for name in assigned {
            let id = by_name
                .get(name)
                .copied()
                .ok_or_else(|| DbError::NotFound(format!("territory {name:?}")))?;
            territories::assign_user(db, user.id, id).await?;
        }
        created.insert(username.to_owned(), user.id);
    }
    tracing::info!(users = created.len(), "seeded the demo organisation");
    Ok(SeedReport {
        east: east.id,
        shanghai: shanghai.id,
        hangzhou: hangzhou.id,
        north: north.id,
        beijing: beijing.id,
        users: created,
    })
}

/// [`seed_org`] if the database has no users; `None` if it already had some.
pub async fn seed_demo_if_empty(db: &Db, password: &str) -> Result<Option<SeedReport>, SeedError> {
    match seed_org(db, password).await {
        Ok(report) => Ok(Some(report)),
        Err(SeedError::NotEmpty) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reuses a territory of that name, or creates it.
async fn territory(db: &Db, name: &str, parent: Option<TerritoryId>) -> Result<Territory, DbError> {
    match territories::get_by_name(db, name).await? {
        Some(t) => Ok(t),
        None => territories::create(db, name, parent).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::territories::ScopeTerritories;
    use crate::db::test_support::memory_db;

    #[tokio::test]
    async fn seeds_once_with_the_expected_scopes() {
        let db = memory_db().await;
        let report = seed_org(&db, "demo").await.unwrap();
        assert_eq!(report.users.len(), 8);
        assert!(seed_demo_if_empty(&db, "demo").await.unwrap().is_none());
        assert!(matches!(
            seed_org(&db, "demo").await,
            Err(SeedError::NotEmpty)
        ));

        let manager = report.users["manager.east"];
        let mut expected = vec![report.east, report.shanghai, report.hangzhou];
        expected.sort();
        assert_eq!(
            territories::scope_territories(&db, manager, Role::Manager)
                .await
                .unwrap(),
            ScopeTerritories::Some(expected)
        );
        let rep = report.users["rep.bj"];
        assert_eq!(
            territories::scope_territories(&db, rep, Role::Rep)
                .await
                .unwrap(),
            ScopeTerritories::Some(vec![report.beijing])
        );
        let creds = users::credentials(&db, "rep.sh").await.unwrap().unwrap();
        assert!(password::verify_password("demo", &creds.password_hash).unwrap());
    }
}

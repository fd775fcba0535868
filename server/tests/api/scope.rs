//! `territories::scope_territories` for every role of the demo organisation.

use fieldcrm_core::Role;
use fieldcrm_server::db::territories::{self, ScopeTerritories};

use crate::backend_tests;
use crate::helpers::TestApp;

async fn scope(app: &TestApp, username: &str, role: Role) -> ScopeTerritories {
    territories::scope_territories(&app.db, app.seed.users[username], role)
        .await
        .unwrap()
}

async fn scope_territories_for_every_role(app: TestApp) {
    let s = &app.seed;
    assert_eq!(
        scope(&app, "rep.sh", Role::Rep).await,
        ScopeTerritories::Some(vec![s.shanghai])
    );
    assert_eq!(
        scope(&app, "rep.hz", Role::Rep).await,
        ScopeTerritories::Some(vec![s.hangzhou])
    );
    assert_eq!(
        scope(&app, "rep.bj", Role::Rep).await,
        ScopeTerritories::Some(vec![s.beijing])
    );
    let mut east = vec![s.east, s.shanghai, s.hangzhou];
    east.sort();
    let manager = scope(&app, "manager.east", Role::Manager).await;
    assert_eq!(manager, ScopeTerritories::Some(east));
    assert!(!manager.contains(s.beijing) && !manager.contains(s.north));
    assert_eq!(
        scope(&app, "office", Role::Office).await,
        ScopeTerritories::All
    );
    assert_eq!(
        scope(&app, "admin", Role::Admin).await,
        ScopeTerritories::All
    );
    assert_eq!(
        scope(&app, "engineer", Role::Engineer).await,
        ScopeTerritories::None
    );
    assert_eq!(
        scope(&app, "partner", Role::Partner).await,
        ScopeTerritories::None
    );
}

async fn manager_scope_follows_new_territories(app: TestApp) {
    let s = &app.seed;
    let ningbo = territories::create(&app.db, "宁波", Some(s.east))
        .await
        .unwrap();
    let manager = scope(&app, "manager.east", Role::Manager).await;
    assert!(manager.contains(ningbo.id));
    let subtree = territories::subtree(&app.db, s.north).await.unwrap();
    let mut north = vec![s.north, s.beijing];
    north.sort();
    assert_eq!(subtree, north);
}

backend_tests!(
    scope_territories_for_every_role,
    manager_scope_follows_new_territories
);

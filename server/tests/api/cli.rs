//! The administration functions behind `fieldcrm user …` and `fieldcrm territory …`.

use fieldcrm_core::Role;
use fieldcrm_server::cli::{CliError, territory, user};
use fieldcrm_server::db::territories::{self, ScopeTerritories};
use hyper::StatusCode;

use crate::backend_tests;
use crate::helpers::TestApp;

async fn user_add_then_login_then_disable(app: TestApp) {
    territory::add_territory(&app.db, "苏州", Some("华东"))
        .await
        .unwrap();
    let created = user::add_user(
        &app.db,
        &user::AddUser {
            username: "rep.sz".into(),
            role: Role::Rep,
            display_name: Some("苏州销售".into()),
            password: "s3cret".into(),
            territories: vec!["苏州".into()],
        },
    )
    .await
    .unwrap();
    let session = app.login("rep.sz", "s3cret").await;
    assert_eq!(session.user_id, created.id.to_string());
    let suzhou = territories::get_by_name(&app.db, "苏州")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        territories::scope_territories(&app.db, created.id, Role::Rep)
            .await
            .unwrap(),
        ScopeTerritories::Some(vec![suzhou.id])
    );
    let listed = user::list_users(&app.db).await.unwrap();
    assert_eq!(listed.len(), 9);
    assert!(
        listed
            .iter()
            .any(|u| u.username == "rep.sz" && u.territories == ["苏州"])
    );

    user::disable_user(&app.db, "rep.sz").await.unwrap();
    assert_eq!(
        app.login_raw("rep.sz", "s3cret").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/devices", Some(&session.access_token))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

async fn user_add_rejects_duplicates_and_unknown_territories(app: TestApp) {
    let add = user::AddUser {
        username: "admin".into(),
        role: Role::Admin,
        display_name: None,
        password: "x".into(),
        territories: vec![],
    };
    assert!(user::add_user(&app.db, &add).await.is_err());
    let ghost = user::AddUser {
        username: "new.rep".into(),
        role: Role::Rep,
        territories: vec!["火星".into()],
        ..add
    };
    assert!(matches!(
        user::add_user(&app.db, &ghost).await,
        Err(CliError::NotFound(_))
    ));
    assert!(matches!(
        user::disable_user(&app.db, "ghost").await,
        Err(CliError::NotFound(_))
    ));
}

async fn territory_tree_lists_the_demo_org(app: TestApp) {
    let tree = territory::list_tree(&app.db).await.unwrap();
    assert_eq!(
        territory::render_tree(&tree),
        "华东\n├── 上海\n└── 杭州\n华北\n└── 北京\n"
    );
}

backend_tests!(
    user_add_then_login_then_disable,
    user_add_rejects_duplicates_and_unknown_territories,
    territory_tree_lists_the_demo_org,
);

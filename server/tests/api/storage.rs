//! Storage conformance of the organisation tables: the same assertions on SQLite and PostgreSQL
//! (constraint violations map to the same errors, NULL filters and flags decode alike).

use fieldcrm_core::{DeviceId, Role, TerritoryId, UserId};
use fieldcrm_server::db::audit::{self, AuditEntry, AuditFilter};
use fieldcrm_server::db::tokens::{self, Consumed, RefreshToken};
use fieldcrm_server::db::users::{self, NewUser};
use fieldcrm_server::db::{DbError, devices, now_ms, territories};

use crate::backend_tests;
use crate::helpers::TestApp;

async fn duplicates_and_dangling_references_map_alike(app: TestApp) {
    let dup = users::create(
        &app.db,
        &NewUser {
            username: "admin",
            display_name: "again",
            role: Role::Admin,
            password_hash: "x",
        },
    )
    .await;
    assert!(matches!(dup, Err(DbError::Duplicate(_))), "{dup:?}");
    let dup = territories::create(&app.db, "上海", None).await;
    assert!(matches!(dup, Err(DbError::Duplicate(_))), "{dup:?}");
    let dangling =
        territories::assign_user(&app.db, app.seed.users["rep.sh"], TerritoryId::new()).await;
    assert!(
        matches!(dangling, Err(DbError::NotFound(_))),
        "{dangling:?}"
    );
    // Assigning twice is idempotent.
    territories::assign_user(&app.db, app.seed.users["rep.sh"], app.seed.shanghai)
        .await
        .unwrap();
    assert_eq!(
        territories::user_territories(&app.db, app.seed.users["rep.sh"])
            .await
            .unwrap(),
        vec![app.seed.shanghai]
    );
}

async fn users_round_trip_with_flags(app: TestApp) {
    let user = users::get_by_username(&app.db, "partner")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.role, Role::Partner);
    assert!(!user.disabled);
    assert_eq!(users::get(&app.db, user.id).await.unwrap().unwrap(), user);
    let disabled = users::set_disabled(&app.db, "partner", true).await.unwrap();
    assert!(disabled.disabled);
    let enabled = users::set_disabled(&app.db, "partner", false)
        .await
        .unwrap();
    assert!(!enabled.disabled);
    assert_eq!(users::count(&app.db).await.unwrap(), 8);
    assert!(users::get(&app.db, UserId::new()).await.unwrap().is_none());
    let listed = users::list(&app.db).await.unwrap();
    assert_eq!(listed.first().unwrap().username, "admin");
}

async fn refresh_token_lifecycle(app: TestApp) {
    let user = app.seed.users["rep.hz"];
    let device = devices::register(&app.db, user, "conformance")
        .await
        .unwrap();
    let now = now_ms();
    let family = uuid::Uuid::now_v7();
    let token = |hash: &str, expires_at: i64| RefreshToken {
        token_hash: hash.to_owned(),
        family_id: family,
        device_id: device.id,
        user_id: user,
        created_at: now,
        expires_at,
        used_at: None,
        revoked_at: None,
    };
    tokens::insert(&app.db, &token("h1", now + 60_000))
        .await
        .unwrap();
    tokens::insert(&app.db, &token("h2", now + 60_000))
        .await
        .unwrap();
    // Expires in 30 s (not already expired: the server's background purge would race the test).
    tokens::insert(&app.db, &token("h3", now + 30_000))
        .await
        .unwrap();
    assert_eq!(
        tokens::get(&app.db, "h1").await.unwrap().unwrap(),
        token("h1", now + 60_000)
    );
    assert!(matches!(
        tokens::consume(&app.db, "h1", now).await.unwrap(),
        Consumed::Rotated(t) if t.used_at == Some(now)
    ));
    assert!(matches!(
        tokens::consume(&app.db, "h1", now).await.unwrap(),
        Consumed::Replayed(_)
    ));
    assert!(matches!(
        tokens::consume(&app.db, "h3", now + 31_000).await.unwrap(),
        Consumed::Expired(_)
    ));
    assert_eq!(
        tokens::consume(&app.db, "nope", now).await.unwrap(),
        Consumed::Unknown
    );
    // Revoking the device revokes its tokens.
    assert!(devices::revoke(&app.db, device.id).await.unwrap());
    assert!(matches!(
        tokens::consume(&app.db, "h2", now).await.unwrap(),
        Consumed::Revoked(_)
    ));
    assert_eq!(
        tokens::revoke_family(&app.db, family, now).await.unwrap(),
        0
    );
    assert_eq!(
        tokens::delete_expired(&app.db, now + 31_000).await.unwrap(),
        1
    );
    let stored = devices::get(&app.db, device.id).await.unwrap().unwrap();
    assert!(stored.is_revoked());
    assert!(
        devices::get(&app.db, DeviceId::new())
            .await
            .unwrap()
            .is_none()
    );
}

async fn audit_filters_and_order(app: TestApp) {
    let user = app.seed.users["engineer"];
    let device = DeviceId::new();
    for i in 0..3 {
        let mut entry = AuditEntry::new("sync.change");
        entry.user_id = Some(user);
        entry.device_id = Some(device);
        entry.doc_id = Some(format!("doc-{i}"));
        entry.kind = Some("visit".into());
        entry.verdict = Some("accepted".into());
        entry.detail = serde_json::json!({ "paths": ["notes"], "n": i });
        audit::record(&app.db, &entry).await.unwrap();
    }
    audit::record(&app.db, &AuditEntry::new("other"))
        .await
        .unwrap();

    let mine = audit::list(
        &app.db,
        &AuditFilter {
            user_id: Some(user),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(mine.len(), 3);
    assert_eq!(mine[0].entry.doc_id.as_deref(), Some("doc-2"));
    assert_eq!(mine[0].entry.detail["n"], 2);
    assert_eq!(mine[0].entry.device_id, Some(device));
    assert!(mine[0].at >= mine[2].at);

    let one = audit::list(
        &app.db,
        &AuditFilter {
            doc_id: Some("doc-1".into()),
            action: Some("sync.change".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].entry.kind.as_deref(), Some("visit"));

    let newest = audit::list(
        &app.db,
        &AuditFilter {
            limit: 1,
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(newest[0].entry, AuditEntry::new("other"));
}

backend_tests!(
    duplicates_and_dangling_references_map_alike,
    users_round_trip_with_flags,
    refresh_token_lifecycle,
    audit_filters_and_order,
);

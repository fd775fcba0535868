//! Listing and revoking devices.

use fieldcrm_server::db::audit::{self, AuditFilter};
use hyper::StatusCode;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::TestApp;

async fn own_devices_are_listed_with_the_current_one_marked(app: TestApp) {
    let first = app.login("rep.sh", "demo").await;
    let second = app.login("rep.sh", "demo").await;
    app.login("rep.bj", "demo").await;
    let r = app.get("/api/v1/devices", Some(&second.access_token)).await;
    assert_eq!(r.status, StatusCode::OK);
    let list = r.body["devices"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let current: Vec<_> = list.iter().filter(|d| d["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], second.device_id.as_str());
    assert!(list.iter().any(|d| d["id"] == first.device_id.as_str()));
    assert!(list.iter().all(|d| d["name"] == "test phone"));
}

async fn only_admins_list_other_users_devices(app: TestApp) {
    let rep = app.login("rep.sh", "demo").await;
    let other = app.login("rep.bj", "demo").await;
    let path = format!("/api/v1/devices?user={}", other.user_id);
    let r = app.get(&path, Some(&rep.access_token)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error_code(), "forbidden");
    let admin = app.login("admin", "demo").await;
    let r = app.get(&path, Some(&admin.access_token)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["devices"][0]["id"], other.device_id.as_str());
    let r = app
        .get("/api/v1/devices?user=not-a-uuid", Some(&admin.access_token))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

async fn revoked_device_tokens_are_refused(app: TestApp) {
    let phone = app.login("rep.sh", "demo").await;
    let laptop = app.login("rep.sh", "demo").await;
    let r = app
        .post(
            &format!("/api/v1/devices/{}/revoke", phone.device_id),
            &json!({}),
            Some(&laptop.access_token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["device"]["revoked_at"].is_i64());

    // The revoked device's access and refresh tokens are dead.
    let r = app.get("/api/v1/devices", Some(&phone.access_token)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_message(), "device revoked");
    assert_eq!(
        app.refresh(&phone.refresh_token).await.status,
        StatusCode::UNAUTHORIZED
    );
    // The other device is unaffected.
    assert_eq!(
        app.get("/api/v1/devices", Some(&laptop.access_token))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.refresh(&laptop.refresh_token).await.status,
        StatusCode::OK
    );
    let log = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("device.revoke".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].entry.device_id.unwrap().to_string(), phone.device_id);
}

async fn revoking_someone_elses_device_needs_admin(app: TestApp) {
    let rep = app.login("rep.sh", "demo").await;
    let other = app.login("rep.bj", "demo").await;
    let path = format!("/api/v1/devices/{}/revoke", other.device_id);
    let r = app.post(&path, &json!({}), Some(&rep.access_token)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let missing = format!("/api/v1/devices/{}/revoke", uuid::Uuid::now_v7());
    let r = app
        .post(&missing, &json!({}), Some(&rep.access_token))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "not_found");

    let admin = app.login("admin", "demo").await;
    let r = app.post(&path, &json!({}), Some(&admin.access_token)).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.get("/api/v1/devices", Some(&other.access_token)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

backend_tests!(
    own_devices_are_listed_with_the_current_one_marked,
    only_admins_list_other_users_devices,
    revoked_device_tokens_are_refused,
    revoking_someone_elses_device_needs_admin,
);

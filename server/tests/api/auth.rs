//! Login, refresh rotation and replay, and access token validation.

use base64::Engine;
use fieldcrm_core::{DeviceId, Role, UserId};
use fieldcrm_server::auth::AccessClaims;
use fieldcrm_server::db::audit::{self, AuditFilter};
use fieldcrm_server::db::users;
use hyper::{Method, StatusCode};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::backend_tests;
use crate::helpers::TestApp;

async fn login_returns_tokens_user_and_a_new_device(app: TestApp) {
    let r = app.login_raw("rep.sh", "demo").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 900);
    assert_eq!(r.body["user"]["username"], "rep.sh");
    assert_eq!(r.body["user"]["role"], "rep");
    assert_eq!(r.body["user"]["display_name"], "上海销售 Shanghai Rep");
    assert_eq!(r.body["user"]["id"], app.seed.users["rep.sh"].to_string());
    let access = r.body["access_token"].as_str().unwrap();
    assert_eq!(r.body["refresh_token"].as_str().unwrap().len(), 64);
    let claims = app.state.jwt.verify(access).unwrap();
    assert_eq!(claims.sub, app.seed.users["rep.sh"]);
    assert_eq!(claims.role, Role::Rep);
    assert_eq!(
        claims.dev.to_string(),
        r.body["device_id"].as_str().unwrap()
    );

    // Each login registers another device.
    let second = app.login("rep.sh", "demo").await;
    assert_ne!(second.device_id, r.body["device_id"].as_str().unwrap());
    let devices = app.get("/api/v1/devices", Some(&second.access_token)).await;
    assert_eq!(devices.body["devices"].as_array().unwrap().len(), 2);

    let log = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("auth.login".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].entry.verdict.as_deref(), Some("ok"));
}

async fn wrong_password_and_unknown_user_look_the_same(app: TestApp) {
    let wrong = app.login_raw("rep.sh", "nope").await;
    let unknown = app.login_raw("nobody", "demo").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.error_code(), "unauthorized");
    assert_eq!(wrong.error_message(), "invalid username or password");
    let failures = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("auth.login".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(failures.len(), 2);
    assert!(
        failures
            .iter()
            .all(|r| r.entry.verdict.as_deref() == Some("invalid_credentials"))
    );
}

async fn disabled_user_cannot_login_refresh_or_use_tokens(app: TestApp) {
    let session = app.login("rep.hz", "demo").await;
    users::set_disabled(&app.db, "rep.hz", true).await.unwrap();
    let r = app.login_raw("rep.hz", "demo").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "unauthorized");
    assert_eq!(
        app.refresh(&session.refresh_token).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .get("/api/v1/devices", Some(&session.access_token))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn malformed_login_input_is_400(app: TestApp) {
    let r = app
        .request(
            Method::POST,
            "/api/v1/auth/login",
            Some(b"{not json".to_vec()),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "invalid_input");
    let r = app
        .post(
            "/api/v1/auth/login",
            &json!({ "username": "", "password": "x", "device_name": "d" }),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .post("/api/v1/auth/login", &json!({ "username": "a" }), None)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

/// A body announced over the limit is refused from its `Content-Length`, before any of it is
/// read.
async fn oversized_body_is_413(app: TestApp) {
    let (status, body) = app
        .announce_only(
            Method::POST,
            "/api/v1/auth/login",
            &[("content-type", "application/json")],
            2 * 1024 * 1024,
        )
        .await;
    assert_eq!(status, 413, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).expect("a JSON error");
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
    // A body just under the limit is read and judged on its content.
    let r = app
        .post(
            "/api/v1/auth/login",
            &json!({ "username": "x".repeat(1024), "password": "x", "device_name": "d" }),
            None,
        )
        .await;
    assert_ne!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

async fn refresh_rotates_tokens(app: TestApp) {
    let session = app.login("rep.sh", "demo").await;
    let r = app.refresh(&session.refresh_token).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["device_id"].as_str().unwrap(), session.device_id);
    assert!(r.body.get("user").is_none());
    let new_refresh = r.body["refresh_token"].as_str().unwrap().to_owned();
    let new_access = r.body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, session.refresh_token);
    assert_eq!(
        app.get("/api/v1/devices", Some(&new_access)).await.status,
        StatusCode::OK
    );
    // The successor rotates again.
    let again = app.refresh(&new_refresh).await;
    assert_eq!(again.status, StatusCode::OK);
    // Unknown tokens are refused.
    let r = app.refresh("00".repeat(32).as_str()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn refresh_replay_revokes_the_family(app: TestApp) {
    let session = app.login("rep.sh", "demo").await;
    let other = app.login("rep.sh", "demo").await;
    let rotated = app.refresh(&session.refresh_token).await;
    assert_eq!(rotated.status, StatusCode::OK);
    let successor = rotated.body["refresh_token"].as_str().unwrap().to_owned();

    // The old token again: a replay.
    let replay = app.refresh(&session.refresh_token).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replay.error_code(), "unauthorized");
    // The whole family is dead, including the legitimate successor…
    assert_eq!(
        app.refresh(&successor).await.status,
        StatusCode::UNAUTHORIZED
    );
    // …but another login's family is untouched.
    assert_eq!(
        app.refresh(&other.refresh_token).await.status,
        StatusCode::OK
    );

    let log = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("auth.refresh_replay".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(log.len(), 1);
    let entry = &log[0].entry;
    assert_eq!(entry.user_id, Some(app.seed.users["rep.sh"]));
    assert_eq!(entry.device_id.unwrap().to_string(), session.device_id);
    assert_eq!(entry.verdict.as_deref(), Some("family_revoked"));
    assert_eq!(entry.detail["tokens_revoked"], 2);
}

fn claims_for(user: UserId, device: DeviceId, iat: i64, exp: i64) -> AccessClaims {
    AccessClaims {
        sub: user,
        dev: device,
        role: Role::Admin,
        iat,
        exp,
        typ: "access".into(),
    }
}

fn session_ids(session: &crate::helpers::Session) -> (UserId, DeviceId) {
    (
        UserId::parse(&session.user_id).unwrap(),
        DeviceId::parse(&session.device_id).unwrap(),
    )
}

async fn expired_access_token_is_token_expired(app: TestApp) {
    let session = app.login("rep.sh", "demo").await;
    let (user, device) = session_ids(&session);
    let now = chrono::Utc::now().timestamp();
    let expired = app
        .state
        .jwt
        .sign(&claims_for(user, device, now - 3600, now - 60))
        .unwrap();
    let r = app.get("/api/v1/devices", Some(&expired)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "token_expired");
}

async fn forged_and_wrong_algorithm_tokens_are_refused(app: TestApp) {
    let session = app.login("rep.sh", "demo").await;
    let (user, device) = session_ids(&session);
    let now = chrono::Utc::now().timestamp();
    let claims = claims_for(user, device, now, now + 600);

    let forged = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(b"some other secret of enough length!!"),
    )
    .unwrap();
    let b64 = |s: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let payload = b64(&serde_json::to_vec(&claims).unwrap());
    let alg_none = format!("{}.{payload}.", b64(br#"{"alg":"none","typ":"JWT"}"#));
    // HS512 with the server's real secret: still refused, only HS256 is accepted.
    let secret = app.state.settings.jwt_secret.clone().unwrap();
    let hs512 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    // Tampered payload with the original signature.
    let mut parts: Vec<&str> = session.access_token.split('.').collect();
    let tampered_payload = payload.clone();
    parts[1] = &tampered_payload;
    let tampered = parts.join(".");

    for (name, token) in [
        ("forged", forged.as_str()),
        ("alg none", alg_none.as_str()),
        ("hs512", hs512.as_str()),
        ("tampered", tampered.as_str()),
        ("garbage", "not.a.jwt"),
    ] {
        let r = app.get("/api/v1/devices", Some(token)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(r.error_code(), "unauthorized", "{name}");
    }
    // The genuine token still works.
    assert_eq!(
        app.get("/api/v1/devices", Some(&session.access_token))
            .await
            .status,
        StatusCode::OK
    );
    // No token at all.
    let r = app.get("/api/v1/devices", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn token_for_another_users_device_is_refused(app: TestApp) {
    let rep = app.login("rep.sh", "demo").await;
    let other = app.login("rep.bj", "demo").await;
    let (user, _) = session_ids(&rep);
    let (_, other_device) = session_ids(&other);
    let now = chrono::Utc::now().timestamp();
    let mixed = app
        .state
        .jwt
        .sign(&claims_for(user, other_device, now, now + 600))
        .unwrap();
    let r = app.get("/api/v1/devices", Some(&mixed)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn authenticate_reads_role_from_the_database(app: TestApp) {
    let session = app.login("office", "demo").await;
    let who = fieldcrm_server::auth::authenticate(
        &app.state,
        &format!("Bearer {}", session.access_token),
    )
    .await
    .unwrap();
    assert_eq!(who.username, "office");
    assert_eq!(who.role, Role::Office);
    assert_eq!(who.user_id, app.seed.users["office"]);
    assert_eq!(who.device_id.to_string(), session.device_id);
}

async fn repeated_failed_logins_are_throttled(app: TestApp) {
    for _ in 0..fieldcrm_server::auth::throttle::MAX_FAILURES {
        let r = app.login_raw("rep.bj", "wrong").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // Now even the right password is refused for this username…
    let r = app.login_raw("rep.bj", "demo").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.error_code(), "too_many_requests");
    // …but not for others.
    app.login("rep.sh", "demo").await;
    let log = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("auth.login".into()),
            limit: 2,
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(log[1].entry.verdict.as_deref(), Some("throttled"));
}

backend_tests!(
    login_returns_tokens_user_and_a_new_device,
    wrong_password_and_unknown_user_look_the_same,
    disabled_user_cannot_login_refresh_or_use_tokens,
    malformed_login_input_is_400,
    oversized_body_is_413,
    refresh_rotates_tokens,
    refresh_replay_revokes_the_family,
    expired_access_token_is_token_expired,
    forged_and_wrong_algorithm_tokens_are_refused,
    token_for_another_users_device_is_refused,
    authenticate_reads_role_from_the_database,
    repeated_failed_logins_are_throttled,
);

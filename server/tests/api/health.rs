//! `GET /healthz` and the application's lifecycle.

use fieldcrm_server::db::Backend;
use hyper::StatusCode;

use crate::backend_tests;
use crate::helpers::{TestApp, spawn_app};

async fn healthz_reports_ok(app: TestApp) {
    let r = app.get("/healthz", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, serde_json::json!({ "status": "ok" }));
    assert_ne!(app.port, 0);
    assert!(app.address.ends_with(&app.port.to_string()));
}

async fn unknown_route_is_404(app: TestApp) {
    let r = app.get("/api/v1/nope", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

backend_tests!(healthz_reports_ok, unknown_route_is_404);

#[tokio::test]
async fn graceful_shutdown_stops_the_server() {
    use fieldcrm_server::settings::{Settings, SettingsLayer};
    use fieldcrm_server::startup::Application;
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::from_layer(SettingsLayer {
        listen: Some("127.0.0.1:0".into()),
        data_dir: Some(dir.path().to_owned()),
        ..SettingsLayer::default()
    })
    .unwrap();
    let app = Application::build(settings).await.unwrap();
    assert_eq!(app.state().db.backend(), Backend::Sqlite);
    // No JWT secret configured: one was generated in the data dir.
    assert!(dir.path().join("jwt-secret").is_file());
    assert!(dir.path().join("fieldcrm.db").is_file());
    let addr = app.local_addr();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_with_shutdown(async {
        let _ = rx.await;
    }));
    tokio::net::TcpStream::connect(addr).await.unwrap();
    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn spawn_app_defaults_to_sqlite() {
    let app = spawn_app().await;
    assert_eq!(app.backend, Backend::Sqlite);
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
}

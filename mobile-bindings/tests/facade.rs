//! Tests of the phone facade as the apps use it: error mapping, and login + sync + compensation
//! (with `sync_now` and with live sync + a listener) against a real server on port 0.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test with its location"
)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fieldcrm_mobile::{FieldClient, FieldError, FieldValue, NoticeKind, SyncEvent, SyncListener};
use fieldcrm_server::settings::{Settings, SettingsLayer};
use fieldcrm_server::startup::Application;
use tokio::sync::oneshot;

const PASSWORD: &str = "demo";

/// A real server on port 0 over a fresh SQLite database with the demo organisation.
struct Server {
    url: String,
    owner_elsewhere: String,
    stop: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db_url = format!("sqlite://{}", dir.path().join("fieldcrm.db").display());
        let settings = Settings::from_layer(SettingsLayer {
            listen: Some("127.0.0.1:0".to_owned()),
            database_url: Some(db_url),
            data_dir: Some(dir.path().to_path_buf()),
            jwt_secret: Some("mobile-test-secret-0123456789abcdef".to_owned()),
            ..Default::default()
        })
        .unwrap();
        let app = Application::build(settings).await.unwrap();
        let state = app.state().clone();
        let org = fieldcrm_server::seed::seed_org(&state.db, PASSWORD)
            .await
            .unwrap();
        let mut cities =
            fieldcrm_server::demo_data::cities(org.shanghai, org.hangzhou, org.beijing);
        for (c, rep) in cities.iter_mut().zip(["rep.sh", "rep.hz", "rep.bj"]) {
            c.rep = org.users.get(rep).copied();
        }
        fieldcrm_server::demo_data::seed_customers(&state.db, &state.hub, &cities, 2, 7)
            .await
            .unwrap();
        let url = format!("http://{}", app.local_addr());
        let (tx, rx) = oneshot::channel();
        tokio::spawn(app.run_with_shutdown(async move {
            let _ = rx.await;
        }));
        Server {
            url,
            owner_elsewhere: org.users["rep.bj"].to_string(),
            stop: Some(tx),
            _dir: dir,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

async fn open(dir: &tempfile::TempDir) -> Arc<FieldClient> {
    FieldClient::open(dir.path().join("device").display().to_string())
        .await
        .unwrap()
}

fn fv(field: &str, value: &str) -> FieldValue {
    FieldValue {
        field: field.to_owned(),
        value: value.to_owned(),
    }
}

#[derive(Default)]
struct Recorder(Mutex<Vec<SyncEvent>>);

/// What the app registers: a listener feeding a shared recorder.
struct Listener(Arc<Recorder>);

impl SyncListener for Listener {
    fn on_event(&self, event: SyncEvent) {
        self.0.0.lock().unwrap().push(event);
    }
}

impl Recorder {
    fn events(&self) -> Vec<SyncEvent> {
        self.0.lock().unwrap().clone()
    }

    async fn wait_for(&self, what: &str, f: impl Fn(&SyncEvent) -> bool) -> SyncEvent {
        for _ in 0..200 {
            if let Some(e) = self.events().into_iter().find(|e| f(e)) {
                return e;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no {what} event within 10 s; got {:?}", self.events());
    }
}

#[tokio::test]
async fn bad_server_url_is_invalid_input_or_offline() {
    let dir = tempfile::tempdir().unwrap();
    let client = open(&dir).await;
    let err = client
        .login("not a url".into(), "rep.sh".into(), "x".into(), "t".into())
        .await
        .unwrap_err();
    assert!(matches!(err, FieldError::InvalidInput { .. }), "{err:?}");
    // Nothing listens on port 1.
    let err = client
        .login(
            "http://127.0.0.1:1".into(),
            "rep.sh".into(),
            "x".into(),
            "t".into(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, FieldError::Offline { .. }), "{err:?}");
}

#[tokio::test]
async fn bad_ids_are_invalid_input() {
    let dir = tempfile::tempdir().unwrap();
    let client = open(&dir).await;
    for err in [
        client.get_customer("nope".into()).await.unwrap_err(),
        client
            .set_customer_fields("42".into(), vec![fv("tier", "A")])
            .await
            .unwrap_err(),
        client
            .start_visit("".into(), None, None, None)
            .await
            .unwrap_err(),
        client
            .finish_visit("x".into(), "ok".into(), "".into(), None, None)
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(err, FieldError::InvalidInput { .. }), "{err:?}");
    }
    // A well-formed id that is not on the device.
    let missing = fieldcrm_core::ids::CustomerId::new().to_string();
    let err = client.get_customer(missing).await.unwrap_err();
    assert!(matches!(err, FieldError::NotFound { .. }), "{err:?}");
    // Not logged in: no role, no writable fields.
    let err = client.writable_customer_fields().await.unwrap_err();
    assert!(matches!(err, FieldError::Unauthorized { .. }), "{err:?}");
    // Half a position.
    let err = client
        .start_visit(
            fieldcrm_core::ids::CustomerId::new().to_string(),
            Some(31.2),
            None,
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, FieldError::InvalidInput { .. }), "{err:?}");
}

#[tokio::test]
async fn a_file_where_the_store_should_be_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("device");
    std::fs::write(&file, b"not a directory").unwrap();
    let err = FieldClient::open(file.display().to_string())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FieldError::Internal { .. } | FieldError::InvalidInput { .. }
        ),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_sync_and_compensated_edit() {
    let server = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let client = open(&dir).await;
    let err = client
        .login(
            server.url.clone(),
            "rep.sh".into(),
            "wrong".into(),
            "t".into(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, FieldError::Unauthorized { .. }), "{err:?}");

    let session = client
        .login(
            server.url.clone(),
            "rep.sh".into(),
            PASSWORD.into(),
            "test phone".into(),
        )
        .await
        .unwrap();
    assert_eq!(
        (session.username.as_str(), session.role.as_str()),
        ("rep.sh", "rep")
    );
    assert_eq!(client.session().await.unwrap(), Some(session));
    let writable = client.writable_customer_fields().await.unwrap();
    assert!(writable.iter().any(|f| f == "tier"), "{writable:?}");
    assert!(!writable.iter().any(|f| f == "owner"), "{writable:?}");

    let report = client.sync_now().await.unwrap();
    assert!(report.docs_received > 0, "{report:?}");
    let customers = client.list_customers(None, 50, 0).await.unwrap();
    assert!(!customers.is_empty());
    let id = customers[0].id.clone();
    let before = client.get_customer(id.clone()).await.unwrap();

    // Offline edit: one writable field, one server-owned field.
    client
        .set_customer_fields(
            id.clone(),
            vec![fv("tier", "A"), fv("owner", &server.owner_elsewhere)],
        )
        .await
        .unwrap();
    assert_eq!(client.pending_count().await.unwrap(), 1);
    let local = client.get_customer(id.clone()).await.unwrap();
    assert_eq!(
        local.owner.as_deref(),
        Some(server.owner_elsewhere.as_str())
    );

    let report = client.sync_now().await.unwrap();
    assert_eq!(report.compensated, 1, "{report:?}");
    let after = client.get_customer(id.clone()).await.unwrap();
    assert_eq!(after.owner, before.owner, "the server restored the owner");
    assert_eq!(after.tier, "A", "the writable field stays");
    assert_eq!(client.pending_count().await.unwrap(), 0);
    let notices = client.notices().await.unwrap();
    assert!(
        notices.iter().any(|n| n.kind == NoticeKind::Compensated),
        "{notices:?}"
    );

    // A visit: check in, check out; both go up with the next sync.
    let visit = client
        .start_visit(id.clone(), Some(31.23), Some(121.47), Some(12.0))
        .await
        .unwrap();
    client
        .finish_visit(
            visit,
            "order next week".into(),
            "met the buyer".into(),
            None,
            None,
        )
        .await
        .unwrap();
    let report = client.sync_now().await.unwrap();
    assert_eq!((report.accepted, report.rejected), (1, 0), "{report:?}");

    // Live: an edit of a server-owned field made while connected comes back compensated.
    let recorder = Arc::new(Recorder::default());
    let live = client
        .start_live(Box::new(Listener(recorder.clone())))
        .await;
    recorder
        .wait_for("caught up", |e| matches!(e, SyncEvent::CaughtUp { .. }))
        .await;
    client
        .set_customer_fields(id.clone(), vec![fv("owner", &server.owner_elsewhere)])
        .await
        .unwrap();
    let event = recorder
        .wait_for("compensated", |e| {
            matches!(e, SyncEvent::Compensated { .. })
        })
        .await;
    assert_eq!(
        event,
        SyncEvent::Compensated {
            doc: id.clone(),
            paths: vec!["owner".to_owned()]
        }
    );
    assert!(live.is_running());
    live.stop().await;
    assert!(!live.is_running());
    live.stop().await;
    assert!(
        matches!(
            recorder.events().last(),
            Some(SyncEvent::Disconnected { .. })
        ),
        "{:?}",
        recorder.events()
    );
    let after_stop = recorder.events().len();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(recorder.events().len(), after_stop, "no events after stop");
    assert_eq!(client.get_customer(id).await.unwrap().owner, before.owner);

    client.logout().await.unwrap();
    assert_eq!(client.session().await.unwrap(), None);
    assert!(client.list_customers(None, 10, 0).await.unwrap().is_empty());
}

//! Tests of the phone facade as the apps use it (the crate's one test binary): error mapping, and
//! login + sync + compensation (with `sync_now` and with live sync + a listener) against a real
//! server on port 0; every sync event kind reaching the listener; contacts, visits and photos
//! (uploaded, refused, bad input); a corrupt store; the server going away in the middle of a sync.
//! Modules: [`reference`] (dictionary and custom fields), [`work`] (orders and dispatches).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test with its location"
)]

mod reference;
mod work;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fieldcrm_mobile::{
    ContactInput, FieldClient, FieldError, FieldValue, NoticeKind, SyncEvent, SyncListener,
};
use fieldcrm_server::seed::SeedReport;
use fieldcrm_server::settings::{Settings, SettingsLayer};
use fieldcrm_server::startup::{AppState, Application};
use tokio::sync::oneshot;

const PASSWORD: &str = "demo";

/// A real server on port 0 over a fresh SQLite database with the demo organisation.
struct Server {
    url: String,
    owner_elsewhere: String,
    state: AppState,
    org: SeedReport,
    stop: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start() -> Server {
        Self::start_with(None).await
    }

    /// A server whose attachment limit is `max_attachment_bytes` when given.
    async fn start_with(max_attachment_bytes: Option<usize>) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db_url = format!("sqlite://{}", dir.path().join("fieldcrm.db").display());
        let settings = Settings::from_layer(SettingsLayer {
            listen: Some("127.0.0.1:0".to_owned()),
            database_url: Some(db_url),
            data_dir: Some(dir.path().to_path_buf()),
            jwt_secret: Some("mobile-test-secret-0123456789abcdef".to_owned()),
            max_attachment_bytes,
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
            state,
            org,
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

/// A real 1×1 PNG, made unique by bytes after its end chunk.
fn png(tag: &str) -> Vec<u8> {
    let mut b = hex_decode(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000\
         1f15c4890000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082",
    );
    b.extend_from_slice(tag.as_bytes());
    b
}

fn hex_decode(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

async fn logged_in(server: &Server, dir: &tempfile::TempDir, user: &str) -> Arc<FieldClient> {
    let client = open(dir).await;
    client
        .login(
            server.url.clone(),
            user.into(),
            PASSWORD.into(),
            "test phone".into(),
        )
        .await
        .unwrap();
    client
}

fn contact(name: &str, primary: bool) -> ContactInput {
    ContactInput {
        name: name.into(),
        title: "采购经理 Buyer".into(),
        department: "采购部".into(),
        phones: vec!["138 0000 1111".into()],
        email: "buyer@example.cn".into(),
        role: "decision maker".into(),
        primary,
        notes: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sync_event_kind_reaches_the_listener() {
    let server = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let client = logged_in(&server, &dir, "rep.sh").await;
    let recorder = Arc::new(Recorder::default());
    let live = client
        .start_live(Box::new(Listener(recorder.clone())))
        .await;
    recorder
        .wait_for("connected", |e| matches!(e, SyncEvent::Connected))
        .await;
    recorder
        .wait_for(
            "docs",
            |e| matches!(e, SyncEvent::DocsReceived { count } if *count > 0),
        )
        .await;
    recorder
        .wait_for("caught up", |e| matches!(e, SyncEvent::CaughtUp { .. }))
        .await;
    let customers = client.list_customers(None, 50, 0).await.unwrap();
    let (id, moved) = (customers[0].id.clone(), customers[1].id.clone());

    // Compensated: a server-owned field.
    client
        .set_customer_fields(id.clone(), vec![fv("owner", &server.owner_elsewhere)])
        .await
        .unwrap();
    recorder
        .wait_for(
            "compensated",
            |e| matches!(e, SyncEvent::Compensated { doc, .. } if *doc == id),
        )
        .await;

    // Rejected: a customer created in another territory.
    let beijing = server.org.beijing.to_string();
    let outside = client
        .create_customer("越界 Out of bounds".into(), vec![fv("territory", &beijing)])
        .await
        .unwrap();
    recorder
        .wait_for(
            "rejected",
            |e| matches!(e, SyncEvent::Rejected { doc, .. } if *doc == outside),
        )
        .await;

    // Revoked: the office moves a customer to Beijing.
    fieldcrm_server::sync::write::move_customer(
        &server.state.db,
        &server.state.hub,
        moved.parse().unwrap(),
        server.org.beijing,
        None,
    )
    .await
    .unwrap();
    recorder
        .wait_for(
            "revoked",
            |e| matches!(e, SyncEvent::Revoked { docs } if docs.contains(&moved)),
        )
        .await;

    // UploadsFinished: a photo taken during a visit goes up beside the connection.
    let visit = client
        .start_visit(id.clone(), Some(31.23), Some(121.47), Some(8.0))
        .await
        .unwrap();
    let bytes = png("live");
    let sha = client
        .add_visit_photo(
            visit.clone(),
            bytes.clone(),
            "image/png".into(),
            "门头".into(),
        )
        .await
        .unwrap();
    let event = recorder
        .wait_for("uploads finished", |e| {
            matches!(e, SyncEvent::UploadsFinished { .. })
        })
        .await;
    assert_eq!(
        event,
        SyncEvent::UploadsFinished {
            uploaded: 1,
            failed: 0
        }
    );
    let store = fieldcrm_server::attachments::BlobStore::new(&server.state.settings.data_dir);
    let parsed = fieldcrm_core::attachment::Sha256Hex::parse(&sha).unwrap();
    assert_eq!(store.read(&parsed).await.unwrap().unwrap(), bytes);
    let record = client.get_visit(visit).await.unwrap();
    assert!(record.photos[0].uploaded);
    assert_eq!(client.status().await.unwrap().pending_uploads, 0);

    live.stop().await;
    assert!(
        matches!(
            recorder.events().last(),
            Some(SyncEvent::Disconnected { error: None })
        ),
        "{:?}",
        recorder.events()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visits_contacts_and_photos_through_the_facade() {
    let server = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let client = logged_in(&server, &dir, "rep.sh").await;
    client.sync_now().await.unwrap();
    let customer = client.list_customers(None, 1, 0).await.unwrap()[0].clone();

    // Contacts: add two (the second primary), update, remove.
    let a = client
        .add_contact(customer.id.clone(), contact("王经理", true))
        .await
        .unwrap();
    let b = client
        .add_contact(customer.id.clone(), contact("李工 Li", true))
        .await
        .unwrap();
    let card = client.get_customer(customer.id.clone()).await.unwrap();
    let primaries: Vec<_> = card
        .contacts
        .iter()
        .filter(|c| c.primary)
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(primaries, vec![b.clone()], "one primary contact");
    let mut changed = contact("王总 Wang", false);
    changed.phones = vec!["021-6888 1234".into()];
    client
        .update_contact(customer.id.clone(), a.clone(), changed)
        .await
        .unwrap();
    client
        .remove_contact(customer.id.clone(), b.clone())
        .await
        .unwrap();
    let card = client.get_customer(customer.id.clone()).await.unwrap();
    let wang = card.contacts.iter().find(|c| c.id == a).unwrap();
    assert_eq!(
        (wang.name.as_str(), wang.phones.clone()),
        ("王总 Wang", vec!["021-6888 1234".to_owned()])
    );
    assert!(card.contacts.iter().all(|c| c.id != b));
    for err in [
        client
            .add_contact(customer.id.clone(), contact("  ", false))
            .await
            .unwrap_err(),
        client
            .add_contact(
                customer.id.clone(),
                ContactInput {
                    phones: vec!["call me".into()],
                    ..contact("X", false)
                },
            )
            .await
            .unwrap_err(),
        client
            .update_contact(customer.id.clone(), "nope".into(), contact("X", false))
            .await
            .unwrap_err(),
        client
            .add_contact("nope".into(), contact("X", false))
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(err, FieldError::InvalidInput { .. }), "{err:?}");
    }
    let unknown = fieldcrm_core::ids::ContactId::new().to_string();
    let err = client
        .remove_contact(customer.id.clone(), unknown)
        .await
        .unwrap_err();
    assert!(matches!(err, FieldError::NotFound { .. }), "{err:?}");

    // Visits: two, newest first, with the customer's name; notes; a photo.
    let first = client
        .start_visit(customer.id.clone(), None, None, None)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let second = client
        .start_visit(customer.id.clone(), Some(31.2), Some(121.4), Some(15.0))
        .await
        .unwrap();
    client
        .set_visit_notes(second.clone(), "谈了价格 price talk".into())
        .await
        .unwrap();
    let photo = png("facade");
    let sha = client
        .add_visit_photo(
            second.clone(),
            photo.clone(),
            "image/png".into(),
            "样品 samples".into(),
        )
        .await
        .unwrap();
    // The same photo again is referenced once.
    assert_eq!(
        client
            .add_visit_photo(
                second.clone(),
                photo.clone(),
                "image/png".into(),
                String::new()
            )
            .await
            .unwrap(),
        sha
    );
    let list = client
        .list_visits(Some(customer.id.clone()), 10, 0)
        .await
        .unwrap();
    let ours: Vec<_> = list
        .iter()
        .filter(|v| v.id == first || v.id == second)
        .collect();
    assert_eq!(ours.len(), 2);
    assert_eq!(ours[0].id, second, "newest first: {list:?}");
    assert_eq!(ours[0].customer_name, customer.name);
    assert_eq!(ours[0].photo_count, 1);
    assert!(ours[0].pending);
    assert_eq!(
        client.list_visits(None, 1, 0).await.unwrap().len(),
        1,
        "limit"
    );
    let record = client.get_visit(second.clone()).await.unwrap();
    assert_eq!(record.notes, "谈了价格 price talk");
    assert_eq!(record.customer_id, customer.id);
    let check_in = record.check_in.clone().unwrap();
    assert_eq!(
        (check_in.lat, check_in.lon, check_in.accuracy_m),
        (Some(31.2), Some(121.4), Some(15.0))
    );
    assert!(record.check_out.is_none());
    assert_eq!(record.photos.len(), 1);
    let p = &record.photos[0];
    assert_eq!(
        (
            p.sha256.as_str(),
            p.content_type.as_str(),
            p.caption.as_str()
        ),
        (sha.as_str(), "image/png", "样品 samples")
    );
    assert!(!p.uploaded, "queued, not synced yet");
    assert_eq!(std::fs::read(p.local_path.clone().unwrap()).unwrap(), photo);
    assert_eq!(client.status().await.unwrap().pending_uploads, 1);

    // Sync pushes the visits and uploads the photo.
    let report = client.sync_now().await.unwrap();
    assert_eq!(report.rejected, 0, "{report:?}");
    assert_eq!(client.status().await.unwrap().pending_uploads, 0);
    assert!(client.get_visit(second.clone()).await.unwrap().photos[0].uploaded);
    let server_visit =
        fieldcrm_server::sync::write::load_record(&server.state.db, second.parse().unwrap())
            .await
            .unwrap();
    assert_eq!(server_visit["photos"][0]["sha256"], sha.as_str());
    let server_customer =
        fieldcrm_server::sync::write::load_record(&server.state.db, customer.id.parse().unwrap())
            .await
            .unwrap();
    assert!(
        server_customer["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "王总 Wang")
    );

    // Logout wipes photos with everything else.
    let local = dir.path().join("device").join("attachments").join(&sha);
    assert!(local.exists());
    client.logout().await.unwrap();
    assert!(!local.exists());
    assert_eq!(client.status().await.unwrap().pending_uploads, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_photos_are_invalid_input_and_nothing_is_queued() {
    let server = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let client = logged_in(&server, &dir, "rep.sh").await;
    client.sync_now().await.unwrap();
    let customer = client.list_customers(None, 1, 0).await.unwrap()[0]
        .id
        .clone();
    let visit = client
        .start_visit(customer, None, None, None)
        .await
        .unwrap();
    let mut huge = png("huge");
    huge.resize(10 * 1024 * 1024 + 1, 0);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (Vec::new(), "image/png"),
        (huge, "image/png"),
        (png("type"), "text/plain"),
        (png("type"), "image/jpeg"),
        (b"<script>alert(1)</script>".to_vec(), "image/png"),
        (png("type"), ""),
    ];
    for (bytes, ctype) in cases {
        let err = client
            .add_visit_photo(visit.clone(), bytes, ctype.into(), String::new())
            .await
            .unwrap_err();
        assert!(
            matches!(err, FieldError::InvalidInput { .. }),
            "{ctype}: {err:?}"
        );
    }
    let err = client
        .add_visit_photo(
            "not-an-id".into(),
            png("x"),
            "image/png".into(),
            String::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, FieldError::InvalidInput { .. }), "{err:?}");
    let missing = fieldcrm_core::ids::VisitId::new().to_string();
    let err = client
        .add_visit_photo(missing.clone(), png("x"), "image/png".into(), String::new())
        .await
        .unwrap_err();
    assert!(matches!(err, FieldError::NotFound { .. }), "{err:?}");
    assert!(matches!(
        client.get_visit(missing).await.unwrap_err(),
        FieldError::NotFound { .. }
    ));
    assert!(matches!(
        client
            .set_visit_notes("x".into(), String::new())
            .await
            .unwrap_err(),
        FieldError::InvalidInput { .. }
    ));
    assert!(matches!(
        client
            .list_visits(Some("x".into()), 10, 0)
            .await
            .unwrap_err(),
        FieldError::InvalidInput { .. }
    ));
    assert_eq!(client.status().await.unwrap().pending_uploads, 0);
    assert!(client.get_visit(visit).await.unwrap().photos.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_the_server_refuses_is_failed_with_a_notice() {
    // The server takes at most 64 bytes per attachment.
    let server = Server::start_with(Some(64)).await;
    let dir = tempfile::tempdir().unwrap();
    let client = logged_in(&server, &dir, "rep.sh").await;
    client.sync_now().await.unwrap();
    let customer = client.list_customers(None, 1, 0).await.unwrap()[0]
        .id
        .clone();
    let visit = client
        .start_visit(customer, None, None, None)
        .await
        .unwrap();
    let mut big = png("big");
    big.resize(1_000, 7);
    client
        .add_visit_photo(visit.clone(), big, "image/png".into(), String::new())
        .await
        .unwrap();
    let recorder = Arc::new(Recorder::default());
    let live = client
        .start_live(Box::new(Listener(recorder.clone())))
        .await;
    let event = recorder
        .wait_for("uploads finished", |e| {
            matches!(e, SyncEvent::UploadsFinished { .. })
        })
        .await;
    assert_eq!(
        event,
        SyncEvent::UploadsFinished {
            uploaded: 0,
            failed: 1
        }
    );
    live.stop().await;
    assert_eq!(client.status().await.unwrap().pending_uploads, 0);
    assert!(!client.get_visit(visit).await.unwrap().photos[0].uploaded);
    let notices = client.notices().await.unwrap();
    assert!(
        notices
            .iter()
            .any(|n| n.kind == NoticeKind::Error && n.message.contains("could not be uploaded")),
        "{notices:?}"
    );
}

#[tokio::test]
async fn a_corrupt_store_file_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("device");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("fieldcrm-client.db"), vec![0x5a_u8; 8192]).unwrap();
    let err = FieldClient::open(home.display().to_string())
        .await
        .unwrap_err();
    assert!(matches!(err, FieldError::Internal { .. }), "{err:?}");
}

/// A TCP proxy in front of the server that, once armed, cuts every connection after it has
/// forwarded `after` bytes from the server.
async fn cutting_proxy(
    target: String,
    armed: Arc<std::sync::atomic::AtomicBool>,
    after: usize,
) -> String {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let target = target.trim_start_matches("http://").to_owned();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(upstream) = tokio::net::TcpStream::connect(&target).await else {
                continue;
            };
            let cut = armed.load(Ordering::SeqCst);
            tokio::spawn(async move {
                let (mut cr, mut cw) = client.into_split();
                let (mut ur, mut uw) = upstream.into_split();
                let up = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut cr, &mut uw).await;
                });
                let mut sent = 0usize;
                let mut buf = vec![0u8; 4096];
                loop {
                    let n = match ur.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let n = if cut {
                        n.min(after.saturating_sub(sent))
                    } else {
                        n
                    };
                    if n == 0 || cw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                    sent += n;
                }
                up.abort();
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_going_away_mid_sync_is_offline_and_loses_nothing() {
    use std::sync::atomic::Ordering;
    let server = Server::start().await;
    let armed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let via = cutting_proxy(
        server.url.trim_start_matches("http://").to_owned(),
        armed.clone(),
        500,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let client = open(&dir).await;
    client
        .login(via, "rep.sh".into(), PASSWORD.into(), "t".into())
        .await
        .unwrap();
    // The first sync is cut in the middle of the documents.
    armed.store(true, Ordering::SeqCst);
    let err = client.sync_now().await.unwrap_err();
    assert!(matches!(err, FieldError::Offline { .. }), "{err:?}");
    // Local work meanwhile is kept, and the next sync completes.
    armed.store(false, Ordering::SeqCst);
    let report = client.sync_now().await.unwrap();
    assert!(report.docs_received > 0);
    let customer = client.list_customers(None, 1, 0).await.unwrap()[0]
        .id
        .clone();
    let visit = client
        .start_visit(customer, None, None, None)
        .await
        .unwrap();
    client
        .add_visit_photo(visit, png("kept"), "image/png".into(), String::new())
        .await
        .unwrap();
    // The server stops: sync is offline, the visit and its photo stay queued.
    drop(server);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let err = client.sync_now().await.unwrap_err();
    assert!(matches!(err, FieldError::Offline { .. }), "{err:?}");
    let status = client.status().await.unwrap();
    assert_eq!((status.pending_docs, status.pending_uploads), (1, 1));
}

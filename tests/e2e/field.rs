//! Real offline clients (`fieldcrm_core::client::FieldClient`, each with its own SQLite store)
//! against a real server: concurrent edits, compensation, rejection, revocation, reconnect cost,
//! crashes.

use fieldcrm_core::client::FieldClient;
use fieldcrm_core::client::store::NoticeKind;
use fieldcrm_core::domain::Customer;
use fieldcrm_core::{CustomerId, DocId};

use crate::harness::{Backend, PASSWORD, TestServer};

/// A logged-in, first-synced device of `user` with its own store directory.
struct Device {
    client: FieldClient,
    _home: tempfile::TempDir,
    home: std::path::PathBuf,
}

async fn device(server: &TestServer, user: &str) -> Device {
    let home = tempfile::tempdir().unwrap();
    let client = FieldClient::open(home.path()).await.unwrap();
    client
        .login(&server.url, user, PASSWORD, &format!("{user} phone"))
        .await
        .unwrap();
    let report = client.sync_once().await.unwrap();
    assert!(report.cursor > 0);
    Device {
        client,
        home: home.path().to_path_buf(),
        _home: home,
    }
}

async fn first_customer(d: &Device) -> CustomerId {
    let list = d.client.list_customers(None, 1, 0).await.unwrap();
    list[0].id
}

async fn server_customer(server: &TestServer, id: CustomerId) -> Customer {
    let v = fieldcrm_server::sync::write::load_record(&server.state.db, id.into())
        .await
        .unwrap();
    serde_json::from_value(v).unwrap()
}

async fn concurrent_offline_edits_converge(backend: Backend) {
    let Some(server) = TestServer::start(backend, 3).await else {
        return;
    };
    let a = device(&server, "rep.sh").await;
    let b = device(&server, "rep.sh").await;
    let id = first_customer(&a).await;
    // Offline on both: different fields, and the same field.
    a.client
        .edit_customer(id, |c| c.email = "buyer@hualian.cn".into())
        .await
        .unwrap();
    b.client
        .edit_customer(id, |c| c.tier = "A".into())
        .await
        .unwrap();
    a.client
        .edit_customer(id, |c| c.notes = "电话沟通 from A".into())
        .await
        .unwrap();
    b.client
        .edit_customer(id, |c| c.notes = "现场拜访 from B".into())
        .await
        .unwrap();
    assert_eq!(a.client.status().await.unwrap().pending_docs, 1);
    let ra = a.client.sync_once().await.unwrap();
    let rb = b.client.sync_once().await.unwrap();
    a.client.sync_once().await.unwrap();
    assert_eq!(
        (ra.accepted, rb.accepted, ra.rejected + rb.rejected),
        (1, 1, 0)
    );
    let (ca, cb, cs) = (
        a.client.get_customer(id).await.unwrap(),
        b.client.get_customer(id).await.unwrap(),
        server_customer(&server, id).await,
    );
    assert_eq!(ca, cb);
    assert_eq!(ca, cs);
    assert_eq!(
        (ca.email.as_str(), ca.tier.as_str()),
        ("buyer@hualian.cn", "A")
    );
    assert!(ca.notes.ends_with("from A") || ca.notes.ends_with("from B"));
    assert_eq!(a.client.status().await.unwrap().pending_docs, 0);
    server.stop().await;
}

async fn server_owned_edit_is_compensated(backend: Backend) {
    let Some(server) = TestServer::start(backend, 2).await else {
        return;
    };
    let a = device(&server, "rep.sh").await;
    let id = first_customer(&a).await;
    let before = a.client.get_customer(id).await.unwrap();
    let fields = vec![
        ("territory".to_owned(), server.org.beijing.to_string()),
        ("owner".to_owned(), server.user("rep.bj").to_string()),
        ("industry".to_owned(), "医疗".to_owned()),
    ];
    a.client.set_customer_fields(id, &fields).await.unwrap();
    let local = a.client.get_customer(id).await.unwrap();
    assert_eq!(
        local.territory,
        Some(server.org.beijing),
        "the device shows its edit until sync"
    );
    let report = a.client.sync_once().await.unwrap();
    assert_eq!(report.compensated, 1);
    let after = a.client.get_customer(id).await.unwrap();
    assert_eq!(
        (after.territory, after.owner),
        (before.territory, before.owner),
        "restored on the device"
    );
    assert_eq!(after.industry, "医疗", "the allowed field stays");
    let on_server = server_customer(&server, id).await;
    assert_eq!(on_server, after);
    let notices = a.client.notices().await.unwrap();
    let n = notices
        .iter()
        .find(|n| n.kind == NoticeKind::Compensated)
        .expect("a compensation notice");
    assert!(
        n.message.contains("territory") && n.message.contains("owner"),
        "{}",
        n.message
    );
    let audit = fieldcrm_server::db::audit::list(
        &server.state.db,
        &fieldcrm_server::db::audit::AuditFilter {
            doc_id: Some(id.to_string()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.entry.verdict.as_deref() == Some("compensated")),
        "{audit:?}"
    );
    server.stop().await;
}

async fn creation_outside_territory_is_rejected(backend: Backend) {
    let Some(server) = TestServer::start(backend, 2).await else {
        return;
    };
    let a = device(&server, "rep.sh").await;
    let c = Customer {
        name: "北京越界公司 Out of Bounds Ltd".into(),
        territory: Some(server.org.beijing),
        ..Default::default()
    };
    let id = a.client.create_customer(c).await.unwrap();
    assert_eq!(
        a.client
            .list_customers(Some("越界"), 10, 0)
            .await
            .unwrap()
            .len(),
        1
    );
    let report = a.client.sync_once().await.unwrap();
    assert_eq!(report.rejected, 1);
    let q = a.client.quarantine().await.unwrap();
    assert!(
        q.iter()
            .any(|e| e.doc_id == DocId::from(id) && e.code == "out_of_scope"),
        "{q:?}"
    );
    assert!(
        a.client
            .list_customers(Some("越界"), 10, 0)
            .await
            .unwrap()
            .is_empty(),
        "gone from lists"
    );
    assert!(
        a.client
            .notices()
            .await
            .unwrap()
            .iter()
            .any(|n| n.kind == NoticeKind::Rejected)
    );
    // Invisible to everyone else: not stored at all.
    assert!(
        fieldcrm_server::db::documents::anchors(&server.state.db, id.into())
            .await
            .unwrap()
            .is_none()
    );
    let bj = device(&server, "rep.bj").await;
    assert!(
        bj.client
            .list_customers(Some("越界"), 10, 0)
            .await
            .unwrap()
            .is_empty()
    );
    // A creation inside the rep's territory is accepted, with the server's owner.
    let ok = Customer {
        name: "浦东新客户 New Pudong Co".into(),
        territory: Some(server.org.shanghai),
        ..Default::default()
    };
    let ok_id = a.client.create_customer(ok).await.unwrap();
    let report = a.client.sync_once().await.unwrap();
    assert_eq!((report.accepted, report.rejected), (1, 0));
    assert_eq!(
        a.client.get_customer(ok_id).await.unwrap().owner,
        Some(server.user("rep.sh"))
    );
    server.stop().await;
}

async fn moved_customer_is_revoked_and_granted(backend: Backend) {
    let Some(server) = TestServer::start(backend, 3).await else {
        return;
    };
    let sh = device(&server, "rep.sh").await;
    let bj = device(&server, "rep.bj").await;
    let id = first_customer(&sh).await;
    let visits_before = sh.client.list_visits(Some(id)).await.unwrap().len();
    // rep.sh edits offline; meanwhile the office moves the customer to 北京.
    sh.client
        .edit_customer(id, |c| c.notes = "unsynced edit".into())
        .await
        .unwrap();
    fieldcrm_server::sync::write::move_customer(
        &server.state.db,
        &server.state.hub,
        id.into(),
        server.org.beijing,
        None,
    )
    .await
    .unwrap();
    let report = sh.client.sync_once().await.unwrap();
    assert!(report.revoked > visits_before as u64, "{report:?}");
    assert!(
        sh.client.get_customer(id).await.is_err(),
        "purged from rep.sh's device"
    );
    assert!(
        sh.client.list_visits(Some(id)).await.unwrap().is_empty(),
        "its visits too"
    );
    let notices = sh.client.notices().await.unwrap();
    assert!(
        notices
            .iter()
            .any(|n| n.kind == NoticeKind::Rejected && n.doc_id == Some(id.into())),
        "the unsynced edit comes back as a rejection: {notices:?}"
    );
    let report = bj.client.sync_once().await.unwrap();
    assert!(report.docs_received > visits_before as u64);
    let got = bj.client.get_customer(id).await.unwrap();
    assert_eq!(got.territory, Some(server.org.beijing));
    assert_eq!(
        bj.client.list_visits(Some(id)).await.unwrap().len(),
        visits_before
    );
    assert_ne!(got.notes, "unsynced edit");
    server.stop().await;
}

async fn reconnect_costs_what_changed(backend: Backend) {
    let Some(server) = TestServer::start(backend, 10).await else {
        return;
    };
    let office = device(&server, "office").await;
    let held = office
        .client
        .list_customers(None, 10_000, 0)
        .await
        .unwrap()
        .len();
    assert!(held >= 30);
    let editor = device(&server, "manager.east").await;
    for n in [3usize, 7] {
        let ids: Vec<CustomerId> = editor
            .client
            .list_customers(None, n as u32, 0)
            .await
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect();
        for id in &ids {
            editor
                .client
                .edit_customer(*id, |c| c.notes = format!("edit round {n}"))
                .await
                .unwrap();
        }
        editor.client.sync_once().await.unwrap();
        let r = office.client.sync_once().await.unwrap();
        assert_eq!(
            r.docs_received, n as u64,
            "reconnect after {n} remote edits (device holds {held}): {r:?}"
        );
        assert!(r.frames_received <= 3 + n as u64, "{r:?}");
    }
    let idle = office.client.sync_once().await.unwrap();
    assert_eq!(idle.docs_received, 0);
    server.stop().await;
}

async fn crashes_lose_nothing(backend: Backend) {
    let Some(mut server) = TestServer::start(backend, 3).await else {
        return;
    };
    let a = device(&server, "rep.hz").await;
    let ids: Vec<CustomerId> = a
        .client
        .list_customers(None, 3, 0)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    // Device "killed" between a local edit and sync: the edit was committed before the call
    // returned, so a fresh process on the same store still has it.
    a.client
        .edit_customer(ids[0], |c| c.tier = "A".into())
        .await
        .unwrap();
    // No orderly shutdown: the client is dropped with its pool, as when the process is killed.
    let home = a.home.clone();
    drop(a.client);
    let reopened = FieldClient::open(&home).await.unwrap();
    assert_eq!(reopened.status().await.unwrap().pending_docs, 1);
    assert_eq!(reopened.get_customer(ids[0]).await.unwrap().tier, "A");
    reopened.sync_once().await.unwrap();
    // Server killed right after acknowledging: what it acknowledged survives.
    reopened
        .edit_customer(ids[1], |c| c.tier = "B".into())
        .await
        .unwrap();
    let r = reopened.sync_once().await.unwrap();
    assert_eq!(r.accepted, 1);
    server.crash_and_restart().await;
    assert_eq!(server_customer(&server, ids[0]).await.tier, "A");
    assert_eq!(server_customer(&server, ids[1]).await.tier, "B");
    // Server killed in the middle of a sync: afterwards both sides converge.
    reopened
        .edit_customer(ids[2], |c| c.tier = "C".into())
        .await
        .unwrap();
    let during = tokio::spawn({
        let c = reopened.clone();
        async move { c.sync_once().await }
    });
    server.crash_and_restart().await;
    let _ = during.await;
    reopened.sync_once().await.unwrap();
    assert_eq!(reopened.status().await.unwrap().pending_docs, 0);
    assert_eq!(server_customer(&server, ids[2]).await.tier, "C");
    let other = device(&server, "rep.hz").await;
    for id in &ids {
        assert_eq!(
            other.client.get_customer(*id).await.unwrap(),
            reopened.get_customer(*id).await.unwrap()
        );
    }
    server.stop().await;
}

on_both_backends!(
    concurrent_offline_edits_converge,
    server_owned_edit_is_compensated,
    creation_outside_territory_is_rejected,
    moved_customer_is_revoked_and_granted,
    reconnect_costs_what_changed,
    crashes_lose_nothing,
);

//! Live fan-out: a connected device receives changes as they are accepted, only those of its
//! scope — within one server, and between server processes sharing PostgreSQL.

use std::time::Duration;

use fieldcrm_core::CustomerId;
use fieldcrm_core::client::{FieldClient, SyncEvent};

use crate::harness::{Backend, PASSWORD, TestServer};

async fn device_at(url: &str, user: &str) -> (FieldClient, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let client = FieldClient::open(home.path()).await.unwrap();
    client
        .login(url, user, PASSWORD, "live test")
        .await
        .unwrap();
    client.sync_once().await.unwrap();
    (client, home)
}

/// Waits (bounded) until `client` holds customer `id` with `notes`, driven by sync events.
async fn until_notes(
    client: &FieldClient,
    events: &mut tokio::sync::broadcast::Receiver<SyncEvent>,
    id: CustomerId,
    notes: &str,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if client
            .get_customer(id)
            .await
            .map(|c| c.notes == notes)
            .unwrap_or(false)
        {
            return;
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(e)) => panic!("event channel closed: {e}"),
            Err(_) => panic!("customer {id} never received notes {notes:?} live"),
        }
    }
}

async fn connected_devices_receive_changes_live(backend: Backend) {
    let Some(server) = TestServer::start(backend, 3).await else {
        return;
    };
    let (rep, _h1) = device_at(&server.url, "rep.sh").await;
    let mut events = rep.subscribe();
    let live = rep.run_live();
    let (office, _h2) = device_at(&server.url, "office").await;
    let sh_id = rep.list_customers(None, 1, 0).await.unwrap()[0].id;
    let bj = office.list_customers(Some("北京"), 1, 0).await.unwrap();
    let bj_id = bj[0].id;
    // An out-of-scope change first, then an in-scope one: only the second reaches rep.sh.
    office
        .edit_customer(bj_id, |c| c.notes = "北京 only".into())
        .await
        .unwrap();
    office
        .edit_customer(sh_id, |c| c.notes = "live from the office".into())
        .await
        .unwrap();
    office.sync_once().await.unwrap();
    until_notes(&rep, &mut events, sh_id, "live from the office").await;
    assert!(
        rep.get_customer(bj_id).await.is_err(),
        "out-of-scope documents never reach the device"
    );
    // And the other way: a live device's local edit is pushed promptly.
    rep.edit_customer(sh_id, |c| c.notes = "pushed live by the rep".into())
        .await
        .unwrap();
    let mut office_events = office.subscribe();
    let office_live = office.run_live();
    until_notes(&office, &mut office_events, sh_id, "pushed live by the rep").await;
    office_live.stop().await;
    live.stop().await;
    server.stop().await;
}

async fn fan_out_between_server_processes(backend: Backend) {
    if backend == Backend::Sqlite {
        return; // Several processes on one database is the PostgreSQL deployment.
    }
    let Some(server) = TestServer::start(backend, 2).await else {
        return;
    };
    let (sibling_url, stop_sibling) = server.sibling().await;
    let (rep, _h1) = device_at(&server.url, "rep.hz").await;
    let mut events = rep.subscribe();
    let live = rep.run_live();
    let (manager, _h2) = device_at(&sibling_url, "manager.east").await;
    let id = rep.list_customers(None, 1, 0).await.unwrap()[0].id;
    manager
        .edit_customer(id, |c| c.notes = "via the other process".into())
        .await
        .unwrap();
    manager.sync_once().await.unwrap();
    until_notes(&rep, &mut events, id, "via the other process").await;
    live.stop().await;
    let _ = stop_sibling.send(());
    server.stop().await;
}

on_both_backends!(
    connected_devices_receive_changes_live,
    fan_out_between_server_processes
);

async fn live_sync_survives_access_token_expiry(backend: Backend) {
    // Access tokens live 2 s: the server ends the session when one expires; the device refreshes
    // and reconnects on its own, and keeps receiving changes.
    let Some(server) = TestServer::start_with(backend, 2, |s| s.access_token_ttl_secs = 2).await
    else {
        return;
    };
    let (rep, _h) = device_at(&server.url, "rep.bj").await;
    let mut events = rep.subscribe();
    let live = rep.run_live();
    let mut connects = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while connects < 2 {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Ok(SyncEvent::Connected)) => connects += 1,
            Ok(Ok(SyncEvent::Disconnected { error: Some(e) })) => {
                assert!(e.contains("token_expired"), "{e}")
            }
            Ok(_) => {}
            Err(_) => panic!("the device did not reconnect after its token expired"),
        }
    }
    let (office, _h2) = device_at(&server.url, "office").await;
    let id = rep.list_customers(None, 1, 0).await.unwrap()[0].id;
    office
        .edit_customer(id, |c| c.notes = "after the refresh".into())
        .await
        .unwrap();
    office.sync_once().await.unwrap();
    until_notes(&rep, &mut events, id, "after the refresh").await;
    live.stop().await;
    server.stop().await;
}

on_both_backends!(live_sync_survives_access_token_expiry);

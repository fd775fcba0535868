//! Service end to end: the office dispatches a ticket to an engineer; the engineer's phone
//! receives it, goes offline, works it to completion with a photo and the customer's signature,
//! syncs; the office sees it complete with its work log and files. Reassigning a dispatch purges it
//! from the first engineer's phone and hands it to the second.

use fieldcrm_core::client::{DispatchAction, FieldClient};
use fieldcrm_core::domain::{CheckPoint, Dispatch, DispatchStatus, GeoPoint, Site};
use fieldcrm_core::{CustomerId, DispatchId, DocId, Kind, TicketId, UserId};
use fieldcrm_server::sync::write;
use serde_json::json;
use sqlx::Row;

use crate::harness::{Backend, PASSWORD, TestServer};

/// A real 1×1 PNG, unique by its trailing tag.
fn png(tag: &str) -> Vec<u8> {
    let hex = "89504e470d0a1a0a0000000d4948445200000001000000010806000000\
               1f15c4890000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082";
    let mut b: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    b.extend_from_slice(tag.as_bytes());
    b
}

async fn phone(server: &TestServer, user: &str) -> (FieldClient, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let client = FieldClient::open(home.path()).await.unwrap();
    client
        .login(&server.url, user, PASSWORD, &format!("{user} phone"))
        .await
        .unwrap();
    client.sync_once().await.unwrap();
    (client, home)
}

async fn any_customer(server: &TestServer) -> CustomerId {
    let id: String = sqlx::query_scalar("SELECT id FROM customers ORDER BY name LIMIT 1")
        .fetch_one(server.state.db.pool())
        .await
        .unwrap();
    DocId::parse(&id).unwrap().into()
}

/// The office dispatches a repair at `customer` to `engineer`, as the back office does.
async fn dispatch(server: &TestServer, customer: CustomerId, engineer: UserId) -> DispatchId {
    let d = Dispatch {
        ticket: Some(TicketId::new()),
        customer: Some(customer),
        engineer: Some(engineer),
        ticket_type: "repair".into(),
        priority: "high".into(),
        description: "Pump leaking <b>badly</b>".into(),
        site: Site {
            customer_name: "华联超市".into(),
            address: "上海市浦东新区世纪大道 100 号".into(),
            contact_name: "王经理".into(),
            contact_phone: "13800000000".into(),
            geo: None,
        },
        ..Dispatch::default()
    };
    let id = DispatchId::new();
    write::server_create(
        &server.state.db,
        &server.state.hub,
        Kind::Dispatch,
        id.into(),
        &serde_json::to_value(&d).unwrap(),
        Some(server.user("office")),
    )
    .await
    .unwrap();
    id
}

async fn engineer_works_a_dispatch_offline(backend: Backend) {
    let Some(server) = TestServer::start(backend, 2).await else {
        return;
    };
    let engineer = server.user("engineer");
    let customer = any_customer(&server).await;
    let (phone, _home) = phone(&server, "engineer").await;
    assert!(phone.list_dispatches().await.unwrap().is_empty());
    let id = dispatch(&server, customer, engineer).await;

    // The dispatch arrives, with the site, and nothing else of the customer.
    phone.sync_once().await.unwrap();
    let list = phone.list_dispatches().await.unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(
        (list[0].id, list[0].status, list[0].customer_name.as_str()),
        (id, DispatchStatus::Assigned, "华联超市")
    );
    assert!(phone.list_customers(None, 10, 0).await.unwrap().is_empty());

    // Offline: the whole job, step by step, nothing synced in between.
    let act = |a: DispatchAction| phone.dispatch_action(id, a);
    act(DispatchAction::Accept).await.unwrap();
    act(DispatchAction::EnRoute).await.unwrap();
    act(DispatchAction::CheckIn(CheckPoint {
        at: 1_700_000_000_000,
        geo: Some(GeoPoint {
            lat: 31.2304,
            lon: 121.4737,
        }),
        accuracy_m: Some(6.0),
    }))
    .await
    .unwrap();
    act(DispatchAction::Log("replaced the pump seal".into()))
        .await
        .unwrap();
    let photo = phone
        .add_dispatch_photo(id, &png("seal"), "image/png", "new seal", 1_700_000_100_000)
        .await
        .unwrap();
    // Completing before the customer signs is refused on the device already.
    let early = act(DispatchAction::Complete).await;
    assert!(early.is_err(), "{early:?}");
    let signature = phone
        .sign_dispatch(id, &png("signature"), "image/png")
        .await
        .unwrap();
    act(DispatchAction::Complete).await.unwrap();
    act(DispatchAction::Survey {
        score: 5,
        comment: "fast".into(),
    })
    .await
    .unwrap();
    assert_eq!(phone.status().await.unwrap().pending_docs, 1);

    // Back online.
    let report = phone.sync_once().await.unwrap();
    assert_eq!(
        (report.accepted, report.compensated, report.rejected),
        (1, 0, 0),
        "{report:?}"
    );
    assert_eq!(
        (report.uploaded, report.upload_failed),
        (2, 0),
        "{report:?}"
    );

    // The office sees it complete with the work log, the photo and the signature.
    let record: Dispatch = serde_json::from_value(
        write::load_record(&server.state.db, id.into())
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(record.status, DispatchStatus::Completed);
    assert_eq!(record.work_log.len(), 1);
    assert_eq!(record.work_log[0].text, "replaced the pump seal");
    assert_eq!(record.photos[0].sha256, photo.as_str());
    assert_eq!(
        record.signature.as_ref().map(|s| s.sha256.as_str()),
        Some(signature.as_str())
    );
    assert_eq!(record.survey.as_ref().map(|s| s.score), Some(5));
    let row = sqlx::query("SELECT status, survey_score, photo_count FROM dispatches WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(server.state.db.pool())
        .await
        .unwrap();
    assert_eq!(row.try_get::<String, _>("status").unwrap(), "completed");
    assert_eq!(
        row.try_get::<Option<i64>, _>("survey_score").unwrap(),
        Some(5)
    );
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM attachments WHERE sha256 IN ($1, $2)")
            .bind(photo.as_str())
            .bind(signature.as_str())
            .fetch_one(server.state.db.pool())
            .await
            .unwrap();
    assert_eq!(stored, 2, "both files are on the server");
    // The status log shows every step, by the engineer (one push, judged step by step).
    let log = fieldcrm_server::db::projections::status_log(&server.state.db, id.into())
        .await
        .unwrap();
    let steps: Vec<&str> = log.iter().map(|e| e.status.as_str()).collect();
    assert_eq!(
        steps,
        ["assigned", "completed"],
        "the projection logs what each write left"
    );
    assert_eq!(log[1].user, Some(engineer));
    server.stop().await;
}

on_both_backends!(engineer_works_a_dispatch_offline);

async fn reassignment_moves_the_dispatch_between_phones(backend: Backend) {
    let Some(server) = TestServer::start(backend, 2).await else {
        return;
    };
    let hash = fieldcrm_server::auth::password::hash_password(PASSWORD).unwrap();
    let second = fieldcrm_server::db::users::create(
        &server.state.db,
        &fieldcrm_server::db::users::NewUser {
            username: "engineer.2",
            display_name: "Second engineer",
            role: fieldcrm_core::Role::Engineer,
            password_hash: &hash,
        },
    )
    .await
    .unwrap();
    let customer = any_customer(&server).await;
    let (first_phone, _h1) = phone(&server, "engineer").await;
    let (second_phone, _h2) = phone(&server, "engineer.2").await;
    let id = dispatch(&server, customer, server.user("engineer")).await;
    first_phone.sync_once().await.unwrap();
    second_phone.sync_once().await.unwrap();
    assert_eq!(first_phone.list_dispatches().await.unwrap().len(), 1);
    assert!(second_phone.list_dispatches().await.unwrap().is_empty());

    // The engineer may not hand it over; the change comes back compensated.
    first_phone
        .dispatch_action(id, DispatchAction::Accept)
        .await
        .unwrap();
    let report = first_phone.sync_once().await.unwrap();
    assert_eq!(report.accepted, 1, "{report:?}");

    // The office reassigns it.
    write::server_update(
        &server.state.db,
        &server.state.hub,
        id.into(),
        Some(server.user("office")),
        "dispatch.reassign",
        |v| {
            v["engineer"] = json!(second.id.to_string());
            v["status"] = json!("assigned");
            Ok(())
        },
    )
    .await
    .unwrap();
    first_phone.sync_once().await.unwrap();
    second_phone.sync_once().await.unwrap();
    assert!(
        first_phone.list_dispatches().await.unwrap().is_empty(),
        "purged from the first engineer's phone"
    );
    assert!(first_phone.get_dispatch(id).await.is_err());
    let list = second_phone.list_dispatches().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].id, list[0].status), (id, DispatchStatus::Assigned));
    server.stop().await;
}

on_both_backends!(reassignment_moves_the_dispatch_between_phones);

//! Orders and dispatches through the facade, against a real server: the office dispatches a job to
//! the engineer while the phone is live (the listener gets `Arrived` for a dispatch), the engineer
//! works it offline step by step (illegal steps are typed errors, the open steps follow the
//! workflow), syncs, and the server has it complete with the photo and the signature; a rep writes
//! an order offline, submits it, syncs, and the server has it submitted (numbered once pricing
//! runs on the server).

use std::sync::Arc;

use fieldcrm_core::domain::{Dispatch, Site};
use fieldcrm_core::{DispatchId, Kind, TicketId, UserId};
use fieldcrm_mobile::{
    DispatchStatus, DispatchStep, FieldError, OrderLineInput, OrderStatus, OrderStep, SyncEvent,
};
use fieldcrm_server::sync::write;

use super::{Listener, Recorder, Server, logged_in, png};

/// A customer of rep.sh's territory (Shanghai), by name.
async fn shanghai_customer(server: &Server) -> String {
    sqlx::query_scalar("SELECT id FROM customers WHERE territory_id = $1 ORDER BY name, id LIMIT 1")
        .bind(server.org.shanghai.to_string())
        .fetch_one(server.state.db.pool())
        .await
        .unwrap()
}

/// The office dispatches a repair at `customer` to `engineer`, as the back office does (through
/// the server's write path, so it fans out to connected phones).
async fn office_dispatches(server: &Server, customer: &str, engineer: UserId) -> String {
    let d = Dispatch {
        ticket: Some(TicketId::new()),
        customer: Some(customer.parse().unwrap()),
        engineer: Some(engineer),
        ticket_type: "repair".into(),
        priority: "high".into(),
        description: "冷柜不制冷 Freezer not cooling".into(),
        product_serial: "SN-10037".into(),
        site: Site {
            customer_name: "华联超市 Hualian".into(),
            address: "上海市浦东新区世纪大道 100 号".into(),
            contact_name: "王经理".into(),
            contact_phone: "13800000000".into(),
            geo: None,
        },
        scheduled_at: Some(1_900_000_000_000),
        ..Dispatch::default()
    };
    let id = DispatchId::new();
    write::server_create(
        &server.state.db,
        &server.state.hub,
        Kind::Dispatch,
        id.into(),
        &serde_json::to_value(&d).unwrap(),
        Some(server.org.users["office"]),
    )
    .await
    .unwrap();
    id.to_string()
}

fn product() -> String {
    fieldcrm_core::ProductId::new().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engineer_receives_a_dispatch_and_works_it_offline_to_completion() {
    let server = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let phone = logged_in(&server, &dir, "engineer").await;
    phone.sync_now().await.unwrap();
    assert!(phone.list_dispatches().await.unwrap().is_empty());

    // Live: the office dispatches; the listener is told a dispatch arrived.
    let recorder = Arc::new(Recorder::default());
    let live = phone.start_live(Box::new(Listener(recorder.clone()))).await;
    recorder
        .wait_for("caught up", |e| matches!(e, SyncEvent::CaughtUp { .. }))
        .await;
    let customer = shanghai_customer(&server).await;
    let id = office_dispatches(&server, &customer, server.org.users["engineer"]).await;
    let arrived = recorder
        .wait_for("arrived", |e| matches!(e, SyncEvent::Arrived { .. }))
        .await;
    assert_eq!(
        arrived,
        SyncEvent::Arrived {
            kind: "dispatch".into(),
            docs: vec![id.clone()]
        }
    );
    // Offline from here on.
    live.stop().await;

    let list = phone.list_dispatches().await.unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(
        (
            list[0].id.as_str(),
            list[0].status,
            list[0].customer_name.as_str(),
            list[0].ticket_type.as_str(),
            list[0].scheduled_at,
        ),
        (
            id.as_str(),
            DispatchStatus::Assigned,
            "华联超市 Hualian",
            "repair",
            Some(1_900_000_000_000)
        )
    );
    let card = phone.get_dispatch(id.clone()).await.unwrap();
    assert_eq!(card.site.contact_phone, "13800000000");
    assert_eq!(card.description, "冷柜不制冷 Freezer not cooling");
    assert_eq!(card.customer_id.as_deref(), Some(customer.as_str()));
    assert_eq!(card.steps, vec![DispatchStep::Accept]);
    // Work before accepting is refused.
    let err = phone
        .log_dispatch_work(id.clone(), "started".into())
        .await
        .unwrap_err();
    assert!(matches!(err, FieldError::Forbidden { .. }), "{err:?}");

    phone.accept_dispatch(id.clone()).await.unwrap();
    let card = phone.get_dispatch(id.clone()).await.unwrap();
    assert_eq!(card.status, DispatchStatus::Accepted);
    use DispatchStep::*;
    assert_eq!(
        card.steps,
        vec![EnRoute, CheckIn, Log, AddPart, AddPhoto, Sign, Unable]
    );
    // Completing before the check-in is an illegal step: Forbidden, and nothing changes.
    let err = phone.complete_dispatch(id.clone()).await.unwrap_err();
    assert!(matches!(err, FieldError::Forbidden { .. }), "{err:?}");
    phone.set_dispatch_en_route(id.clone()).await.unwrap();
    let err = phone.complete_dispatch(id.clone()).await.unwrap_err();
    assert!(matches!(err, FieldError::Forbidden { .. }), "{err:?}");
    assert_eq!(
        phone.get_dispatch(id.clone()).await.unwrap().status,
        DispatchStatus::EnRoute
    );
    let err = phone
        .check_in_dispatch(id.clone(), Some(31.2), None, None)
        .await
        .unwrap_err();
    assert!(matches!(err, FieldError::InvalidInput { .. }), "{err:?}");
    phone
        .check_in_dispatch(id.clone(), Some(31.2304), Some(121.4737), Some(6.0))
        .await
        .unwrap();
    let card = phone.get_dispatch(id.clone()).await.unwrap();
    assert_eq!(card.status, DispatchStatus::OnSite);
    let check_in = card.check_in.unwrap();
    assert_eq!(
        (check_in.lat, check_in.lon, check_in.accuracy_m),
        (Some(31.2304), Some(121.4737), Some(6.0))
    );
    assert_eq!(card.steps, vec![Log, AddPart, AddPhoto, Sign, Unable]);
    // Complete needs the customer's signature: the record cannot take it yet.
    let err = phone.complete_dispatch(id.clone()).await.unwrap_err();
    assert!(matches!(err, FieldError::InvalidInput { .. }), "{err:?}");

    // The work: a log entry, a part with its serial, a photo, the signature.
    for err in [
        phone
            .log_dispatch_work(id.clone(), "  ".into())
            .await
            .unwrap_err(),
        phone
            .add_dispatch_part(id.clone(), "nope".into(), 1.0, vec![])
            .await
            .unwrap_err(),
        phone
            .add_dispatch_part(id.clone(), product(), 0.0, vec![])
            .await
            .unwrap_err(),
        phone
            .add_dispatch_photo(
                id.clone(),
                b"not a png".to_vec(),
                "image/png".into(),
                "".into(),
            )
            .await
            .unwrap_err(),
        phone.accept_dispatch("x".into()).await.unwrap_err(),
    ] {
        assert!(matches!(err, FieldError::InvalidInput { .. }), "{err:?}");
    }
    let err = phone
        .accept_dispatch(DispatchId::new().to_string())
        .await
        .unwrap_err();
    assert!(matches!(err, FieldError::NotFound { .. }), "{err:?}");
    phone
        .log_dispatch_work(id.clone(), "更换压缩机继电器 replaced the relay".into())
        .await
        .unwrap();
    let part = product();
    phone
        .add_dispatch_part(
            id.clone(),
            part.clone(),
            1.0,
            vec!["RL-778".into(), " ".into()],
        )
        .await
        .unwrap();
    let photo_bytes = png("relay");
    let photo = phone
        .add_dispatch_photo(
            id.clone(),
            photo_bytes.clone(),
            "image/png".into(),
            "旧继电器 old relay".into(),
        )
        .await
        .unwrap();
    let signature_bytes = png("signature");
    let signature = phone
        .sign_dispatch(id.clone(), signature_bytes.clone(), "image/png".into())
        .await
        .unwrap();
    let card = phone.get_dispatch(id.clone()).await.unwrap();
    assert_eq!(
        card.steps,
        vec![Log, AddPart, AddPhoto, Sign, Complete, Unable]
    );
    assert_eq!(card.work_log[0].text, "更换压缩机继电器 replaced the relay");
    assert_eq!(card.parts[0].product_id.as_deref(), Some(part.as_str()));
    assert_eq!(card.parts[0].serials, vec!["RL-778".to_owned()]);
    assert_eq!(
        (card.photos[0].sha256.as_str(), card.photos[0].uploaded),
        (photo.as_str(), false)
    );
    let local = card.signature.as_ref().unwrap().local_path.clone().unwrap();
    assert_eq!(std::fs::read(local).unwrap(), signature_bytes);

    phone.complete_dispatch(id.clone()).await.unwrap();
    let card = phone.get_dispatch(id.clone()).await.unwrap();
    assert_eq!(card.status, DispatchStatus::Completed);
    assert!(card.completed_at.is_some());
    assert_eq!(card.steps, vec![Survey]);
    let err = phone
        .log_dispatch_work(id.clone(), "after the fact".into())
        .await
        .unwrap_err();
    assert!(matches!(err, FieldError::Forbidden { .. }), "{err:?}");
    let err = phone
        .record_dispatch_survey(id.clone(), 6, String::new())
        .await
        .unwrap_err();
    assert!(matches!(err, FieldError::InvalidInput { .. }), "{err:?}");
    phone
        .record_dispatch_survey(id.clone(), 5, " 很快 fast ".into())
        .await
        .unwrap();
    let status = phone.status().await.unwrap();
    assert_eq!((status.pending_docs, status.pending_uploads), (1, 2));

    // Back online: one push, accepted; both files uploaded.
    let report = phone.sync_now().await.unwrap();
    assert_eq!(
        (report.accepted, report.compensated, report.rejected),
        (1, 0, 0),
        "{report:?}"
    );
    let status = phone.status().await.unwrap();
    assert_eq!((status.pending_docs, status.pending_uploads), (0, 0));
    let card = phone.get_dispatch(id.clone()).await.unwrap();
    assert!(card.photos[0].uploaded && card.signature.as_ref().unwrap().uploaded);

    // The office has it complete, with everything.
    let record: Dispatch = serde_json::from_value(
        write::load_record(&server.state.db, id.parse().unwrap())
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(record.status.as_str(), "completed");
    assert_eq!(record.work_log.len(), 1);
    assert_eq!(
        record.work_log[0].text,
        "更换压缩机继电器 replaced the relay"
    );
    assert_eq!(record.parts[0].serials, vec!["RL-778".to_owned()]);
    assert_eq!(record.photos[0].sha256, photo);
    assert_eq!(record.photos[0].caption, "旧继电器 old relay");
    assert_eq!(
        record.signature.as_ref().map(|s| s.sha256.as_str()),
        Some(signature.as_str())
    );
    assert_eq!(
        record
            .survey
            .as_ref()
            .map(|s| (s.score, s.comment.as_str())),
        Some((5, "很快 fast"))
    );
    assert_eq!(
        record.check_in.and_then(|c| c.geo).map(|g| g.lat),
        Some(31.2304)
    );
    let store = fieldcrm_server::attachments::BlobStore::new(&server.state.settings.data_dir);
    for (sha, bytes) in [(&photo, &photo_bytes), (&signature, &signature_bytes)] {
        let parsed = fieldcrm_core::attachment::Sha256Hex::parse(sha).unwrap();
        assert_eq!(&store.read(&parsed).await.unwrap().unwrap(), bytes);
    }
    let status: String = sqlx::query_scalar("SELECT status FROM dispatches WHERE id = $1")
        .bind(&id)
        .fetch_one(server.state.db.pool())
        .await
        .unwrap();
    assert_eq!(status, "completed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engineer_who_cannot_finish_says_why() {
    let server = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let customer = shanghai_customer(&server).await;
    let id = office_dispatches(&server, &customer, server.org.users["engineer"]).await;
    let phone = logged_in(&server, &dir, "engineer").await;
    phone.sync_now().await.unwrap();
    // Not accepted yet: giving up is not a step from "assigned".
    let err = phone
        .mark_dispatch_unable(id.clone(), "no time".into())
        .await
        .unwrap_err();
    assert!(matches!(err, FieldError::Forbidden { .. }), "{err:?}");
    phone.accept_dispatch(id.clone()).await.unwrap();
    let err = phone
        .mark_dispatch_unable(id.clone(), " ".into())
        .await
        .unwrap_err();
    assert!(matches!(err, FieldError::InvalidInput { .. }), "{err:?}");
    phone
        .mark_dispatch_unable(id.clone(), "客户关门 shop closed".into())
        .await
        .unwrap();
    let card = phone.get_dispatch(id.clone()).await.unwrap();
    assert_eq!(
        (card.status, card.unable_reason.as_str()),
        (DispatchStatus::Unable, "客户关门 shop closed")
    );
    assert!(card.steps.is_empty(), "{:?}", card.steps);
    let report = phone.sync_now().await.unwrap();
    assert_eq!((report.accepted, report.rejected), (1, 0), "{report:?}");
    let record = write::load_record(&server.state.db, id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(
        (record["status"].as_str(), record["unable_reason"].as_str()),
        (Some("unable"), Some("客户关门 shop closed"))
    );

    // A rep's phone never holds the dispatch.
    let rep_dir = tempfile::tempdir().unwrap();
    let rep = logged_in(&server, &rep_dir, "rep.sh").await;
    rep.sync_now().await.unwrap();
    assert!(rep.list_dispatches().await.unwrap().is_empty());
    let err = rep.get_dispatch(id).await.unwrap_err();
    assert!(matches!(err, FieldError::NotFound { .. }), "{err:?}");
}

fn line(product: &str, quantity: f64) -> OrderLineInput {
    OrderLineInput {
        product_id: product.to_owned(),
        quantity,
        discount_bp: 500,
        requested_delivery: Some("2026-09-01".into()),
        notes: "送货上门 deliver to the door".into(),
    }
}

/// An order number as the server formats it: `SO-YYYY-NNNNNN`.
fn is_order_number(n: &str) -> bool {
    let parts: Vec<&str> = n.split('-').collect();
    parts.len() == 3
        && parts[0] == "SO"
        && parts[1].len() == 4
        && parts[2].len() == 6
        && parts[1..]
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_digit()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rep_writes_an_order_offline_and_submits_it() {
    let server = Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let phone = logged_in(&server, &dir, "rep.sh").await;
    phone.sync_now().await.unwrap();
    let customer = shanghai_customer(&server).await;
    let name = phone.get_customer(customer.clone()).await.unwrap().name;

    // Bad input is refused before anything is written.
    let (a, b) = (product(), product());
    for err in [
        phone
            .create_order(customer.clone(), vec![line("nope", 1.0)], String::new())
            .await
            .unwrap_err(),
        phone
            .create_order(customer.clone(), vec![line(&a, 0.0)], String::new())
            .await
            .unwrap_err(),
        phone
            .create_order(customer.clone(), vec![line(&a, 1.2345)], String::new())
            .await
            .unwrap_err(),
        phone
            .create_order("x".into(), vec![line(&a, 1.0)], String::new())
            .await
            .unwrap_err(),
        phone.submit_order("x".into()).await.unwrap_err(),
    ] {
        assert!(matches!(err, FieldError::InvalidInput { .. }), "{err:?}");
    }
    let err = phone
        .create_order(
            fieldcrm_core::CustomerId::new().to_string(),
            vec![line(&a, 1.0)],
            String::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, FieldError::NotFound { .. }), "{err:?}");
    assert!(phone.list_orders(None).await.unwrap().is_empty());

    // Offline: a draft with two lines, then submitted.
    let id = phone
        .create_order(
            customer.clone(),
            vec![line(&a, 3.0), line(&b, 0.5)],
            "请尽快 asap".into(),
        )
        .await
        .unwrap();
    let order = phone.get_order(id.clone()).await.unwrap();
    assert_eq!(
        (
            order.status,
            order.number.clone(),
            order.customer_id.as_str()
        ),
        (OrderStatus::Draft, None, customer.as_str())
    );
    assert_eq!(
        order.steps,
        vec![OrderStep::Submit, OrderStep::Cancel, OrderStep::EditLines]
    );
    assert_eq!(order.lines.len(), 2);
    assert_eq!(
        (
            order.lines[0].product_id.as_deref(),
            order.lines[0].quantity,
            order.lines[0].discount_bp,
            order.lines[0].requested_delivery.as_deref()
        ),
        (Some(a.as_str()), 3.0, 500, Some("2026-09-01"))
    );
    assert_eq!(order.notes, "请尽快 asap");
    let listed = phone.list_orders(Some(customer.clone())).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].id.as_str(),
            listed[0].customer_name.as_str(),
            listed[0].status,
            listed[0].line_count,
            listed[0].pending
        ),
        (id.as_str(), name.as_str(), OrderStatus::Draft, 2, true)
    );
    phone.submit_order(id.clone()).await.unwrap();
    let order = phone.get_order(id.clone()).await.unwrap();
    assert_eq!(order.status, OrderStatus::Submitted);
    assert_eq!(
        order.steps,
        vec![OrderStep::Cancel],
        "a rep's lines lock on submit"
    );

    // An empty draft cannot be submitted; it can be cancelled.
    let empty = phone
        .create_order(customer.clone(), vec![], String::new())
        .await
        .unwrap();
    assert_eq!(
        phone.get_order(empty.clone()).await.unwrap().steps,
        vec![OrderStep::Cancel, OrderStep::EditLines]
    );
    let err = phone.submit_order(empty.clone()).await.unwrap_err();
    assert!(matches!(err, FieldError::InvalidInput { .. }), "{err:?}");
    phone
        .cancel_order(empty.clone(), " 客户改主意 changed their mind ".into())
        .await
        .unwrap();
    let cancelled = phone.get_order(empty.clone()).await.unwrap();
    assert_eq!(
        (cancelled.status, cancelled.cancel_reason.as_str()),
        (OrderStatus::Cancelled, "客户改主意 changed their mind")
    );
    assert!(cancelled.steps.is_empty());
    assert_eq!(phone.pending_count().await.unwrap(), 2);

    // Sync: both accepted (pricing may adjust the lines, never refuse them).
    let report = phone.sync_now().await.unwrap();
    assert_eq!((report.pushed, report.rejected), (2, 0), "{report:?}");
    assert_eq!(phone.pending_count().await.unwrap(), 0);
    let on_server = write::load_record(&server.state.db, id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(on_server["status"], "submitted");
    assert_eq!(on_server["customer"], customer.as_str());
    assert_eq!(on_server["lines"].as_array().unwrap().len(), 2);
    assert_eq!(on_server["lines"][0]["product"], a.as_str());
    assert_eq!(on_server["lines"][0]["quantity"], 3.0);
    assert_eq!(on_server["notes"], "请尽快 asap");
    let row: String = sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
        .bind(&id)
        .fetch_one(server.state.db.pool())
        .await
        .unwrap();
    assert_eq!(row, "submitted");
    let on_server_empty = write::load_record(&server.state.db, empty.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(on_server_empty["status"], "cancelled");

    // The device holds what the server decided; the number once the server assigns one.
    let order = phone.get_order(id.clone()).await.unwrap();
    assert_eq!(order.status, OrderStatus::Submitted);
    let server_number = on_server["number"].as_str().map(str::to_owned);
    assert_eq!(order.number, server_number);
    if let Some(n) = &order.number {
        assert!(is_order_number(n), "{n}");
        let listed = phone.list_orders(None).await.unwrap();
        let summary = listed.iter().find(|o| o.id == id).unwrap();
        assert_eq!(summary.number.as_ref(), Some(n));
    }
}

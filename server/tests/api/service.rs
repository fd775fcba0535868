//! Service tickets, dispatches and statistics through the back office, on SQLite and PostgreSQL:
//! ticket numbers per year (also under concurrency); ticket → dispatch → a document in the
//! engineer's scope with the customer's site; reassignment moves it (a `doc_moves` row with the
//! old engineer); illegal office steps refused; close rules; the survey's range; exact statistics
//! for a fixture set and their .xlsx export with a formula-escaped hostile name; permissions
//! (a rep gets 403), data scope (404 outside it) and escaping.

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use fieldcrm_core::document::Kind;
use fieldcrm_core::{CustomerId, DispatchId, DocId, Role, TicketId, UserId};
use fieldcrm_server::db::catalog;
use fieldcrm_server::db::tickets::{self, Priority, Ticket, TicketStatus, TicketType};
use fieldcrm_server::db::users::{self, NewUser};
use fieldcrm_server::db::{documents, now_ms};
use fieldcrm_server::dispatching::{self, TicketInput};
use fieldcrm_server::sync::write;
use fieldcrm_server::web::service::{date_time_of, form_time};
use hyper::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Row;

use crate::admin::assert_status;
use crate::attachments::{png, put, raw};
use crate::backend_tests;
use crate::helpers::TestApp;
use crate::web::{Browser, sign_in};

const HOUR: i64 = 3_600_000;

/// A customer in `territory` with an address, a phone and two contacts (the second primary).
async fn customer(app: &TestApp, name: &str, territory: fieldcrm_core::TerritoryId) -> CustomerId {
    let id = DocId::new();
    let value = json!({
        "name": name, "code": "S-1", "tier": "A", "territory": territory.to_string(),
        "phones": ["021-5555 0101"],
        "address": { "province": "上海市", "city": "上海", "district": "浦东新区",
                     "street": "世纪大道 100 号", "geo": { "lat": 31.23, "lon": 121.5 } },
        "contacts": [
            { "id": uuid::Uuid::now_v7().to_string(), "name": "李四", "phones": ["139 0000 0001"] },
            { "id": uuid::Uuid::now_v7().to_string(), "name": "王五", "phones": ["138 0000 0002"], "primary": true }
        ]
    });
    write::server_create(&app.db, &app.state.hub, Kind::Customer, id, &value, None)
        .await
        .unwrap();
    id.into()
}

async fn engineer2(app: &TestApp) -> UserId {
    users::create(
        &app.db,
        &NewUser {
            username: "engineer.2",
            display_name: "二号工程师 Engineer Two",
            role: Role::Engineer,
            password_hash: "x",
        },
    )
    .await
    .unwrap()
    .id
}

fn input(
    customer: CustomerId,
    ticket_type: TicketType,
    priority: Priority,
    now: i64,
) -> TicketInput {
    TicketInput {
        customer,
        contact_name: "王五".into(),
        contact_phone: "138 0000 0002".into(),
        ticket_type,
        priority,
        description: "空调不制冷 AC not cooling".into(),
        product: None,
        serial: "SN-001".into(),
        sla_due_at: None,
        created_by: None,
        now,
    }
}

async fn ticket(app: &TestApp, id: TicketId) -> Ticket {
    tickets::get(&app.db, id).await.unwrap().unwrap()
}

async fn record(app: &TestApp, id: DispatchId) -> Value {
    write::load_record(&app.db, id.into()).await.unwrap()
}

async fn only_dispatch(app: &TestApp, t: TicketId) -> DispatchId {
    let rows = tickets::dispatches_of(&app.db, t).await.unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows[0].id
}

/// Marks a dispatch completed the way the engineer's phone would leave it.
async fn complete(app: &TestApp, id: DispatchId, at: i64, signature: &str) {
    let signature = signature.to_owned();
    write::server_update(&app.db, &app.state.hub, id.into(), None, "test.complete", move |v| {
        v["check_in"] = json!({ "at": at - HOUR, "geo": { "lat": 31.23, "lon": 121.5 } });
        v["work_log"] = json!([{ "id": uuid::Uuid::now_v7().to_string(), "at": at - 1, "text": "更换压缩机 replaced the compressor" }]);
        v["signature"] = json!({ "sha256": signature, "content_type": "image/png" });
        v["completed_at"] = json!(at);
        v["status"] = json!("completed");
        Ok(())
    })
    .await
    .unwrap();
}

async fn set_status(app: &TestApp, id: DispatchId, status: &str) {
    let status = status.to_owned();
    write::server_update(
        &app.db,
        &app.state.hub,
        id.into(),
        None,
        "test.status",
        move |v| {
            if status == "unable" {
                v["unable_reason"] = json!("客户不在 customer away");
            }
            v["status"] = json!(status);
            Ok(())
        },
    )
    .await
    .unwrap();
}

async fn assignee(app: &TestApp, id: DispatchId) -> Option<UserId> {
    let (kind, _, assignee) = documents::anchors(&app.db, id.into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kind, Kind::Dispatch);
    assignee
}

fn dispatch_form<'a>(engineer: &'a str, date: &'a str, time: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("engineer", engineer), ("date", date), ("time", time)]
}

async fn ticket_numbers_are_sequential_per_year(app: TestApp) {
    let c = customer(&app, "编号客户 Numbering Co", app.seed.shanghai).await;
    let now = now_ms();
    let year = tickets::local_year(now);
    // Through the back office first.
    let office = sign_in(&app, "office").await;
    let r = office
        .post(
            &app,
            "/service/tickets",
            &[
                ("customer", &c.to_string()),
                ("type", "repair"),
                ("priority", "normal"),
                ("description", "漏水 leaking"),
            ],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "create");
    let id = TicketId::parse(r.location().trim_start_matches("/service/tickets/")).unwrap();
    let first = ticket(&app, id).await;
    assert_eq!(first.number, format!("SR-{year}-000001"));
    assert_eq!(first.status, TicketStatus::Open);
    assert_eq!(first.sla_due_at - first.created_at, 24 * HOUR);
    // The same year continues; last year has its own series.
    let last_year = now - 370 * 24 * HOUR;
    let a = dispatching::create_ticket(&app.db, &input(c, TicketType::Repair, Priority::Low, now))
        .await
        .unwrap();
    let b = dispatching::create_ticket(
        &app.db,
        &input(c, TicketType::Repair, Priority::Low, last_year),
    )
    .await
    .unwrap();
    let d = dispatching::create_ticket(
        &app.db,
        &input(c, TicketType::Repair, Priority::Low, last_year),
    )
    .await
    .unwrap();
    assert_eq!(a.number, format!("SR-{year}-000002"));
    assert_eq!(
        b.number,
        format!("SR-{}-000001", tickets::local_year(last_year))
    );
    assert_eq!(
        d.number,
        format!("SR-{}-000002", tickets::local_year(last_year))
    );
    assert_eq!(a.sla_due_at - a.created_at, 72 * HOUR);
    // Concurrent creations never share a number nor skip one.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let db = app.db.clone();
        tasks.push(tokio::spawn(async move {
            dispatching::create_ticket(&db, &input(c, TicketType::Maintenance, Priority::High, now))
                .await
                .unwrap()
                .number
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.unwrap());
    }
    numbers.sort();
    let expected: Vec<String> = (3..=10).map(|n| format!("SR-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected);
    // The list shows them, filtered by type.
    let page = office.get(&app, "/service/tickets?type=maintenance").await;
    assert_status(&page, StatusCode::OK, "list");
    assert!(page.body.contains(&format!("SR-{year}-000010")));
    assert!(!page.body.contains(&format!("SR-{year}-000001<")));
}

async fn ticket_is_dispatched_reassigned_and_moved(app: TestApp) {
    let c = customer(&app, "华联超市 Hualian", app.seed.shanghai).await;
    let eng1 = app.seed.users["engineer"];
    let eng2 = engineer2(&app).await;
    let office = sign_in(&app, "office").await;
    // The form offers the customer's contacts, the primary one first chosen.
    let form = office
        .get(&app, &format!("/service/tickets/new?customer={c}"))
        .await;
    assert_status(&form, StatusCode::OK, "new form");
    assert!(form.body.contains("data-name=\"王五\""), "{}", form.body);
    let search = office.get(&app, "/service/tickets/new?q=hualian").await;
    assert!(
        search
            .body
            .contains(&format!("/service/tickets/new?customer={c}"))
    );
    let product = catalog::create_product(
        &app.db,
        &catalog::ProductInput {
            code: "AC-200".into(),
            name: "商用空调 Commercial AC".into(),
            unit: "台".into(),
            spec: String::new(),
            category_id: None,
            list_price: 1_000_000,
            image_sha256: None,
            tracking: fieldcrm_core::catalog::Tracking::Serial,
            shelf_life_days: None,
            active: true,
        },
    )
    .await
    .unwrap();
    // An unknown product code sends the form back.
    let r = office
        .post(
            &app,
            "/service/tickets",
            &[
                ("customer", &c.to_string()),
                ("type", "repair"),
                ("priority", "normal"),
                ("description", "x"),
                ("product", "NOPE-1"),
            ],
        )
        .await;
    assert_status(&r, StatusCode::BAD_REQUEST, "unknown product");
    assert!(r.body.contains("id=\"form-errors\""));
    // Contact chosen, name and phone left empty: taken from the contact.
    let contact_id = form
        .body
        .split("<option value=\"")
        .filter_map(|s| s.split('"').next())
        .find(|v| form.body.contains(&format!("{v}\" data-name=\"王五\"")))
        .unwrap()
        .to_owned();
    let r = office
        .post(
            &app,
            "/service/tickets",
            &[
                ("customer", &c.to_string()),
                ("contact", &contact_id),
                ("type", "installation"),
                ("priority", "urgent"),
                ("description", "安装新机 install"),
                ("serial", "SN-42"),
                ("product", "AC-200"),
            ],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "create");
    let tid = TicketId::parse(r.location().trim_start_matches("/service/tickets/")).unwrap();
    let t = ticket(&app, tid).await;
    assert_eq!(
        (t.contact_name.as_str(), t.contact_phone.as_str()),
        ("王五", "138 0000 0002")
    );
    assert_eq!(t.sla_due_at - t.created_at, 4 * HOUR);
    assert_eq!(t.product, Some(product));

    // Dispatch to the engineer.
    let date = "2026-03-02";
    let r = office
        .post(
            &app,
            &format!("/service/tickets/{tid}/dispatch"),
            &dispatch_form(&eng1.to_string(), date, "09:30"),
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "dispatch");
    let did = only_dispatch(&app, tid).await;
    let d = record(&app, did).await;
    assert_eq!(d["engineer"], json!(eng1.to_string()));
    assert_eq!(d["ticket"], json!(tid.to_string()));
    assert_eq!(d["customer"], json!(c.to_string()));
    assert_eq!(d["status"], json!("assigned"));
    assert_eq!(d["ticket_type"], json!("installation"));
    assert_eq!(d["priority"], json!("urgent"));
    assert_eq!(
        d["product_serial"],
        json!("AC-200 商用空调 Commercial AC · SN-42")
    );
    let card = office.get(&app, &format!("/service/tickets/{tid}")).await;
    assert!(card.body.contains("AC-200 商用空调 Commercial AC"));
    assert_eq!(d["sla_due_at"], json!(t.sla_due_at));
    assert_eq!(d["scheduled_at"], json!(form_time(date, "09:30").unwrap()));
    assert_eq!(d["site"]["customer_name"], json!("华联超市 Hualian"));
    assert_eq!(
        d["site"]["address"],
        json!("上海市 上海 浦东新区 世纪大道 100 号")
    );
    assert_eq!(d["site"]["contact_name"], json!("王五"));
    assert_eq!(d["site"]["contact_phone"], json!("138 0000 0002"));
    assert_eq!(d["site"]["geo"]["lat"], json!(31.23));
    assert_eq!(assignee(&app, did).await, Some(eng1));
    assert_eq!(ticket(&app, tid).await.status, TicketStatus::Dispatched);
    // A second dispatch while this one is live is refused.
    let r = office
        .post(
            &app,
            &format!("/service/tickets/{tid}/dispatch"),
            &dispatch_form(&eng2.to_string(), date, "10:00"),
        )
        .await;
    assert_status(&r, StatusCode::CONFLICT, "second dispatch");
    assert!(r.body.contains("id=\"refusal\""));
    // A non-engineer is refused.
    let rep = app.seed.users["rep.sh"];
    let r = office
        .post(
            &app,
            &format!("/service/dispatches/{did}/reassign"),
            &dispatch_form(&rep.to_string(), "", ""),
        )
        .await;
    assert_status(&r, StatusCode::CONFLICT, "reassign to a rep");

    // The engineer accepted; reassigning gives it to the other one, back to "assigned".
    set_status(&app, did, "accepted").await;
    let r = office
        .post(
            &app,
            &format!("/service/dispatches/{did}/reassign"),
            &[
                ("engineer", eng2.to_string().as_str()),
                ("back", "/service/board?date=2026-03-02"),
            ],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "reassign");
    assert_eq!(r.location(), "/service/board?date=2026-03-02");
    let d = record(&app, did).await;
    assert_eq!(d["engineer"], json!(eng2.to_string()));
    assert_eq!(d["status"], json!("assigned"));
    assert_eq!(d["scheduled_at"], json!(form_time(date, "09:30").unwrap()));
    assert_eq!(assignee(&app, did).await, Some(eng2));
    let moves = sqlx::query("SELECT from_assignee FROM doc_moves WHERE doc_id = $1 ORDER BY id")
        .bind(did.to_string())
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    let from: Vec<Option<String>> = moves
        .iter()
        .map(|r| r.try_get("from_assignee").unwrap())
        .collect();
    assert_eq!(from, vec![Some(eng1.to_string())]);
    // Same engineer, new time: only rescheduled (no move).
    let r = office
        .post(
            &app,
            &format!("/service/dispatches/{did}/reassign"),
            &dispatch_form(&eng2.to_string(), "2026-03-03", "14:00"),
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "reschedule by reassign form");
    let d = record(&app, did).await;
    assert_eq!(
        d["scheduled_at"],
        json!(form_time("2026-03-03", "14:00").unwrap())
    );
    let r = office
        .post(
            &app,
            &format!("/service/dispatches/{did}/reschedule"),
            &[("date", "2026-03-04"), ("time", "08:15")],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "reschedule");
    assert_eq!(
        date_time_of(record(&app, did).await["scheduled_at"].as_i64().unwrap()),
        ("2026-03-04".to_owned(), "08:15".to_owned())
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM doc_moves WHERE doc_id = $1")
        .bind(did.to_string())
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 1);
}

async fn illegal_office_steps_are_refused(app: TestApp) {
    let c = customer(&app, "步骤客户 Steps Co", app.seed.shanghai).await;
    let eng1 = app.seed.users["engineer"];
    let eng2 = engineer2(&app).await;
    let office = sign_in(&app, "office").await;
    let t = dispatching::create_ticket(
        &app.db,
        &input(c, TicketType::Repair, Priority::High, now_ms()),
    )
    .await
    .unwrap();
    let did = dispatching::dispatch_ticket(&app.db, &app.state.hub, &t, eng1, now_ms(), None)
        .await
        .unwrap();
    // On site (with a check-in): it cannot be reassigned.
    write::server_update(&app.db, &app.state.hub, did.into(), None, "test", |v| {
        v["check_in"] = json!({ "at": now_ms() });
        v["status"] = json!("on_site");
        Ok(())
    })
    .await
    .unwrap();
    let r = office
        .post(
            &app,
            &format!("/service/dispatches/{did}/reassign"),
            &dispatch_form(&eng2.to_string(), "", ""),
        )
        .await;
    assert_status(&r, StatusCode::CONFLICT, "reassign on site");
    assert_eq!(record(&app, did).await["engineer"], json!(eng1.to_string()));
    // Completed: cancel, reschedule and reassign are refused; the record is unchanged.
    complete(&app, did, now_ms(), &"ab".repeat(32)).await;
    for (path, form) in [
        (format!("/service/dispatches/{did}/cancel"), vec![]),
        (
            format!("/service/dispatches/{did}/reschedule"),
            vec![("date", "2026-03-05"), ("time", "10:00")],
        ),
    ] {
        let r = office.post(&app, &path, &form).await;
        assert_status(&r, StatusCode::CONFLICT, &path);
    }
    let r = office
        .post(
            &app,
            &format!("/service/dispatches/{did}/reassign"),
            &dispatch_form(&eng2.to_string(), "", ""),
        )
        .await;
    assert_status(&r, StatusCode::CONFLICT, "reassign completed");
    let d = record(&app, did).await;
    assert_eq!(
        (d["status"].as_str(), d["engineer"].as_str()),
        (Some("completed"), Some(eng1.to_string().as_str()))
    );
    // The ticket now counts as completed; a cancel is refused (close it instead).
    let t = ticket(&app, t.id).await;
    assert_eq!(t.status, TicketStatus::Completed);
    let r = office
        .post(&app, &format!("/service/tickets/{}/cancel", t.id), &[])
        .await;
    assert_status(&r, StatusCode::CONFLICT, "cancel completed ticket");

    // Unable → assigned is the office's re-dispatch, here to the other engineer.
    let t2 = dispatching::create_ticket(
        &app.db,
        &input(c, TicketType::Repair, Priority::Normal, now_ms()),
    )
    .await
    .unwrap();
    let d2 = dispatching::dispatch_ticket(&app.db, &app.state.hub, &t2, eng1, now_ms(), None)
        .await
        .unwrap();
    set_status(&app, d2, "accepted").await;
    set_status(&app, d2, "unable").await;
    assert_eq!(ticket(&app, t2.id).await.status, TicketStatus::Open);
    let r = office
        .post(
            &app,
            &format!("/service/dispatches/{d2}/reassign"),
            &dispatch_form(&eng2.to_string(), "", ""),
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "re-dispatch after unable");
    let d = record(&app, d2).await;
    assert_eq!(d["status"], json!("assigned"));
    assert_eq!(d["unable_reason"], json!(""));
    assert_eq!(d["engineer"], json!(eng2.to_string()));
    // Office cancels a live dispatch: allowed; cancelling again changes nothing.
    let r = office
        .post(&app, &format!("/service/dispatches/{d2}/cancel"), &[])
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "cancel live");
    assert_eq!(record(&app, d2).await["status"], json!("cancelled"));
    assert_eq!(ticket(&app, t2.id).await.status, TicketStatus::Open);
    let r = office
        .post(
            &app,
            &format!("/service/dispatches/{d2}/reassign"),
            &dispatch_form(&eng1.to_string(), "", ""),
        )
        .await;
    assert_status(&r, StatusCode::CONFLICT, "reassign cancelled");
}

async fn close_rules_and_survey(app: TestApp) {
    let c = customer(&app, "关闭客户 Close Co", app.seed.shanghai).await;
    let eng1 = app.seed.users["engineer"];
    let office = sign_in(&app, "office").await;
    // Open, no dispatch: closing needs a resolution note.
    let t1 = dispatching::create_ticket(
        &app.db,
        &input(c, TicketType::Complaint, Priority::Low, now_ms()),
    )
    .await
    .unwrap();
    let close1 = format!("/service/tickets/{}/close", t1.id);
    let r = office.post(&app, &close1, &[("note", "  ")]).await;
    assert_status(&r, StatusCode::CONFLICT, "close without note");
    let r = office
        .post(&app, &close1, &[("note", "电话解决 solved by phone")])
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "close with note");
    let t = ticket(&app, t1.id).await;
    assert_eq!(t.status, TicketStatus::Closed);
    assert_eq!(t.resolution, "电话解决 solved by phone");
    assert!(t.closed_at.is_some() && t.closed_by_name.contains("Office"));
    let r = office.post(&app, &close1, &[("note", "again")]).await;
    assert_status(&r, StatusCode::CONFLICT, "close twice");
    // Dispatched: not closable while the dispatch is live.
    let t2 = dispatching::create_ticket(
        &app.db,
        &input(c, TicketType::Repair, Priority::Normal, now_ms()),
    )
    .await
    .unwrap();
    let did = dispatching::dispatch_ticket(&app.db, &app.state.hub, &t2, eng1, now_ms(), None)
        .await
        .unwrap();
    let close2 = format!("/service/tickets/{}/close", t2.id);
    let r = office.post(&app, &close2, &[("note", "x")]).await;
    assert_status(&r, StatusCode::CONFLICT, "close while live");
    // The survey only follows completion.
    let survey = format!("/service/dispatches/{did}/survey");
    let r = office.post(&app, &survey, &[("score", "4")]).await;
    assert_status(&r, StatusCode::CONFLICT, "survey before completion");
    // Completed with a photo and signature the engineer uploaded: the card shows them.
    let engineer = app.login("engineer", "demo").await;
    let sig = png("signature");
    let sha = fieldcrm_core::attachment::Sha256Hex::of(&sig).to_string();
    let r = put(&app, Some(&engineer.access_token), &sha, "image/png", sig).await;
    assert!(r.status.is_success(), "{:?}", r.status);
    complete(&app, did, now_ms(), &sha).await;
    let card = office
        .get(&app, &format!("/service/tickets/{}", t2.id))
        .await;
    assert_status(&card, StatusCode::OK, "card");
    assert!(
        card.body.contains(&format!("src=\"/attachments/{sha}\"")),
        "{}",
        card.body
    );
    assert!(card.body.contains("replaced the compressor"));
    let photo = raw(
        &app,
        Method::GET,
        &format!("/attachments/{sha}"),
        &[("cookie", &office.cookies)],
        Vec::new(),
    )
    .await;
    assert_eq!(photo.status, StatusCode::OK);
    assert_eq!(photo.headers["content-type"], "image/png");
    // Score 6 is refused and nothing is stored; 5 is kept, in the projection too.
    let r = office
        .post(&app, &survey, &[("score", "6"), ("comment", "x")])
        .await;
    assert_status(&r, StatusCode::BAD_REQUEST, "score 6");
    assert_eq!(record(&app, did).await["survey"], Value::Null);
    let r = office.post(&app, &survey, &[("score", "0")]).await;
    assert_status(&r, StatusCode::BAD_REQUEST, "score 0");
    let r = office
        .post(
            &app,
            &survey,
            &[("score", "5"), ("comment", "很满意 very happy")],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "score 5");
    let d = record(&app, did).await;
    assert_eq!(d["survey"]["score"], json!(5));
    assert_eq!(d["survey"]["comment"], json!("很满意 very happy"));
    assert_eq!(
        tickets::dispatch(&app.db, did)
            .await
            .unwrap()
            .unwrap()
            .survey_score,
        Some(5)
    );
    // Completed: closable without a note.
    assert_eq!(ticket(&app, t2.id).await.status, TicketStatus::Completed);
    let r = office.post(&app, &close2, &[]).await;
    assert_status(&r, StatusCode::SEE_OTHER, "close completed");
    assert_eq!(ticket(&app, t2.id).await.status, TicketStatus::Closed);
    // Cancelling a dispatched ticket withdraws its dispatch.
    let t3 = dispatching::create_ticket(
        &app.db,
        &input(c, TicketType::Repair, Priority::Normal, now_ms()),
    )
    .await
    .unwrap();
    let d3 = dispatching::dispatch_ticket(&app.db, &app.state.hub, &t3, eng1, now_ms(), None)
        .await
        .unwrap();
    let r = office
        .post(
            &app,
            &format!("/service/tickets/{}/cancel", t3.id),
            &[("note", "客户撤销")],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "cancel ticket");
    assert_eq!(record(&app, d3).await["status"], json!("cancelled"));
    assert_eq!(ticket(&app, t3.id).await.status, TicketStatus::Cancelled);
    // The customer's tickets, from the ticket card's link.
    let card = office
        .get(&app, &format!("/service/tickets/{}", t3.id))
        .await;
    assert!(
        card.body
            .contains(&format!("href=\"/service/tickets?customer={c}\""))
    );
    let list = office
        .get(&app, &format!("/service/tickets?customer={c}"))
        .await;
    assert!(
        list.body.contains("id=\"ticket-total\">合计: 3<"),
        "{}",
        list.body
    );
    assert!(list.body.contains("关闭客户 Close Co"));
    let list = office
        .get(
            &app,
            &format!("/service/tickets?customer={c}&status=cancelled"),
        )
        .await;
    assert!(
        list.body.contains("id=\"ticket-total\">合计: 1<"),
        "{}",
        list.body
    );
}

/// Creates a ticket at `created` and, when `engineer` is given, a dispatch that completes after
/// `done_after` with `score`.
#[allow(clippy::too_many_arguments)]
async fn fixture(
    app: &TestApp,
    c: CustomerId,
    ticket_type: TicketType,
    created: i64,
    sla_hours: i64,
    engineer: Option<UserId>,
    done_after: Option<i64>,
    score: Option<i64>,
) -> Ticket {
    let mut i = input(c, ticket_type, Priority::Normal, created);
    i.sla_due_at = Some(created + sla_hours * HOUR);
    let t = dispatching::create_ticket(&app.db, &i).await.unwrap();
    if let Some(e) = engineer {
        let d = dispatching::dispatch_ticket(&app.db, &app.state.hub, &t, e, created + HOUR, None)
            .await
            .unwrap();
        if let Some(after) = done_after {
            complete(app, d, created + after * HOUR, &"cd".repeat(32)).await;
        }
        if let Some(s) = score {
            dispatching::record_survey(&app.db, &app.state.hub, d, s, "", created, None)
                .await
                .unwrap();
        }
    }
    t
}

async fn statistics_are_exact(app: TestApp) {
    let c = customer(&app, "统计客户 Stats Co", app.seed.shanghai).await;
    let eng1 = app.seed.users["engineer"];
    let eng2 = users::create(
        &app.db,
        &NewUser {
            username: "engineer.x",
            display_name: "=cmd|' /C calc'!A0",
            role: Role::Engineer,
            password_hash: "x",
        },
    )
    .await
    .unwrap()
    .id;
    let day = |d: &str, h: u32| form_time(d, &format!("{h:02}:00")).unwrap();
    // In the range 2025-03-01 … 2025-03-31:
    // repair, completed after 2 h (SLA 4 h), score 5 → completed, in time;
    let _t1 = fixture(
        &app,
        c,
        TicketType::Repair,
        day("2025-03-03", 8),
        4,
        Some(eng1),
        Some(2),
        Some(5),
    )
    .await;
    // repair, completed after 10 h (SLA 8 h), score 3, then closed → closed, late;
    let t2 = fixture(
        &app,
        c,
        TicketType::Repair,
        day("2025-03-03", 9),
        8,
        Some(eng1),
        Some(10),
        Some(3),
    )
    .await;
    dispatching::close_ticket(
        &app.db,
        &ticket(&app, t2.id).await,
        "",
        None,
        day("2025-03-04", 9),
    )
    .await
    .unwrap();
    // installation, never dispatched, SLA long past → open past the deadline;
    fixture(
        &app,
        c,
        TicketType::Installation,
        day("2025-03-10", 10),
        24,
        None,
        None,
        None,
    )
    .await;
    // maintenance, dispatched, deadline far away → dispatched, no breach;
    fixture(
        &app,
        c,
        TicketType::Maintenance,
        day("2025-03-11", 10),
        24 * 365 * 100,
        Some(eng1),
        None,
        None,
    )
    .await;
    // maintenance, completed after 6 h (SLA 72 h), score 2 by the hostile-named engineer;
    fixture(
        &app,
        c,
        TicketType::Maintenance,
        day("2025-03-12", 10),
        72,
        Some(eng2),
        Some(6),
        Some(2),
    )
    .await;
    // complaint, cancelled.
    let t6 = fixture(
        &app,
        c,
        TicketType::Complaint,
        day("2025-03-31", 23),
        4,
        None,
        None,
        None,
    )
    .await;
    dispatching::cancel_ticket(
        &app.db,
        &app.state.hub,
        &t6,
        "",
        Role::Office,
        None,
        now_ms(),
    )
    .await
    .unwrap();
    // Outside the range (before and after): not counted.
    fixture(
        &app,
        c,
        TicketType::Repair,
        day("2025-02-28", 23),
        4,
        Some(eng1),
        Some(1),
        Some(1),
    )
    .await;
    fixture(
        &app,
        c,
        TicketType::Repair,
        day("2025-04-01", 0),
        4,
        None,
        None,
        None,
    )
    .await;

    let office = sign_in(&app, "office").await;
    let page = office
        .get(&app, "/service/stats?from=2025-03-01&to=2025-03-31")
        .await;
    assert_status(&page, StatusCode::OK, "stats");
    let b = &page.body;
    for (id, value) in [
        ("fig-tickets", "6"),
        ("fig-completed", "3"),
        ("fig-mean", "6.0"),
        ("fig-late", "1"),
        ("fig-open-late", "1"),
    ] {
        assert!(
            b.contains(&format!("id=\"{id}\">{value}<")),
            "{id} = {value}\n{b}"
        );
    }
    // Type × status (open, dispatched, completed, closed, cancelled, total).
    let row = |label: &str, cells: [i64; 6]| {
        let tds: String = cells
            .iter()
            .map(|n| format!("<td class=\"num\">{n}</td>"))
            .collect();
        format!("<tr><td>{label}</td>{tds}</tr>")
    };
    for expected in [
        row("维修", [0, 0, 1, 1, 0, 2]),
        row("安装", [1, 0, 0, 0, 0, 1]),
        row("保养", [0, 1, 1, 0, 0, 2]),
        row("投诉", [0, 0, 0, 0, 1, 1]),
    ] {
        assert!(b.contains(&expected), "{expected}\n{b}");
    }
    assert!(b.contains("<tr><td>服务工程师 Engineer</td><td class=\"num\">4.00</td><td class=\"num\">2</td></tr>"), "{b}");
    assert!(
        b.contains("<td>=cmd|&#39; /C calc&#39;!A0</td><td class=\"num\">2.00</td>")
            || b.contains("<td>=cmd|&#x27; /C calc&#x27;!A0</td><td class=\"num\">2.00</td>"),
        "{b}"
    );

    // The export: same figures, the hostile name escaped.
    let file = raw(
        &app,
        Method::GET,
        "/service/stats/export?from=2025-03-01&to=2025-03-31",
        &[("cookie", &office.cookies)],
        Vec::new(),
    )
    .await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.body.starts_with(b"PK"));
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(file.body)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let cells: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    assert_eq!(cells[1][..7], ["维修", "0", "0", "1", "1", "0", "2"]);
    let find = |label: &str| {
        cells
            .iter()
            .find(|r| r.first().is_some_and(|c| c.starts_with(label)))
            .cloned()
            .unwrap()
    };
    assert_eq!(find("平均完成用时")[1], "6.0");
    assert_eq!(find("超时完成")[1], "1");
    assert_eq!(find("未完成且已超时")[1], "1");
    assert_eq!(find("'=cmd")[..3], ["'=cmd|' /C calc'!A0", "2.00", "1"]);
    assert_eq!(
        find("服务工程师")[..3],
        ["服务工程师 Engineer", "4.00", "2"]
    );

    // The SLA filter of the list finds the two breached tickets of March.
    let list = office
        .get(&app, "/service/tickets?sla=1&from=2025-03-01&to=2025-03-31")
        .await;
    assert!(
        list.body.contains("id=\"ticket-total\">合计: 2<"),
        "{}",
        list.body
    );
    let list = office.get(&app, "/service/tickets?status=dispatched").await;
    assert!(
        list.body.contains("id=\"ticket-total\">合计: 1<"),
        "{}",
        list.body
    );
}

async fn permissions_scope_and_escaping(app: TestApp) {
    let sh = customer(&app, "<script>alert(1)</script> 上海", app.seed.shanghai).await;
    let bj = customer(&app, "北京客户 Beijing Co", app.seed.beijing).await;
    let t_sh = dispatching::create_ticket(
        &app.db,
        &input(sh, TicketType::Repair, Priority::Urgent, now_ms()),
    )
    .await
    .unwrap();
    let t_bj = dispatching::create_ticket(
        &app.db,
        &input(bj, TicketType::Repair, Priority::Urgent, now_ms()),
    )
    .await
    .unwrap();
    // A rep: 403 everywhere in service.
    let rep = sign_in(&app, "rep.sh").await;
    let any = DocId::new();
    for path in crate::web::protected_gets(any)
        .into_iter()
        .filter(|p| p.starts_with("/service"))
    {
        assert_status(&rep.get(&app, &path).await, StatusCode::FORBIDDEN, &path);
    }
    for path in crate::web::protected_posts(any)
        .into_iter()
        .filter(|p| p.starts_with("/service"))
    {
        let r = rep.post(&app, &path, &[("note", "x")]).await;
        assert_status(&r, StatusCode::FORBIDDEN, &path);
    }
    for path in [
        "/service/board".to_owned(),
        "/service/tickets".to_owned(),
        "/service/tickets/new".to_owned(),
        format!("/service/tickets/{}", t_sh.id),
        "/service/stats".to_owned(),
        "/service/stats/export".to_owned(),
    ] {
        assert_status(&rep.get(&app, &path).await, StatusCode::FORBIDDEN, &path);
    }
    let r = rep
        .post(
            &app,
            "/service/board/assign",
            &[
                ("ticket", &t_sh.id.to_string()),
                ("engineer", &app.seed.users["engineer"].to_string()),
                ("date", "2026-03-02"),
                ("time", "09:00"),
            ],
        )
        .await;
    assert_status(&r, StatusCode::FORBIDDEN, "rep assigns");
    assert_eq!(ticket(&app, t_sh.id).await.status, TicketStatus::Open);
    let home = rep.get(&app, "/").await;
    assert!(!home.body.contains("id=\"nav-service\""));
    // The East manager sees Shanghai's ticket, not Beijing's.
    let manager = sign_in(&app, "manager.east").await;
    let board = manager.get(&app, "/service/board").await;
    assert_status(&board, StatusCode::OK, "manager board");
    assert!(board.body.contains(&t_sh.number) && !board.body.contains(&t_bj.number));
    assert_status(
        &manager
            .get(&app, &format!("/service/tickets/{}", t_bj.id))
            .await,
        StatusCode::NOT_FOUND,
        "out of scope",
    );
    let r = manager
        .post(
            &app,
            &format!("/service/tickets/{}/close", t_bj.id),
            &[("note", "x")],
        )
        .await;
    assert_status(&r, StatusCode::NOT_FOUND, "close out of scope");
    // Hostile names render inert.
    let office: Browser = sign_in(&app, "office").await;
    assert!(
        office
            .get(&app, "/")
            .await
            .body
            .contains("id=\"nav-service\"")
    );
    for path in [
        "/service/board".to_owned(),
        format!("/service/tickets/{}", t_sh.id),
        "/service/tickets".to_owned(),
    ] {
        let p = office.get(&app, &path).await;
        assert_status(&p, StatusCode::OK, &path);
        assert!(!p.body.contains("<script>alert(1)"), "{path}");
        assert!(
            p.body
                .contains("&#60;script&#62;alert(1)&#60;/script&#62; 上海")
                || p.body
                    .contains("&lt;script&gt;alert(1)&lt;/script&gt; 上海"),
            "{path}: {}",
            p.body
        );
    }
}

async fn board_assigns_by_form(app: TestApp) {
    let c = customer(&app, "看板客户 Board Co", app.seed.shanghai).await;
    let eng = app.seed.users["engineer"];
    let t = dispatching::create_ticket(
        &app.db,
        &input(c, TicketType::Repair, Priority::High, now_ms()),
    )
    .await
    .unwrap();
    let office = sign_in(&app, "office").await;
    let board = office.get(&app, "/service/board?date=2026-03-02").await;
    assert_status(&board, StatusCode::OK, "board");
    assert!(board.body.contains(&format!("id=\"assign-{}\"", t.id)));
    assert!(
        board
            .body
            .contains(&format!("data-drop-engineer=\"{eng}\""))
    );
    let r = office
        .post(
            &app,
            "/service/board/assign",
            &[
                ("ticket", &t.id.to_string()),
                ("engineer", &eng.to_string()),
                ("date", "2026-03-02"),
                ("time", "13:30"),
                ("back", "/service/board?date=2026-03-02"),
            ],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "assign");
    assert_eq!(r.location(), "/service/board?date=2026-03-02");
    let did = only_dispatch(&app, t.id).await;
    assert_eq!(
        record(&app, did).await["scheduled_at"],
        json!(form_time("2026-03-02", "13:30").unwrap())
    );
    let board = office.get(&app, "/service/board?date=2026-03-02").await;
    assert!(!board.body.contains(&format!("id=\"assign-{}\"", t.id)));
    let column = board
        .body
        .split(&format!("data-drop-engineer=\"{eng}\""))
        .nth(1)
        .unwrap();
    assert!(column.contains(&format!("id=\"dispatch-{did}\"")) && column.contains("13:30"));
    // Another day shows nothing for the engineer.
    let other = office.get(&app, "/service/board?date=2026-03-03").await;
    assert!(!other.body.contains(&format!("id=\"dispatch-{did}\"")));
    assert_status(
        &office.get(&app, "/service/board?date=2026-13-40").await,
        StatusCode::BAD_REQUEST,
        "bad date",
    );
}

async fn demo_service_desk_populates_the_board(app: TestApp) {
    let s = &app.seed;
    let mut cities = fieldcrm_server::demo_data::cities(s.shanghai, s.hangzhou, s.beijing);
    for (c, rep) in cities.iter_mut().zip(["rep.sh", "rep.hz", "rep.bj"]) {
        c.rep = s.users.get(rep).copied();
    }
    fieldcrm_server::demo_data::seed_customers(&app.db, &app.state.hub, &cities, 4, 2026)
        .await
        .unwrap();
    fieldcrm_server::demo_data::seed_service(&app.db, &app.state.hub, &app.seed, "demo")
        .await
        .unwrap();
    let office = sign_in(&app, "office").await;
    let list = office.get(&app, "/service/tickets").await;
    assert!(
        list.body.contains("id=\"ticket-total\">合计: 12<"),
        "{}",
        list.body
    );
    let board = office.get(&app, "/service/board").await;
    assert_status(&board, StatusCode::OK, "board");
    assert_eq!(
        board
            .body
            .matches("class=\"board-card ticket-card\"")
            .count(),
        4
    );
    assert_eq!(
        board
            .body
            .matches("class=\"board-card dispatch-card")
            .count(),
        8
    );
    for name in [
        "服务工程师 Engineer",
        "上海工程师 Shanghai Engineer",
        "北京工程师 Beijing Engineer",
    ] {
        assert!(board.body.contains(name), "{name}");
    }
    let stats = office.get(&app, "/service/stats").await;
    assert!(
        stats.body.contains("id=\"fig-tickets\">12<"),
        "{}",
        stats.body
    );
    assert!(
        stats.body.contains("id=\"fig-completed\">4<"),
        "{}",
        stats.body
    );
    // The new engineers sign in on the phone with the demo password.
    app.login("engineer.sh", "demo").await;
}

/// Two office users dispatch the same ticket from pages loaded before either acted: both pass
/// the status check on their stale copy of the ticket, and the second write is refused (one live
/// dispatch per ticket), leaving one dispatch. Once that one is cancelled the ticket can be
/// dispatched again.
async fn a_ticket_is_not_dispatched_twice_from_stale_pages(app: TestApp) {
    let c = customer(&app, "并发派工 Race Co", app.seed.shanghai).await;
    let eng1 = app.seed.users["engineer"];
    let eng2 = engineer2(&app).await;
    let stale = dispatching::create_ticket(
        &app.db,
        &input(c, TicketType::Repair, Priority::Normal, now_ms()),
    )
    .await
    .unwrap();
    let first = dispatching::dispatch_ticket(&app.db, &app.state.hub, &stale, eng1, now_ms(), None)
        .await
        .unwrap();
    let second =
        dispatching::dispatch_ticket(&app.db, &app.state.hub, &stale, eng2, now_ms(), None).await;
    assert!(
        matches!(
            second,
            Err(dispatching::ServiceError::Refused(
                "svc.err.already_dispatched"
            ))
        ),
        "{second:?}"
    );
    assert_eq!(only_dispatch(&app, stale.id).await, first);
    assert_eq!(assignee(&app, first).await, Some(eng1));
    let t = ticket(&app, stale.id).await;
    assert_eq!(t.status, TicketStatus::Dispatched);

    dispatching::cancel_dispatch(&app.db, &app.state.hub, first, Role::Office, None)
        .await
        .unwrap();
    let again = dispatching::dispatch_ticket(&app.db, &app.state.hub, &stale, eng2, now_ms(), None)
        .await
        .unwrap();
    assert_ne!(again, first);
    assert_eq!(assignee(&app, again).await, Some(eng2));
}

backend_tests!(
    a_ticket_is_not_dispatched_twice_from_stale_pages,
    ticket_numbers_are_sequential_per_year,
    ticket_is_dispatched_reassigned_and_moved,
    illegal_office_steps_are_refused,
    close_rules_and_survey,
    statistics_are_exact,
    permissions_scope_and_escaping,
    board_assigns_by_form,
    demo_service_desk_populates_the_board,
);

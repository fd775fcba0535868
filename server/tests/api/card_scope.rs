//! Direct URLs of back-office records follow the data scope of the user's role, on SQLite and
//! PostgreSQL. An office user (territory scope: everything) gets a role with data scope *self*,
//! then one with *department*. For every record kind — customer (card, tabs, edit form),
//! visit, visit photo, order (card, print), payment, contract (card, edit form, file), service
//! ticket, dispatch — the record inside the scope opens (200) and appears in its list; the one
//! outside is 404 like an unknown id, is absent from its list and export, and every POST action
//! on it is refused with nothing changed (checked in the database and the documents after).

use std::collections::BTreeSet;

use fieldcrm_core::attachment::Sha256Hex;
use fieldcrm_core::document::Kind;
use fieldcrm_core::{CustomerId, DispatchId, DocId, Role, TicketId, UserId};
use fieldcrm_server::auth::permissions::{DataScope, Permission, default_permissions};
use fieldcrm_server::db::contracts::{
    self, ContractId, ContractInput, ContractStatus, ContractType,
};
use fieldcrm_server::db::payments::{self, NewPayment, PaymentId, PaymentMethod};
use fieldcrm_server::db::roles::{self, RoleSpec};
use fieldcrm_server::db::tickets::{self, Priority, TicketStatus, TicketType};
use fieldcrm_server::db::{departments, documents, now_ms, users};
use fieldcrm_server::dispatching::{self, TicketInput};
use fieldcrm_server::sync::write;
use hyper::{Method, StatusCode};
use serde_json::json;

use crate::admin::assert_status;
use crate::attachments::{png, put};
use crate::backend_tests;
use crate::helpers::TestApp;
use crate::orders_office::{TWO_LINES, create_customer, create_order, raw, status_of};
use crate::web::{Browser, sign_in};

/// The records of one owner (customers they own, visits and orders they made).
struct Records {
    customer: DocId,
    name: String,
    visit: DocId,
    photo: String,
    order: DocId,
    payment: PaymentId,
    contract: ContractId,
    contract_file: String,
    ticket: TicketId,
    dispatch: DispatchId,
}

/// Sets up departments 一部 (office, rep.sh) and 二部 (rep.bj), gives office a role of the
/// office kind with every office permission and data scope `scope`, and creates the records of
/// office, rep.sh and rep.bj (customers in 上海, 上海 and 北京).
async fn fixture(app: &TestApp, scope: DataScope) -> (Browser, [Records; 3]) {
    let s = &app.seed;
    let d1 = departments::create(&app.db, "一部", None).await.unwrap().id;
    let d2 = departments::create(&app.db, "二部", None).await.unwrap().id;
    for (user, d) in [("office", d1), ("rep.sh", d1), ("rep.bj", d2)] {
        sqlx::query("UPDATE users SET department_id = $1 WHERE id = $2")
            .bind(d.to_string())
            .bind(s.users[user].to_string())
            .execute(app.db.pool())
            .await
            .unwrap();
    }
    let mut permissions: BTreeSet<Permission> =
        default_permissions(Role::Office).iter().copied().collect();
    permissions.insert(Permission::ServiceView);
    permissions.insert(Permission::ServiceDispatch);
    let role = roles::create(
        &app.db,
        &RoleSpec {
            name: format!("区域内勤 {}", scope.as_str()),
            kind: Role::Office,
            permissions,
            data_scope: scope,
            max_discount_bp: None,
        },
    )
    .await
    .unwrap();
    users::set_role(&app.db, s.users["office"], &role)
        .await
        .unwrap();
    let admin = sign_in(app, "admin").await;
    let uploader = app.login("rep.sh", "demo").await;
    let mut all = Vec::new();
    for (user, territory) in [
        ("office", s.shanghai),
        ("rep.sh", s.shanghai),
        ("rep.bj", s.beijing),
    ] {
        let owner = s.users[user];
        let tag = user.replace('.', "-");
        let name = format!("客户 {tag}");
        let customer = create_customer(app, &name, &format!("C-{tag}"), territory, owner).await;
        let photo_bytes = png(&tag);
        let photo = Sha256Hex::of(&photo_bytes).to_string();
        let r = put(
            app,
            Some(&uploader.access_token),
            &photo,
            "image/png",
            photo_bytes,
        )
        .await;
        assert!(r.status.is_success(), "photo upload {}", r.status);
        let visit = visit(app, customer, owner, &format!("V-{tag}"), &photo).await;
        let order = create_order(app, customer, user, "submitted", TWO_LINES).await;
        let payment = payments::record(
            &app.db,
            &NewPayment {
                order,
                amount: 1_000,
                paid_on: "2026-01-05".into(),
                method: PaymentMethod::Cash,
                reference: format!("PAY-{tag}"),
                notes: String::new(),
                recorded_by: s.users["admin"],
            },
        )
        .await
        .unwrap();
        let contract = contracts::create(
            &app.db,
            &ContractInput {
                number: format!("HT-{tag}"),
                customer,
                contract_type: ContractType::Sales,
                title: format!("合同 {tag}"),
                signed_on: None,
                start_on: None,
                end_on: None,
                amount: 0,
                payment_terms_days: 30,
                terms: String::new(),
                status: ContractStatus::Draft,
            },
            s.users["admin"],
        )
        .await
        .unwrap();
        let pdf = format!("%PDF-1.4\n% {tag}\n%%EOF\n").into_bytes();
        let contract_file = Sha256Hex::of(&pdf).to_string();
        let boundary = "----card-scope-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{tag}.pdf\"\r\n\
             Content-Type: application/pdf\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&pdf);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let (status, _, answer) = raw(
            app,
            &admin,
            Method::POST,
            &format!("/contracts/{contract}/files"),
            &[
                (
                    "content-type",
                    &format!("multipart/form-data; boundary={boundary}"),
                ),
                ("x-csrf-token", &admin.csrf),
                ("hx-request", "true"),
            ],
            body,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&answer)
        );
        let ticket = dispatching::create_ticket(
            &app.db,
            &TicketInput {
                customer: CustomerId::from(customer),
                contact_name: "王五".into(),
                contact_phone: "138 0000 0002".into(),
                ticket_type: TicketType::Repair,
                priority: Priority::Normal,
                description: format!("工单 {tag}"),
                product: None,
                serial: String::new(),
                sla_due_at: None,
                created_by: None,
                now: now_ms(),
            },
        )
        .await
        .unwrap();
        let dispatch = dispatching::dispatch_ticket(
            &app.db,
            &app.state.hub,
            &ticket,
            s.users["engineer"],
            now_ms() + 3_600_000,
            None,
        )
        .await
        .unwrap();
        all.push(Records {
            customer,
            name,
            visit,
            photo,
            order,
            payment,
            contract,
            contract_file,
            ticket: ticket.id,
            dispatch,
        });
    }
    let office = sign_in(app, "office").await;
    let [a, b, c]: [Records; 3] = all.try_into().ok().unwrap();
    (office, [a, b, c])
}

/// A visit of `rep` to `customer` with one photo.
async fn visit(app: &TestApp, customer: DocId, rep: UserId, purpose: &str, photo: &str) -> DocId {
    let id = DocId::new();
    let record = json!({
        "customer": customer.to_string(),
        "rep": rep.to_string(),
        "check_in": { "at": now_ms() - 3_600_000 },
        "purpose": purpose,
        "outcome": purpose,
        "photos": [{ "sha256": photo, "content_type": "image/png", "taken_at": 1, "caption": purpose }],
    });
    write::server_create(&app.db, &app.state.hub, Kind::Visit, id, &record, None)
        .await
        .unwrap();
    id
}

/// Every GET of the records of `r`.
fn cards(r: &Records) -> Vec<String> {
    let c = r.customer;
    vec![
        format!("/customers/{c}"),
        format!("/customers/{c}?tab=contacts"),
        format!("/customers/{c}?tab=visits"),
        format!("/customers/{c}?tab=history"),
        format!("/customers/{c}/edit"),
        format!("/service/tickets/new?customer={c}"),
        format!("/visits/{}", r.visit),
        format!("/attachments/{}", r.photo),
        format!("/orders/{}", r.order),
        format!("/orders/{}/print", r.order),
        format!("/contracts/{}", r.contract),
        format!("/contracts/{}/edit", r.contract),
        format!("/contracts/{}/files/{}", r.contract, r.contract_file),
        format!("/service/tickets/{}", r.ticket),
    ]
}

async fn owner_of(app: &TestApp, customer: DocId) -> serde_json::Value {
    write::load_record(&app.db, customer).await.unwrap()["owner"].clone()
}

/// `inside` opens and is listed; `outside` is 404 everywhere, unlisted, and unchanged by every
/// POST action.
async fn check(app: &TestApp, office: &Browser, inside: &Records, outside: &Records) {
    for path in cards(inside) {
        assert_status(&office.get(app, &path).await, StatusCode::OK, &path);
    }
    for path in cards(outside) {
        assert_status(&office.get(app, &path).await, StatusCode::NOT_FOUND, &path);
    }
    // The same 404 as an id that does not exist.
    let unknown = office
        .get(app, &format!("/customers/{}", DocId::new()))
        .await;
    let hidden = office
        .get(app, &format!("/customers/{}", outside.customer))
        .await;
    assert_eq!(unknown.body, hidden.body);

    // Lists and exports agree with the cards.
    let listed = [
        (
            "/customers".to_owned(),
            "customer",
            inside.customer.to_string(),
            outside.customer.to_string(),
        ),
        (
            "/visits".to_owned(),
            "visit",
            inside.visit.to_string(),
            outside.visit.to_string(),
        ),
        (
            "/orders".to_owned(),
            "order",
            inside.order.to_string(),
            outside.order.to_string(),
        ),
        // A payment's row links its order.
        (
            "/payments".to_owned(),
            "payment",
            inside.order.to_string(),
            outside.order.to_string(),
        ),
        (
            "/contracts".to_owned(),
            "contract",
            inside.contract.to_string(),
            outside.contract.to_string(),
        ),
        (
            "/service/tickets".to_owned(),
            "ticket",
            inside.ticket.to_string(),
            outside.ticket.to_string(),
        ),
        (
            format!("/customers/{}?tab=visits", inside.customer),
            "tab",
            inside.visit.to_string(),
            outside.visit.to_string(),
        ),
    ];
    for (path, what, shown, not_shown) in listed {
        let page = office.get(app, &path).await;
        assert_status(&page, StatusCode::OK, &path);
        assert!(page.body.contains(&shown), "{what}: {shown} not in {path}");
        assert!(
            !page.body.contains(&not_shown),
            "{what}: {not_shown} in {path}"
        );
    }
    let export = office.get(app, "/customers/export?format=csv").await;
    assert_status(&export, StatusCode::OK, "customer export");
    assert!(export.body.contains(&inside.name) && !export.body.contains(&outside.name));

    // POST actions on the outside records: refused, nothing changes.
    let (c, o) = (outside.customer, outside.order);
    let before = write::load_record(&app.db, c).await.unwrap();
    let office_id = app.seed.users["office"].to_string();
    let shanghai = app.seed.shanghai.to_string();
    let (c_text, o_text) = (c.to_string(), o.to_string());
    let refused: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/customers/{c}"),
            vec![
                ("name", "被改了 changed"),
                ("kind", "company"),
                ("territory", &shanghai),
            ],
        ),
        (
            format!("/customers/{c}/reassign"),
            vec![("to_owner", &office_id)],
        ),
        (format!("/orders/{o}/submit"), vec![]),
        (format!("/orders/{o}/confirm"), vec![]),
        (format!("/orders/{o}/complete"), vec![]),
        (format!("/orders/{o}/cancel"), vec![("reason", "x")]),
        (format!("/orders/{o}/ship"), vec![]),
        (
            format!("/orders/{o}/payments"),
            vec![
                ("amount", "1.00"),
                ("paid_on", "2026-01-06"),
                ("method", "cash"),
            ],
        ),
        (
            format!("/payments/{}/reverse", outside.payment),
            vec![("reason", "x")],
        ),
        (
            format!("/contracts/{}", outside.contract),
            vec![
                ("number", "HT-X"),
                ("customer", &c_text),
                ("title", "被改了"),
                ("type", "sales"),
                ("status", "active"),
            ],
        ),
        (
            format!("/contracts/{}/orders", outside.contract),
            vec![("order", &o_text)],
        ),
        (
            format!("/contracts/{}/orders/{o}/unlink", outside.contract),
            vec![],
        ),
        (
            format!(
                "/contracts/{}/files/{}/delete",
                outside.contract, outside.contract_file
            ),
            vec![],
        ),
        (
            format!("/service/tickets/{}/close", outside.ticket),
            vec![("note", "x")],
        ),
        (
            format!("/service/tickets/{}/cancel", outside.ticket),
            vec![("note", "x")],
        ),
        (
            format!("/service/tickets/{}/dispatch", outside.ticket),
            vec![("engineer", ""), ("date", "2026-03-02"), ("time", "09:00")],
        ),
        (
            format!("/service/dispatches/{}/reassign", outside.dispatch),
            vec![("engineer", ""), ("date", "2026-03-02"), ("time", "09:00")],
        ),
        (
            format!("/service/dispatches/{}/reschedule", outside.dispatch),
            vec![("engineer", ""), ("date", "2026-03-02"), ("time", "10:00")],
        ),
        (
            format!("/service/dispatches/{}/cancel", outside.dispatch),
            vec![("note", "x")],
        ),
        (
            format!("/service/dispatches/{}/survey", outside.dispatch),
            vec![("score", "5")],
        ),
    ];
    let ticket_id = outside.ticket.to_string();
    let engineer = app.seed.users["engineer"].to_string();
    let mut refused = refused;
    refused.push((
        "/service/board/assign".into(),
        vec![
            ("ticket", &ticket_id),
            ("engineer", &engineer),
            ("date", "2026-03-02"),
            ("time", "11:00"),
        ],
    ));
    let customer_id = c.to_string();
    refused.push((
        "/service/tickets".into(),
        vec![
            ("customer", &customer_id),
            ("type", "repair"),
            ("priority", "normal"),
            ("description", "x"),
        ],
    ));
    for (path, form) in &refused {
        let r = office.post(app, path, form).await;
        assert_status(&r, StatusCode::NOT_FOUND, path);
    }
    // Bulk reassignment of the outside customer by id finds nothing to reassign.
    let r = office
        .post(
            app,
            "/customers/reassign",
            &[
                ("target", "selected"),
                ("id", &customer_id),
                ("to_owner", &office_id),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_status(&r, StatusCode::UNPROCESSABLE_ENTITY, "bulk reassign");
    // Forms that name the outside customer do not find it.
    let r = office
        .post(
            app,
            "/contracts",
            &[
                ("number", "HT-NEW"),
                ("customer", &customer_id),
                ("title", "新合同"),
                ("type", "sales"),
                ("status", "draft"),
            ],
        )
        .await;
    assert_status(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "contract for outside customer",
    );
    let code = format!("C-{}", outside.name.trim_start_matches("客户 "));
    let r = office
        .post(
            app,
            "/orders",
            &[("customer", &code), ("code_0", "P-A"), ("qty_0", "1")],
        )
        .await;
    assert_status(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "order for outside customer",
    );

    // Nothing changed.
    let after = write::load_record(&app.db, c).await.unwrap();
    assert_eq!(before, after, "customer document");
    assert_eq!(status_of(app, o).await, "submitted");
    let pays = payments::for_order(&app.db, o).await.unwrap();
    assert_eq!(pays.len(), 1);
    assert_eq!(pays[0].reversed_at, None);
    let k = contracts::get(&app.db, outside.contract)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        k.input.title,
        format!("合同 {}", outside.name.trim_start_matches("客户 "))
    );
    assert_eq!(
        contracts::files(&app.db, outside.contract)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        tickets::get(&app.db, outside.ticket)
            .await
            .unwrap()
            .unwrap()
            .status,
        TicketStatus::Dispatched
    );
    let d = write::load_record(&app.db, outside.dispatch.into())
        .await
        .unwrap();
    assert_eq!(d["status"], "assigned");
    let (_, _, assignee) = documents::anchors(&app.db, outside.dispatch.into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(assignee, Some(app.seed.users["engineer"]));
    assert_eq!(
        contracts::list(
            &app.db,
            &fieldcrm_server::db::territories::ScopeTerritories::All,
            &Default::default()
        )
        .await
        .unwrap()
        .1,
        3,
        "no contract created"
    );
    assert_eq!(
        documents::count(&app.db, Kind::Order).await.unwrap(),
        3,
        "no order created"
    );
    let (all_tickets, _) = tickets::list(
        &app.db,
        &fieldcrm_server::db::territories::ScopeTerritories::All,
        &tickets::TicketFilter {
            now: now_ms(),
            ..Default::default()
        },
        0,
        100,
    )
    .await
    .unwrap();
    assert_eq!(all_tickets.len(), 3, "no ticket created");

    // The same actions work on the inside records (the refusals above are the scope's).
    let r = office
        .post(
            app,
            &format!("/customers/{}/reassign", inside.customer),
            &[("to_owner", &office_id)],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "reassign inside");
    assert_eq!(owner_of(app, inside.customer).await, json!(office_id));
    let r = office
        .post(app, &format!("/orders/{}/confirm", inside.order), &[])
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "confirm inside");
    assert_eq!(status_of(app, inside.order).await, "confirmed");
    let r = office
        .post(
            app,
            &format!("/service/tickets/{}/close", inside.ticket),
            &[("note", "x")],
        )
        .await;
    assert!(
        r.status != StatusCode::NOT_FOUND,
        "close inside: {}",
        r.status
    );
}

async fn data_scope_self_holds_on_every_card(app: TestApp) {
    let (office, [mine, same_department, other]) = fixture(&app, DataScope::Own).await;
    // Self: only office's own records; a colleague's of the same department is outside.
    check(&app, &office, &mine, &same_department).await;
    for path in cards(&other) {
        assert_status(&office.get(&app, &path).await, StatusCode::NOT_FOUND, &path);
    }
}

async fn data_scope_department_holds_on_every_card(app: TestApp) {
    let (office, [mine, same_department, other]) = fixture(&app, DataScope::Department).await;
    // Department: the colleague's records open, the other department's do not.
    check(&app, &office, &same_department, &other).await;
    for path in cards(&mine) {
        assert_status(&office.get(&app, &path).await, StatusCode::OK, &path);
    }
}

backend_tests!(
    data_scope_self_holds_on_every_card,
    data_scope_department_holds_on_every_card,
);

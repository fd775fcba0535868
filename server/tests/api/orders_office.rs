//! Orders in the back office: confirm, ship (partially, then fully, with lots; tracked products
//! need their numbers), complete and cancel through the web routes, with the workflow of core
//! enforced for the user's role (forbidden steps refused, nothing stored); a draft written by the
//! office; the order list's filters and scope; the export with formula cells escaped; the print
//! view. Payments are in `payments.rs`. Runs on SQLite and PostgreSQL.
//!
//! Orders are created the way the server creates them (`write::server_create`) from
//! [`order_json`], which carries consistent prices (the fixture is the one place to adapt when
//! the server prices orders from the catalog).

use fieldcrm_core::catalog::Tracking;
use fieldcrm_core::document::Kind;
use fieldcrm_core::{DocId, OrderLineId, ProductId, TerritoryId, UserId};
use fieldcrm_server::auth::permissions::Permission;
use fieldcrm_server::db::audit::{self, AuditFilter};
use fieldcrm_server::db::{catalog, projections};
use fieldcrm_server::sync::write;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::HeaderMap;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::TestApp;
use crate::web::{Browser, Page, sign_in};

/// One line of a fixture order: product code, quantity, unit price (fen), discount (bp).
pub(crate) type LineSpec = (&'static str, f64, i64, i64);

/// (gross, net) of a line, rounded as the server rounds (`Order::price`).
pub(crate) fn line_amounts(quantity: f64, unit_price: i64, discount_bp: i64) -> (i64, i64) {
    let gross = (quantity * unit_price as f64).round() as i64;
    let discount = (gross * discount_bp + 5_000) / 10_000;
    (gross, gross - discount)
}

/// The typed JSON of an order of `customer` taken by `rep`, in `status`, with consistent
/// prices and totals; `products` are the catalog's ids of the lines' products. (Until the server
/// prices orders itself a server-created order keeps these prices; once it does, it finds the
/// same ones in the catalog, where [`create_order`] put them as list prices.)
pub(crate) fn order_json(
    customer: DocId,
    rep: UserId,
    status: &str,
    lines: &[LineSpec],
    products: &[ProductId],
) -> Value {
    let (mut subtotal, mut discount_total, mut total) = (0, 0, 0);
    let lines: Vec<Value> = lines
        .iter()
        .zip(products)
        .map(|((code, quantity, unit_price, discount_bp), product)| {
            let (gross, net) = line_amounts(*quantity, *unit_price, *discount_bp);
            subtotal += gross;
            discount_total += gross - net;
            total += net;
            json!({
                "id": OrderLineId::new().to_string(),
                "product": product.to_string(),
                "quantity": quantity,
                "discount_bp": discount_bp,
                "product_code": code,
                "product_name": format!("{code} 产品"),
                "unit": "箱",
                "unit_price": unit_price,
                "line_total": net,
            })
        })
        .collect();
    json!({
        "customer": customer.to_string(),
        "status": status,
        "rep": rep.to_string(),
        "lines": lines,
        "notes": "",
        "currency": "CNY",
        "subtotal": subtotal,
        "discount_total": discount_total,
        "total": total,
    })
}

/// The catalog product with `code` (created with `list_price` if new).
pub(crate) async fn product(app: &TestApp, code: &str, list_price: i64) -> ProductId {
    if let Some(p) = catalog::product_by_code(&app.db, code).await.unwrap() {
        assert_eq!(p.list_price, list_price, "fixture product {code}");
        return p.id;
    }
    catalog::create_product(
        &app.db,
        &catalog::ProductInput {
            code: code.into(),
            name: format!("{code} 产品"),
            unit: "箱".into(),
            spec: String::new(),
            category_id: None,
            list_price,
            image_sha256: None,
            tracking: Tracking::None,
            shelf_life_days: None,
            active: true,
        },
    )
    .await
    .unwrap()
}

/// A customer created as the server creates one.
pub(crate) async fn create_customer(
    app: &TestApp,
    name: &str,
    code: &str,
    territory: TerritoryId,
    owner: UserId,
) -> DocId {
    let id = DocId::new();
    let value = json!({ "name": name, "code": code, "tier": "A",
                        "territory": territory.to_string(), "owner": owner.to_string() });
    write::server_create(&app.db, &app.state.hub, Kind::Customer, id, &value, None)
        .await
        .unwrap();
    id
}

/// An order created as the server creates one, taken by `rep`.
pub(crate) async fn create_order(
    app: &TestApp,
    customer: DocId,
    rep: &str,
    status: &str,
    lines: &[LineSpec],
) -> DocId {
    let id = DocId::new();
    let rep = app.seed.users[rep];
    let mut products = Vec::new();
    for (code, _, price, _) in lines {
        products.push(product(app, code, *price).await);
    }
    write::server_create(
        &app.db,
        &app.state.hub,
        Kind::Order,
        id,
        &order_json(customer, rep, status, lines, &products),
        Some(rep),
    )
    .await
    .unwrap();
    id
}

/// Two lines: 10 × 12.50 at 10 % off (112.50) and 3 × 99.00 (297.00): total 409.50.
pub(crate) const TWO_LINES: &[LineSpec] = &[("P-A", 10.0, 1_250, 1_000), ("P-B", 3.0, 9_900, 0)];

/// A request with the browser's cookies and any body; the answer as bytes.
pub(crate) async fn raw(
    app: &TestApp,
    b: &Browser,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", format!("127.0.0.1:{}", app.port))
        .header("cookie", &b.cookies);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let response = sender
        .send_request(req.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, bytes.to_vec())
}

pub(crate) async fn status_of(app: &TestApp, id: DocId) -> String {
    let v = write::load_record(&app.db, id).await.unwrap();
    v["status"].as_str().unwrap().to_owned()
}

async fn projected_status(app: &TestApp, id: DocId) -> String {
    sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// The line ids of an order, in order.
pub(crate) async fn line_ids(app: &TestApp, id: DocId) -> Vec<String> {
    let v = write::load_record(&app.db, id).await.unwrap();
    v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect()
}

/// `s` as the templates escape it.
pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

pub(crate) fn assert_refused(r: &Page, what: &str, message: &str) {
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {}",
        r.body
    );
    assert!(
        r.body.contains("id=\"order-error\"") && r.body.contains(message),
        "{what}: no {message:?} in the error"
    );
}

pub(crate) fn ok_redirect(r: &Page, what: &str) {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{what}: {}", r.body);
}

/// The text of `<dd id="…">…</dd>` (or any element with that id) of a page.
pub(crate) fn text_of(page: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let at = page.find(&marker).unwrap_or_else(|| panic!("no #{id}"));
    let rest = &page[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest[start..].find('<').unwrap();
    rest[start..start + end].trim().to_owned()
}

/// One entry of a card's change history: who, via, whether it is the creation, and its changes
/// (field label, old, new), as the page shows them (HTML-escaped).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct HistoryRow {
    pub who: String,
    pub via: String,
    pub created: bool,
    pub changes: Vec<(String, String, String)>,
}

/// The text between `open` (the first occurrence at or after `from`, up to its `>`) and `close`.
fn inner<'a>(s: &'a str, open: &str, close: &str) -> Option<(&'a str, usize)> {
    let at = s.find(open)?;
    let start = at + s[at..].find('>')? + 1;
    let end = start + s[start..].find(close)?;
    Some((&s[start..end], end + close.len()))
}

/// The change history of the order card `page` (`#order-history`), newest first.
pub(crate) fn order_history(page: &str) -> Vec<HistoryRow> {
    let at = page
        .find("id=\"order-history\"")
        .expect("no #order-history");
    let section = &page[at..at + page[at..].find("</details>").expect("unclosed history")];
    let mut rows = Vec::new();
    let mut rest = section;
    while let Some(start) = rest.find("<tr class=\"history-entry\">") {
        let end = start + rest[start..].find("</tr>").expect("unclosed row");
        let row = &rest[start..end];
        rest = &rest[end..];
        let mut cells = Vec::new();
        let mut r = row;
        while let Some((cell, next)) = inner(r, "<td", "</td>") {
            cells.push(cell);
            r = &r[next..];
        }
        assert_eq!(cells.len(), 4, "{row}");
        let mut changes = Vec::new();
        let mut c = cells[3];
        while let Some(at) = c.find("<div class=\"change\">") {
            let end = at + c[at..].find("</div>").expect("unclosed change");
            let change = &c[at..end];
            let field = inner(change, "<span class=\"field\"", "</span>")
                .map(|(f, _)| f.to_owned())
                .unwrap_or_default();
            let old = inner(change, "<span class=\"old\"", "</span>")
                .map(|(f, _)| f.to_owned())
                .unwrap_or_default();
            let new = inner(change, "<span class=\"new\"", "</span>")
                .map(|(f, _)| f.to_owned())
                .unwrap_or_default();
            changes.push((field, old, new));
            c = &c[end..];
        }
        rows.push(HistoryRow {
            who: cells[1].trim().to_owned(),
            via: cells[2].trim().to_owned(),
            created: cells[3].contains("<strong>"),
            changes,
        });
    }
    rows
}

/// An entry of the history, summarised: who, via, the status change, whether the lines changed.
type Step<'a> = (&'a str, &'a str, Option<(&'a str, &'a str)>, bool);

/// The (field, old, new) change of `field` in `row`.
pub(crate) fn change_of<'a>(row: &'a HistoryRow, field: &str) -> Option<(&'a str, &'a str)> {
    row.changes
        .iter()
        .find(|(f, _, _)| f == field)
        .map(|(_, o, n)| (o.as_str(), n.as_str()))
}

async fn office_confirms_ships_partially_then_fully_and_completes(app: TestApp) {
    let s = &app.seed;
    let customer = create_customer(
        &app,
        "订单客户 Order Co",
        "C-ORD-1",
        s.shanghai,
        s.users["rep.sh"],
    )
    .await;
    let order = create_order(&app, customer, "rep.sh", "submitted", TWO_LINES).await;
    let office = sign_in(&app, "office").await;
    let card = office.get(&app, &format!("/orders/{order}")).await;
    assert_eq!(card.status, StatusCode::OK);
    assert_eq!(text_of(&card.body, "order-status"), "已提交");
    assert!(card.body.contains("409.50") && card.body.contains("112.50"));
    assert!(card.body.contains("id=\"confirm-order\""));
    assert!(
        !card.body.contains("id=\"ship-order\""),
        "no ship form before confirmation"
    );

    // Shipping before confirmation is refused, nothing changes.
    let lines = line_ids(&app, order).await;
    let ship_a = format!("ship_{}", lines[0]);
    let ship_b = format!("ship_{}", lines[1]);
    let lots_a = format!("lots_{}", lines[0]);
    let lots_b = format!("lots_{}", lines[1]);
    let r = office
        .post(
            &app,
            &format!("/orders/{order}/ship"),
            &[(&ship_a, "10"), (&ship_b, "3")],
        )
        .await;
    assert_refused(&r, "ship before confirm", "已提交 → 已发货");
    assert_eq!(status_of(&app, order).await, "submitted");
    // Completing or confirming twice is refused too.
    let r = office
        .post(&app, &format!("/orders/{order}/complete"), &[])
        .await;
    assert_refused(&r, "complete a submitted order", "已提交 → 已完成");

    // A rep has no OrdersManage: 403, nothing changes.
    let rep = sign_in(&app, "rep.sh").await;
    let r = rep
        .post(&app, &format!("/orders/{order}/confirm"), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(status_of(&app, order).await, "submitted");
    // The rep sees the order but no action.
    let card = rep.get(&app, &format!("/orders/{order}")).await;
    assert_eq!(card.status, StatusCode::OK);
    assert!(!card.body.contains("id=\"confirm-order\""));

    // Confirm.
    let r = office
        .post(&app, &format!("/orders/{order}/confirm"), &[])
        .await;
    ok_redirect(&r, "confirm");
    assert_eq!(r.location(), format!("/orders/{order}"));
    assert_eq!(status_of(&app, order).await, "confirmed");
    assert_eq!(projected_status(&app, order).await, "confirmed");
    let r = office
        .post(&app, &format!("/orders/{order}/confirm"), &[])
        .await;
    assert_refused(&r, "confirm twice", "已确认 → 已确认");

    // Ship part of line A with two lots: partially shipped.
    let r = office
        .post(
            &app,
            &format!("/orders/{order}/ship"),
            &[(&ship_a, "4"), (&lots_a, "LOT-1, LOT-2"), (&ship_b, "")],
        )
        .await;
    ok_redirect(&r, "partial shipment");
    assert_eq!(status_of(&app, order).await, "partially_shipped");
    let v = write::load_record(&app.db, order).await.unwrap();
    assert_eq!(v["lines"][0]["shipped_quantity"], json!(4.0));
    assert_eq!(v["lines"][0]["lots"], json!(["LOT-1", "LOT-2"]));
    assert_eq!(v["lines"][1]["shipped_quantity"], json!(0.0));
    let shipped: f64 = sqlx::query_scalar(
        "SELECT shipped_quantity FROM order_lines WHERE order_id = $1 AND line_id = $2",
    )
    .bind(order.to_string())
    .bind(&lines[0])
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(shipped, 4.0);

    // More than ordered, nothing to ship, completing or cancelling now: refused.
    let r = office
        .post(
            &app,
            &format!("/orders/{order}/ship"),
            &[(&ship_a, "6"), (&ship_b, "4")],
        )
        .await;
    assert_refused(&r, "ship too much", "发货数量超过订购数量");
    let r = office
        .post(
            &app,
            &format!("/orders/{order}/ship"),
            &[(&ship_a, ""), (&ship_b, "0")],
        )
        .await;
    assert_refused(&r, "ship nothing", "没有填写发货数量");
    let r = office
        .post(&app, &format!("/orders/{order}/ship"), &[(&ship_a, "-1")])
        .await;
    assert_refused(&r, "negative quantity", "数量无效");
    let r = office
        .post(&app, &format!("/orders/{order}/complete"), &[])
        .await;
    assert_refused(&r, "complete a partial order", "部分发货 → 已完成");
    let r = office
        .post(
            &app,
            &format!("/orders/{order}/cancel"),
            &[("reason", "too late")],
        )
        .await;
    assert_refused(&r, "cancel after shipping", "部分发货 → 已取消");
    assert_eq!(status_of(&app, order).await, "partially_shipped");

    // Ship the rest: shipped.
    let r = office
        .post(
            &app,
            &format!("/orders/{order}/ship"),
            &[(&ship_a, "6"), (&ship_b, "3"), (&lots_b, "SN-9\nSN-10")],
        )
        .await;
    ok_redirect(&r, "rest shipped");
    assert_eq!(status_of(&app, order).await, "shipped");
    let v = write::load_record(&app.db, order).await.unwrap();
    assert_eq!(v["lines"][0]["shipped_quantity"], json!(10.0));
    assert_eq!(v["lines"][1]["lots"], json!(["SN-9", "SN-10"]));
    // Totals are untouched by the office's steps.
    assert_eq!(v["total"], json!(40_950));

    // Complete.
    let r = office
        .post(&app, &format!("/orders/{order}/complete"), &[])
        .await;
    ok_redirect(&r, "complete");
    assert_eq!(status_of(&app, order).await, "completed");

    // The status log, with who did each step.
    let log = projections::status_log(&app.db, order).await.unwrap();
    let statuses: Vec<&str> = log.iter().map(|e| e.status.as_str()).collect();
    assert_eq!(
        statuses,
        [
            "submitted",
            "confirmed",
            "partially_shipped",
            "shipped",
            "completed"
        ]
    );
    let office_id = app.seed.users["office"];
    assert!(
        log[1..].iter().all(|e| e.user == Some(office_id)),
        "{log:?}"
    );
    let card = office.get(&app, &format!("/orders/{order}")).await;
    assert_eq!(text_of(&card.body, "order-status"), "已完成");
    assert!(
        card.body.contains("内勤 Office"),
        "the status log names the user"
    );
    assert!(card.body.contains("LOT-1, LOT-2") && card.body.contains("SN-9, SN-10"));
    assert!(
        !card.body.contains("id=\"order-actions\""),
        "no action left"
    );
    // The change history, through the shared history view: each step by the office user, in the
    // back office, the status from its label to its label; shipping changes the lines (named, no
    // values); the server numbered it; the first entry is the creation, by the rep who took the
    // order (compared with an empty order: a draft).
    let history = order_history(&card.body);
    let steps: Vec<Step> = history
        .iter()
        .map(|h| {
            (
                h.who.as_str(),
                h.via.as_str(),
                change_of(h, "状态"),
                change_of(h, "明细").is_some(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("内勤 Office", "后台", Some(("已发货", "已完成")), false),
            ("内勤 Office", "后台", Some(("部分发货", "已发货")), true),
            ("内勤 Office", "后台", Some(("已确认", "部分发货")), true),
            ("内勤 Office", "后台", Some(("已提交", "已确认")), false),
            ("系统", "后台", None, false),
            (
                "上海销售 Shanghai Rep",
                "后台",
                Some(("草稿", "已提交")),
                true
            ),
        ],
        "{history:#?}"
    );
    assert!(history.last().unwrap().created && !history[0].created);
    // The server numbers the order once it is submitted.
    assert_eq!(history[4].changes.len(), 1, "{:?}", history[4]);
    let (old, new) = change_of(&history[4], "编号").unwrap();
    assert!(old.is_empty() && new.starts_with("SO-"), "{new}");
    assert_eq!(change_of(&history[1], "明细"), Some(("", "")));
    let created = history.last().unwrap();
    assert_eq!(
        change_of(created, "客户"),
        Some(("", "订单客户 Order Co")),
        "the customer by its name"
    );
    assert_eq!(
        change_of(created, "销售"),
        Some(("", "上海销售 Shanghai Rep")),
        "the rep by their name"
    );
    assert_eq!(change_of(created, "合计"), Some(("0.00", "409.50")));
    // Each step is audited as the office user's.
    for action in ["web.order.confirm", "web.order.ship", "web.order.complete"] {
        let rows = audit::list(
            &app.db,
            &AuditFilter {
                action: Some(action.into()),
                doc_id: Some(order.to_string()),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert!(!rows.is_empty(), "{action}");
        assert!(rows.iter().all(|r| r.entry.user_id == Some(office_id)));
    }
    // The print view: a page of its own with the number, customer, lines and total.
    let print = office.get(&app, &format!("/orders/{order}/print")).await;
    assert_eq!(print.status, StatusCode::OK);
    assert!(print.body.contains("class=\"print-page\""));
    assert!(
        !print.body.contains("<header class=\"top\""),
        "no navigation on paper"
    );
    assert_eq!(text_of(&print.body, "print-total"), "409.50");
    assert!(print.body.contains("订单客户 Order Co") && print.body.contains("P-B 产品"));
    // No company configured: the product's name heads the paper.
    assert_eq!(text_of(&print.body, "print-company"), "FieldCRM");
}

/// The configured company name heads printed orders, escaped like any text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printed_orders_carry_the_configured_company() {
    let app = crate::helpers::spawn_app_with(
        fieldcrm_server::db::Backend::Sqlite,
        fieldcrm_server::settings::SettingsLayer {
            company_name: Some("  上海华联 <Trading> & Co  ".into()),
            ..Default::default()
        },
    )
    .await
    .expect("sqlite is always available");
    let s = &app.seed;
    let customer =
        create_customer(&app, "印刷客户", "C-PRN-1", s.shanghai, s.users["rep.sh"]).await;
    let order = create_order(&app, customer, "rep.sh", "submitted", TWO_LINES).await;
    let office = sign_in(&app, "office").await;
    let print = office.get(&app, &format!("/orders/{order}/print")).await;
    assert_eq!(print.status, StatusCode::OK);
    assert_eq!(
        text_of(&print.body, "print-company"),
        esc("上海华联 <Trading> & Co")
    );
    assert!(!print.body.contains("<Trading>"));
}

async fn cancelling_needs_a_reason_and_the_role_decides_the_step(app: TestApp) {
    let s = &app.seed;
    let customer =
        create_customer(&app, "取消客户", "C-ORD-2", s.shanghai, s.users["rep.sh"]).await;
    let order = create_order(&app, customer, "rep.sh", "submitted", TWO_LINES).await;
    let office = sign_in(&app, "office").await;
    let r = office
        .post(
            &app,
            &format!("/orders/{order}/cancel"),
            &[("reason", "  ")],
        )
        .await;
    assert_refused(&r, "cancel without reason", "请填写取消原因");
    assert_eq!(status_of(&app, order).await, "submitted");

    // A rep's role given OrdersManage still may not confirm: the workflow is the role's.
    app.edit_role_permissions(fieldcrm_core::Role::Rep, |p| {
        p.insert(Permission::OrdersManage);
    })
    .await;
    let rep = sign_in(&app, "rep.sh").await;
    let r = rep
        .post(&app, &format!("/orders/{order}/confirm"), &[])
        .await;
    assert_refused(&r, "rep confirms", "您的角色不能执行此步骤");
    assert_eq!(status_of(&app, order).await, "submitted");
    // … but may cancel a submitted order (with a hostile reason, shown escaped).
    let reason = "客户撤单 <script>alert(1)</script>";
    let r = rep
        .post(
            &app,
            &format!("/orders/{order}/cancel"),
            &[("reason", reason)],
        )
        .await;
    ok_redirect(&r, "rep cancels");
    let v = write::load_record(&app.db, order).await.unwrap();
    assert_eq!(v["status"], "cancelled");
    assert_eq!(v["cancel_reason"], reason);
    let card = office.get(&app, &format!("/orders/{order}")).await;
    assert!(card.body.contains(&esc(reason)));
    assert!(!card.body.contains("<script>alert(1)"));
    // The cancellation in the change history: by the rep, status and reason old → new.
    let history = order_history(&card.body);
    assert_eq!(
        history[0],
        HistoryRow {
            who: "上海销售 Shanghai Rep".into(),
            via: "后台".into(),
            created: false,
            changes: vec![
                ("取消原因".into(), String::new(), esc(reason)),
                ("状态".into(), "已提交".into(), "已取消".into()),
            ],
        },
        "{history:#?}"
    );
    // In English, the labels are English.
    let office_en = Browser {
        cookies: format!("{}; fieldcrm_lang=en", office.cookies),
        csrf: office.csrf.clone(),
    };
    let card_en = office_en.get(&app, &format!("/orders/{order}")).await;
    let history_en = order_history(&card_en.body);
    assert_eq!(
        change_of(&history_en[0], "Status"),
        Some(("Submitted", "Cancelled"))
    );
    assert_eq!(history_en[0].via, "Back office");
    // Cancelled: no payments, receivable 0.
    assert_eq!(text_of(&card.body, "order-receivable"), "0.00");
    let r = office
        .post(
            &app,
            &format!("/orders/{order}/payments"),
            &[
                ("amount", "1"),
                ("paid_on", "2026-01-05"),
                ("method", "cash"),
            ],
        )
        .await;
    assert_refused(
        &r,
        "pay a cancelled order",
        "草稿或已取消的订单不能登记回款",
    );
    // A draft is cancelled by the office straight away.
    let draft = create_order(&app, customer, "rep.sh", "draft", TWO_LINES).await;
    let r = office
        .post(
            &app,
            &format!("/orders/{draft}/cancel"),
            &[("reason", "duplicate")],
        )
        .await;
    ok_redirect(&r, "office cancels a draft");
    assert_eq!(status_of(&app, draft).await, "cancelled");
}

async fn the_order_list_filters_stays_in_scope_and_exports_escaped(app: TestApp) {
    use calamine::{Reader, Xlsx, open_workbook_from_rs};
    let s = &app.seed;
    let hostile = "=cmd|' /C calc'!A0 <script>x</script>";
    let sh = create_customer(&app, hostile, "C-SH-1", s.shanghai, s.users["rep.sh"]).await;
    let bj = create_customer(
        &app,
        "北京客户 Beijing",
        "C-BJ-1",
        s.beijing,
        s.users["rep.bj"],
    )
    .await;
    let a = create_order(&app, sh, "rep.sh", "submitted", TWO_LINES).await;
    let b = create_order(&app, bj, "rep.bj", "submitted", &[("P-X", 1.0, 100, 0)]).await;
    let c = create_order(&app, bj, "rep.bj", "draft", &[("P-Y", 1.0, 200, 0)]).await;
    let office = sign_in(&app, "office").await;
    ok_redirect(
        &office
            .post(&app, &format!("/orders/{b}/confirm"), &[])
            .await,
        "confirm",
    );
    let has = |body: &str, id: DocId| body.contains(&format!("data-order=\"{id}\""));
    let r = office.get(&app, "/orders").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(has(&r.body, a) && has(&r.body, b) && has(&r.body, c));
    assert!(r.body.contains(&esc(hostile)));
    assert!(!r.body.contains("<script>x</script>"));
    for (query, expected) in [
        ("status=confirmed", vec![b]),
        ("status=draft", vec![c]),
        ("customer=c-bj", vec![b, c]),
        ("customer=%E5%8C%97%E4%BA%AC", vec![b, c]),
        (&format!("rep={}", s.users["rep.sh"]) as &str, vec![a]),
        ("from=2000-01-01&to=2000-01-02", vec![]),
        ("number=nothing-like-this", vec![]),
    ] {
        let r = office.get(&app, &format!("/orders?{query}")).await;
        assert_eq!(r.status, StatusCode::OK, "{query}");
        for id in [a, b, c] {
            assert_eq!(has(&r.body, id), expected.contains(&id), "{query}: {id}");
        }
    }
    // The number search (numbers are drawn by the server: SO-YYYY-NNNNNN).
    let number: String = sqlx::query_scalar("SELECT number FROM orders WHERE id = $1")
        .bind(a.to_string())
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(number.starts_with("SO-"), "{number}");
    let r = office
        .get(
            &app,
            &format!("/orders?number={}", &number[number.len() - 6..]),
        )
        .await;
    assert!(has(&r.body, a) && !has(&r.body, b) && !has(&r.body, c));
    assert!(r.body.contains(&number));
    // htmx gets only the table.
    let r = crate::web::send(
        &app,
        Method::GET,
        "/orders?status=confirmed",
        &office.cookies,
        &[("hx-request", "true")],
        None,
    )
    .await;
    assert!(r.body.contains("id=\"orders\"") && !r.body.contains("<html"));
    let r = office.get(&app, "/orders?status=bogus").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // A rep sees the orders of their territories only.
    let rep = sign_in(&app, "rep.sh").await;
    let r = rep.get(&app, "/orders").await;
    assert!(has(&r.body, a) && !has(&r.body, b) && !has(&r.body, c));
    assert_eq!(
        rep.get(&app, &format!("/orders/{b}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        rep.get(&app, &format!("/orders/{b}/print")).await.status,
        StatusCode::NOT_FOUND
    );
    // Not an order: 404.
    assert_eq!(
        office.get(&app, &format!("/orders/{sh}")).await.status,
        StatusCode::NOT_FOUND
    );

    // Export: every matching row, formula cells escaped, audited.
    let (status, headers, bytes) = raw(
        &app,
        &office,
        Method::GET,
        "/orders/export",
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/vnd.openxmlformats")
    );
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(rows[0][0], "订单号");
    let hostile_row = rows.iter().find(|r| r[2] == "C-SH-1").unwrap();
    assert_eq!(hostile_row[3], format!("'{hostile}"));
    assert_eq!(hostile_row[8], "409.50");
    assert_eq!(hostile_row[10], "409.50");
    let (_, _, bytes) = raw(
        &app,
        &office,
        Method::GET,
        "/orders/export?status=confirmed",
        &[],
        Vec::new(),
    )
    .await;
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.rows().count(), 2);
    let rows = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("web.order.export".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].entry.detail["rows"], json!(1));
}

async fn office_writes_a_draft_and_tracked_products_need_their_numbers(app: TestApp) {
    let s = &app.seed;
    let customer = create_customer(
        &app,
        "后台下单客户",
        "C-NEW-1",
        s.shanghai,
        s.users["rep.sh"],
    )
    .await;
    let plain = product(&app, "P-N1", 2_000).await;
    let mut serial = catalog::ProductInput {
        code: "P-SN".into(),
        name: "序列号产品".into(),
        unit: "台".into(),
        spec: String::new(),
        category_id: None,
        list_price: 15_000,
        image_sha256: None,
        tracking: Tracking::Serial,
        shelf_life_days: None,
        active: true,
    };
    catalog::create_product(&app.db, &serial).await.unwrap();
    serial.code = "P-OLD".into();
    serial.active = false;
    catalog::create_product(&app.db, &serial).await.unwrap();
    // Tier A buys P-N1 at 18.00 this year.
    let list = catalog::create_price_list(
        &app.db,
        &catalog::PriceListInput {
            name: "A 级价格".into(),
            tier: "A".into(),
            valid_from: "2000-01-01".into(),
            valid_to: None,
            active: true,
        },
    )
    .await
    .unwrap();
    catalog::set_price(&app.db, list, plain, 1_800)
        .await
        .unwrap();

    let office = sign_in(&app, "office").await;
    assert_eq!(
        office
            .get(&app, "/orders/new?customer=C-NEW-1")
            .await
            .status,
        StatusCode::OK
    );
    for (fields, message) in [
        (vec![("customer", "C-NEW-1")], "请至少填写一行"),
        (
            vec![("customer", "NOBODY"), ("code_1", "P-N1"), ("qty_1", "1")],
            "找不到该客户",
        ),
        (
            vec![("customer", "C-NEW-1"), ("code_1", "P-XX"), ("qty_1", "1")],
            "产品编码不存在或已停售",
        ),
        (
            vec![("customer", "C-NEW-1"), ("code_1", "P-OLD"), ("qty_1", "1")],
            "产品编码不存在或已停售",
        ),
        (
            vec![("customer", "C-NEW-1"), ("code_1", "P-N1"), ("qty_1", "0")],
            "数量无效",
        ),
        (
            vec![
                ("customer", "C-NEW-1"),
                ("code_1", "P-N1"),
                ("qty_1", "1"),
                ("disc_1", "25"),
            ],
            "折扣超过您的权限",
        ),
    ] {
        let r = office.post(&app, "/orders", &fields).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(r.body.contains(message), "{message}");
    }
    let r = office
        .post(
            &app,
            "/orders",
            &[
                ("customer", "C-NEW-1"),
                ("code_1", "P-N1"),
                ("qty_1", "3"),
                ("disc_1", "10"),
                ("code_2", "P-SN"),
                ("qty_2", "2"),
                ("delivery_2", "2026-12-01"),
                ("notes", "电话订单"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let order = DocId::parse(r.location().trim_start_matches("/orders/")).unwrap();
    let v = write::load_record(&app.db, order).await.unwrap();
    assert_eq!(v["status"], "draft");
    assert_eq!(v["rep"], app.seed.users["office"].to_string());
    assert_eq!(v["customer"], customer.to_string());
    assert_eq!(v["lines"][0]["unit_price"], 1_800, "the tier's price");
    assert_eq!(v["lines"][0]["line_total"], 4_860);
    assert_eq!(v["lines"][1]["unit_price"], 15_000);
    assert_eq!(v["lines"][1]["requested_delivery"], "2026-12-01");
    assert_eq!(
        (v["subtotal"].as_i64(), v["total"].as_i64()),
        (Some(35_400), Some(34_860))
    );
    // A rep may not write orders here.
    let rep = sign_in(&app, "rep.sh").await;
    assert_eq!(
        rep.get(&app, "/orders/new").await.status,
        StatusCode::FORBIDDEN
    );
    let r = rep
        .post(
            &app,
            "/orders",
            &[("customer", "C-NEW-1"), ("code_1", "P-N1"), ("qty_1", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Submit, confirm, then ship: the serial-tracked line needs one serial per unit.
    for step in ["submit", "confirm"] {
        ok_redirect(
            &office
                .post(&app, &format!("/orders/{order}/{step}"), &[])
                .await,
            step,
        );
    }
    assert_eq!(status_of(&app, order).await, "confirmed");
    let card = office.get(&app, &format!("/orders/{order}")).await;
    assert!(card.body.contains("序列号管理"));
    let lines = line_ids(&app, order).await;
    let (ship_1, ship_2) = (format!("ship_{}", lines[0]), format!("ship_{}", lines[1]));
    let lots_2 = format!("lots_{}", lines[1]);
    let r = office
        .post(
            &app,
            &format!("/orders/{order}/ship"),
            &[(&ship_1, "3"), (&ship_2, "2"), (&lots_2, "SN-1")],
        )
        .await;
    assert_refused(&r, "one serial for two units", "序列号管理的产品");
    let r = office
        .post(
            &app,
            &format!("/orders/{order}/ship"),
            &[(&ship_1, "3"), (&ship_2, "2"), (&lots_2, "SN-1, SN-2")],
        )
        .await;
    ok_redirect(&r, "shipped with serials");
    let v = write::load_record(&app.db, order).await.unwrap();
    assert_eq!(v["status"], "shipped");
    assert_eq!(v["lines"][1]["lots"], json!(["SN-1", "SN-2"]));
    let rows = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("web.order.create".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].entry.detail["total"], json!(34_860));
}

backend_tests!(
    office_confirms_ships_partially_then_fully_and_completes,
    cancelling_needs_a_reason_and_the_role_decides_the_step,
    the_order_list_filters_stays_in_scope_and_exports_escaped,
    office_writes_a_draft_and_tracked_products_need_their_numbers,
);

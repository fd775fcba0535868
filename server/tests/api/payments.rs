//! Payments received against orders through the back office: entry on the order card until the
//! receivable is 0, overpayment and invalid entries refused, reversal (audited), the payment list
//! with its filters and sum, receivables per customer (and on the customer card, over the orders
//! of the user's data scope only), and the overdue list from the date the order entered
//! `shipped` plus the payment terms (the contract's, else 30 days). Runs on SQLite and
//! PostgreSQL.

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use fieldcrm_core::{DocId, Role};
use fieldcrm_server::auth::permissions::{DataScope, Permission, default_permissions};
use fieldcrm_server::db::audit::{self, AuditFilter};
use fieldcrm_server::db::payments::{self, NewPayment, PaymentMethod};
use fieldcrm_server::db::roles::{self, RoleSpec};
use fieldcrm_server::db::territories::ScopeTerritories;
use fieldcrm_server::db::users;
use hyper::{Method, StatusCode};

use crate::backend_tests;
use crate::helpers::TestApp;
use crate::orders_office::{
    TWO_LINES, assert_refused, create_customer, create_order, line_ids, ok_redirect, raw, text_of,
};
use crate::web::{Browser, sign_in};

/// A hostile payment reference: a spreadsheet would run it as a formula.
const HOSTILE: &str = "=cmd|' /C calc'!A0";

/// `path` downloaded by `b`: status, content type, the bytes.
async fn download(app: &TestApp, b: &Browser, path: &str) -> (StatusCode, String, Vec<u8>) {
    let (status, headers, body) = raw(app, b, Method::GET, path, &[], Vec::new()).await;
    let ct = headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, body)
}

/// The first sheet of an .xlsx export, every row as strings (header first).
async fn xlsx_rows(app: &TestApp, b: &Browser, path: &str) -> Vec<Vec<String>> {
    let (status, ct, bytes) = download(app, b, path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    assert!(ct.contains("spreadsheetml"), "{path}: {ct}");
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&sheet).unwrap();
    range
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect()
}

/// A CSV export, every row as strings (header first); checks the BOM.
async fn csv_rows(app: &TestApp, b: &Browser, path: &str) -> Vec<Vec<String>> {
    let (status, ct, bytes) = download(app, b, path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    assert!(ct.starts_with("text/csv"), "{path}: {ct}");
    assert!(bytes.starts_with(&[0xef, 0xbb, 0xbf]), "{path}: no BOM");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..])
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// The cells of `rows` (header skipped) at `cols`.
fn pick(rows: &[Vec<String>], cols: &[usize]) -> Vec<Vec<String>> {
    rows[1..]
        .iter()
        .map(|r| cols.iter().map(|c| r[*c].clone()).collect())
        .collect()
}

async fn payments_bring_the_receivable_to_zero_and_overpayment_is_refused(app: TestApp) {
    let s = &app.seed;
    let customer = create_customer(
        &app,
        "回款客户 Pay Co",
        "C-PAY-1",
        s.shanghai,
        s.users["rep.sh"],
    )
    .await;
    let order = create_order(&app, customer, "rep.sh", "submitted", TWO_LINES).await;
    let second = create_order(
        &app,
        customer,
        "rep.sh",
        "submitted",
        &[("P-C", 2.0, 5_000, 0)],
    )
    .await;
    let office = sign_in(&app, "office").await;
    for o in [order, second] {
        ok_redirect(
            &office
                .post(&app, &format!("/orders/{o}/confirm"), &[])
                .await,
            "confirm",
        );
    }
    let pay = |amount: &'static str, method: &'static str, reference: &'static str| {
        [
            ("amount", amount),
            ("paid_on", "2026-03-01"),
            ("method", method),
            ("reference", reference),
        ]
    };
    let path = format!("/orders/{order}/payments");
    // Invalid amounts, dates and methods.
    for (amount, date, method, message) in [
        ("0", "2026-03-01", "cash", "请输入大于 0 的金额"),
        ("-5", "2026-03-01", "cash", "请输入大于 0 的金额"),
        ("1.234", "2026-03-01", "cash", "请输入大于 0 的金额"),
        ("10", "2026-02-30", "cash", "请输入有效的日期"),
        ("10", "2026-03-01", "bitcoin", "请选择回款方式"),
    ] {
        let r = office
            .post(
                &app,
                &path,
                &[("amount", amount), ("paid_on", date), ("method", method)],
            )
            .await;
        assert_refused(&r, amount, message);
    }
    let r = office
        .post(&app, &path, &pay("100.00", "bank_transfer", "BANK-1"))
        .await;
    ok_redirect(&r, "first payment");
    let card = office.get(&app, &format!("/orders/{order}")).await;
    assert_eq!(text_of(&card.body, "order-paid"), "100.00");
    assert_eq!(text_of(&card.body, "order-receivable"), "309.50");
    // Overpaying is refused with what is owed; the refused form keeps its values.
    let r = office
        .post(&app, &path, &pay("400", "cash", "CASH-X"))
        .await;
    assert_refused(&r, "overpayment", "金额超过应收余额，应收 309.50");
    assert!(r.body.contains("value=\"CASH-X\""));
    let r = office.post(&app, &path, &pay("309.51", "cash", "")).await;
    assert_refused(&r, "one fen too much", "309.50");
    // The rest: receivable 0.00, no payment form any more.
    let r = office
        .post(&app, &path, &pay("309.5", "cheque", "CHQ-7"))
        .await;
    ok_redirect(&r, "second payment");
    let card = office.get(&app, &format!("/orders/{order}")).await;
    assert_eq!(text_of(&card.body, "order-paid"), "409.50");
    assert_eq!(text_of(&card.body, "order-receivable"), "0.00");
    assert!(!card.body.contains("id=\"payment-form\""));
    let r = office.post(&app, &path, &pay("0.01", "cash", "")).await;
    assert_refused(&r, "paid in full", "应收 0.00");
    let stored = payments::for_order(&app.db, order).await.unwrap();
    assert_eq!(
        stored
            .iter()
            .map(|p| (p.amount, p.method.as_str()))
            .collect::<Vec<_>>(),
        [(10_000, "bank_transfer"), (30_950, "cheque")]
    );
    assert!(stored.iter().all(|p| p.customer_id == customer.to_string()));

    // Receivables by customer: only the second order (100.00) is owed.
    let r = office.get(&app, "/receivables").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("回款客户 Pay Co"));
    assert_eq!(text_of(&r.body, "receivables-sum"), "100.00");
    assert_eq!(
        payments::customer_receivable(&app.db, customer, &ScopeTerritories::All, None)
            .await
            .unwrap(),
        10_000
    );
    // The customer card shows it.
    let r = office.get(&app, &format!("/customers/{customer}")).await;
    assert_eq!(text_of(&r.body, "customer-receivable"), "100.00");

    // The payment list: filters by method, customer and date; the sum.
    let r = office.get(&app, "/payments").await;
    assert_eq!(text_of(&r.body, "payments-sum"), "409.50");
    let r = office.get(&app, "/payments?method=cheque").await;
    assert_eq!(text_of(&r.body, "payments-sum"), "309.50");
    assert!(r.body.contains("CHQ-7") && !r.body.contains("BANK-1"));
    let r = office
        .get(
            &app,
            "/payments?customer=c-pay&from=2026-03-01&to=2026-03-01",
        )
        .await;
    assert_eq!(text_of(&r.body, "payments-sum"), "409.50");
    let r = office.get(&app, "/payments?from=2026-03-02").await;
    assert_eq!(text_of(&r.body, "payments-sum"), "0.00");
    let r = office.get(&app, "/payments?customer=nobody").await;
    assert!(r.body.contains("id=\"no-payments\""));

    // A reversal stops the payment counting; it stays listed; audited.
    let cheque = stored[1].id;
    let r = office
        .post(
            &app,
            &format!("/payments/{cheque}/reverse"),
            &[("reason", "bounced")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let card = office.get(&app, &format!("/orders/{order}")).await;
    assert_eq!(text_of(&card.body, "order-receivable"), "309.50");
    assert!(card.body.contains("bounced"));
    let r = office.get(&app, "/payments").await;
    assert_eq!(text_of(&r.body, "payments-sum"), "100.00");
    assert!(r.body.contains("CHQ-7"), "a reversed payment stays listed");
    let office_id = app.seed.users["office"];
    for (action, n) in [("web.payment.record", 2), ("web.payment.reverse", 1)] {
        let rows = audit::list(
            &app.db,
            &AuditFilter {
                action: Some(action.into()),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(rows.len(), n, "{action}");
        assert!(rows.iter().all(|r| r.entry.user_id == Some(office_id)));
    }

    // A rep sees payments but may not record them; a draft takes none.
    let rep = sign_in(&app, "rep.sh").await;
    let r = rep.post(&app, &path, &pay("1", "cash", "")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(rep.get(&app, "/payments").await.status, StatusCode::OK);
    let draft = create_order(&app, customer, "rep.sh", "draft", TWO_LINES).await;
    let r = office
        .post(
            &app,
            &format!("/orders/{draft}/payments"),
            &pay("1", "cash", ""),
        )
        .await;
    assert_refused(&r, "pay a draft", "草稿或已取消的订单不能登记回款");
}

async fn payment_lists_export_escaped_in_the_users_scope(app: TestApp) {
    let s = &app.seed;
    let sh = create_customer(
        &app,
        "上海回款 SH Pay",
        "C-EXP-SH",
        s.shanghai,
        s.users["rep.sh"],
    )
    .await;
    let bj = create_customer(
        &app,
        "北京回款 BJ Pay",
        "C-EXP-BJ",
        s.beijing,
        s.users["rep.bj"],
    )
    .await;
    let sh_order = create_order(&app, sh, "rep.sh", "submitted", TWO_LINES).await;
    let bj_order = create_order(&app, bj, "rep.bj", "submitted", &[("P-E", 2.0, 5_000, 0)]).await;
    let office = sign_in(&app, "office").await;
    for o in [sh_order, bj_order] {
        ok_redirect(
            &office
                .post(&app, &format!("/orders/{o}/confirm"), &[])
                .await,
            "confirm",
        );
    }
    for (order, amount, date, method, reference) in [
        (sh_order, "100", "2026-03-01", "bank_transfer", HOSTILE),
        (sh_order, "50.25", "2026-03-02", "cash", "CASH-1"),
        (bj_order, "30", "2026-03-03", "cash", "BJ-1"),
    ] {
        let r = office
            .post(
                &app,
                &format!("/orders/{order}/payments"),
                &[
                    ("amount", amount),
                    ("paid_on", date),
                    ("method", method),
                    ("reference", reference),
                ],
            )
            .await;
        ok_redirect(&r, reference);
    }
    // The list links to its export with its filters.
    let page = office
        .get(&app, "/payments?method=cash&customer=C-EXP")
        .await;
    assert!(
        page.body
            .contains("href=\"/payments/export?format=csv&customer=C-EXP&#38;method=cash\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"export-xlsx\""));

    // Everything, as .xlsx: newest first, amounts as plain decimals, the hostile reference inert.
    let rows = xlsx_rows(&app, &office, "/payments/export?format=xlsx").await;
    assert_eq!(
        rows[0][..5],
        ["回款日期", "客户", "订单", "金额（元）", "方式"].map(String::from)
    );
    let cols = [0, 1, 3, 4, 5];
    assert_eq!(
        pick(&rows, &cols),
        [
            ["2026-03-03", "北京回款 BJ Pay", "30.00", "现金", "BJ-1"],
            ["2026-03-02", "上海回款 SH Pay", "50.25", "现金", "CASH-1"],
            [
                "2026-03-01",
                "上海回款 SH Pay",
                "100.00",
                "银行转账",
                "'=cmd|' /C calc'!A0"
            ],
        ]
        .map(|r| r.map(String::from).to_vec())
    );
    // With the list's filters, as CSV.
    let rows = csv_rows(
        &app,
        &office,
        "/payments/export?format=csv&method=cash&customer=C-EXP-SH",
    )
    .await;
    assert_eq!(
        pick(&rows, &cols),
        [["2026-03-02", "上海回款 SH Pay", "50.25", "现金", "CASH-1"]]
            .map(|r| r.map(String::from).to_vec())
    );
    let rows = csv_rows(
        &app,
        &office,
        "/payments/export?format=csv&from=2026-03-01&to=2026-03-01",
    )
    .await;
    assert_eq!(rows[1][5], "'=cmd|' /C calc'!A0", "escaped in CSV too");
    assert_eq!(rows.len(), 2);
    // A reversed payment is exported, marked.
    let cash = payments::for_order(&app.db, sh_order).await.unwrap()[1].id;
    let r = office
        .post(
            &app,
            &format!("/payments/{cash}/reverse"),
            &[("reason", "bounced")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let rows = csv_rows(&app, &office, "/payments/export?format=csv&method=cash").await;
    assert_eq!(rows.len(), 3);
    assert!(
        rows[2][9].starts_with("已冲销") && rows[2][9].ends_with("bounced"),
        "{rows:?}"
    );
    assert_eq!(rows[1][9], "");

    // A rep exports only their own customers' payments.
    let rep = sign_in(&app, "rep.sh").await;
    let rows = xlsx_rows(&app, &rep, "/payments/export").await;
    assert_eq!(
        pick(&rows, &[1, 3]),
        [["上海回款 SH Pay", "50.25"], ["上海回款 SH Pay", "100.00"]]
            .map(|r| r.map(String::from).to_vec())
    );

    // Receivables by customer: 409.50 − 100.00 = 309.50 (the cash payment is reversed), 70.00.
    let page = office.get(&app, "/receivables").await;
    assert!(
        page.body
            .contains("href=\"/receivables/export?format=xlsx\"")
    );
    let header = ["客户", "编码", "订单数", "订单金额", "已回款", "应收"];
    let rows = xlsx_rows(&app, &office, "/receivables/export?format=xlsx").await;
    let mut got = pick(&rows, &[0, 1, 2, 3, 4, 5]);
    got.sort();
    assert_eq!(
        got,
        [
            [
                "上海回款 SH Pay",
                "C-EXP-SH",
                "1",
                "409.50",
                "100.00",
                "309.50"
            ],
            [
                "北京回款 BJ Pay",
                "C-EXP-BJ",
                "1",
                "100.00",
                "30.00",
                "70.00"
            ],
        ]
        .map(|r| r.map(String::from).to_vec())
    );
    let rows = csv_rows(&app, &rep, "/receivables/export?format=csv").await;
    assert_eq!(rows[0].len(), header.len());
    assert_eq!(
        pick(&rows, &[1, 5]),
        [["C-EXP-SH", "309.50"]].map(|r| r.map(String::from).to_vec()),
        "the rep's scope"
    );

    // Audited: who, format, filter, rows.
    let audited = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("web.payment.export".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(audited.len(), 5);
    let rep_id = app.seed.users["rep.sh"];
    let rep_entry = audited
        .iter()
        .find(|r| r.entry.user_id == Some(rep_id))
        .expect("the rep's export");
    assert_eq!(rep_entry.entry.detail["rows"], 2);
    assert_eq!(rep_entry.entry.detail["format"], "xlsx");
    let receivables = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("web.receivables.export".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(receivables.len(), 2);

    // A bad format is refused; users without PaymentsView get nothing.
    let (status, _, _) = download(&app, &office, "/payments/export?format=pdf").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    app.edit_role_permissions(fieldcrm_core::Role::Rep, |p| {
        assert!(p.remove(&Permission::PaymentsView));
    })
    .await;
    let rep = sign_in(&app, "rep.sh").await;
    for path in [
        "/payments/export",
        "/receivables/export",
        "/receivables/overdue/export?format=csv",
    ] {
        let (status, _, _) = download(&app, &rep, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
}

/// The receivable on the customer card counts only the customer's orders the user sees (the
/// order list's definition: territory and the rep under the role's data scope): a rep whose role
/// sees only their own records gets their own orders' receivable, not the other rep's order of
/// the same customer; the office (data scope all) gets the total.
async fn customer_card_receivable_follows_the_data_scope(app: TestApp) {
    let s = &app.seed;
    let customer = create_customer(
        &app,
        "两人客户 Shared Co",
        "C-SHARED",
        s.shanghai,
        s.users["rep.sh"],
    )
    .await;
    // rep.sh: 409.50, 9.50 paid → 400.00 owed; rep.bj: 100.00 owed; a draft counts for nobody.
    let own = create_order(&app, customer, "rep.sh", "submitted", TWO_LINES).await;
    create_order(
        &app,
        customer,
        "rep.bj",
        "submitted",
        &[("P-S", 2.0, 5_000, 0)],
    )
    .await;
    create_order(&app, customer, "rep.sh", "draft", &[("P-D", 1.0, 7_000, 0)]).await;
    payments::record(
        &app.db,
        &NewPayment {
            order: own,
            amount: 950,
            paid_on: "2026-03-01".into(),
            method: PaymentMethod::Cash,
            reference: String::new(),
            notes: String::new(),
            recorded_by: s.users["office"],
        },
    )
    .await
    .unwrap();
    let card = format!("/customers/{customer}");

    let office = sign_in(&app, "office").await;
    let r = office.get(&app, &card).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(text_of(&r.body, "customer-receivable"), "500.00");

    // rep.sh under a role of the rep kind with data scope self.
    let role = roles::create(
        &app.db,
        &RoleSpec {
            name: "只看自己的销售".into(),
            kind: Role::Rep,
            permissions: default_permissions(Role::Rep).iter().copied().collect(),
            data_scope: DataScope::Own,
            max_discount_bp: None,
        },
    )
    .await
    .unwrap();
    users::set_role(&app.db, s.users["rep.sh"], &role)
        .await
        .unwrap();
    let rep = sign_in(&app, "rep.sh").await;
    let r = rep.get(&app, &card).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(text_of(&r.body, "customer-receivable"), "400.00");
    // The same figure as the rep's receivables page shows for the customer.
    let r = rep.get(&app, "/receivables").await;
    assert_eq!(text_of(&r.body, "receivables-sum"), "400.00");
    // The office still sees the total.
    let r = office.get(&app, &card).await;
    assert_eq!(text_of(&r.body, "customer-receivable"), "500.00");
}

async fn overdue_orders_follow_the_shipping_date_and_the_payment_terms(app: TestApp) {
    let s = &app.seed;
    let customer = create_customer(
        &app,
        "逾期客户 Late Co",
        "C-LATE",
        s.shanghai,
        s.users["rep.sh"],
    )
    .await;
    let office = sign_in(&app, "office").await;
    // Three orders shipped 40 days ago: one without contract (30 days: 10 overdue), one under a
    // 60-day contract (not due yet), one paid in full (nothing owed).
    let mut ids = Vec::new();
    for _ in 0..3 {
        let o = create_order(
            &app,
            customer,
            "rep.sh",
            "submitted",
            &[("P-L", 1.0, 10_000, 0)],
        )
        .await;
        ok_redirect(
            &office
                .post(&app, &format!("/orders/{o}/confirm"), &[])
                .await,
            "confirm",
        );
        let line = line_ids(&app, o).await.remove(0);
        let r = office
            .post(
                &app,
                &format!("/orders/{o}/ship"),
                &[(&format!("ship_{line}"), "1")],
            )
            .await;
        ok_redirect(&r, "ship");
        ids.push(o);
    }
    let (plain, under_contract, paid) = (ids[0], ids[1], ids[2]);
    let r = office
        .post(
            &app,
            &format!("/orders/{paid}/payments"),
            &[
                ("amount", "100"),
                ("paid_on", "2026-01-10"),
                ("method", "cash"),
            ],
        )
        .await;
    ok_redirect(&r, "pay in full");
    let r = office
        .post(
            &app,
            "/contracts",
            &[
                ("number", "HT-LATE-1"),
                ("customer", "C-LATE"),
                ("title", "年度框架"),
                ("type", "framework"),
                ("status", "active"),
                ("payment_terms_days", "60"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let contract = r.location().trim_start_matches("/contracts/").to_owned();
    let r = office
        .post(
            &app,
            &format!("/contracts/{contract}/orders"),
            &[("order", &under_contract.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Nothing is overdue yet.
    let r = office.get(&app, "/receivables/overdue").await;
    assert!(r.body.contains("id=\"no-overdue\""), "{}", r.body);
    // Back-date the shipping 40 days (and a bit).
    let shipped_at = fieldcrm_server::db::now_ms() - 40 * payments::DAY_MS - 60_000;
    for o in &ids {
        let n = sqlx::query(
            "UPDATE doc_status_log SET at = $1 WHERE doc_id = $2 AND status = 'shipped'",
        )
        .bind(shipped_at)
        .bind(o.to_string())
        .execute(app.db.pool())
        .await
        .unwrap()
        .rows_affected();
        assert_eq!(n, 1);
    }
    let scope = fieldcrm_server::db::territories::ScopeTerritories::All;
    let now = fieldcrm_server::db::now_ms();
    let rows = payments::overdue(&app.db, &scope, None, now).await.unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].order_id, plain);
    assert_eq!((rows[0].terms_days, rows[0].days_overdue), (30, 10));
    assert_eq!(rows[0].receivable(), 10_000);
    assert_eq!(rows[0].due_at, shipped_at + 30 * payments::DAY_MS);
    let r = office.get(&app, "/receivables/overdue").await;
    assert!(r.body.contains(&format!("data-order=\"{plain}\"")));
    assert!(!r.body.contains(&format!("data-order=\"{under_contract}\"")));
    assert_eq!(text_of(&r.body, "overdue-sum"), "100.00");
    assert!(r.body.contains("<td class=\"num days-overdue\">10</td>"));
    // Completing keeps it overdue; shorter contract terms make the other one overdue too.
    ok_redirect(
        &office
            .post(&app, &format!("/orders/{plain}/complete"), &[])
            .await,
        "complete",
    );
    let r = office
        .post(
            &app,
            &format!("/contracts/{contract}"),
            &[
                ("number", "HT-LATE-1"),
                ("customer", "C-LATE"),
                ("title", "年度框架"),
                ("type", "framework"),
                ("status", "active"),
                ("payment_terms_days", "15"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let rows = payments::overdue(&app.db, &scope, None, now).await.unwrap();
    let got: Vec<(DocId, i64, i64, Option<String>)> = rows
        .iter()
        .map(|r| {
            (
                r.order_id,
                r.terms_days,
                r.days_overdue,
                r.contract_number.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (under_contract, 15, 25, Some("HT-LATE-1".to_owned())),
            (plain, 30, 10, None)
        ]
    );
    // A rep of another territory sees none of it.
    let bj = sign_in(&app, "rep.bj").await;
    let r = bj.get(&app, "/receivables/overdue").await;
    assert!(r.body.contains("id=\"no-overdue\""));
    let r = bj.get(&app, "/receivables").await;
    assert!(r.body.contains("id=\"no-receivables\""));
    // The overdue export: both orders, as the page lists them; the rep of Shanghai gets them
    // too, the rep of Beijing a header only.
    let r = office.get(&app, "/receivables/overdue").await;
    assert!(
        r.body
            .contains("href=\"/receivables/overdue/export?format=csv\"")
    );
    let rows = xlsx_rows(&app, &office, "/receivables/overdue/export?format=xlsx").await;
    assert_eq!(
        rows[0],
        [
            "订单号",
            "状态",
            "客户",
            "编码",
            "发货日期",
            "账期（天）",
            "合同",
            "到期日",
            "逾期天数",
            "应收"
        ]
        .map(String::from)
    );
    assert_eq!(
        pick(&rows, &[2, 3, 5, 6, 8, 9]),
        [
            [
                "逾期客户 Late Co",
                "C-LATE",
                "15",
                "HT-LATE-1",
                "25",
                "100.00"
            ],
            ["逾期客户 Late Co", "C-LATE", "30", "", "10", "100.00"],
        ]
        .map(|r| r.map(String::from).to_vec())
    );
    assert_eq!(rows[2][1], "已完成");
    let sh = sign_in(&app, "rep.sh").await;
    let rows = csv_rows(&app, &sh, "/receivables/overdue/export?format=csv").await;
    assert_eq!(rows.len(), 3);
    let rows = csv_rows(&app, &bj, "/receivables/overdue/export?format=csv").await;
    assert_eq!(rows.len(), 1, "only the header: {rows:?}");
    let rows = xlsx_rows(&app, &bj, "/receivables/export").await;
    assert_eq!(rows.len(), 1, "only the header: {rows:?}");
}

backend_tests!(
    payments_bring_the_receivable_to_zero_and_overpayment_is_refused,
    payment_lists_export_escaped_in_the_users_scope,
    overdue_orders_follow_the_shipping_date_and_the_payment_terms,
    customer_card_receivable_follows_the_data_scope,
);

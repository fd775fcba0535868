//! Contracts in the back office: create (customer by code or id), validation, unique numbers,
//! queries by date range, customer, type and status, editing, linking orders of the same
//! customer (one contract per order), renewals due, scope, and files (uploaded through the
//! server into the attachment store, checked by content, downloaded, removed).
//! Runs on SQLite and PostgreSQL.

use chrono::{Duration, Local};
use fieldcrm_core::DocId;
use fieldcrm_core::attachment::Sha256Hex;
use fieldcrm_server::attachments::BlobStore;
use fieldcrm_server::db::audit::{self, AuditFilter};
use hyper::{Method, StatusCode};

use crate::backend_tests;
use crate::helpers::TestApp;
use crate::orders_office::{TWO_LINES, create_customer, create_order, esc, raw};
use crate::web::{Browser, sign_in};

fn day(offset: i64) -> String {
    (Local::now().date_naive() + Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

/// Posts the contract form; returns the new contract's id (asserting a redirect).
async fn create(app: &TestApp, b: &Browser, fields: &[(&str, &str)]) -> String {
    let r = b.post(app, "/contracts", fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location().trim_start_matches("/contracts/").to_owned()
}

fn rows_of(body: &str, ids: &[&str]) -> Vec<bool> {
    ids.iter()
        .map(|id| body.contains(&format!("data-contract=\"{id}\"")))
        .collect()
}

async fn contracts_are_created_queried_edited_and_linked(app: TestApp) {
    let s = &app.seed;
    let rep_sh = s.users["rep.sh"];
    let sh1 = create_customer(&app, "合同客户一", "C-K-1", s.shanghai, rep_sh).await;
    let sh2 = create_customer(&app, "合同客户二", "C-K-2", s.shanghai, rep_sh).await;
    create_customer(&app, "北京合同客户", "C-K-BJ", s.beijing, s.users["rep.bj"]).await;
    create_customer(&app, "重复编码甲", "DUP", s.shanghai, rep_sh).await;
    create_customer(&app, "重复编码乙", "DUP", s.shanghai, rep_sh).await;
    let office = sign_in(&app, "office").await;
    let in_10 = day(10);
    let a = create(
        &app,
        &office,
        &[
            ("number", "HT-2026-001"),
            ("customer", "C-K-1"),
            ("title", "销售合同 <script>x</script>"),
            ("type", "sales"),
            ("status", "active"),
            ("signed_on", "2026-01-10"),
            ("start_on", "2026-01-15"),
            ("end_on", &in_10),
            ("amount", "120,000.50"),
            ("payment_terms_days", "45"),
            ("terms", "月结 45 天"),
        ],
    )
    .await;
    let row: (String, i64, i64, String) = sqlx::query_as(
        "SELECT customer_id, amount, payment_terms_days, contract_type FROM contracts WHERE id = $1",
    )
    .bind(&a)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(row, (sh1.to_string(), 12_000_050, 45, "sales".to_owned()));

    // Refused forms: 422 with the reasons, nothing stored.
    for (fields, message) in [
        (
            vec![
                ("number", "HT-2026-001"),
                ("customer", "C-K-1"),
                ("title", "x"),
            ],
            "合同编号已存在",
        ),
        (
            vec![
                ("number", "HT-X"),
                ("customer", "C-K-1"),
                ("title", "x"),
                ("start_on", "2026-05-01"),
                ("end_on", "2026-04-01"),
            ],
            "结束日期早于开始日期",
        ),
        (
            vec![
                ("number", "HT-X"),
                ("customer", "C-K-1"),
                ("title", "x"),
                ("signed_on", "2026-13-01"),
            ],
            "日期无效",
        ),
        (
            vec![("number", "HT-X"), ("customer", "NOPE"), ("title", "x")],
            "找不到该客户",
        ),
        (
            vec![
                ("number", "HT-X"),
                ("customer", "C-K-BJ-NOT"),
                ("title", ""),
            ],
            "请填写标题",
        ),
        (
            vec![("number", "HT-X"), ("customer", "DUP"), ("title", "x")],
            "多个客户使用此编码",
        ),
        (
            vec![
                ("number", "HT-X"),
                ("customer", "C-K-1"),
                ("title", "x"),
                ("payment_terms_days", "5000"),
            ],
            "账期须为 0–3650 天",
        ),
        (
            vec![
                ("number", "HT-X"),
                ("customer", "C-K-1"),
                ("title", "x"),
                ("amount", "-3"),
            ],
            "金额无效",
        ),
        (
            vec![("number", ""), ("customer", "C-K-1"), ("title", "x")],
            "请填写合同编号",
        ),
    ] {
        let mut f = fields.clone();
        f.extend([("type", "sales"), ("status", "draft")]);
        let r = office.post(&app, "/contracts", &f).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(r.body.contains(message), "{message}");
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contracts")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 1);

    // The customer may also be named by id.
    let b = create(
        &app,
        &office,
        &[
            ("number", "HT-2026-002"),
            ("customer", &sh2.to_string()),
            ("title", "服务合同"),
            ("type", "service"),
            ("status", "draft"),
            ("signed_on", "2025-06-01"),
            ("end_on", &in_10),
        ],
    )
    .await;
    let in_45 = day(45);
    let c = create(
        &app,
        &office,
        &[
            ("number", "HT-2026-003"),
            ("customer", "C-K-BJ"),
            ("title", "框架协议"),
            ("type", "framework"),
            ("status", "active"),
            ("signed_on", "2026-02-01"),
            ("end_on", &in_45),
        ],
    )
    .await;
    let in_5 = day(5);
    let d = create(
        &app,
        &office,
        &[
            ("number", "HT-2026-004"),
            ("customer", "C-K-1"),
            ("title", "旧合同"),
            ("type", "other"),
            ("status", "expired"),
            ("end_on", &in_5),
        ],
    )
    .await;
    let all = [a.as_str(), b.as_str(), c.as_str(), d.as_str()];
    let in_20 = day(20);
    for (query, expected) in [
        (String::new(), [true, true, true, true]),
        ("type=service".into(), [false, true, false, false]),
        ("status=active".into(), [true, false, true, false]),
        (
            "date=signed&from=2026-01-01&to=2026-01-31".into(),
            [true, false, false, false],
        ),
        (format!("date=end&to={in_20}"), [true, true, false, true]),
        ("customer=c-k-bj".into(), [false, false, true, false]),
        (
            "customer=%E5%90%88%E5%90%8C%E5%AE%A2%E6%88%B7%E4%BA%8C".into(),
            [false, true, false, false],
        ),
        ("q=002".into(), [false, true, false, false]),
        ("q=%E6%A1%86%E6%9E%B6".into(), [false, false, true, false]),
    ] {
        let r = office.get(&app, &format!("/contracts?{query}")).await;
        assert_eq!(r.status, StatusCode::OK, "{query}");
        assert_eq!(rows_of(&r.body, &all), expected, "{query}");
    }
    assert_eq!(
        office.get(&app, "/contracts?type=nope").await.status,
        StatusCode::BAD_REQUEST
    );

    // Renewals due: active contracts ending within 30 days (default), or N days.
    let r = office.get(&app, "/contracts/renewals").await;
    assert_eq!(rows_of(&r.body, &all), [true, false, false, false]);
    assert!(r.body.contains("<td class=\"num days-left\">10</td>"));
    let r = office.get(&app, "/contracts/renewals?days=60").await;
    assert_eq!(rows_of(&r.body, &all), [true, false, true, false]);

    // The card escapes what users typed.
    let card = office.get(&app, &format!("/contracts/{a}")).await;
    assert_eq!(card.status, StatusCode::OK);
    assert!(card.body.contains(&esc("销售合同 <script>x</script>")));
    assert!(!card.body.contains("<script>x</script>"));
    assert!(card.body.contains("120,000.50") && card.body.contains("月结 45 天"));

    // Edit.
    let r = office
        .post(
            &app,
            &format!("/contracts/{a}"),
            &[
                ("number", "HT-2026-001"),
                ("customer", "C-K-1"),
                ("title", "销售合同（修订）"),
                ("type", "sales"),
                ("status", "terminated"),
                ("end_on", &in_10),
                ("payment_terms_days", "30"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = office.get(&app, "/contracts/renewals").await;
    assert!(
        r.body.contains("id=\"no-renewals\""),
        "a terminated contract needs no renewal"
    );
    let r = office
        .post(
            &app,
            &format!("/contracts/{b}"),
            &[
                ("number", "HT-2026-001"),
                ("customer", "C-K-2"),
                ("title", "x"),
                ("type", "sales"),
                ("status", "draft"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a taken number");

    // Linking orders: only the contract customer's, one contract per order.
    let o1 = create_order(&app, sh1, "rep.sh", "submitted", TWO_LINES).await;
    let o2 = create_order(&app, sh1, "rep.sh", "submitted", TWO_LINES).await;
    let o3 = create_order(&app, sh2, "rep.sh", "submitted", TWO_LINES).await;
    let card = office.get(&app, &format!("/contracts/{a}")).await;
    let options = |body: &str, o: DocId| body.contains(&format!("<option value=\"{o}\""));
    assert!(options(&card.body, o1) && options(&card.body, o2) && !options(&card.body, o3));
    let link = |contract: String, order: DocId| {
        let office = &office;
        let app = &app;
        async move {
            office
                .post(
                    app,
                    &format!("/contracts/{contract}/orders"),
                    &[("order", &order.to_string())],
                )
                .await
        }
    };
    let r = link(a.clone(), o1).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let card = office.get(&app, &format!("/contracts/{a}")).await;
    assert!(card.body.contains(&format!("data-order=\"{o1}\"")));
    assert!(
        !options(&card.body, o1),
        "a linked order is no longer offered"
    );
    let r = link(a.clone(), o3).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("订单不存在或不属于该客户"));
    let r = link(d.clone(), o1).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("该订单已关联合同 HT-2026-001"));
    let r = link(a.clone(), DocId::new()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The order card names its contract.
    let r = office.get(&app, &format!("/orders/{o1}")).await;
    assert!(r.body.contains(&format!(
        "href=\"/contracts/{a}\" id=\"order-contract\">HT-2026-001<"
    )));
    // Unlink, then link elsewhere.
    let r = office
        .post(&app, &format!("/contracts/{a}/orders/{o1}/unlink"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(link(d.clone(), o1).await.status, StatusCode::SEE_OTHER);
    let linked: Vec<String> =
        sqlx::query_scalar("SELECT contract_id FROM contract_orders WHERE order_id = $1")
            .bind(o1.to_string())
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(linked, std::slice::from_ref(&d));

    // Scope: a Shanghai rep sees Shanghai customers' contracts only, and may not edit.
    let rep = sign_in(&app, "rep.sh").await;
    let r = rep.get(&app, "/contracts").await;
    assert_eq!(rows_of(&r.body, &all), [true, true, false, true]);
    assert_eq!(
        rep.get(&app, &format!("/contracts/{c}")).await.status,
        StatusCode::NOT_FOUND
    );
    let r = rep
        .post(
            &app,
            "/contracts",
            &[
                ("number", "HT-R"),
                ("customer", "C-K-1"),
                ("title", "x"),
                ("type", "sales"),
                ("status", "draft"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        rep.get(&app, "/contracts/new").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        rep.post(&app, &format!("/contracts/{a}/orders/{o2}/unlink"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let bj_rep = sign_in(&app, "rep.bj").await;
    let r = bj_rep.get(&app, "/contracts/renewals?days=60").await;
    assert_eq!(rows_of(&r.body, &all), [false, false, true, false]);

    // Every change is audited.
    for (action, n) in [
        ("web.contract.create", 4),
        ("web.contract.update", 1),
        ("web.contract.link", 2),
        ("web.contract.unlink", 1),
    ] {
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
    }
}

/// A multipart body with one file field.
fn multipart(boundary: &str, file_name: &str, content_type: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

async fn upload(
    app: &TestApp,
    b: &Browser,
    contract: &str,
    file_name: &str,
    content_type: &str,
    bytes: &[u8],
) -> (StatusCode, hyper::HeaderMap, String) {
    let boundary = "----fieldcrm-test-boundary";
    let ct = format!("multipart/form-data; boundary={boundary}");
    let (status, headers, body) = raw(
        app,
        b,
        Method::POST,
        &format!("/contracts/{contract}/files"),
        &[
            ("content-type", &ct),
            ("x-csrf-token", &b.csrf),
            ("hx-request", "true"),
        ],
        multipart(boundary, file_name, content_type, bytes),
    )
    .await;
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

async fn contract_files_are_checked_stored_downloaded_and_removed(app: TestApp) {
    let s = &app.seed;
    create_customer(&app, "附件客户", "C-F-1", s.shanghai, s.users["rep.sh"]).await;
    let office = sign_in(&app, "office").await;
    let k = create(
        &app,
        &office,
        &[
            ("number", "HT-F-1"),
            ("customer", "C-F-1"),
            ("title", "带附件的合同"),
            ("type", "sales"),
            ("status", "active"),
        ],
    )
    .await;
    let pdf = "%PDF-1.4\n% 合同扫描件\n1 0 obj <<>> endobj\n%%EOF\n".as_bytes();
    let sha = Sha256Hex::of(pdf);
    let (status, headers, body) =
        upload(&app, &office, &k, "合同 扫描.pdf", "application/pdf", pdf).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["hx-redirect"], format!("/contracts/{k}").as_str());
    let stored: (String, i64) =
        sqlx::query_as("SELECT content_type, size FROM attachments WHERE sha256 = $1")
            .bind(sha.as_str())
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(stored, ("application/pdf".to_owned(), pdf.len() as i64));
    let store = BlobStore::new(&app.state.settings.data_dir);
    assert_eq!(store.read(&sha).await.unwrap().unwrap(), pdf);
    let card = office.get(&app, &format!("/contracts/{k}")).await;
    assert!(card.body.contains("合同 扫描.pdf") && card.body.contains(sha.as_str()));

    // Download: the bytes, as an attachment with the name, never sniffed.
    let path = format!("/contracts/{k}/files/{sha}");
    let (status, headers, bytes) = raw(&app, &office, Method::GET, &path, &[], Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, pdf);
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''%E5%90%88%E5%90%8C%20%E6%89%AB%E6%8F%8F.pdf"));

    // Checked by content: an executable called .pdf, a PDF declared as PNG, nothing at all.
    let (status, _, body) = upload(
        &app,
        &office,
        &k,
        "x.pdf",
        "application/pdf",
        b"MZ\x90\x00rest",
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        body.contains("只接受 PDF、JPEG、PNG 或 WebP 文件"),
        "{body}"
    );
    let (status, _, _) = upload(&app, &office, &k, "y.png", "image/png", pdf).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, _, body) = upload(&app, &office, &k, "z.pdf", "application/pdf", b"").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR fake";
    let (status, _, _) = upload(
        &app,
        &office,
        &k,
        "<img src=x onerror=alert(1)>盖章页.png",
        "image/png",
        png,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let card = office.get(&app, &format!("/contracts/{k}")).await;
    assert!(
        card.body
            .contains(&esc("<img src=x onerror=alert(1)>盖章页.png"))
    );
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM contract_attachments WHERE contract_id = $1")
            .bind(&k)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(n, 2);

    // Without the CSRF token: 403.
    let boundary = "b0undary";
    let (status, _, _) = raw(
        &app,
        &office,
        Method::POST,
        &format!("/contracts/{k}/files"),
        &[(
            "content-type",
            &format!("multipart/form-data; boundary={boundary}"),
        )],
        multipart(boundary, "a.pdf", "application/pdf", pdf),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A Shanghai rep may read but not upload; a Beijing rep sees nothing.
    let rep = sign_in(&app, "rep.sh").await;
    let (status, _, _) = upload(&app, &rep, &k, "r.pdf", "application/pdf", pdf).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, bytes) = raw(&app, &rep, Method::GET, &path, &[], Vec::new()).await;
    assert_eq!((status, bytes.as_slice()), (StatusCode::OK, pdf));
    let bj = sign_in(&app, "rep.bj").await;
    let (status, _, _) = raw(&app, &bj, Method::GET, &path, &[], Vec::new()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A contract PDF is not a visit photo.
    let (status, _, _) = raw(
        &app,
        &office,
        Method::GET,
        &format!("/attachments/{sha}"),
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Removal detaches it.
    let r = office
        .post(&app, &format!("/contracts/{k}/files/{sha}/delete"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let (status, _, _) = raw(&app, &office, Method::GET, &path, &[], Vec::new()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for (action, n) in [
        ("web.contract.file_add", 2),
        ("web.contract.file_remove", 1),
    ] {
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
    }
}

backend_tests!(
    contracts_are_created_queried_edited_and_linked,
    contract_files_are_checked_stored_downloaded_and_removed,
);

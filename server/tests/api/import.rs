//! Customer import through the back office, on SQLite and PostgreSQL: `.xlsx` and `.csv`
//! (UTF-8, UTF-8 with BOM, GBK) uploads, mapping suggestions, dedupe by code (update vs skip),
//! dry runs that write nothing, rejected rows in the error report (`.xlsx` and `.csv`, formulas
//! neutralised), hostile strings stored as text and rendered inert, garbage uploads refused,
//! permissions, imported customers reaching devices, and runs interrupted by a restart.

use std::time::Duration;

use calamine::{Data, Reader};
use fieldcrm_core::DocId;
use fieldcrm_core::document::Kind;
use fieldcrm_server::db::audit::{self, AuditFilter};
use fieldcrm_server::db::documents;
use fieldcrm_server::db::imports::{self, JobId, JobStatus};
use fieldcrm_server::db::territories::ScopeTerritories;
use fieldcrm_server::startup::Application;
use fieldcrm_server::sync::write;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::HeaderMap;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::TestApp;
use crate::web::{Browser, sign_in};

/// An answer with its raw body.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

pub(crate) async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    cookies: &str,
    headers: &[(&str, &str)],
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Answer {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("host", format!("127.0.0.1:{}", app.port));
    if !cookies.is_empty() {
        b = b.header("cookie", cookies);
    }
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let response = sender
        .send_request(b.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: body.to_vec(),
    }
}

/// Posts an upload body; `None` when the connection broke before an answer was read.
async fn try_post(app: &TestApp, b: &Browser, body: Vec<u8>) -> Option<(StatusCode, String)> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .ok()?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(conn);
    let request = Request::builder()
        .method(Method::POST)
        .uri("/import/upload")
        .header("host", format!("127.0.0.1:{}", app.port))
        .header("cookie", &b.cookies)
        .header("x-csrf-token", &b.csrf)
        .header("hx-request", "true")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Full::new(Bytes::from(body)))
        .ok()?;
    let response = sender.send_request(request).await.ok()?;
    let status = response.status();
    let body = response.into_body().collect().await.ok()?.to_bytes();
    Some((status, String::from_utf8_lossy(&body).into_owned()))
}

const BOUNDARY: &str = "----fieldcrm-import-test-boundary";

/// A multipart body with one `file` field.
pub fn multipart(file_name: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Uploads a file as htmx does (CSRF header).
pub async fn upload(app: &TestApp, b: &Browser, file_name: &str, bytes: &[u8]) -> Answer {
    raw(
        app,
        Method::POST,
        "/import/upload",
        &b.cookies,
        &[("x-csrf-token", &b.csrf), ("hx-request", "true")],
        Some(&format!("multipart/form-data; boundary={BOUNDARY}")),
        multipart(file_name, bytes),
    )
    .await
}

/// Uploads and returns the new job's id.
pub async fn upload_ok(app: &TestApp, b: &Browser, file_name: &str, bytes: &[u8]) -> JobId {
    let r = upload(app, b, file_name, bytes).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let to = r.header("hx-redirect");
    JobId::parse(to.strip_prefix("/import/").unwrap()).unwrap()
}

pub(crate) async fn get(app: &TestApp, b: &Browser, path: &str) -> Answer {
    raw(app, Method::GET, path, &b.cookies, &[], None, Vec::new()).await
}

pub(crate) async fn post_form(
    app: &TestApp,
    b: &Browser,
    path: &str,
    form: &[(String, String)],
) -> Answer {
    let body = serde_urlencoded::to_string(form).unwrap().into_bytes();
    raw(
        app,
        Method::POST,
        path,
        &b.cookies,
        &[("x-csrf-token", &b.csrf), ("hx-request", "true")],
        Some("application/x-www-form-urlencoded"),
        body,
    )
    .await
}

/// The mapping form as the page would post it: the stored (suggested) targets, with overrides.
pub async fn mapping_form(
    app: &TestApp,
    job: JobId,
    match_by: &str,
    on_match: &str,
    territory: &str,
) -> Vec<(String, String)> {
    let j = imports::get(&app.db, job).await.unwrap().unwrap();
    let settings: Value = serde_json::from_str(&j.settings).unwrap();
    let mut form: Vec<(String, String)> = settings["columns"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("col_{i}"), t.as_str().unwrap().to_owned()))
        .collect();
    form.push(("match_by".into(), match_by.into()));
    form.push(("on_match".into(), on_match.into()));
    form.push(("territory".into(), territory.into()));
    form
}

/// Starts a run (`run` or `dry-run`) and waits until it finishes; returns the job.
pub async fn run_to_end(
    app: &TestApp,
    b: &Browser,
    job: JobId,
    what: &str,
    form: &[(String, String)],
) -> imports::Job {
    let r = post_form(app, b, &format!("/import/{job}/{what}"), form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("import-status"), "{}", r.text());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let s = get(app, b, &format!("/import/{job}/status")).await;
        assert_eq!(s.status, StatusCode::OK);
        let j = imports::get(&app.db, job).await.unwrap().unwrap();
        if j.status != JobStatus::Running {
            return j;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "import did not finish"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An `.xlsx` with a title row above the header (as templates often have).
pub fn xlsx(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .write_string(0, 0, "客户导入 Customer import")
        .unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (u32::try_from(r + 1).unwrap(), u16::try_from(c).unwrap());
            // Numbers go in as numbers, the way Excel stores a typed phone number.
            match v.parse::<f64>() {
                Ok(n) if !v.starts_with(['+', '-', '0']) && r > 1 => {
                    sheet.write_number(r, c, n).unwrap();
                }
                _ => {
                    sheet.write_string(r, c, *v).unwrap();
                }
            }
        }
    }
    book.save_to_buffer().unwrap()
}

async fn customer(app: &TestApp, code: &str) -> Value {
    let id = documents::find_customer(&app.db, code)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no customer {code}"));
    write::load_record(&app.db, id).await.unwrap()
}

async fn xlsx_import_with_suggested_mapping_reaches_devices(app: TestApp) {
    let b = sign_in(&app, "office").await;
    let file = xlsx(&[
        vec![
            "客户编码",
            "客户名称",
            "手机",
            "E-mail",
            "区域",
            "联系人",
            "职务",
            "联系人电话",
        ],
        vec![
            "X-1",
            "华联超市",
            "13800138000",
            "a@hualian.cn",
            "上海",
            "张三",
            "采购经理",
            "13900139000",
        ],
        vec!["X-2", "西湖茶庄", "0571-8888 1234", "", "杭州", "", "", ""],
        vec!["X-1", "华联超市", "", "", "", "李四", "财务", ""],
    ]);
    let job = upload_ok(&app, &b, "客户.xlsx", &file).await;
    let j = imports::get(&app.db, job).await.unwrap().unwrap();
    assert_eq!(
        (j.file_kind.as_str(), j.header_row, j.total_rows),
        ("xlsx", 2, 3)
    );
    // Suggested from the Chinese and English headers.
    let settings: Value = serde_json::from_str(&j.settings).unwrap();
    assert_eq!(
        settings["columns"],
        json!([
            "code",
            "name",
            "phones",
            "email",
            "territory",
            "contact_name",
            "contact_title",
            "contact_phone"
        ])
    );
    assert_eq!(settings["match_by"], "code");
    let page = get(&app, &b, &format!("/import/{job}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text()
            .contains("<option value=\"contact_title\" selected>")
    );

    // The preview shows the rows as they would be imported.
    let form = mapping_form(&app, job, "code", "update", "").await;
    let p = post_form(&app, &b, &format!("/import/{job}/preview"), &form).await;
    assert_eq!(p.status, StatusCode::OK);
    let html = p.text();
    assert!(
        html.contains("preview-table") && html.contains("华联超市"),
        "{html}"
    );
    assert_eq!(html.matches("class=\"row-create\"").count(), 2, "{html}");
    assert_eq!(html.matches("class=\"row-update\"").count(), 1, "{html}");

    let before = documents::current_seq(&app.db).await.unwrap();
    let j = run_to_end(&app, &b, job, "run", &form).await;
    assert_eq!(j.status, JobStatus::Done, "{}", j.error);
    assert_eq!(
        (
            j.counts.done,
            j.counts.created,
            j.counts.updated,
            j.counts.rejected
        ),
        (3, 2, 1, 0)
    );
    let c = customer(&app, "X-1").await;
    assert_eq!(c["name"], "华联超市");
    assert_eq!(
        c["phones"],
        json!(["13800138000"]),
        "numeric cells read as typed"
    );
    assert_eq!(c["territory"], app.seed.shanghai.to_string());
    let contacts: Vec<&str> = c["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(contacts, vec!["张三", "李四"], "one contact per row");
    assert_eq!(c["contacts"][0]["title"], "采购经理");
    assert_eq!(c["contacts"][0]["phones"], json!(["13900139000"]));
    assert_eq!(
        customer(&app, "X-2").await["phones"],
        json!(["0571-8888 1234"])
    );

    // They are documents: Shanghai's rep receives X-1 (only) on the sync path.
    let hi = documents::current_seq(&app.db).await.unwrap();
    assert!(hi > before);
    let sh = ScopeTerritories::Some(vec![app.seed.shanghai]);
    let changed = documents::changed_since(
        &app.db,
        &sh,
        fieldcrm_core::UserId::new(),
        before,
        hi,
        None,
        100,
    )
    .await
    .unwrap();
    let x1 = documents::find_customer(&app.db, "X-1")
        .await
        .unwrap()
        .unwrap();
    let ids: Vec<DocId> = changed.iter().map(|d| d.id).collect();
    assert_eq!(ids, vec![x1]);
    assert_eq!(changed[0].kind, Kind::Customer);

    // Audited with who, file and counts; the file is gone, the job final.
    let entries = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("import.run".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(entries.len(), 1);
    let e = &entries[0].entry;
    assert_eq!(e.user_id, Some(app.seed.users["office"]));
    assert_eq!(e.detail["file"], "客户.xlsx");
    assert_eq!(
        (e.detail["created"].as_i64(), e.detail["updated"].as_i64()),
        (Some(2), Some(1))
    );
    assert!(imports::file_data(&app.db, job).await.unwrap().is_empty());
    let again = post_form(&app, &b, &format!("/import/{job}/run"), &form).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let list = get(&app, &b, "/import").await;
    assert!(list.text().contains("客户.xlsx"));
}

async fn csv_in_utf8_bom_and_gbk(app: TestApp) {
    let b = sign_in(&app, "office").await;
    let text =
        "名称,电话,区域,备注\n上海华联,021-5555 1234,上海,老客户\n北京同仁堂,010-6666 1234,北京,\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    assert!(std::str::from_utf8(&gbk).is_err(), "really GBK");
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(
        text.replace("上海华联", "杭州华联")
            .replace("北京同仁堂", "北京全聚德")
            .as_bytes(),
    );
    for (name, bytes, encoding) in [
        ("gbk.csv", gbk.to_vec(), "GB18030"),
        ("bom.csv", bom, "UTF-8 BOM"),
    ] {
        let job = upload_ok(&app, &b, name, &bytes).await;
        let j = imports::get(&app.db, job).await.unwrap().unwrap();
        assert_eq!(
            (j.file_kind.as_str(), j.encoding.as_str()),
            ("csv", encoding)
        );
        let form = mapping_form(&app, job, "name", "skip", "").await;
        let j = run_to_end(&app, &b, job, "run", &form).await;
        assert_eq!(
            (j.status, j.counts.created),
            (JobStatus::Done, 2),
            "{}",
            j.error
        );
    }
    let names: Vec<String> = {
        let mut v = Vec::new();
        for code in ["上海华联", "北京同仁堂", "杭州华联", "北京全聚德"] {
            let id = imports::customers_by(&app.db, imports::KeyColumn::Name, &[code.to_owned()])
                .await
                .unwrap();
            assert_eq!(id.len(), 1, "{code}");
            let r = write::load_record(&app.db, id[0].id).await.unwrap();
            v.push(r["name"].as_str().unwrap().to_owned());
        }
        v
    };
    assert_eq!(
        names,
        vec!["上海华联", "北京同仁堂", "杭州华联", "北京全聚德"]
    );
}

async fn dedupe_by_code_skip_then_update(app: TestApp) {
    let b = sign_in(&app, "office").await;
    let existing = DocId::new();
    write::server_create(
        &app.db,
        &app.state.hub,
        Kind::Customer,
        existing,
        &json!({"name": "老名字", "code": "D-1", "phones": ["021-1111 2222"], "tier": "B",
                "territory": app.seed.shanghai.to_string()}),
        None,
    )
    .await
    .unwrap();
    let file = "编码,名称,电话,等级,区域\nD-1,新名字,13800000001,A,上海\nD-2,第二家,13800000002,C,上海\nD-2,第二家重复,13800000003,A,上海\n";
    // Skip: the existing customer and the in-file duplicate are left alone.
    let job = upload_ok(&app, &b, "a.csv", file.as_bytes()).await;
    let form = mapping_form(&app, job, "code", "skip", "").await;
    let j = run_to_end(&app, &b, job, "run", &form).await;
    assert_eq!(
        (
            j.counts.created,
            j.counts.updated,
            j.counts.skipped,
            j.counts.rejected
        ),
        (1, 0, 2, 0)
    );
    let d1 = customer(&app, "D-1").await;
    assert_eq!(
        (d1["name"].as_str(), d1["tier"].as_str()),
        (Some("老名字"), Some("B"))
    );
    assert_eq!(customer(&app, "D-2").await["name"], "第二家");

    // Update: non-empty cells replace, phones merge; the in-file duplicate updates D-2.
    let job = upload_ok(&app, &b, "b.csv", file.as_bytes()).await;
    let form = mapping_form(&app, job, "code", "update", "").await;
    let j = run_to_end(&app, &b, job, "run", &form).await;
    assert_eq!(
        (
            j.counts.created,
            j.counts.updated,
            j.counts.skipped,
            j.counts.rejected
        ),
        (0, 3, 0, 0)
    );
    let d1 = customer(&app, "D-1").await;
    assert_eq!(
        (d1["name"].as_str(), d1["tier"].as_str()),
        (Some("新名字"), Some("A"))
    );
    assert_eq!(d1["phones"], json!(["021-1111 2222", "13800000001"]));
    let d2 = customer(&app, "D-2").await;
    assert_eq!(d2["name"], "第二家重复", "rows apply in file order");
    assert_eq!(d2["phones"], json!(["13800000002", "13800000003"]));
    let found = imports::customers_by(&app.db, imports::KeyColumn::Code, &["D-2".into()])
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "no duplicate customer");
    // The update is in the card's history, attributed to the office user.
    let records = audit::list(
        &app.db,
        &AuditFilter {
            doc_id: Some(existing.to_string()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert!(
        records.iter().any(|r| r.entry.action == "import.update"
            && r.entry.user_id == Some(app.seed.users["office"]))
    );
}

async fn dry_run_counts_and_writes_nothing(app: TestApp) {
    let b = sign_in(&app, "office").await;
    let file = "名称,电话,区域\n甲,13800000001,上海\n乙,not-a-phone,上海\n丙,13800000003,\n";
    let job = upload_ok(&app, &b, "dry.csv", file.as_bytes()).await;
    let seq = documents::current_seq(&app.db).await.unwrap();
    let count = documents::count(&app.db, Kind::Customer).await.unwrap();
    let form = mapping_form(&app, job, "name", "skip", &app.seed.beijing.to_string()).await;
    let j = run_to_end(&app, &b, job, "dry-run", &form).await;
    assert_eq!(j.status, JobStatus::Checked, "{}", j.error);
    assert!(j.dry_run);
    assert_eq!((j.counts.created, j.counts.rejected), (2, 1));
    assert_eq!(documents::current_seq(&app.db).await.unwrap(), seq);
    assert_eq!(
        documents::count(&app.db, Kind::Customer).await.unwrap(),
        count
    );
    let status = get(&app, &b, &format!("/import/{job}/status")).await.text();
    assert!(status.contains("errors.xlsx"), "{status}");
    // Then the real run does what the dry run said (丙 takes the default territory).
    let j = run_to_end(&app, &b, job, "run", &form).await;
    assert_eq!(
        (j.status, j.counts.created, j.counts.rejected),
        (JobStatus::Done, 2, 1)
    );
    let c = imports::customers_by(&app.db, imports::KeyColumn::Name, &["丙".into()])
        .await
        .unwrap();
    assert_eq!(c[0].territory, Some(app.seed.beijing));
}

async fn dry_run_and_run_agree_across_batches(app: TestApp) {
    // More rows than one batch; the last repeats the first (in another batch) with a contact.
    let b = sign_in(&app, "office").await;
    let mut file = String::from("编码,名称,区域,联系人\n");
    for i in 0..650 {
        file.push_str(&format!("M-{i},批量客户{i},上海,\n"));
    }
    file.push_str("M-0,批量客户0,上海,钱七\n");
    let job = upload_ok(&app, &b, "many.csv", file.as_bytes()).await;
    let form = mapping_form(&app, job, "code", "update", "").await;
    let dry = run_to_end(&app, &b, job, "dry-run", &form).await;
    let real = run_to_end(&app, &b, job, "run", &form).await;
    for j in [&dry, &real] {
        assert_eq!(
            (
                j.counts.done,
                j.counts.created,
                j.counts.updated,
                j.counts.rejected
            ),
            (651, 650, 1, 0),
            "{}",
            j.error
        );
    }
    assert_eq!(customer(&app, "M-0").await["contacts"][0]["name"], "钱七");
    assert_eq!(
        documents::count(&app.db, Kind::Customer).await.unwrap(),
        650
    );
}

async fn bad_rows_are_rejected_into_the_error_report(app: TestApp) {
    // The East manager may import into 上海/杭州 only.
    let b = sign_in(&app, "manager.east").await;
    let file = xlsx(&[
        vec!["名称", "邮箱", "区域", "备注"],
        vec!["好客户", "ok@example.cn", "上海", ""],
        vec!["坏邮箱", "not-an-email", "上海", "=cmd|' /C calc'!A0"],
        vec!["", "x@example.cn", "杭州", ""],
        vec!["北京客户", "", "北京", ""],
        vec!["也是好客户", "", "杭州", ""],
    ]);
    let job = upload_ok(&app, &b, "mixed.xlsx", &file).await;
    let form = mapping_form(&app, job, "none", "skip", "").await;
    let j = run_to_end(&app, &b, job, "run", &form).await;
    assert_eq!(
        (j.status, j.counts.created, j.counts.rejected),
        (JobStatus::Done, 2, 3)
    );
    let xl = get(&app, &b, &format!("/import/{job}/errors.xlsx")).await;
    assert_eq!(xl.status, StatusCode::OK);
    assert!(xl.header("content-disposition").contains("attachment"));
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(xl.body)).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Float(f) => format!("{f}"),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(rows[0][..4], ["行号", "原因", "名称", "邮箱"]);
    assert_eq!(rows[1][0], "4");
    assert!(rows[1][1].contains("不是有效的邮箱地址"), "{:?}", rows[1]);
    assert_eq!(
        rows[1][2..],
        ["坏邮箱", "not-an-email", "上海", "'=cmd|' /C calc'!A0"]
    );
    assert_eq!(rows[2][0], "5");
    assert!(rows[2][1].contains("客户名称为空"), "{:?}", rows[2]);
    assert_eq!(rows[3][0], "6");
    assert!(rows[3][1].contains("不在您的管辖范围内"), "{:?}", rows[3]);
    // The CSV report says the same (in English for an English session).
    let en = Browser {
        cookies: format!("{}; fieldcrm_lang=en", b.cookies),
        csrf: b.csrf.clone(),
    };
    let csv = get(&app, &en, &format!("/import/{job}/errors.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = String::from_utf8(csv.body[3..].to_vec()).unwrap();
    assert!(
        text.starts_with("Row,Reason,名称,邮箱,区域,备注\n"),
        "{text}"
    );
    assert!(text.contains("Not an e-mail address"), "{text}");
    assert!(text.contains("'=cmd|' /C calc'!A0"), "{text}");
    assert!(text.contains("outside your territories"), "{text}");
    // The good rows were imported.
    for name in ["好客户", "也是好客户"] {
        let found = imports::customers_by(&app.db, imports::KeyColumn::Name, &[name.into()])
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{name}");
    }
}

/// `s` as askama's HTML escaper writes it.
fn escaped(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

async fn hostile_strings_are_stored_as_text_and_inert(app: TestApp) {
    let b = sign_in(&app, "office").await;
    let script = "<script>alert(1)</script>";
    let img = "\"><img src=x onerror=alert(1)>";
    let formula = "=cmd|' /C calc'!A0";
    let file = format!(
        "客户编码,客户名称,备注,标签,区域\nH-1,\"{}\",\"{}\",\"{}\",上海\n",
        script,
        img.replace('"', "\"\""),
        formula
    );
    let evil_name = "<img src=x onerror=alert(2)>.csv";
    let job = upload_ok(&app, &b, evil_name, file.as_bytes()).await;
    let page = get(&app, &b, &format!("/import/{job}")).await.text();
    assert!(
        !page.contains(evil_name) && page.contains(&escaped(evil_name)),
        "{page}"
    );
    assert!(
        !page.contains(script) && !page.contains("<img src=x"),
        "{page}"
    );
    let form = mapping_form(&app, job, "code", "skip", "").await;
    let preview = post_form(&app, &b, &format!("/import/{job}/preview"), &form)
        .await
        .text();
    assert!(preview.contains(&escaped(script)), "{preview}");
    assert!(!preview.contains(script) && !preview.contains("<img src=x"));
    let j = run_to_end(&app, &b, job, "run", &form).await;
    assert_eq!(j.counts.created, 1, "{}", j.error);
    let c = customer(&app, "H-1").await;
    assert_eq!(c["name"], script);
    assert_eq!(c["notes"], img);
    assert_eq!(c["tags"], json!([formula]));
    let id = documents::find_customer(&app.db, "H-1")
        .await
        .unwrap()
        .unwrap();
    let card = get(&app, &b, &format!("/customers/{id}")).await.text();
    assert!(!card.contains(script) && !card.contains("<img src=x"));
    let list = get(&app, &b, "/import").await.text();
    assert!(!list.contains(evil_name) && list.contains(&escaped(evil_name)));
}

async fn garbage_uploads_are_refused_clearly(app: TestApp) {
    let b = sign_in(&app, "office").await;
    let png = [
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H',
    ];
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "a.png",
            png.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "无法识别的文件",
        ),
        (
            "empty.csv",
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "文件是空的",
        ),
        (
            "fake.xlsx",
            b"PK\x03\x04not really a zip".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "无法识别的文件",
        ),
        (
            "header-only.csv",
            b"name,phone\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "没有数据行",
        ),
    ];
    for (name, bytes, status, text) in cases {
        let r = upload(&app, &b, name, &bytes).await;
        assert_eq!(r.status, status, "{name}: {}", r.text());
        assert!(r.text().contains(text), "{name}: {}", r.text());
    }
    // Over the limit: the server answers 413 as soon as it has read 20 MB and hangs up on the
    // rest, which the client may see first (a broken pipe instead of the answer). Either way
    // nothing is stored.
    let jobs = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM import_jobs")
            .fetch_one(app.db.pool())
            .await
            .unwrap()
    };
    let before = jobs().await;
    for (name, size) in [
        ("big.csv", 20 * 1024 * 1024 + 10),
        ("huge.csv", 30 * 1024 * 1024),
    ] {
        let body = multipart(name, &vec![b'a'; size]);
        let mut answered = false;
        for _ in 0..5 {
            if let Some((status, text)) = try_post(&app, &b, body.clone()).await {
                assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{name}: {text}");
                assert!(text.contains("20 MB"), "{name}: {text}");
                answered = true;
                break;
            }
        }
        if !answered {
            println!("{name}: the server hung up before the answer was read (refused)");
        }
    }
    assert_eq!(jobs().await, before, "nothing stored");
    // No file field, or not multipart.
    let r = raw(
        &app,
        Method::POST,
        "/import/upload",
        &b.cookies,
        &[("x-csrf-token", &b.csrf)],
        Some(&format!("multipart/form-data; boundary={BOUNDARY}")),
        format!("--{BOUNDARY}--\r\n").into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    let r = post_form(&app, &b, "/import/upload", &[("file".into(), "x".into())]).await;
    assert!(r.status.is_client_error(), "{}", r.status);
    // Without the CSRF header the upload is refused.
    let r = raw(
        &app,
        Method::POST,
        "/import/upload",
        &b.cookies,
        &[],
        Some(&format!("multipart/form-data; boundary={BOUNDARY}")),
        multipart("a.csv", b"name\nA\n"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(imports::list(&app.db, None, 10).await.unwrap().is_empty());
}

async fn import_needs_the_permission_and_the_job_owner(app: TestApp) {
    let office = sign_in(&app, "office").await;
    let job = upload_ok(&app, &office, "mine.csv", "名称,区域\n甲,上海\n".as_bytes()).await;
    let rep = sign_in(&app, "rep.sh").await;
    assert_eq!(
        get(&app, &rep, "/import").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        upload(&app, &rep, "a.csv", b"name\nA\n").await.status,
        StatusCode::FORBIDDEN
    );
    for path in [
        format!("/import/{job}"),
        format!("/import/{job}/status"),
        format!("/import/{job}/errors.xlsx"),
    ] {
        assert_eq!(
            get(&app, &rep, &path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let form = mapping_form(&app, job, "name", "skip", "").await;
    let r = post_form(&app, &rep, &format!("/import/{job}/run"), &form).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!get(&app, &rep, "/").await.text().contains("nav-import"));
    // Another importer does not see the office's job; an admin does.
    let manager = sign_in(&app, "manager.east").await;
    assert_eq!(
        get(&app, &manager, &format!("/import/{job}")).await.status,
        StatusCode::NOT_FOUND
    );
    let r = post_form(&app, &manager, &format!("/import/{job}/run"), &form).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let admin = sign_in(&app, "admin").await;
    assert_eq!(
        get(&app, &admin, &format!("/import/{job}")).await.status,
        StatusCode::OK
    );
    assert!(get(&app, &office, "/").await.text().contains("nav-import"));
    let j = imports::get(&app.db, job).await.unwrap().unwrap();
    assert_eq!(j.status, JobStatus::Draft, "nothing ran");
}

async fn a_run_interrupted_by_a_restart_is_marked_failed(app: TestApp) {
    let b = sign_in(&app, "office").await;
    let job = upload_ok(&app, &b, "r.csv", "名称,区域\n甲,上海\n".as_bytes()).await;
    // A run another (now dead) process had started.
    assert!(
        imports::start_run(&app.db, job, false, "dead-process")
            .await
            .unwrap()
    );
    if app.backend == fieldcrm_server::db::Backend::Postgres {
        // Several processes may share PostgreSQL: a run is dead when its heartbeat is stale.
        sqlx::query("UPDATE import_jobs SET heartbeat_at = 0 WHERE id = $1")
            .bind(job.to_string())
            .execute(app.db.pool())
            .await
            .unwrap();
    }
    let settings = (*app.state.settings).clone();
    let restarted = Application::build_with_db(settings, app.db.clone())
        .await
        .unwrap();
    drop(restarted);
    let j = imports::get(&app.db, job).await.unwrap().unwrap();
    assert_eq!(j.status, JobStatus::Failed);
    assert!(j.error.contains("interrupted"), "{}", j.error);
    let status = get(&app, &b, &format!("/import/{job}/status")).await.text();
    assert!(
        status.contains("job-error") && !status.contains("hx-trigger"),
        "{status}"
    );
}

backend_tests!(
    xlsx_import_with_suggested_mapping_reaches_devices,
    csv_in_utf8_bom_and_gbk,
    dedupe_by_code_skip_then_update,
    dry_run_counts_and_writes_nothing,
    dry_run_and_run_agree_across_batches,
    bad_rows_are_rejected_into_the_error_report,
    hostile_strings_are_stored_as_text_and_inert,
    garbage_uploads_are_refused_clearly,
    import_needs_the_permission_and_the_job_owner,
    a_run_interrupted_by_a_restart_is_marked_failed,
);

//! Custom fields in the back office beyond forms and cards: customer custom fields as columns of
//! the customer list (choice labels in the user's language, grouped numbers, dates), as filters
//! (choice, text contains/equals, number and date ranges) that narrow the list exactly and combine
//! with the standard filters, a rep's scope, keyset pages and saved filters, as columns of the
//! .xlsx/.csv export (formula cells escaped), and a visit's custom fields shown and edited on the
//! visit card through the document path (history, audit, refusals). Runs on SQLite and
//! PostgreSQL.

use std::collections::BTreeSet;

use fieldcrm_core::document::Kind;
use fieldcrm_core::schema::{DictEntry, FieldDef, FieldType};
use fieldcrm_core::{DocId, TerritoryId};
use fieldcrm_server::db::audit::{self, AuditFilter};
use fieldcrm_server::db::schema as db_schema;
use fieldcrm_server::sync::write;
use fieldcrm_server::web::history::{self, Via, Who};
use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::TestApp;
use crate::orders_office::raw;
use crate::web::{Browser, Page, sign_in};

const HOSTILE: &str = "=cmd|' /C calc'!A0";
const SCRIPT: &str = "<script>alert(1)</script>";

fn def(kind: Kind, key: &str, zh: &str, en: &str, t: FieldType, list: Option<&str>) -> FieldDef {
    FieldDef {
        kind,
        key: key.into(),
        label_zh: zh.into(),
        label_en: en.into(),
        field_type: t,
        list: list.map(str::to_owned),
        required: false,
        active: true,
        position: 10,
    }
}

/// The `vip_level` list (gold 金卡, silver 银卡) and the customer fields `vip` (choice), `credit`
/// (number), `since` (date) and `erp_no` (text); the visit fields `score` (number) and `level`
/// (choice of `vip_level`).
async fn define_fields(app: &TestApp) {
    db_schema::create_list(&app.db, "vip_level", "会员等级", "VIP level")
        .await
        .unwrap();
    for (code, zh, en, position) in [
        ("gold", "金卡", "Gold", 10),
        ("silver", "银卡", "Silver", 20),
    ] {
        db_schema::add_entry(
            &app.db,
            "vip_level",
            &DictEntry {
                code: code.into(),
                label_zh: zh.into(),
                label_en: en.into(),
                position,
                active: true,
            },
        )
        .await
        .unwrap();
    }
    for d in [
        def(
            Kind::Customer,
            "vip",
            "会员",
            "VIP",
            FieldType::Choice,
            Some("vip_level"),
        ),
        def(
            Kind::Customer,
            "credit",
            "信用额度",
            "Credit",
            FieldType::Number,
            None,
        ),
        def(
            Kind::Customer,
            "since",
            "合作开始",
            "Since",
            FieldType::Date,
            None,
        ),
        def(
            Kind::Customer,
            "erp_no",
            "ERP编号",
            "ERP no",
            FieldType::Text,
            None,
        ),
        def(
            Kind::Visit,
            "score",
            "满意度",
            "Score",
            FieldType::Number,
            None,
        ),
        def(
            Kind::Visit,
            "level",
            "客户级别",
            "Level",
            FieldType::Choice,
            Some("vip_level"),
        ),
    ] {
        db_schema::create_field(&app.db, &d).await.unwrap();
    }
}

/// Creates a customer through the document path with `custom` values (canonical) and `extra`
/// fields.
async fn customer(
    app: &TestApp,
    code: &str,
    territory: TerritoryId,
    custom: Value,
    extra: Value,
) -> DocId {
    let mut v = json!({
        "name": format!("客户 {code}"),
        "code": code,
        "territory": territory.to_string(),
        "custom": custom,
    });
    if let Value::Object(m) = extra {
        for (k, x) in m {
            v[k] = x;
        }
    }
    let id = DocId::new();
    write::server_create(&app.db, &app.state.hub, Kind::Customer, id, &v, None)
        .await
        .unwrap();
    id
}

/// The customers of the tests, by code.
struct Fixture {
    a: DocId,
    b: DocId,
    c: DocId,
    d: DocId,
    e: DocId,
    f: DocId,
}

async fn fixture(app: &TestApp) -> Fixture {
    define_fields(app).await;
    let s = &app.seed;
    Fixture {
        a: customer(
            app,
            "K-A",
            s.shanghai,
            json!({"vip": "gold", "credit": "1500", "since": "2024-03-01", "erp_no": "ERP-001"}),
            json!({"tier": "A"}),
        )
        .await,
        b: customer(
            app,
            "K-B",
            s.shanghai,
            json!({"vip": "silver", "credit": "250.5", "since": "2025-06-15", "erp_no": "erp-002"}),
            json!({"tier": "B"}),
        )
        .await,
        c: customer(
            app,
            "K-C",
            s.beijing,
            json!({"vip": "gold", "credit": "-20", "since": "2023-12-31", "erp_no": "X-100"}),
            json!({"tier": "B"}),
        )
        .await,
        d: customer(
            app,
            "K-D",
            s.hangzhou,
            json!({"vip": "gold", "credit": "99999", "since": "2025-01-01", "erp_no": HOSTILE}),
            json!({"tier": "A"}),
        )
        .await,
        e: customer(app, "K-E", s.shanghai, json!({}), json!({"tier": "A"})).await,
        f: customer(
            app,
            "K-F",
            s.beijing,
            json!({"vip": "silver", "credit": "1000000.25", "erp_no": SCRIPT}),
            json!({"tier": "C"}),
        )
        .await,
    }
}

/// The customer ids of a list page (or partial), in order.
fn ids(page: &Page) -> Vec<DocId> {
    let marker = "class=\"customer-link\" href=\"/customers/";
    page.body
        .match_indices(marker)
        .map(|(i, _)| DocId::parse(&page.body[i + marker.len()..i + marker.len() + 36]).unwrap())
        .collect()
}

fn set(ids: &[DocId]) -> BTreeSet<DocId> {
    ids.iter().copied().collect()
}

fn total(page: &Page) -> String {
    let m = "<span id=\"total\">";
    let at = page.body.find(m).unwrap() + m.len();
    let text = &page.body[at..at + page.body[at..].find('<').unwrap()];
    text.rsplit(' ').next().unwrap().to_owned()
}

/// The link with `id="<id>"` of a page, unescaped.
fn link(page: &Page, id: &str) -> Option<String> {
    let at = page.body.find(&format!("id=\"{id}\""))?;
    let start = page.body[..at].rfind("href=\"")? + "href=\"".len();
    let end = start + page.body[start..].find('"')?;
    Some(page.body[start..end].replace("&#38;", "&"))
}

/// The same signed-in browser with English pages.
fn english(b: &Browser) -> Browser {
    Browser {
        cookies: format!("{}; fieldcrm_lang=en", b.cookies),
        csrf: b.csrf.clone(),
    }
}

async fn choose_columns(app: &TestApp, b: &Browser, columns: &[&str]) {
    let form: Vec<(&str, &str)> = columns.iter().map(|c| ("col", *c)).collect();
    let r = b.post(app, "/customers/columns", &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

/// `GET path` with the browser's cookies, the body as bytes (for downloads).
async fn get_bytes(app: &TestApp, b: &Browser, path: &str) -> (StatusCode, Vec<u8>) {
    let (status, _, bytes) = raw(app, b, Method::GET, path, &[], Vec::new()).await;
    (status, bytes)
}

async fn custom_columns_show_formatted_values(app: TestApp) {
    let k = fixture(&app).await;
    let office = sign_in(&app, "office").await;
    // Every active customer field is offered by the chooser; the visit's are not.
    let chooser = office.get(&app, "/customers/columns").await;
    assert_eq!(chooser.status, StatusCode::OK);
    for (key, label) in [
        ("cf-vip", "会员"),
        ("cf-credit", "信用额度"),
        ("cf-since", "合作开始"),
        ("cf-erp_no", "ERP编号"),
    ] {
        assert!(
            chooser.body.contains(&format!("id=\"col-{key}\" >"))
                || chooser.body.contains(&format!("id=\"col-{key}\"  >")),
            "{key} offered, not shown: {}",
            chooser.body
        );
        assert!(
            chooser
                .body
                .contains(&format!("for=\"col-{key}\">{label}</label>"))
        );
    }
    assert!(!chooser.body.contains("col-cf-score"));
    assert!(!chooser.body.contains("满意度"));

    choose_columns(
        &app,
        &office,
        &[
            "code",
            "name",
            "cf.vip",
            "cf.credit",
            "cf.since",
            "cf.erp_no",
            "cf.nope",
        ],
    )
    .await;
    let chooser = office.get(&app, "/customers/columns").await;
    assert!(
        chooser.body.contains("id=\"col-cf-vip\" checked"),
        "{}",
        chooser.body
    );
    assert!(
        chooser
            .body
            .contains("name=\"pos_cf.credit\" id=\"pos-cf-credit\" value=\"4\"")
    );

    let page = office.get(&app, "/customers?sort=code").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(ids(&page), [k.a, k.b, k.c, k.d, k.e, k.f]);
    for header in [
        "<th class=\"col-cf-vip\">会员</th>",
        "<th class=\"col-cf-credit\">信用额度</th>",
        "<th class=\"col-cf-since\">合作开始</th>",
        "<th class=\"col-cf-erp_no\">ERP编号</th>",
    ] {
        assert!(page.body.contains(header), "{header}");
    }
    assert!(!page.body.contains("col-cf-nope"));
    // Row K-A: the choice's label, the number grouped, the date.
    let row = |code: &str| -> String {
        let at = page
            .body
            .find(&format!("<td class=\"col-code\">{code}</td>"))
            .unwrap();
        page.body[at..at + page.body[at..].find("</tr>").unwrap()].to_owned()
    };
    let a = row("K-A");
    assert!(a.contains("<td class=\"col-cf-vip\">金卡</td>"), "{a}");
    assert!(a.contains("<td class=\"col-cf-credit\">1,500</td>"), "{a}");
    assert!(
        a.contains("<td class=\"col-cf-since\">2024-03-01</td>"),
        "{a}"
    );
    assert!(
        a.contains("<td class=\"col-cf-erp_no\">ERP-001</td>"),
        "{a}"
    );
    let f = row("K-F");
    assert!(
        f.contains("<td class=\"col-cf-credit\">1,000,000.25</td>"),
        "{f}"
    );
    assert!(f.contains("<td class=\"col-cf-since\"></td>"), "{f}");
    // A hostile text is inert.
    assert!(
        f.contains("&#60;script&#62;alert(1)&#60;/script&#62;") || f.contains("&lt;script&gt;"),
        "{f}"
    );
    assert!(!page.body.contains(SCRIPT));
    assert!(row("K-C").contains("<td class=\"col-cf-credit\">-20</td>"));
    assert!(row("K-E").contains("<td class=\"col-cf-vip\"></td>"));
    // In English: English labels and headers.
    let page = english(&office).get(&app, "/customers?sort=code").await;
    assert!(page.body.contains("<th class=\"col-cf-vip\">VIP</th>"));
    assert!(page.body.contains("<td class=\"col-cf-vip\">Gold</td>"));
    assert!(page.body.contains("<td class=\"col-cf-vip\">Silver</td>"));
    // A retired field's column is no longer shown (nor offered).
    let mut since = def(
        Kind::Customer,
        "since",
        "合作开始",
        "Since",
        FieldType::Date,
        None,
    );
    since.active = false;
    db_schema::update_field(&app.db, &since).await.unwrap();
    let page = office.get(&app, "/customers").await;
    assert!(!page.body.contains("col-cf-since"));
    assert!(page.body.contains("<th class=\"col-cf-vip\">会员</th>"));
    assert!(
        !office
            .get(&app, "/customers/columns")
            .await
            .body
            .contains("col-cf-since")
    );
    // Columns are per user: the rep still has the defaults.
    let rep = sign_in(&app, "rep.sh").await;
    assert!(
        !rep.get(&app, "/customers")
            .await
            .body
            .contains("col-cf-vip")
    );
}

async fn custom_filters_narrow_the_list_exactly(app: TestApp) {
    let k = fixture(&app).await;
    let s = &app.seed;
    let office = sign_in(&app, "office").await;
    let sh = s.shanghai.to_string();
    let cases: Vec<(String, Vec<DocId>)> = vec![
        // Choice.
        ("cf.vip=gold".into(), vec![k.a, k.c, k.d]),
        ("cf.vip=silver".into(), vec![k.b, k.f]),
        // Number ranges compare numbers, not text ("250.5" > "2000" as text).
        ("cf.credit.min=2000".into(), vec![k.d, k.f]),
        ("cf.credit.min=250.5".into(), vec![k.a, k.b, k.d, k.f]),
        ("cf.credit.max=250.50".into(), vec![k.b, k.c]),
        (
            "cf.credit.min=-100&cf.credit.max=1500".into(),
            vec![k.a, k.b, k.c],
        ),
        ("cf.credit.min=1000000.26".into(), vec![]),
        // Date ranges, inclusive.
        ("cf.since.from=2025-01-01".into(), vec![k.b, k.d]),
        ("cf.since.to=2024-12-31".into(), vec![k.a, k.c]),
        (
            "cf.since.from=2024-03-01&cf.since.to=2025-01-01".into(),
            vec![k.a, k.d],
        ),
        // Text: contains (any case) or equals (exactly).
        ("cf.erp_no=erp".into(), vec![k.a, k.b]),
        ("cf.erp_no=%3Cscript".into(), vec![k.f]),
        ("cf.erp_no=%25".into(), vec![]),
        ("cf.erp_no=erp-002&cf.erp_no.match=equals".into(), vec![k.b]),
        ("cf.erp_no=ERP-002&cf.erp_no.match=equals".into(), vec![]),
        ("cf.erp_no=erp-00&cf.erp_no.match=equals".into(), vec![]),
        // With each other and with the standard filters.
        ("cf.vip=gold&tier=A".into(), vec![k.a, k.d]),
        (format!("cf.vip=gold&territory={sh}"), vec![k.a]),
        ("cf.vip=silver&cf.credit.max=1000".into(), vec![k.b]),
        ("cf.vip=gold&q=K-C".into(), vec![k.c]),
        // Parameters of no field are ignored; empty ones do not filter.
        (
            "cf.nope=1&cf.vip=&cf.credit.min=".into(),
            vec![k.a, k.b, k.c, k.d, k.e, k.f],
        ),
    ];
    for (query, want) in &cases {
        let page = office
            .get(&app, &format!("/customers?{query}&sort=code"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{query}: {}", page.body);
        let mut want = want.clone();
        want.sort_by_key(|id| [k.a, k.b, k.c, k.d, k.e, k.f].iter().position(|x| x == id));
        assert_eq!(ids(&page), want, "{query}");
        assert_eq!(total(&page), want.len().to_string(), "{query}");
    }
    // A rep's scope still applies: rep.sh sees only Shanghai, rep.bj only Beijing.
    let rep_sh = sign_in(&app, "rep.sh").await;
    assert_eq!(
        ids(&rep_sh.get(&app, "/customers?cf.vip=gold").await),
        [k.a]
    );
    assert_eq!(
        ids(&rep_sh.get(&app, "/customers?cf.credit.min=0").await),
        [k.a, k.b]
    );
    let rep_bj = sign_in(&app, "rep.bj").await;
    assert_eq!(
        ids(&rep_bj.get(&app, "/customers?cf.vip=gold").await),
        [k.c]
    );
    assert_eq!(
        ids(&rep_bj.get(&app, "/customers?cf.erp_no=%3C").await),
        [k.f]
    );
    // Values that do not parse are refused.
    for bad in [
        "cf.credit.min=ten",
        "cf.credit.max=1e3",
        "cf.since.from=2025-13-01",
    ] {
        let page = office.get(&app, &format!("/customers?{bad}")).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    // The form shows one filter per active field, filled from the query.
    let page = office
        .get(
            &app,
            "/customers?cf.vip=gold&cf.credit.min=10&cf.since.to=2025-01-01&cf.erp_no=x&cf.erp_no.match=equals",
        )
        .await;
    assert!(
        page.body
            .contains("<select name=\"cf.vip\" id=\"cff-vip\">"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<option value=\"gold\" selected>金卡</option>")
    );
    assert!(
        page.body
            .contains("name=\"cf.credit.min\" id=\"cff-credit-min\" value=\"10\"")
    );
    assert!(
        page.body
            .contains("name=\"cf.since.to\" id=\"cff-since-to\" value=\"2025-01-01\"")
    );
    assert!(page.body.contains("<option value=\"equals\" selected>"));
    assert!(
        page.body
            .contains("name=\"cf.erp_no\" id=\"cff-erp_no\" value=\"x\"")
    );
    assert!(!page.body.contains("cff-score"));

    // Keyset pages carry the custom filter: 27 more gold customers with a small credit.
    let mut small = BTreeSet::new();
    for i in 0..27 {
        small.insert(
            customer(
                &app,
                &format!("P-{i:02}"),
                s.shanghai,
                json!({"vip": "gold", "credit": format!("{}", i % 5)}),
                json!({}),
            )
            .await,
        );
    }
    // The fixture's gold customers (credits 1500, -20, 99999) and silver ones stay out.
    let query = "cf.vip=gold&cf.credit.min=0&cf.credit.max=4";
    let first = office.get(&app, &format!("/customers?{query}")).await;
    assert_eq!(total(&first), "27");
    assert_eq!(ids(&first).len(), 25);
    let next = link(&first, "next-page").expect("a next page");
    assert!(
        ["cf.vip=gold", "cf.credit.min=0", "cf.credit.max=4"]
            .iter()
            .all(|p| next.contains(p)),
        "{next}"
    );
    let second = office.get(&app, &next).await;
    assert_eq!(ids(&second).len(), 2);
    let seen: BTreeSet<DocId> = ids(&first).into_iter().chain(ids(&second)).collect();
    assert_eq!(seen, small);
    assert!(link(&second, "next-page").is_none());
}

async fn saved_filters_keep_custom_filters(app: TestApp) {
    let k = fixture(&app).await;
    let office = sign_in(&app, "office").await;
    let r = office
        .post(
            &app,
            "/customers/filters",
            &[
                ("name", "金卡大客户"),
                (
                    "query",
                    "cf.vip=gold&cf.credit.min=1000&tier=A&cf.erp_no=&cf.erp_no.match=contains&after=x",
                ),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let url = "/customers?tier=A&cf.credit.min=1000&cf.vip=gold";
    assert_eq!(r.location(), url);
    let saved = fieldcrm_server::db::list_prefs::saved_filters(&app.db, app.seed.users["office"])
        .await
        .unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].query, "tier=A&cf.credit.min=1000&cf.vip=gold");
    // The list links it; following it applies every part of it.
    let page = office.get(&app, "/customers").await;
    assert!(
        page.body
            .contains("href=\"/customers?tier=A&#38;cf.credit.min=1000&#38;cf.vip=gold\""),
        "{}",
        page.body
    );
    let page = office.get(&app, url).await;
    assert_eq!(set(&ids(&page)), set(&[k.a, k.d]));
    // The save form and the bulk form carry the filter of the list as shown.
    assert!(
        page.body
            .contains("name=\"query\" value=\"tier=A&#38;cf.credit.min=1000&#38;cf.vip=gold\"")
    );
    // "Reassign all matching" honours the custom filter: only K-A and K-D are counted.
    let r = office
        .post(
            &app,
            "/customers/reassign",
            &[
                ("target", "all"),
                ("filter", "tier=A&cf.credit.min=1000&cf.vip=gold"),
                ("to_owner", "none"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("<dd id=\"reassign-count\">2</dd>"),
        "{}",
        r.body
    );
    // A saved filter with a value that does not parse is refused.
    let r = office
        .post(
            &app,
            "/customers/filters",
            &[("name", "bad"), ("query", "cf.credit.min=lots")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

async fn export_has_custom_columns_escaped(app: TestApp) {
    use calamine::{Reader, Xlsx, open_workbook_from_rs};
    let k = fixture(&app).await;
    let _ = k;
    let office = sign_in(&app, "office").await;
    choose_columns(
        &app,
        &office,
        &[
            "code",
            "name",
            "cf.vip",
            "cf.credit",
            "cf.since",
            "cf.erp_no",
        ],
    )
    .await;
    let header = ["编码", "名称", "会员", "信用额度", "合作开始", "ERP编号"];
    // Sorted by code, silver and gold of every territory except K-E's empty values.
    let expected: Vec<Vec<&str>> = vec![
        vec!["K-A", "客户 K-A", "金卡", "1500", "2024-03-01", "ERP-001"],
        vec!["K-B", "客户 K-B", "银卡", "250.5", "2025-06-15", "erp-002"],
        vec!["K-C", "客户 K-C", "金卡", "'-20", "2023-12-31", "X-100"],
        vec![
            "K-D",
            "客户 K-D",
            "金卡",
            "99999",
            "2025-01-01",
            "'=cmd|' /C calc'!A0",
        ],
        vec!["K-F", "客户 K-F", "银卡", "1000000.25", "", SCRIPT],
    ];
    let query = "cf.credit.min=-1000&sort=code";

    let (status, bytes) = get_bytes(
        &app,
        &office,
        &format!("/customers/export?format=csv&{query}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.starts_with(&[0xef, 0xbb, 0xbf]));
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), header);
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(rows, expected);

    let (status, bytes) = get_bytes(
        &app,
        &office,
        &format!("/customers/export?format=xlsx&{query}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let cells: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect();
    assert_eq!(cells[0], header);
    assert_eq!(cells[1..], expected[..]);

    // In English: English headers and choice labels.
    let (_, bytes) = get_bytes(
        &app,
        &english(&office),
        &format!("/customers/export?format=csv&{query}"),
    )
    .await;
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["Code", "Name", "VIP", "Credit", "Since", "ERP no"]
    );
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!(&first[2], "Gold");
    // The audit entry names the columns and the filter.
    let entries = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("web.customer.export".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0].entry.detail["rows"], 5);
    assert_eq!(
        entries[0].entry.detail["filter"],
        "sort=code&cf.credit.min=-1000"
    );
    assert_eq!(
        entries[0].entry.detail["columns"],
        json!([
            "code",
            "name",
            "cf.vip",
            "cf.credit",
            "cf.since",
            "cf.erp_no"
        ])
    );
}

async fn visit_custom_fields_are_edited_in_the_back_office(app: TestApp) {
    let k = fixture(&app).await;
    let s = &app.seed;
    let visit = DocId::new();
    write::server_create(
        &app.db,
        &app.state.hub,
        Kind::Visit,
        visit,
        &json!({
            "customer": k.a.to_string(),
            "rep": s.users["rep.sh"].to_string(),
            "check_in": { "at": fieldcrm_server::db::now_ms() },
            "purpose": "demo",
        }),
        None,
    )
    .await
    .unwrap();
    let card_path = format!("/visits/{visit}");
    let form_path = format!("/visits/{visit}/custom");

    // The office may edit: the card offers it, the form has one input per active visit field.
    let office = sign_in(&app, "office").await;
    let card = office.get(&app, &card_path).await;
    assert_eq!(card.status, StatusCode::OK);
    assert!(card.body.contains("id=\"edit-visit-custom\""));
    assert!(!card.body.contains("id=\"cf-score\""));
    let form = office.get(&app, &form_path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"custom.score\""), "{}", form.body);
    assert!(form.body.contains("name=\"custom.level\""));
    assert!(form.body.contains("<option value=\"gold\" >金卡</option>"));
    assert!(!form.body.contains("custom.vip"));

    // An invalid value is refused with a message; nothing is written.
    let r = office
        .post(
            &app,
            &form_path,
            &[("custom.score", "lots"), ("custom.level", "gold")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("id=\"form-errors\"") && r.body.contains("满意度"),
        "{}",
        r.body
    );
    assert_eq!(
        write::load_record(&app.db, visit).await.unwrap()["custom"],
        json!({})
    );

    // Saved through the document path, in canonical form.
    let r = office
        .post(
            &app,
            &form_path,
            &[("custom.score", " 4.50 "), ("custom.level", "gold")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), card_path);
    let record = write::load_record(&app.db, visit).await.unwrap();
    assert_eq!(record["custom"], json!({"score": "4.5", "level": "gold"}));
    assert_eq!(record["purpose"], "demo");
    // The card shows the values (the choice's label) and the change in the history.
    let card = office.get(&app, &card_path).await;
    assert!(
        card.body
            .contains("<dd id=\"cf-score\" class=\"custom-value\">4.5</dd>")
    );
    assert!(
        card.body
            .contains("<dd id=\"cf-level\" class=\"custom-value\">金卡</dd>")
    );
    assert!(
        card.body.contains("<span class=\"field\">满意度</span>: <span class=\"old\"></span> → <span class=\"new\">4.5</span>"),
        "{}",
        card.body
    );
    assert!(card.body.contains("<span class=\"field\">客户级别</span>: <span class=\"old\"></span> → <span class=\"new\">金卡</span>"));
    assert!(
        card.body.contains("<td>内勤 Office</td><td>后台</td>"),
        "{}",
        card.body
    );
    let entries = history::load(&app.db, visit).await.unwrap();
    let edit = &entries[0];
    assert_eq!(edit.message, "web.visit.update");
    assert_eq!(edit.who, Who::User(s.users["office"]));
    assert_eq!(edit.via, Via::Server);
    let paths: BTreeSet<&str> = edit.fields.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, BTreeSet::from(["custom.level", "custom.score"]));
    let audited = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("web.visit.update".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].entry.user_id, Some(s.users["office"]));
    assert_eq!(
        audited[0].entry.doc_id.as_deref(),
        Some(visit.to_string().as_str())
    );

    // Clearing a value removes it; the form shows the stored values.
    let form = office.get(&app, &form_path).await;
    assert!(form.body.contains("value=\"4.5\""));
    let r = office
        .post(
            &app,
            &form_path,
            &[("custom.score", ""), ("custom.level", "gold")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        write::load_record(&app.db, visit).await.unwrap()["custom"],
        json!({"level": "gold"})
    );

    // Refusals: a rep (visits.view, no visits.edit) neither sees the link nor may edit.
    let rep = sign_in(&app, "rep.sh").await;
    let card = rep.get(&app, &card_path).await;
    assert_eq!(card.status, StatusCode::OK);
    assert!(
        card.body
            .contains("<dd id=\"cf-level\" class=\"custom-value\">金卡</dd>")
    );
    assert!(!card.body.contains("id=\"edit-visit-custom\""));
    assert_eq!(
        rep.get(&app, &form_path).await.status,
        StatusCode::FORBIDDEN
    );
    let r = rep
        .post(
            &app,
            &form_path,
            &[("custom.score", "1"), ("custom.level", "silver")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A manager outside the visit's territory does not find it.
    let bj_visit = DocId::new();
    write::server_create(
        &app.db,
        &app.state.hub,
        Kind::Visit,
        bj_visit,
        &json!({ "customer": k.c.to_string(), "rep": s.users["rep.bj"].to_string() }),
        None,
    )
    .await
    .unwrap();
    let manager = sign_in(&app, "manager.east").await;
    let r = manager
        .post(
            &app,
            &format!("/visits/{bj_visit}/custom"),
            &[("custom.score", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        write::load_record(&app.db, visit).await.unwrap()["custom"],
        json!({"level": "gold"})
    );
    assert_eq!(
        write::load_record(&app.db, bj_visit).await.unwrap()["custom"],
        json!({})
    );
}

backend_tests!(
    custom_columns_show_formatted_values,
    custom_filters_narrow_the_list_exactly,
    saved_filters_keep_custom_filters,
    export_has_custom_columns_escaped,
    visit_custom_fields_are_edited_in_the_back_office,
);

//! The customer list at scale, through the back office: search (contact names, Chinese
//! substrings, short-term fallback), every filter and sort, keyset pages that visit every row
//! exactly once, saved filters and column preferences per user, single and bulk reassignment
//! through the document path (a synced device of the old territory loses the customers; each
//! reassignment audited), and export to .xlsx/.csv matching the list with formula cells escaped.
//! Runs on SQLite and PostgreSQL.

use std::collections::BTreeSet;

use fieldcrm_core::document::Kind;
use fieldcrm_core::{DocId, TerritoryId};
use fieldcrm_server::db::audit::{self, AuditFilter};
use fieldcrm_server::db::customer_list::{
    self, Cursor, CustomerFilter, CustomerSort, Direction, PlanLimits, SortKey,
};
use fieldcrm_server::db::territories::ScopeTerritories;
use fieldcrm_server::sync::write;
use hyper::header::HeaderMap;
use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::TestApp;
use crate::orders_office::raw;
use crate::web::{Browser, Page, send, sign_in};

async fn get(app: &TestApp, b: &Browser, path: &str) -> Page {
    send(app, Method::GET, path, &b.cookies, &[], None).await
}

async fn post(app: &TestApp, b: &Browser, path: &str, form: &[(&str, &str)]) -> Page {
    let mut f = form.to_vec();
    f.push(("_csrf", &b.csrf));
    send(app, Method::POST, path, &b.cookies, &[], Some(&f)).await
}

/// `GET path` with the browser's cookies, the body as bytes (for downloads).
async fn get_bytes(app: &TestApp, b: &Browser, path: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    raw(app, b, Method::GET, path, &[], Vec::new()).await
}

/// Creates a customer through the document path; `extra` adds fields.
async fn customer(
    app: &TestApp,
    name: &str,
    code: &str,
    territory: TerritoryId,
    extra: Value,
) -> DocId {
    let mut v = json!({ "name": name, "code": code, "territory": territory.to_string() });
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

fn contact(name: &str) -> Value {
    json!({ "id": uuid::Uuid::now_v7().to_string(), "name": name, "phones": ["13900000000"] })
}

/// The customer ids of a list page (or partial), in order.
fn ids(page: &Page) -> Vec<DocId> {
    let marker = "class=\"customer-link\" href=\"/customers/";
    page.body
        .match_indices(marker)
        .map(|(i, _)| DocId::parse(&page.body[i + marker.len()..i + marker.len() + 36]).unwrap())
        .collect()
}

/// The link with `id="<id>"` of a page, unescaped.
fn link(page: &Page, id: &str) -> Option<String> {
    let at = page.body.find(&format!("id=\"{id}\""))?;
    let start = page.body[..at].rfind("<a href=\"")? + "<a href=\"".len();
    let end = start + page.body[start..].find('"')?;
    Some(page.body[start..end].replace("&#38;", "&"))
}

fn total(page: &Page) -> String {
    let m = "<span id=\"total\">";
    let at = page.body.find(m).unwrap() + m.len();
    let text = &page.body[at..at + page.body[at..].find('<').unwrap()];
    text.rsplit(' ').next().unwrap().to_owned()
}

fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("q", s)]).unwrap()[2..].to_owned()
}

async fn search_finds_contacts_and_chinese_substrings(app: TestApp) {
    let s = &app.seed;
    let hualian = customer(
        &app,
        "上海华联超市有限公司",
        "C-HL-001",
        s.shanghai,
        json!({ "contacts": [contact("欧阳建国")], "phones": ["021-5555 0101"] }),
    )
    .await;
    let yonghui = customer(
        &app,
        "杭州永辉商贸",
        "C-YH-002",
        s.hangzhou,
        json!({ "contacts": [contact("张伟")] }),
    )
    .await;
    let golden = customer(
        &app,
        "Golden Tripod Trading",
        "C-GT-003",
        s.beijing,
        json!({ "contacts": [contact("Li Wei")] }),
    )
    .await;
    let office = sign_in(&app, "office").await;
    for (q, want) in [
        ("欧阳建", vec![hualian]),     // contact name, 3 characters: trigram index
        ("华联超", vec![hualian]),     // Chinese substring
        ("联超市有限", vec![hualian]), // from the middle of the name
        ("张伟", vec![yonghui]),       // 2 characters: the fallback
        ("伟", vec![yonghui]),         // 1 character
        ("TRIPOD", vec![golden]),      // Latin, any case
        ("li wei", vec![golden]),      // every term must match
        ("5555", vec![hualian]),       // phone
        ("c-yh", vec![yonghui]),       // code
        ("华联 欧阳", vec![hualian]),  // long and short terms together
        ("不存在的客户", vec![]),
        ("\"华联\"", vec![]), // quotes are text, not FTS syntax
        ("%", vec![]),        // LIKE wildcards are text too
    ] {
        let page = get(&app, &office, &format!("/customers?q={}", enc(q))).await;
        assert_eq!(page.status, StatusCode::OK, "{q}");
        assert_eq!(ids(&page), want, "search {q:?}");
    }
    // A rep finds only inside their territory.
    let rep = sign_in(&app, "rep.hz").await;
    assert!(ids(&get(&app, &rep, "/customers?q=%E5%8D%8E%E8%81%94").await).is_empty());
    assert_eq!(
        ids(&get(&app, &rep, &format!("/customers?q={}", enc("张伟"))).await),
        [yonghui]
    );
    // Edits reach the index (the projection's triggers / the trigram index).
    write::server_update(&app.db, &app.state.hub, golden, None, "test", |v| {
        v["contacts"] = json!([contact("诸葛孔明")]);
        Ok(())
    })
    .await
    .unwrap();
    let page = get(&app, &office, &format!("/customers?q={}", enc("葛孔明"))).await;
    assert_eq!(ids(&page), [golden]);
    assert!(ids(&get(&app, &office, "/customers?q=li%20wei").await).is_empty());
}

async fn each_filter_narrows_the_list(app: TestApp) {
    let s = &app.seed;
    let rep_sh = s.users["rep.sh"];
    let rep_bj = s.users["rep.bj"];
    let a = customer(
        &app,
        "Alpha 甲",
        "C-3",
        s.shanghai,
        json!({"tier": "A", "industry": "零售", "owner": rep_sh.to_string(), "tags": ["重点客户", "连锁"]}),
    )
    .await;
    let b = customer(
        &app,
        "Beta 乙",
        "C-1",
        s.shanghai,
        json!({"tier": "B", "industry": "餐饮", "owner": rep_sh.to_string(), "tags": ["重点客户2"]}),
    )
    .await;
    let c = customer(
        &app,
        "Gamma 丙",
        "C-2",
        s.beijing,
        json!({"tier": "A", "industry": "餐饮", "owner": rep_bj.to_string(), "tags": ["连锁"]}),
    )
    .await;
    let office = sign_in(&app, "office").await;
    let list = |q: String| {
        let office = &office;
        let app = &app;
        async move {
            let page = get(app, office, &format!("/customers?{q}")).await;
            assert_eq!(page.status, StatusCode::OK, "{q}: {}", page.body);
            ids(&page)
        }
    };
    assert_eq!(list(String::new()).await, [a, b, c]);
    assert_eq!(list(format!("territory={}", s.shanghai)).await, [a, b]);
    assert_eq!(list("tier=A".into()).await, [a, c]);
    assert_eq!(list(format!("industry={}", enc("餐饮"))).await, [b, c]);
    assert_eq!(list(format!("owner={rep_sh}")).await, [a, b]);
    assert_eq!(list(format!("owner={rep_sh}&tier=B")).await, [b]);
    // A tag matches exactly, not as a prefix of another tag.
    assert_eq!(list(format!("tag={}", enc("重点客户"))).await, [a]);
    assert_eq!(list(format!("tag={}", enc("连锁"))).await, [a, c]);
    let today = chrono::Local::now().date_naive();
    let yesterday = today - chrono::Duration::days(1);
    let tomorrow = today + chrono::Duration::days(1);
    for field in ["created", "updated"] {
        assert_eq!(
            list(format!("{field}_from={yesterday}&{field}_to={today}")).await,
            [a, b, c]
        );
        assert!(list(format!("{field}_to={yesterday}")).await.is_empty());
        assert!(list(format!("{field}_from={tomorrow}")).await.is_empty());
    }
    // Sorting: code both ways; the latest update first.
    assert_eq!(list("sort=code".into()).await, [b, c, a]);
    assert_eq!(list("sort=code&dir=desc".into()).await, [a, c, b]);
    assert_eq!(list("sort=name&dir=desc".into()).await, [c, b, a]);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    write::server_update(&app.db, &app.state.hub, b, None, "test", |v| {
        v["notes"] = json!("touched");
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(list("sort=updated".into()).await[0], b);
    assert_eq!(list("sort=updated&dir=asc".into()).await[2], b);
    assert_eq!(list("sort=created".into()).await, [c, b, a]);
    // The filter menus offer what exists; bad input is a 400, not a 500.
    let page = get(&app, &office, "/customers").await;
    assert!(
        page.body.contains("<option value=\"餐饮\" >餐饮</option>"),
        "{}",
        page.body
    );
    for bad in ["territory=x", "owner=1", "created_from=2026-02-31"] {
        let r = get(&app, &office, &format!("/customers?{bad}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    // owner_in (the data scope) restricts further; an empty list shows nothing.
    let f = CustomerFilter {
        owner_in: Some(vec![rep_bj]),
        ..CustomerFilter::default()
    };
    let page = customer_list::list(&app.db, &ScopeTerritories::All, &f, None, 25)
        .await
        .unwrap();
    assert_eq!(page.rows.iter().map(|r| r.id).collect::<Vec<_>>(), [c]);
    let f = CustomerFilter {
        owner_in: Some(Vec::new()),
        ..CustomerFilter::default()
    };
    assert_eq!(
        customer_list::count(&app.db, &ScopeTerritories::All, &f, 100)
            .await
            .unwrap(),
        (0, false)
    );
}

async fn keyset_paging_visits_every_row_exactly_once_in_order(app: TestApp) {
    let s = &app.seed;
    // 70 customers over 4 names: the id must break the ties.
    let mut all = Vec::new();
    for i in 0..70 {
        let name = ["甲 Alpha", "乙 Beta", "丙 Gamma", "丁 Delta"][i % 4];
        all.push(
            customer(
                &app,
                name,
                &format!("K-{:03}", i % 9),
                s.shanghai,
                json!({}),
            )
            .await,
        );
    }
    let office = sign_in(&app, "office").await;
    // Through the web pages, following the "next" links.
    let mut url = Some("/customers?sort=name".to_owned());
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(u) = url {
        let page = get(&app, &office, &u).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(total(&page), "70");
        seen.extend(ids(&page));
        url = link(&page, "next-page");
        pages += 1;
        if url.is_none() {
            // The last page links back to the previous one, which is the page before.
            let prev = link(&page, "prev-page").unwrap();
            let back = get(&app, &office, &prev).await;
            assert_eq!(
                ids(&back),
                seen[seen.len() - 25 - ids(&page).len()..seen.len() - ids(&page).len()]
            );
            assert!(link(&page, "first-page").is_some());
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 70);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 70);
    assert_eq!(
        seen.iter().copied().collect::<BTreeSet<_>>(),
        all.iter().copied().collect()
    );
    // In order: name, then id.
    let rows = customer_list::list(
        &app.db,
        &ScopeTerritories::All,
        &CustomerFilter::default(),
        None,
        2000,
    )
    .await
    .unwrap()
    .rows;
    let mut sorted = rows.clone();
    sorted.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
    assert_eq!(rows, sorted);
    assert_eq!(seen, rows.iter().map(|r| r.id).collect::<Vec<_>>());
    // Every sort, both directions, forwards and backwards, in pages of 7.
    for key in [
        SortKey::Name,
        SortKey::Code,
        SortKey::Updated,
        SortKey::Created,
    ] {
        for desc in [false, true] {
            let f = CustomerFilter {
                sort: CustomerSort { key, desc },
                ..CustomerFilter::default()
            };
            let scope = ScopeTerritories::All;
            let mut forward = Vec::new();
            let mut cursor: Option<Cursor> = None;
            loop {
                let p = customer_list::list(
                    &app.db,
                    &scope,
                    &f,
                    cursor.as_ref().map(|c| (Direction::After, c)),
                    7,
                )
                .await
                .unwrap();
                forward.extend(p.rows.iter().map(|r| r.id));
                cursor = p.rows.last().map(|r| Cursor::of(r, key));
                if !p.has_next {
                    break;
                }
            }
            assert_eq!(forward.len(), 70, "{key:?} {desc}");
            assert_eq!(forward.iter().collect::<BTreeSet<_>>().len(), 70);
            // Backwards from past the last row gives the same order.
            let last = customer_list::list(&app.db, &scope, &f, None, 2000)
                .await
                .unwrap()
                .rows;
            let mut backward = Vec::new();
            let mut cursor = Some(Cursor::of(last.last().unwrap(), key));
            backward.push(last.last().unwrap().id);
            loop {
                let p = customer_list::list(
                    &app.db,
                    &scope,
                    &f,
                    cursor.as_ref().map(|c| (Direction::Before, c)),
                    7,
                )
                .await
                .unwrap();
                for r in p.rows.iter().rev() {
                    backward.push(r.id);
                }
                cursor = p.rows.first().map(|r| Cursor::of(r, key));
                if !p.has_prev {
                    break;
                }
            }
            backward.reverse();
            assert_eq!(backward, forward, "{key:?} {desc}");
        }
    }
    // The count is capped.
    let f = CustomerFilter::default();
    assert_eq!(
        customer_list::count(&app.db, &ScopeTerritories::All, &f, 50)
            .await
            .unwrap(),
        (50, true)
    );
    assert_eq!(
        customer_list::count(&app.db, &ScopeTerritories::All, &f, 70)
            .await
            .unwrap(),
        (70, false)
    );
}

async fn saved_filters_are_per_user(app: TestApp) {
    let s = &app.seed;
    customer(&app, "Alpha", "C-1", s.shanghai, json!({"tier": "A"})).await;
    let office = sign_in(&app, "office").await;
    let manager = sign_in(&app, "manager.east").await;
    let r = post(
        &app,
        &office,
        "/customers/filters",
        &[
            ("name", "A级 <script>alert(1)</script>"),
            ("query", "tier=A&sort=updated&after=zzz"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = get(&app, &office, "/customers").await;
    assert!(
        page.body
            .contains("A级 &#60;script&#62;alert(1)&#60;/script&#62;")
    );
    assert!(!page.body.contains("<script>alert"));
    // Applying it is a link to the list with its filter (the cursor was dropped).
    assert!(
        page.body
            .contains("href=\"/customers?tier=A&#38;sort=updated\" class=\"saved-link\""),
        "{}",
        page.body
    );
    let id = {
        let m = "action=\"/customers/filters/";
        let at = page.body.find(m).unwrap() + m.len();
        page.body[at..at + 36].to_owned()
    };
    // Another user neither sees nor deletes it.
    let theirs = get(&app, &manager, "/customers").await;
    assert!(!theirs.body.contains("saved-link") && theirs.body.contains("id=\"no-saved\""));
    let r = post(
        &app,
        &manager,
        &format!("/customers/filters/{id}/delete"),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        get(&app, &office, "/customers")
            .await
            .body
            .contains("saved-link")
    );
    // A nameless filter is refused; a bad filter too.
    let r = post(
        &app,
        &office,
        "/customers/filters",
        &[("name", " "), ("query", "")],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = post(
        &app,
        &office,
        "/customers/filters",
        &[("name", "x"), ("query", "territory=nope")],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = post(
        &app,
        &office,
        &format!("/customers/filters/{id}/delete"),
        &[],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        !get(&app, &office, "/customers")
            .await
            .body
            .contains("saved-link")
    );
}

async fn column_preferences_are_remembered(app: TestApp) {
    let s = &app.seed;
    customer(
        &app,
        "Alpha",
        "C-1",
        s.shanghai,
        json!({"owner": s.users["rep.sh"].to_string(), "tags": ["连锁", "vip"]}),
    )
    .await;
    let office = sign_in(&app, "office").await;
    let headers = |body: &str| -> Vec<String> {
        body.match_indices("<th class=\"col-")
            .map(|(i, _)| {
                let rest = &body[i + "<th class=\"col-".len()..];
                rest[..rest.find('"').unwrap()].to_owned()
            })
            .collect()
    };
    let page = get(&app, &office, "/customers").await;
    assert_eq!(
        headers(&page.body),
        [
            "code",
            "name",
            "tier",
            "territory",
            "city",
            "phone",
            "updated"
        ]
    );
    let form = get(&app, &office, "/customers/columns").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("id=\"col-owner\""));
    let r = post(
        &app,
        &office,
        "/customers/columns",
        &[
            ("col", "tags"),
            ("pos_tags", "3"),
            ("col", "owner"),
            ("pos_owner", "1"),
            ("col", "bogus"),
            ("pos_name", "2"),
            ("col", "name"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = get(&app, &office, "/customers").await;
    assert_eq!(headers(&page.body), ["owner", "name", "tags"]);
    assert!(page.body.contains("上海销售 Shanghai Rep") && page.body.contains("连锁, vip"));
    // The name cannot be hidden.
    post(&app, &office, "/customers/columns", &[("col", "code")]).await;
    assert_eq!(
        headers(&get(&app, &office, "/customers").await.body),
        ["name", "code"]
    );
    // Another user keeps the defaults.
    let manager = sign_in(&app, "manager.east").await;
    assert_eq!(
        headers(&get(&app, &manager, "/customers").await.body).len(),
        7
    );
    // Restore the defaults.
    post(&app, &office, "/customers/columns", &[("reset", "1")]).await;
    assert_eq!(
        headers(&get(&app, &office, "/customers").await.body).len(),
        7
    );
}

async fn bulk_reassign_moves_customers_and_devices_lose_them(app: TestApp) {
    use fieldcrm_core::client::FieldClient;
    let s = &app.seed;
    let mut moved = Vec::new();
    for i in 0..5 {
        moved.push(
            customer(
                &app,
                &format!("批量 Bulk {i}"),
                "B",
                s.shanghai,
                json!({"tags": ["批量"]}),
            )
            .await,
        );
    }
    let stays = customer(&app, "留下 Stays", "S", s.shanghai, json!({})).await;
    // rep.sh's phone holds the Shanghai customers.
    let home = tempfile::tempdir().unwrap();
    let phone = FieldClient::open(home.path()).await.unwrap();
    phone
        .login(&app.address, "rep.sh", "demo", "rep.sh phone")
        .await
        .unwrap();
    phone.sync_once().await.unwrap();
    let held = || async {
        phone
            .list_customers(None, 1000, 0)
            .await
            .unwrap()
            .into_iter()
            .map(|c| DocId::from(c.id))
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(held().await.len(), 6);

    // A rep may not reassign; a manager may not move into a territory outside their scope.
    let rep = sign_in(&app, "rep.sh").await;
    let filter = format!("tag={}", enc("批量"));
    let bj = s.beijing.to_string();
    let pairs: Vec<(&str, &str)> = vec![
        ("target", "all"),
        ("filter", &filter),
        ("to_territory", &bj),
    ];
    assert_eq!(
        post(&app, &rep, "/customers/reassign", &pairs).await.status,
        StatusCode::FORBIDDEN
    );
    let manager = sign_in(&app, "manager.east").await;
    assert_eq!(
        post(&app, &manager, "/customers/reassign", &pairs)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // The office: first the confirmation with the count, nothing changed yet…
    let office = sign_in(&app, "office").await;
    let confirm = post(&app, &office, "/customers/reassign", &pairs).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(
        confirm.body.contains("<dd id=\"reassign-count\">5</dd>"),
        "{}",
        confirm.body
    );
    assert!(confirm.body.contains("北京"));
    assert_eq!(
        write::load_record(&app.db, moved[0]).await.unwrap()["territory"],
        s.shanghai.to_string()
    );
    // …then, confirmed, every matching customer moves.
    let mut confirmed = pairs.clone();
    confirmed.push(("confirm", "1"));
    let done = post(&app, &office, "/customers/reassign", &confirmed).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(
        done.body.contains("<dd id=\"reassigned-count\">5</dd>"),
        "{}",
        done.body
    );
    for id in &moved {
        assert_eq!(
            write::load_record(&app.db, *id).await.unwrap()["territory"],
            bj
        );
    }
    assert_eq!(
        write::load_record(&app.db, stays).await.unwrap()["territory"],
        s.shanghai.to_string()
    );
    // The moves are recorded for devices: the Shanghai scope is revoked exactly these.
    let hi = fieldcrm_server::db::documents::current_seq(&app.db)
        .await
        .unwrap();
    let revoked = fieldcrm_server::db::documents::revoked_since(
        &app.db,
        &ScopeTerritories::Some(vec![s.shanghai]),
        fieldcrm_core::UserId::new(),
        0,
        hi,
    )
    .await
    .unwrap();
    assert_eq!(
        revoked.iter().copied().collect::<BTreeSet<_>>(),
        moved.iter().copied().collect()
    );
    // rep.sh's phone loses them on its next sync; rep.bj's list gains them.
    let report = phone.sync_once().await.unwrap();
    assert_eq!(report.revoked, 5, "{report:?}");
    assert_eq!(held().await, BTreeSet::from([stays]));
    let bj_rep = sign_in(&app, "rep.bj").await;
    assert_eq!(
        ids(&get(&app, &bj_rep, &format!("/customers?{filter}")).await).len(),
        5
    );
    // Audited: one entry per customer, one for the run.
    let entries = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("web.customer.reassign".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(entries.len(), 5);
    assert!(
        entries
            .iter()
            .all(|e| e.entry.user_id == Some(s.users["office"]))
    );
    let runs = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("web.customer.bulk_reassign".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].entry.detail["changed"], 5);

    // Selected rows: a new owner for two of them.
    let owner = s.users["rep.bj"].to_string();
    let (one, two) = (moved[0].to_string(), moved[1].to_string());
    let selected = [
        ("target", "selected"),
        ("id", one.as_str()),
        ("id", two.as_str()),
        ("to_owner", owner.as_str()),
        ("confirm", "1"),
    ];
    let done = post(&app, &office, "/customers/reassign", &selected).await;
    assert!(
        done.body.contains("<dd id=\"reassigned-count\">2</dd>"),
        "{}",
        done.body
    );
    assert_eq!(
        write::load_record(&app.db, moved[0]).await.unwrap()["owner"],
        owner
    );
    assert_eq!(
        write::load_record(&app.db, moved[2]).await.unwrap()["owner"],
        Value::Null
    );
    // Nothing chosen → an error page, nothing done.
    let r = post(
        &app,
        &office,
        "/customers/reassign",
        &[("target", "selected"), ("id", &one)],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A manager cannot reach customers outside their scope by id.
    let east = s.shanghai.to_string();
    let r = post(
        &app,
        &manager,
        "/customers/reassign",
        &[
            ("target", "selected"),
            ("id", &one),
            ("to_territory", &east),
            ("confirm", "1"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        write::load_record(&app.db, moved[0]).await.unwrap()["territory"],
        bj
    );

    // Single, from the card: back to Shanghai, and the phone gets it again.
    let card = get(&app, &office, &format!("/customers/{}", moved[0])).await;
    assert!(card.body.contains("id=\"reassign-form\""));
    assert!(
        !get(&app, &rep, &format!("/customers/{stays}"))
            .await
            .body
            .contains("id=\"reassign-form\"")
    );
    let r = post(
        &app,
        &office,
        &format!("/customers/{}/reassign", moved[0]),
        &[("to_territory", &east)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        write::load_record(&app.db, moved[0]).await.unwrap()["territory"],
        east
    );
    phone.sync_once().await.unwrap();
    assert_eq!(held().await, BTreeSet::from([stays, moved[0]]));
    let r = post(
        &app,
        &rep,
        &format!("/customers/{}/reassign", moved[0]),
        &[("to_territory", &bj)],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn export_matches_the_list_and_escapes_cells(app: TestApp) {
    use calamine::{Reader, Xlsx, open_workbook_from_rs};
    let s = &app.seed;
    let hostile = "=cmd|' /C calc'!A0";
    let names = [
        hostile,
        "<script>alert(1)</script>",
        "+86 Plus Co",
        "@SUM(A1)",
        "上海华联超市",
        "-minus",
    ];
    for (i, n) in names.iter().enumerate() {
        customer(
            &app,
            n,
            &format!("E-{i}"),
            if i % 2 == 0 { s.shanghai } else { s.beijing },
            json!({"tier": "A", "tags": ["导出"]}),
        )
        .await;
    }
    customer(
        &app,
        "Not exported",
        "X-1",
        s.shanghai,
        json!({"tier": "B"}),
    )
    .await;
    let office = sign_in(&app, "office").await;
    post(
        &app,
        &office,
        "/customers/columns",
        &[
            ("col", "code"),
            ("col", "name"),
            ("col", "territory"),
            ("col", "tags"),
        ],
    )
    .await;
    let query = "tier=A&sort=code&dir=desc";
    // The list, all pages (here one).
    let page = get(&app, &office, &format!("/customers?{query}")).await;
    let listed = ids(&page);
    assert_eq!(listed.len(), 6);
    let mut expected_names = Vec::new();
    for id in &listed {
        expected_names.push(
            write::load_record(&app.db, *id).await.unwrap()["name"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let escape = |n: &str| {
        if n.starts_with(['=', '+', '-', '@']) {
            format!("'{n}")
        } else {
            n.to_owned()
        }
    };
    let expected: Vec<String> = expected_names.iter().map(|n| escape(n)).collect();
    assert!(expected.contains(&"'=cmd|' /C calc'!A0".to_owned()));
    assert!(expected.contains(&"<script>alert(1)</script>".to_owned()));

    // CSV: BOM, header, the same rows in the same order, escaped.
    let (status, headers, bytes) = get_bytes(
        &app,
        &office,
        &format!("/customers/export?format=csv&{query}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".csv")
    );
    assert!(bytes.starts_with(&[0xef, 0xbb, 0xbf]));
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["编码", "名称", "区域", "标签"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(
        rows.iter().map(|r| r[1].to_owned()).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(
        rows.iter().map(|r| r[0].to_owned()).collect::<Vec<_>>(),
        ["E-5", "E-4", "E-3", "E-2", "E-1", "E-0"]
    );
    assert!(rows.iter().all(|r| &r[3] == "导出"));
    assert!(rows.iter().any(|r| &r[2] == "北京"));

    // .xlsx: the same, read back with calamine.
    let (status, headers, bytes) = get_bytes(
        &app,
        &office,
        &format!("/customers/export?format=xlsx&{query}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let cells: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect();
    assert_eq!(cells[0], ["编码", "名称", "区域", "标签"]);
    assert_eq!(
        cells[1..].iter().map(|r| r[1].clone()).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(cells.len(), 7);

    // Every matching row, not just the page: 30 more.
    for i in 0..30 {
        customer(
            &app,
            &format!("More {i:02}"),
            &format!("M-{i:02}"),
            s.hangzhou,
            json!({"tier": "A"}),
        )
        .await;
    }
    let (_, _, bytes) = get_bytes(
        &app,
        &office,
        &format!("/customers/export?format=csv&{query}"),
    )
    .await;
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(reader.records().count(), 36);
    // Audited with the filter and the count.
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
    assert_eq!(entries[0].entry.detail["rows"], 36);
    assert_eq!(
        entries[0].entry.detail["filter"],
        "tier=A&sort=code&dir=desc"
    );
    assert_eq!(entries[0].entry.user_id, Some(s.users["office"]));
    // A rep may not export; the link is not offered.
    let rep = sign_in(&app, "rep.sh").await;
    let (status, _, _) = get_bytes(&app, &rep, "/customers/export?format=csv").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        !get(&app, &rep, "/customers")
            .await
            .body
            .contains("id=\"export-csv\"")
    );
    assert!(
        get(&app, &office, "/customers")
            .await
            .body
            .contains("id=\"export-csv\"")
    );
    let (status, _, _) = get_bytes(&app, &office, "/customers/export?format=pdf").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// What one plan gave: every row forward, the page before the last row, the count capped at 5,
/// the count.
type PlanResult = (Vec<DocId>, Vec<DocId>, (i64, bool), (i64, bool));

/// Every search plan — the index's candidates sorted, the walk of the list's order, the bounded
/// walk that falls back to the index, the count driven by the index's order — gives the same
/// pages and counts. Small limits drive each plan over a few rows (decision 0021).
async fn every_search_plan_gives_the_same_pages_and_counts(app: TestApp) {
    let s = &app.seed;
    // Names and contacts are the only text the terms below can occur in (codes are "P-nnn", no
    // address or e-mail).
    let mut made: Vec<(DocId, String)> = Vec::new();
    for i in 0..48 {
        let (prefix, territory) = match i % 4 {
            // One cluster at the end of the name order (重 sorts after the others).
            0 => ("重庆", s.shanghai),
            1 => ("上海", s.shanghai),
            2 => ("北京", s.beijing),
            _ => ("Acme ", s.hangzhou),
        };
        let suffix = ["有限公司", "商贸有限公司", "超市", "Trading"][(i / 4) % 4];
        let name = format!("{prefix}{}{suffix}", ["华联", "永辉", "天成"][i % 3]);
        let contact_name = ["张伟", "李娜", "王芳伟"][(i / 3) % 3];
        let id = customer(
            &app,
            &name,
            &format!("P-{i:03}"),
            territory,
            json!({ "contacts": [contact(contact_name)] }),
        )
        .await;
        made.push((id, format!("{name} {contact_name}").to_lowercase()));
    }
    let plans = [
        // The default: few candidates, so the index plan.
        PlanLimits::default(),
        // Always "frequent": walk the list's order; the walk sees every row.
        PlanLimits {
            index_max: -1,
            walk_max: 1000,
        },
        // Always "frequent", with a walk of 2 or 9 rows: the walk fills the page or falls back.
        PlanLimits {
            index_max: -1,
            walk_max: 2,
        },
        PlanLimits {
            index_max: -1,
            walk_max: 9,
        },
    ];
    let all = ScopeTerritories::All;
    let sorts = [
        (SortKey::Name, false),
        (SortKey::Name, true),
        (SortKey::Updated, true),
        (SortKey::Code, false),
    ];
    for q in [
        "重庆",
        "有限",
        "有限公司",
        "张伟",
        "trading",
        "重庆 有限",
        "伟",
        "华联超",
        "acme",
        "不存在",
    ] {
        let terms: Vec<String> = q.split(' ').map(str::to_lowercase).collect();
        let want: BTreeSet<DocId> = made
            .iter()
            .filter(|(_, text)| terms.iter().all(|t| text.contains(t.as_str())))
            .map(|(id, _)| *id)
            .collect();
        for territory in [None, Some(s.shanghai)] {
            let want: BTreeSet<DocId> = match territory {
                None => want.clone(),
                Some(_) => want
                    .iter()
                    .copied()
                    .filter(|id| {
                        let i = made.iter().position(|(m, _)| m == id).unwrap();
                        i % 4 <= 1
                    })
                    .collect(),
            };
            for (key, desc) in sorts {
                let filter = CustomerFilter {
                    query: Some(q.to_owned()),
                    territory,
                    sort: CustomerSort { key, desc },
                    ..CustomerFilter::default()
                };
                let mut first: Option<PlanResult> = None;
                for limits in plans {
                    let db = app.db.clone().with_list_limits(limits);
                    // Forward through the whole list, 4 rows a page.
                    let mut seen = Vec::new();
                    let mut cursor: Option<Cursor> = None;
                    let mut last_row = None;
                    loop {
                        let page = customer_list::list(
                            &db,
                            &all,
                            &filter,
                            cursor.as_ref().map(|c| (Direction::After, c)),
                            4,
                        )
                        .await
                        .unwrap();
                        seen.extend(page.rows.iter().map(|r| r.id));
                        if let Some(last) = page.rows.last() {
                            last_row = Some(last.clone());
                        }
                        match (page.has_next, page.rows.last()) {
                            (true, Some(last)) => cursor = Some(Cursor::of(last, key)),
                            _ => break,
                        }
                        assert!(seen.len() <= 48, "{q} {limits:?}: paging does not end");
                    }
                    // Backward from the last row: the (up to) 4 rows before it.
                    let mut back = Vec::new();
                    if let Some(last) = &last_row {
                        let end = Cursor::of(last, key);
                        let page = customer_list::list(
                            &db,
                            &all,
                            &filter,
                            Some((Direction::Before, &end)),
                            4,
                        )
                        .await
                        .unwrap();
                        back = page.rows.iter().map(|r| r.id).collect();
                        let k = back.len();
                        assert_eq!(
                            back,
                            seen[seen.len() - 1 - k..seen.len() - 1],
                            "{q:?} {limits:?}: the page before the last row"
                        );
                        assert_eq!(page.has_prev, seen.len() > 5, "{q:?} {limits:?}");
                    }
                    let capped = customer_list::count(&db, &all, &filter, 5).await.unwrap();
                    let full = customer_list::count(&db, &all, &filter, 1000)
                        .await
                        .unwrap();
                    assert_eq!(
                        seen.iter().copied().collect::<BTreeSet<_>>(),
                        want,
                        "{q:?} {territory:?} {key:?} desc={desc} {limits:?}"
                    );
                    assert_eq!(seen.len(), want.len(), "{q:?} {limits:?}: a row twice");
                    let n = i64::try_from(want.len()).unwrap();
                    assert_eq!(full, (n, false), "{q:?} {territory:?} {limits:?}");
                    assert_eq!(capped, (n.min(5), n > 5), "{q:?} {territory:?} {limits:?}");
                    let got = (seen, back, capped, full);
                    match &first {
                        None => first = Some(got),
                        Some(f) => assert_eq!(
                            &got, f,
                            "{q:?} {territory:?} {key:?} desc={desc}: {limits:?} differs"
                        ),
                    }
                }
            }
        }
    }
}

/// Rows written before the bigram column existed (migration 0017) have none and are not in the
/// bigram index; filling them makes 2-character terms find them, and later writes and deletes
/// keep the index in step.
async fn bigrams_of_older_rows_are_filled(app: TestApp) {
    let s = &app.seed;
    let a = customer(
        &app,
        "杭州永辉商贸",
        "B-001",
        s.hangzhou,
        json!({ "contacts": [contact("张伟")] }),
    )
    .await;
    let b = customer(&app, "Golden Tripod", "B-002", s.beijing, json!({})).await;
    // More rows than one fill statement takes (500), each with its own bigrams.
    let mut many = Vec::new();
    for i in 0..520 {
        many.push(
            customer(
                &app,
                &format!("批量{}号", 1000 + i),
                &format!("M-{i:03}"),
                s.hangzhou,
                json!({}),
            )
            .await,
        );
    }
    let all = ScopeTerritories::All;
    let found = |q: &'static str| {
        let db = app.db.clone();
        let all = all.clone();
        async move {
            let f = CustomerFilter {
                query: Some(q.to_owned()),
                ..CustomerFilter::default()
            };
            let page = customer_list::list(&db, &all, &f, None, 25).await.unwrap();
            page.rows.iter().map(|r| r.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(found("张伟").await, [a]);
    // As before the migration: no bigrams, so not in the index.
    sqlx::query("UPDATE customers SET search_bigrams = NULL")
        .execute(app.db.pool())
        .await
        .unwrap();
    assert!(found("张伟").await.is_empty(), "looked up in the index");
    let filled = customer_list::fill_search_bigrams(&app.db, 7)
        .await
        .unwrap();
    assert_eq!(filled, 522);
    sqlx::query("UPDATE customers SET search_bigrams = NULL")
        .execute(app.db.pool())
        .await
        .unwrap();
    let filled = customer_list::fill_search_bigrams(&app.db, 2000)
        .await
        .unwrap();
    assert_eq!(filled, 522);
    // Each row got its own bigrams ("1519" is one customer's number: pairs 15, 51, 19).
    let f = CustomerFilter {
        query: Some("51".to_owned()),
        ..CustomerFilter::default()
    };
    let page = customer_list::list(&app.db, &all, &f, None, 600)
        .await
        .unwrap();
    let got: BTreeSet<DocId> = page.rows.iter().map(|r| r.id).collect();
    let want: BTreeSet<DocId> = (0..520)
        .filter(|i| format!("批量{}号 m-{i:03}", 1000 + i).contains("51"))
        .map(|i| many[i])
        .collect();
    assert_eq!(got, want);
    assert_eq!(found("张伟").await, [a]);
    assert_eq!(found("go").await, [b]);
    // Nothing left to fill: migrating again is a no-op.
    app.db.migrate().await.unwrap();
    assert_eq!(
        customer_list::fill_search_bigrams(&app.db, 100)
            .await
            .unwrap(),
        0
    );
    // An edit replaces the row's bigrams in the index; a delete removes them.
    write::server_update(&app.db, &app.state.hub, a, None, "test", |v| {
        v["name"] = json!("杭州永辉超市");
        v["contacts"] = json!([]);
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(found("超市").await, [a]);
    assert!(found("张伟").await.is_empty());
    assert!(found("商贸").await.is_empty());
    sqlx::query("DELETE FROM customers WHERE id = $1")
        .bind(b.to_string())
        .execute(app.db.pool())
        .await
        .unwrap();
    assert!(found("go").await.is_empty());
}

backend_tests!(
    search_finds_contacts_and_chinese_substrings,
    bigrams_of_older_rows_are_filled,
    every_search_plan_gives_the_same_pages_and_counts,
    each_filter_narrows_the_list,
    keyset_paging_visits_every_row_exactly_once_in_order,
    saved_filters_are_per_user,
    column_preferences_are_remembered,
    bulk_reassign_moves_customers_and_devices_lose_them,
    export_matches_the_list_and_escapes_cells,
);

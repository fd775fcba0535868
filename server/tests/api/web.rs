//! The web back office: sessions, CSRF, scope, escaping, and create/edit through the document
//! path with the change in the card's history. Runs on SQLite and PostgreSQL.

use fieldcrm_core::DocId;
use fieldcrm_core::document::Kind;
use fieldcrm_server::demo_data;
use fieldcrm_server::sync::write;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::HeaderMap;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::TestApp;

/// A plain HTTP answer.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub(crate) fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The value of a cookie this response sets.
    pub(crate) fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }

    /// The first `name="_csrf" value="…"` of the page.
    pub(crate) fn csrf(&self) -> String {
        let marker = "name=\"_csrf\" value=\"";
        let at = self.body.find(marker).expect("csrf field") + marker.len();
        self.body[at..at + 64].to_owned()
    }
}

/// One request: method, path, cookies, extra headers, urlencoded form.
pub async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    cookies: &str,
    headers: &[(&str, &str)],
    form: Option<&[(&str, &str)]>,
) -> Page {
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
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let body = match form {
        Some(f) => {
            b = b.header("content-type", "application/x-www-form-urlencoded");
            serde_urlencoded::to_string(f).unwrap()
        }
        None => String::new(),
    };
    let response = sender
        .send_request(b.body(Full::new(Bytes::from(body))).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Page {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// A signed-in browser: its cookies and the session's CSRF token.
pub struct Browser {
    pub cookies: String,
    pub csrf: String,
}

impl Browser {
    pub(crate) async fn get(&self, app: &TestApp, path: &str) -> Page {
        send(app, Method::GET, path, &self.cookies, &[], None).await
    }
    pub(crate) async fn post(&self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> Page {
        let mut f = form.to_vec();
        f.push(("_csrf", &self.csrf));
        send(app, Method::POST, path, &self.cookies, &[], Some(&f)).await
    }
}

/// `POST /login` with a valid login CSRF cookie.
pub async fn login_page(app: &TestApp, username: &str, password: &str) -> Page {
    let form = send(app, Method::GET, "/login", "", &[], None).await;
    assert_eq!(form.status, StatusCode::OK);
    let token = form.set_cookie("fieldcrm_login_csrf").unwrap();
    assert_eq!(form.csrf(), token);
    send(
        app,
        Method::POST,
        "/login",
        &format!("fieldcrm_login_csrf={token}"),
        &[],
        Some(&[
            ("username", username),
            ("password", password),
            ("_csrf", &token),
        ]),
    )
    .await
}

/// Signs in and returns the browser.
pub async fn sign_in(app: &TestApp, username: &str) -> Browser {
    let r = login_page(app, username, "demo").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let token = r.set_cookie("fieldcrm_session").unwrap();
    let cookies = format!("fieldcrm_session={token}");
    let home = send(app, Method::GET, "/", &cookies, &[], None).await;
    assert_eq!(home.status, StatusCode::OK);
    Browser {
        csrf: home.csrf(),
        cookies,
    }
}

/// Seeds 3 customers (with visits) per demo city; returns (a Shanghai customer, a Beijing one).
async fn seed(app: &TestApp) -> (DocId, DocId) {
    let s = &app.seed;
    let mut cities = demo_data::cities(s.shanghai, s.hangzhou, s.beijing);
    for (c, rep) in cities.iter_mut().zip(["rep.sh", "rep.hz", "rep.bj"]) {
        c.rep = s.users.get(rep).copied();
    }
    demo_data::seed_customers(&app.db, &app.state.hub, &cities, 3, 7)
        .await
        .unwrap();
    let sh = create(app, "上海客户 Shanghai Co", s.shanghai).await;
    let bj = create(app, "北京客户 Beijing Co", s.beijing).await;
    (sh, bj)
}

async fn create(app: &TestApp, name: &str, territory: fieldcrm_core::TerritoryId) -> DocId {
    let id = DocId::new();
    let value =
        json!({ "name": name, "code": "T-1", "tier": "A", "territory": territory.to_string() });
    write::server_create(&app.db, &app.state.hub, Kind::Customer, id, &value, None)
        .await
        .unwrap();
    id
}

pub(crate) fn protected_gets(id: DocId) -> Vec<String> {
    vec![
        "/".into(),
        "/customers".into(),
        "/customers?q=x&tier=A&sort=updated&page=2".into(),
        "/customers/new".into(),
        format!("/customers/{id}"),
        format!("/customers/{id}?tab=history"),
        format!("/customers/{id}/edit"),
        "/visits".into(),
        format!("/visits/{id}"),
        format!("/visits/{id}/custom"),
        "/customers?cf.vip=gold&cf.size.min=1&cf.since.to=2026-01-01".into(),
        format!("/attachments/{}", "ab".repeat(32)),
        "/admin/logins".into(),
        "/admin/dictionary".into(),
        "/admin/dictionary/customer_tier".into(),
        "/admin/fields".into(),
        "/admin/fields/customer/vip".into(),
        "/admin".into(),
        "/admin/users".into(),
        "/admin/users?q=x&status=disabled&page=2".into(),
        "/admin/users/new".into(),
        format!("/admin/users/{id}"),
        format!("/admin/users/{id}/edit"),
        "/admin/departments".into(),
        format!("/admin/departments/{id}"),
        "/admin/territories".into(),
        format!("/admin/territories/{id}"),
        "/admin/roles".into(),
        "/admin/roles/new".into(),
        format!("/admin/roles/{id}"),
        "/admin/audit".into(),
        "/admin/audit?group=sync&verdict=rejected&page=2".into(),
        "/import".into(),
        format!("/import/{id}"),
        format!("/import/{id}/status"),
        format!("/import/{id}/errors.xlsx"),
        format!("/import/{id}/errors.csv"),
        "/customers?q=%E5%8D%8E%E8%81%94&industry=x&owner=&tag=vip&sort=code&dir=desc".into(),
        "/customers/columns".into(),
        "/customers/export?format=xlsx".into(),
        "/customers/export?format=csv&tier=A".into(),
        "/service/board".into(),
        "/service/board?date=2026-03-02".into(),
        "/service/tickets".into(),
        "/service/tickets?status=open&type=repair&priority=high&sla=1&from=2026-01-01".into(),
        "/service/tickets/new".into(),
        format!("/service/tickets/new?customer={id}"),
        format!("/service/tickets/{id}"),
        "/service/stats".into(),
        "/service/stats?from=2026-01-01&to=2026-01-31".into(),
        "/service/stats/export".into(),
        "/catalog".into(),
        "/catalog/products".into(),
        "/catalog/products?q=x&category=&active=1&page=2".into(),
        "/catalog/products/new".into(),
        format!("/catalog/products/{id}"),
        format!("/catalog/products/{id}/image"),
        "/catalog/categories".into(),
        "/catalog/price-lists".into(),
        "/catalog/price-lists/new".into(),
        format!("/catalog/price-lists/{id}"),
        "/catalog/import".into(),
        "/orders".into(),
        "/orders?status=confirmed&customer=x&number=SO&from=2026-01-01&to=2026-12-31&page=2".into(),
        "/orders/export".into(),
        "/orders/new".into(),
        format!("/orders/{id}"),
        format!("/orders/{id}/print"),
        "/payments".into(),
        "/payments?method=cash&from=2026-01-01&customer=x".into(),
        "/receivables".into(),
        "/receivables/overdue".into(),
        "/payments/export?format=csv&method=cash".into(),
        "/payments/export?format=xlsx".into(),
        "/receivables/export?format=csv".into(),
        "/receivables/overdue/export?format=xlsx".into(),
        "/contracts".into(),
        "/contracts?type=sales&status=active&date=end&from=2026-01-01".into(),
        "/contracts/new".into(),
        "/contracts/renewals?days=60".into(),
        format!("/contracts/{id}"),
        format!("/contracts/{id}/edit"),
        format!("/contracts/{id}/files/{}", "ab".repeat(32)),
    ]
}

pub(crate) fn protected_posts(id: DocId) -> Vec<String> {
    vec![
        "/logout".into(),
        "/lang".into(),
        "/customers".into(),
        format!("/customers/{id}"),
        "/admin/dictionary".into(),
        "/admin/dictionary/customer_tier".into(),
        "/admin/dictionary/customer_tier/entries".into(),
        "/admin/dictionary/customer_tier/entries/A".into(),
        "/admin/fields".into(),
        "/admin/fields/customer/vip".into(),
        "/admin/users".into(),
        format!("/admin/users/{id}"),
        format!("/admin/users/{id}/password"),
        format!("/admin/users/{id}/disable"),
        format!("/admin/users/{id}/enable"),
        format!("/admin/users/{id}/devices/{id}/revoke"),
        "/admin/departments".into(),
        format!("/admin/departments/{id}"),
        format!("/admin/departments/{id}/delete"),
        "/admin/territories".into(),
        format!("/admin/territories/{id}"),
        format!("/admin/territories/{id}/users"),
        "/admin/roles".into(),
        format!("/admin/roles/{id}"),
        format!("/admin/roles/{id}/delete"),
        "/import/upload".into(),
        format!("/import/{id}/preview"),
        format!("/import/{id}/dry-run"),
        format!("/import/{id}/run"),
        format!("/import/{id}/cancel"),
        "/customers/filters".into(),
        format!("/customers/filters/{}/delete", uuid::Uuid::now_v7()),
        "/customers/columns".into(),
        "/customers/reassign".into(),
        format!("/customers/{id}/reassign"),
        format!("/visits/{id}/custom"),
        "/service/tickets".into(),
        format!("/service/tickets/{id}/dispatch"),
        format!("/service/tickets/{id}/close"),
        format!("/service/tickets/{id}/cancel"),
        format!("/service/dispatches/{id}/reassign"),
        format!("/service/dispatches/{id}/reschedule"),
        format!("/service/dispatches/{id}/cancel"),
        format!("/service/dispatches/{id}/survey"),
        "/service/board/assign".into(),
        "/catalog/products".into(),
        format!("/catalog/products/{id}"),
        format!("/catalog/products/{id}/activate"),
        format!("/catalog/products/{id}/deactivate"),
        format!("/catalog/products/{id}/image/upload"),
        "/catalog/categories".into(),
        format!("/catalog/categories/{id}"),
        format!("/catalog/categories/{id}/delete"),
        "/catalog/price-lists".into(),
        format!("/catalog/price-lists/{id}"),
        format!("/catalog/price-lists/{id}/items"),
        format!("/catalog/price-lists/{id}/items/{id}/delete"),
        "/catalog/import/upload".into(),
        "/orders".into(),
        format!("/orders/{id}/submit"),
        format!("/orders/{id}/confirm"),
        format!("/orders/{id}/ship"),
        format!("/orders/{id}/complete"),
        format!("/orders/{id}/cancel"),
        format!("/orders/{id}/payments"),
        format!("/payments/{id}/reverse"),
        "/contracts".into(),
        format!("/contracts/{id}"),
        format!("/contracts/{id}/orders"),
        format!("/contracts/{id}/orders/{id}/unlink"),
        format!("/contracts/{id}/files"),
        format!("/contracts/{id}/files/{}/delete", "ab".repeat(32)),
    ]
}

async fn every_route_refuses_without_session(app: TestApp) {
    let (sh, _) = seed(&app).await;
    for path in protected_gets(sh) {
        let r = send(&app, Method::GET, &path, "", &[], None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "GET {path}");
        assert_eq!(r.location(), "/login", "GET {path}");
        let r = send(
            &app,
            Method::GET,
            &path,
            "",
            &[("hx-request", "true")],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "htmx GET {path}");
        // A made-up session is no session.
        let r = send(
            &app,
            Method::GET,
            &path,
            "fieldcrm_session=deadbeef",
            &[],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "forged GET {path}");
    }
    for path in protected_posts(sh) {
        let r = send(&app, Method::POST, &path, "", &[], Some(&[("name", "x")])).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "POST {path}");
        assert_eq!(r.location(), "/login");
        let r = send(
            &app,
            Method::POST,
            &path,
            "",
            &[("hx-request", "true")],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "htmx POST {path}");
    }
    // After logout the session is gone.
    let b = sign_in(&app, "office").await;
    let r = b.post(&app, "/logout", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = b.get(&app, "/customers").await;
    assert_eq!(r.location(), "/login");
}

async fn every_post_needs_the_csrf_token(app: TestApp) {
    let (sh, _) = seed(&app).await;
    let b = sign_in(&app, "office").await;
    let wrong = "0".repeat(64);
    for path in protected_posts(sh) {
        let form = [("name", "Changed"), ("lang", "en")];
        let r = send(&app, Method::POST, &path, &b.cookies, &[], Some(&form)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "no token: POST {path}");
        let mut with_wrong = form.to_vec();
        with_wrong.push(("_csrf", &wrong));
        let r = send(
            &app,
            Method::POST,
            &path,
            &b.cookies,
            &[],
            Some(&with_wrong),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "wrong token: POST {path}");
        let r = send(
            &app,
            Method::POST,
            &path,
            &b.cookies,
            &[("x-csrf-token", &wrong), ("hx-request", "true")],
            Some(&form),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "wrong header: POST {path}");
    }
    // Nothing changed, the session still works.
    let record = write::load_record(&app.db, sh).await.unwrap();
    assert_eq!(record["name"], "上海客户 Shanghai Co");
    assert_eq!(b.get(&app, "/").await.status, StatusCode::OK);
    // The header works as well as the field.
    let r = send(
        &app,
        Method::POST,
        "/lang",
        &b.cookies,
        &[("x-csrf-token", &b.csrf)],
        Some(&[("lang", "en")]),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Login: no cookie, wrong token.
    let form = [
        ("username", "office"),
        ("password", "demo"),
        ("_csrf", "abc"),
    ];
    let r = send(&app, Method::POST, "/login", "", &[], Some(&form)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(
        &app,
        Method::POST,
        "/login",
        "fieldcrm_login_csrf=xyz",
        &[],
        Some(&form),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.set_cookie("fieldcrm_session").is_none());
}

async fn sign_in_is_audited_throttled_and_refuses_phone_roles(app: TestApp) {
    let r = login_page(&app, "office", "demo").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let cookie = r
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("fieldcrm_session="))
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    for role in ["engineer", "partner"] {
        let r = login_page(&app, role, "demo").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}");
        assert!(r.body.contains("该账号使用手机应用"), "{}", r.body);
        assert!(r.set_cookie("fieldcrm_session").is_none());
    }
    let r = login_page(&app, "office", "wrong").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("用户名或密码错误"));
    for _ in 0..10 {
        login_page(&app, "rep.sh", "wrong").await;
    }
    let r = login_page(&app, "rep.sh", "demo").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.set_cookie("fieldcrm_session").is_none());
    let log = fieldcrm_server::db::audit::list(
        &app.db,
        &fieldcrm_server::db::audit::AuditFilter {
            action: Some("web.login".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let verdicts: Vec<_> = log.iter().filter_map(|r| r.entry.verdict.clone()).collect();
    for v in ["ok", "phone_app_only", "invalid_credentials", "throttled"] {
        assert!(verdicts.iter().any(|x| x == v), "{v} in {verdicts:?}");
    }
    // The admin sees it in the login log.
    let admin = sign_in(&app, "admin").await;
    let page = admin.get(&app, "/admin/logins").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("phone_app_only"));
}

async fn reps_stay_in_their_territories(app: TestApp) {
    let (sh, bj) = seed(&app).await;
    let rep = sign_in(&app, "rep.sh").await;
    assert_eq!(
        rep.get(&app, "/admin/logins").await.status,
        StatusCode::FORBIDDEN
    );
    let list = rep.get(&app, "/customers?q=co").await;
    assert!(list.body.contains("上海客户 Shanghai Co"));
    assert!(!list.body.contains("北京客户 Beijing Co"));
    assert_eq!(
        rep.get(&app, &format!("/customers/{sh}")).await.status,
        StatusCode::OK
    );
    for path in [
        format!("/customers/{bj}"),
        format!("/customers/{bj}?tab=history"),
        format!("/customers/{bj}/edit"),
    ] {
        assert_eq!(
            rep.get(&app, &path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let r = rep
        .post(
            &app,
            &format!("/customers/{bj}"),
            &[
                ("name", "hijack"),
                ("territory", &app.seed.beijing.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Nor may a rep move their customer out, or create one elsewhere.
    let r = rep
        .post(
            &app,
            &format!("/customers/{sh}"),
            &[
                ("name", "moved"),
                ("territory", &app.seed.beijing.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = rep
        .post(
            &app,
            "/customers",
            &[
                ("name", "elsewhere"),
                ("territory", &app.seed.beijing.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        write::load_record(&app.db, bj).await.unwrap()["name"],
        "北京客户 Beijing Co"
    );
    // The filter by an out-of-scope territory shows nothing.
    let r = rep
        .get(&app, &format!("/customers?territory={}", app.seed.beijing))
        .await;
    assert!(r.body.contains("id=\"no-customers\""));
    // Visits and dashboard are scoped too: the office sees more customers than the rep.
    let office = sign_in(&app, "office").await;
    let figure = |body: &str| -> i64 {
        let at = body.find("id=\"fig-customers\">").unwrap() + "id=\"fig-customers\">".len();
        body[at..body[at..].find('<').unwrap() + at]
            .parse()
            .unwrap()
    };
    assert_eq!(figure(&office.get(&app, "/").await.body), 11);
    assert_eq!(figure(&rep.get(&app, "/").await.body), 4);
    // The manager sees the East subtree (上海 + 杭州), not 北京.
    let manager = sign_in(&app, "manager.east").await;
    assert_eq!(figure(&manager.get(&app, "/").await.body), 7);
    let list = manager.get(&app, "/customers?q=co").await;
    assert!(
        list.body.contains("上海客户 Shanghai Co") && !list.body.contains("北京客户 Beijing Co")
    );
    assert_eq!(
        manager.get(&app, &format!("/customers/{bj}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        manager.get(&app, "/admin/logins").await.status,
        StatusCode::FORBIDDEN
    );

    // A visit checked in now counts this week, for its rep, in scope only.
    let now = fieldcrm_server::db::now_ms();
    let visit = json!({
        "customer": sh.to_string(),
        "rep": app.seed.users["rep.sh"].to_string(),
        "check_in": { "at": now },
        "purpose": "本周拜访 this week",
    });
    let week = |body: &str| -> i64 {
        let m = "id=\"fig-visits-week\">";
        let at = body.find(m).unwrap() + m.len();
        body[at..body[at..].find('<').unwrap() + at]
            .parse()
            .unwrap()
    };
    let bj_rep = sign_in(&app, "rep.bj").await;
    let (office_before, bj_before) = (
        week(&office.get(&app, "/").await.body),
        week(&bj_rep.get(&app, "/").await.body),
    );
    write::server_create(
        &app.db,
        &app.state.hub,
        Kind::Visit,
        DocId::new(),
        &visit,
        None,
    )
    .await
    .unwrap();
    let dash = office.get(&app, "/").await;
    assert_eq!(week(&dash.body), office_before + 1);
    assert!(dash.body.contains("上海销售 Shanghai Rep"));
    assert_eq!(week(&bj_rep.get(&app, "/").await.body), bj_before);
    let visits = rep.get(&app, "/visits").await;
    assert_eq!(visits.status, StatusCode::OK);
    assert!(visits.body.contains("本周拜访 this week"));
    assert!(
        !bj_rep
            .get(&app, "/visits")
            .await
            .body
            .contains("本周拜访 this week")
    );
}

async fn disabled_users_lose_their_session(app: TestApp) {
    let b = sign_in(&app, "office").await;
    fieldcrm_server::db::users::set_disabled(&app.db, "office", true)
        .await
        .unwrap();
    let r = b.get(&app, "/customers").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login");
    let r = login_page(&app, "office", "demo").await;
    assert!(r.set_cookie("fieldcrm_session").is_none());
    assert!(r.body.contains("该账号已停用"));
}

async fn hostile_strings_render_inert(app: TestApp) {
    let hostile = [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
    ];
    let mut ids = Vec::new();
    for h in hostile {
        ids.push(create(&app, h, app.seed.shanghai).await);
    }
    let b = sign_in(&app, "office").await;
    let mut pages = vec![
        b.get(&app, "/customers").await,
        b.get(&app, "/customers?q=alert").await,
        send(
            &app,
            Method::GET,
            "/customers?q=alert",
            &b.cookies,
            &[("hx-request", "true")],
            None,
        )
        .await,
    ];
    for id in &ids {
        for tab in ["", "?tab=history"] {
            pages.push(b.get(&app, &format!("/customers/{id}{tab}")).await);
        }
        pages.push(b.get(&app, &format!("/customers/{id}/edit")).await);
    }
    // A search string echoed back into the form.
    pages.push(
        b.get(
            &app,
            "/customers?q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
        )
        .await,
    );
    for (i, p) in pages.iter().enumerate() {
        assert_eq!(p.status, StatusCode::OK);
        assert!(!p.body.contains("<script>alert"), "{}", p.body);
        assert!(!p.body.contains("<img src=x"), "{}", p.body);
        assert!(
            p.body.contains("&#60;script&#62;alert(1)") || p.body.contains("&#60;img src=x"),
            "page {i}: {}",
            p.body
        );
        let csp = p
            .headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(p.headers.get("x-content-type-options").unwrap(), "nosniff");
    }
    // No inline script anywhere: every <script has a src.
    for p in &pages {
        for (i, _) in p.body.match_indices("<script") {
            assert!(
                p.body[i..].starts_with("<script src=\"/assets/"),
                "inline script"
            );
        }
    }
}

async fn back_office_edits_are_documents_with_history(app: TestApp) {
    let office = sign_in(&app, "office").await;
    let sh = app.seed.shanghai.to_string();
    // Validation errors come back on the form.
    let r = office
        .post(
            &app,
            "/customers",
            &[
                ("name", "Bad Mail Co"),
                ("email", "not-an-email"),
                ("territory", &sh),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"form-errors\""));
    assert!(r.body.contains("value=\"Bad Mail Co\""));
    let r = office
        .post(
            &app,
            "/customers",
            &[
                ("name", "华联超市 Hualian"),
                ("code", "C-WEB-1"),
                ("tier", "B"),
                ("phones", "021-5555 0101"),
                ("city", "上海"),
                ("territory", &sh),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = DocId::parse(r.location().trim_start_matches("/customers/")).unwrap();
    let record = write::load_record(&app.db, id).await.unwrap();
    assert_eq!(record["name"], "华联超市 Hualian");
    assert_eq!(record["tier"], "B");
    assert_eq!(record["territory"], sh);
    // Searchable by phone and code.
    for q in ["5555", "c-web-1", "hualian"] {
        let list = office.get(&app, &format!("/customers?q={q}")).await;
        assert!(list.body.contains("华联超市 Hualian"), "{q}");
    }
    // Edit a field.
    let r = office
        .post(
            &app,
            &format!("/customers/{id}"),
            &[
                ("name", "华联超市 Hualian"),
                ("code", "C-WEB-1"),
                ("tier", "A"),
                ("phones", "021-5555 0101"),
                ("city", "上海"),
                ("territory", &sh),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(write::load_record(&app.db, id).await.unwrap()["tier"], "A");
    let card = office
        .get(&app, &format!("/customers/{id}?tab=history"))
        .await;
    assert_eq!(card.status, StatusCode::OK);
    assert_eq!(
        card.body.matches("class=\"history-entry\"").count(),
        2,
        "{}",
        card.body
    );
    assert!(card.body.contains("内勤 Office"));
    assert!(
        card.body
            .contains("<span class=\"old\">B</span> → <span class=\"new\">A</span>"),
        "{}",
        card.body
    );
    // htmx tab switch: only the partial.
    let tab = send(
        &app,
        Method::GET,
        &format!("/customers/{id}?tab=history"),
        &office.cookies,
        &[("hx-request", "true")],
        None,
    )
    .await;
    assert!(!tab.body.contains("<html") && tab.body.contains("history-entry"));
    // The edit reached the change feed like a phone edit (the document's sequence moved on).
    assert!(
        fieldcrm_server::db::documents::current_seq(&app.db)
            .await
            .unwrap()
            >= 2
    );
}

/// A phone's edit (an Automerge change by the rep, pushed through sync) shows in the card's
/// history with the rep, the device and the old → new value; the office's edit after it too.
async fn device_edits_show_in_history_with_user_and_device(app: TestApp) {
    use fieldcrm_core::document;
    use fieldcrm_server::db::{devices, documents};
    let (sh, _) = seed(&app).await;
    let rep = app.seed.users["rep.sh"];
    let device = devices::register(&app.db, rep, "张三的手机 phone")
        .await
        .unwrap();
    let mut w = documents::begin_read(&app.db).await.unwrap();
    let stored = documents::load_for_write(&mut w, sh)
        .await
        .unwrap()
        .unwrap();
    w.rollback().await.unwrap();
    let mut doc = document::load(&stored.data).unwrap();
    let mut value = document::typed_json(Kind::Customer, &doc).unwrap();
    value["notes"] = json!("回访 follow-up <b>bold</b>");
    let change = document::write_json(
        Kind::Customer,
        &mut doc,
        &value,
        document::author_for(rep),
        "edit",
    )
    .unwrap()
    .unwrap();
    let outcome = write::push(
        &app.db,
        &app.state.hub,
        write::Pusher {
            user: rep,
            device: device.id,
            role: fieldcrm_core::Role::Rep,
        },
        sh,
        Kind::Customer,
        vec![change],
    )
    .await
    .unwrap();
    assert!(outcome.seq.is_some(), "{:?}", outcome.verdict);
    let office = sign_in(&app, "office").await;
    let card = office
        .get(&app, &format!("/customers/{sh}?tab=history"))
        .await;
    assert_eq!(card.status, StatusCode::OK);
    let entry = card.body.split("class=\"history-entry\"").nth(1).unwrap();
    assert!(entry.contains("上海销售 Shanghai Rep"), "{entry}");
    assert!(entry.contains("张三的手机 phone"), "{entry}");
    assert!(
        entry.contains("回访 follow-up &#60;b&#62;bold&#60;/b&#62;"),
        "{entry}"
    );
    assert!(!entry.contains("1970-01-01"), "{entry}");
    assert!(!card.body.contains("1970-01-01"), "{}", card.body);
}

async fn language_switch_is_remembered(app: TestApp) {
    let b = sign_in(&app, "office").await;
    assert!(b.get(&app, "/").await.body.contains("概览"));
    let r = b
        .post(&app, "/lang", &[("lang", "en"), ("back", "/customers")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/customers");
    assert_eq!(r.set_cookie("fieldcrm_lang").as_deref(), Some("en"));
    let cookies = format!("{}; fieldcrm_lang=en", b.cookies);
    let page = send(&app, Method::GET, "/", &cookies, &[], None).await;
    assert!(page.body.contains("Dashboard") && page.body.contains("lang=\"en\""));
    // Off-site redirects are refused.
    let r = b
        .post(
            &app,
            "/lang",
            &[("lang", "zh-CN"), ("back", "//evil.example")],
        )
        .await;
    assert_eq!(r.location(), "/");
    let login = send(&app, Method::GET, "/login?lang=en", "", &[], None).await;
    assert!(login.body.contains("Sign in"));
}

async fn assets_are_served_from_the_binary(app: TestApp) {
    for (path, ty) in [
        ("/assets/vendor/htmx/htmx.min.js", "text/javascript"),
        ("/assets/vendor/htmx/LICENSE", "text/plain"),
        ("/assets/app.css", "text/css"),
        ("/assets/app.js", "text/javascript"),
    ] {
        let r = send(&app, Method::GET, path, "", &[], None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(r.headers["content-type"].to_str().unwrap().starts_with(ty));
        assert!(
            r.headers["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age")
        );
    }
    let r = send(&app, Method::GET, "/assets/../Cargo.toml", "", &[], None).await;
    assert_ne!(r.status, StatusCode::OK);
}

/// With `secure_cookies`, every cookie the back office sets is `Secure`; without, none is
/// (plain http would lose them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_are_secure_when_configured() {
    let secure = |p: &Page| -> Vec<bool> {
        p.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().ends_with("; Secure"))
            .collect()
    };
    let plain = crate::helpers::spawn_app().await;
    let r = login_page(&plain, "office", "demo").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!secure(&r).is_empty() && secure(&r).iter().all(|s| !s));

    let app = crate::helpers::spawn_app_with(
        fieldcrm_server::db::Backend::Sqlite,
        fieldcrm_server::settings::SettingsLayer {
            secure_cookies: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let form = send(&app, Method::GET, "/login", "", &[], None).await;
    assert!(!secure(&form).is_empty() && secure(&form).iter().all(|s| *s));
    let r = login_page(&app, "office", "demo").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The session and the cleared login token, both Secure, each once.
    assert_eq!(secure(&r), [true, true]);
    let b = sign_in(&app, "office").await;
    let switched = send(
        &app,
        Method::POST,
        "/lang",
        &b.cookies,
        &[],
        Some(&[("lang", "en"), ("back", "/"), ("_csrf", &b.csrf)]),
    )
    .await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER);
    assert_eq!(secure(&switched), [true]);
}

backend_tests!(
    every_route_refuses_without_session,
    every_post_needs_the_csrf_token,
    sign_in_is_audited_throttled_and_refuses_phone_roles,
    reps_stay_in_their_territories,
    hostile_strings_render_inert,
    back_office_edits_are_documents_with_history,
    device_edits_show_in_history_with_user_and_device,
    language_switch_is_remembered,
    disabled_users_lose_their_session,
    assets_are_served_from_the_binary,
);

//! Back-office administration of users on SQLite and PostgreSQL: create → sign in (web and
//! phone) with role, department and territories; edit with old → new audited; disable (sessions
//! and devices stop working) and enable; password reset; device revocation; that reps, managers
//! and office staff get 403 on every administration route; hostile names render inert. The
//! organisation, roles, data scope and audit viewer are in `admin_org`. Shared helpers here.

use fieldcrm_core::document::Kind;
use fieldcrm_core::{DocId, Role, TerritoryId, UserId};
use fieldcrm_server::db::audit::{self, AuditFilter};
use fieldcrm_server::db::{departments, devices, roles, territories, users};
use fieldcrm_server::sync::write;
use hyper::{Method, StatusCode};
use serde_json::json;

use crate::backend_tests;
use crate::helpers::TestApp;
use crate::web::{Browser, Page, login_page, send, sign_in};

/// Signs in with a password; panics unless it works.
pub(crate) async fn sign_in_with(app: &TestApp, username: &str, password: &str) -> Browser {
    let r = login_page(app, username, password).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{username}: {}", r.body);
    let token = r.set_cookie("fieldcrm_session").unwrap();
    let cookies = format!("fieldcrm_session={token}");
    let home = send(app, Method::GET, "/", &cookies, &[], None).await;
    assert_eq!(home.status, StatusCode::OK);
    Browser {
        csrf: home.csrf(),
        cookies,
    }
}

pub(crate) async fn role_id(app: &TestApp, name: &str) -> String {
    roles::list(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("role {name}"))
        .id
        .to_string()
}

pub(crate) async fn system_role_id(app: &TestApp, kind: Role) -> String {
    roles::system_role(&app.db, kind)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

pub(crate) async fn customer(
    app: &TestApp,
    name: &str,
    territory: TerritoryId,
    owner: Option<UserId>,
) -> DocId {
    let id = DocId::new();
    let mut value =
        json!({ "name": name, "code": "T", "tier": "A", "territory": territory.to_string() });
    if let Some(o) = owner {
        value["owner"] = json!(o.to_string());
    }
    write::server_create(&app.db, &app.state.hub, Kind::Customer, id, &value, None)
        .await
        .unwrap();
    id
}

pub(crate) async fn visit(app: &TestApp, customer: DocId, rep: UserId, purpose: &str) {
    let value = json!({
        "customer": customer.to_string(),
        "rep": rep.to_string(),
        "check_in": { "at": fieldcrm_server::db::now_ms() },
        "purpose": purpose,
    });
    write::server_create(
        &app.db,
        &app.state.hub,
        Kind::Visit,
        DocId::new(),
        &value,
        None,
    )
    .await
    .unwrap();
}

pub(crate) fn assert_status(p: &Page, status: StatusCode, what: &str) {
    assert_eq!(p.status, status, "{what}: {}", p.body);
}

async fn created_user_signs_in_with_role_department_and_territories(app: TestApp) {
    let admin = sign_in(&app, "admin").await;
    let form = admin.get(&app, "/admin/users/new").await;
    assert_status(&form, StatusCode::OK, "new form");
    assert!(form.body.contains("上海") && form.body.contains("name=\"territory\""));
    let r = admin
        .post(
            &app,
            "/admin/departments",
            &[("name", "销售部 Sales"), ("parent", "")],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "department");
    let sales = departments::list(&app.db).await.unwrap()[0].id.to_string();
    let rep_role = system_role_id(&app, Role::Rep).await;
    let sh = app.seed.shanghai.to_string();
    let fields = |username: &'static str, password: &'static str| {
        vec![
            ("username", username),
            ("display_name", "张三 Zhang San"),
            ("password", password),
        ]
    };
    // Invalid input comes back on the form, nothing is created.
    let mut bad = fields("has space", "long-enough-1");
    bad.extend([("role", rep_role.as_str()), ("territory", sh.as_str())]);
    let r = admin.post(&app, "/admin/users", &bad).await;
    assert_status(&r, StatusCode::UNPROCESSABLE_ENTITY, "bad username");
    assert!(r.body.contains("id=\"form-errors\""));
    let mut short = fields("zhang.san", "short");
    short.extend([("role", rep_role.as_str())]);
    let r = admin.post(&app, "/admin/users", &short).await;
    assert_status(&r, StatusCode::UNPROCESSABLE_ENTITY, "short password");
    assert!(
        users::get_by_username(&app.db, "zhang.san")
            .await
            .unwrap()
            .is_none()
    );

    let mut good = fields("zhang.san", "init-pass-123");
    good.extend([
        ("role", rep_role.as_str()),
        ("department", sales.as_str()),
        ("territory", sh.as_str()),
    ]);
    let r = admin.post(&app, "/admin/users", &good).await;
    assert_status(&r, StatusCode::SEE_OTHER, "create");
    let created = users::get_by_username(&app.db, "zhang.san")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.location(), format!("/admin/users/{}", created.id));
    assert_eq!(created.role, Role::Rep);
    assert_eq!(created.role_id.unwrap().to_string(), rep_role);
    assert_eq!(created.department_id.unwrap().to_string(), sales);
    assert_eq!(
        territories::user_territories(&app.db, created.id)
            .await
            .unwrap(),
        vec![app.seed.shanghai]
    );
    let r = admin.post(&app, "/admin/users", &good).await;
    assert_status(&r, StatusCode::UNPROCESSABLE_ENTITY, "duplicate");
    assert!(r.body.contains("用户名已被使用"));

    // The new user signs in, on the web and on a phone, and sees Shanghai only.
    let sh_customer = customer(&app, "上海新客户 New SH", app.seed.shanghai, None).await;
    let bj_customer = customer(&app, "北京新客户 New BJ", app.seed.beijing, None).await;
    let zhang = sign_in_with(&app, "zhang.san", "init-pass-123").await;
    let list = zhang.get(&app, "/customers?q=new").await;
    assert!(list.body.contains("上海新客户") && !list.body.contains("北京新客户"));
    assert!(zhang.get(&app, "/").await.body.contains("张三 Zhang San"));
    assert_eq!(
        zhang
            .get(&app, &format!("/customers/{bj_customer}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        zhang
            .get(&app, &format!("/customers/{sh_customer}"))
            .await
            .status,
        StatusCode::OK
    );
    app.login("zhang.san", "init-pass-123").await;
    // The list shows the user with role, department and territory; filters narrow it.
    let list = admin.get(&app, "/admin/users?q=zhang").await;
    assert!(list.body.contains("张三 Zhang San") && list.body.contains("销售部 Sales"));
    assert!(!list.body.contains("rep.bj"));
    let by_dept = admin
        .get(&app, &format!("/admin/users?department={sales}"))
        .await;
    assert!(by_dept.body.contains("zhang.san") && !by_dept.body.contains("rep.sh"));
    let by_role = admin
        .get(&app, &format!("/admin/users?role={rep_role}"))
        .await;
    assert!(by_role.body.contains("rep.sh") && !by_role.body.contains(">office<"));
    let partial = send(
        &app,
        Method::GET,
        "/admin/users?status=disabled",
        &admin.cookies,
        &[("hx-request", "true")],
        None,
    )
    .await;
    assert!(!partial.body.contains("<html") && partial.body.contains("id=\"no-users\""));
    // Audited with who did it.
    let log = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("user.create".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].entry.user_id, Some(app.seed.users["admin"]));
    assert_eq!(log[0].entry.detail["username"], "zhang.san");
    assert_eq!(log[0].entry.detail["territories"], json!(["上海"]));
    assert!(!log[0].entry.detail.to_string().contains("init-pass-123"));

    // Edit: display name, department cleared, territory moved to Beijing; old → new audited.
    let bj = app.seed.beijing.to_string();
    let r = admin
        .post(
            &app,
            &format!("/admin/users/{}", created.id),
            &[
                ("display_name", "张三丰"),
                ("role", rep_role.as_str()),
                ("department", ""),
                ("territory", bj.as_str()),
            ],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "edit");
    let after = users::get(&app.db, created.id).await.unwrap().unwrap();
    assert_eq!(after.display_name, "张三丰");
    assert_eq!(after.department_id, None);
    let list = zhang.get(&app, "/customers?q=new").await;
    assert!(!list.body.contains("上海新客户") && list.body.contains("北京新客户"));
    let log = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("user.update".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    let changes = &log[0].entry.detail["changes"];
    assert_eq!(changes["display_name"], json!(["张三 Zhang San", "张三丰"]));
    assert_eq!(changes["department"], json!(["销售部 Sales", null]));
    assert_eq!(changes["territories"], json!([["上海"], ["北京"]]));
}

async fn disabled_users_are_locked_out_everywhere(app: TestApp) {
    let admin = sign_in(&app, "admin").await;
    let rep = sign_in(&app, "rep.sh").await;
    let phone = app.login("rep.sh", "demo").await;
    let id = app.seed.users["rep.sh"];
    let r = admin
        .post(&app, &format!("/admin/users/{id}/disable"), &[])
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "disable");
    assert!(users::get(&app.db, id).await.unwrap().unwrap().disabled);
    // The web session is gone, sign-in is refused, the phone's refresh and API calls fail.
    let r = rep.get(&app, "/customers").await;
    assert_eq!(r.location(), "/login");
    let r = login_page(&app, "rep.sh", "demo").await;
    assert!(r.set_cookie("fieldcrm_session").is_none());
    assert!(r.body.contains("该账号已停用"));
    assert_ne!(
        app.refresh(&phone.refresh_token).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/devices", Some(&phone.access_token))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_ne!(app.login_raw("rep.sh", "demo").await.status, StatusCode::OK);
    let page = admin.get(&app, &format!("/admin/users/{id}")).await;
    assert!(page.body.contains("id=\"user-disabled\"") && page.body.contains("id=\"enable-user\""));
    // Enabled again, they sign in.
    let r = admin
        .post(&app, &format!("/admin/users/{id}/enable"), &[])
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "enable");
    sign_in(&app, "rep.sh").await;
    app.login("rep.sh", "demo").await;
    // Nobody disables themselves.
    let me = app.seed.users["admin"];
    let r = admin
        .post(&app, &format!("/admin/users/{me}/disable"), &[])
        .await;
    assert_status(&r, StatusCode::UNPROCESSABLE_ENTITY, "self");
    assert!(!users::get(&app.db, me).await.unwrap().unwrap().disabled);
    let actions: Vec<String> = audit::list(
        &app.db,
        &AuditFilter {
            action_prefixes: vec!["user.".into()],
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap()
    .into_iter()
    .map(|r| r.entry.action)
    .collect();
    assert_eq!(actions, ["user.enable", "user.disable"]);
}

async fn password_reset_replaces_the_password(app: TestApp) {
    let admin = sign_in(&app, "admin").await;
    let id = app.seed.users["rep.hz"];
    let r = admin
        .post(
            &app,
            &format!("/admin/users/{id}/password"),
            &[("password", "short")],
        )
        .await;
    assert_status(&r, StatusCode::UNPROCESSABLE_ENTITY, "short");
    sign_in(&app, "rep.hz").await;
    let r = admin
        .post(
            &app,
            &format!("/admin/users/{id}/password"),
            &[("password", "brand-new-pass")],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "reset");
    assert!(r.location().ends_with("?done=password"));
    let r = login_page(&app, "rep.hz", "demo").await;
    assert!(r.set_cookie("fieldcrm_session").is_none(), "old password");
    sign_in_with(&app, "rep.hz", "brand-new-pass").await;
    app.login("rep.hz", "brand-new-pass").await;
    let log = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("user.password_reset".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(log.len(), 1);
    assert!(!log[0].entry.detail.to_string().contains("brand-new-pass"));
}

async fn revoking_a_device_kills_its_refresh_token(app: TestApp) {
    let phone = app.login("rep.bj", "demo").await;
    let laptop = app.login("rep.bj", "demo").await;
    let admin = sign_in(&app, "admin").await;
    let id = app.seed.users["rep.bj"];
    let page = admin.get(&app, &format!("/admin/users/{id}")).await;
    assert_status(&page, StatusCode::OK, "user page");
    assert!(page.body.contains("test phone"));
    assert_eq!(page.body.matches("/revoke\"").count(), 2);
    // Another user's device id under this user is not found.
    let other = app.login("rep.sh", "demo").await;
    let r = admin
        .post(
            &app,
            &format!("/admin/users/{id}/devices/{}/revoke", other.device_id),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = admin
        .post(
            &app,
            &format!("/admin/users/{id}/devices/{}/revoke", phone.device_id),
            &[],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "revoke");
    assert_eq!(
        app.refresh(&phone.refresh_token).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/v1/devices", Some(&phone.access_token))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // The other device still works.
    assert_eq!(
        app.refresh(&laptop.refresh_token).await.status,
        StatusCode::OK
    );
    let page = admin.get(&app, &format!("/admin/users/{id}")).await;
    assert_eq!(page.body.matches("/revoke\"").count(), 1);
    let d = devices::get(&app.db, phone.device_id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(d.is_revoked());
    let log = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("device.revoke".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(log[0].entry.user_id, Some(app.seed.users["admin"]));
    assert_eq!(log[0].entry.detail["owner"], id.to_string());
}

async fn reps_and_managers_get_403_on_every_administration_route(app: TestApp) {
    let id = DocId::new();
    for who in ["rep.sh", "manager.east", "office"] {
        let b = sign_in(&app, who).await;
        assert!(
            !b.get(&app, "/").await.body.contains("id=\"nav-admin\""),
            "{who}"
        );
        for path in crate::web::protected_gets(id)
            .into_iter()
            .filter(|p| p.starts_with("/admin"))
        {
            assert_eq!(
                b.get(&app, &path).await.status,
                StatusCode::FORBIDDEN,
                "{who} GET {path}"
            );
        }
        for path in crate::web::protected_posts(id)
            .into_iter()
            .filter(|p| p.starts_with("/admin"))
        {
            let r = b
                .post(
                    &app,
                    &path,
                    &[("name", "x"), ("password", "long-enough-pw")],
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} POST {path}");
        }
    }
    assert_eq!(departments::list(&app.db).await.unwrap().len(), 0);
    // The admin sees the area.
    let admin = sign_in(&app, "admin").await;
    let page = admin.get(&app, "/admin").await;
    for section in [
        "admin-users",
        "admin-departments",
        "admin-territories",
        "admin-roles",
        "admin-audit",
    ] {
        assert!(
            page.body.contains(&format!("id=\"{section}\"")),
            "{section}"
        );
    }
}

async fn hostile_names_render_inert_in_administration(app: TestApp) {
    let admin = sign_in(&app, "admin").await;
    let script = "<script>alert(1)</script>";
    let img = "\"><img src=x onerror=alert(1)>";
    let r = admin
        .post(&app, "/admin/departments", &[("name", img), ("parent", "")])
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "department");
    let r = admin
        .post(
            &app,
            "/admin/territories",
            &[("name", script), ("parent", "")],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "territory");
    let r = admin
        .post(
            &app,
            "/admin/roles",
            &[
                ("name", "=cmd|' /C calc'!A0 <script>x</script>"),
                ("kind", "rep"),
                ("scope", "self"),
            ],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "role");
    let rep_role = system_role_id(&app, Role::Rep).await;
    let dept = departments::list(&app.db).await.unwrap()[0].id.to_string();
    let r = admin
        .post(
            &app,
            "/admin/users",
            &[
                ("username", "evil"),
                ("display_name", script),
                ("role", &rep_role),
                ("department", &dept),
                ("password", "evil-password"),
            ],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "user");
    let evil = users::get_by_username(&app.db, "evil")
        .await
        .unwrap()
        .unwrap()
        .id;
    let territory = territories::list(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == script)
        .unwrap()
        .id;
    let role = role_id(&app, "=cmd|' /C calc'!A0 <script>x</script>").await;
    for path in [
        "/admin/users".to_owned(),
        "/admin/users?q=%3Cscript%3E".to_owned(),
        format!("/admin/users/{evil}"),
        format!("/admin/users/{evil}/edit"),
        "/admin/users/new".to_owned(),
        "/admin/departments".to_owned(),
        format!("/admin/departments/{dept}"),
        "/admin/territories".to_owned(),
        format!("/admin/territories/{territory}"),
        "/admin/roles".to_owned(),
        format!("/admin/roles/{role}"),
        "/admin/audit".to_owned(),
    ] {
        let p = admin.get(&app, &path).await;
        assert_status(&p, StatusCode::OK, &path);
        assert!(
            !p.body.contains("<script>alert") && !p.body.contains("<script>x"),
            "{path}"
        );
        assert!(!p.body.contains("<img src=x"), "{path}");
        for (i, _) in p.body.match_indices("<script") {
            assert!(
                p.body[i..].starts_with("<script src=\"/assets/"),
                "{path}: inline script"
            );
        }
    }
}

backend_tests!(
    created_user_signs_in_with_role_department_and_territories,
    disabled_users_are_locked_out_everywhere,
    password_reset_replaces_the_password,
    revoking_a_device_kills_its_refresh_token,
    reps_and_managers_get_403_on_every_administration_route,
    hostile_names_render_inert_in_administration,
);

//! Back-office administration on SQLite and PostgreSQL: users (create → sign in, disable,
//! password reset, device revocation), the department and territory trees (cycles refused,
//! territory assignments change what a rep sees), roles (permission changes take effect on the
//! next request, data scope self / department / department and below / all changes the visit
//! list and the dashboard), the audit viewer's filters, and that reps and managers get 403 on
//! every administration route.

use fieldcrm_core::document::{self, Kind};
use fieldcrm_core::{DocId, Role, TerritoryId, UserId};
use fieldcrm_server::auth::permissions::DataScope;
use fieldcrm_server::db::audit::{self, AuditEntry, AuditFilter};
use fieldcrm_server::db::{departments, devices, documents, roles, territories, users};
use fieldcrm_server::sync::write;
use hyper::{Method, StatusCode};
use serde_json::json;

use crate::backend_tests;
use crate::helpers::TestApp;
use crate::web::{Browser, Page, login_page, send, sign_in};

/// Signs in with a password; panics unless it works.
async fn sign_in_with(app: &TestApp, username: &str, password: &str) -> Browser {
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

async fn role_id(app: &TestApp, name: &str) -> String {
    roles::list(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("role {name}"))
        .id
        .to_string()
}

async fn system_role_id(app: &TestApp, kind: Role) -> String {
    roles::system_role(&app.db, kind)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

async fn customer(
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

async fn visit(app: &TestApp, customer: DocId, rep: UserId, purpose: &str) {
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

fn assert_status(p: &Page, status: StatusCode, what: &str) {
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

async fn trees_refuse_cycles_and_departments_delete_only_when_empty(app: TestApp) {
    let admin = sign_in(&app, "admin").await;
    // Territories: 华东 → 上海; moving 华东 under 上海 (or itself) is refused.
    let east = app.seed.east;
    let sh = app.seed.shanghai.to_string();
    for parent in [sh.as_str(), &east.to_string()] {
        let r = admin
            .post(
                &app,
                &format!("/admin/territories/{east}"),
                &[("name", "华东"), ("parent", parent)],
            )
            .await;
        assert_status(&r, StatusCode::UNPROCESSABLE_ENTITY, "territory cycle");
        assert!(r.body.contains("不能移动到自身或其下级之下"));
    }
    assert_eq!(
        territories::get(&app.db, east)
            .await
            .unwrap()
            .unwrap()
            .parent_id,
        None
    );
    // Create 浦东 under 上海, rename and move it under 华北.
    let r = admin
        .post(
            &app,
            "/admin/territories",
            &[("name", "浦东"), ("parent", sh.as_str())],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "create territory");
    let pd = territories::get_by_name(&app.db, "浦东")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pd.parent_id, Some(app.seed.shanghai));
    let r = admin
        .post(
            &app,
            &format!("/admin/territories/{}", pd.id),
            &[
                ("name", "浦东新区"),
                ("parent", &app.seed.north.to_string()),
            ],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "move territory");
    let pd = territories::get(&app.db, pd.id).await.unwrap().unwrap();
    assert_eq!(
        (pd.name.as_str(), pd.parent_id),
        ("浦东新区", Some(app.seed.north))
    );
    let r = admin
        .post(
            &app,
            "/admin/territories",
            &[("name", "上海"), ("parent", "")],
        )
        .await;
    assert_status(&r, StatusCode::UNPROCESSABLE_ENTITY, "duplicate territory");
    // The page's parent choices leave out the node's own subtree.
    let page = admin.get(&app, &format!("/admin/territories/{east}")).await;
    assert!(!page.body.contains(&format!("<option value=\"{sh}\"")));

    // Departments: 总部 → 销售部 → 华东组.
    for (name, parent) in [
        ("总部 HQ", None),
        ("销售部", Some("总部 HQ")),
        ("华东组", Some("销售部")),
    ] {
        let parent = match parent {
            Some(p) => departments::list(&app.db)
                .await
                .unwrap()
                .into_iter()
                .find(|d| d.name == p)
                .unwrap()
                .id
                .to_string(),
            None => String::new(),
        };
        let r = admin
            .post(
                &app,
                "/admin/departments",
                &[("name", name), ("parent", &parent)],
            )
            .await;
        assert_status(&r, StatusCode::SEE_OTHER, name);
    }
    let all = departments::list(&app.db).await.unwrap();
    let by = |n: &str| all.iter().find(|d| d.name == n).unwrap().id;
    let (hq, sales, east_team) = (by("总部 HQ"), by("销售部"), by("华东组"));
    let r = admin
        .post(
            &app,
            &format!("/admin/departments/{hq}"),
            &[("name", "总部 HQ"), ("parent", &east_team.to_string())],
        )
        .await;
    assert_status(&r, StatusCode::UNPROCESSABLE_ENTITY, "department cycle");
    assert_eq!(
        departments::get(&app.db, hq)
            .await
            .unwrap()
            .unwrap()
            .parent_id,
        None
    );
    let r = admin
        .post(&app, "/admin/departments", &[("name", ""), ("parent", "")])
        .await;
    assert_status(&r, StatusCode::UNPROCESSABLE_ENTITY, "empty name");
    // Not empty: has a subdepartment; then a member.
    let r = admin
        .post(&app, &format!("/admin/departments/{sales}/delete"), &[])
        .await;
    assert_status(&r, StatusCode::UNPROCESSABLE_ENTITY, "delete with child");
    let rep = app.seed.users["rep.sh"];
    let rep_role = system_role_id(&app, Role::Rep).await;
    let r = admin
        .post(
            &app,
            &format!("/admin/users/{rep}"),
            &[
                ("display_name", "上海销售 Shanghai Rep"),
                ("role", &rep_role),
                ("department", &east_team.to_string()),
                ("territory", &sh),
            ],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "member");
    let r = admin
        .post(&app, &format!("/admin/departments/{east_team}/delete"), &[])
        .await;
    assert_status(&r, StatusCode::UNPROCESSABLE_ENTITY, "delete with member");
    let page = admin
        .get(&app, &format!("/admin/departments/{east_team}"))
        .await;
    assert!(page.body.contains("上海销售 Shanghai Rep"));
    // Moved under HQ, emptied, deleted.
    let r = admin
        .post(
            &app,
            &format!("/admin/departments/{east_team}"),
            &[("name", "华东组"), ("parent", &hq.to_string())],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "move department");
    let r = admin
        .post(&app, &format!("/admin/departments/{sales}/delete"), &[])
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "delete empty");
    assert!(departments::get(&app.db, sales).await.unwrap().is_none());
    let actions: Vec<String> = audit::list(
        &app.db,
        &AuditFilter {
            action_prefixes: vec!["department.".into(), "territory.".into()],
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap()
    .into_iter()
    .map(|r| r.entry.action)
    .collect();
    assert_eq!(
        actions,
        [
            "department.delete",
            "department.update",
            "department.create",
            "department.create",
            "department.create",
            "territory.update",
            "territory.create"
        ]
    );
}

async fn a_rep_removed_from_a_territory_no_longer_sees_its_customers(app: TestApp) {
    customer(&app, "上海客户 Shanghai Co", app.seed.shanghai, None).await;
    let rep = sign_in(&app, "rep.sh").await;
    assert!(
        rep.get(&app, "/customers?q=co")
            .await
            .body
            .contains("上海客户 Shanghai Co")
    );
    let admin = sign_in(&app, "admin").await;
    let sh = app.seed.shanghai;
    let page = admin.get(&app, &format!("/admin/territories/{sh}")).await;
    let rep_id = app.seed.users["rep.sh"];
    assert!(
        page.body
            .contains(&format!("id=\"assign-{rep_id}\" checked"))
    );
    // Assign rep.hz, remove rep.sh.
    let hz = app.seed.users["rep.hz"].to_string();
    let r = admin
        .post(
            &app,
            &format!("/admin/territories/{sh}/users"),
            &[("user", &hz)],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "assign");
    assert!(
        !rep.get(&app, "/customers?q=co")
            .await
            .body
            .contains("上海客户 Shanghai Co")
    );
    let hz_rep = sign_in(&app, "rep.hz").await;
    assert!(
        hz_rep
            .get(&app, "/customers?q=co")
            .await
            .body
            .contains("上海客户 Shanghai Co")
    );
    // rep.hz keeps Hangzhou too.
    assert_eq!(
        territories::user_territories(&app.db, app.seed.users["rep.hz"])
            .await
            .unwrap()
            .len(),
        2
    );
    let log = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("territory.assign".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        log[0].entry.detail["added"],
        json!(["杭州销售 Hangzhou Rep"])
    );
    assert_eq!(
        log[0].entry.detail["removed"],
        json!(["上海销售 Shanghai Rep"])
    );
}

async fn role_permission_changes_take_effect_on_the_next_request(app: TestApp) {
    let admin = sign_in(&app, "admin").await;
    let r = admin
        .post(
            &app,
            "/admin/roles",
            &[
                ("name", "服务台 Helpdesk"),
                ("kind", "office"),
                ("scope", "all"),
                ("perm", "customers.view"),
                ("perm", "admin.users"),
            ],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "create role");
    let helpdesk_role = role_id(&app, "服务台 Helpdesk").await;
    let r = admin
        .post(
            &app,
            "/admin/users",
            &[
                ("username", "helpdesk"),
                ("display_name", "服务台"),
                ("role", &helpdesk_role),
                ("password", "helpdesk-pass"),
            ],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "create user");
    let hd = sign_in_with(&app, "helpdesk", "helpdesk-pass").await;
    assert!(
        hd.get(&app, "/").await.body.contains("服务台 Helpdesk"),
        "role name in header"
    );
    let users_page = hd.get(&app, "/admin/users").await;
    assert_status(&users_page, StatusCode::OK, "users");
    // Only the sections the role opens are linked.
    assert!(!users_page.body.contains("href=\"/admin/roles\""));
    assert!(!users_page.body.contains("href=\"/admin/audit\""));
    assert_status(
        &hd.get(&app, "/customers").await,
        StatusCode::OK,
        "customers",
    );
    assert!(hd.get(&app, "/").await.body.contains("id=\"nav-admin\""));
    for path in [
        "/admin/roles",
        "/admin/audit",
        "/admin/departments",
        "/visits",
    ] {
        assert_status(&hd.get(&app, path).await, StatusCode::FORBIDDEN, path);
    }
    // Holding AdminUsers without AdminRoles does not allow granting the admin role.
    let admin_role = system_role_id(&app, Role::Admin).await;
    let r = hd
        .post(
            &app,
            "/admin/users",
            &[
                ("username", "sneaky"),
                ("role", &admin_role),
                ("password", "sneaky-pass"),
            ],
        )
        .await;
    assert_status(&r, StatusCode::UNPROCESSABLE_ENTITY, "escalation");
    assert!(
        users::get_by_username(&app.db, "sneaky")
            .await
            .unwrap()
            .is_none()
    );
    let me = users::get_by_username(&app.db, "helpdesk")
        .await
        .unwrap()
        .unwrap()
        .id;
    let r = hd
        .post(
            &app,
            &format!("/admin/users/{me}"),
            &[("display_name", "x"), ("role", &admin_role)],
        )
        .await;
    assert_status(&r, StatusCode::UNPROCESSABLE_ENTITY, "self escalation");

    // The role loses AdminUsers and CustomersView: the same session gets 403 at once.
    let r = admin
        .post(
            &app,
            &format!("/admin/roles/{helpdesk_role}"),
            &[
                ("name", "服务台 Helpdesk"),
                ("kind", "office"),
                ("scope", "all"),
                ("perm", "visits.view"),
            ],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "update role");
    for path in ["/admin/users", "/customers", "/admin"] {
        assert_status(&hd.get(&app, path).await, StatusCode::FORBIDDEN, path);
    }
    assert_status(&hd.get(&app, "/visits").await, StatusCode::OK, "visits");
    assert!(!hd.get(&app, "/").await.body.contains("id=\"nav-admin\""));
    let log = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("role.update".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        log[0].entry.detail["changes"]["permissions"],
        json!({"added": ["visits.view"], "removed": ["customers.view", "admin.users"]})
    );
    // The kind follows to the user; a used role is not deleted; system roles are locked.
    let r = admin
        .post(
            &app,
            &format!("/admin/roles/{helpdesk_role}"),
            &[
                ("name", "服务台 Helpdesk"),
                ("kind", "rep"),
                ("scope", "all"),
            ],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "kind");
    assert_eq!(
        users::get(&app.db, me).await.unwrap().unwrap().role,
        Role::Rep
    );
    let r = admin
        .post(&app, &format!("/admin/roles/{helpdesk_role}/delete"), &[])
        .await;
    assert_status(&r, StatusCode::UNPROCESSABLE_ENTITY, "delete used role");
    let r = admin
        .post(
            &app,
            &format!("/admin/roles/{admin_role}"),
            &[("name", "admin"), ("kind", "admin"), ("scope", "self")],
        )
        .await;
    assert_status(&r, StatusCode::UNPROCESSABLE_ENTITY, "locked admin role");
    let r = admin
        .post(&app, &format!("/admin/roles/{admin_role}/delete"), &[])
        .await;
    assert_status(&r, StatusCode::UNPROCESSABLE_ENTITY, "delete system role");
    // A role without CustomersExport lacks it (the system rep role).
    let rep_role = roles::system_role(&app.db, Role::Rep)
        .await
        .unwrap()
        .unwrap();
    assert!(!rep_role.has(fieldcrm_server::auth::permissions::Permission::CustomersExport));
    let page = admin.get(&app, "/admin/roles").await;
    assert!(page.body.contains("服务台 Helpdesk") && page.body.contains("系统角色"));
}

async fn data_scope_changes_what_visits_and_dashboard_show(app: TestApp) {
    let admin = sign_in(&app, "admin").await;
    // 销售一部 → 销售二部; 其他. rep.sh and office in 一部, rep.hz in 二部, rep.bj in 其他.
    let d1 = departments::create(&app.db, "销售一部", None)
        .await
        .unwrap()
        .id;
    let d2 = departments::create(&app.db, "销售二部", Some(d1))
        .await
        .unwrap()
        .id;
    let d3 = departments::create(&app.db, "其他", None).await.unwrap().id;
    let r = admin
        .post(
            &app,
            "/admin/roles",
            &[
                ("name", "区域内勤 Scoped office"),
                ("kind", "office"),
                ("scope", "all"),
                ("perm", "visits.view"),
                ("perm", "customers.view"),
            ],
        )
        .await;
    assert_status(&r, StatusCode::SEE_OTHER, "role");
    let scoped = role_id(&app, "区域内勤 Scoped office").await;
    let rep_role = system_role_id(&app, Role::Rep).await;
    for (user, department, role, territory) in [
        ("office", d1, scoped.as_str(), None),
        ("rep.sh", d1, rep_role.as_str(), Some(app.seed.shanghai)),
        ("rep.hz", d2, rep_role.as_str(), Some(app.seed.hangzhou)),
        ("rep.bj", d3, rep_role.as_str(), Some(app.seed.beijing)),
    ] {
        let id = app.seed.users[user];
        let t = territory.map(|t| t.to_string()).unwrap_or_default();
        let r = admin
            .post(
                &app,
                &format!("/admin/users/{id}"),
                &[
                    ("display_name", user),
                    ("role", role),
                    ("department", &department.to_string()),
                    ("territory", &t),
                ],
            )
            .await;
        assert_status(&r, StatusCode::SEE_OTHER, user);
    }
    let office_id = app.seed.users["office"];
    let sh = customer(&app, "上海客户", app.seed.shanghai, Some(office_id)).await;
    let hz = customer(
        &app,
        "杭州客户",
        app.seed.hangzhou,
        Some(app.seed.users["rep.hz"]),
    )
    .await;
    let bj = customer(
        &app,
        "北京客户",
        app.seed.beijing,
        Some(app.seed.users["rep.bj"]),
    )
    .await;
    visit(&app, sh, app.seed.users["rep.sh"], "V-SH").await;
    visit(&app, hz, app.seed.users["rep.hz"], "V-HZ").await;
    visit(&app, bj, app.seed.users["rep.bj"], "V-BJ").await;
    visit(&app, sh, office_id, "V-OFFICE").await;

    let office = sign_in(&app, "office").await;
    let figure = |body: &str, id: &str| -> i64 {
        let m = format!("id=\"{id}\">");
        let at = body.find(&m).unwrap() + m.len();
        body[at..body[at..].find('<').unwrap() + at]
            .parse()
            .unwrap()
    };
    let cases: [(DataScope, &[&str]); 4] = [
        (DataScope::All, &["V-SH", "V-HZ", "V-BJ", "V-OFFICE"]),
        (DataScope::DepartmentTree, &["V-SH", "V-HZ", "V-OFFICE"]),
        (DataScope::Department, &["V-SH", "V-OFFICE"]),
        (DataScope::Own, &["V-OFFICE"]),
    ];
    for (scope, expected) in cases {
        let r = admin
            .post(
                &app,
                &format!("/admin/roles/{scoped}"),
                &[
                    ("name", "区域内勤 Scoped office"),
                    ("kind", "office"),
                    ("scope", scope.as_str()),
                    ("perm", "visits.view"),
                    ("perm", "customers.view"),
                ],
            )
            .await;
        assert_status(&r, StatusCode::SEE_OTHER, scope.as_str());
        let list = office.get(&app, "/visits").await;
        assert_status(&list, StatusCode::OK, "visits");
        for v in ["V-SH", "V-HZ", "V-BJ", "V-OFFICE"] {
            assert_eq!(
                list.body.contains(&format!(">{v}<")),
                expected.contains(&v),
                "{scope:?} {v}"
            );
        }
        let dash = office.get(&app, "/").await;
        assert_eq!(
            figure(&dash.body, "fig-visits-week"),
            i64::try_from(expected.len()).unwrap(),
            "{scope:?}"
        );
        // Customers by owner: office owns 上海客户, rep.hz 杭州客户 (二部), rep.bj 北京客户.
        let customers = match scope {
            DataScope::All => 3,
            DataScope::DepartmentTree => 2,
            DataScope::Department | DataScope::Own => 1,
        };
        assert_eq!(figure(&dash.body, "fig-customers"), customers, "{scope:?}");
        let list = office.get(&app, "/customers").await;
        assert_eq!(
            list.body.contains("北京客户"),
            scope == DataScope::All,
            "{scope:?}"
        );
        assert!(list.body.contains("上海客户"));
    }
}

async fn audit_viewer_filters_and_pages(app: TestApp) {
    // A rejected sync push: rep.bj writes to a Shanghai customer.
    let sh = customer(&app, "上海客户", app.seed.shanghai, None).await;
    let bj = app.seed.users["rep.bj"];
    let device = devices::register(&app.db, bj, "北京的手机").await.unwrap();
    let mut w = documents::begin_read(&app.db).await.unwrap();
    let stored = documents::load_for_write(&mut w, sh)
        .await
        .unwrap()
        .unwrap();
    w.rollback().await.unwrap();
    let mut doc = document::load(&stored.data).unwrap();
    let mut value = document::typed_json(Kind::Customer, &doc).unwrap();
    value["tier"] = json!("C");
    let change = document::write_json(
        Kind::Customer,
        &mut doc,
        &value,
        document::author_for(bj),
        "x",
    )
    .unwrap()
    .unwrap();
    let outcome = write::push(
        &app.db,
        &app.state.hub,
        write::Pusher {
            user: bj,
            device: device.id,
            role: Role::Rep,
        },
        sh,
        Kind::Customer,
        vec![change],
    )
    .await
    .unwrap();
    assert!(outcome.seq.is_none(), "rejected");
    for i in 0..60 {
        let mut e = AuditEntry::new("test.bulk");
        e.verdict = Some("ok".into());
        e.detail = json!({ "n": i });
        audit::record(&app.db, &e).await.unwrap();
    }
    let admin = sign_in(&app, "admin").await;
    // Everything, newest first.
    let all = admin.get(&app, "/admin/audit").await;
    assert_status(&all, StatusCode::OK, "audit");
    assert!(all.body.contains("web.login") && all.body.contains("test.bulk"));
    assert!(
        all.body.find("{&#34;n&#34;:59}").unwrap() < all.body.find("{&#34;n&#34;:58}").unwrap()
    );
    // Verdict + kind: the rejection, with its document, device and reason.
    let rejected = admin
        .get(&app, "/admin/audit?verdict=rejected&kind=customer")
        .await;
    assert_eq!(
        rejected.body.matches("class=\"audit-row\"").count(),
        1,
        "{}",
        rejected.body
    );
    assert!(
        rejected
            .body
            .contains(&format!("/customers/{sh}?tab=history"))
    );
    assert!(rejected.body.contains("北京的手机") && rejected.body.contains("sync.push"));
    // The sync group, by user.
    let r = admin
        .get(&app, &format!("/admin/audit?group=sync&user={bj}"))
        .await;
    assert_eq!(r.body.matches("class=\"audit-row\"").count(), 1);
    // One action, in pages of 50.
    let p1 = admin.get(&app, "/admin/audit?action=test.bulk").await;
    assert_eq!(p1.body.matches("class=\"audit-row\"").count(), 50);
    assert!(p1.body.contains("id=\"audit-total\">共计: 60<"));
    let p2 = send(
        &app,
        Method::GET,
        "/admin/audit?action=test.bulk&page=2",
        &admin.cookies,
        &[("hx-request", "true")],
        None,
    )
    .await;
    assert!(!p2.body.contains("<html"));
    assert_eq!(p2.body.matches("class=\"audit-row\"").count(), 10);
    // The sign-in preset and the login log URL.
    for path in ["/admin/audit?group=logins", "/admin/logins"] {
        let logins = admin.get(&app, path).await;
        assert!(logins.body.contains("<code>web.login</code>"), "{path}");
        assert!(
            !logins.body.contains("<code>test.bulk</code>")
                && !logins.body.contains("<code>sync.push</code>"),
            "{path}"
        );
    }
    // Date range: nothing tomorrow, everything up to today.
    let tomorrow = (chrono::Local::now() + chrono::Duration::days(1)).format("%Y-%m-%d");
    let r = admin
        .get(&app, &format!("/admin/audit?from={tomorrow}"))
        .await;
    assert!(r.body.contains("id=\"no-audit\""));
    let r = admin
        .get(
            &app,
            &format!("/admin/audit?to={tomorrow}&action=test.bulk"),
        )
        .await;
    assert!(r.body.contains("共计: 60"));
    // Administrative changes by the acting admin.
    admin
        .post(
            &app,
            "/admin/departments",
            &[("name", "审计部"), ("parent", "")],
        )
        .await;
    let admin_id = app.seed.users["admin"];
    let r = admin
        .get(&app, &format!("/admin/audit?group=admin&user={admin_id}"))
        .await;
    assert_eq!(r.body.matches("class=\"audit-row\"").count(), 1);
    assert!(r.body.contains("department.create") && r.body.contains("审计部"));
    assert_eq!(
        admin.get(&app, "/admin/audit?from=not-a-date").await.status,
        StatusCode::BAD_REQUEST
    );
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
    trees_refuse_cycles_and_departments_delete_only_when_empty,
    a_rep_removed_from_a_territory_no_longer_sees_its_customers,
    role_permission_changes_take_effect_on_the_next_request,
    data_scope_changes_what_visits_and_dashboard_show,
    audit_viewer_filters_and_pages,
    reps_and_managers_get_403_on_every_administration_route,
    hostile_names_render_inert_in_administration,
);

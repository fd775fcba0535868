//! Administration of the organisation on SQLite and PostgreSQL: the department and territory
//! trees (cycles refused, empty departments deleted), territory assignments (a rep removed from
//! a territory no longer sees its customers), roles (permission changes take effect on the next
//! request; no escalation), data scope self / department / department and below / all changing
//! the visit list, customer list and dashboard, and the audit viewer's filters and pages.

use fieldcrm_core::Role;
use fieldcrm_core::document::{self, Kind};
use fieldcrm_server::auth::permissions::DataScope;
use fieldcrm_server::db::audit::{self, AuditEntry, AuditFilter};
use fieldcrm_server::db::{departments, devices, documents, roles, territories, users};
use fieldcrm_server::sync::write;
use hyper::{Method, StatusCode};
use serde_json::json;

use crate::admin::{assert_status, customer, role_id, sign_in_with, system_role_id, visit};
use crate::backend_tests;
use crate::helpers::TestApp;
use crate::web::{send, sign_in};

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

backend_tests!(
    trees_refuse_cycles_and_departments_delete_only_when_empty,
    a_rep_removed_from_a_territory_no_longer_sees_its_customers,
    role_permission_changes_take_effect_on_the_next_request,
    data_scope_changes_what_visits_and_dashboard_show,
    audit_viewer_filters_and_pages,
);

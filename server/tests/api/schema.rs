//! The data dictionary and custom fields: administration (admin only, audited, hostile labels
//! inert), the customer form's selects and typed custom inputs (valid values saved in canonical
//! form, invalid ones refused with a message), inactive entries, the definitions and projection
//! helpers for lists, `GET /api/v1/reference` with its entity tag, and a real device whose
//! invalid custom value is compensated. Runs on SQLite and PostgreSQL.

use fieldcrm_core::DocId;
use fieldcrm_core::client::{FieldClient, NoticeKind};
use fieldcrm_core::document::Kind;
use fieldcrm_core::schema::{DictEntry, FieldDef, FieldType};
use fieldcrm_server::db::audit::{self, AuditFilter};
use fieldcrm_server::db::schema as db_schema;
use fieldcrm_server::db::territories::ScopeTerritories;
use fieldcrm_server::sync::write;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::TestApp;
use crate::web::{Browser, sign_in};

/// Creates the `vip_level` list (gold, silver, tin) and four customer fields: `erp_no` (text),
/// `credit` (number), `since` (date, required) and `vip` (choice of `vip_level`), through the
/// admin pages.
async fn define_fields(app: &TestApp, admin: &Browser) {
    let r = admin
        .post(
            app,
            "/admin/dictionary",
            &[
                ("key", "vip_level"),
                ("name_zh", "会员等级"),
                ("name_en", "VIP level"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/admin/dictionary/vip_level");
    for (code, zh, en, pos) in [
        ("gold", "金卡", "Gold", "10"),
        ("silver", "银卡", "Silver", "20"),
        ("tin", "锡卡", "Tin", "30"),
    ] {
        let r = admin
            .post(
                app,
                "/admin/dictionary/vip_level/entries",
                &[
                    ("code", code),
                    ("label_zh", zh),
                    ("label_en", en),
                    ("position", pos),
                    ("active", "1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    for (key, zh, en, t, list, required) in [
        ("erp_no", "ERP编号", "ERP number", "text", "", false),
        ("credit", "信用额度", "Credit limit", "number", "", false),
        ("since", "合作开始", "Customer since", "date", "", true),
        ("vip", "会员", "VIP", "choice", "vip_level", false),
    ] {
        let mut form = vec![
            ("kind", "customer"),
            ("key", key),
            ("label_zh", zh),
            ("label_en", en),
            ("field_type", t),
            ("list", list),
            ("position", "10"),
        ];
        if required {
            form.push(("required", "1"));
        }
        let r = admin.post(app, "/admin/fields", &form).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{key}: {}", r.body);
    }
}

fn entry_form<'a>(zh: &'a str, en: &'a str, pos: &'a str, active: bool) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![("label_zh", zh), ("label_en", en), ("position", pos)];
    if active {
        f.push(("active", "1"));
    }
    f
}

async fn dictionary_crud_is_audited(app: TestApp) {
    let admin = sign_in(&app, "admin").await;
    let page = admin.get(&app, "/admin/dictionary").await;
    assert_eq!(page.status, StatusCode::OK);
    for list in [
        "customer_tier",
        "industry",
        "customer_source",
        "visit_purpose",
        "contact_role",
    ] {
        assert!(page.body.contains(&format!("id=\"list-{list}\"")), "{list}");
    }
    assert!(page.body.contains("客户等级"));
    define_fields(&app, &admin).await;
    let page = admin.get(&app, "/admin/dictionary/vip_level").await;
    assert!(page.body.contains("id=\"entry-gold\"") && page.body.contains("银卡"));
    // Change an entry: label, order, deactivate.
    let r = admin
        .post(
            &app,
            "/admin/dictionary/vip_level/entries/silver",
            &entry_form("白银卡", "Silver", "5", false),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let reference = db_schema::reference(&app.db).await.unwrap();
    let list = reference.list("vip_level").unwrap();
    let codes: Vec<&str> = list.entries.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(codes, vec!["silver", "gold", "tin"], "ordered by position");
    assert_eq!(
        list.entry("silver").unwrap(),
        &DictEntry {
            code: "silver".into(),
            label_zh: "白银卡".into(),
            label_en: "Silver".into(),
            position: 5,
            active: false,
        }
    );
    // Rename the list.
    let r = admin
        .post(
            &app,
            "/admin/dictionary/vip_level",
            &[("name_zh", "会员级别"), ("name_en", "Membership")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        db_schema::reference(&app.db)
            .await
            .unwrap()
            .list("vip_level")
            .unwrap()
            .name_en,
        "Membership"
    );
    // Mistakes come back with a message and change nothing.
    let before = db_schema::reference(&app.db).await.unwrap().version.clone();
    for (path, form) in [
        (
            "/admin/dictionary",
            vec![("key", "vip_level"), ("name_zh", "x"), ("name_en", "x")],
        ),
        (
            "/admin/dictionary",
            vec![("key", "Bad Key"), ("name_zh", "x"), ("name_en", "x")],
        ),
        (
            "/admin/dictionary/vip_level/entries",
            vec![
                ("code", "gold"),
                ("label_zh", "x"),
                ("label_en", "x"),
                ("position", "1"),
            ],
        ),
        (
            "/admin/dictionary/vip_level/entries",
            vec![
                ("code", "a b"),
                ("label_zh", "x"),
                ("label_en", "x"),
                ("position", "1"),
            ],
        ),
        (
            "/admin/dictionary/vip_level/entries",
            vec![
                ("code", "ok"),
                ("label_zh", ""),
                ("label_en", "x"),
                ("position", "x"),
            ],
        ),
        (
            "/admin/fields",
            vec![
                ("kind", "customer"),
                ("key", "vip"),
                ("label_zh", "x"),
                ("label_en", "x"),
                ("field_type", "text"),
                ("position", "1"),
            ],
        ),
        (
            "/admin/fields",
            vec![
                ("kind", "customer"),
                ("key", "grade"),
                ("label_zh", "x"),
                ("label_en", "x"),
                ("field_type", "choice"),
                ("list", ""),
                ("position", "1"),
            ],
        ),
    ] {
        let r = admin.post(&app, path, &form).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {form:?}"
        );
        assert!(r.body.contains("id=\"form-errors\""), "{path} {form:?}");
    }
    assert_eq!(db_schema::reference(&app.db).await.unwrap().version, before);
    // Unknown lists, entries and fields are 404.
    assert_eq!(
        admin.get(&app, "/admin/dictionary/nope").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin.get(&app, "/admin/fields/order/vip").await.status,
        StatusCode::NOT_FOUND
    );
    let r = admin
        .post(
            &app,
            "/admin/dictionary/vip_level/entries/nope",
            &entry_form("x", "x", "1", true),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Edit a field: labels, required, inactive.
    let r = admin.get(&app, "/admin/fields/customer/credit").await;
    assert!(r.body.contains("信用额度"));
    let r = admin
        .post(
            &app,
            "/admin/fields/customer/credit",
            &[
                ("label_zh", "授信额度"),
                ("label_en", "Credit"),
                ("position", "3"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let credit = db_schema::reference(&app.db)
        .await
        .unwrap()
        .field(Kind::Customer, "credit")
        .cloned()
        .unwrap();
    assert_eq!(
        (credit.label_zh.as_str(), credit.active, credit.position),
        ("授信额度", false, 3)
    );
    assert_eq!(credit.field_type, FieldType::Number, "the type is fixed");
    // The definitions API for lists and exports: the active ones, by position.
    let keys: Vec<String> = db_schema::active_fields(&app.db, Kind::Customer)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.key)
        .collect();
    assert_eq!(keys, vec!["erp_no", "since", "vip"]);
    // Every change is audited with who did it.
    let admin_id = app.seed.users["admin"];
    for (action, n) in [
        ("schema.list.create", 1),
        ("schema.entry.create", 3),
        ("schema.entry.update", 1),
        ("schema.list.rename", 1),
        ("schema.field.create", 4),
        ("schema.field.update", 1),
    ] {
        let entries = audit::list(
            &app.db,
            &AuditFilter {
                action: Some(action.into()),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(entries.len(), n, "{action}");
        assert!(entries.iter().all(|e| e.entry.user_id == Some(admin_id)));
    }
    let updates = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("schema.entry.update".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(updates[0].entry.detail["before"]["label_zh"], "银卡");
    assert_eq!(updates[0].entry.detail["after"]["active"], false);
}

async fn schema_pages_refuse_non_admins(app: TestApp) {
    for user in ["office", "manager.east", "rep.sh"] {
        let b = sign_in(&app, user).await;
        for path in [
            "/admin/dictionary",
            "/admin/dictionary/customer_tier",
            "/admin/fields",
            "/admin/fields/customer/vip",
        ] {
            assert_eq!(
                b.get(&app, path).await.status,
                StatusCode::FORBIDDEN,
                "{user} GET {path}"
            );
        }
        for (path, form) in [
            (
                "/admin/dictionary",
                vec![("key", "x"), ("name_zh", "x"), ("name_en", "x")],
            ),
            (
                "/admin/dictionary/customer_tier",
                vec![("name_zh", "x"), ("name_en", "x")],
            ),
            (
                "/admin/dictionary/customer_tier/entries",
                vec![
                    ("code", "E"),
                    ("label_zh", "x"),
                    ("label_en", "x"),
                    ("position", "1"),
                ],
            ),
            (
                "/admin/dictionary/customer_tier/entries/A",
                entry_form("x", "x", "1", false),
            ),
            (
                "/admin/fields",
                vec![
                    ("kind", "customer"),
                    ("key", "x"),
                    ("label_zh", "x"),
                    ("label_en", "x"),
                    ("field_type", "text"),
                    ("position", "1"),
                ],
            ),
        ] {
            let r = b.post(&app, path, &form).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} POST {path}");
        }
        let home = b.get(&app, "/").await;
        assert!(
            !home.body.contains("id=\"nav-dictionary\""),
            "{user} sees no link"
        );
    }
    let r = db_schema::reference(&app.db).await.unwrap();
    assert!(r.list("x").is_none() && r.fields.is_empty());
    assert!(r.list("customer_tier").unwrap().entry("A").unwrap().active);
    let admin = sign_in(&app, "admin").await;
    let home = admin.get(&app, "/").await;
    assert!(home.body.contains("id=\"nav-dictionary\"") && home.body.contains("id=\"nav-fields\""));
}

fn customer_form<'a>(
    name: &'a str,
    territory: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![("name", name), ("territory", territory)];
    f.extend_from_slice(extra);
    f
}

async fn custom_fields_of_each_type_in_the_customer_form(app: TestApp) {
    let admin = sign_in(&app, "admin").await;
    define_fields(&app, &admin).await;
    let office = sign_in(&app, "office").await;
    let sh = app.seed.shanghai.to_string();
    let form = office.get(&app, "/customers/new").await;
    for needle in [
        "type=\"text\" id=\"cf-erp_no\" name=\"custom.erp_no\"",
        "type=\"text\" inputmode=\"decimal\" id=\"cf-credit\"",
        "type=\"date\" id=\"cf-since\" name=\"custom.since\" class=\"custom-field\" value=\"\" required",
        "<select id=\"cf-vip\" name=\"custom.vip\"",
        "<option value=\"gold\" >金卡</option>",
        "<select id=\"f-tier\" name=\"tier\">",
        "<option value=\"retail\" >零售</option>",
    ] {
        assert!(form.body.contains(needle), "{needle}\n{}", form.body);
    }
    // Invalid values of each type come back with a message per field; nothing is created.
    let r = office
        .post(
            &app,
            "/customers",
            &customer_form(
                "Bad Custom Co",
                &sh,
                &[
                    ("custom.erp_no", &"x".repeat(1001)),
                    ("custom.credit", "lots"),
                    ("custom.since", "2024-02-30"),
                    ("custom.vip", "platinum"),
                ],
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in [
        "ERP编号: 最多 1000 个字符，且只能一行",
        "信用额度: 不是有效的数字",
        "合作开始: 不是有效的日期（YYYY-MM-DD）",
        "会员: 不是可选的值",
    ] {
        assert!(r.body.contains(message), "{message}\n{}", r.body);
    }
    assert!(r.body.contains("value=\"lots\""), "the input is kept");
    // The required date is required.
    let r = office
        .post(
            &app,
            "/customers",
            &customer_form("No Date Co", &sh, &[("custom.credit", "1")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("合作开始: 必填"), "{}", r.body);
    // English messages too (the language cookie).
    let en = Browser {
        cookies: format!("{}; fieldcrm_lang=en", office.cookies),
        csrf: office.csrf.clone(),
    };
    let r = en
        .post(
            &app,
            "/customers",
            &customer_form(
                "Bad",
                &sh,
                &[("custom.credit", "1e5"), ("custom.since", "2024-01-01")],
            ),
        )
        .await;
    assert!(
        r.body.contains("Credit limit: is not a number"),
        "{}",
        r.body
    );
    // Valid values are saved in canonical form.
    let r = office
        .post(
            &app,
            "/customers",
            &customer_form(
                "会员客户 Member Co",
                &sh,
                &[
                    ("tier", "A"),
                    ("industry", "medical"),
                    ("source", "referral"),
                    ("custom.erp_no", "  ERP-0042 "),
                    ("custom.credit", "0100000.50"),
                    ("custom.since", "2024-3-5"),
                    ("custom.vip", "gold"),
                ],
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = DocId::parse(r.location().trim_start_matches("/customers/")).unwrap();
    let record = write::load_record(&app.db, id).await.unwrap();
    assert_eq!(
        record["custom"],
        json!({"erp_no": "ERP-0042", "credit": "100000.5", "since": "2024-03-05", "vip": "gold"})
    );
    assert_eq!(
        (record["tier"].as_str(), record["industry"].as_str()),
        (Some("A"), Some("medical"))
    );
    // The card shows labels.
    let card = office.get(&app, &format!("/customers/{id}")).await;
    for needle in [
        "<dd id=\"cf-vip\">金卡</dd>",
        "<dd id=\"cf-credit\">100000.5</dd>",
        "<dd id=\"cf-since\">2024-03-05</dd>",
        "<dd>医疗</dd>",
        "<dd>转介绍</dd>",
        "<dd>A 级（重点客户）</dd>",
    ] {
        assert!(card.body.contains(needle), "{needle}\n{}", card.body);
    }
    // The projection holds them: the list engineer's filter helper finds the customer.
    let found =
        db_schema::customers_with_custom(&app.db, &ScopeTerritories::All, "vip", "gold", 10)
            .await
            .unwrap();
    assert_eq!(found, vec![id]);
    let none =
        db_schema::customers_with_custom(&app.db, &ScopeTerritories::All, "vip", "silver", 10)
            .await
            .unwrap();
    assert!(none.is_empty());
    let other_scope = ScopeTerritories::Some(vec![app.seed.beijing]);
    assert!(
        db_schema::customers_with_custom(&app.db, &other_scope, "vip", "gold", 10)
            .await
            .unwrap()
            .is_empty()
    );
    // The edit form shows the stored values; clearing an optional field removes it.
    let edit = office.get(&app, &format!("/customers/{id}/edit")).await;
    assert!(
        edit.body.contains("value=\"100000.5\"")
            && edit.body.contains("<option value=\"gold\" selected>")
    );
    let r = office
        .post(
            &app,
            &format!("/customers/{id}"),
            &customer_form(
                "会员客户 Member Co",
                &sh,
                &[
                    ("tier", "A"),
                    ("custom.erp_no", ""),
                    ("custom.credit", "7"),
                    ("custom.since", "2024-03-05"),
                    ("custom.vip", "gold"),
                ],
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let record = write::load_record(&app.db, id).await.unwrap();
    assert_eq!(
        record["custom"],
        json!({"credit": "7", "since": "2024-03-05", "vip": "gold"})
    );
    // The history names the custom field by its label.
    let history = office
        .get(&app, &format!("/customers/{id}?tab=history"))
        .await;
    assert!(
        history
            .body
            .contains("<span class=\"field\">信用额度</span>"),
        "{}",
        history.body
    );
    // Removing the required value is refused.
    let r = office
        .post(
            &app,
            &format!("/customers/{id}"),
            &customer_form("会员客户 Member Co", &sh, &[("custom.since", "")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Every server write is checked too, not only the form.
    let r = write::server_update(&app.db, &app.state.hub, id, None, "test", |v| {
        v["custom"]["credit"] = json!("12.50");
        Ok(())
    })
    .await;
    assert!(matches!(r, Err(write::WriteError::Invalid(m)) if m.contains("custom.credit")));
    let r = write::server_update(&app.db, &app.state.hub, id, None, "test", |v| {
        v["custom"]["nobody"] = json!("x");
        Ok(())
    })
    .await;
    assert!(matches!(r, Err(write::WriteError::Invalid(_))));
}

async fn inactive_entries_are_not_offered_but_stay_valid(app: TestApp) {
    let admin = sign_in(&app, "admin").await;
    define_fields(&app, &admin).await;
    let office = sign_in(&app, "office").await;
    let sh = app.seed.shanghai.to_string();
    let r = office
        .post(
            &app,
            "/customers",
            &customer_form(
                "锡卡客户 Tin Co",
                &sh,
                &[
                    ("tier", "D"),
                    ("custom.since", "2020-01-01"),
                    ("custom.vip", "tin"),
                ],
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = DocId::parse(r.location().trim_start_matches("/customers/")).unwrap();
    // The admin retires tier D and the tin card.
    for (path, zh, en) in [
        (
            "/admin/dictionary/customer_tier/entries/D",
            "D 级（潜在客户）",
            "D (prospect)",
        ),
        ("/admin/dictionary/vip_level/entries/tin", "锡卡", "Tin"),
    ] {
        let r = admin
            .post(&app, path, &entry_form(zh, en, "40", false))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    // A new customer is not offered them...
    let new = office.get(&app, "/customers/new").await;
    assert!(!new.body.contains("<option value=\"D\""), "{}", new.body);
    assert!(!new.body.contains("<option value=\"tin\""));
    let r = office
        .post(
            &app,
            "/customers",
            &customer_form(
                "New Co",
                &sh,
                &[
                    ("tier", "D"),
                    ("custom.since", "2020-01-01"),
                    ("custom.vip", "tin"),
                ],
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("等级: D 不是可选的值"), "{}", r.body);
    assert!(r.body.contains("会员: 不是可选的值"), "{}", r.body);
    // ...but the existing customer still shows and keeps them.
    let card = office.get(&app, &format!("/customers/{id}")).await;
    assert!(
        card.body.contains("<dd>D 级（潜在客户）</dd>")
            && card.body.contains("<dd id=\"cf-vip\">锡卡</dd>")
    );
    let edit = office.get(&app, &format!("/customers/{id}/edit")).await;
    assert!(
        edit.body
            .contains("<option value=\"D\" selected>D 级（潜在客户） (已停用)</option>"),
        "{}",
        edit.body
    );
    assert!(edit.body.contains("<option value=\"tin\" selected>"));
    let r = office
        .post(
            &app,
            &format!("/customers/{id}"),
            &customer_form(
                "锡卡客户 Tin Co (renamed)",
                &sh,
                &[
                    ("tier", "D"),
                    ("custom.since", "2020-01-01"),
                    ("custom.vip", "tin"),
                ],
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let record = write::load_record(&app.db, id).await.unwrap();
    assert_eq!(
        (record["tier"].as_str(), record["custom"]["vip"].as_str()),
        (Some("D"), Some("tin"))
    );
    // The list filter offers every tier with its label.
    let list = office.get(&app, "/customers?tier=D").await;
    assert!(
        list.body
            .contains("<option value=\"D\" selected>D 级（潜在客户）</option>"),
        "{}",
        list.body
    );
    assert!(list.body.contains("锡卡客户 Tin Co (renamed)"));
}

async fn hostile_labels_render_inert(app: TestApp) {
    let admin = sign_in(&app, "admin").await;
    let script = "<script>alert(1)</script>";
    let img = "\"><img src=x onerror=alert(1)>";
    let r = admin
        .post(
            &app,
            "/admin/dictionary",
            &[("key", "evil"), ("name_zh", script), ("name_en", img)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = admin
        .post(
            &app,
            "/admin/dictionary/evil/entries",
            &[
                ("code", "x1"),
                ("label_zh", img),
                ("label_en", script),
                ("position", "1"),
                ("active", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    for (key, t, list) in [("evil_choice", "choice", "evil"), ("evil_text", "text", "")] {
        let r = admin
            .post(
                &app,
                "/admin/fields",
                &[
                    ("kind", "customer"),
                    ("key", key),
                    ("label_zh", script),
                    ("label_en", img),
                    ("field_type", t),
                    ("list", list),
                    ("position", "1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let office = sign_in(&app, "office").await;
    let sh = app.seed.shanghai.to_string();
    let r = office
        .post(
            &app,
            "/customers",
            &customer_form(
                "Evil Co",
                &sh,
                &[
                    ("custom.evil_choice", "x1"),
                    ("custom.evil_text", "=cmd|' /C calc'!A0 <b>x</b>"),
                ],
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = r.location().to_owned();
    for (who, path) in [
        (&admin, "/admin/dictionary".to_owned()),
        (&admin, "/admin/dictionary/evil".to_owned()),
        (&admin, "/admin/fields".to_owned()),
        (&admin, "/admin/fields/customer/evil_text".to_owned()),
        (&office, "/customers/new".to_owned()),
        (&office, id.clone()),
        (&office, format!("{id}/edit")),
    ] {
        let page = who.get(&app, &path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(!page.body.contains("<script>alert"), "{path}");
        assert!(!page.body.contains("<img src=x"), "{path}");
        assert!(!page.body.contains("<b>x</b>"), "{path}");
        assert!(
            page.body.contains("&lt;script&gt;") || page.body.contains("&#60;script&#62;"),
            "{path}"
        );
    }
}

/// `GET path` with a bearer token and extra headers: status, `ETag`, body.
async fn get_with(
    app: &TestApp,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Option<String>, Vec<u8>) {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let mut b = Request::builder()
        .method(Method::GET)
        .uri(path)
        .header("host", format!("127.0.0.1:{}", app.port))
        .header("authorization", format!("Bearer {token}"));
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let resp = sender
        .send_request(b.body(Full::new(Bytes::new())).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let etag = resp
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, etag, body)
}

async fn reference_endpoint_answers_304_when_unchanged(app: TestApp) {
    let rep = app.login("rep.sh", "demo").await;
    let (status, etag, body) = get_with(&app, "/api/v1/reference", &rep.access_token, &[]).await;
    assert_eq!(status, StatusCode::OK);
    let etag = etag.unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(etag, format!("\"{}\"", v["version"].as_str().unwrap()));
    let tiers = v["lists"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "customer_tier")
        .unwrap();
    assert_eq!(
        tiers["entries"][0],
        json!({"code": "A", "label_zh": "A 级（重点客户）", "label_en": "A (key account)", "position": 10, "active": true})
    );
    assert_eq!(v["fields"], json!([]));
    // Unchanged: 304 without a body.
    let (status, etag2, body) = get_with(
        &app,
        "/api/v1/reference",
        &rep.access_token,
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(etag2.as_deref(), Some(etag.as_str()));
    assert!(body.is_empty());
    // A new definition changes the version; the old tag gets the new data.
    db_schema::create_field(
        &app.db,
        &FieldDef {
            kind: Kind::Visit,
            key: "mood".into(),
            label_zh: "气氛".into(),
            label_en: "Mood".into(),
            field_type: FieldType::Text,
            list: None,
            required: false,
            active: true,
            position: 1,
        },
    )
    .await
    .unwrap();
    let (status, etag3, body) = get_with(
        &app,
        "/api/v1/reference",
        &rep.access_token,
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(etag3.as_deref(), Some(etag.as_str()));
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["fields"][0]["key"], "mood");
    assert_eq!(v["fields"][0]["kind"], "visit");
    assert_eq!(v["fields"][0]["field_type"], "text");
    // Devices only: no token, no data.
    let r = app.get("/api/v1/reference", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app.get("/api/v1/reference", Some("garbage")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn device_gets_reference_and_invalid_custom_values_are_compensated(app: TestApp) {
    // Definitions: a number and a choice.
    db_schema::create_list(&app.db, "vip_level", "会员等级", "VIP level")
        .await
        .unwrap();
    for (code, active) in [("gold", true), ("tin", true)] {
        db_schema::add_entry(
            &app.db,
            "vip_level",
            &DictEntry {
                code: code.into(),
                label_zh: code.into(),
                label_en: code.into(),
                position: 1,
                active,
            },
        )
        .await
        .unwrap();
    }
    let def = |key: &str, field_type, list: Option<&str>| FieldDef {
        kind: Kind::Customer,
        key: key.into(),
        label_zh: key.into(),
        label_en: key.into(),
        field_type,
        list: list.map(str::to_owned),
        required: false,
        active: true,
        position: 1,
    };
    db_schema::create_field(&app.db, &def("credit", FieldType::Number, None))
        .await
        .unwrap();
    db_schema::create_field(&app.db, &def("vip", FieldType::Choice, Some("vip_level")))
        .await
        .unwrap();
    let id = DocId::new();
    let record = json!({"name": "设备客户 Device Co", "territory": app.seed.shanghai.to_string()});
    write::server_create(&app.db, &app.state.hub, Kind::Customer, id, &record, None)
        .await
        .unwrap();

    // A real field client: the first sync brings the customer and the reference data.
    let home = tempfile::tempdir().unwrap();
    let client = FieldClient::open(home.path()).await.unwrap();
    client
        .login(&app.address, "rep.sh", "demo", "测试手机 phone")
        .await
        .unwrap();
    client.sync_once().await.unwrap();
    let reference = client.reference().await.unwrap().expect("fetched by sync");
    assert_eq!(
        reference.version,
        db_schema::reference(&app.db).await.unwrap().version
    );
    assert!(reference.field(Kind::Customer, "vip").is_some());
    assert!(!client.refresh_reference().await.unwrap(), "unchanged: 304");
    let cid = id.into();
    // The device validates and canonicalises what it writes.
    let bad = client
        .set_customer_fields(cid, &[("custom.credit".to_owned(), "lots".to_owned())])
        .await;
    assert!(bad.is_err());
    client
        .set_customer_fields(cid, &[("custom.credit".to_owned(), "0012.50".to_owned())])
        .await
        .unwrap();
    assert_eq!(
        client.get_customer(cid).await.unwrap().custom["credit"],
        "12.5"
    );

    // The admin retires `tin` while the phone is offline with the old definitions; the phone
    // still offers it, the server compensates it and keeps the rest of the edit.
    db_schema::update_entry(
        &app.db,
        "vip_level",
        &DictEntry {
            code: "tin".into(),
            label_zh: "tin".into(),
            label_en: "tin".into(),
            position: 1,
            active: false,
        },
    )
    .await
    .unwrap();
    client
        .set_customer_fields(
            cid,
            &[
                ("custom.vip".to_owned(), "tin".to_owned()),
                ("notes".to_owned(), "离线备注 offline note".to_owned()),
            ],
        )
        .await
        .unwrap();
    let report = client.sync_once().await.unwrap();
    assert_eq!(report.compensated, 1, "{report:?}");
    let after = client.get_customer(cid).await.unwrap();
    assert_eq!(after.custom.get("vip"), None, "restored on the device");
    assert_eq!(after.custom["credit"], "12.5");
    assert_eq!(after.notes, "离线备注 offline note", "the valid part stays");
    let on_server = write::load_record(&app.db, id).await.unwrap();
    assert_eq!(on_server["custom"], json!({"credit": "12.5"}));
    assert_eq!(on_server["notes"], "离线备注 offline note");
    let notices = client.notices().await.unwrap();
    let n = notices
        .iter()
        .find(|n| n.kind == NoticeKind::Compensated)
        .expect("a notice");
    assert!(n.message.contains("custom.vip"), "{}", n.message);
    let audit = audit::list(
        &app.db,
        &AuditFilter {
            doc_id: Some(id.to_string()),
            action: Some("sync.push".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    let compensated = audit
        .iter()
        .find(|a| a.entry.verdict.as_deref() == Some("compensated"))
        .unwrap();
    assert_eq!(compensated.entry.detail["restored"], json!(["custom.vip"]));
    // The sync brought the new definitions: now the device refuses `tin` itself.
    assert!(
        !client
            .reference()
            .await
            .unwrap()
            .unwrap()
            .list("vip_level")
            .unwrap()
            .entry("tin")
            .unwrap()
            .active
    );
    let refused = client
        .set_customer_fields(cid, &[("custom.vip".to_owned(), "tin".to_owned())])
        .await;
    assert!(refused.is_err());
    client.store().close().await;
}

/// Another server process on the same database changes the definitions: this server's cached
/// reference data must not let a now-invalid value through, and devices get the new version.
async fn another_process_changes_are_enforced_at_once(app: TestApp) {
    db_schema::create_list(&app.db, "vip_level", "会员等级", "VIP level")
        .await
        .unwrap();
    let tin = DictEntry {
        code: "tin".into(),
        label_zh: "锡卡".into(),
        label_en: "Tin".into(),
        position: 1,
        active: true,
    };
    db_schema::add_entry(&app.db, "vip_level", &tin)
        .await
        .unwrap();
    let vip = FieldDef {
        kind: Kind::Customer,
        key: "vip".into(),
        label_zh: "会员".into(),
        label_en: "VIP".into(),
        field_type: FieldType::Choice,
        list: Some("vip_level".into()),
        required: false,
        active: true,
        position: 1,
    };
    db_schema::create_field(&app.db, &vip).await.unwrap();
    let sh = app.seed.shanghai.to_string();
    let customer =
        |name: &str, custom: Value| json!({"name": name, "territory": sh, "custom": custom});
    // Warms this server's cache: tin is valid, `credit` unknown.
    write::server_create(
        &app.state.db,
        &app.state.hub,
        Kind::Customer,
        DocId::new(),
        &customer("锡卡 Tin Co", json!({"vip": "tin"})),
        None,
    )
    .await
    .unwrap();
    let rep = app.login("rep.sh", "demo").await;
    let (status, etag, _) = get_with(&app, "/api/v1/reference", &rep.access_token, &[]).await;
    assert_eq!(status, StatusCode::OK);
    let etag = etag.unwrap();
    let reads = db_schema::full_reads(&app.state.db);
    let (status, _, _) = get_with(
        &app,
        "/api/v1/reference",
        &rep.access_token,
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(
        db_schema::full_reads(&app.state.db),
        reads,
        "served from the cache"
    );

    // The other process retires tin and adds a number field.
    let other = fieldcrm_server::db::Db::connect(&app.database_url())
        .await
        .unwrap();
    db_schema::update_entry(
        &other,
        "vip_level",
        &DictEntry {
            active: false,
            ..tin
        },
    )
    .await
    .unwrap();
    db_schema::create_field(
        &other,
        &FieldDef {
            key: "credit".into(),
            label_zh: "额度".into(),
            label_en: "Credit".into(),
            field_type: FieldType::Number,
            list: None,
            ..vip
        },
    )
    .await
    .unwrap();
    other.close().await;

    for (custom, what) in [
        (json!({"vip": "tin"}), "retired entry"),
        (json!({"credit": "lots"}), "new number field"),
    ] {
        let r = write::server_create(
            &app.state.db,
            &app.state.hub,
            Kind::Customer,
            DocId::new(),
            &customer("New Co", custom),
            None,
        )
        .await;
        assert!(
            matches!(r, Err(write::WriteError::Invalid(_))),
            "{what}: {r:?}"
        );
    }
    write::server_create(
        &app.state.db,
        &app.state.hub,
        Kind::Customer,
        DocId::new(),
        &customer("Credit Co", json!({"credit": "12.5"})),
        None,
    )
    .await
    .unwrap();
    // Devices holding the old tag get the new data.
    let (status, etag2, body) = get_with(
        &app,
        "/api/v1/reference",
        &rep.access_token,
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(etag2.as_deref(), Some(etag.as_str()));
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(
        v["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["key"] == "credit")
    );
}

backend_tests!(
    dictionary_crud_is_audited,
    schema_pages_refuse_non_admins,
    custom_fields_of_each_type_in_the_customer_form,
    inactive_entries_are_not_offered_but_stay_valid,
    hostile_labels_render_inert,
    reference_endpoint_answers_304_when_unchanged,
    device_gets_reference_and_invalid_custom_values_are_compensated,
    another_process_changes_are_enforced_at_once,
);

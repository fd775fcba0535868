//! The catalog on SQLite and PostgreSQL: the pricing contract orders use (`price_book`,
//! `tracking`), back-office CRUD of categories, products and price lists (audited, versioned),
//! permissions (a rep looks but cannot edit), the product import with bad rows, the product
//! image, `GET /api/v1/catalog` with its entity tag, a real device that keeps the catalog
//! offline, and hostile names rendered inert.

use base64::Engine;
use fieldcrm_core::catalog::Tracking;
use fieldcrm_core::client::FieldClient;
use fieldcrm_core::domain::PriceBook;
use fieldcrm_core::{PriceListId, ProductId};
use fieldcrm_server::db::audit::{self, AuditFilter};
use fieldcrm_server::db::catalog::{self, PriceListInput, ProductInput};
use hyper::{Method, StatusCode};
use serde_json::Value;

use crate::backend_tests;
use crate::helpers::TestApp;
use crate::import::{Answer, raw};
use crate::web::{Browser, sign_in};

/// A valid 1×1 PNG.
pub(crate) const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

pub(crate) fn png() -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(PNG_1X1)
        .unwrap()
}

fn input(code: &str, name: &str, list_price: i64) -> ProductInput {
    ProductInput {
        code: code.into(),
        name: name.into(),
        unit: "台".into(),
        spec: String::new(),
        category_id: None,
        list_price,
        image_sha256: None,
        tracking: Tracking::None,
        shelf_life_days: None,
        active: true,
    }
}

async fn list(app: &TestApp, name: &str, tier: &str, from: &str, to: Option<&str>) -> PriceListId {
    catalog::create_price_list(
        &app.db,
        &PriceListInput {
            name: name.into(),
            tier: tier.into(),
            valid_from: from.into(),
            valid_to: to.map(str::to_owned),
            active: true,
        },
    )
    .await
    .unwrap()
}

async fn price_book_follows_tier_lists_dates_and_activity(app: TestApp) {
    let v0 = catalog::version(&app.db).await.unwrap();
    let a = catalog::create_product(&app.db, &input("A-1", "净水器 A", 10_000))
        .await
        .unwrap();
    let b = catalog::create_product(&app.db, &input("B-1", "滤芯 B", 5000))
        .await
        .unwrap();
    let mut serial = input("C-1", "配件 C", 900);
    serial.tracking = Tracking::Serial;
    let c = catalog::create_product(&app.db, &serial).await.unwrap();
    assert!(
        catalog::version(&app.db).await.unwrap() > v0,
        "writes move the version"
    );

    let base = list(&app, "A 2026", "A", "2026-01-01", None).await;
    catalog::set_price(&app.db, base, a, 9000).await.unwrap();
    catalog::set_price(&app.db, base, b, 4500).await.unwrap();
    let march = list(&app, "A March", "A", "2026-03-01", Some("2026-03-31")).await;
    catalog::set_price(&app.db, march, a, 8000).await.unwrap();
    // An inactive list of the tier and another tier's list do not count.
    let off = list(&app, "A off", "A", "2026-02-01", None).await;
    catalog::set_price(&app.db, off, a, 100).await.unwrap();
    catalog::update_price_list(
        &app.db,
        off,
        &PriceListInput {
            name: "A off".into(),
            tier: "A".into(),
            valid_from: "2026-02-01".into(),
            valid_to: None,
            active: false,
        },
    )
    .await
    .unwrap();
    let tier_b = list(&app, "B", "B", "2026-01-01", None).await;
    catalog::set_price(&app.db, tier_b, c, 200).await.unwrap();
    catalog::set_product_active(&app.db, b, false)
        .await
        .unwrap();

    let unknown = ProductId::new();
    let all = [a, b, c, unknown, a];
    let mut conn = app.db.pool().acquire().await.unwrap();
    let price = |book: &catalog::CatalogBook, p: ProductId| book.quote(p).unwrap().unit_price;
    let feb = catalog::price_book(&mut conn, "A", "2026-02-15", &all)
        .await
        .unwrap();
    assert_eq!(feb.currency(), "CNY");
    assert_eq!(price(&feb, a), 9000, "tier list beats the list price");
    assert_eq!(price(&feb, c), 900, "not on the tier's lists: list price");
    assert!(feb.quote(unknown).is_none(), "unknown products are absent");
    let qb = feb.quote(b).unwrap();
    assert_eq!(
        (qb.unit_price, qb.active),
        (4500, false),
        "inactive product"
    );
    let qa = feb.quote(a).unwrap();
    assert_eq!(
        (
            qa.code.as_str(),
            qa.name.as_str(),
            qa.unit.as_str(),
            qa.active
        ),
        ("A-1", "净水器 A", "台", true)
    );
    let mid_march = catalog::price_book(&mut conn, "A", "2026-03-15", &all)
        .await
        .unwrap();
    assert_eq!(price(&mid_march, a), 8000, "the latest valid_from wins");
    assert_eq!(
        price(&mid_march, b),
        4500,
        "the older list still prices what the newer lacks"
    );
    for (on, expected) in [
        ("2026-03-01", 8000),
        ("2026-03-31", 8000),
        ("2026-04-01", 9000),
    ] {
        let book = catalog::price_book(&mut conn, "A", on, &[a]).await.unwrap();
        assert_eq!(price(&book, a), expected, "{on}");
    }
    let before = catalog::price_book(&mut conn, "A", "2025-12-31", &[a])
        .await
        .unwrap();
    assert_eq!(price(&before, a), 10_000, "no list in force yet");
    let b_tier = catalog::price_book(&mut conn, "B", "2026-03-15", &[a, c])
        .await
        .unwrap();
    assert_eq!((price(&b_tier, a), price(&b_tier, c)), (10_000, 200));
    let no_tier = catalog::price_book(&mut conn, "", "2026-03-15", &[a])
        .await
        .unwrap();
    assert_eq!(price(&no_tier, a), 10_000);
    assert!(
        catalog::price_book(&mut conn, "A", "2026-03-15", &[])
            .await
            .unwrap()
            .quotes
            .is_empty()
    );

    let tracking = catalog::tracking(&mut conn, &all).await.unwrap();
    assert_eq!(tracking.len(), 3);
    assert_eq!(tracking[&c], "serial");
    assert_eq!(tracking[&a], "none");
}

/// A form post's answer, asserting a redirect to a page; returns its location.
fn redirected(r: &crate::web::Page) -> String {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location().to_owned()
}

async fn office_manages_categories_products_and_price_lists(app: TestApp) {
    let b = sign_in(&app, "office").await;
    // Categories: two roots and a child; move the child; a cycle is refused.
    redirected(
        &b.post(
            &app,
            "/catalog/categories",
            &[("name", "净水设备"), ("parent", ""), ("position", "1")],
        )
        .await,
    );
    redirected(
        &b.post(
            &app,
            "/catalog/categories",
            &[("name", "配件"), ("parent", ""), ("position", "2")],
        )
        .await,
    );
    let cats = catalog::categories(&app.db).await.unwrap();
    let equipment = cats.iter().find(|c| c.name == "净水设备").unwrap().id;
    let parts = cats.iter().find(|c| c.name == "配件").unwrap().id;
    let eq = equipment.to_string();
    redirected(
        &b.post(
            &app,
            "/catalog/categories",
            &[("name", "泵"), ("parent", &eq)],
        )
        .await,
    );
    let pumps = catalog::categories(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name == "泵")
        .unwrap()
        .id;
    let pa = parts.to_string();
    redirected(
        &b.post(
            &app,
            &format!("/catalog/categories/{pumps}"),
            &[("name", "水泵"), ("parent", &pa), ("position", "3")],
        )
        .await,
    );
    let pu = pumps.to_string();
    let r = b
        .post(
            &app,
            &format!("/catalog/categories/{parts}"),
            &[("name", "配件"), ("parent", &pu)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("不能移动到自身或其下级之下"), "{}", r.body);
    let page = b.get(&app, "/catalog/categories").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("水泵") && page.body.contains("depth-1"),
        "{}",
        page.body
    );

    // A product: created, listed, edited, deactivated.
    let pump = pumps.to_string();
    let form = [
        ("code", "SP-201"),
        ("name", "增压泵"),
        ("spec", "24V 400G"),
        ("unit", "个"),
        ("category", pump.as_str()),
        ("list_price", "260.50"),
        ("tracking", "serial"),
        ("shelf_life_days", ""),
        ("active", "1"),
    ];
    let to = redirected(&b.post(&app, "/catalog/products", &form).await);
    let id = catalog::product_by_code(&app.db, "SP-201")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(to, format!("/catalog/products/{}?saved=1", id.id));
    assert_eq!(
        (id.list_price, id.tracking, id.category_id, id.active),
        (26_050, Tracking::Serial, Some(pumps), true)
    );
    // The same code again is refused with the form kept.
    let r = b.post(&app, "/catalog/products", &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("该编码已被其他产品使用"));
    let bad = [
        ("code", "X-1"),
        ("name", ""),
        ("list_price", "12.345"),
        ("tracking", "none"),
    ];
    let r = b.post(&app, "/catalog/products", &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("名称不能为空") && r.body.contains("最多两位小数"),
        "{}",
        r.body
    );
    redirected(
        &b.post(
            &app,
            "/catalog/products",
            &[
                ("code", "FC-101"),
                ("name", "PP棉滤芯"),
                ("list_price", "18"),
                ("tracking", "batch"),
                ("shelf_life_days", "365"),
                ("category", &eq),
                ("active", "1"),
            ],
        )
        .await,
    );

    // Search and filters.
    let list = b.get(&app, "/catalog/products?q=sp-2").await;
    assert!(
        list.body.contains("增压泵") && !list.body.contains("PP棉滤芯"),
        "{}",
        list.body
    );
    assert!(list.body.contains("260.50"));
    // The parts category includes its subcategory 水泵.
    let list = b
        .get(&app, &format!("/catalog/products?category={parts}"))
        .await;
    assert!(list.body.contains("增压泵") && !list.body.contains("PP棉滤芯"));
    let list = b
        .get(&app, &format!("/catalog/products?category={equipment}"))
        .await;
    assert!(!list.body.contains("增压泵") && list.body.contains("PP棉滤芯"));

    let edit = [
        ("code", "SP-201"),
        ("name", "增压泵 Booster"),
        ("spec", "24V"),
        ("unit", "个"),
        ("category", pump.as_str()),
        ("list_price", "1,280"),
        ("tracking", "none"),
        ("shelf_life_days", "30"),
    ];
    redirected(
        &b.post(&app, &format!("/catalog/products/{}", id.id), &edit)
            .await,
    );
    let after = catalog::product(&app.db, id.id).await.unwrap().unwrap();
    assert_eq!(
        (after.name.as_str(), after.list_price, after.shelf_life_days),
        ("增压泵 Booster", 128_000, Some(30))
    );
    redirected(
        &b.post(
            &app,
            &format!("/catalog/products/{}/deactivate", id.id),
            &[],
        )
        .await,
    );
    assert!(
        !catalog::product(&app.db, id.id)
            .await
            .unwrap()
            .unwrap()
            .active
    );
    let list = b.get(&app, "/catalog/products?active=1").await;
    assert!(!list.body.contains("增压泵") && list.body.contains("PP棉滤芯"));
    let list = b.get(&app, "/catalog/products?active=0").await;
    assert!(list.body.contains("增压泵") && list.body.contains("badge off"));
    // htmx gets only the table.
    let partial = crate::web::send(
        &app,
        Method::GET,
        "/catalog/products?q=FC",
        &b.cookies,
        &[("hx-request", "true")],
        None,
    )
    .await;
    assert!(partial.body.contains("<table id=\"products\"") && !partial.body.contains("<html"));
    // The non-empty category cannot be deleted; an empty one can.
    let r = b
        .post(&app, &format!("/catalog/categories/{pumps}/delete"), &[])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    redirected(
        &b.post(&app, "/catalog/categories", &[("name", "空分类")])
            .await,
    );
    let empty = catalog::categories(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name == "空分类")
        .unwrap()
        .id;
    redirected(
        &b.post(&app, &format!("/catalog/categories/{empty}/delete"), &[])
            .await,
    );
    assert_eq!(catalog::categories(&app.db).await.unwrap().len(), 3);

    // A price list with prices added, changed and removed.
    let r = b
        .post(
            &app,
            "/catalog/price-lists",
            &[
                ("name", "A级 2026"),
                ("tier", "Z"),
                ("valid_from", "2026-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "unknown tier");
    let r = b
        .post(
            &app,
            "/catalog/price-lists",
            &[
                ("name", "A级 2026"),
                ("tier", "A"),
                ("valid_from", "2026-02-01"),
                ("valid_to", "2026-01-31"),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "ends before it starts"
    );
    let to = redirected(
        &b.post(
            &app,
            "/catalog/price-lists",
            &[
                ("name", "A级 2026"),
                ("tier", "A"),
                ("valid_from", "2026-01-01"),
                ("active", "1"),
            ],
        )
        .await,
    );
    let lists = catalog::price_lists(&app.db).await.unwrap();
    assert_eq!(lists.len(), 1);
    let pl = &lists[0];
    assert_eq!(
        (
            pl.tier.as_str(),
            pl.valid_to.as_deref(),
            pl.active,
            pl.currency.as_str()
        ),
        ("A", None, true, "CNY")
    );
    assert_eq!(to, format!("/catalog/price-lists/{}?saved=1", pl.id));
    let items = format!("/catalog/price-lists/{}/items", pl.id);
    redirected(
        &b.post(&app, &items, &[("code", "FC-101"), ("unit_price", "15")])
            .await,
    );
    redirected(
        &b.post(&app, &items, &[("code", "SP-201"), ("unit_price", "1200")])
            .await,
    );
    redirected(
        &b.post(&app, &items, &[("code", "FC-101"), ("unit_price", "14.50")])
            .await,
    );
    let r = b
        .post(&app, &items, &[("code", "NOPE"), ("unit_price", "1")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("没有此编码的产品"));
    redirected(
        &b.post(&app, &format!("{items}/{}/delete", id.id), &[])
            .await,
    );
    let got: Vec<_> = catalog::price_list_items(&app.db, pl.id)
        .await
        .unwrap()
        .into_iter()
        .map(|i| (i.code, i.unit_price))
        .collect();
    assert_eq!(got, [("FC-101".to_owned(), 1450)]);
    let page = b
        .get(&app, &format!("/catalog/price-lists/{}", pl.id))
        .await;
    assert!(page.body.contains("14.50") && page.body.contains("PP棉滤芯"));
    let listing = b.get(&app, "/catalog/price-lists").await;
    assert!(listing.body.contains("A级 2026") && listing.body.contains("长期有效"));

    // Every change is audited.
    let entries = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("catalog.price.set".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0].entry.detail["before"], 1500);
    assert_eq!(entries[0].entry.detail["after"], 1450);
    for action in [
        "catalog.product.create",
        "catalog.product.update",
        "catalog.product.deactivate",
        "catalog.category.update",
        "catalog.category.delete",
        "catalog.price_list.create",
        "catalog.price.remove",
    ] {
        let n = audit::count(
            &app.db,
            &AuditFilter {
                action: Some(action.into()),
                ..AuditFilter::default()
            },
        )
        .await
        .unwrap();
        assert!(n >= 1, "{action}");
    }
}

async fn reps_see_the_catalog_but_cannot_change_it(app: TestApp) {
    let id = catalog::create_product(&app.db, &input("R-1", "产品 R", 1000))
        .await
        .unwrap();
    let pl = list(&app, "L", "A", "2026-01-01", None).await;
    let rep = sign_in(&app, "rep.sh").await;
    for path in [
        "/catalog/products".to_owned(),
        format!("/catalog/products/{id}"),
        "/catalog/categories".into(),
        "/catalog/price-lists".into(),
        format!("/catalog/price-lists/{pl}"),
    ] {
        let r = rep.get(&app, &path).await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}");
        assert!(!r.body.contains("id=\"save-"), "no save button on {path}");
    }
    let home = rep.get(&app, "/").await;
    assert!(home.body.contains("id=\"nav-catalog\""));
    for path in [
        "/catalog/products/new",
        "/catalog/import",
        "/catalog/price-lists/new",
    ] {
        assert_eq!(
            rep.get(&app, path).await.status,
            StatusCode::FORBIDDEN,
            "GET {path}"
        );
    }
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/catalog/products".into(),
            vec![("code", "R-2"), ("name", "x"), ("list_price", "1")],
        ),
        (
            format!("/catalog/products/{id}"),
            vec![("code", "R-1"), ("name", "x"), ("list_price", "1")],
        ),
        (format!("/catalog/products/{id}/deactivate"), vec![]),
        ("/catalog/categories".into(), vec![("name", "x")]),
        (
            "/catalog/price-lists".into(),
            vec![("name", "x"), ("valid_from", "2026-01-01")],
        ),
        (
            format!("/catalog/price-lists/{pl}/items"),
            vec![("code", "R-1"), ("unit_price", "1")],
        ),
    ];
    for (path, form) in posts {
        let r = rep.post(&app, &path, &form).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "POST {path}");
    }
    let r = upload(
        &app,
        &rep,
        "/catalog/import/upload",
        "file",
        "p.csv",
        "text/csv",
        b"code,name,price\nR-3,x,1\n",
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = upload(
        &app,
        &rep,
        &format!("/catalog/products/{id}/image/upload"),
        "image",
        "p.png",
        "image/png",
        &png(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Nothing changed.
    let p = catalog::product(&app.db, id).await.unwrap().unwrap();
    assert_eq!(
        (p.name.as_str(), p.active, p.image_sha256),
        ("产品 R", true, None)
    );
    assert_eq!(catalog::categories(&app.db).await.unwrap().len(), 0);
    assert!(
        catalog::price_list_items(&app.db, pl)
            .await
            .unwrap()
            .is_empty()
    );
}

const BOUNDARY: &str = "----fieldcrm-catalog-test-boundary";

/// Posts one file field as multipart, as htmx does (CSRF header).
pub(crate) async fn upload(
    app: &TestApp,
    b: &Browser,
    path: &str,
    field: &str,
    file_name: &str,
    content_type: &str,
    bytes: &[u8],
) -> Answer {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\n\
         Content-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    raw(
        app,
        Method::POST,
        path,
        &b.cookies,
        &[("x-csrf-token", &b.csrf), ("hx-request", "true")],
        Some(&format!("multipart/form-data; boundary={BOUNDARY}")),
        body,
    )
    .await
}

async fn import_upserts_by_code_and_reports_bad_rows(app: TestApp) {
    let b = sign_in(&app, "office").await;
    redirected(
        &b.post(&app, "/catalog/categories", &[("name", "滤芯耗材")])
            .await,
    );
    let existing = catalog::create_product(&app.db, &input("FC-101", "旧名称", 1000))
        .await
        .unwrap();
    let csv = "产品编码,名称,规格,单位,分类,价格,跟踪,保质期\n\
        FC-101,PP棉滤芯,10英寸,支,滤芯耗材,18.00,批次,365\n\
        FC-102,活性炭滤芯,10英寸,支,滤芯耗材,35,batch,730\n\
        FC-103,坏价格,,支,滤芯耗材,abc,,\n\
        FC-104,未知分类,,支,不存在的分类,10,,\n\
        ,没有编码,,支,,10,,\n\
        \"=cmd|' /C calc'!A0\",\"<script>alert(1)</script>\",,支,,1.5,serial,\n";
    let r = upload(
        &app,
        &b,
        "/catalog/import/upload",
        "file",
        "产品.csv",
        "text/csv",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let text = r.text();
    assert!(text.contains("id=\"import-created\">2<"), "{text}");
    assert!(text.contains("id=\"import-updated\">1<"), "{text}");
    assert!(text.contains("id=\"import-failed\">3<"), "{text}");
    // The failures name their rows (the header is row 1) and their problems.
    for (row, problem) in [
        ("4", "价格须为不小于0的金额"),
        ("5", "分类不存在"),
        ("6", "编码不能为空"),
    ] {
        assert!(
            text.contains(&format!("<td class=\"num\">{row}</td>")),
            "row {row}: {text}"
        );
        assert!(text.contains(problem), "{problem}: {text}");
    }
    assert!(!text.contains("<script>alert"), "escaped: {text}");
    let updated = catalog::product(&app.db, existing).await.unwrap().unwrap();
    assert_eq!(
        (
            updated.name.as_str(),
            updated.list_price,
            updated.tracking,
            updated.shelf_life_days
        ),
        ("PP棉滤芯", 1800, Tracking::Batch, Some(365))
    );
    assert!(updated.category_id.is_some());
    let fc102 = catalog::product_by_code(&app.db, "FC-102")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((fc102.list_price, fc102.tracking), (3500, Tracking::Batch));
    for code in ["FC-103", "FC-104"] {
        assert!(
            catalog::product_by_code(&app.db, code)
                .await
                .unwrap()
                .is_none(),
            "{code}"
        );
    }
    // The hostile strings are stored as text and rendered inert.
    let hostile = catalog::product_by_code(&app.db, "=cmd|' /C calc'!A0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hostile.name, "<script>alert(1)</script>");
    let page = b.get(&app, "/catalog/products?q=script").await;
    assert!(
        page.body
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<script>alert"));
    let e = audit::list(
        &app.db,
        &AuditFilter {
            action: Some("catalog.import".into()),
            ..AuditFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(e[0].entry.detail["created"], 2);
    assert_eq!(e[0].entry.detail["failed"], 3);

    // An .xlsx works the same; a file without the required columns is refused whole.
    let xlsx = crate::import::xlsx(&[
        vec!["code", "name", "price", "status"],
        vec!["FC-102", "活性炭滤芯 UDF", "36", "停用"],
    ]);
    let r = upload(
        &app,
        &b,
        "/catalog/import/upload",
        "file",
        "p.xlsx",
        "application/octet-stream",
        &xlsx,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.text().contains("id=\"import-updated\">1<"),
        "{}",
        r.text()
    );
    let fc102 = catalog::product_by_code(&app.db, "FC-102")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            fc102.name.as_str(),
            fc102.list_price,
            fc102.active,
            fc102.tracking
        ),
        ("活性炭滤芯 UDF", 3600, false, Tracking::Batch),
        "columns absent keep their values"
    );
    let r = upload(
        &app,
        &b,
        "/catalog/import/upload",
        "file",
        "x.csv",
        "text/csv",
        "名称,备注\n甲,乙\n".as_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("文件缺少必需的列"), "{}", r.text());
    let r = upload(
        &app,
        &b,
        "/catalog/import/upload",
        "file",
        "x.png",
        "image/png",
        &png(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn get_with(
    app: &TestApp,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Option<String>, Vec<u8>) {
    let auth = format!("Bearer {token}");
    let mut all = vec![("authorization", auth.as_str())];
    all.extend_from_slice(headers);
    let r = raw(app, Method::GET, path, "", &all, None, Vec::new()).await;
    let etag = r
        .headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (r.status, etag, r.body)
}

async fn devices_get_the_active_catalog_with_an_entity_tag(app: TestApp) {
    let b = sign_in(&app, "office").await;
    redirected(
        &b.post(&app, "/catalog/categories", &[("name", "净水设备")])
            .await,
    );
    let cat = catalog::categories(&app.db).await.unwrap()[0].id;
    let mut p = input("WP-100", "商用净水器", 498_000);
    p.category_id = Some(cat);
    p.tracking = Tracking::Serial;
    p.spec = "400G".into();
    let a = catalog::create_product(&app.db, &p).await.unwrap();
    let gone = catalog::create_product(&app.db, &input("OLD-1", "旧款", 100))
        .await
        .unwrap();
    catalog::set_product_active(&app.db, gone, false)
        .await
        .unwrap();
    let pl = list(&app, "A 2026", "A", "2026-01-01", None).await;
    catalog::set_price(&app.db, pl, a, 458_000).await.unwrap();
    catalog::set_price(&app.db, pl, gone, 90).await.unwrap();
    let off = list(&app, "停用表", "B", "2026-01-01", None).await;
    catalog::update_price_list(
        &app.db,
        off,
        &PriceListInput {
            name: "停用表".into(),
            tier: "B".into(),
            valid_from: "2026-01-01".into(),
            valid_to: None,
            active: false,
        },
    )
    .await
    .unwrap();
    // The image, uploaded in the back office, is readable by devices.
    let r = upload(
        &app,
        &b,
        &format!("/catalog/products/{a}/image/upload"),
        "image",
        "p.png",
        "image/png",
        &png(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let sha = fieldcrm_core::attachment::Sha256Hex::of(&png());
    let bad = upload(
        &app,
        &b,
        &format!("/catalog/products/{a}/image/upload"),
        "image",
        "p.png",
        "image/png",
        b"not a picture",
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let img = b.get(&app, &format!("/catalog/products/{a}/image")).await;
    assert_eq!(img.status, StatusCode::OK);
    assert_eq!(img.headers["content-type"], "image/png");

    let rep = app.login("rep.sh", "demo").await;
    let (status, etag, body) = get_with(&app, "/api/v1/catalog", &rep.access_token, &[]).await;
    assert_eq!(status, StatusCode::OK);
    let etag = etag.unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(etag, format!("\"{}\"", v["version"].as_str().unwrap()));
    assert_eq!(v["currency"], "CNY");
    let products = v["products"].as_array().unwrap();
    assert_eq!(products.len(), 1, "active products only: {v}");
    assert_eq!(
        products[0],
        serde_json::json!({"id": a.to_string(), "code": "WP-100", "name": "商用净水器", "unit": "台",
            "spec": "400G", "category": "净水设备", "list_price": 498000, "tracking": "serial",
            "shelf_life_days": null, "image_sha256": sha.as_str()})
    );
    let lists = v["price_lists"].as_array().unwrap();
    assert_eq!(lists.len(), 1, "active lists only");
    assert_eq!(lists[0]["tier"], "A");
    assert_eq!(lists[0]["valid_to"], Value::Null);
    assert_eq!(
        lists[0]["items"],
        serde_json::json!([{"product": a.to_string(), "unit_price": 458000}])
    );
    let r = raw(
        &app,
        Method::GET,
        &format!("/api/v1/attachments/{sha}"),
        "",
        &[("authorization", &format!("Bearer {}", rep.access_token))],
        None,
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "product images reach devices");
    assert_eq!(r.body, png());

    // Unchanged: 304 without a body; after a change, the new catalog under a new tag.
    let (status, etag2, body) = get_with(
        &app,
        "/api/v1/catalog",
        &rep.access_token,
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(
        (status, etag2.as_deref(), body.len()),
        (StatusCode::NOT_MODIFIED, Some(etag.as_str()), 0)
    );
    catalog::set_price(&app.db, pl, a, 450_000).await.unwrap();
    let (status, etag3, body) = get_with(
        &app,
        "/api/v1/catalog",
        &rep.access_token,
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(etag3.as_deref(), Some(etag.as_str()));
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["price_lists"][0]["items"][0]["unit_price"], 450000);
    // Engineers get it (parts); partners do not; no token, no catalog.
    let eng = app.login("engineer", "demo").await;
    assert_eq!(
        get_with(&app, "/api/v1/catalog", &eng.access_token, &[])
            .await
            .0,
        StatusCode::OK
    );
    let partner = app.login("partner", "demo").await;
    assert_eq!(
        get_with(&app, "/api/v1/catalog", &partner.access_token, &[])
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/catalog", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn device_keeps_the_catalog_for_offline_estimates(app: TestApp) {
    let a = catalog::create_product(&app.db, &input("WP-100", "商用净水器", 498_000))
        .await
        .unwrap();
    let b = catalog::create_product(&app.db, &input("FC-101", "PP棉滤芯", 1800))
        .await
        .unwrap();
    let pl = list(&app, "A 2026", "A", "2026-01-01", None).await;
    catalog::set_price(&app.db, pl, a, 458_000).await.unwrap();

    let home = tempfile::tempdir().unwrap();
    let client = FieldClient::open(home.path()).await.unwrap();
    client
        .login(&app.address, "rep.sh", "demo", "测试手机 phone")
        .await
        .unwrap();
    assert!(
        client.catalog().await.unwrap().is_none(),
        "not before the first sync"
    );
    client.sync_once().await.unwrap();
    let held = client.catalog().await.unwrap().expect("fetched by sync");
    assert_eq!(
        held.version,
        catalog::version(&app.db).await.unwrap().to_string()
    );
    assert_eq!(held.products.len(), 2);
    assert!(!client.refresh_catalog().await.unwrap(), "unchanged: 304");
    // A change reaches the device at the next sync.
    catalog::set_price(&app.db, pl, b, 1500).await.unwrap();
    client.sync_once().await.unwrap();
    let book = client.price_book("A", "2026-06-01").await.unwrap();
    assert_eq!(book.quote(a).unwrap().unit_price, 458_000);
    assert_eq!(book.quote(b).unwrap().unit_price, 1500);
    assert_eq!(
        client
            .price_book("B", "2026-06-01")
            .await
            .unwrap()
            .quote(b)
            .unwrap()
            .unit_price,
        1800
    );
    client.store().close().await;
    drop(client);

    // The server goes away: the device, reopened, still has its catalog.
    drop(app);
    let client = FieldClient::open(home.path()).await.unwrap();
    assert!(client.sync_once().await.is_err(), "offline");
    let held = client.catalog().await.unwrap().expect("kept offline");
    assert_eq!(held.product_by_code("FC-101").unwrap().name, "PP棉滤芯");
    let book = client.price_book("A", "2026-06-01").await.unwrap();
    assert_eq!(book.quote(b).unwrap().unit_price, 1500);
    client.store().close().await;
}

async fn hostile_catalog_names_render_inert(app: TestApp) {
    let b = sign_in(&app, "office").await;
    let evil = "<img src=x onerror=alert(1)>";
    redirected(&b.post(&app, "/catalog/categories", &[("name", evil)]).await);
    let cat = catalog::categories(&app.db).await.unwrap()[0]
        .id
        .to_string();
    let script = "<script>alert('x')</script>";
    redirected(
        &b.post(
            &app,
            "/catalog/products",
            &[
                ("code", "\"><b>X"),
                ("name", script),
                ("spec", evil),
                ("unit", "<i>"),
                ("category", &cat),
                ("list_price", "1"),
                ("tracking", "none"),
                ("active", "1"),
            ],
        )
        .await,
    );
    let id = catalog::product_by_code(&app.db, "\"><b>X")
        .await
        .unwrap()
        .unwrap()
        .id;
    redirected(
        &b.post(
            &app,
            "/catalog/price-lists",
            &[
                ("name", script),
                ("tier", ""),
                ("valid_from", "2026-01-01"),
                ("active", "1"),
            ],
        )
        .await,
    );
    let pl = catalog::price_lists(&app.db).await.unwrap()[0].id;
    redirected(
        &b.post(
            &app,
            &format!("/catalog/price-lists/{pl}/items"),
            &[("code", "\"><b>X"), ("unit_price", "2")],
        )
        .await,
    );
    for path in [
        "/catalog/products".to_owned(),
        format!("/catalog/products/{id}"),
        "/catalog/categories".into(),
        "/catalog/price-lists".into(),
        format!("/catalog/price-lists/{pl}"),
    ] {
        let page = b.get(&app, &path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        for raw_text in [script, evil, "\"><b>X", "<i>"] {
            assert!(!page.body.contains(raw_text), "{path} shows {raw_text} raw");
        }
        assert!(
            page.body.contains("&lt;") || page.body.contains("&#"),
            "{path}"
        );
    }
}

backend_tests!(
    price_book_follows_tier_lists_dates_and_activity,
    office_manages_categories_products_and_price_lists,
    reps_see_the_catalog_but_cannot_change_it,
    import_upserts_by_code_and_reports_bad_rows,
    devices_get_the_active_catalog_with_an_entity_tag,
    device_keeps_the_catalog_for_offline_estimates,
    hostile_catalog_names_render_inert,
);

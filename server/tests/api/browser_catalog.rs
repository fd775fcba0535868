//! The catalog in headless Chromium: the office opens the catalog from the navigation (the demo
//! catalog seeded), creates a product through the form, uploads its image (shown as a
//! thumbnail), creates a tier A price list and gives the product a price on it; the order
//! pricing contract then quotes that price. Saves `docs/screenshots/catalog-products.png`.

use fantoccini::Locator;
use fieldcrm_core::catalog::Tracking;
use fieldcrm_core::domain::PriceBook;
use fieldcrm_server::db::catalog;
use fieldcrm_server::demo_catalog;

use crate::browser::{Session, browser_available, screenshot, wait_for};
use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_creates_a_product_with_an_image_and_prices_it_in_chromium() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let seeded = demo_catalog::seed_catalog(&app.db).await.unwrap().unwrap();
    assert_eq!(seeded.products, 21);
    let c = Session::open(&app.address).await;
    c.sign_in("office", "demo").await;

    // The catalog from the navigation: the demo products.
    c.click("nav-catalog").await;
    wait_for(
        &c,
        "//table[@id='products']//a[normalize-space(.)='WP-100']",
    )
    .await;

    // A new product through the form.
    c.click("new-product").await;
    wait_for(&c, "//form[@id='product-form']").await;
    c.fill("code", "WP-900").await;
    c.fill("name", "浏览器净水器 Browser purifier").await;
    c.fill("spec", "1200G 反渗透").await;
    c.fill("unit", "台").await;
    c.click_xpath("//select[@id='category-select']/option[contains(., '净水设备')]")
        .await;
    c.fill("list_price", "5,888.00").await;
    c.click_xpath("//select[@id='tracking']/option[@value='serial']")
        .await;
    c.fill("shelf_life_days", "").await;
    c.click("save-product").await;
    wait_for(&c, "//*[@id='saved']").await;
    let p = catalog::product_by_code(&app.db, "WP-900")
        .await
        .unwrap()
        .expect("created through the form");
    assert_eq!(
        (p.name.as_str(), p.list_price, p.tracking, p.active),
        (
            "浏览器净水器 Browser purifier",
            588_800,
            Tracking::Serial,
            true
        )
    );

    // Its image: uploaded through the file input, then shown.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("purifier.png");
    std::fs::write(&file, crate::catalog::png()).unwrap();
    c.find(Locator::Id("image-file"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    c.click("image-submit").await;
    wait_for(&c, "//img[@id='product-image']").await;
    let p = catalog::product(&app.db, p.id).await.unwrap().unwrap();
    assert_eq!(
        p.image_sha256.as_ref().map(|s| s.as_str().to_owned()),
        Some(fieldcrm_core::attachment::Sha256Hex::of(&crate::catalog::png()).to_string())
    );
    // The element is there before its picture has loaded: wait for the decode to finish.
    let loaded = c
        .execute_async(
            "const [done] = arguments; const img = document.getElementById('product-image'); \
             if (img.complete) { done(img.naturalWidth); } \
             else { img.onload = () => done(img.naturalWidth); img.onerror = () => done(-1); }",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        loaded,
        serde_json::json!(1),
        "the picture is served and decodes"
    );

    // A tier A price list, and the product's price on it.
    c.click("catalog-price-lists").await;
    c.click("new-price-list").await;
    wait_for(&c, "//form[@id='price-list-form']").await;
    c.fill("list-name", "浏览器价格表 Browser list").await;
    c.click_xpath("//select[@id='tier']/option[@value='A']")
        .await;
    c.click("save-price-list").await;
    wait_for(&c, "//*[@id='saved']").await;
    c.fill("item-code", "WP-900").await;
    c.fill("item-price", "5,500").await;
    c.click("add-item").await;
    wait_for(
        &c,
        "//table[@id='items']//td[contains(@class,'item-price')][normalize-space(.)='5500.00']",
    )
    .await;
    let lists = catalog::price_lists(&app.db).await.unwrap();
    let list = lists
        .iter()
        .find(|l| l.name == "浏览器价格表 Browser list")
        .unwrap();
    assert_eq!((list.tier.as_str(), list.items), ("A", 1));
    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
    assert_eq!(list.valid_from, today, "the form's default");
    let mut conn = app.db.pool().acquire().await.unwrap();
    let book = catalog::price_book(&mut conn, "A", &today, &[p.id])
        .await
        .unwrap();
    assert_eq!(book.quote(p.id).unwrap().unit_price, 550_000);
    let book = catalog::price_book(&mut conn, "B", &today, &[p.id])
        .await
        .unwrap();
    assert_eq!(book.quote(p.id).unwrap().unit_price, 588_800);
    drop(conn);

    // The list with the thumbnail, for the README.
    c.open_page("/catalog/products?q=WP").await;
    wait_for(&c, "//table[@id='products']//img[@class='product-thumb']").await;
    screenshot(&c, "catalog-products.png").await;

    c.close().await;
}

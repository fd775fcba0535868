//! The catalog in headless Chromium: the office opens the catalog from the navigation (the demo
//! catalog seeded), creates a product through the form, uploads its image (shown as a
//! thumbnail), creates a tier A price list and gives the product a price on it; the order
//! pricing contract then quotes that price. Saves `docs/screenshots/catalog-products.png`.

use fantoccini::{Client, Locator};
use fieldcrm_core::catalog::Tracking;
use fieldcrm_core::domain::PriceBook;
use fieldcrm_server::db::catalog;
use fieldcrm_server::demo_catalog;

use crate::browser::{browser, browser_available, screenshot, start_chromedriver, wait_for};
use crate::helpers::spawn_app;

async fn fill(c: &Client, id: &str, text: &str) {
    let e = c.find(Locator::Id(id)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

async fn click(c: &Client, id: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn click_xpath(c: &Client, xpath: &str) {
    wait_for(c, xpath).await.click().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_creates_a_product_with_an_image_and_prices_it_in_chromium() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let seeded = demo_catalog::seed_catalog(&app.db).await.unwrap().unwrap();
    assert_eq!(seeded.products, 21);
    let (mut driver, webdriver) = start_chromedriver().await;
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&webdriver, profile.path()).await;
    let base = app.address.clone();

    c.goto(&format!("{base}/login")).await.unwrap();
    fill(&c, "username", "office").await;
    fill(&c, "password", "demo").await;
    click(&c, "login-submit").await;
    wait_for(&c, "//*[@id='fig-customers']").await;

    // The catalog from the navigation: the demo products.
    click(&c, "nav-catalog").await;
    wait_for(
        &c,
        "//table[@id='products']//a[normalize-space(.)='WP-100']",
    )
    .await;

    // A new product through the form.
    click(&c, "new-product").await;
    wait_for(&c, "//form[@id='product-form']").await;
    fill(&c, "code", "WP-900").await;
    fill(&c, "name", "浏览器净水器 Browser purifier").await;
    fill(&c, "spec", "1200G 反渗透").await;
    fill(&c, "unit", "台").await;
    click_xpath(
        &c,
        "//select[@id='category-select']/option[contains(., '净水设备')]",
    )
    .await;
    fill(&c, "list_price", "5,888.00").await;
    click_xpath(&c, "//select[@id='tracking']/option[@value='serial']").await;
    fill(&c, "shelf_life_days", "").await;
    click(&c, "save-product").await;
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
    click(&c, "image-submit").await;
    wait_for(&c, "//img[@id='product-image']").await;
    let p = catalog::product(&app.db, p.id).await.unwrap().unwrap();
    assert_eq!(
        p.image_sha256.as_ref().map(|s| s.as_str().to_owned()),
        Some(fieldcrm_core::attachment::Sha256Hex::of(&crate::catalog::png()).to_string())
    );
    let loaded = c
        .execute(
            "return document.getElementById('product-image').naturalWidth;",
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
    click(&c, "catalog-price-lists").await;
    click(&c, "new-price-list").await;
    wait_for(&c, "//form[@id='price-list-form']").await;
    fill(&c, "list-name", "浏览器价格表 Browser list").await;
    click_xpath(&c, "//select[@id='tier']/option[@value='A']").await;
    click(&c, "save-price-list").await;
    wait_for(&c, "//*[@id='saved']").await;
    fill(&c, "item-code", "WP-900").await;
    fill(&c, "item-price", "5,500").await;
    click(&c, "add-item").await;
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
    c.goto(&format!("{base}/catalog/products?q=WP"))
        .await
        .unwrap();
    wait_for(&c, "//table[@id='products']//img[@class='product-thumb']").await;
    screenshot(&c, "catalog-products.png").await;

    c.close().await.unwrap();
    let _ = driver.kill().await;
}

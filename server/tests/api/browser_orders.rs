//! Orders in headless Chromium: the office opens a submitted order from the order list,
//! confirms it, ships it (the ship form is prefilled with what is left; one lot number typed),
//! records a payment of the whole amount and sees the receivable become 0.00; opens the print
//! view. Saves `docs/screenshots/order-card.png` and `order-print.png`.

use fantoccini::Locator;

use crate::browser::{browser, browser_available, screenshot, start_chromedriver, wait_for};
use crate::helpers::spawn_app;
use crate::orders_office::{TWO_LINES, create_customer, create_order};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_confirms_ships_and_records_a_payment_in_chromium() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let s = &app.seed;
    let customer = create_customer(
        &app,
        "浏览器订单客户 Browser Orders",
        "C-BO-1",
        s.shanghai,
        s.users["rep.sh"],
    )
    .await;
    let order = create_order(&app, customer, "rep.sh", "submitted", TWO_LINES).await;

    let (mut driver, webdriver) = start_chromedriver().await;
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&webdriver, profile.path()).await;
    let base = app.address.clone();
    c.goto(&format!("{base}/login")).await.unwrap();
    c.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys("office")
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("demo")
        .await
        .unwrap();
    c.find(Locator::Id("login-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "//*[@id='fig-customers']").await;

    // The order list, filtered by status through the menu (htmx swaps the table).
    c.find(Locator::Id("nav-orders"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "//table[@id='orders']").await;
    c.find(Locator::Css("#status option[value='submitted']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "//span[@id='total'][contains(., ': 1')]").await;
    // htmx may still swap the table in after the filter: a link from the old table goes stale,
    // so find it again until the click lands.
    for attempt in 0..20 {
        let link = wait_for(
            &c,
            &format!("//tr[@data-order='{order}']//a[@class='order-link']"),
        )
        .await;
        match link.click().await {
            Ok(()) => break,
            Err(_) if attempt < 19 => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(e) => panic!("the order link cannot be clicked: {e}"),
        }
    }
    wait_for(&c, "//*[@id='order-status'][@data-status='submitted']").await;
    wait_for(
        &c,
        "//*[@id='order-receivable'][normalize-space(.)='409.50']",
    )
    .await;

    // Confirm.
    c.find(Locator::Id("confirm-order"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "//*[@id='order-status'][@data-status='confirmed']").await;

    // Ship everything (prefilled), with a lot number on the first line.
    c.find(Locator::Id("lots-1"))
        .await
        .unwrap()
        .send_keys("LOT-2026-01")
        .await
        .unwrap();
    c.find(Locator::Id("ship-order"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "//*[@id='order-status'][@data-status='shipped']").await;
    wait_for(
        &c,
        "//table[@id='order-lines']//td[@class='lots'][contains(., 'LOT-2026-01')]",
    )
    .await;

    // A payment of the whole amount: the receivable becomes 0.00.
    let amount = c.find(Locator::Id("pay-amount")).await.unwrap();
    amount.send_keys("409.50").await.unwrap();
    c.find(Locator::Id("pay-reference"))
        .await
        .unwrap()
        .send_keys("BANK-778899")
        .await
        .unwrap();
    c.find(Locator::Id("record-payment"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&c, "//*[@id='order-receivable'][normalize-space(.)='0.00']").await;
    wait_for(&c, "//*[@id='order-paid'][normalize-space(.)='409.50']").await;
    wait_for(
        &c,
        "//table[@id='order-payments']//td[contains(., 'BANK-778899')]",
    )
    .await;
    c.execute("window.scrollTo(0, 0);", vec![]).await.unwrap();
    screenshot(&c, "order-card.png").await;
    let v = fieldcrm_server::sync::write::load_record(&app.db, order)
        .await
        .unwrap();
    assert_eq!(v["status"], "shipped");
    assert_eq!(v["lines"][0]["lots"], serde_json::json!(["LOT-2026-01"]));
    assert_eq!(
        fieldcrm_server::db::payments::customer_receivable(&app.db, customer)
            .await
            .unwrap(),
        0
    );

    // The print view: its own page, the total, no navigation.
    c.goto(&format!("{base}/orders/{order}/print"))
        .await
        .unwrap();
    wait_for(&c, "//*[@id='print-total'][normalize-space(.)='409.50']").await;
    assert!(c.find(Locator::Id("nav-orders")).await.is_err());
    screenshot(&c, "order-print.png").await;

    c.close().await.unwrap();
    let _ = driver.kill().await;
}

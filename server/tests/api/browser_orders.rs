//! Orders in headless Chromium: the office opens a submitted order from the order list,
//! confirms it, ships it (the ship form is prefilled with what is left; one lot number typed),
//! records a payment of the whole amount and sees the receivable become 0.00; opens the print
//! view. Saves `docs/screenshots/order-card.png` and `order-print.png`.

use fantoccini::Locator;

use crate::browser::{Session, browser_available, screenshot, wait_for};
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

    let c = Session::open(&app.address).await;
    let base = c.base.clone();
    c.sign_in("office", "demo").await;

    // The order list, filtered by status through the menu (htmx swaps the table).
    c.click("nav-orders").await;
    wait_for(&c, "//table[@id='orders']").await;
    c.click_xpath("//select[@id='status']/option[@value='submitted']")
        .await;
    wait_for(&c, "//span[@id='total'][contains(., ': 1')]").await;
    // htmx may still swap the table in after the filter: `click_xpath` finds the link again
    // when the first one goes stale.
    c.click_xpath(&format!(
        "//tr[@data-order='{order}']//a[@class='order-link']"
    ))
    .await;
    wait_for(&c, "//*[@id='order-status'][@data-status='submitted']").await;
    wait_for(
        &c,
        "//*[@id='order-receivable'][normalize-space(.)='409.50']",
    )
    .await;

    // Confirm.
    c.click("confirm-order").await;
    wait_for(&c, "//*[@id='order-status'][@data-status='confirmed']").await;

    // Ship everything (prefilled), with a lot number on the first line.
    c.find(Locator::Id("lots-1"))
        .await
        .unwrap()
        .send_keys("LOT-2026-01")
        .await
        .unwrap();
    c.click("ship-order").await;
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
    c.click("record-payment").await;
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
        fieldcrm_server::db::payments::customer_receivable(
            &app.db,
            customer,
            &fieldcrm_server::db::territories::ScopeTerritories::All,
            None,
        )
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

    c.close().await;
}

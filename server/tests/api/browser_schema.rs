//! The dictionary and custom fields in headless Chromium: the admin creates a choice list with two
//! entries and a choice custom field on customers, the field appears in the customer form as a
//! select of the list's labels, and the value saved shows, labelled, on the card. Saves
//! screenshots of the custom fields page and the card to `docs/screenshots/`.

use fantoccini::{Client, Locator};
use fieldcrm_core::DocId;
use fieldcrm_server::db::schema as db_schema;
use fieldcrm_server::sync::write;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_adds_a_choice_field_that_appears_in_the_customer_form_and_card() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let (mut driver, webdriver) = start_chromedriver().await;
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&webdriver, profile.path()).await;
    let base = app.address.clone();

    c.goto(&format!("{base}/login")).await.unwrap();
    fill(&c, "username", "admin").await;
    fill(&c, "password", "demo").await;
    click(&c, "login-submit").await;
    wait_for(&c, "//*[@id='fig-customers']").await;

    // The dictionary: a new list with two entries.
    click(&c, "nav-dictionary").await;
    wait_for(
        &c,
        "//table[@id='dict-lists']//tr[@id='list-customer_tier']",
    )
    .await;
    fill(&c, "l-key", "vip_level").await;
    fill(&c, "l-name-zh", "会员等级").await;
    fill(&c, "l-name-en", "VIP level").await;
    click(&c, "create-list").await;
    wait_for(&c, "//*[@id='list-name'][normalize-space(.)='会员等级']").await;
    for (code, zh, en) in [("gold", "金卡", "Gold"), ("silver", "银卡", "Silver")] {
        fill(&c, "e-code", code).await;
        fill(&c, "e-label-zh", zh).await;
        fill(&c, "e-label-en", en).await;
        click(&c, "add-entry").await;
        wait_for(
            &c,
            &format!("//table[@id='entries']//tr[@id='entry-{code}']"),
        )
        .await;
    }

    // A choice field on customers, from that list.
    click(&c, "nav-fields").await;
    wait_for(&c, "//form[@id='new-field']").await;
    c.find(Locator::Id("nf-kind"))
        .await
        .unwrap()
        .select_by_value("customer")
        .await
        .unwrap();
    fill(&c, "nf-key", "vip").await;
    fill(&c, "nf-label-zh", "会员卡").await;
    fill(&c, "nf-label-en", "Membership").await;
    c.find(Locator::Id("nf-type"))
        .await
        .unwrap()
        .select_by_value("choice")
        .await
        .unwrap();
    c.find(Locator::Id("nf-list"))
        .await
        .unwrap()
        .select_by_value("vip_level")
        .await
        .unwrap();
    click(&c, "create-field").await;
    wait_for(
        &c,
        "//table[@id='fields-customer']//tr[@id='field-customer-vip']",
    )
    .await;
    screenshot(&c, "custom-fields.png").await;

    // It appears in the customer form as a select of the list's labels.
    c.goto(&format!("{base}/customers/new")).await.unwrap();
    wait_for(
        &c,
        "//form[@id='customer-form']//label[@for='cf-vip'][contains(., '会员卡')]",
    )
    .await;
    wait_for(
        &c,
        "//select[@id='cf-vip']/option[@value='gold'][normalize-space(.)='金卡']",
    )
    .await;
    fill(&c, "f-name", "会员客户 Member Co").await;
    c.find(Locator::Id("f-territory"))
        .await
        .unwrap()
        .select_by_value(&app.seed.shanghai.to_string())
        .await
        .unwrap();
    c.find(Locator::Id("f-tier"))
        .await
        .unwrap()
        .select_by_value("A")
        .await
        .unwrap();
    c.find(Locator::Id("cf-vip"))
        .await
        .unwrap()
        .select_by_value("gold")
        .await
        .unwrap();
    click(&c, "save-customer").await;

    // The card shows the saved value by its label.
    wait_for(&c, "//*[@id='customer-name'][contains(., 'Member Co')]").await;
    wait_for(
        &c,
        "//dl[@id='details']/dd[@id='cf-vip'][normalize-space(.)='金卡']",
    )
    .await;
    wait_for(&c, "//dl[@id='details']/dt[normalize-space(.)='会员卡']").await;
    screenshot(&c, "customer-custom-field.png").await;
    let url = c.current_url().await.unwrap();
    let id = DocId::parse(url.path().trim_start_matches("/customers/")).unwrap();
    let record = write::load_record(&app.db, id).await.unwrap();
    assert_eq!(record["custom"]["vip"], "gold");
    assert_eq!(record["tier"], "A");
    assert!(
        db_schema::reference(&app.db)
            .await
            .unwrap()
            .field(fieldcrm_core::document::Kind::Customer, "vip")
            .is_some()
    );

    c.close().await.unwrap();
    let _ = driver.kill().await;
}

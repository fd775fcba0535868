//! The dictionary and custom fields in headless Chromium: the admin creates a choice list with two
//! entries and a choice custom field on customers, the field appears in the customer form as a
//! select of the list's labels, and the value saved shows, labelled, on the card. Saves
//! screenshots of the custom fields page and the card to `docs/screenshots/`.

use fantoccini::Locator;
use fieldcrm_core::DocId;
use fieldcrm_server::db::schema as db_schema;
use fieldcrm_server::sync::write;

use crate::browser::{Session, browser_available, screenshot, wait_for};
use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_adds_a_choice_field_that_appears_in_the_customer_form_and_card() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let c = Session::open(&app.address).await;
    let base = c.base.clone();

    c.sign_in("admin", "demo").await;

    // The dictionary: a new list with two entries.
    c.click("nav-dictionary").await;
    wait_for(
        &c,
        "//table[@id='dict-lists']//tr[@id='list-customer_tier']",
    )
    .await;
    c.fill("l-key", "vip_level").await;
    c.fill("l-name-zh", "会员等级").await;
    c.fill("l-name-en", "VIP level").await;
    c.click("create-list").await;
    wait_for(&c, "//*[@id='list-name'][normalize-space(.)='会员等级']").await;
    for (code, zh, en) in [("gold", "金卡", "Gold"), ("silver", "银卡", "Silver")] {
        c.fill("e-code", code).await;
        c.fill("e-label-zh", zh).await;
        c.fill("e-label-en", en).await;
        c.click("add-entry").await;
        wait_for(
            &c,
            &format!("//table[@id='entries']//tr[@id='entry-{code}']"),
        )
        .await;
    }

    // A choice field on customers, from that list.
    c.click("nav-fields").await;
    wait_for(&c, "//form[@id='new-field']").await;
    c.find(Locator::Id("nf-kind"))
        .await
        .unwrap()
        .select_by_value("customer")
        .await
        .unwrap();
    c.fill("nf-key", "vip").await;
    c.fill("nf-label-zh", "会员卡").await;
    c.fill("nf-label-en", "Membership").await;
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
    c.click("create-field").await;
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
    c.fill("f-name", "会员客户 Member Co").await;
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
    c.click("save-customer").await;

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

    c.close().await;
}

//! The dispatch board in headless Chromium: the office assigns an unassigned ticket to an
//! engineer by the card's form (click), a second one by drag and drop onto another engineer's
//! column, then drags the first dispatch to the other engineer (reassignment); each time the card
//! shows in the right column and the dispatch document has the right engineer. Then the ticket
//! card and the statistics. Chrome does not
//! perform HTML5 drag and drop for WebDriver's pointer actions, so the drag is the DOM events a
//! real drag fires (`dragstart`, `dragover`, `drop` with one `DataTransfer`), which `app.js`
//! handles as it would a mouse drag. Saves `docs/screenshots/dispatch-board.png`,
//! `service-ticket.png` and `service-stats.png`.

use fantoccini::{Client, Locator};
use fieldcrm_core::document::Kind;
use fieldcrm_core::{CustomerId, DocId, Role, UserId};
use fieldcrm_server::db::now_ms;
use fieldcrm_server::db::tickets::{self, Priority, TicketType};
use fieldcrm_server::db::users::{self, NewUser};
use fieldcrm_server::dispatching::{self, TicketInput};
use fieldcrm_server::sync::write;
use serde_json::json;

use crate::browser::{Session, browser_available, screenshot, wait_for};
use crate::helpers::{TestApp, spawn_app};

async fn ticket(app: &TestApp, customer: CustomerId, description: &str) -> tickets::Ticket {
    dispatching::create_ticket(
        &app.db,
        &TicketInput {
            customer,
            contact_name: "王五".into(),
            contact_phone: "138 0000 0002".into(),
            ticket_type: TicketType::Repair,
            priority: Priority::Urgent,
            description: description.into(),
            product: None,
            serial: String::new(),
            sla_due_at: None,
            created_by: None,
            now: now_ms(),
        },
    )
    .await
    .unwrap()
}

/// Drags the card `card_id` onto the column of `engineer`, as a mouse drag would.
async fn drag(c: &Client, card_id: &str, engineer: UserId) {
    c.execute(
        "const card = document.getElementById(arguments[0]);
         const col = document.querySelector('[data-drop-engineer=\"' + arguments[1] + '\"]');
         const dt = new DataTransfer();
         card.dispatchEvent(new DragEvent('dragstart', {bubbles: true, cancelable: true, dataTransfer: dt}));
         col.dispatchEvent(new DragEvent('dragenter', {bubbles: true, cancelable: true, dataTransfer: dt}));
         const over = new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: dt});
         col.dispatchEvent(over);
         if (!over.defaultPrevented) { throw new Error('the column does not accept the drop'); }
         col.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));
         card.dispatchEvent(new DragEvent('dragend', {bubbles: true, dataTransfer: dt}));",
        vec![json!(card_id), json!(engineer.to_string())],
    )
    .await
    .unwrap();
}

async fn engineer_of(app: &TestApp, t: fieldcrm_core::TicketId) -> Option<String> {
    let rows = tickets::dispatches_of(&app.db, t).await.unwrap();
    assert!(rows.len() <= 1);
    let id = rows.first()?.id;
    let d = write::load_record(&app.db, id.into()).await.unwrap();
    d["engineer"].as_str().map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_assigns_by_click_and_by_drag_on_the_dispatch_board_in_chromium() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let eng1 = app.seed.users["engineer"];
    let eng2 = users::create(
        &app.db,
        &NewUser {
            username: "engineer.2",
            display_name: "二号工程师 Engineer Two",
            role: Role::Engineer,
            password_hash: "x",
        },
    )
    .await
    .unwrap()
    .id;
    let id = DocId::new();
    write::server_create(
        &app.db,
        &app.state.hub,
        Kind::Customer,
        id,
        &json!({"name": "看板客户 Board Co", "code": "C-BOARD", "tier": "A",
                "territory": app.seed.shanghai.to_string(),
                "address": {"city": "上海", "street": "世纪大道 1 号"}}),
        None,
    )
    .await
    .unwrap();
    let a = ticket(&app, id.into(), "点击派工 by click").await;
    let b = ticket(&app, id.into(), "拖动派工 by drag").await;
    let waiting = ticket(&app, id.into(), "待派 waiting").await;
    let date = chrono::Local::now().format("%Y-%m-%d").to_string();

    let c = Session::open(&app.address).await;
    let base = c.base.clone();
    c.sign_in("office", "demo").await;
    wait_for(&c, "//a[@id='nav-service']").await;
    c.click("nav-service").await;
    wait_for(&c, "//section[@id='col-unassigned']").await;
    wait_for(&c, &format!("//*[@id='board-date'][.='{date}']")).await;

    // Click: choose the engineer in the card's form and assign.
    let form = wait_for(&c, &format!("//form[@id='assign-{}']", a.id)).await;
    form.find(Locator::Css("select[name=engineer]"))
        .await
        .unwrap()
        .select_by_value(&eng1.to_string())
        .await
        .unwrap();
    form.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        &c,
        &format!(
            "//section[@data-drop-engineer='{eng1}']//article[contains(., '{}')]",
            a.number
        ),
    )
    .await;
    assert_eq!(engineer_of(&app, a.id).await, Some(eng1.to_string()));
    assert!(
        c.find(Locator::Id(&format!("assign-{}", a.id)))
            .await
            .is_err(),
        "the ticket left the unassigned column"
    );

    // Drag: the second ticket onto the second engineer's column.
    drag(&c, &format!("ticket-{}", b.id), eng2).await;
    wait_for(
        &c,
        &format!(
            "//section[@data-drop-engineer='{eng2}']//article[contains(., '{}')]",
            b.number
        ),
    )
    .await;
    assert_eq!(engineer_of(&app, b.id).await, Some(eng2.to_string()));

    // Drag the first dispatch from the first engineer to the second: reassigned.
    let first = tickets::dispatches_of(&app.db, a.id).await.unwrap()[0].id;
    drag(&c, &format!("dispatch-{first}"), eng2).await;
    wait_for(
        &c,
        &format!("//section[@data-drop-engineer='{eng2}']//article[@id='dispatch-{first}']"),
    )
    .await;
    assert_eq!(engineer_of(&app, a.id).await, Some(eng2.to_string()));
    assert!(
        c.find(Locator::XPath(&format!(
            "//section[@data-drop-engineer='{eng1}']//article[@id='dispatch-{first}']"
        )))
        .await
        .is_err()
    );
    wait_for(&c, &format!("//form[@id='assign-{}']", waiting.id)).await;
    screenshot(&c, "dispatch-board.png").await;
    // The ticket card lists its dispatch with the new engineer.
    c.goto(&format!("{base}/service/tickets/{}", a.id))
        .await
        .unwrap();
    wait_for(
        &c,
        "//div[contains(@class, 'dispatch')]//*[@class='dispatch-engineer'][contains(., 'Engineer Two')]",
    )
    .await;
    screenshot(&c, "service-ticket.png").await;
    c.goto(&format!("{base}/service/stats")).await.unwrap();
    wait_for(&c, "//*[@id='fig-tickets'][.='3']").await;
    screenshot(&c, "service-stats.png").await;

    c.close().await;
}

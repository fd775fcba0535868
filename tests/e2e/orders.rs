//! Orders end to end: a rep takes an order offline with a tampered price and a discount over the
//! rep's limit; after sync the server's prices and the allowed discount stand, the rep sees the
//! compensation notice and the order has its number; the office confirms and ships it, and
//! payments received bring the receivable to zero.

use fieldcrm_core::catalog::Tracking;
use fieldcrm_core::client::store::NoticeKind;
use fieldcrm_core::client::{FieldClient, LineInput};
use fieldcrm_core::domain::{Order, OrderStatus};
use fieldcrm_core::{CustomerId, ProductId};
use fieldcrm_server::db::catalog::{self, PriceListInput, ProductInput};
use fieldcrm_server::sync::write;
use serde_json::json;

use crate::harness::{Backend, PASSWORD, TestServer};

async fn product(
    server: &TestServer,
    code: &str,
    list_price: i64,
    tracking: Tracking,
) -> ProductId {
    catalog::create_product(
        &server.state.db,
        &ProductInput {
            code: code.into(),
            name: format!("Pump {code}"),
            unit: "台".into(),
            spec: "DN50".into(),
            category_id: None,
            list_price,
            image_sha256: None,
            tracking,
            shelf_life_days: None,
            active: true,
        },
    )
    .await
    .unwrap()
}

async fn server_order(server: &TestServer, id: fieldcrm_core::OrderId) -> Order {
    serde_json::from_value(
        write::load_record(&server.state.db, id.into())
            .await
            .unwrap(),
    )
    .unwrap()
}

async fn an_offline_order_is_priced_capped_and_numbered(backend: Backend) {
    let Some(server) = TestServer::start(backend, 2).await else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let phone = FieldClient::open(home.path()).await.unwrap();
    phone
        .login(&server.url, "rep.sh", PASSWORD, "rep.sh phone")
        .await
        .unwrap();
    phone.sync_once().await.unwrap();
    let customer: CustomerId = phone.list_customers(None, 1, 0).await.unwrap()[0].id;
    let tier = phone.get_customer(customer).await.unwrap().tier;

    // The catalog: a pump at ¥1,200.00 list, ¥1,000.00 on the customer's tier price list.
    let pump = product(&server, "P-100", 120_000, Tracking::Serial).await;
    let seal = product(&server, "S-7", 2_550, Tracking::None).await;
    let list = catalog::create_price_list(
        &server.state.db,
        &PriceListInput {
            name: "Tier price".into(),
            tier: tier.clone(),
            valid_from: "2020-01-01".into(),
            valid_to: None,
            active: true,
        },
    )
    .await
    .unwrap();
    catalog::set_price(&server.state.db, list, pump, 100_000)
        .await
        .unwrap();

    // Offline: two lines, a tampered unit price and a 25 % discount (a rep may give 10 %).
    let id = phone
        .create_order(
            customer,
            vec![
                LineInput {
                    product: pump,
                    quantity: 2.0,
                    discount_bp: 2_500,
                    requested_delivery: Some("2026-12-01".into()),
                    notes: String::new(),
                },
                LineInput {
                    product: seal,
                    quantity: 4.0,
                    discount_bp: 0,
                    requested_delivery: None,
                    notes: String::new(),
                },
            ],
            "deliver to the back door",
        )
        .await
        .unwrap();
    phone
        .edit_order(id, |o| {
            o.lines[0].unit_price = 1; // tampered
            o.total = 2;
            Ok(())
        })
        .await
        .unwrap();
    phone.submit_order(id).await.unwrap();
    assert_eq!(phone.get_order(id).await.unwrap().number, None);

    let report = phone.sync_once().await.unwrap();
    assert_eq!((report.compensated, report.rejected), (1, 0), "{report:?}");
    let on_phone = phone.get_order(id).await.unwrap();
    let on_server = server_order(&server, id).await;
    assert_eq!(on_phone, on_server);
    assert_eq!(on_server.status, OrderStatus::Submitted);
    assert_eq!(
        on_server.lines[0].unit_price, 100_000,
        "the tier price list"
    );
    assert_eq!(
        on_server.lines[0].discount_bp, 1_000,
        "capped at the rep's 10 %"
    );
    assert_eq!(on_server.lines[0].line_total, 180_000);
    assert_eq!(on_server.lines[1].unit_price, 2_550, "the list price");
    assert_eq!(on_server.lines[1].line_total, 10_200);
    assert_eq!(on_server.subtotal, 210_200);
    assert_eq!(on_server.discount_total, 20_000);
    assert_eq!(on_server.total, 190_200);
    let number = on_server.number.clone().unwrap();
    let year = chrono::Datelike::year(&chrono::Local::now());
    assert_eq!(number, format!("SO-{year}-000001"));
    let notices = phone.notices().await.unwrap();
    let notice = notices
        .iter()
        .find(|n| n.kind == NoticeKind::Compensated)
        .expect("a compensation notice");
    assert!(notice.message.contains("discount"), "{}", notice.message);
    assert!(notice.message.contains("1000.00"), "{}", notice.message);

    // The rep cannot confirm it; the office can, then ships it.
    phone
        .edit_order(id, |o| {
            o.status = OrderStatus::Confirmed;
            Ok(())
        })
        .await
        .unwrap_err();
    let office = Some(server.user("office"));
    write::server_update(
        &server.state.db,
        &server.state.hub,
        id.into(),
        office,
        "order.confirm",
        |v| {
            v["status"] = json!("confirmed");
            Ok(())
        },
    )
    .await
    .unwrap();
    // Pumps are serial-tracked: shipping them without a serial per unit is refused.
    let ship = |serials: Vec<&'static str>| {
        move |v: &mut serde_json::Value| {
            for line in v["lines"].as_array_mut().unwrap() {
                line["shipped_quantity"] = line["quantity"].clone();
            }
            v["lines"][0]["lots"] = json!(serials);
            v["status"] = json!("shipped");
            Ok(())
        }
    };
    let refused = write::server_update(
        &server.state.db,
        &server.state.hub,
        id.into(),
        office,
        "order.ship",
        ship(vec!["SN-1"]),
    )
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("serial"), "{refused}");
    write::server_update(
        &server.state.db,
        &server.state.hub,
        id.into(),
        office,
        "order.ship",
        ship(vec!["SN-1", "SN-2"]),
    )
    .await
    .unwrap();
    phone.sync_once().await.unwrap();
    let shipped = phone.get_order(id).await.unwrap();
    assert_eq!(shipped.status, OrderStatus::Shipped);
    assert_eq!(shipped.total, 190_200, "the price of record does not move");
    // Payments received: a partial one, an overpayment refused, the rest; nothing is owed then.
    let pay = |amount: i64| fieldcrm_server::db::payments::NewPayment {
        order: id.into(),
        amount,
        paid_on: "2026-11-20".into(),
        method: fieldcrm_server::db::payments::PaymentMethod::BankTransfer,
        reference: "HSBC-0001".into(),
        notes: String::new(),
        recorded_by: server.user("office"),
    };
    let db = &server.state.db;
    fieldcrm_server::db::payments::record(db, &pay(100_000))
        .await
        .unwrap();
    let over = fieldcrm_server::db::payments::record(db, &pay(90_201)).await;
    assert!(over.is_err(), "{over:?}");
    fieldcrm_server::db::payments::record(db, &pay(90_200))
        .await
        .unwrap();
    assert_eq!(
        fieldcrm_server::db::payments::customer_receivable(
            db,
            customer.into(),
            &fieldcrm_server::db::territories::ScopeTerritories::All,
            None,
        )
        .await
        .unwrap(),
        0
    );
    let listed = phone.list_orders(Some(customer)).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].number.as_deref(), Some(number.as_str()));

    // A second order draws the next number.
    let second = phone
        .create_order(
            customer,
            vec![LineInput {
                product: seal,
                quantity: 1.0,
                discount_bp: 0,
                requested_delivery: None,
                notes: String::new(),
            }],
            "",
        )
        .await
        .unwrap();
    let report = phone.sync_once().await.unwrap();
    assert_eq!((report.accepted, report.compensated), (1, 0), "{report:?}");
    assert_eq!(
        server_order(&server, second).await.number,
        Some(format!("SO-{year}-000002"))
    );
    server.stop().await;
}

on_both_backends!(an_offline_order_is_priced_capped_and_numbered);

//! The Rust side of the JVM tests (`scripts/kotlin-test.sh`): prepares a fresh server data
//! directory before `fieldcrm serve --demo` starts on it. It seeds the demo (exactly what
//! `serve --demo` would; the server then finds users and seeds nothing), and adds one engineer per
//! JVM test — `engineer.jvm` (the bindings test) and `engineer.kit` (the Android kit's test),
//! password `demo` — each with one repair job dispatched by the office through the server's write
//! path, as the back office does. Dedicated engineers keep the tests independent of whatever
//! service data the demo seed holds.
//!
//! ```sh
//! FIELDCRM__DATA_DIR=/tmp/x/server cargo run -p fieldcrm-mobile --example jvm_fixture
//! ```

use std::error::Error;

use fieldcrm_core::domain::{Dispatch, Site};
use fieldcrm_core::{CustomerId, DispatchId, DocId, Kind, Role, TicketId};
use fieldcrm_server::settings::{Settings, SettingsLayer};
use fieldcrm_server::startup::Application;
use fieldcrm_server::sync::write;

/// The engineers the JVM tests log in as.
const ENGINEERS: [&str; 2] = ["engineer.jvm", "engineer.kit"];
/// Their password (the demo's).
const PASSWORD: &str = "demo";

async fn prepare() -> Result<(), Box<dyn Error>> {
    let settings = Settings::load(
        None,
        SettingsLayer {
            listen: Some("127.0.0.1:0".to_owned()),
            ..SettingsLayer::default()
        },
    )?;
    let app = Application::build(settings).await?;
    let state = app.state().clone();
    let db = &state.db;
    let seeded = fieldcrm_server::demo_data::seed_demo(db, &state.hub, PASSWORD).await?;
    let org = seeded
        .ok_or("the data directory already has users: give a fresh one")?
        .org;
    let customer: String = sqlx::query_scalar(
        "SELECT id FROM customers WHERE territory_id = $1 ORDER BY name, id LIMIT 1",
    )
    .bind(org.shanghai.to_string())
    .fetch_one(db.pool())
    .await?;
    let customer: CustomerId = DocId::parse(&customer)?.into();
    let office = org.users.get("office").copied();
    let hash = fieldcrm_server::auth::password::hash_password(PASSWORD)?;
    for username in ENGINEERS {
        let engineer = fieldcrm_server::db::users::create(
            db,
            &fieldcrm_server::db::users::NewUser {
                username,
                display_name: "JVM 测试工程师 Test Engineer",
                role: Role::Engineer,
                password_hash: &hash,
            },
        )
        .await?;
        let dispatch = Dispatch {
            ticket: Some(TicketId::new()),
            customer: Some(customer),
            engineer: Some(engineer.id),
            ticket_type: "repair".into(),
            priority: "high".into(),
            description: format!("冷柜不制冷 Freezer not cooling ({username})"),
            product_serial: "SN-10037".into(),
            site: Site {
                customer_name: "华联超市 Hualian".into(),
                address: "上海市浦东新区世纪大道 100 号".into(),
                contact_name: "王经理".into(),
                contact_phone: "13800000000".into(),
                geo: None,
            },
            ..Dispatch::default()
        };
        let id = DispatchId::new();
        write::server_create(
            db,
            &state.hub,
            Kind::Dispatch,
            id.into(),
            &serde_json::to_value(&dispatch)?,
            office,
        )
        .await?;
        println!("jvm fixture: dispatch {id} for {username}");
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    tokio::runtime::Runtime::new()?.block_on(prepare())
}

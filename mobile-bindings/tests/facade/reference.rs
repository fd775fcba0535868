//! The facade's reference data: empty before the first sync, the dictionary and custom field
//! definitions after it, and custom values checked against them when the app sets fields.

use fieldcrm_core::document::Kind;
use fieldcrm_core::schema::{FieldDef, FieldType};
use fieldcrm_mobile::reference::CustomFieldType;
use fieldcrm_mobile::{FieldClient, FieldError, FieldValue};
use fieldcrm_server::settings::{Settings, SettingsLayer};
use fieldcrm_server::startup::Application;
use tokio::sync::oneshot;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_data_reaches_the_app_and_guards_custom_values() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::from_layer(SettingsLayer {
        listen: Some("127.0.0.1:0".to_owned()),
        database_url: Some(format!(
            "sqlite://{}",
            dir.path().join("fieldcrm.db").display()
        )),
        data_dir: Some(dir.path().to_path_buf()),
        jwt_secret: Some("mobile-test-secret-0123456789abcdef".to_owned()),
        ..Default::default()
    })
    .unwrap();
    let app = Application::build(settings).await.unwrap();
    let state = app.state().clone();
    let org = fieldcrm_server::seed::seed_org(&state.db, "demo")
        .await
        .unwrap();
    fieldcrm_server::db::schema::create_field(
        &state.db,
        &FieldDef {
            kind: Kind::Customer,
            key: "credit".into(),
            label_zh: "信用额度".into(),
            label_en: "Credit limit".into(),
            field_type: FieldType::Number,
            list: None,
            required: false,
            active: true,
            position: 1,
        },
    )
    .await
    .unwrap();
    let mut cities = fieldcrm_server::demo_data::cities(org.shanghai, org.hangzhou, org.beijing);
    for (c, rep) in cities.iter_mut().zip(["rep.sh", "rep.hz", "rep.bj"]) {
        c.rep = org.users.get(rep).copied();
    }
    fieldcrm_server::demo_data::seed_customers(&state.db, &state.hub, &cities, 1, 3)
        .await
        .unwrap();
    let url = format!("http://{}", app.local_addr());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_with_shutdown(async move {
        let _ = stopped.await;
    }));

    let client = FieldClient::open(dir.path().join("device").display().to_string())
        .await
        .unwrap();
    client
        .login(url, "rep.sh".into(), "demo".into(), "测试手机".into())
        .await
        .unwrap();
    let before = client.reference_data().await.unwrap();
    assert!(before.version.is_empty() && before.lists.is_empty());
    client.sync_now().await.unwrap();
    let data = client.reference_data().await.unwrap();
    assert!(!data.version.is_empty());
    let tiers = data
        .lists
        .iter()
        .find(|l| l.key == "customer_tier")
        .unwrap();
    assert_eq!(tiers.entries.len(), 4);
    assert_eq!(tiers.entries[0].label_en, "A (key account)");
    let credit = &data.fields[0];
    assert_eq!(
        (credit.kind.as_str(), credit.key.as_str(), credit.field_type),
        ("customer", "credit", CustomFieldType::Number)
    );

    let id = client.list_customers(None, 1, 0).await.unwrap()[0]
        .id
        .clone();
    let set = |v: &str| {
        vec![FieldValue {
            field: "custom.credit".into(),
            value: v.into(),
        }]
    };
    let err = client
        .set_customer_fields(id.clone(), set("a lot"))
        .await
        .unwrap_err();
    assert!(matches!(err, FieldError::InvalidInput { .. }), "{err:?}");
    client
        .set_customer_fields(id.clone(), set("2000.00"))
        .await
        .unwrap();
    let record = client.get_customer(id).await.unwrap();
    assert_eq!(
        record.custom.get("credit").map(String::as_str),
        Some("2000")
    );
    let _ = stop.send(());
}

//! The back office and a field client together, in headless Chromium and the real `fieldcrm
//! client` command (its own offline store, synced over the WebSocket): the office creates a
//! customer in the browser and it arrives on the rep's synced client; the rep edits it on the
//! client (offline, then `sync`) and the office sees the new value on the card and the change in
//! the history tab — old → new, by the rep, from the client's device.

use std::path::Path;
use std::process::Output;

use fantoccini::Locator;
use fieldcrm_core::DocId;
use fieldcrm_server::sync::write;
use serde_json::Value;

use crate::browser::{Session, browser_available, wait_for};
use crate::helpers::spawn_app;

/// Runs `fieldcrm client --home HOME ARGS…` (the binary of this package) to completion.
async fn client(home: &Path, args: &[&str]) -> Output {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_fieldcrm"))
        .arg("client")
        .arg("--home")
        .arg(home)
        .args(args)
        .kill_on_drop(true)
        .output()
        .await
        .expect("run the fieldcrm client");
    assert!(
        out.status.success(),
        "fieldcrm client {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).expect("the client's --json output")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_creates_in_chromium_the_client_syncs_edits_and_the_card_shows_it() {
    if !browser_available() {
        return;
    }
    let app = spawn_app().await;
    let home = tempfile::tempdir().unwrap();
    let home = home.path();

    // The rep's client signs in and syncs before the customer exists.
    let login = json(
        &client(
            home,
            &[
                "login",
                "--server",
                &app.address,
                "--user",
                "rep.sh",
                "--password",
                "demo",
                "--device-name",
                "张三的终端 cli",
                "--json",
            ],
        )
        .await,
    );
    assert_eq!(login["user"]["username"], "rep.sh");
    client(home, &["sync", "--json"]).await;
    let before = json(
        &client(
            home,
            &["list", "customers", "--query", "浏览器同步", "--json"],
        )
        .await,
    );
    assert_eq!(before, serde_json::json!([]));

    // The office creates the customer in the browser, in the rep's territory.
    let c = Session::open(&app.address).await;
    c.sign_in("office", "demo").await;
    c.open_page("/customers/new").await;
    c.fill("f-name", "浏览器同步客户 Sync Co").await;
    c.find(Locator::Id("f-territory"))
        .await
        .unwrap()
        .select_by_value(&app.seed.shanghai.to_string())
        .await
        .unwrap();
    c.find(Locator::Id("f-tier"))
        .await
        .unwrap()
        .select_by_value("B")
        .await
        .unwrap();
    c.click("save-customer").await;
    wait_for(&c, "//*[@id='customer-name'][contains(., 'Sync Co')]").await;
    let url = c.current_url().await.unwrap();
    let id = DocId::parse(url.path().trim_start_matches("/customers/")).unwrap();

    // It arrives on the client with the next sync.
    let report = json(&client(home, &["sync", "--json"]).await);
    assert!(report["docs_received"].as_u64().unwrap() >= 1, "{report}");
    let found = json(
        &client(
            home,
            &["list", "customers", "--query", "浏览器同步", "--json"],
        )
        .await,
    );
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found[0]["id"], id.to_string());
    assert_eq!(found[0]["tier"], "B");

    // The rep edits it on the client (offline: stored locally, pending), then syncs.
    let id_text = id.to_string();
    client(
        home,
        &[
            "edit",
            "customer",
            &id_text,
            "tier=A",
            "notes=客户端回访 follow-up from the client",
        ],
    )
    .await;
    let shown = json(&client(home, &["show", "customer", &id_text, "--json"]).await);
    assert_eq!(shown["tier"], "A");
    let report = json(&client(home, &["sync", "--json"]).await);
    assert_eq!(
        (report["accepted"].as_u64(), report["rejected"].as_u64()),
        (Some(1), Some(0)),
        "{report}"
    );
    let record = write::load_record(&app.db, id).await.unwrap();
    assert_eq!(
        (record["tier"].as_str(), record["notes"].as_str()),
        (Some("A"), Some("客户端回访 follow-up from the client"))
    );

    // The office reloads the card: the new values, and the change in the history tab with the
    // rep and the client's device.
    c.open_page(&format!("/customers/{id}")).await;
    wait_for(&c, "//*[@id='customer-name'][contains(., 'Sync Co')]").await;
    wait_for(
        &c,
        "//*[contains(., '客户端回访 follow-up from the client')]",
    )
    .await;
    c.click("tab-history").await;
    let entry = "//table[@id='history']//tr[td[contains(., '上海销售 Shanghai Rep')]]\
                 [td[contains(., '张三的终端 cli')]]";
    wait_for(
        &c,
        &format!(
            "{entry}//div[@class='change'][span[@class='new']='客户端回访 follow-up from the client']"
        ),
    )
    .await;
    wait_for(
        &c,
        &format!(
            "{entry}//div[@class='change'][starts-with(span[@class='old'], 'B')]\
             [starts-with(span[@class='new'], 'A')]"
        ),
    )
    .await;
    c.close().await;
}

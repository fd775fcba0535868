//! Memory figure of the phone facade: seeds a server (in a child process, so its memory is not
//! counted) with N customers in one territory (default 10,000), then in this process opens an
//! empty store, logs in as that territory's rep, syncs everything through the facade, lists,
//! searches and opens a few customers, and prints this process's RSS above the empty-store
//! baseline (target: < 64 MB).
//!
//! ```sh
//! cargo run --release -p fieldcrm-mobile --example memory [-- --customers 10000]
//! ```

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a measuring tool run by hand: a failure should stop it loudly"
)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use fieldcrm_core::document::Kind;
use fieldcrm_mobile::FieldClient;
use fieldcrm_server::settings::{Settings, SettingsLayer};
use fieldcrm_server::startup::Application;
use rand::SeedableRng;

/// `VmRSS` / `VmHWM` of this process, KiB.
fn kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// The child: seeds N customers into 上海, serves, prints its URL, runs until stdin closes.
async fn serve_seeded(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::from_layer(SettingsLayer {
        listen: Some("127.0.0.1:0".into()),
        database_url: Some(format!("sqlite://{}/m.db", dir.path().display())),
        data_dir: Some(dir.path().to_path_buf()),
        jwt_secret: Some("memory-example-secret-0123456789abcdef".into()),
        ..Default::default()
    })
    .unwrap();
    let app = Application::build(settings).await.unwrap();
    let state = app.state().clone();
    let org = fieldcrm_server::seed::seed_org(&state.db, "demo")
        .await
        .unwrap();
    let cities = fieldcrm_server::demo_data::cities(org.shanghai, org.hangzhou, org.beijing);
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let t = Instant::now();
    for i in 0..n {
        let c = fieldcrm_server::demo_data::customer(&mut rng, &cities[0], i + 1);
        let id = fieldcrm_server::demo_data::doc_id(&mut rng);
        fieldcrm_server::sync::write::server_create(
            &state.db,
            &state.hub,
            Kind::Customer,
            id,
            &serde_json::to_value(&c).unwrap(),
            None,
        )
        .await
        .unwrap();
    }
    eprintln!(
        "server: seeded {n} customers in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    println!("http://{}", app.local_addr());
    tokio::spawn(app.run_with_shutdown(async {
        // Stop when the parent closes our stdin.
        let _ = tokio::task::spawn_blocking(|| {
            let mut s = String::new();
            while std::io::stdin()
                .read_line(&mut s)
                .map(|n| n > 0)
                .unwrap_or(false)
            {}
        })
        .await;
    }))
    .await
    .unwrap()
    .unwrap();
}

async fn measure(url: &str, n: usize) {
    let home = tempfile::tempdir().unwrap();
    let client = FieldClient::open(home.path().display().to_string())
        .await
        .unwrap();
    let baseline = kib("VmRSS:");
    client
        .login(url.into(), "rep.sh".into(), "demo".into(), "memory".into())
        .await
        .unwrap();
    let t = Instant::now();
    let report = client.sync_now().await.unwrap();
    let sync_s = t.elapsed().as_secs_f64();
    assert!(report.docs_received as usize >= n, "{report:?}");
    let after_sync = kib("VmRSS:");
    let page = client.list_customers(None, 50, 0).await.unwrap();
    let hits = client
        .list_customers(Some("上海".into()), 50, 0)
        .await
        .unwrap();
    for c in page.iter().take(5).chain(hits.iter().take(5)) {
        client.get_customer(c.id.clone()).await.unwrap();
    }
    let deep = client
        .list_customers(None, 50, u32::try_from(n / 2).unwrap())
        .await
        .unwrap();
    let now = kib("VmRSS:");
    let peak = kib("VmHWM:");
    println!("customers synced        {}", report.docs_received);
    println!("first sync              {sync_s:.2} s");
    println!(
        "list/search/get         {} / {} / 10 (page at offset {}: {})",
        page.len(),
        hits.len(),
        n / 2,
        deep.len()
    );
    println!("baseline RSS (empty)    {:>8} KiB", baseline);
    println!(
        "RSS after sync          {:>8} KiB (+{:.1} MB)",
        after_sync,
        mb(after_sync, baseline)
    );
    println!(
        "RSS after list/get      {:>8} KiB (+{:.1} MB)",
        now,
        mb(now, baseline)
    );
    println!(
        "peak RSS                {:>8} KiB (+{:.1} MB above baseline; target < 64 MB)",
        peak,
        mb(peak, baseline)
    );
}

fn mb(v: u64, base: u64) -> f64 {
    v.saturating_sub(base) as f64 / 1024.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = args
        .iter()
        .position(|a| a == "--customers")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000usize);
    let rt = tokio::runtime::Runtime::new().unwrap();
    if args.iter().any(|a| a == "--server-child") {
        rt.block_on(serve_seeded(n));
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--server-child", "--customers", &n.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    rt.block_on(measure(url.trim(), n));
    drop(child.stdin.take());
    let _ = child.wait();
}

//! `fieldcrm bench sync`: the sync benchmark on loopback.
//!
//! 1. Seeds N customers (~1 KB each, realistic mixed Chinese/English data) into a fresh database
//!    through the document path.
//! 2. Measures the floor: `Automerge::load` of every stored customer document in one process.
//! 3. Starts `fieldcrm serve` as a child process, then a device (`fieldcrm bench device`, another
//!    child process) logs in and does a first sync to an empty store: wall time, bytes, frames.
//!    Peak resident memory of server and device are read from `/proc/<pid>/status` (`VmHWM`).
//! 4. Reconnect: 50 remote edits (made by the server's own write path while the device is
//!    offline) and 50 local edits on the device, then one sync: time, documents, bytes.
//!
//! Prints a human table and, with `--json`, one JSON object.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use fieldcrm_core::client::FieldClient;
use fieldcrm_core::document::Kind;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

use crate::db::Db;
use crate::demo_data;
use crate::seed;
use crate::sync::Hub;
use crate::sync::write;

/// `fieldcrm bench sync`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Customers to seed.
    #[arg(long, default_value_t = 10_000)]
    pub customers: usize,
    /// Remote and local edits before the reconnect (each).
    #[arg(long, default_value_t = 50)]
    pub edits: usize,
    /// Database URL (default: a fresh SQLite file in a temporary directory). A PostgreSQL URL must
    /// name an empty database.
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// `fieldcrm bench device` (internal): one device run in its own process.
#[derive(Debug, Args)]
pub struct BenchDeviceArgs {
    /// Client home.
    #[arg(long)]
    pub home: PathBuf,
    /// Server URL; when given, log in as `office` first.
    #[arg(long)]
    pub login: Option<String>,
    /// Local edits to make before syncing.
    #[arg(long, default_value_t = 0)]
    pub edits: usize,
}

/// What a device run reports (printed as JSON by `bench device`).
#[derive(Debug, Serialize, Deserialize)]
pub struct DeviceRun {
    /// Sync wall time, ms.
    pub sync_ms: f64,
    /// The sync report.
    pub report: fieldcrm_core::client::SyncReport,
    /// Documents held after the sync.
    pub held: usize,
    /// Peak resident memory of the device process, KiB.
    pub peak_rss_kib: u64,
    /// Resident memory after opening the empty store, before syncing, KiB.
    pub baseline_rss_kib: u64,
    /// CPU time (user + system) the device process spent in the sync, ms.
    pub sync_cpu_ms: u64,
}

/// CPU time (user + system) of a process so far, ms (from `/proc/<pid>/stat`, 100 Hz ticks).
fn proc_cpu_ms(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let utime: u64 = f.get(11)?.parse().ok()?;
            let stime: u64 = f.get(12)?.parse().ok()?;
            Some((utime + stime) * 10)
        })
        .unwrap_or(0)
}

/// `VmHWM` (peak) or `VmRSS` of a process, KiB.
fn proc_kib(pid: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// Runs one device step in this process (the child side of the benchmark).
pub async fn device(args: BenchDeviceArgs) -> anyhow::Result<()> {
    let client = FieldClient::open(&args.home).await?;
    if let Some(url) = &args.login {
        client.login(url, "office", "bench", "bench device").await?;
    }
    let baseline = proc_kib("self", "VmRSS:");
    if args.edits > 0 {
        let ids: Vec<_> = client
            .list_customers(None, u32::try_from(args.edits).unwrap_or(u32::MAX), 0)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        for (i, id) in ids.iter().enumerate() {
            client
                .edit_customer(*id, |c| c.notes = format!("local bench edit {i}"))
                .await?;
        }
    }
    let cpu0 = proc_cpu_ms("self");
    let t = Instant::now();
    let report = client.sync_once().await?;
    let sync_ms = t.elapsed().as_secs_f64() * 1000.0;
    let sync_cpu_ms = proc_cpu_ms("self").saturating_sub(cpu0);
    let held = client.list_customers(None, u32::MAX, 0).await?.len();
    let run = DeviceRun {
        sync_ms,
        report,
        held,
        peak_rss_kib: proc_kib("self", "VmHWM:"),
        baseline_rss_kib: baseline,
        sync_cpu_ms,
    };
    println!("{}", serde_json::to_string(&run)?);
    Ok(())
}

struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn run_device(
    exe: &Path,
    home: &Path,
    login: Option<&str>,
    edits: usize,
) -> anyhow::Result<DeviceRun> {
    let mut cmd = Command::new(exe);
    cmd.args(["bench", "device", "--home"])
        .arg(home)
        .args(["--edits", &edits.to_string()]);
    if let Some(url) = login {
        cmd.args(["--login", url]);
    }
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .context("running the device process")?;
    if !out.status.success() {
        bail!("device process failed: {}", out.status);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    serde_json::from_str(line).with_context(|| format!("device output {line:?}"))
}

/// Runs the whole benchmark.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let dir = tempfile_dir()?;
    let url = args
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.join("bench.db").display()));
    eprintln!("bench: seeding {} customers into {url} …", args.customers);
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    let hub = Hub::new();
    let org = seed::seed_org(&db, "bench").await?;
    let cities = demo_data::cities(org.shanghai, org.hangzhou, org.beijing);
    let mut rng = StdRng::seed_from_u64(42);
    let t = Instant::now();
    for n in 0..args.customers {
        let city = &cities[n % cities.len()];
        let c = demo_data::customer(&mut rng, city, n + 1);
        let value = serde_json::to_value(&c)?;
        write::server_create(
            &db,
            &hub,
            Kind::Customer,
            demo_data::doc_id(&mut rng),
            &value,
            None,
        )
        .await?;
    }
    let seed_s = t.elapsed().as_secs_f64();

    // The floor: load every stored document in one process.
    let rows = sqlx::query("SELECT snapshot FROM documents WHERE kind = 'customer'")
        .fetch_all(db.pool())
        .await?;
    let snapshots: Vec<Vec<u8>> = rows
        .iter()
        .map(|r| r.try_get("snapshot"))
        .collect::<Result<_, _>>()?;
    let stored_bytes: usize = snapshots.iter().map(Vec::len).sum();
    let t = Instant::now();
    for s in &snapshots {
        let doc = automerge::Automerge::load(s)?;
        std::hint::black_box(&doc);
    }
    let floor_ms = t.elapsed().as_secs_f64() * 1000.0;
    let json_bytes: usize = {
        let mut total = 0;
        for s in snapshots.iter().take(200) {
            let doc = automerge::Automerge::load(s)?;
            total += fieldcrm_core::document::raw_json(&doc).to_string().len();
        }
        total / snapshots.len().clamp(1, 200)
    };
    drop(snapshots);

    // The server, in its own process.
    let exe = std::env::current_exe()?;
    let port = free_port()?;
    let server_url = format!("http://127.0.0.1:{port}");
    let server = ServerProcess(
        Command::new(&exe)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--database",
                &url,
            ])
            .env("FIELDCRM__DATA_DIR", &dir)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .context("starting the server")?,
    );
    let server_pid = server.0.id().to_string();
    wait_for_port(port).await?;
    let server_idle_kib = proc_kib(&server_pid, "VmRSS:");

    let home = dir.join("device");
    let server_cpu0 = proc_cpu_ms(&server_pid);
    let first = run_device(&exe, &home, Some(&server_url), 0)?;
    let server_sync_cpu_ms = proc_cpu_ms(&server_pid).saturating_sub(server_cpu0);
    let server_peak_kib = proc_kib(&server_pid, "VmHWM:");

    // Remote edits while the device is offline, through the server's own write path.
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM customers ORDER BY id DESC LIMIT $1")
        .bind(i64::try_from(args.edits).unwrap_or(i64::MAX))
        .fetch_all(db.pool())
        .await?;
    for (i, id) in ids.iter().enumerate() {
        let id = fieldcrm_core::DocId::parse(id)?;
        write::server_update(&db, &hub, id, None, "bench.edit", |v| {
            v["notes"] = json!(format!("remote bench edit {i}"));
            Ok(())
        })
        .await?;
    }
    let reconnect = run_device(&exe, &home, None, args.edits)?;
    drop(server);

    let result = json!({
        "customers": args.customers,
        "seed_s": seed_s,
        "avg_snapshot_bytes": stored_bytes / args.customers.max(1),
        "avg_json_bytes": json_bytes,
        "floor_load_ms": floor_ms,
        "first_sync": {
            "ms": first.sync_ms,
            "ratio_to_floor": first.sync_ms / floor_ms.max(0.001),
            "bytes": first.report.bytes_received,
            "frames": first.report.frames_received,
            "docs": first.report.docs_received,
            "device_cpu_ms": first.sync_cpu_ms,
            "server_cpu_ms": server_sync_cpu_ms,
            "device_peak_rss_kib": first.peak_rss_kib,
            "device_baseline_rss_kib": first.baseline_rss_kib,
            "server_idle_rss_kib": server_idle_kib,
            "server_peak_rss_kib": server_peak_kib,
        },
        "reconnect": {
            "remote_edits": ids.len(),
            "local_edits": args.edits,
            "ms": reconnect.sync_ms,
            "docs_received": reconnect.report.docs_received,
            "pushed": reconnect.report.pushed,
            "frames": reconnect.report.frames_received,
            "bytes": reconnect.report.bytes_received,
            "held": reconnect.held,
        },
    });
    if args.json {
        println!("{result}");
    } else {
        println!(
            "fieldcrm sync benchmark — {} customers, loopback, {}",
            args.customers,
            if url.starts_with("sqlite") {
                "SQLite"
            } else {
                "PostgreSQL"
            }
        );
        println!("  seed (server write path)        {:>10.1} s", seed_s);
        println!(
            "  avg document                    {:>10} B snapshot, {} B as JSON",
            stored_bytes / args.customers.max(1),
            json_bytes
        );
        println!("  floor: Automerge::load all      {:>10.1} ms", floor_ms);
        println!(
            "  first sync to an empty device   {:>10.1} ms  ({:.2}× floor)",
            first.sync_ms,
            first.sync_ms / floor_ms.max(0.001)
        );
        println!(
            "    received                      {:>10} B in {} frames, {} docs",
            first.report.bytes_received, first.report.frames_received, first.report.docs_received
        );
        println!(
            "    device peak RSS               {:>10} KiB (baseline {} KiB)",
            first.peak_rss_kib, first.baseline_rss_kib
        );
        println!(
            "    server peak RSS               {:>10} KiB (idle {} KiB)",
            server_peak_kib, server_idle_kib
        );
        println!(
            "  reconnect after {} remote + {} local edits",
            ids.len(),
            args.edits
        );
        println!(
            "    time                          {:>10.1} ms",
            reconnect.sync_ms
        );
        println!(
            "    received                      {:>10} B in {} frames, {} docs; pushed {}",
            reconnect.report.bytes_received,
            reconnect.report.frames_received,
            reconnect.report.docs_received,
            reconnect.report.pushed
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir =
        std::env::temp_dir().join(format!("fieldcrm-bench-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

async fn wait_for_port(port: u16) -> anyhow::Result<()> {
    for _ in 0..600 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("the server did not start listening on port {port}")
}

//! `fieldcrm bench import`: how long importing N customers takes, through the same engine the
//! back office's job runs (read the file, decide, write batches through the document write path).
//!
//! On a fresh database with the demo organisation it generates an `.xlsx` (or `.csv`) of N rows
//! (code, name, phone, e-mail, territory, contact, title, tier, notes), then measures: reading the
//! file, a dry run, the real import (all creates), and a second import of the same codes with a
//! changed tier matched by code (all updates). Prints a table or, with `--json`, one object.

use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use fieldcrm_core::Role;
use serde_json::json;

use super::mapping::{ImportSettings, MatchBy, OnMatch};
use super::run::{self, Context, RunUser};
use super::sheet;
use crate::db::imports::{self, JobId, NewJob};
use crate::db::{Db, documents};
use crate::seed;
use crate::sync::Hub;

/// `fieldcrm bench import`.
#[derive(Debug, Args)]
pub struct BenchImportArgs {
    /// Rows in the generated file.
    #[arg(long, default_value_t = 50_000)]
    pub rows: usize,
    /// `xlsx` or `csv`.
    #[arg(long, default_value = "xlsx")]
    pub format: String,
    /// Database URL (default: a fresh SQLite file in a temporary directory). A PostgreSQL URL must
    /// name an empty database.
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

const HEADERS: [&str; 9] = [
    "客户编码",
    "客户名称",
    "电话",
    "邮箱",
    "区域",
    "联系人",
    "职务",
    "等级",
    "备注",
];

fn row(i: usize, tier: &str) -> [String; 9] {
    let city = ["上海", "杭州", "北京"][i % 3];
    [
        format!("B-{i:06}"),
        format!("{city}测试客户{i} Test Co {i}"),
        format!("138{:08}", i),
        format!("buyer{i}@example.cn"),
        city.to_owned(),
        format!("联系人{i}"),
        "采购经理 Purchasing".to_owned(),
        tier.to_owned(),
        format!("导入基准测试 benchmark row {i}，客户备注 notes."),
    ]
}

fn generate(rows: usize, tier: &str, format: &str) -> anyhow::Result<Vec<u8>> {
    if format == "csv" {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(HEADERS)?;
        for i in 0..rows {
            w.write_record(row(i, tier))?;
        }
        return w.into_inner().map_err(|e| anyhow::anyhow!(e.to_string()));
    }
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string(0, u16::try_from(c)?, *h)?;
    }
    for i in 0..rows {
        for (c, v) in row(i, tier).iter().enumerate() {
            sheet.write_string(u32::try_from(i + 1)?, u16::try_from(c)?, v)?;
        }
    }
    Ok(book.save_to_buffer()?)
}

async fn timed_run(
    db: &Db,
    hub: &Hub,
    user: RunUser,
    bytes: &[u8],
    on_match: OnMatch,
    dry_run: bool,
) -> anyhow::Result<(f64, f64, imports::Counts)> {
    let t = Instant::now();
    let owned = bytes.to_vec();
    let sheet = tokio::task::spawn_blocking(move || sheet::read(&owned)).await??;
    let read_s = t.elapsed().as_secs_f64();
    let mut settings = ImportSettings::suggested(&sheet.headers);
    settings.match_by = MatchBy::Code;
    settings.on_match = on_match;
    let id = JobId::new();
    imports::create(
        db,
        &NewJob {
            id,
            user_id: user.id,
            file_name: "bench",
            file_kind: sheet.kind.as_str(),
            encoding: sheet.encoding,
            data: bytes,
            header_row: i64::from(sheet.header_row),
            headers: &serde_json::to_string(&sheet.headers)?,
            total_rows: i64::try_from(sheet.rows.len())?,
            settings: &serde_json::to_string(&settings)?,
        },
    )
    .await?;
    anyhow::ensure!(imports::start_run(db, id, dry_run, super::runner_id()).await?);
    let ctx = Context::load(db, user, settings).await?;
    let t = Instant::now();
    let gate = run::BatchGate::default();
    let counts = run::run_rows(db, hub, id, user, &ctx, &sheet.rows, dry_run, &gate)
        .await?
        .counts;
    let run_s = t.elapsed().as_secs_f64();
    let status = if dry_run {
        imports::JobStatus::Checked
    } else {
        imports::JobStatus::Done
    };
    imports::finish(db, id, status, "", !dry_run).await?;
    Ok((read_s, run_s, counts))
}

/// Runs the benchmark.
pub async fn run(args: BenchImportArgs) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!(
        "fieldcrm-bench-import-{}",
        uuid::Uuid::now_v7().simple()
    ));
    let url = args
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/bench.db", dir.display()));
    let db = Db::connect(&url).await.context("connecting")?;
    db.migrate().await?;
    let org = seed::seed_org(&db, "bench").await?;
    let office = *org.users.get("office").context("demo office user")?;
    let user = RunUser {
        id: office,
        role: Role::Office,
    };
    let hub = Hub::new();
    let t = Instant::now();
    let file = generate(args.rows, "A", &args.format)?;
    let gen_s = t.elapsed().as_secs_f64();
    let (read_s, dry_s, dry) = timed_run(&db, &hub, user, &file, OnMatch::Skip, true).await?;
    let (_, create_s, created) = timed_run(&db, &hub, user, &file, OnMatch::Skip, false).await?;
    let changed = generate(args.rows, "B", &args.format)?;
    let (_, update_s, updated) =
        timed_run(&db, &hub, user, &changed, OnMatch::Update, false).await?;
    let stored = documents::count(&db, fieldcrm_core::document::Kind::Customer).await?;
    anyhow::ensure!(
        created.created == i64::try_from(args.rows)? && updated.updated == created.created,
        "unexpected counts: {created:?} / {updated:?}"
    );
    let rate = |s: f64| if s > 0.0 { args.rows as f64 / s } else { 0.0 };
    let backend = if url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    if args.json {
        println!(
            "{}",
            json!({
                "rows": args.rows, "format": args.format, "backend": backend,
                "file_bytes": file.len(), "generate_s": gen_s, "read_s": read_s,
                "dry_run_s": dry_s, "dry_run_would_create": dry.created,
                "create_s": create_s, "create_rows_per_s": rate(create_s),
                "update_s": update_s, "update_rows_per_s": rate(update_s),
                "customers_stored": stored,
            })
        );
    } else {
        println!(
            "import benchmark: {} rows, {} ({} bytes), {backend}",
            args.rows,
            args.format,
            file.len()
        );
        println!("  read the file         {read_s:>8.2} s");
        println!(
            "  dry run               {dry_s:>8.2} s  ({} would be created)",
            dry.created
        );
        println!(
            "  import (all new)      {create_s:>8.2} s  {:>8.0} rows/s",
            rate(create_s)
        );
        println!(
            "  re-import (all match) {update_s:>8.2} s  {:>8.0} rows/s",
            rate(update_s)
        );
        println!("  customers stored      {stored:>8}");
    }
    db.close().await;
    if args.database.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

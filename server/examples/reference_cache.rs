//! Timing loop: `schema::reference` (cached: one version check) against
//! `schema::reference_uncached` (the full read: one snapshot transaction) on a SQLite file
//! database with the seeded dictionary plus 10 lists × 20 entries and 30 custom fields.
//!
//! `cargo run --release -p fieldcrm-server --example reference_cache [iterations]`

use std::time::{Duration, Instant};

use fieldcrm_core::document::Kind;
use fieldcrm_core::schema::{DictEntry, FieldDef, FieldType};
use fieldcrm_server::db::{Db, schema};

fn per_call(total: Duration, n: u32) -> String {
    format!("{:>8.1} µs/call", total.as_secs_f64() * 1e6 / f64::from(n))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: u32 = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(5000);
    let dir = tempfile::tempdir()?;
    let db = Db::connect(&format!("sqlite://{}/bench.db", dir.path().display())).await?;
    db.migrate().await?;
    for l in 0..10 {
        let list = format!("list_{l}");
        schema::create_list(&db, &list, "列表", "List").await?;
        for e in 0..20 {
            let entry = DictEntry {
                code: format!("code_{e}"),
                label_zh: format!("选项 {e}"),
                label_en: format!("Option {e}"),
                position: e,
                active: e % 7 != 0,
            };
            schema::add_entry(&db, &list, &entry).await?;
        }
    }
    for f in 0..30 {
        let choice = f % 3 == 0;
        let def = FieldDef {
            kind: if f % 2 == 0 {
                Kind::Customer
            } else {
                Kind::Visit
            },
            key: format!("field_{f}"),
            label_zh: format!("字段 {f}"),
            label_en: format!("Field {f}"),
            field_type: if choice {
                FieldType::Choice
            } else {
                FieldType::Text
            },
            list: choice.then(|| format!("list_{}", f % 10)),
            required: false,
            active: true,
            position: f,
        };
        schema::create_field(&db, &def).await?;
    }
    let r = schema::reference_uncached(&db).await?;
    let entries: usize = r.lists.iter().map(|l| l.entries.len()).sum();
    println!(
        "reference: {} lists, {entries} entries, {} fields; {n} calls each",
        r.lists.len(),
        r.fields.len()
    );

    // Warm up both paths (connections, statement caches).
    for _ in 0..200 {
        schema::reference_uncached(&db).await?;
        schema::reference(&db).await?;
    }

    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(schema::reference_uncached(&db).await?);
    }
    let uncached = t.elapsed();

    let reads_before = schema::full_reads(&db);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(schema::reference(&db).await?);
    }
    let cached = t.elapsed();
    let full = schema::full_reads(&db) - reads_before;

    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(schema::reference_version(&db).await?);
    }
    let check = t.elapsed();

    println!("uncached (3 queries)      {}", per_call(uncached, n));
    println!(
        "cached (version check)    {}  ({full} full reads)",
        per_call(cached, n)
    );
    println!("version query alone       {}", per_call(check, n));
    println!(
        "speed-up                  {:>8.1}×",
        uncached.as_secs_f64() / cached.as_secs_f64()
    );
    db.close().await;
    Ok(())
}

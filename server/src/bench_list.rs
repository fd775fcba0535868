//! `fieldcrm bench list`: the customer-list benchmark.
//!
//! 1. Creates N customers (default 1,000,000; realistic mixed Chinese/English names, contacts,
//!    phones, tiers, industries, tags, owners over 12 territories) straight into the `customers`
//!    projection of a fresh SQLite file (or an empty PostgreSQL database), with the minimal
//!    `documents` rows its foreign key needs: multi-row INSERTs, 10,000 rows per transaction. The
//!    search indexes (SQLite FTS5 trigram and bigram tables via triggers, PostgreSQL pg_trgm and
//!    bigram GIN indexes) are kept as in production. With `--reuse`, a database loaded by an
//!    earlier run is queried again instead.
//! 2. Runs a mix of list queries exactly as a page view of the back office does (one keyset page
//!    of 25 rows plus the capped count): first pages, deep pages (cursors anywhere in the list),
//!    previous pages, every filter, and searches (parts of a company's own name, contacts, codes,
//!    2-character terms, city names), aimed at customers drawn from the database, and reports
//!    p50/p95/max per query type. The plan each search takes is decision 0021's.
//!
//! Prints a table and, with `--json`, one JSON object.

use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use fieldcrm_core::{DocId, Role, TerritoryId, UserId};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::db::bench_data::{self, BulkCustomer};
use crate::db::customer_list::{
    self, Cursor, CustomerFilter, CustomerSort, Direction, SortKey, SortValue,
};
use crate::db::territories::{self, ScopeTerritories};
use crate::db::users::{self, NewUser};
use crate::db::{Db, now_ms};
use crate::web::customer_list::{COUNT_CAP, PAGE_SIZE};

/// `fieldcrm bench list`.
#[derive(Debug, Args)]
pub struct BenchListArgs {
    /// Customers to create.
    #[arg(long, default_value_t = 1_000_000)]
    pub customers: usize,
    /// Runs of each query type.
    #[arg(long, default_value_t = 200)]
    pub runs: usize,
    /// Database URL (default: a fresh SQLite file in a temporary directory). A PostgreSQL URL must
    /// name an empty database.
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// With `--database`: if it already holds the customers of an earlier run, time the queries
    /// on them instead of loading (a million customers take minutes to load).
    #[arg(long, requires = "database")]
    pub reuse: bool,
    /// Only these query types (a substring of their names; repeatable).
    #[arg(long = "only", value_name = "TEXT")]
    pub only: Vec<String>,
}

/// Latencies of one query type, ms.
#[derive(Debug, Serialize)]
pub struct QueryStats {
    /// The query type.
    pub name: &'static str,
    /// Runs.
    pub runs: usize,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// Rows on the page, averaged (0 would mean the query found nothing to page).
    pub avg_rows: f64,
}

/// The benchmark's report.
#[derive(Debug, Serialize)]
pub struct ListReport {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// Customers created.
    pub customers: usize,
    /// Load time, s.
    pub load_s: f64,
    /// Rows loaded per second.
    pub load_rows_per_s: f64,
    /// The database's memory setting that matters most for these figures (PostgreSQL's
    /// `shared_buffers`; SQLite's per-connection `mmap_size`).
    pub memory: String,
    /// Per query type.
    pub queries: Vec<QueryStats>,
}

const TERRITORIES: &[(&str, &str, &str)] = &[
    ("华东", "上海", "上海"),
    ("华东", "杭州", "浙江"),
    ("华东", "南京", "江苏"),
    ("华东", "苏州", "江苏"),
    ("华北", "北京", "北京"),
    ("华北", "天津", "天津"),
    ("华南", "广州", "广东"),
    ("华南", "深圳", "广东"),
    ("西南", "成都", "四川"),
    ("西南", "重庆", "重庆"),
    ("华中", "武汉", "湖北"),
    ("华中", "长沙", "湖南"),
];
const NAME_CHARS: &str = "华联永辉金鼎东方新世纪宏达百盛恒源天成瑞丰嘉禾海信长城中兴安泰鸿运富民利群明德博雅佳美同仁万家隆昌兴旺光明和平国泰";
const SUFFIXES: &[&str] = &[
    "超市",
    "商贸有限公司",
    "科技有限公司",
    "餐饮管理有限公司",
    "大药房",
    "五金建材店",
    "汽车服务有限公司",
    "贸易商行",
    "物流有限公司",
    "便利店",
    "酒店",
    "电器城",
];
const LATIN: &[&str] = &[
    "Trading",
    "Tech",
    "Foods",
    "Logistics",
    "Pharmacy",
    "Motors",
    "Retail",
    "Supply",
];
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
const GIVEN: &str = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰春梅海燕鹏飞晓东文斌宇轩浩然子涵欣怡";
const TIERS: &[&str] = &["A", "B", "B", "C", "C", "C", "D"];
const INDUSTRIES: &[&str] = &[
    "零售", "餐饮", "医药", "制造", "物流", "教育", "汽车", "电子", "建材", "酒店", "金融", "农业",
];
const SOURCES: &[&str] = &["展会", "转介绍", "官网", "电话营销", "渠道", "老客户"];
const TAGS: &[&str] = &[
    "重点客户",
    "vip",
    "连锁",
    "新开业",
    "待回访",
    "大客户",
    "潜力",
    "年度合同",
    "招投标",
    "flagship",
];
const DISTRICTS: &[&str] = &["中心区", "高新区", "开发区", "老城区", "新区", "滨江区"];

/// A generated customer kept to aim queries at.
#[derive(Clone, Debug)]
struct Sample {
    id: DocId,
    name: String,
    /// The name without its city (the Chinese prefix and the Latin word): what a search for a
    /// company's own name draws from. City names are measured on their own.
    own_name: String,
    /// The city, in Chinese and in English.
    city: (String, &'static str),
    code: String,
    contact: String,
    territory: TerritoryId,
    owner: Option<UserId>,
    tier: String,
    industry: String,
    updated_at: i64,
    created_at: i64,
}

fn pick<'a, T: ?Sized>(rng: &mut StdRng, items: &'a [&'a T]) -> &'a T {
    items[rng.gen_range(0..items.len())]
}

fn pick_char(rng: &mut StdRng, chars: &[char]) -> char {
    chars[rng.gen_range(0..chars.len())]
}

struct Gen {
    rng: StdRng,
    name_chars: Vec<char>,
    surnames: Vec<char>,
    given: Vec<char>,
    territories: Vec<(TerritoryId, &'static str, &'static str)>,
    owners: Vec<Vec<UserId>>,
    now: i64,
}

impl Gen {
    fn customer(&mut self, i: usize) -> BulkCustomer {
        let rng = &mut self.rng;
        let t = rng.gen_range(0..self.territories.len());
        let (territory, city, province) = self.territories[t];
        let core: String = (0..2).map(|_| pick_char(rng, &self.name_chars)).collect();
        let mut name = format!("{city}{core}{}", pick(rng, SUFFIXES));
        if rng.gen_bool(0.3) {
            name.push_str(&format!(
                " {core_en} {}",
                pick(rng, LATIN),
                core_en = city_en(city)
            ));
        }
        let contacts: Vec<String> = (0..rng.gen_range(1..=3))
            .map(|_| {
                let mut n = String::new();
                n.push(pick_char(rng, &self.surnames));
                for _ in 0..rng.gen_range(1..=2) {
                    n.push(pick_char(rng, &self.given));
                }
                n
            })
            .collect();
        let phones: Vec<String> = (0..rng.gen_range(1..=2))
            .map(|_| {
                format!(
                    "1{}{:09}",
                    rng.gen_range(3..=9),
                    rng.gen_range(0..1_000_000_000)
                )
            })
            .collect();
        let contact_phones: Vec<String> = contacts
            .iter()
            .map(|_| format!("13{:09}", rng.gen_range(0..1_000_000_000)))
            .collect();
        let mut tags: Vec<&str> = TAGS.to_vec();
        tags.shuffle(rng);
        tags.truncate(rng.gen_range(0..=3));
        let code = format!("C{i:07}");
        let email = if rng.gen_bool(0.5) {
            format!("info{i}@example.com")
        } else {
            String::new()
        };
        let district = pick(rng, DISTRICTS).to_owned();
        let street = format!(
            "{}路{}号",
            pick_char(rng, &self.name_chars),
            rng.gen_range(1..999)
        );
        let created_at = self.now - rng.gen_range(0..3 * 365 * 86_400_000_i64);
        let updated_at = created_at + rng.gen_range(0..=(self.now - created_at));
        let owners = &self.owners[t];
        let owner = if rng.gen_bool(0.9) {
            Some(owners[rng.gen_range(0..owners.len())])
        } else {
            None
        };
        // The same text, in the same order, as `documents::customer_search_text`.
        let mut parts: Vec<&str> = vec![&name, &code, &email, city, &district, &street];
        parts.extend(phones.iter().map(String::as_str));
        parts.extend(contacts.iter().map(String::as_str));
        parts.extend(contact_phones.iter().map(String::as_str));
        parts.extend(tags.iter().copied());
        let search = parts.join(" ").to_lowercase();
        BulkCustomer {
            id: DocId::new(),
            code,
            tier: pick(rng, TIERS).to_owned(),
            industry: pick(rng, INDUSTRIES).to_owned(),
            source: pick(rng, SOURCES).to_owned(),
            phone: phones.first().cloned().unwrap_or_default(),
            email,
            province: province.to_owned(),
            city: city.to_owned(),
            district,
            territory,
            owner,
            contact_names: contacts.join(", "),
            tags: tags.join(", "),
            search,
            created_at,
            updated_at,
            name,
        }
    }
}

fn city_en(city: &str) -> &'static str {
    match city {
        "上海" => "Shanghai",
        "杭州" => "Hangzhou",
        "南京" => "Nanjing",
        "苏州" => "Suzhou",
        "北京" => "Beijing",
        "天津" => "Tianjin",
        "广州" => "Guangzhou",
        "深圳" => "Shenzhen",
        "成都" => "Chengdu",
        "重庆" => "Chongqing",
        "武汉" => "Wuhan",
        _ => "Changsha",
    }
}

/// Creates the territories and 5 reps per territory; returns (territory, city, province) and
/// each territory's reps.
async fn seed_org(
    db: &Db,
) -> anyhow::Result<(
    Vec<(TerritoryId, &'static str, &'static str)>,
    Vec<Vec<UserId>>,
)> {
    let mut regions = std::collections::HashMap::new();
    let mut out = Vec::new();
    let mut owners = Vec::new();
    for (k, (region, city, province)) in TERRITORIES.iter().enumerate() {
        let parent = match regions.get(region) {
            Some(id) => *id,
            None => {
                let r = territories::create(db, region, None).await?;
                regions.insert(*region, r.id);
                r.id
            }
        };
        let t = territories::create(db, city, Some(parent)).await?;
        let mut reps = Vec::new();
        for j in 0..5 {
            let username = format!("bench.rep{k}.{j}");
            let display = format!("{city}销售{j}");
            let u = users::create(
                db,
                &NewUser {
                    username: &username,
                    display_name: &display,
                    role: Role::Rep,
                    // Not a valid hash: benchmark users cannot sign in.
                    password_hash: "!",
                },
            )
            .await?;
            territories::assign_user(db, u.id, t.id).await?;
            reps.push(u.id);
        }
        out.push((t.id, *city, *province));
        owners.push(reps);
    }
    Ok((out, owners))
}

fn stats(name: &'static str, mut times: Vec<f64>, rows: usize) -> QueryStats {
    times.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let i = ((times.len() as f64 - 1.0) * q).round() as usize;
        times.get(i).copied().unwrap_or(0.0)
    };
    QueryStats {
        name,
        runs: times.len(),
        p50_ms: at(0.5),
        p95_ms: at(0.95),
        max_ms: times.last().copied().unwrap_or(0.0),
        avg_rows: if times.is_empty() {
            0.0
        } else {
            rows as f64 / times.len() as f64
        },
    }
}

/// One page view: the page and the capped count. Returns the rows on the page.
async fn page_view(
    db: &Db,
    filter: &CustomerFilter,
    cursor: Option<(Direction, &Cursor)>,
) -> anyhow::Result<usize> {
    let scope = ScopeTerritories::All;
    let page = customer_list::list(db, &scope, filter, cursor, PAGE_SIZE).await?;
    customer_list::count(db, &scope, filter, COUNT_CAP).await?;
    Ok(page.rows.len())
}

fn sort(key: SortKey) -> CustomerSort {
    CustomerSort {
        key,
        desc: key.default_desc(),
    }
}

fn cursor_at(s: &Sample, key: SortKey) -> Cursor {
    Cursor {
        id: s.id,
        value: match key {
            SortKey::Name => SortValue::Text(s.name.clone()),
            SortKey::Code => SortValue::Text(s.code.clone()),
            SortKey::Updated => SortValue::Int(s.updated_at),
            SortKey::Created => SortValue::Int(s.created_at),
        },
    }
}

/// The query types: (name, how to build the filter and cursor from a sample and the rng).
type Case = (
    &'static str,
    fn(&Sample, &mut StdRng, i64) -> (CustomerFilter, Option<(Direction, Cursor)>),
);

fn substring(s: &str, rng: &mut StdRng, len: usize) -> String {
    let chars: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
    if chars.len() <= len {
        return chars.into_iter().collect();
    }
    let start = rng.gen_range(0..=chars.len() - len);
    chars[start..start + len].iter().collect()
}

/// The sample's city, in Chinese or in English (lowercase), at random.
fn city_term(s: &Sample, rng: &mut StdRng) -> String {
    if rng.gen_bool(0.5) {
        s.city.0.clone()
    } else {
        s.city.1.to_lowercase()
    }
}

const CASES: &[Case] = &[
    ("first page, by name", |_, _, _| {
        (CustomerFilter::default(), None)
    }),
    ("deep page, by name", |s, _, _| {
        (
            CustomerFilter::default(),
            Some((Direction::After, cursor_at(s, SortKey::Name))),
        )
    }),
    ("previous page, by code desc", |s, _, _| {
        let f = CustomerFilter {
            sort: CustomerSort {
                key: SortKey::Code,
                desc: true,
            },
            ..CustomerFilter::default()
        };
        (f, Some((Direction::Before, cursor_at(s, SortKey::Code))))
    }),
    ("territory, by updated", |s, _, _| {
        let f = CustomerFilter {
            territory: Some(s.territory),
            sort: sort(SortKey::Updated),
            ..CustomerFilter::default()
        };
        (f, None)
    }),
    ("territory, deep page by updated", |s, _, _| {
        let f = CustomerFilter {
            territory: Some(s.territory),
            sort: sort(SortKey::Updated),
            ..CustomerFilter::default()
        };
        (f, Some((Direction::After, cursor_at(s, SortKey::Updated))))
    }),
    ("tier + industry, by name", |s, _, _| {
        let f = CustomerFilter {
            tier: Some(s.tier.clone()),
            industry: Some(s.industry.clone()),
            ..CustomerFilter::default()
        };
        (f, None)
    }),
    ("owner + created last year, by created", |s, _, now| {
        let f = CustomerFilter {
            owner: s.owner,
            created_from: Some(now - 365 * 86_400_000),
            sort: sort(SortKey::Created),
            ..CustomerFilter::default()
        };
        (f, None)
    }),
    ("updated range 30 days, by name", |_, _, now| {
        let f = CustomerFilter {
            updated_from: Some(now - 30 * 86_400_000),
            updated_to: Some(now),
            ..CustomerFilter::default()
        };
        (f, None)
    }),
    ("tag, by name", |_, rng, _| {
        let f = CustomerFilter {
            tag: Some(TAGS[rng.gen_range(0..TAGS.len())].to_owned()),
            ..CustomerFilter::default()
        };
        (f, None)
    }),
    ("search: 3-4 chars of a name", |s, rng, _| {
        let len = rng.gen_range(3..=4);
        let f = CustomerFilter {
            query: Some(substring(&s.own_name, rng, len)),
            ..CustomerFilter::default()
        };
        (f, None)
    }),
    ("search: contact name (3 chars)", |s, _, _| {
        let f = CustomerFilter {
            query: Some(s.contact.clone()),
            ..CustomerFilter::default()
        };
        (f, None)
    }),
    ("search: code fragment", |s, rng, _| {
        let f = CustomerFilter {
            query: Some(substring(&s.code, rng, 6)),
            ..CustomerFilter::default()
        };
        (f, None)
    }),
    ("search: name + territory, by updated", |s, rng, _| {
        let f = CustomerFilter {
            query: Some(substring(&s.own_name, rng, 4)),
            territory: Some(s.territory),
            sort: sort(SortKey::Updated),
            ..CustomerFilter::default()
        };
        (f, None)
    }),
    ("search: 2 chars of a name (bigram index)", |s, rng, _| {
        let f = CustomerFilter {
            query: Some(substring(&s.own_name, rng, 2)),
            ..CustomerFilter::default()
        };
        (f, None)
    }),
    // A city (Chinese or English) matches 1 customer in 12, and — as names begin with their
    // city — all of them lie together in name order, usually far from its start.
    ("search: city name, by name", |s, rng, _| {
        let f = CustomerFilter {
            query: Some(city_term(s, rng)),
            ..CustomerFilter::default()
        };
        (f, None)
    }),
    ("search: city name, by updated", |s, rng, _| {
        let f = CustomerFilter {
            query: Some(city_term(s, rng)),
            sort: sort(SortKey::Updated),
            ..CustomerFilter::default()
        };
        (f, None)
    }),
];

/// Runs the benchmark.
pub async fn run(args: BenchListArgs) -> anyhow::Result<()> {
    // Without --database: a fresh SQLite file in a directory of its own, removed at the end
    // whatever happened (a million customers take a gigabyte or two).
    let dir = std::env::temp_dir().join(format!(
        "fieldcrm-bench-list-{}",
        uuid::Uuid::now_v7().simple()
    ));
    let url = match &args.database {
        Some(url) => url.clone(),
        None => format!("sqlite://{}/bench-list.db", dir.display()),
    };
    let result = measure(&args, &url).await;
    if args.database.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let report = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    Ok(())
}

/// Loads the customers into `url` (unless `--reuse` finds them there) and times the queries.
async fn measure(args: &BenchListArgs, url: &str) -> anyhow::Result<ListReport> {
    let db = Db::connect(url).await.context("connecting")?;
    db.migrate().await.context("migrating")?;
    let held = bench_data::customer_count(&db).await?;
    let (customers, load_s) = if args.reuse && held > 0 {
        (usize::try_from(held).unwrap_or(usize::MAX), 0.0)
    } else {
        if held > 0 || users::count(&db).await? > 0 {
            bail!("the database is not empty; give a fresh one (or --reuse one loaded before)");
        }
        (args.customers, load(&db, args).await?)
    };
    let samples = samples(&db).await?;
    if samples.is_empty() {
        bail!("no customers to query");
    }
    let now = now_ms();
    let mut rng = StdRng::seed_from_u64(7);
    let mut queries = Vec::new();
    for (name, build) in CASES {
        if !args.only.is_empty() && !args.only.iter().any(|o| name.contains(o.as_str())) {
            continue;
        }
        let mut times = Vec::with_capacity(args.runs);
        let mut rows = 0;
        // One warm-up run, not measured.
        let s = &samples[rng.gen_range(0..samples.len())];
        let (f, c) = build(s, &mut rng, now);
        page_view(&db, &f, c.as_ref().map(|(d, c)| (*d, c))).await?;
        for _ in 0..args.runs {
            let s = &samples[rng.gen_range(0..samples.len())];
            let (f, c) = build(s, &mut rng, now);
            let t = Instant::now();
            rows += page_view(&db, &f, c.as_ref().map(|(d, c)| (*d, c))).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        queries.push(stats(name, times, rows));
    }
    let memory = match db.backend() {
        crate::db::Backend::Postgres => {
            let v: String = sqlx::query_scalar("SELECT current_setting('shared_buffers')")
                .fetch_one(db.pool())
                .await?;
            format!("shared_buffers = {v}")
        }
        crate::db::Backend::Sqlite => {
            let v: i64 = sqlx::query_scalar("PRAGMA mmap_size")
                .fetch_one(db.pool())
                .await?;
            format!("mmap_size = {} MiB", v / (1024 * 1024))
        }
    };
    let report = ListReport {
        memory,
        backend: match db.backend() {
            crate::db::Backend::Sqlite => "sqlite",
            crate::db::Backend::Postgres => "postgres",
        },
        customers,
        load_s,
        load_rows_per_s: if load_s > 0.0 {
            customers as f64 / load_s
        } else {
            0.0
        },
        queries,
    };
    db.close().await;
    Ok(report)
}

/// Creates the organisation and `args.customers` customers; returns the seconds it took.
async fn load(db: &Db, args: &BenchListArgs) -> anyhow::Result<f64> {
    let (territories, owners) = seed_org(db).await?;
    let mut generator = Gen {
        rng: StdRng::seed_from_u64(20_260_301),
        name_chars: NAME_CHARS.chars().collect(),
        surnames: SURNAMES.chars().collect(),
        given: GIVEN.chars().collect(),
        territories,
        owners,
        now: now_ms(),
    };
    let started = Instant::now();
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..args.customers {
        batch.push(generator.customer(i));
        if batch.len() == 10_000 || i + 1 == args.customers {
            bench_data::insert_customers(db, &batch).await?;
            batch.clear();
            if !args.json && (i + 1) % 100_000 == 0 {
                eprintln!(
                    "  loaded {} customers ({:.0} s)",
                    i + 1,
                    started.elapsed().as_secs_f64()
                );
            }
        }
    }
    bench_data::analyze(db).await?;
    Ok(started.elapsed().as_secs_f64())
}

/// About 2,000 customers to aim the queries at: the first by id (ids are time-ordered and the
/// generator random, so these are a random draw of names, territories and positions in every
/// sort order).
async fn samples(db: &Db) -> anyhow::Result<Vec<Sample>> {
    let rows = bench_data::sample_customers(db, 2000).await?;
    Ok(rows
        .into_iter()
        .map(|c| Sample {
            // A contact's full name of 3 characters (most have 2 or 3), else 3 characters of the
            // customer's name.
            contact: c
                .contact_names
                .split(", ")
                .find(|n| n.chars().count() >= 3)
                .map_or_else(|| c.name.chars().skip(2).take(3).collect(), str::to_owned),
            id: c.id,
            own_name: c
                .name
                .strip_prefix(c.city.as_str())
                .unwrap_or(&c.name)
                .replace(city_en(&c.city), ""),
            city: (c.city.clone(), city_en(&c.city)),
            name: c.name,
            code: c.code,
            territory: c.territory,
            owner: c.owner,
            tier: c.tier,
            industry: c.industry,
            updated_at: c.updated_at,
            created_at: c.created_at,
        })
        .collect())
}

/// The human table.
pub fn render(r: &ListReport) -> String {
    let mut out = format!(
        "customer list benchmark: {} customers on {}, {} (loaded in {:.1} s, {:.0} rows/s)\n\
         each run = one page view: a keyset page of {PAGE_SIZE} rows + the count capped at {COUNT_CAP}\n\n\
         {:<42} {:>6} {:>9} {:>9} {:>9} {:>6}\n",
        r.customers,
        r.backend,
        r.memory,
        r.load_s,
        r.load_rows_per_s,
        "query",
        "runs",
        "p50 ms",
        "p95 ms",
        "max ms",
        "rows"
    );
    for q in &r.queries {
        out.push_str(&format!(
            "{:<42} {:>6} {:>9.2} {:>9.2} {:>9.2} {:>6.1}\n",
            q.name, q.runs, q.p50_ms, q.p95_ms, q.max_ms, q.avg_rows
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let s = stats("x", (1..=100).map(f64::from).collect(), 250);
        assert_eq!(s.p50_ms, 51.0);
        assert_eq!(s.p95_ms, 95.0);
        assert_eq!(s.max_ms, 100.0);
        assert_eq!(s.avg_rows, 2.5);
    }

    #[tokio::test]
    async fn a_small_run_loads_and_queries_both_ways() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/b.db", dir.path().display());
        run(BenchListArgs {
            customers: 1200,
            runs: 2,
            database: Some(url.clone()),
            json: true,
            reuse: false,
            only: Vec::new(),
        })
        .await
        .unwrap();
        // Again on the loaded database: queried, not loaded twice; a fresh load is refused.
        run(BenchListArgs {
            customers: 1200,
            runs: 1,
            database: Some(url.clone()),
            json: true,
            reuse: true,
            only: vec!["city".into()],
        })
        .await
        .unwrap();
        assert!(
            run(BenchListArgs {
                customers: 10,
                runs: 1,
                database: Some(url.clone()),
                json: true,
                reuse: false,
                only: Vec::new(),
            })
            .await
            .is_err()
        );
        let db = Db::connect(&url).await.unwrap();
        assert_eq!(bench_data::customer_count(&db).await.unwrap(), 1200);
        // The generated rows are found through the search index.
        let f = CustomerFilter {
            query: Some("有限公司".into()),
            ..CustomerFilter::default()
        };
        let (n, _) = customer_list::count(&db, &ScopeTerritories::All, &f, 100_000)
            .await
            .unwrap();
        assert!(n > 100 && n < 1200, "{n}");
    }
}

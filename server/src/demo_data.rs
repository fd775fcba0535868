//! Demo customers and visits: deterministic (a fixed RNG seed), mixed Chinese/English data spread
//! over 上海, 杭州 and 北京, written through the document path so they sync like any other record.
//! Also used by the benchmark to generate customers of a realistic size (~1 KB each).

use fieldcrm_core::document::Kind;
use fieldcrm_core::domain::{
    Address, CheckPoint, Contact, Customer, CustomerKind, GeoPoint, Visit,
};
use fieldcrm_core::{ContactId, CustomerId, DocId, TerritoryId, UserId};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::db::Db;
use crate::sync::Hub;
use crate::sync::write::{self, WriteError};

/// A city of the demo: its territory, name data and centre point.
#[derive(Debug, Clone)]
pub struct City {
    /// Territory of the city.
    pub territory: TerritoryId,
    /// The rep working it, if any.
    pub rep: Option<UserId>,
    /// Province name.
    pub province: &'static str,
    /// City name.
    pub city: &'static str,
    /// Code prefix (`SH`, `HZ`, `BJ`).
    pub code: &'static str,
    /// Districts.
    pub districts: &'static [&'static str],
    /// Streets.
    pub streets: &'static [&'static str],
    /// Centre (lat, lon).
    pub centre: (f64, f64),
    /// Phone area code.
    pub area: &'static str,
}

/// The three demo cities (territories and reps filled in by the caller).
pub fn cities(shanghai: TerritoryId, hangzhou: TerritoryId, beijing: TerritoryId) -> Vec<City> {
    vec![
        City {
            territory: shanghai,
            rep: None,
            province: "上海市",
            city: "上海",
            code: "SH",
            districts: &[
                "浦东新区",
                "黄浦区",
                "徐汇区",
                "静安区",
                "长宁区",
                "闵行区",
                "杨浦区",
            ],
            streets: &[
                "世纪大道",
                "南京东路",
                "淮海中路",
                "张江路",
                "虹桥路",
                "漕溪北路",
                "陆家嘴环路",
            ],
            centre: (31.2304, 121.4737),
            area: "021",
        },
        City {
            territory: hangzhou,
            rep: None,
            province: "浙江省",
            city: "杭州",
            code: "HZ",
            districts: &["西湖区", "上城区", "拱墅区", "滨江区", "余杭区", "萧山区"],
            streets: &[
                "文三路",
                "延安路",
                "江南大道",
                "文一西路",
                "钱江路",
                "莫干山路",
            ],
            centre: (30.2741, 120.1551),
            area: "0571",
        },
        City {
            territory: beijing,
            rep: None,
            province: "北京市",
            city: "北京",
            code: "BJ",
            districts: &["朝阳区", "海淀区", "东城区", "西城区", "丰台区", "大兴区"],
            streets: &[
                "建国路",
                "中关村大街",
                "长安街",
                "望京街",
                "金融大街",
                "亦庄路",
            ],
            centre: (39.9042, 116.4074),
            area: "010",
        },
    ]
}

const PREFIXES: &[&str] = &[
    "华联",
    "东方",
    "金桥",
    "新世纪",
    "恒通",
    "远大",
    "宏达",
    "瑞丰",
    "百盛",
    "永安",
    "鼎信",
    "安吉",
    "天成",
    "嘉禾",
    "博远",
];
const SUFFIXES: &[(&str, &str, &str)] = &[
    ("超市", "Supermarket", "retail"),
    ("医疗器械有限公司", "Medical Devices Co., Ltd.", "medical"),
    (
        "机电设备有限公司",
        "Electromechanical Co., Ltd.",
        "manufacturing",
    ),
    ("餐饮管理有限公司", "Catering Management", "catering"),
    ("物流有限公司", "Logistics", "logistics"),
    ("科技有限公司", "Technology Co., Ltd.", "it"),
    ("酒店", "Hotel", "hotel"),
    (
        "建材市场",
        "Building Materials Market",
        "building_materials",
    ),
];
const ENGLISH: &[&str] = &[
    "Acme Trading",
    "Blue River Foods",
    "Northwind",
    "Pacific Rim Imports",
    "Golden Gate Textiles",
    "Summit Labs",
];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟",
];
const TITLES: &[&str] = &[
    "采购经理",
    "总经理",
    "店长",
    "IT主管",
    "财务总监",
    "Operations Manager",
    "Purchasing Lead",
];
/// Codes of the `customer_source` dictionary list.
const SOURCES: &[&str] = &["exhibition", "referral", "website", "cold_call", "partner"];
const TAGS: &[&str] = &[
    "VIP",
    "重点客户",
    "新客户",
    "连锁",
    "key-account",
    "年度合同",
];
/// Codes of the `visit_purpose` dictionary list.
const PURPOSES: &[&str] = &[
    "introduction",
    "demo",
    "follow_up",
    "collection",
    "contract",
];
const OUTCOMES: &[&str] = &[
    "有意向 interested",
    "需要报价 needs a quote",
    "已下单 ordered",
    "暂无需求 no need yet",
    "约下次 next meeting booked",
];

fn person(rng: &mut StdRng) -> String {
    let s = SURNAMES.choose(rng).copied().unwrap_or("王");
    let g1 = GIVEN.choose(rng).copied().unwrap_or("伟");
    if rng.gen_bool(0.5) {
        format!("{s}{g1}")
    } else {
        let g2 = GIVEN.choose(rng).copied().unwrap_or("芳");
        format!("{s}{g1}{g2}")
    }
}

fn mobile(rng: &mut StdRng) -> String {
    format!(
        "1{}{:01}-{:04}-{:04}",
        rng.gen_range(3..=9),
        rng.gen_range(0..10),
        rng.gen_range(0..10000),
        rng.gen_range(0..10000)
    )
}

fn pick<'a>(rng: &mut StdRng, items: &'a [&'a str]) -> &'a str {
    items.choose(rng).copied().unwrap_or_default()
}

/// A realistic customer of `city` (number `n` gives the code).
pub fn customer(rng: &mut StdRng, city: &City, n: usize) -> Customer {
    let (name, industry) = if rng.gen_ratio(1, 8) {
        (
            format!("{} ({})", pick(rng, ENGLISH), city.city),
            "trading".to_owned(),
        )
    } else {
        let (zh, en, industry) =
            SUFFIXES
                .choose(rng)
                .copied()
                .unwrap_or(("超市", "Supermarket", "retail"));
        let prefix = pick(rng, PREFIXES);
        (
            format!("{}{prefix}{zh} {en}", city.city),
            industry.to_owned(),
        )
    };
    let person_customer = rng.gen_ratio(1, 10);
    let contacts = (0..rng.gen_range(1..=3))
        .map(|i| Contact {
            id: ContactId::from_uuid(uuid::Builder::from_random_bytes(rng.r#gen()).into_uuid()),
            name: person(rng),
            title: pick(rng, TITLES).to_owned(),
            department: if i == 0 {
                "采购部".to_owned()
            } else {
                "运营部".to_owned()
            },
            phones: vec![mobile(rng)],
            email: format!("contact{n}.{i}@example.cn"),
            role: if i == 0 {
                "decision_maker".to_owned()
            } else {
                "user".to_owned()
            },
            primary: i == 0,
            notes: String::new(),
        })
        .collect();
    let (lat0, lon0) = city.centre;
    Customer {
        code: format!("C-{}-{n:05}", city.code),
        name: if person_customer { person(rng) } else { name },
        kind: if person_customer {
            CustomerKind::Person
        } else {
            CustomerKind::Company
        },
        tier: ["A", "B", "B", "C", "C", "C"]
            .choose(rng)
            .copied()
            .unwrap_or("C")
            .to_owned(),
        industry,
        source: pick(rng, SOURCES).to_owned(),
        phones: vec![format!(
            "{} {:04}-{:04}",
            city.area,
            rng.gen_range(1000..10000),
            rng.gen_range(0..10000)
        )],
        email: format!("info{n}@example.cn"),
        address: Address {
            province: city.province.to_owned(),
            city: city.city.to_owned(),
            district: pick(rng, city.districts).to_owned(),
            street: format!("{}{}号", pick(rng, city.streets), rng.gen_range(1..2000)),
            zip: format!("{}", rng.gen_range(100000..900000)),
            geo: GeoPoint::parse(
                lat0 + rng.gen_range(-0.15..0.15),
                lon0 + rng.gen_range(-0.15..0.15),
            )
            .ok(),
        },
        tags: (0..rng.gen_range(0..3))
            .map(|_| pick(rng, TAGS).to_owned())
            .collect(),
        birthday: person_customer.then(|| {
            format!(
                "19{}-{:02}-{:02}",
                rng.gen_range(60..99),
                rng.gen_range(1..13),
                rng.gen_range(1..29)
            )
        }),
        interests: if person_customer {
            vec!["高尔夫 golf".to_owned(), "茶 tea".to_owned()]
        } else {
            Vec::new()
        },
        contacts,
        custom: Default::default(),
        notes: "客户关注交货期和售后响应速度。Cares about lead times and after-sales response."
            .to_owned(),
        territory: Some(city.territory),
        owner: city.rep,
    }
}

/// A visit to `customer` at `at` (unix ms) by `rep`.
pub fn visit(
    rng: &mut StdRng,
    customer: CustomerId,
    c: &Customer,
    rep: Option<UserId>,
    at: i64,
) -> Visit {
    let geo = c.address.geo.and_then(|g| {
        GeoPoint::parse(
            g.lat + rng.gen_range(-0.0005..0.0005),
            g.lon + rng.gen_range(-0.0005..0.0005),
        )
        .ok()
    });
    Visit {
        customer: Some(customer),
        rep,
        planned_at: Some(at - 3_600_000),
        check_in: Some(CheckPoint {
            at,
            geo,
            accuracy_m: Some(rng.gen_range(5.0..40.0)),
        }),
        check_out: Some(CheckPoint {
            at: at + rng.gen_range(15..90) * 60_000,
            geo,
            accuracy_m: Some(rng.gen_range(5.0..40.0)),
        }),
        purpose: pick(rng, PURPOSES).to_owned(),
        outcome: pick(rng, OUTCOMES).to_owned(),
        notes: "与采购经理沟通了新品价格。Discussed new product pricing.".to_owned(),
        next_step: "一周内发送报价 send a quote within a week".to_owned(),
        photos: Vec::new(),
        custom: Default::default(),
    }
}

/// Counts of what was seeded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Seeded {
    /// Customers.
    pub customers: usize,
    /// Visits.
    pub visits: usize,
}

/// A deterministic id from the RNG.
pub fn doc_id(rng: &mut StdRng) -> DocId {
    DocId::from_uuid(uuid::Builder::from_random_bytes(rng.r#gen()).into_uuid())
}

/// Seeds `per_city` customers per city, each with 0–3 visits, through the document path.
pub async fn seed_customers(
    db: &Db,
    hub: &Hub,
    cities: &[City],
    per_city: usize,
    seed: u64,
) -> Result<Seeded, WriteError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Seeded::default();
    let now = crate::db::now_ms();
    for city in cities {
        for n in 1..=per_city {
            let c = customer(&mut rng, city, n);
            let id = doc_id(&mut rng);
            let value = serde_json::to_value(&c).map_err(|e| WriteError::Invalid(e.to_string()))?;
            write::server_create(db, hub, Kind::Customer, id, &value, city.rep).await?;
            out.customers += 1;
            for k in 0..rng.gen_range(0..=3) {
                let at = now - (k + 1) * 86_400_000 * rng.gen_range(1..20);
                let v = visit(&mut rng, id.into(), &c, city.rep, at);
                let value =
                    serde_json::to_value(&v).map_err(|e| WriteError::Invalid(e.to_string()))?;
                write::server_create(db, hub, Kind::Visit, doc_id(&mut rng), &value, city.rep)
                    .await?;
                out.visits += 1;
            }
        }
    }
    Ok(out)
}

/// Everything the demo seed created.
#[derive(Debug, Clone)]
pub struct DemoSeed {
    /// The organisation.
    pub org: crate::seed::SeedReport,
    /// Customers and visits.
    pub seeded: Seeded,
}

/// Customers per demo city.
pub const DEMO_CUSTOMERS_PER_CITY: usize = 110;

/// Errors of the demo seed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Seeding the organisation failed.
    #[error(transparent)]
    Org(#[from] crate::seed::SeedError),
    /// Writing a document failed.
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Writing relational demo data (the catalog) failed.
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

/// Seeds the whole demo (organisation, 330 customers with visits) into an empty database;
/// `None` when the database already has users.
pub async fn seed_demo(db: &Db, hub: &Hub, password: &str) -> Result<Option<DemoSeed>, DemoError> {
    let Some(org) = crate::seed::seed_demo_if_empty(db, password).await? else {
        return Ok(None);
    };
    let mut cities = cities(org.shanghai, org.hangzhou, org.beijing);
    for (c, rep) in cities.iter_mut().zip(["rep.sh", "rep.hz", "rep.bj"]) {
        c.rep = org.users.get(rep).copied();
    }
    let seeded = seed_customers(db, hub, &cities, DEMO_CUSTOMERS_PER_CITY, 2026).await?;
    crate::demo_catalog::seed_catalog(db).await?;
    seed_service(db, hub, &org, password).await?;
    Ok(Some(DemoSeed { org, seeded }))
}

/// The demo logins, for the terminal.
pub fn logins_text(seed: &DemoSeed, password: &str) -> String {
    let mut out = format!(
        "seeded the demo organisation: {} users, {} customers, {} visits\nlogins (password {password:?}):\n",
        seed.org.users.len(),
        seed.seeded.customers,
        seed.seeded.visits
    );
    for (username, _, role, territories) in crate::seed::DEMO_USERS {
        out.push_str(&format!(
            "  {username:<14} {:<9} {}\n",
            role.as_str(),
            territories.join(", ")
        ));
    }
    out
}

/// The demo's service desk: two more engineers (`engineer.sh`, `engineer.bj`, same password)
/// and a dozen tickets on the first customers — some waiting on the dispatch board (one past its
/// SLA), some dispatched for today at different times, one on site, one completed with a
/// survey, one closed — so `serve --demo` shows a populated board and statistics.
pub async fn seed_service(
    db: &Db,
    hub: &Hub,
    org: &crate::seed::SeedReport,
    password: &str,
) -> Result<(), DemoError> {
    use crate::db::customer_list::{self, CustomerFilter};
    use crate::db::territories::ScopeTerritories;
    use crate::db::tickets::{Priority, TicketType};
    use crate::dispatching::{self, ServiceError, TicketInput};
    use crate::seed::SeedError;

    let write_error = |e: ServiceError| -> DemoError {
        DemoError::Write(match e {
            ServiceError::Write(w) => w,
            ServiceError::Db(d) => WriteError::Db(d),
            other => WriteError::Invalid(other.to_string()),
        })
    };
    let mut engineers: Vec<UserId> = org.users.get("engineer").copied().into_iter().collect();
    for (username, display_name) in [
        ("engineer.sh", "上海工程师 Shanghai Engineer"),
        ("engineer.bj", "北京工程师 Beijing Engineer"),
    ] {
        let hash = crate::auth::password::hash_password_blocking(password.to_owned())
            .await
            .map_err(SeedError::from)?;
        let user = crate::db::users::create(
            db,
            &crate::db::users::NewUser {
                username,
                display_name,
                role: fieldcrm_core::Role::Engineer,
                password_hash: &hash,
            },
        )
        .await
        .map_err(SeedError::from)?;
        engineers.push(user.id);
    }
    let customers = customer_list::list(
        db,
        &ScopeTerritories::All,
        &CustomerFilter::default(),
        None,
        12,
    )
    .await
    .map_err(SeedError::from)?
    .rows;
    let now = crate::db::now_ms();
    let hour = 3_600_000;
    let today = chrono::Local::now().date_naive();
    let at = |h: u32, m: u32| {
        today
            .and_hms_opt(h, m, 0)
            .and_then(|t| chrono::TimeZone::from_local_datetime(&chrono::Local, &t).earliest())
            .map_or(now, |t| t.timestamp_millis())
    };
    // (type, priority, description, created hours ago, what happens: 0 waits, 1 dispatched,
    // 2 on site, 3 completed + survey, 4 closed after completion)
    let plan: [(TicketType, Priority, &str, i64, u8); 12] = [
        (
            TicketType::Repair,
            Priority::Urgent,
            "冷柜不制冷 Freezer not cooling",
            6,
            0,
        ),
        (
            TicketType::Complaint,
            Priority::High,
            "上次维修后仍有异响 Still noisy after repair",
            3,
            0,
        ),
        (
            TicketType::Installation,
            Priority::Normal,
            "新购收银机安装 Install the new till",
            2,
            0,
        ),
        (
            TicketType::Maintenance,
            Priority::Low,
            "季度保养 Quarterly maintenance",
            20,
            0,
        ),
        (
            TicketType::Repair,
            Priority::High,
            "打印机卡纸 Printer jams",
            5,
            1,
        ),
        (
            TicketType::Maintenance,
            Priority::Normal,
            "空调滤网更换 Replace AC filters",
            30,
            1,
        ),
        (
            TicketType::Installation,
            Priority::Normal,
            "安装监控摄像头 Install cameras",
            40,
            1,
        ),
        (
            TicketType::Repair,
            Priority::Urgent,
            "电梯故障 Lift out of order",
            4,
            2,
        ),
        (
            TicketType::Repair,
            Priority::Normal,
            "门禁失灵 Door access fails",
            28,
            3,
        ),
        (
            TicketType::Maintenance,
            Priority::Low,
            "年度检修 Annual service",
            80,
            3,
        ),
        (
            TicketType::Complaint,
            Priority::Normal,
            "服务态度 Service attitude",
            50,
            4,
        ),
        (
            TicketType::Repair,
            Priority::High,
            "水泵漏水 Pump leaking",
            26,
            4,
        ),
    ];
    let slots = [(9, 0), (10, 30), (13, 0), (14, 30), (16, 0)];
    let signature = "5e".repeat(32);
    for (i, (c, (ticket_type, priority, description, ago, fate))) in
        customers.iter().zip(plan).enumerate()
    {
        let created = now - ago * hour;
        let customer: Option<Customer> =
            serde_json::from_value(write::load_record(db, c.id).await?).ok();
        let contact = customer.as_ref().and_then(Customer::primary_contact);
        let ticket = dispatching::create_ticket(
            db,
            &TicketInput {
                customer: c.id.into(),
                contact_name: contact.map(|k| k.name.clone()).unwrap_or_default(),
                contact_phone: contact
                    .and_then(|k| k.phones.first().cloned())
                    .unwrap_or_else(|| c.phone.clone()),
                ticket_type,
                priority,
                description: description.to_owned(),
                product: None,
                serial: format!("SN-{:05}", 10_000 + i * 37),
                sla_due_at: None,
                created_by: org.users.get("office").copied(),
                now: created,
            },
        )
        .await
        .map_err(write_error)?;
        if fate == 0 {
            continue;
        }
        let engineer = engineers[i % engineers.len()];
        let (h, m) = slots[i % slots.len()];
        let d = dispatching::dispatch_ticket(db, hub, &ticket, engineer, at(h, m), None)
            .await
            .map_err(write_error)?;
        if fate >= 2 {
            let done = (fate >= 3).then_some(created + 20 * hour);
            let signature = signature.clone();
            write::server_update(db, hub, d.into(), Some(engineer), "demo.work", move |v| {
                v["check_in"] = serde_json::json!({ "at": done.unwrap_or(now) - hour });
                v["work_log"] = serde_json::json!([{
                    "id": fieldcrm_core::EntryId::new().to_string(),
                    "at": done.unwrap_or(now) - hour / 2,
                    "text": "检查并更换故障部件 Checked and replaced the faulty part",
                }]);
                v["status"] = serde_json::json!("on_site");
                if let Some(done) = done {
                    v["signature"] =
                        serde_json::json!({ "sha256": signature, "content_type": "image/png" });
                    v["completed_at"] = serde_json::json!(done);
                    v["status"] = serde_json::json!("completed");
                }
                Ok(())
            })
            .await?;
        }
        if fate >= 3 {
            let score = [5, 4, 3, 5][i % 4];
            dispatching::record_survey(
                db,
                hub,
                d,
                score,
                "",
                now,
                org.users.get("office").copied(),
            )
            .await
            .map_err(write_error)?;
        }
        if fate == 4 {
            let ticket = crate::db::tickets::get(db, ticket.id)
                .await
                .map_err(SeedError::from)?
                .ok_or_else(|| WriteError::Invalid("demo ticket vanished".into()))?;
            dispatching::close_ticket(
                db,
                &ticket,
                "已修复 Fixed",
                org.users.get("office").copied(),
                now,
            )
            .await
            .map_err(write_error)?;
        }
    }
    Ok(())
}

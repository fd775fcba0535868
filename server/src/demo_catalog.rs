//! The demo catalog: a commercial water-treatment supplier's products in three categories
//! (equipment tracked by serial number, filter cartridges by batch with a shelf life, spare
//! parts untracked), one product no longer sold, and a price list for tier A customers.
//! Written once into an empty catalog by `serve --demo` (and `fieldcrm demo`).

use fieldcrm_core::catalog::Tracking;

use crate::db::catalog::{self, PriceListInput, ProductInput};
use crate::db::{Db, DbError};

/// `(code, name, spec, unit, list price in fen, tracking, shelf life in days, active)`.
type DemoProduct = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    Tracking,
    Option<i64>,
    bool,
);

/// The categories (zh-CN name) and their products.
pub const DEMO_CATALOG: &[(&str, &[DemoProduct])] = &[
    (
        "净水设备",
        &[
            (
                "WP-100",
                "商用净水器 CW-100",
                "400G 反渗透 三级过滤",
                "台",
                498_000,
                Tracking::Serial,
                None,
                true,
            ),
            (
                "WP-200",
                "商用净水器 CW-200",
                "800G 反渗透 五级过滤",
                "台",
                768_000,
                Tracking::Serial,
                None,
                true,
            ),
            (
                "WP-300",
                "步进式开水器 KS-30",
                "30L 3kW",
                "台",
                365_000,
                Tracking::Serial,
                None,
                true,
            ),
            (
                "WP-400",
                "直饮水机 ZY-4",
                "四龙头 冷热双温",
                "台",
                520_000,
                Tracking::Serial,
                None,
                true,
            ),
            (
                "WP-500",
                "全自动软水机 RS-2",
                "2T/h 流量型",
                "台",
                1_280_000,
                Tracking::Serial,
                None,
                true,
            ),
            (
                "WP-600",
                "中央净水机 ZJ-3",
                "3T/h 不锈钢罐体",
                "台",
                980_000,
                Tracking::Serial,
                None,
                true,
            ),
            (
                "WP-700",
                "冷热直饮机 LR-2",
                "双龙头 壁挂式",
                "台",
                630_000,
                Tracking::Serial,
                None,
                true,
            ),
        ],
    ),
    (
        "滤芯耗材",
        &[
            (
                "FC-101",
                "PP棉滤芯",
                "10英寸 5μm",
                "支",
                1800,
                Tracking::Batch,
                Some(365),
                true,
            ),
            (
                "FC-102",
                "颗粒活性炭滤芯 UDF",
                "10英寸",
                "支",
                3500,
                Tracking::Batch,
                Some(730),
                true,
            ),
            (
                "FC-103",
                "压缩活性炭滤芯 CTO",
                "10英寸",
                "支",
                4200,
                Tracking::Batch,
                Some(730),
                true,
            ),
            (
                "FC-104",
                "反渗透膜 RO-400",
                "400G 3012",
                "支",
                46_000,
                Tracking::Batch,
                Some(1095),
                true,
            ),
            (
                "FC-105",
                "反渗透膜 RO-800",
                "800G 3013",
                "支",
                78_000,
                Tracking::Batch,
                Some(1095),
                true,
            ),
            (
                "FC-106",
                "后置活性炭 T33",
                "快接式",
                "支",
                2800,
                Tracking::Batch,
                Some(730),
                true,
            ),
            (
                "FC-107",
                "软水树脂",
                "25L 食品级",
                "袋",
                32_000,
                Tracking::Batch,
                Some(1825),
                true,
            ),
            (
                "FC-108",
                "软水盐",
                "10kg 颗粒",
                "袋",
                4500,
                Tracking::Batch,
                Some(1095),
                true,
            ),
        ],
    ),
    (
        "维修配件",
        &[
            (
                "SP-201",
                "增压泵",
                "24V 400G",
                "个",
                26_000,
                Tracking::None,
                None,
                true,
            ),
            (
                "SP-202",
                "进水电磁阀",
                "24V 2分快接",
                "个",
                5800,
                Tracking::None,
                None,
                true,
            ),
            (
                "SP-203",
                "高压开关",
                "2分快接",
                "个",
                3200,
                Tracking::None,
                None,
                true,
            ),
            (
                "SP-204",
                "压力桶（旧款）",
                "3.2G 碳钢",
                "个",
                18_000,
                Tracking::None,
                None,
                false,
            ),
            (
                "SP-205",
                "鹅颈龙头",
                "304不锈钢",
                "个",
                9500,
                Tracking::None,
                None,
                true,
            ),
            (
                "SP-206",
                "电源变压器",
                "24V 2A",
                "个",
                7500,
                Tracking::None,
                None,
                true,
            ),
        ],
    ),
];

/// The tier A price list: `(code, unit price in fen)`.
pub const TIER_A_PRICES: &[(&str, i64)] = &[
    ("WP-100", 458_000),
    ("WP-200", 708_000),
    ("WP-300", 338_000),
    ("WP-400", 480_000),
    ("WP-500", 1_180_000),
    ("WP-600", 898_000),
    ("FC-101", 1500),
    ("FC-102", 3000),
    ("FC-103", 3600),
    ("FC-104", 42_000),
    ("FC-105", 72_000),
    ("SP-201", 23_800),
];

/// What the demo catalog seeded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CatalogSeed {
    /// Categories.
    pub categories: usize,
    /// Products.
    pub products: usize,
    /// Prices on the tier A list.
    pub prices: usize,
}

/// Seeds the demo catalog when there is no product yet; `None` otherwise.
pub async fn seed_catalog(db: &Db) -> Result<Option<CatalogSeed>, DbError> {
    let (_, existing) = catalog::list_products(
        db,
        &catalog::ProductFilter {
            limit: 1,
            ..catalog::ProductFilter::default()
        },
    )
    .await?;
    if existing > 0 {
        return Ok(None);
    }
    let mut seed = CatalogSeed::default();
    let mut ids = std::collections::HashMap::new();
    for (position, (category, products)) in DEMO_CATALOG.iter().enumerate() {
        let c = catalog::create_category(db, category, None, position as i64 * 10).await?;
        seed.categories += 1;
        for &(code, name, spec, unit, list_price, tracking, shelf_life_days, active) in *products {
            let id = catalog::create_product(
                db,
                &ProductInput {
                    code: code.into(),
                    name: name.into(),
                    unit: unit.into(),
                    spec: spec.into(),
                    category_id: Some(c.id),
                    list_price,
                    image_sha256: None,
                    tracking,
                    shelf_life_days,
                    active,
                },
            )
            .await?;
            ids.insert(code, id);
            seed.products += 1;
        }
    }
    let list = catalog::create_price_list(
        db,
        &PriceListInput {
            name: "A级客户价格表 2026".into(),
            tier: "A".into(),
            valid_from: "2026-01-01".into(),
            valid_to: None,
            active: true,
        },
    )
    .await?;
    for (code, price) in TIER_A_PRICES {
        if let Some(id) = ids.get(code) {
            catalog::set_price(db, list, *id, *price).await?;
            seed.prices += 1;
        }
    }
    Ok(Some(seed))
}

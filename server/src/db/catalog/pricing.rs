//! Price lists and their items, and what devices and order pricing read: the device catalog,
//! [`price_book`] and [`tracking`].

use std::collections::{BTreeSet, HashMap};

use fieldcrm_core::catalog::{
    CURRENCY, Catalog, CatalogPriceList, CatalogProduct, PriceItem, QuoteBook,
};
use fieldcrm_core::domain::Quote;
use fieldcrm_core::{PriceListId, ProductId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{PRODUCT_COLUMNS, bump, parse_id, product_from_row, version};
use crate::db::{Db, DbError, bind_list, flag, now_ms};

/// Prices in force on one day for one customer tier: the [`fieldcrm_core::domain::PriceBook`]
/// order pricing uses (currency + quotes by product).
pub type CatalogBook = QuoteBook;

/// Most products priced per query (bind parameters).
const CHUNK: usize = 500;

// ----- price lists -----

/// A price list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceList {
    /// Id.
    pub id: PriceListId,
    /// Name.
    pub name: String,
    /// Customer tier (a `customer_tier` code; empty = customers without one).
    pub tier: String,
    /// First day in force, `YYYY-MM-DD`.
    pub valid_from: String,
    /// Last day in force, `YYYY-MM-DD`; `None` = open-ended.
    pub valid_to: Option<String>,
    /// In use.
    pub active: bool,
    /// Currency (`CNY`).
    pub currency: String,
    /// How many products it prices.
    pub items: i64,
}

/// The fields of a price list a write sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceListInput {
    /// Name.
    pub name: String,
    /// Customer tier.
    pub tier: String,
    /// First day in force.
    pub valid_from: String,
    /// Last day in force.
    pub valid_to: Option<String>,
    /// In use.
    pub active: bool,
}

fn price_list_from_row(row: &AnyRow) -> Result<PriceList, DbError> {
    let id: String = row.try_get("id")?;
    Ok(PriceList {
        id: parse_id("price_lists", &id)?,
        name: row.try_get("name")?,
        tier: row.try_get("tier")?,
        valid_from: row.try_get("valid_from")?,
        valid_to: row.try_get("valid_to")?,
        active: flag(row.try_get("active")?),
        currency: row.try_get("currency")?,
        items: row.try_get("items")?,
    })
}

const PRICE_LIST_SELECT: &str = "SELECT l.id, l.name, l.tier, l.valid_from, l.valid_to, l.active, \
     l.currency, (SELECT COUNT(*) FROM price_list_items i WHERE i.price_list_id = l.id) AS items \
     FROM price_lists l";

/// Every price list: by tier, then the latest first.
pub async fn price_lists(db: &Db) -> Result<Vec<PriceList>, DbError> {
    let rows = sqlx::query(&format!(
        "{PRICE_LIST_SELECT} ORDER BY l.tier, l.valid_from DESC, l.name"
    ))
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(price_list_from_row).collect()
}

/// The price list with this id.
pub async fn price_list(db: &Db, id: PriceListId) -> Result<Option<PriceList>, DbError> {
    let row = sqlx::query(&format!("{PRICE_LIST_SELECT} WHERE l.id = $1"))
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(price_list_from_row).transpose()
}

/// Creates a price list (in [`CURRENCY`]).
pub async fn create_price_list(db: &Db, input: &PriceListInput) -> Result<PriceListId, DbError> {
    let id = PriceListId::new();
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO price_lists (id, name, tier, valid_from, valid_to, active, currency, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(id.to_string())
    .bind(&input.name)
    .bind(&input.tier)
    .bind(&input.valid_from)
    .bind(input.valid_to.clone())
    .bind(i64::from(input.active))
    .bind(CURRENCY)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    bump(&mut tx).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a price list's fields. Returns it before the change.
pub async fn update_price_list(
    db: &Db,
    id: PriceListId,
    input: &PriceListInput,
) -> Result<PriceList, DbError> {
    let before = price_list(db, id)
        .await?
        .ok_or_else(|| DbError::NotFound(format!("price list {id}")))?;
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE price_lists SET name = $1, tier = $2, valid_from = $3, valid_to = $4, \
             active = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(&input.name)
    .bind(&input.tier)
    .bind(&input.valid_from)
    .bind(input.valid_to.clone())
    .bind(i64::from(input.active))
    .bind(now_ms())
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?;
    bump(&mut tx).await?;
    tx.commit().await?;
    Ok(before)
}

/// A price of a list, with the product it prices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceListItem {
    /// The product.
    pub product_id: ProductId,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its unit.
    pub unit: String,
    /// Its list price.
    pub list_price: i64,
    /// Whether it is still sold.
    pub active: bool,
    /// The list's unit price.
    pub unit_price: i64,
}

/// The prices of a list, by product code.
pub async fn price_list_items(db: &Db, list: PriceListId) -> Result<Vec<PriceListItem>, DbError> {
    let rows = sqlx::query(
        "SELECT p.id, p.code, p.name, p.unit, p.list_price, p.active, i.unit_price \
         FROM price_list_items i JOIN products p ON p.id = i.product_id \
         WHERE i.price_list_id = $1 ORDER BY p.code",
    )
    .bind(list.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(PriceListItem {
                product_id: parse_id("products", &row.try_get::<String, _>("id")?)?,
                code: row.try_get("code")?,
                name: row.try_get("name")?,
                unit: row.try_get("unit")?,
                list_price: row.try_get("list_price")?,
                active: flag(row.try_get("active")?),
                unit_price: row.try_get("unit_price")?,
            })
        })
        .collect()
}

/// Sets the unit price of `product` on `list` (adds or changes the item). Returns the price it
/// had, if any.
pub async fn set_price(
    db: &Db,
    list: PriceListId,
    product: ProductId,
    unit_price: i64,
) -> Result<Option<i64>, DbError> {
    let mut tx = db.begin_write().await?;
    let exists = sqlx::query("SELECT id FROM price_lists WHERE id = $1")
        .bind(list.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if !exists {
        return Err(DbError::NotFound(format!("price list {list}")));
    }
    let known = sqlx::query("SELECT id FROM products WHERE id = $1")
        .bind(product.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if !known {
        return Err(DbError::NotFound(format!("product {product}")));
    }
    let before: Option<i64> = sqlx::query_scalar(
        "SELECT unit_price FROM price_list_items WHERE price_list_id = $1 AND product_id = $2",
    )
    .bind(list.to_string())
    .bind(product.to_string())
    .fetch_optional(&mut *tx)
    .await?;
    let sql = if before.is_some() {
        "UPDATE price_list_items SET unit_price = $3 WHERE price_list_id = $1 AND product_id = $2"
    } else {
        "INSERT INTO price_list_items (price_list_id, product_id, unit_price) VALUES ($1, $2, $3)"
    };
    sqlx::query(sql)
        .bind(list.to_string())
        .bind(product.to_string())
        .bind(unit_price)
        .execute(&mut *tx)
        .await?;
    bump(&mut tx).await?;
    tx.commit().await?;
    Ok(before)
}

/// Removes `product` from `list`. Returns the price it had (`None`: it was not on the list).
pub async fn remove_price(
    db: &Db,
    list: PriceListId,
    product: ProductId,
) -> Result<Option<i64>, DbError> {
    let mut tx = db.begin_write().await?;
    let before: Option<i64> = sqlx::query_scalar(
        "SELECT unit_price FROM price_list_items WHERE price_list_id = $1 AND product_id = $2",
    )
    .bind(list.to_string())
    .bind(product.to_string())
    .fetch_optional(&mut *tx)
    .await?;
    if before.is_some() {
        sqlx::query("DELETE FROM price_list_items WHERE price_list_id = $1 AND product_id = $2")
            .bind(list.to_string())
            .bind(product.to_string())
            .execute(&mut *tx)
            .await?;
        bump(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(before)
}

// ----- what devices and orders read -----

/// The catalog devices hold: active products (with their category's name) and active price
/// lists with their items, under the current version.
pub async fn device_catalog(db: &Db) -> Result<Catalog, DbError> {
    // The version first: the content read after it is at least as new as the tag it gets.
    let version = version(db).await?;
    let rows = sqlx::query(&format!(
        "SELECT {PRODUCT_COLUMNS}, c.name AS category_name FROM products p \
         LEFT JOIN product_categories c ON c.id = p.category_id \
         WHERE p.active = 1 ORDER BY p.code"
    ))
    .fetch_all(db.pool())
    .await?;
    let mut products = Vec::with_capacity(rows.len());
    for row in &rows {
        let p = product_from_row(row)?;
        let category: Option<String> = row.try_get("category_name")?;
        products.push(CatalogProduct {
            id: p.id,
            code: p.code,
            name: p.name,
            unit: p.unit,
            spec: p.spec,
            category: category.unwrap_or_default(),
            list_price: p.list_price,
            tracking: p.tracking,
            shelf_life_days: p.shelf_life_days,
            image_sha256: p.image_sha256.map(|s| s.as_str().to_owned()),
        });
    }
    let mut lists: Vec<CatalogPriceList> = sqlx::query(&format!(
        "{PRICE_LIST_SELECT} WHERE l.active = 1 ORDER BY l.tier, l.valid_from, l.id"
    ))
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|row| {
        let l = price_list_from_row(row)?;
        Ok(CatalogPriceList {
            id: l.id,
            name: l.name,
            tier: l.tier,
            valid_from: l.valid_from,
            valid_to: l.valid_to,
            currency: l.currency,
            items: Vec::new(),
        })
    })
    .collect::<Result<_, DbError>>()?;
    let index: HashMap<PriceListId, usize> =
        lists.iter().enumerate().map(|(i, l)| (l.id, i)).collect();
    // Only items of active products: the device knows no other.
    let items = sqlx::query(
        "SELECT i.price_list_id, i.product_id, i.unit_price FROM price_list_items i \
         JOIN price_lists l ON l.id = i.price_list_id JOIN products p ON p.id = i.product_id \
         WHERE l.active = 1 AND p.active = 1 ORDER BY i.price_list_id, p.code",
    )
    .fetch_all(db.pool())
    .await?;
    for row in &items {
        let list: PriceListId = parse_id(
            "price_list_items",
            &row.try_get::<String, _>("price_list_id")?,
        )?;
        let product: ProductId =
            parse_id("price_list_items", &row.try_get::<String, _>("product_id")?)?;
        if let Some(&i) = index.get(&list) {
            lists[i].items.push(PriceItem {
                product,
                unit_price: row.try_get("unit_price")?,
            });
        }
    }
    Ok(Catalog {
        version: version.to_string(),
        currency: CURRENCY.to_owned(),
        products,
        price_lists: lists,
    })
}

/// The distinct ids of `products` as text, in chunks small enough for bind parameters.
fn id_chunks(products: &[ProductId]) -> Vec<Vec<String>> {
    let ids: BTreeSet<ProductId> = products.iter().copied().collect();
    let ids: Vec<String> = ids.into_iter().map(|p| p.to_string()).collect();
    ids.chunks(CHUNK).map(<[String]>::to_vec).collect()
}

/// Prices in force on `on` (YYYY-MM-DD) for a customer of `tier`.
///
/// For each of `products`: the unit price from the active price list of `tier` valid on `on`
/// (the latest `valid_from` when several price it), else the product's list price; `Quote.active`
/// false for an inactive product; unknown products are absent. Runs on the caller's connection
/// (the order write transaction).
pub async fn price_book(
    conn: &mut AnyConnection,
    tier: &str,
    on: &str,
    products: &[ProductId],
) -> Result<CatalogBook, DbError> {
    let mut quotes = HashMap::new();
    for chunk in id_chunks(products) {
        let sql = format!(
            "SELECT p.id, p.code, p.name, p.unit, p.list_price, p.active, \
                 (SELECT i.unit_price FROM price_list_items i \
                  JOIN price_lists l ON l.id = i.price_list_id \
                  WHERE i.product_id = p.id AND l.active = 1 AND l.tier = $1 \
                    AND l.valid_from <= $2 AND (l.valid_to IS NULL OR l.valid_to >= $2) \
                  ORDER BY l.valid_from DESC, l.id DESC LIMIT 1) AS tier_price \
             FROM products p WHERE p.id IN ({})",
            bind_list(3, chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(tier).bind(on);
        for id in chunk {
            query = query.bind(id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let id: ProductId = parse_id("products", &row.try_get::<String, _>("id")?)?;
            let list_price: i64 = row.try_get("list_price")?;
            let tier_price: Option<i64> = row.try_get("tier_price")?;
            quotes.insert(
                id,
                Quote {
                    code: row.try_get("code")?,
                    name: row.try_get("name")?,
                    unit: row.try_get("unit")?,
                    unit_price: tier_price.unwrap_or(list_price),
                    active: flag(row.try_get("active")?),
                },
            );
        }
    }
    Ok(CatalogBook {
        currency: CURRENCY.to_owned(),
        quotes,
    })
}

/// Tracking of each product ('none' | 'batch' | 'serial'), for shipping. Unknown products are
/// absent.
pub async fn tracking(
    conn: &mut AnyConnection,
    products: &[ProductId],
) -> Result<HashMap<ProductId, String>, DbError> {
    let mut out = HashMap::new();
    for chunk in id_chunks(products) {
        let sql = format!(
            "SELECT id, tracking FROM products WHERE id IN ({})",
            bind_list(1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let id: ProductId = parse_id("products", &row.try_get::<String, _>("id")?)?;
            out.insert(id, row.try_get("tracking")?);
        }
    }
    Ok(out)
}

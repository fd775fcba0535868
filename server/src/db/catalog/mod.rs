//! The product catalog (`product_categories`, `products`, `price_lists`, `price_list_items`,
//! `catalog_version`; migration 0011): back-office CRUD, the product list with search and
//! filters, the import's upsert by code, the device's copy ([`device_catalog`]) and what order
//! pricing and shipping read inside their write transaction ([`price_book`], [`tracking`]).
//!
//! Every write moves `catalog_version` forward in the same transaction: the version is the
//! entity tag of `GET /api/v1/catalog`. It moves to at least the current time in milliseconds,
//! so a rebuilt database never hands out a tag an old device still holds for other content.
//!
//! Pricing follows the rule of [`fieldcrm_core::catalog`].

mod pricing;

use std::collections::HashMap;

use fieldcrm_core::attachment::Sha256Hex;
use fieldcrm_core::catalog::Tracking;
use fieldcrm_core::{CategoryId, ProductId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::tree::{self, TreeError};
use super::{Db, DbError, flag, now_ms};

pub use pricing::{
    CatalogBook, PriceList, PriceListInput, PriceListItem, create_price_list, device_catalog,
    price_book, price_list, price_list_items, price_lists, remove_price, set_price, tracking,
    update_price_list,
};

// ----- version -----

/// Moves the catalog version forward (inside the caller's transaction).
async fn bump(conn: &mut AnyConnection) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE catalog_version SET version = CASE WHEN version + 1 > $1 THEN version + 1 \
         ELSE $1 END WHERE id = 1",
    )
    .bind(now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The current catalog version.
pub async fn version(db: &Db) -> Result<i64, DbError> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT version FROM catalog_version WHERE id = 1")
            .fetch_optional(db.pool())
            .await?
            .unwrap_or(0),
    )
}

// ----- categories -----

/// A node of the category tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    /// Id.
    pub id: CategoryId,
    /// Parent (`None` = top level).
    pub parent_id: Option<CategoryId>,
    /// Name.
    pub name: String,
    /// Order among its siblings (then by name).
    pub position: i64,
}

fn parse_id<T: std::str::FromStr>(table: &'static str, s: &str) -> Result<T, DbError>
where
    T::Err: std::fmt::Display,
{
    s.parse::<T>().map_err(|e| DbError::corrupt(table, e))
}

fn category_from_row(row: &AnyRow) -> Result<Category, DbError> {
    let id: String = row.try_get("id")?;
    let parent: Option<String> = row.try_get("parent_id")?;
    Ok(Category {
        id: parse_id("product_categories", &id)?,
        parent_id: parent
            .map(|p| parse_id("product_categories", &p))
            .transpose()?,
        name: row.try_get("name")?,
        position: row.try_get("position")?,
    })
}

/// Every category (unordered: see [`tree::ordered`] for display order).
pub async fn categories(db: &Db) -> Result<Vec<Category>, DbError> {
    let rows = sqlx::query(
        "SELECT id, parent_id, name, position FROM product_categories ORDER BY position, name",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(category_from_row).collect()
}

/// Creates a category under `parent` (or at the top level).
pub async fn create_category(
    db: &Db,
    name: &str,
    parent: Option<CategoryId>,
    position: i64,
) -> Result<Category, DbError> {
    let category = Category {
        id: CategoryId::new(),
        parent_id: parent,
        name: name.to_owned(),
        position,
    };
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    if let Some(p) = parent
        && !category_exists(&mut tx, p).await?
    {
        return Err(DbError::NotFound(format!("category {p}")));
    }
    sqlx::query(
        "INSERT INTO product_categories (id, parent_id, name, position, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(category.id.to_string())
    .bind(parent.map(|p| p.to_string()))
    .bind(name)
    .bind(position)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    bump(&mut tx).await?;
    tx.commit().await?;
    Ok(category)
}

async fn category_exists(conn: &mut AnyConnection, id: CategoryId) -> Result<bool, DbError> {
    Ok(
        sqlx::query("SELECT id FROM product_categories WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .is_some(),
    )
}

/// Renames and moves a category (`parent` `None` = top level). Moving it under itself or a
/// descendant is [`TreeError::Cycle`]. Returns it before and after.
pub async fn update_category(
    db: &Db,
    id: CategoryId,
    name: &str,
    parent: Option<CategoryId>,
    position: i64,
) -> Result<(Category, Category), TreeError> {
    let all = categories(db).await?;
    let before = all
        .iter()
        .find(|c| c.id == id)
        .cloned()
        .ok_or_else(|| DbError::NotFound(format!("category {id}")))?;
    if let Some(p) = parent
        && !all.iter().any(|c| c.id == p)
    {
        return Err(DbError::NotFound(format!("category {p}")).into());
    }
    let parents: HashMap<_, _> = all.iter().map(|c| (c.id, c.parent_id)).collect();
    if tree::would_cycle(&parents, id, parent) {
        return Err(TreeError::Cycle);
    }
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE product_categories SET name = $1, parent_id = $2, position = $3, updated_at = $4 \
         WHERE id = $5",
    )
    .bind(name)
    .bind(parent.map(|p| p.to_string()))
    .bind(position)
    .bind(now_ms())
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?;
    bump(&mut tx).await?;
    tx.commit().await?;
    let after = Category {
        name: name.to_owned(),
        parent_id: parent,
        position,
        ..before.clone()
    };
    Ok((before, after))
}

/// Deletes a category without subcategories and products ([`TreeError::NotEmpty`] otherwise).
/// Returns it.
pub async fn delete_category(db: &Db, id: CategoryId) -> Result<Category, TreeError> {
    let mut tx = db.begin_write().await?;
    let row =
        sqlx::query("SELECT id, parent_id, name, position FROM product_categories WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
    let category = row
        .as_ref()
        .map(category_from_row)
        .transpose()?
        .ok_or_else(|| DbError::NotFound(format!("category {id}")))?;
    let used: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM product_categories WHERE parent_id = $1) \
              + (SELECT COUNT(*) FROM products WHERE category_id = $1)",
    )
    .bind(id.to_string())
    .fetch_one(&mut *tx)
    .await?;
    if used > 0 {
        return Err(TreeError::NotEmpty);
    }
    sqlx::query("DELETE FROM product_categories WHERE id = $1")
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    bump(&mut tx).await?;
    tx.commit().await?;
    Ok(category)
}

/// How many products each category has (directly; categories without any are absent).
pub async fn category_product_counts(db: &Db) -> Result<HashMap<CategoryId, i64>, DbError> {
    let rows = sqlx::query(
        "SELECT category_id, COUNT(*) AS n FROM products WHERE category_id IS NOT NULL \
         GROUP BY category_id",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let id: String = row.try_get("category_id")?;
            Ok((parse_id("products", &id)?, row.try_get("n")?))
        })
        .collect()
}

// ----- products -----

/// A product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Product {
    /// Id.
    pub id: ProductId,
    /// Code (unique; the import's key).
    pub code: String,
    /// Name.
    pub name: String,
    /// Unit of measure.
    pub unit: String,
    /// Specification / model.
    pub spec: String,
    /// Category.
    pub category_id: Option<CategoryId>,
    /// List price, minor units.
    pub list_price: i64,
    /// Image (an attachment).
    pub image_sha256: Option<Sha256Hex>,
    /// Batch or serial tracking.
    pub tracking: Tracking,
    /// Shelf life in days.
    pub shelf_life_days: Option<i64>,
    /// Still sold.
    pub active: bool,
    /// Created, unix ms.
    pub created_at: i64,
    /// Last changed, unix ms.
    pub updated_at: i64,
}

/// The fields of a product a write sets (everything but id and timestamps).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductInput {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Specification / model.
    pub spec: String,
    /// Category.
    pub category_id: Option<CategoryId>,
    /// List price, minor units.
    pub list_price: i64,
    /// Image.
    pub image_sha256: Option<Sha256Hex>,
    /// Tracking.
    pub tracking: Tracking,
    /// Shelf life in days.
    pub shelf_life_days: Option<i64>,
    /// Still sold.
    pub active: bool,
}

const PRODUCT_COLUMNS: &str = "p.id, p.code, p.name, p.unit, p.spec, p.category_id, p.list_price, \
     p.image_sha256, p.tracking, p.shelf_life_days, p.active, p.created_at, p.updated_at";

fn product_from_row(row: &AnyRow) -> Result<Product, DbError> {
    let id: String = row.try_get("id")?;
    let category: Option<String> = row.try_get("category_id")?;
    let image: Option<String> = row.try_get("image_sha256")?;
    let tracking: String = row.try_get("tracking")?;
    Ok(Product {
        id: parse_id("products", &id)?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        unit: row.try_get("unit")?,
        spec: row.try_get("spec")?,
        category_id: category.map(|c| parse_id("products", &c)).transpose()?,
        list_price: row.try_get("list_price")?,
        image_sha256: image
            .map(|s| Sha256Hex::parse(&s).map_err(|e| DbError::corrupt("products", e)))
            .transpose()?,
        tracking: tracking
            .parse()
            .map_err(|e| DbError::corrupt("products", e))?,
        shelf_life_days: row.try_get("shelf_life_days")?,
        active: flag(row.try_get("active")?),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The product with this id.
pub async fn product(db: &Db, id: ProductId) -> Result<Option<Product>, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(product_from_row).transpose()
}

/// The product with this code.
pub async fn product_by_code(db: &Db, code: &str) -> Result<Option<Product>, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.code = $1"
    ))
    .bind(code)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(product_from_row).transpose()
}

async fn insert_product(
    conn: &mut AnyConnection,
    id: ProductId,
    input: &ProductInput,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO products (id, code, name, unit, spec, category_id, list_price, image_sha256, \
             tracking, shelf_life_days, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
    )
    .bind(id.to_string())
    .bind(&input.code)
    .bind(&input.name)
    .bind(&input.unit)
    .bind(&input.spec)
    .bind(input.category_id.map(|c| c.to_string()))
    .bind(input.list_price)
    .bind(input.image_sha256.as_ref().map(|s| s.as_str().to_owned()))
    .bind(input.tracking.as_str())
    .bind(input.shelf_life_days)
    .bind(i64::from(input.active))
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(|e| DbError::unique(e, format!("product code {:?}", input.code)))?;
    Ok(())
}

async fn update_product_row(
    conn: &mut AnyConnection,
    id: ProductId,
    input: &ProductInput,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE products SET code = $1, name = $2, unit = $3, spec = $4, category_id = $5, \
             list_price = $6, image_sha256 = $7, tracking = $8, shelf_life_days = $9, \
             active = $10, updated_at = $11 WHERE id = $12",
    )
    .bind(&input.code)
    .bind(&input.name)
    .bind(&input.unit)
    .bind(&input.spec)
    .bind(input.category_id.map(|c| c.to_string()))
    .bind(input.list_price)
    .bind(input.image_sha256.as_ref().map(|s| s.as_str().to_owned()))
    .bind(input.tracking.as_str())
    .bind(input.shelf_life_days)
    .bind(i64::from(input.active))
    .bind(now)
    .bind(id.to_string())
    .execute(&mut *conn)
    .await
    .map_err(|e| DbError::unique(e, format!("product code {:?}", input.code)))?;
    Ok(done.rows_affected() > 0)
}

async fn check_category(
    conn: &mut AnyConnection,
    category: Option<CategoryId>,
) -> Result<(), DbError> {
    match category {
        Some(c) if !category_exists(conn, c).await? => {
            Err(DbError::NotFound(format!("category {c}")))
        }
        _ => Ok(()),
    }
}

/// Creates a product. A taken code is [`DbError::Duplicate`]; an unknown category
/// [`DbError::NotFound`].
pub async fn create_product(db: &Db, input: &ProductInput) -> Result<ProductId, DbError> {
    let id = ProductId::new();
    let mut tx = db.begin_write().await?;
    check_category(&mut tx, input.category_id).await?;
    insert_product(&mut tx, id, input, now_ms()).await?;
    bump(&mut tx).await?;
    tx.commit().await?;
    Ok(id)
}

/// Replaces every field of a product. Returns it before the change.
pub async fn update_product(
    db: &Db,
    id: ProductId,
    input: &ProductInput,
) -> Result<Product, DbError> {
    let before = product(db, id)
        .await?
        .ok_or_else(|| DbError::NotFound(format!("product {id}")))?;
    let mut tx = db.begin_write().await?;
    check_category(&mut tx, input.category_id).await?;
    if !update_product_row(&mut tx, id, input, now_ms()).await? {
        return Err(DbError::NotFound(format!("product {id}")));
    }
    bump(&mut tx).await?;
    tx.commit().await?;
    Ok(before)
}

/// Whether an upsert created or updated its product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upserted {
    /// A new product.
    Created(ProductId),
    /// The product with that code, changed.
    Updated(ProductId),
}

/// Creates the product with `input.code`, or replaces the fields of the one that has it (the
/// import's write). Its image is kept when `input` has none.
pub async fn upsert_product_by_code(db: &Db, input: &ProductInput) -> Result<Upserted, DbError> {
    let mut tx = db.begin_write().await?;
    check_category(&mut tx, input.category_id).await?;
    let existing = sqlx::query("SELECT id, image_sha256 FROM products WHERE code = $1")
        .bind(&input.code)
        .fetch_optional(&mut *tx)
        .await?;
    let now = now_ms();
    let outcome = match existing {
        Some(row) => {
            let id: ProductId = parse_id("products", &row.try_get::<String, _>("id")?)?;
            let mut input = input.clone();
            if input.image_sha256.is_none() {
                let image: Option<String> = row.try_get("image_sha256")?;
                input.image_sha256 = image.and_then(|s| Sha256Hex::parse(&s).ok());
            }
            update_product_row(&mut tx, id, &input, now).await?;
            Upserted::Updated(id)
        }
        None => {
            let id = ProductId::new();
            insert_product(&mut tx, id, input, now).await?;
            Upserted::Created(id)
        }
    };
    bump(&mut tx).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Activates or deactivates a product. Returns whether it existed.
pub async fn set_product_active(db: &Db, id: ProductId, active: bool) -> Result<bool, DbError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query("UPDATE products SET active = $1, updated_at = $2 WHERE id = $3")
        .bind(i64::from(active))
        .bind(now_ms())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    bump(&mut tx).await?;
    tx.commit().await?;
    Ok(true)
}

/// Sets (or clears) a product's image. Returns whether the product exists.
pub async fn set_product_image(
    db: &Db,
    id: ProductId,
    image: Option<&Sha256Hex>,
) -> Result<bool, DbError> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query("UPDATE products SET image_sha256 = $1, updated_at = $2 WHERE id = $3")
        .bind(image.map(|s| s.as_str().to_owned()))
        .bind(now_ms())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    bump(&mut tx).await?;
    tx.commit().await?;
    Ok(true)
}

/// Whether some product shows this image (product images are readable by every catalog user).
pub async fn is_product_image(db: &Db, sha: &Sha256Hex) -> Result<bool, DbError> {
    Ok(
        sqlx::query("SELECT id FROM products WHERE image_sha256 = $1 LIMIT 1")
            .bind(sha.as_str())
            .fetch_optional(db.pool())
            .await?
            .is_some(),
    )
}

/// Which products [`list_products`] returns.
#[derive(Clone, Debug, Default)]
pub struct ProductFilter {
    /// Case-insensitive substring of the code or the name.
    pub q: Option<String>,
    /// Only products of these categories (a category and its descendants, see
    /// [`category_subtree`]).
    pub categories: Option<Vec<CategoryId>>,
    /// Only active (`Some(true)`) or inactive (`Some(false)`) products.
    pub active: Option<bool>,
    /// Rows skipped.
    pub offset: i64,
    /// Rows returned (1..=500).
    pub limit: i64,
}

/// A product in the list, with its category's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductRow {
    /// The product.
    pub product: Product,
    /// Its category's name.
    pub category: Option<String>,
}

/// `root` and its descendants among `all` (cycle-safe).
pub fn category_subtree(all: &[Category], root: CategoryId) -> Vec<CategoryId> {
    let parents: HashMap<_, _> = all.iter().map(|c| (c.id, c.parent_id)).collect();
    tree::subtree(&parents, &[root]).into_iter().collect()
}

/// Escapes `%`, `_` and `\` and lowercases, for `LOWER(x) LIKE … ESCAPE '\'`.
fn like_lower(s: &str) -> String {
    super::customers_query::like_pattern(&s.to_lowercase())
}

/// Products by code matching `filter`, and how many match in all.
pub async fn list_products(
    db: &Db,
    filter: &ProductFilter,
) -> Result<(Vec<ProductRow>, i64), DbError> {
    let mut conditions: Vec<String> = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        binds.push(like_lower(q));
        let n = binds.len();
        conditions.push(format!(
            "(LOWER(p.code) LIKE ${n} ESCAPE '\\' OR LOWER(p.name) LIKE ${n} ESCAPE '\\' \
              OR LOWER(p.spec) LIKE ${n} ESCAPE '\\')"
        ));
    }
    if let Some(categories) = &filter.categories {
        if categories.is_empty() {
            conditions.push("1 = 0".into());
        } else {
            let mut marks = Vec::new();
            for c in categories {
                binds.push(c.to_string());
                marks.push(format!("${}", binds.len()));
            }
            conditions.push(format!("p.category_id IN ({})", marks.join(", ")));
        }
    }
    if let Some(active) = filter.active {
        conditions.push(format!("p.active = {}", i64::from(active)));
    }
    let clause = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let count_sql = format!("SELECT COUNT(*) FROM products p {clause}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    for b in &binds {
        count = count.bind(b.clone());
    }
    let total = count.fetch_one(db.pool()).await?;
    let n = binds.len();
    let sql = format!(
        "SELECT {PRODUCT_COLUMNS}, c.name AS category_name FROM products p \
         LEFT JOIN product_categories c ON c.id = p.category_id {clause} \
         ORDER BY p.code LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut query = sqlx::query(&sql);
    for b in &binds {
        query = query.bind(b.clone());
    }
    let rows = query
        .bind(filter.limit.clamp(1, 500))
        .bind(filter.offset.max(0))
        .fetch_all(db.pool())
        .await?;
    let rows = rows
        .iter()
        .map(|row| {
            Ok(ProductRow {
                product: product_from_row(row)?,
                category: row.try_get("category_name")?,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok((rows, total))
}

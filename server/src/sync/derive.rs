//! Values the server derives for a record from data outside the document — an order's prices
//! from the catalog and the customer's price list, its number from a series — computed inside the
//! write transaction on every write path (device push, back-office create and edit), after the
//! verdict. What it changes against the writer's wishes (a discount over the role's limit, a
//! price the device got wrong) is reported like a compensation.

use fieldcrm_core::document::Kind;
use fieldcrm_core::domain::{FieldError, Order};
use fieldcrm_core::{ProductId, Role, UserId};
use serde_json::Value;
use sqlx::{AnyConnection, Row};

use super::write::WriteError;
use crate::auth::permissions::default_max_discount_bp;
use crate::db::DbError;
use crate::db::catalog;

/// The series order numbers are drawn from (`SO-2026-000123`).
pub const ORDER_SERIES: &str = "SO";

/// Draws the next number of `series` for `year` (1, 2, …): gapless, because the draw happens in
/// the serialised write transaction and rolls back with it.
pub async fn next_number(
    conn: &mut AnyConnection,
    series: &str,
    year: i32,
) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO number_series (series, year, last) VALUES ($1, $2, 1) \
         ON CONFLICT (series, year) DO UPDATE SET last = number_series.last + 1 RETURNING last",
    )
    .bind(series)
    .bind(i64::from(year))
    .fetch_one(&mut *conn)
    .await?)
}

/// The discount limit of `user`'s role: the role's own setting, else its kind's default. No user
/// (the server itself) has no limit.
pub async fn max_discount_bp(
    conn: &mut AnyConnection,
    user: Option<UserId>,
) -> Result<i64, DbError> {
    let Some(user) = user else {
        return Ok(10_000);
    };
    let row = sqlx::query(
        "SELECT u.role AS kind, r.max_discount_bp AS limit_bp FROM users u \
         LEFT JOIN roles r ON r.id = u.role_id WHERE u.id = $1",
    )
    .bind(user.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(0) };
    let kind: String = row.try_get("kind")?;
    let own: Option<i64> = row.try_get("limit_bp")?;
    let kind: Role = kind.parse().map_err(|e| DbError::corrupt("users", e))?;
    Ok(own.unwrap_or(default_max_discount_bp(kind)))
}

/// Derives the server's values of `record` (typed JSON of `kind`) written by `by`: returns what
/// was changed against the writer's wishes. `record` is left valid.
pub async fn derive(
    conn: &mut AnyConnection,
    kind: Kind,
    by: Option<UserId>,
    record: &mut Value,
) -> Result<Vec<FieldError>, WriteError> {
    match kind {
        Kind::Order => derive_order(conn, by, record).await,
        Kind::Customer | Kind::Visit | Kind::Dispatch => Ok(Vec::new()),
    }
}

async fn derive_order(
    conn: &mut AnyConnection,
    by: Option<UserId>,
    record: &mut Value,
) -> Result<Vec<FieldError>, WriteError> {
    let mut order: Order =
        serde_json::from_value(record.clone()).map_err(|e| WriteError::Invalid(e.to_string()))?;
    let wished = order.clone();
    let tier: String = match order.customer {
        Some(c) => sqlx::query_scalar("SELECT tier FROM customers WHERE id = $1")
            .bind(c.to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(DbError::from)?
            .unwrap_or_default(),
        None => String::new(),
    };
    let today = chrono::Local::now().date_naive();
    let products: Vec<ProductId> = order.lines.iter().filter_map(|l| l.product).collect();
    let book = catalog::price_book(
        &mut *conn,
        &tier,
        &today.format("%Y-%m-%d").to_string(),
        &products,
    )
    .await?;
    let limit = max_discount_bp(&mut *conn, by).await?;
    let mut adjusted = order.price(&book, limit);
    for (mine, theirs) in wished.lines.iter().zip(&order.lines) {
        if mine.unit_price != 0 && mine.unit_price != theirs.unit_price && theirs.problem.is_empty()
        {
            adjusted.push(FieldError::new(
                "lines",
                format!(
                    "{}: the price list says {} per {}, not {}",
                    theirs.product_code,
                    yuan(theirs.unit_price),
                    theirs.unit,
                    yuan(mine.unit_price)
                ),
            ));
        }
    }
    if wished.total != 0 && wished.total != order.total && adjusted.is_empty() {
        adjusted.push(FieldError::new(
            "total",
            "totals are computed by the server",
        ));
    }
    check_lots(&mut *conn, &order).await?;
    if order.number.is_none() {
        let year = chrono::Datelike::year(&today);
        let n = next_number(&mut *conn, ORDER_SERIES, year).await?;
        order.number = Some(fieldcrm_core::domain::order::order_number(year, n));
    }
    *record = serde_json::to_value(&order).map_err(|e| WriteError::Invalid(e.to_string()))?;
    Ok(adjusted)
}

/// Shipping a batch-tracked product needs its batch numbers, a serial-tracked one a serial number
/// per unit shipped. Only the office ships, through the back office, which shows the error.
async fn check_lots(conn: &mut AnyConnection, order: &Order) -> Result<(), WriteError> {
    let shipped: Vec<&fieldcrm_core::domain::OrderLine> = order
        .lines
        .iter()
        .filter(|l| l.shipped_quantity > 0.0)
        .collect();
    if shipped.is_empty() {
        return Ok(());
    }
    let products: Vec<ProductId> = shipped.iter().filter_map(|l| l.product).collect();
    let tracking = catalog::tracking(&mut *conn, &products).await?;
    for l in shipped {
        let Some(kind) = l.product.and_then(|p| tracking.get(&p)) else {
            continue;
        };
        let lots = l.lots.iter().filter(|x| !x.trim().is_empty()).count();
        match kind.as_str() {
            "batch" if lots == 0 => {
                return Err(WriteError::Invalid(format!(
                    "{}: batch numbers are required to ship it",
                    l.product_code
                )));
            }
            "serial" if (lots as f64 - l.shipped_quantity).abs() > 1e-9 => {
                return Err(WriteError::Invalid(format!(
                    "{}: one serial number per unit shipped ({} shipped, {lots} given)",
                    l.product_code, l.shipped_quantity
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

fn yuan(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, (minor % 100).abs())
}

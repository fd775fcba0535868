//! Read queries of the back office over the `orders` projection: the filtered order list (inside
//! the caller's territory scope and owner restriction, by `rep_id`), the reps who took orders,
//! and an order's projection row. Orders themselves are documents: every change goes through
//! `sync::write`; this module only reads.

use fieldcrm_core::{DocId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::customers_query::{Bind, Cond, like_pattern};
use super::territories::ScopeTerritories;
use super::visibility::Record;
use super::{Db, DbError};

/// Σ of the payments of each order that still count (not reversed), as a joinable subquery.
pub(crate) const PAID_SUBQUERY: &str = "(SELECT order_id, CAST(SUM(amount) AS BIGINT) AS paid \
     FROM payments WHERE reversed_at IS NULL GROUP BY order_id)";

/// One order, for lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRow {
    /// The order's document id.
    pub id: DocId,
    /// The server-assigned number (none until the server numbered it).
    pub number: Option<String>,
    /// The customer's document id.
    pub customer_id: String,
    /// The customer's name (empty if unknown).
    pub customer_name: String,
    /// The customer's code.
    pub customer_code: String,
    /// The rep's id.
    pub rep_id: Option<UserId>,
    /// The rep's display name (empty if unknown).
    pub rep_name: String,
    /// Workflow status (`submitted`, …).
    pub status: String,
    /// ISO currency.
    pub currency: String,
    /// Total, minor units.
    pub total: i64,
    /// Σ of the payments that count, minor units.
    pub paid: i64,
    /// Number of lines.
    pub line_count: i64,
    /// Created (unix ms).
    pub created_at: i64,
    /// When it entered its current status (unix ms).
    pub status_at: i64,
}

impl OrderRow {
    /// What is still owed ([`super::payments::receivable`]).
    pub fn receivable(&self) -> i64 {
        super::payments::receivable(&self.status, self.total, self.paid)
    }
}

/// What the order list shows.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    /// Only this status.
    pub status: Option<String>,
    /// Customer name or code contains this (case-insensitive).
    pub customer: Option<String>,
    /// Only this customer.
    pub customer_id: Option<DocId>,
    /// Only this rep.
    pub rep: Option<UserId>,
    /// Created at or after (unix ms).
    pub from: Option<i64>,
    /// Created before (unix ms).
    pub to: Option<i64>,
    /// Order number contains this (case-insensitive).
    pub number: Option<String>,
    /// Only orders of one of these reps (the data scope); `None` = any rep.
    pub owners: Option<Vec<UserId>>,
    /// Rows to skip.
    pub offset: i64,
    /// Rows per page (at most [`MAX_PAGE`]).
    pub limit: i64,
}

/// The largest page [`list`] returns.
pub const MAX_PAGE: i64 = 2_000;

pub(crate) const SELECT: &str = "SELECT o.id, o.number, o.customer_id, o.rep_id, o.status, o.currency, o.total, \
     o.line_count, o.created_at, o.status_at, c.name AS customer_name, c.code AS customer_code, \
     u.display_name AS rep_name, COALESCE(p.paid, 0) AS paid \
     FROM orders o LEFT JOIN customers c ON c.id = o.customer_id \
     LEFT JOIN users u ON u.id = o.rep_id";

pub(crate) fn paid_join() -> String {
    format!(" LEFT JOIN {PAID_SUBQUERY} p ON p.order_id = o.id")
}

pub(crate) fn row(r: &AnyRow) -> Result<OrderRow, DbError> {
    let id: String = r.try_get("id")?;
    let rep: Option<String> = r.try_get("rep_id")?;
    Ok(OrderRow {
        id: DocId::parse(&id).map_err(|e| DbError::corrupt("orders", e))?,
        number: r.try_get("number")?,
        customer_id: r.try_get("customer_id")?,
        customer_name: r
            .try_get::<Option<String>, _>("customer_name")?
            .unwrap_or_default(),
        customer_code: r
            .try_get::<Option<String>, _>("customer_code")?
            .unwrap_or_default(),
        rep_id: rep
            .map(|u| UserId::parse(&u).map_err(|e| DbError::corrupt("orders", e)))
            .transpose()?,
        rep_name: r
            .try_get::<Option<String>, _>("rep_name")?
            .unwrap_or_default(),
        status: r.try_get("status")?,
        currency: r.try_get("currency")?,
        total: r.try_get("total")?,
        paid: r.try_get("paid")?,
        line_count: r.try_get("line_count")?,
        created_at: r.try_get("created_at")?,
        status_at: r.try_get("status_at")?,
    })
}

/// Either of two columns contains `text` (case-insensitive, wildcards escaped).
pub(crate) fn text_match(c: &mut Cond, columns: [&str; 2], text: &str) {
    let pattern = like_pattern(&text.to_lowercase());
    let p1 = c.next();
    c.binds.push(Bind::Text(pattern.clone()));
    let p2 = c.next();
    c.binds.push(Bind::Text(pattern));
    c.sql.push(format!(
        "(LOWER({}) LIKE {p1} ESCAPE '\\' OR LOWER({}) LIKE {p2} ESCAPE '\\')",
        columns[0], columns[1]
    ));
}

/// The conditions of `filter` inside `scope`, on `orders o` joined to `customers c`.
fn conditions(scope: &ScopeTerritories, filter: &OrderFilter) -> Cond {
    let mut c = Cond::new();
    Record::Order.restrict(&mut c, scope, filter.owners.as_deref());
    if let Some(s) = &filter.status {
        c.push(|p| format!("o.status = {p}"), Bind::Text(s.clone()));
    }
    if let Some(id) = filter.customer_id {
        c.push(
            |p| format!("o.customer_id = {p}"),
            Bind::Text(id.to_string()),
        );
    }
    if let Some(text) = &filter.customer {
        text_match(&mut c, ["c.name", "c.code"], text);
    }
    if let Some(rep) = filter.rep {
        c.push(|p| format!("o.rep_id = {p}"), Bind::Text(rep.to_string()));
    }
    if let Some(from) = filter.from {
        c.push(|p| format!("o.created_at >= {p}"), Bind::Int(from));
    }
    if let Some(to) = filter.to {
        c.push(|p| format!("o.created_at < {p}"), Bind::Int(to));
    }
    if let Some(n) = &filter.number {
        c.push(
            |p| format!("LOWER(o.number) LIKE {p} ESCAPE '\\'"),
            Bind::Text(like_pattern(&n.to_lowercase())),
        );
    }
    c
}

/// Orders in `scope` matching `filter`, newest first, with the total count.
pub async fn list(
    db: &Db,
    scope: &ScopeTerritories,
    filter: &OrderFilter,
) -> Result<(Vec<OrderRow>, i64), DbError> {
    let mut c = conditions(scope, filter);
    let where_clause = c.where_clause();
    let total: i64 = c
        .bind(sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM orders o LEFT JOIN customers c ON c.id = o.customer_id{where_clause}"
        )))
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    let limit = c.next();
    c.binds.push(Bind::Int(filter.limit.clamp(1, MAX_PAGE)));
    let offset = c.next();
    c.binds.push(Bind::Int(filter.offset.max(0)));
    let sql = format!(
        "{SELECT}{}{where_clause} ORDER BY o.created_at DESC, o.id DESC LIMIT {limit} OFFSET {offset}",
        paid_join()
    );
    let rows = c.bind(sqlx::query(&sql)).fetch_all(db.pool()).await?;
    let rows = rows.iter().map(row).collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total))
}

/// One order's projection row with what was paid, if it exists (no scope check: the caller
/// checked the document's anchors).
pub async fn get(db: &Db, id: DocId) -> Result<Option<OrderRow>, DbError> {
    let sql = format!("{SELECT}{} WHERE o.id = $1", paid_join());
    let r = sqlx::query(&sql)
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
    r.as_ref().map(row).transpose()
}

/// The users who took orders in `scope` (for the rep filter): (id, display name).
pub async fn reps(
    db: &Db,
    scope: &ScopeTerritories,
    owners: Option<&[UserId]>,
) -> Result<Vec<(String, String)>, DbError> {
    let mut c = Cond::new();
    Record::Order.restrict(&mut c, scope, owners);
    let sql = format!(
        "SELECT DISTINCT u.id AS id, u.display_name AS name \
         FROM orders o JOIN users u ON u.id = o.rep_id{} ORDER BY u.display_name",
        c.where_clause()
    );
    let rows = c.bind(sqlx::query(&sql)).fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
        .collect()
}

/// When the order last entered `status` (unix ms), from the status log.
pub async fn entered(db: &Db, id: DocId, status: &str) -> Result<Option<i64>, DbError> {
    let at: Option<i64> =
        sqlx::query_scalar("SELECT MAX(at) FROM doc_status_log WHERE doc_id = $1 AND status = $2")
            .bind(id.to_string())
            .bind(status)
            .fetch_one(db.pool())
            .await?;
    Ok(at)
}

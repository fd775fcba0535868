//! Payments received (回款) against orders, and what is still owed: per order, per customer, and
//! the overdue list. A payment is a plain row (it never goes to a phone); recording one is
//! checked against the order's total inside a transaction that locks the order's projection row,
//! so two concurrent payments cannot together overpay. A reversed payment keeps its row and no
//! longer counts.
//!
//! Receivable of an order = total − Σ payments that count, never negative; 0 for draft orders
//! (still being written by the rep) and cancelled ones. Payments are accepted from submission on
//! (prepayments), never for drafts or cancelled orders, and never beyond the receivable.

use fieldcrm_core::{DocId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::customers_query::{Bind, Cond};
use super::local_id::local_id;
use super::orders::{PAID_SUBQUERY, text_match};
use super::territories::ScopeTerritories;
use super::visibility::Record;
use super::{Db, DbError, now_ms};

local_id!(
    /// A payment received.
    PaymentId,
    "payment"
);

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;
/// Payment terms when the order has no contract: due this many days after shipping.
pub const DEFAULT_TERMS_DAYS: i64 = 30;

/// How a payment was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentMethod {
    /// Bank transfer (the default).
    BankTransfer,
    /// Cash.
    Cash,
    /// Cheque.
    Cheque,
    /// Card.
    Card,
    /// Anything else.
    Other,
}

impl PaymentMethod {
    /// Every method, in menu order.
    pub const ALL: [PaymentMethod; 5] = [
        PaymentMethod::BankTransfer,
        PaymentMethod::Cash,
        PaymentMethod::Cheque,
        PaymentMethod::Card,
        PaymentMethod::Other,
    ];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::BankTransfer => "bank_transfer",
            PaymentMethod::Cash => "cash",
            PaymentMethod::Cheque => "cheque",
            PaymentMethod::Card => "card",
            PaymentMethod::Other => "other",
        }
    }

    /// Parses [`PaymentMethod::as_str`].
    pub fn parse(s: &str) -> Option<PaymentMethod> {
        PaymentMethod::ALL
            .into_iter()
            .find(|m| m.as_str() == s.trim())
    }
}

/// A payment to record.
#[derive(Clone, Debug)]
pub struct NewPayment {
    /// The order paid.
    pub order: DocId,
    /// Amount, minor units (> 0).
    pub amount: i64,
    /// `YYYY-MM-DD`.
    pub paid_on: String,
    /// How.
    pub method: PaymentMethod,
    /// Bank reference, cheque number, ….
    pub reference: String,
    /// Free notes.
    pub notes: String,
    /// Who records it.
    pub recorded_by: UserId,
}

/// Why a payment was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The order has no projection row.
    #[error("order not found")]
    OrderNotFound,
    /// The order is a draft or cancelled.
    #[error("an order in status {0} takes no payments")]
    NotPayable(String),
    /// The amount is more than what is owed.
    #[error("the amount exceeds the receivable of {receivable} (minor units)")]
    Overpayment {
        /// What is owed, minor units.
        receivable: i64,
    },
}

impl From<sqlx::Error> for PaymentError {
    fn from(e: sqlx::Error) -> Self {
        PaymentError::Db(e.into())
    }
}

/// A stored payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    /// Its id.
    pub id: PaymentId,
    /// The order's document id.
    pub order_id: DocId,
    /// The order's number, if numbered.
    pub order_number: Option<String>,
    /// The customer's document id.
    pub customer_id: String,
    /// The customer's name.
    pub customer_name: String,
    /// Amount, minor units.
    pub amount: i64,
    /// `YYYY-MM-DD`.
    pub paid_on: String,
    /// Stored method name ([`PaymentMethod::as_str`]).
    pub method: String,
    /// Reference.
    pub reference: String,
    /// Notes.
    pub notes: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// The recorder's display name.
    pub recorded_by_name: String,
    /// When it was recorded (unix ms).
    pub created_at: i64,
    /// When it was reversed (unix ms), if it was.
    pub reversed_at: Option<i64>,
    /// Who reversed it (display name).
    pub reversed_by_name: String,
    /// Why.
    pub reverse_reason: String,
}

const SELECT: &str = "SELECT p.id, p.order_id, o.number AS order_number, p.customer_id, \
     c.name AS customer_name, p.amount, p.paid_on, p.method, p.reference, p.notes, p.recorded_by, \
     u.display_name AS recorded_by_name, p.created_at, p.reversed_at, \
     r.display_name AS reversed_by_name, p.reverse_reason \
     FROM payments p JOIN orders o ON o.id = p.order_id \
     LEFT JOIN customers c ON c.id = p.customer_id \
     LEFT JOIN users u ON u.id = p.recorded_by LEFT JOIN users r ON r.id = p.reversed_by";

fn payment(r: &AnyRow) -> Result<Payment, DbError> {
    let id: String = r.try_get("id")?;
    let order: String = r.try_get("order_id")?;
    let opt = |name: &str| -> Result<String, DbError> {
        Ok(r.try_get::<Option<String>, _>(name)?.unwrap_or_default())
    };
    Ok(Payment {
        id: PaymentId::parse(&id).map_err(|e| DbError::corrupt("payments", e))?,
        order_id: DocId::parse(&order).map_err(|e| DbError::corrupt("payments", e))?,
        order_number: r.try_get("order_number")?,
        customer_id: r.try_get("customer_id")?,
        customer_name: opt("customer_name")?,
        amount: r.try_get("amount")?,
        paid_on: r.try_get("paid_on")?,
        method: r.try_get("method")?,
        reference: r.try_get("reference")?,
        notes: r.try_get("notes")?,
        recorded_by: r.try_get("recorded_by")?,
        recorded_by_name: opt("recorded_by_name")?,
        created_at: r.try_get("created_at")?,
        reversed_at: r.try_get("reversed_at")?,
        reversed_by_name: opt("reversed_by_name")?,
        reverse_reason: r.try_get("reverse_reason")?,
    })
}

/// What an order is owed: `(status, total, paid)` → receivable.
pub fn receivable(status: &str, total: i64, paid: i64) -> i64 {
    if matches!(status, "draft" | "cancelled") {
        0
    } else {
        (total - paid).max(0)
    }
}

/// Records a payment against an order, refusing drafts, cancelled orders and overpayment.
pub async fn record(db: &Db, new: &NewPayment) -> Result<PaymentId, PaymentError> {
    let mut tx = db.begin_write().await?;
    // A write first: it takes the order's row lock (PostgreSQL) or the database's write lock
    // (SQLite) before anything is read, so concurrent payments of one order are serialised.
    let locked = sqlx::query("UPDATE orders SET updated_at = updated_at WHERE id = $1")
        .bind(new.order.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if locked == 0 {
        tx.rollback().await?;
        return Err(PaymentError::OrderNotFound);
    }
    let row = sqlx::query("SELECT status, total, customer_id FROM orders WHERE id = $1")
        .bind(new.order.to_string())
        .fetch_one(&mut *tx)
        .await?;
    let status: String = row.try_get("status")?;
    let total: i64 = row.try_get("total")?;
    let customer: String = row.try_get("customer_id")?;
    if matches!(status.as_str(), "draft" | "cancelled") {
        tx.rollback().await?;
        return Err(PaymentError::NotPayable(status));
    }
    let paid: i64 = sqlx::query_scalar(
        "SELECT COALESCE(CAST(SUM(amount) AS BIGINT), 0) FROM payments \
         WHERE order_id = $1 AND reversed_at IS NULL",
    )
    .bind(new.order.to_string())
    .fetch_one(&mut *tx)
    .await?;
    let owed = receivable(&status, total, paid);
    if new.amount > owed {
        tx.rollback().await?;
        return Err(PaymentError::Overpayment { receivable: owed });
    }
    let id = PaymentId::new();
    sqlx::query(
        "INSERT INTO payments (id, order_id, customer_id, amount, paid_on, method, reference, notes, \
         recorded_by, created_at, reversed_at, reversed_by, reverse_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL, '')",
    )
    .bind(id.to_string())
    .bind(new.order.to_string())
    .bind(customer)
    .bind(new.amount)
    .bind(&new.paid_on)
    .bind(new.method.as_str())
    .bind(&new.reference)
    .bind(&new.notes)
    .bind(new.recorded_by.to_string())
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Reverses a payment (it stops counting); `None` if it does not exist or was already reversed.
pub async fn reverse(
    db: &Db,
    id: PaymentId,
    by: UserId,
    reason: &str,
) -> Result<Option<Payment>, DbError> {
    let n = sqlx::query(
        "UPDATE payments SET reversed_at = $1, reversed_by = $2, reverse_reason = $3 \
         WHERE id = $4 AND reversed_at IS NULL",
    )
    .bind(now_ms())
    .bind(by.to_string())
    .bind(reason)
    .bind(id.to_string())
    .execute(db.pool())
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(None);
    }
    get(db, id).await
}

/// One payment.
pub async fn get(db: &Db, id: PaymentId) -> Result<Option<Payment>, DbError> {
    let r = sqlx::query(&format!("{SELECT} WHERE p.id = $1"))
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
    r.as_ref().map(payment).transpose()
}

/// Every payment of an order (reversed ones too), oldest first.
pub async fn for_order(db: &Db, order: DocId) -> Result<Vec<Payment>, DbError> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE p.order_id = $1 ORDER BY p.paid_on, p.created_at"
    ))
    .bind(order.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(payment).collect()
}

/// What the payment list shows.
#[derive(Clone, Debug, Default)]
pub struct PaymentFilter {
    /// Paid on or after (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Paid on or before (`YYYY-MM-DD`).
    pub to: Option<String>,
    /// Customer name or code contains this.
    pub customer: Option<String>,
    /// Only this method.
    pub method: Option<PaymentMethod>,
    /// Only payments of orders of these reps (the data scope); `None` = any.
    pub owners: Option<Vec<UserId>>,
    /// Rows to skip.
    pub offset: i64,
    /// Rows per page.
    pub limit: i64,
}

/// A page of payments with the count and Σ amount (reversed payments excluded from the sum) of
/// everything matching.
#[derive(Clone, Debug, Default)]
pub struct PaymentPage {
    /// The rows, newest first.
    pub rows: Vec<Payment>,
    /// How many match.
    pub total: i64,
    /// Σ amount of the matching payments that count.
    pub sum: i64,
}

/// Payments of orders in `scope` matching `filter`.
pub async fn list(
    db: &Db,
    scope: &ScopeTerritories,
    filter: &PaymentFilter,
) -> Result<PaymentPage, DbError> {
    let mut c = Cond::new();
    Record::Payment.restrict(&mut c, scope, filter.owners.as_deref());
    if let Some(from) = &filter.from {
        c.push(|p| format!("p.paid_on >= {p}"), Bind::Text(from.clone()));
    }
    if let Some(to) = &filter.to {
        c.push(|p| format!("p.paid_on <= {p}"), Bind::Text(to.clone()));
    }
    if let Some(m) = filter.method {
        c.push(
            |p| format!("p.method = {p}"),
            Bind::Text(m.as_str().to_owned()),
        );
    }
    if let Some(text) = &filter.customer {
        text_match(&mut c, ["c.name", "c.code"], text);
    }
    let where_clause = c.where_clause();
    let agg = c
        .bind(sqlx::query(&format!(
            "SELECT COUNT(*) AS n, \
             COALESCE(CAST(SUM(CASE WHEN p.reversed_at IS NULL THEN p.amount ELSE 0 END) AS BIGINT), 0) AS s \
             FROM payments p JOIN orders o ON o.id = p.order_id \
             LEFT JOIN customers c ON c.id = p.customer_id{where_clause}"
        )))
        .fetch_one(db.pool())
        .await?;
    let limit = c.next();
    c.binds.push(Bind::Int(filter.limit.clamp(1, 2_000)));
    let offset = c.next();
    c.binds.push(Bind::Int(filter.offset.max(0)));
    let rows = c
        .bind(sqlx::query(&format!(
            "{SELECT}{where_clause} ORDER BY p.paid_on DESC, p.created_at DESC \
             LIMIT {limit} OFFSET {offset}"
        )))
        .fetch_all(db.pool())
        .await?;
    Ok(PaymentPage {
        rows: rows.iter().map(payment).collect::<Result<_, _>>()?,
        total: agg.try_get("n")?,
        sum: agg.try_get("s")?,
    })
}

/// What one customer owes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerReceivable {
    /// The customer's document id.
    pub customer_id: String,
    /// Name.
    pub name: String,
    /// Code.
    pub code: String,
    /// Orders that count (neither draft nor cancelled).
    pub orders: i64,
    /// Σ totals, minor units.
    pub total: i64,
    /// Σ paid, minor units.
    pub paid: i64,
    /// Σ receivable, minor units.
    pub receivable: i64,
}

const OPEN: &str = "o.status NOT IN ('draft', 'cancelled')";
const OWED: &str =
    "CASE WHEN o.total > COALESCE(p.paid, 0) THEN o.total - COALESCE(p.paid, 0) ELSE 0 END";

/// The customers of `scope` who owe something, largest receivable first.
pub async fn receivables_by_customer(
    db: &Db,
    scope: &ScopeTerritories,
    owners: Option<&[UserId]>,
) -> Result<Vec<CustomerReceivable>, DbError> {
    let mut c = Cond::new();
    Record::Order.restrict(&mut c, scope, owners);
    c.sql.push(OPEN.to_owned());
    let sql = format!(
        "SELECT o.customer_id, c.name AS name, c.code AS code, COUNT(*) AS orders, \
         CAST(SUM(o.total) AS BIGINT) AS total, CAST(SUM(COALESCE(p.paid, 0)) AS BIGINT) AS paid, \
         CAST(SUM({OWED}) AS BIGINT) AS receivable \
         FROM orders o LEFT JOIN customers c ON c.id = o.customer_id \
         LEFT JOIN {PAID_SUBQUERY} p ON p.order_id = o.id{} \
         GROUP BY o.customer_id, c.name, c.code HAVING SUM({OWED}) > 0 \
         ORDER BY receivable DESC, c.name ASC",
        c.where_clause()
    );
    let rows = c.bind(sqlx::query(&sql)).fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| {
            Ok(CustomerReceivable {
                customer_id: r.try_get("customer_id")?,
                name: r.try_get::<Option<String>, _>("name")?.unwrap_or_default(),
                code: r.try_get::<Option<String>, _>("code")?.unwrap_or_default(),
                orders: r.try_get("orders")?,
                total: r.try_get("total")?,
                paid: r.try_get("paid")?,
                receivable: r.try_get("receivable")?,
            })
        })
        .collect()
}

/// What one customer owes over their orders inside the scope (territory `scope`, reps among
/// `owners`, `None` = any rep: [`Record::Order`], as the order list and the receivables), minor
/// units. An order the user does not see never counts, so the customer card does not show a
/// figure that includes other reps' orders.
pub async fn customer_receivable(
    db: &Db,
    customer: DocId,
    scope: &ScopeTerritories,
    owners: Option<&[UserId]>,
) -> Result<i64, DbError> {
    let mut c = Cond::new();
    c.push(
        |p| format!("o.customer_id = {p}"),
        Bind::Text(customer.to_string()),
    );
    c.sql.push(OPEN.to_owned());
    Record::Order.restrict(&mut c, scope, owners);
    let sql = format!(
        "SELECT COALESCE(CAST(SUM({OWED}) AS BIGINT), 0) AS owed FROM orders o \
         LEFT JOIN {PAID_SUBQUERY} p ON p.order_id = o.id{}",
        c.where_clause()
    );
    let r = c.bind(sqlx::query(&sql)).fetch_one(db.pool()).await?;
    Ok(r.try_get("owed")?)
}

/// A shipped order whose payment is overdue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverdueRow {
    /// The order's document id.
    pub order_id: DocId,
    /// Its number.
    pub number: Option<String>,
    /// Status (`shipped` or `completed`).
    pub status: String,
    /// The customer's document id.
    pub customer_id: String,
    /// Customer name.
    pub customer_name: String,
    /// Customer code.
    pub customer_code: String,
    /// Total, minor units.
    pub total: i64,
    /// Paid, minor units.
    pub paid: i64,
    /// When it entered `shipped` (unix ms).
    pub shipped_at: i64,
    /// Payment terms, days (the contract's, else [`DEFAULT_TERMS_DAYS`]).
    pub terms_days: i64,
    /// The contract whose terms apply, if any.
    pub contract_number: Option<String>,
    /// `shipped_at` + terms (unix ms).
    pub due_at: i64,
    /// Whole days past the due time.
    pub days_overdue: i64,
}

impl OverdueRow {
    /// What is still owed.
    pub fn receivable(&self) -> i64 {
        (self.total - self.paid).max(0)
    }
}

/// Shipped or completed orders of `scope` with something owed whose due time (entering
/// `shipped` + payment terms) is before `now` (unix ms), most overdue first.
pub async fn overdue(
    db: &Db,
    scope: &ScopeTerritories,
    owners: Option<&[UserId]>,
    now: i64,
) -> Result<Vec<OverdueRow>, DbError> {
    let mut c = Cond::new();
    Record::Order.restrict(&mut c, scope, owners);
    c.sql
        .push("o.status IN ('shipped', 'completed')".to_owned());
    let where_clause = c.where_clause();
    let default_terms = c.next();
    c.binds.push(Bind::Int(DEFAULT_TERMS_DAYS));
    let now_p = c.next();
    c.binds.push(Bind::Int(now));
    let sql = format!(
        "SELECT * FROM (\
           SELECT o.id, o.number, o.status, o.customer_id, c.name AS customer_name, \
             c.code AS customer_code, o.total, COALESCE(p.paid, 0) AS paid, \
             (SELECT MAX(l.at) FROM doc_status_log l WHERE l.doc_id = o.id AND l.status = 'shipped') \
               AS shipped_at, \
             COALESCE(k.payment_terms_days, {default_terms}) AS terms_days, k.number AS contract_number \
           FROM orders o LEFT JOIN customers c ON c.id = o.customer_id \
           LEFT JOIN {PAID_SUBQUERY} p ON p.order_id = o.id \
           LEFT JOIN contract_orders co ON co.order_id = o.id \
           LEFT JOIN contracts k ON k.id = co.contract_id{where_clause}\
         ) x \
         WHERE x.shipped_at IS NOT NULL AND x.total > x.paid \
           AND x.shipped_at + x.terms_days * {DAY_MS} < {now_p} \
         ORDER BY x.shipped_at + x.terms_days * {DAY_MS} ASC, x.id ASC"
    );
    let rows = c.bind(sqlx::query(&sql)).fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            let shipped_at: i64 = r.try_get("shipped_at")?;
            let terms_days: i64 = r.try_get("terms_days")?;
            let due_at = shipped_at + terms_days * DAY_MS;
            Ok(OverdueRow {
                order_id: DocId::parse(&id).map_err(|e| DbError::corrupt("orders", e))?,
                number: r.try_get("number")?,
                status: r.try_get("status")?,
                customer_id: r.try_get("customer_id")?,
                customer_name: r
                    .try_get::<Option<String>, _>("customer_name")?
                    .unwrap_or_default(),
                customer_code: r
                    .try_get::<Option<String>, _>("customer_code")?
                    .unwrap_or_default(),
                total: r.try_get("total")?,
                paid: r.try_get("paid")?,
                shipped_at,
                terms_days,
                contract_number: r.try_get("contract_number")?,
                due_at,
                days_overdue: (now - due_at) / DAY_MS,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_round_trip_and_receivables_clamp() {
        for m in PaymentMethod::ALL {
            assert_eq!(PaymentMethod::parse(m.as_str()), Some(m));
        }
        assert_eq!(PaymentMethod::parse("bitcoin"), None);
        assert_eq!(receivable("confirmed", 100, 30), 70);
        assert_eq!(receivable("shipped", 100, 130), 0);
        assert_eq!(receivable("cancelled", 100, 0), 0);
        assert_eq!(receivable("draft", 100, 0), 0);
    }
}

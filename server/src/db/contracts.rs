//! Contracts with customers: the contract rows, the orders placed under each (an order belongs to
//! at most one contract, whose payment terms then set the order's due date) and the files
//! attached to each (stored in the attachment store; here only the reference and file name).
//! Lists stay inside the caller's territory scope and owner restriction, through the contract's
//! customer (`customers.territory_id`, `customers.owner_id`).

use fieldcrm_core::{DocId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::customers_query::{Bind, Cond};
use super::local_id::local_id;
use super::orders::{self, OrderRow, text_match};
use super::territories::ScopeTerritories;
use super::visibility::Record;
use super::{Db, DbError, now_ms};

local_id!(
    /// A contract.
    ContractId,
    "contract"
);

/// What kind of contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContractType {
    /// Sales of goods.
    Sales,
    /// Service (maintenance, support).
    Service,
    /// A framework agreement orders are placed under.
    Framework,
    /// Anything else.
    Other,
}

impl ContractType {
    /// Every type, in menu order.
    pub const ALL: [ContractType; 4] = [
        ContractType::Sales,
        ContractType::Service,
        ContractType::Framework,
        ContractType::Other,
    ];
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ContractType::Sales => "sales",
            ContractType::Service => "service",
            ContractType::Framework => "framework",
            ContractType::Other => "other",
        }
    }
    /// Parses [`ContractType::as_str`].
    pub fn parse(s: &str) -> Option<ContractType> {
        ContractType::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
    }
}

/// Where a contract is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContractStatus {
    /// Being negotiated.
    Draft,
    /// In force.
    Active,
    /// Ran out.
    Expired,
    /// Ended early.
    Terminated,
}

impl ContractStatus {
    /// Every status, in menu order.
    pub const ALL: [ContractStatus; 4] = [
        ContractStatus::Draft,
        ContractStatus::Active,
        ContractStatus::Expired,
        ContractStatus::Terminated,
    ];
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ContractStatus::Draft => "draft",
            ContractStatus::Active => "active",
            ContractStatus::Expired => "expired",
            ContractStatus::Terminated => "terminated",
        }
    }
    /// Parses [`ContractStatus::as_str`].
    pub fn parse(s: &str) -> Option<ContractStatus> {
        ContractStatus::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
    }
}

/// The fields of a contract a form edits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractInput {
    /// Unique number.
    pub number: String,
    /// The customer's document id.
    pub customer: DocId,
    /// Type.
    pub contract_type: ContractType,
    /// Title.
    pub title: String,
    /// Signed on (`YYYY-MM-DD`).
    pub signed_on: Option<String>,
    /// Starts on.
    pub start_on: Option<String>,
    /// Ends on.
    pub end_on: Option<String>,
    /// Contract amount, minor units.
    pub amount: i64,
    /// Days after shipping an order's payment is due.
    pub payment_terms_days: i64,
    /// Terms text.
    pub terms: String,
    /// Status.
    pub status: ContractStatus,
}

/// A stored contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contract {
    /// Its id.
    pub id: ContractId,
    /// The editable fields.
    pub input: ContractInput,
    /// The customer's name.
    pub customer_name: String,
    /// The customer's code.
    pub customer_code: String,
    /// Who created it.
    pub created_by: Option<UserId>,
    /// Created (unix ms).
    pub created_at: i64,
    /// Last changed (unix ms).
    pub updated_at: i64,
}

const SELECT: &str = "SELECT k.id, k.number, k.customer_id, k.contract_type, k.title, k.signed_on, \
     k.start_on, k.end_on, k.amount, k.payment_terms_days, k.terms, k.status, k.created_by, \
     k.created_at, k.updated_at, c.name AS customer_name, c.code AS customer_code \
     FROM contracts k LEFT JOIN customers c ON c.id = k.customer_id";

fn contract(r: &AnyRow) -> Result<Contract, DbError> {
    let corrupt = |e: String| DbError::corrupt("contracts", e);
    let id: String = r.try_get("id")?;
    let customer: String = r.try_get("customer_id")?;
    let ctype: String = r.try_get("contract_type")?;
    let status: String = r.try_get("status")?;
    let by: Option<String> = r.try_get("created_by")?;
    Ok(Contract {
        id: ContractId::parse(&id).map_err(|e| corrupt(e.to_string()))?,
        input: ContractInput {
            number: r.try_get("number")?,
            customer: DocId::parse(&customer).map_err(|e| corrupt(e.to_string()))?,
            contract_type: ContractType::parse(&ctype).ok_or_else(|| corrupt(ctype.clone()))?,
            title: r.try_get("title")?,
            signed_on: r.try_get("signed_on")?,
            start_on: r.try_get("start_on")?,
            end_on: r.try_get("end_on")?,
            amount: r.try_get("amount")?,
            payment_terms_days: r.try_get("payment_terms_days")?,
            terms: r.try_get("terms")?,
            status: ContractStatus::parse(&status).ok_or_else(|| corrupt(status.clone()))?,
        },
        customer_name: r
            .try_get::<Option<String>, _>("customer_name")?
            .unwrap_or_default(),
        customer_code: r
            .try_get::<Option<String>, _>("customer_code")?
            .unwrap_or_default(),
        created_by: by
            .map(|u| UserId::parse(&u).map_err(|e| corrupt(e.to_string())))
            .transpose()?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Creates a contract; [`DbError::Duplicate`] if the number is taken.
pub async fn create(db: &Db, input: &ContractInput, by: UserId) -> Result<ContractId, DbError> {
    let id = ContractId::new();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO contracts (id, number, customer_id, contract_type, title, signed_on, start_on, \
         end_on, amount, payment_terms_days, terms, status, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)",
    )
    .bind(id.to_string())
    .bind(&input.number)
    .bind(input.customer.to_string())
    .bind(input.contract_type.as_str())
    .bind(&input.title)
    .bind(input.signed_on.clone())
    .bind(input.start_on.clone())
    .bind(input.end_on.clone())
    .bind(input.amount)
    .bind(input.payment_terms_days)
    .bind(&input.terms)
    .bind(input.status.as_str())
    .bind(by.to_string())
    .bind(now)
    .execute(db.pool())
    .await
    .map_err(|e| DbError::unique(e, format!("contract {}", input.number)))?;
    Ok(id)
}

/// Rewrites a contract's fields; `false` if it does not exist; [`DbError::Duplicate`] if the
/// number is taken by another.
pub async fn update(db: &Db, id: ContractId, input: &ContractInput) -> Result<bool, DbError> {
    let n = sqlx::query(
        "UPDATE contracts SET number = $1, customer_id = $2, contract_type = $3, title = $4, \
         signed_on = $5, start_on = $6, end_on = $7, amount = $8, payment_terms_days = $9, \
         terms = $10, status = $11, updated_at = $12 WHERE id = $13",
    )
    .bind(&input.number)
    .bind(input.customer.to_string())
    .bind(input.contract_type.as_str())
    .bind(&input.title)
    .bind(input.signed_on.clone())
    .bind(input.start_on.clone())
    .bind(input.end_on.clone())
    .bind(input.amount)
    .bind(input.payment_terms_days)
    .bind(&input.terms)
    .bind(input.status.as_str())
    .bind(now_ms())
    .bind(id.to_string())
    .execute(db.pool())
    .await
    .map_err(|e| DbError::unique(e, format!("contract {}", input.number)))?
    .rows_affected();
    Ok(n > 0)
}

/// One contract.
pub async fn get(db: &Db, id: ContractId) -> Result<Option<Contract>, DbError> {
    let r = sqlx::query(&format!("{SELECT} WHERE k.id = $1"))
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
    r.as_ref().map(contract).transpose()
}

/// Which date a contract query's range applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DateField {
    /// Signed on (the default).
    #[default]
    Signed,
    /// Starts on.
    Start,
    /// Ends on.
    End,
}

impl DateField {
    /// The query-string name.
    pub const fn as_str(self) -> &'static str {
        match self {
            DateField::Signed => "signed",
            DateField::Start => "start",
            DateField::End => "end",
        }
    }
    /// Parses [`DateField::as_str`].
    pub fn parse(s: &str) -> Option<DateField> {
        [DateField::Signed, DateField::Start, DateField::End]
            .into_iter()
            .find(|d| d.as_str() == s.trim())
    }
    fn column(self) -> &'static str {
        match self {
            DateField::Signed => "k.signed_on",
            DateField::Start => "k.start_on",
            DateField::End => "k.end_on",
        }
    }
}

/// What the contract list shows.
#[derive(Clone, Debug, Default)]
pub struct ContractFilter {
    /// Number or title contains this.
    pub q: Option<String>,
    /// Customer name or code contains this.
    pub customer: Option<String>,
    /// Only this customer.
    pub customer_id: Option<DocId>,
    /// Only this type.
    pub contract_type: Option<ContractType>,
    /// Only this status.
    pub status: Option<ContractStatus>,
    /// The date the range applies to.
    pub date_field: DateField,
    /// On or after (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// On or before (`YYYY-MM-DD`).
    pub to: Option<String>,
    /// Only contracts of customers these users own (the data scope); `None` = any.
    pub owners: Option<Vec<UserId>>,
    /// Rows to skip.
    pub offset: i64,
    /// Rows per page.
    pub limit: i64,
}

/// Contracts of customers in `scope` matching `filter`, newest signature first, with the count.
pub async fn list(
    db: &Db,
    scope: &ScopeTerritories,
    filter: &ContractFilter,
) -> Result<(Vec<Contract>, i64), DbError> {
    let mut c = Cond::new();
    Record::Contract.restrict(&mut c, scope, filter.owners.as_deref());
    if let Some(q) = &filter.q {
        text_match(&mut c, ["k.number", "k.title"], q);
    }
    if let Some(text) = &filter.customer {
        text_match(&mut c, ["c.name", "c.code"], text);
    }
    if let Some(id) = filter.customer_id {
        c.push(
            |p| format!("k.customer_id = {p}"),
            Bind::Text(id.to_string()),
        );
    }
    if let Some(t) = filter.contract_type {
        c.push(
            |p| format!("k.contract_type = {p}"),
            Bind::Text(t.as_str().to_owned()),
        );
    }
    if let Some(s) = filter.status {
        c.push(
            |p| format!("k.status = {p}"),
            Bind::Text(s.as_str().to_owned()),
        );
    }
    let column = filter.date_field.column();
    if let Some(from) = &filter.from {
        c.push(|p| format!("{column} >= {p}"), Bind::Text(from.clone()));
    }
    if let Some(to) = &filter.to {
        c.push(|p| format!("{column} <= {p}"), Bind::Text(to.clone()));
    }
    let where_clause = c.where_clause();
    let total: i64 = c
        .bind(sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM contracts k LEFT JOIN customers c ON c.id = k.customer_id{where_clause}"
        )))
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    let limit = c.next();
    c.binds.push(Bind::Int(filter.limit.clamp(1, 2_000)));
    let offset = c.next();
    c.binds.push(Bind::Int(filter.offset.max(0)));
    let rows = c
        .bind(sqlx::query(&format!(
            "{SELECT}{where_clause} ORDER BY COALESCE(k.signed_on, '') DESC, k.created_at DESC \
             LIMIT {limit} OFFSET {offset}"
        )))
        .fetch_all(db.pool())
        .await?;
    Ok((rows.iter().map(contract).collect::<Result<_, _>>()?, total))
}

/// Active contracts of customers in `scope` ending between `from` and `until` (inclusive,
/// `YYYY-MM-DD`), soonest first: the renewals due.
pub async fn renewals_due(
    db: &Db,
    scope: &ScopeTerritories,
    owners: Option<&[UserId]>,
    from: &str,
    until: &str,
) -> Result<Vec<Contract>, DbError> {
    let mut c = Cond::new();
    Record::Contract.restrict(&mut c, scope, owners);
    c.sql.push("k.status = 'active'".to_owned());
    c.push(|p| format!("k.end_on >= {p}"), Bind::Text(from.to_owned()));
    c.push(|p| format!("k.end_on <= {p}"), Bind::Text(until.to_owned()));
    let rows = c
        .bind(sqlx::query(&format!(
            "{SELECT}{} ORDER BY k.end_on ASC, k.number ASC LIMIT 1000",
            c.where_clause()
        )))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(contract).collect()
}

/// The customers of `scope` (and of `owners`, the data scope) whose code is `code` (a contract
/// or order form names its customer by code).
pub async fn customers_with_code(
    db: &Db,
    scope: &ScopeTerritories,
    owners: Option<&[UserId]>,
    code: &str,
) -> Result<Vec<DocId>, DbError> {
    let mut c = Cond::new();
    Record::Customer.restrict(&mut c, scope, owners);
    c.push(|p| format!("c.code = {p}"), Bind::Text(code.to_owned()));
    let rows = c
        .bind(sqlx::query(&format!(
            "SELECT c.id FROM customers c{} ORDER BY c.id LIMIT 10",
            c.where_clause()
        )))
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            DocId::parse(&id).map_err(|e| DbError::corrupt("customers", e))
        })
        .collect()
}

/// Why an order could not be linked.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The order is not one of the contract's customer's.
    #[error("the order is not an order of the contract's customer")]
    OtherCustomer,
    /// The order is already under a contract.
    #[error("the order is already linked to contract {0}")]
    AlreadyLinked(String),
}

/// Links an order to a contract: the order must exist, be of the contract's customer and not be
/// under any contract yet.
pub async fn link_order(
    db: &Db,
    contract: ContractId,
    order: DocId,
    by: UserId,
) -> Result<(), LinkError> {
    if let Some((_, number, _)) = contract_of_order(db, order).await? {
        return Err(LinkError::AlreadyLinked(number));
    }
    let n = sqlx::query(
        "INSERT INTO contract_orders (contract_id, order_id, linked_by, created_at) \
         SELECT k.id, o.id, $3, $4 FROM contracts k JOIN orders o ON o.customer_id = k.customer_id \
         WHERE k.id = $1 AND o.id = $2",
    )
    .bind(contract.to_string())
    .bind(order.to_string())
    .bind(by.to_string())
    .bind(now_ms())
    .execute(db.pool())
    .await
    .map_err(|e| DbError::unique(e, format!("link of order {order}")))?
    .rows_affected();
    if n == 0 {
        return Err(LinkError::OtherCustomer);
    }
    Ok(())
}

/// Unlinks an order; `false` if it was not linked to this contract.
pub async fn unlink_order(db: &Db, contract: ContractId, order: DocId) -> Result<bool, DbError> {
    let n = sqlx::query("DELETE FROM contract_orders WHERE contract_id = $1 AND order_id = $2")
        .bind(contract.to_string())
        .bind(order.to_string())
        .execute(db.pool())
        .await?
        .rows_affected();
    Ok(n > 0)
}

/// The contract an order is under: (id, number, payment terms days).
pub async fn contract_of_order(
    db: &Db,
    order: DocId,
) -> Result<Option<(ContractId, String, i64)>, DbError> {
    let r = sqlx::query(
        "SELECT k.id, k.number, k.payment_terms_days FROM contract_orders co \
         JOIN contracts k ON k.id = co.contract_id WHERE co.order_id = $1",
    )
    .bind(order.to_string())
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = r else { return Ok(None) };
    let id: String = r.try_get("id")?;
    Ok(Some((
        ContractId::parse(&id).map_err(|e| DbError::corrupt("contracts", e))?,
        r.try_get("number")?,
        r.try_get("payment_terms_days")?,
    )))
}

/// The orders linked to a contract, newest first.
pub async fn linked_orders(db: &Db, contract: ContractId) -> Result<Vec<OrderRow>, DbError> {
    let rows = sqlx::query(&format!(
        "{}{} JOIN contract_orders co ON co.order_id = o.id WHERE co.contract_id = $1 \
         ORDER BY o.created_at DESC, o.id DESC",
        orders::SELECT,
        orders::paid_join()
    ))
    .bind(contract.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(orders::row).collect()
}

/// Orders of `customer` under no contract (and not cancelled), newest first: what may be linked.
pub async fn linkable_orders(db: &Db, customer: DocId) -> Result<Vec<OrderRow>, DbError> {
    let rows = sqlx::query(&format!(
        "{}{} WHERE o.customer_id = $1 AND o.status <> 'cancelled' \
         AND NOT EXISTS (SELECT 1 FROM contract_orders co WHERE co.order_id = o.id) \
         ORDER BY o.created_at DESC, o.id DESC LIMIT 500",
        orders::SELECT,
        orders::paid_join()
    ))
    .bind(customer.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(orders::row).collect()
}

/// A file of a contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractFile {
    /// Its SHA-256 (the attachment store's address).
    pub sha256: String,
    /// The name it was uploaded under.
    pub file_name: String,
    /// MIME type, as checked at upload.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// Uploader's display name.
    pub uploaded_by: String,
    /// When (unix ms).
    pub created_at: i64,
}

const FILE_SELECT: &str = "SELECT f.sha256, f.file_name, a.content_type, a.size, \
     u.display_name AS uploaded_by, f.created_at FROM contract_attachments f \
     JOIN attachments a ON a.sha256 = f.sha256 LEFT JOIN users u ON u.id = f.uploaded_by";

fn file(r: &AnyRow) -> Result<ContractFile, DbError> {
    Ok(ContractFile {
        sha256: r.try_get("sha256")?,
        file_name: r.try_get("file_name")?,
        content_type: r.try_get("content_type")?,
        size: r.try_get("size")?,
        uploaded_by: r
            .try_get::<Option<String>, _>("uploaded_by")?
            .unwrap_or_default(),
        created_at: r.try_get("created_at")?,
    })
}

/// Attaches a stored file to a contract (again: the name is updated).
pub async fn add_file(
    db: &Db,
    contract: ContractId,
    sha256: &str,
    file_name: &str,
    by: UserId,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO contract_attachments (contract_id, sha256, file_name, uploaded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (contract_id, sha256) DO UPDATE SET file_name = $3",
    )
    .bind(contract.to_string())
    .bind(sha256)
    .bind(file_name)
    .bind(by.to_string())
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The files of a contract, oldest first.
pub async fn files(db: &Db, contract: ContractId) -> Result<Vec<ContractFile>, DbError> {
    let rows = sqlx::query(&format!(
        "{FILE_SELECT} WHERE f.contract_id = $1 ORDER BY f.created_at, f.sha256"
    ))
    .bind(contract.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(file).collect()
}

/// One file of a contract.
pub async fn file_of(
    db: &Db,
    contract: ContractId,
    sha256: &str,
) -> Result<Option<ContractFile>, DbError> {
    let r = sqlx::query(&format!(
        "{FILE_SELECT} WHERE f.contract_id = $1 AND f.sha256 = $2"
    ))
    .bind(contract.to_string())
    .bind(sha256)
    .fetch_optional(db.pool())
    .await?;
    r.as_ref().map(file).transpose()
}

/// Detaches a file from a contract (the stored file stays: it is content-addressed and may be
/// shared); `false` if it was not attached.
pub async fn remove_file(db: &Db, contract: ContractId, sha256: &str) -> Result<bool, DbError> {
    let n = sqlx::query("DELETE FROM contract_attachments WHERE contract_id = $1 AND sha256 = $2")
        .bind(contract.to_string())
        .bind(sha256)
        .execute(db.pool())
        .await?
        .rows_affected();
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in ContractType::ALL {
            assert_eq!(ContractType::parse(t.as_str()), Some(t));
        }
        for s in ContractStatus::ALL {
            assert_eq!(ContractStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(DateField::parse("end"), Some(DateField::End));
        assert_eq!(ContractType::parse("x"), None);
    }
}

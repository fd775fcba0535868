//! Bulk loading for the list benchmark (`fieldcrm bench list`): customers written straight into
//! the `customers` projection with multi-row INSERTs, plus the minimal `documents` rows its
//! foreign key needs (empty snapshot: these customers are for list queries, not for sync).

use super::{Db, DbError};
use fieldcrm_core::{DocId, TerritoryId, UserId};
use sqlx::Row;

/// One generated customer, as the projection stores it.
#[derive(Clone, Debug)]
pub struct BulkCustomer {
    /// Id.
    pub id: DocId,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Tier.
    pub tier: String,
    /// Industry.
    pub industry: String,
    /// Source.
    pub source: String,
    /// First phone.
    pub phone: String,
    /// E-mail.
    pub email: String,
    /// Province.
    pub province: String,
    /// City.
    pub city: String,
    /// District.
    pub district: String,
    /// Territory.
    pub territory: TerritoryId,
    /// Owner.
    pub owner: Option<UserId>,
    /// Contact names, comma-separated.
    pub contact_names: String,
    /// Tags, comma-separated.
    pub tags: String,
    /// The lowercased search text (as `documents::customer_search_text` builds it).
    pub search: String,
    /// Created, unix ms.
    pub created_at: i64,
    /// Updated, unix ms.
    pub updated_at: i64,
}

/// Rows per INSERT statement (customers bind 19 values a row: 9,500 per statement, under
/// SQLite's 32,766 and PostgreSQL's 65,535).
pub const ROWS_PER_STATEMENT: usize = 500;

/// Inserts `rows` in one transaction, [`ROWS_PER_STATEMENT`] per statement.
pub async fn insert_customers(db: &Db, rows: &[BulkCustomer]) -> Result<(), DbError> {
    let mut tx = db.begin_write().await?;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO documents (id, kind, territory_id, seq, snapshot, snapshot_seq, heads, \
             created_at, updated_at) VALUES ",
        );
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, 'customer', ${}, 0, ${}, 0, ${}, ${}, ${})",
                n + 1,
                n + 2,
                n + 3,
                n + 4,
                n + 5,
                n + 6
            ));
            n += 6;
        }
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.id.to_string())
                .bind(r.territory.to_string())
                .bind(Vec::<u8>::new())
                .bind(Vec::<u8>::new())
                .bind(r.created_at)
                .bind(r.updated_at);
        }
        q.execute(&mut *tx).await?;

        let mut sql = String::from(
            "INSERT INTO customers (id, code, name, kind, tier, industry, source, phone, email, \
             province, city, district, lat, lon, territory_id, owner_id, contact_names, tags, \
             search, created_at, updated_at, search_bigrams) VALUES ",
        );
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            let p: Vec<String> = (1..=19).map(|k| format!("${}", n + k)).collect();
            sql.push_str(&format!(
                "({}, {}, {}, 'company', {}, {}, {}, {}, {}, {}, {}, {}, NULL, NULL, {}, {}, {}, \
                 {}, {}, {}, {}, {})",
                p[0],
                p[1],
                p[2],
                p[3],
                p[4],
                p[5],
                p[6],
                p[7],
                p[8],
                p[9],
                p[10],
                p[11],
                p[12],
                p[13],
                p[14],
                p[15],
                p[16],
                p[17],
                p[18]
            ));
            n += 19;
        }
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.id.to_string())
                .bind(&r.code)
                .bind(&r.name)
                .bind(&r.tier)
                .bind(&r.industry)
                .bind(&r.source)
                .bind(&r.phone)
                .bind(&r.email)
                .bind(&r.province)
                .bind(&r.city)
                .bind(&r.district)
                .bind(r.territory.to_string())
                .bind(r.owner.map(|o| o.to_string()))
                .bind(&r.contact_names)
                .bind(&r.tags)
                .bind(&r.search)
                .bind(r.created_at)
                .bind(r.updated_at)
                .bind(super::customer_list::search_bigrams(&r.search));
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Refreshes the planner's statistics after a bulk load (`ANALYZE`).
pub async fn analyze(db: &Db) -> Result<(), DbError> {
    sqlx::query("ANALYZE").execute(db.pool()).await?;
    Ok(())
}

/// The first `n` customers by id, as loaded (to aim the benchmark's queries at).
pub async fn sample_customers(db: &Db, n: i64) -> Result<Vec<BulkCustomer>, DbError> {
    let rows = sqlx::query(
        "SELECT id, code, name, tier, industry, source, phone, email, province, city, district, \
         territory_id, owner_id, contact_names, tags, search, created_at, updated_at \
         FROM customers WHERE territory_id IS NOT NULL ORDER BY id LIMIT $1",
    )
    .bind(n)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            let territory: String = r.try_get("territory_id")?;
            let owner: Option<String> = r.try_get("owner_id")?;
            Ok(BulkCustomer {
                id: DocId::parse(&id).map_err(|e| DbError::corrupt("customers", e))?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                tier: r.try_get("tier")?,
                industry: r.try_get("industry")?,
                source: r.try_get("source")?,
                phone: r.try_get("phone")?,
                email: r.try_get("email")?,
                province: r.try_get("province")?,
                city: r.try_get("city")?,
                district: r.try_get("district")?,
                territory: TerritoryId::parse(&territory)
                    .map_err(|e| DbError::corrupt("customers", e))?,
                owner: owner.and_then(|o| UserId::parse(&o).ok()),
                contact_names: r.try_get("contact_names")?,
                tags: r.try_get("tags")?,
                search: r.try_get("search")?,
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect()
}

/// How many customers the projection holds.
pub async fn customer_count(db: &Db) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM customers")
        .fetch_one(db.pool())
        .await?)
}

//! Read queries of the web back office over the projection tables (`customers`, `visits`):
//! a customer's visits, the dashboard figures, and the SQL condition builder they share with the
//! customer list ([`super::customer_list`], re-exported here). Every query takes the caller's
//! [`ScopeTerritories`] and stays inside it, and the owner restriction of the caller's data scope
//! (`Option<&[UserId]>`, `None` = any owner; see [`super::departments::owner_restriction`]):
//! customers by `owner_id`, visits by `rep_id`.

use fieldcrm_core::{DocId, UserId};
use sqlx::Row;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

use super::territories::ScopeTerritories;
use super::visibility::Record;
use super::{Db, DbError};

pub use super::customer_list::{
    CustomerFilter, CustomerPage, CustomerRow, CustomerSort, SortKey, list, tiers,
};

/// A SQL condition with its bind values, numbered from a given placeholder on.
pub(crate) struct Cond {
    pub(crate) sql: Vec<String>,
    pub(crate) binds: Vec<Bind>,
}

/// A bind value of a [`Cond`].
#[derive(Clone, Debug)]
pub(crate) enum Bind {
    Text(String),
    Int(i64),
}

impl Cond {
    pub(crate) fn new() -> Self {
        Cond {
            sql: Vec::new(),
            binds: Vec::new(),
        }
    }

    /// The next placeholder (`$N`).
    pub(crate) fn next(&self) -> String {
        format!("${}", self.binds.len() + 1)
    }

    pub(crate) fn push(&mut self, sql: impl FnOnce(&str) -> String, bind: Bind) {
        let p = self.next();
        self.sql.push(sql(&p));
        self.binds.push(bind);
    }

    /// `column` inside `scope`.
    pub(crate) fn scope(&mut self, column: &str, scope: &ScopeTerritories) {
        match scope {
            ScopeTerritories::All => {}
            ScopeTerritories::None => self.sql.push("1 = 0".to_owned()),
            ScopeTerritories::Some(ids) if ids.is_empty() => self.sql.push("1 = 0".to_owned()),
            ScopeTerritories::Some(ids) => {
                let mut ps = Vec::with_capacity(ids.len());
                for id in ids {
                    ps.push(self.next());
                    self.binds.push(Bind::Text(id.to_string()));
                }
                self.sql.push(format!("{column} IN ({})", ps.join(", ")));
            }
        }
    }

    /// `column` is one of `owners` (nothing if `None`; no row if the list is empty).
    pub(crate) fn owners(&mut self, column: &str, owners: Option<&[UserId]>) {
        match owners {
            None => {}
            Some([]) => self.sql.push("1 = 0".to_owned()),
            Some(ids) => {
                let mut ps = Vec::with_capacity(ids.len());
                for id in ids {
                    ps.push(self.next());
                    self.binds.push(Bind::Text(id.to_string()));
                }
                self.sql.push(format!("{column} IN ({})", ps.join(", ")));
            }
        }
    }

    pub(crate) fn where_clause(&self) -> String {
        if self.sql.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.sql.join(" AND "))
        }
    }

    pub(crate) fn bind<'q>(
        &self,
        mut q: Query<'q, sqlx::Any, AnyArguments<'q>>,
    ) -> Query<'q, sqlx::Any, AnyArguments<'q>> {
        for b in &self.binds {
            q = match b.clone() {
                Bind::Text(s) => q.bind(s),
                Bind::Int(i) => q.bind(i),
            };
        }
        q
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub(crate) fn like_pattern(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// Who created a document (`documents.created_by`, if recorded) and when (unix ms).
pub async fn creation(db: &Db, id: DocId) -> Result<Option<(Option<UserId>, i64)>, DbError> {
    let row = sqlx::query("SELECT created_by, created_at FROM documents WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let by: Option<String> = row.try_get("created_by")?;
    let by = by
        .map(|s| UserId::parse(&s).map_err(|e| DbError::corrupt("documents", e)))
        .transpose()?;
    Ok(Some((by, row.try_get("created_at")?)))
}

/// One visit, for lists.
#[derive(Clone, Debug, PartialEq)]
pub struct VisitRow {
    /// The visit's document id.
    pub id: String,
    /// The customer's document id.
    pub customer_id: String,
    /// The customer's name (empty if unknown).
    pub customer_name: String,
    /// The rep's display name (empty if unknown).
    pub rep: String,
    /// Check-in time, unix ms.
    pub check_in_at: Option<i64>,
    /// Check-out time, unix ms.
    pub check_out_at: Option<i64>,
    /// Purpose.
    pub purpose: String,
    /// Outcome.
    pub outcome: String,
}

/// What the visit list shows.
#[derive(Clone, Debug, Default)]
pub struct VisitFilter {
    /// Only this customer.
    pub customer: Option<DocId>,
    /// Only this rep.
    pub rep: Option<UserId>,
    /// Checked in at or after (unix ms).
    pub from: Option<i64>,
    /// Checked in before (unix ms).
    pub to: Option<i64>,
    /// Only visits of one of these reps (the data scope); `None` = any rep.
    pub owners: Option<Vec<UserId>>,
    /// Rows to skip.
    pub offset: i64,
    /// Rows per page.
    pub limit: i64,
}

/// Visits in `scope` matching `filter`, newest first, with the total count.
pub async fn visits(
    db: &Db,
    scope: &ScopeTerritories,
    filter: &VisitFilter,
) -> Result<(Vec<VisitRow>, i64), DbError> {
    let mut c = Cond::new();
    Record::Visit.restrict(&mut c, scope, filter.owners.as_deref());
    if let Some(id) = filter.customer {
        c.push(
            |p| format!("v.customer_id = {p}"),
            Bind::Text(id.to_string()),
        );
    }
    if let Some(rep) = filter.rep {
        c.push(|p| format!("v.rep_id = {p}"), Bind::Text(rep.to_string()));
    }
    if let Some(from) = filter.from {
        c.push(|p| format!("v.check_in_at >= {p}"), Bind::Int(from));
    }
    if let Some(to) = filter.to {
        c.push(|p| format!("v.check_in_at < {p}"), Bind::Int(to));
    }
    let where_clause = c.where_clause();
    let total: i64 = c
        .bind(sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM visits v{where_clause}"
        )))
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    let limit = c.next();
    c.binds.push(Bind::Int(filter.limit.clamp(1, 200)));
    let offset = c.next();
    c.binds.push(Bind::Int(filter.offset.max(0)));
    let sql = format!(
        "SELECT v.id, v.customer_id, v.check_in_at, v.check_out_at, v.purpose, v.outcome, \
                c.name AS customer_name, u.display_name AS rep_name \
         FROM visits v LEFT JOIN customers c ON c.id = v.customer_id \
         LEFT JOIN users u ON u.id = v.rep_id{where_clause} \
         ORDER BY COALESCE(v.check_in_at, v.planned_at, v.created_at) DESC, v.id ASC \
         LIMIT {limit} OFFSET {offset}"
    );
    let rows = c.bind(sqlx::query(&sql)).fetch_all(db.pool()).await?;
    let rows = rows
        .iter()
        .map(|r| {
            Ok(VisitRow {
                id: r.try_get("id")?,
                customer_id: r.try_get("customer_id")?,
                customer_name: r
                    .try_get::<Option<String>, _>("customer_name")?
                    .unwrap_or_default(),
                rep: r
                    .try_get::<Option<String>, _>("rep_name")?
                    .unwrap_or_default(),
                check_in_at: r.try_get("check_in_at")?,
                check_out_at: r.try_get("check_out_at")?,
                purpose: r.try_get("purpose")?,
                outcome: r.try_get("outcome")?,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok((rows, total))
}

/// Customers counted by territory and tier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerritoryTierCount {
    /// Territory name (empty for none).
    pub territory: String,
    /// Tier (empty for none).
    pub tier: String,
    /// How many customers.
    pub count: i64,
}

/// The customers in `scope` by territory and tier.
pub async fn customers_by_territory_tier(
    db: &Db,
    scope: &ScopeTerritories,
    owners: Option<&[UserId]>,
) -> Result<Vec<TerritoryTierCount>, DbError> {
    let mut c = Cond::new();
    Record::Customer.restrict(&mut c, scope, owners);
    let sql = format!(
        "SELECT t.name AS territory, c.tier AS tier, COUNT(*) AS n \
         FROM customers c LEFT JOIN territories t ON t.id = c.territory_id{} \
         GROUP BY t.name, c.tier ORDER BY t.name, c.tier",
        c.where_clause()
    );
    let rows = c.bind(sqlx::query(&sql)).fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| {
            Ok(TerritoryTierCount {
                territory: r
                    .try_get::<Option<String>, _>("territory")?
                    .unwrap_or_default(),
                tier: r.try_get("tier")?,
                count: r.try_get("n")?,
            })
        })
        .collect()
}

/// How many visits in `scope` checked in at or after `since` (unix ms).
pub async fn visits_since(
    db: &Db,
    scope: &ScopeTerritories,
    owners: Option<&[UserId]>,
    since: i64,
) -> Result<i64, DbError> {
    let mut c = Cond::new();
    Record::Visit.restrict(&mut c, scope, owners);
    c.push(|p| format!("v.check_in_at >= {p}"), Bind::Int(since));
    let sql = format!("SELECT COUNT(*) AS n FROM visits v{}", c.where_clause());
    Ok(c.bind(sqlx::query(&sql))
        .fetch_one(db.pool())
        .await?
        .try_get("n")?)
}

/// A rep and their visit count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepCount {
    /// The rep's display name.
    pub name: String,
    /// Visits.
    pub visits: i64,
}

/// The reps with the most visits in `scope` since `since` (unix ms), at most `limit`.
pub async fn top_reps(
    db: &Db,
    scope: &ScopeTerritories,
    owners: Option<&[UserId]>,
    since: i64,
    limit: i64,
) -> Result<Vec<RepCount>, DbError> {
    let mut c = Cond::new();
    Record::Visit.restrict(&mut c, scope, owners);
    c.push(|p| format!("v.check_in_at >= {p}"), Bind::Int(since));
    let where_clause = c.where_clause();
    let lim = c.next();
    c.binds.push(Bind::Int(limit.clamp(1, 100)));
    let sql = format!(
        "SELECT u.display_name AS name, COUNT(*) AS n \
         FROM visits v JOIN users u ON u.id = v.rep_id{where_clause} \
         GROUP BY u.id, u.display_name ORDER BY n DESC, u.display_name ASC LIMIT {lim}"
    );
    let rows = c.bind(sqlx::query(&sql)).fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| {
            Ok(RepCount {
                name: r.try_get("name")?,
                visits: r.try_get("n")?,
            })
        })
        .collect()
}

/// The users who made visits in `scope` (for the visit list's rep filter): (id, display name).
pub async fn visit_reps(
    db: &Db,
    scope: &ScopeTerritories,
    owners: Option<&[UserId]>,
) -> Result<Vec<(String, String)>, DbError> {
    let mut c = Cond::new();
    Record::Visit.restrict(&mut c, scope, owners);
    let sql = format!(
        "SELECT DISTINCT u.id AS id, u.display_name AS name \
         FROM visits v JOIN users u ON u.id = v.rep_id{} ORDER BY u.display_name",
        c.where_clause()
    );
    let rows = c.bind(sqlx::query(&sql)).fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }
}

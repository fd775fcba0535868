//! The customer list at scale: search, filters, sorting and keyset (seek) pages over the
//! `customers` projection, a capped count, and the distinct values the filter menus offer.
//!
//! - Search: each whitespace-separated term must occur as a substring of the lowercased `search`
//!   column (name, code, phones, e-mail, address, contact names and phones, tags). Terms of 3+
//!   characters use the trigram index (SQLite: the FTS5 table `customers_fts`; PostgreSQL: the
//!   pg_trgm GIN index); shorter terms are a plain `LIKE` checked while walking the sort order.
//! - Pages: `(sort value, id) > cursor` in the sort's index order, never `OFFSET`, so the 40,000th
//!   page costs what the first does. The id is the tie-breaker, so the order is total and stable.
//! - Count: [`count`] stops at a cap (the list shows "1000+"), so a page view never counts a
//!   million rows. See `docs/decisions/0010-customer-list-at-scale.md`.
//! - Custom fields: rows carry the `custom` JSON column; [`CustomCond`]s filter on one custom
//!   value each (equality, substring, number or date range), checked while walking the sort order
//!   like the tag filter. See `docs/decisions/0018-custom-fields-in-the-customer-list.md`.

use std::collections::BTreeMap;

use fieldcrm_core::{DocId, TerritoryId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::customers_query::{Bind, Cond, like_pattern};
use super::schema::{custom_value_expr, custom_value_predicate};
use super::territories::ScopeTerritories;
use super::visibility::Record;
use super::{Backend, Db, DbError};

/// Terms of at least this many characters are looked up in the trigram index.
pub const TRIGRAM_MIN_CHARS: usize = 3;
/// At most this many search terms are used (the rest are ignored).
pub const MAX_TERMS: usize = 8;

/// The column a list is sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Name (the default).
    #[default]
    Name,
    /// Business code.
    Code,
    /// Last update.
    Updated,
    /// Creation.
    Created,
}

impl SortKey {
    /// The stable name used in query strings (`name`, `code`, `updated`, `created`).
    pub const fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Code => "code",
            SortKey::Updated => "updated",
            SortKey::Created => "created",
        }
    }

    /// Parses [`SortKey::as_str`].
    pub fn parse(s: &str) -> Option<SortKey> {
        [
            SortKey::Name,
            SortKey::Code,
            SortKey::Updated,
            SortKey::Created,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// The direction a list sorted by this key takes unless told otherwise: text ascending,
    /// times newest first.
    pub const fn default_desc(self) -> bool {
        matches!(self, SortKey::Updated | SortKey::Created)
    }

    fn column(self) -> &'static str {
        match self {
            SortKey::Name => "c.name",
            SortKey::Code => "c.code",
            SortKey::Updated => "c.updated_at",
            SortKey::Created => "c.created_at",
        }
    }

    fn is_text(self) -> bool {
        matches!(self, SortKey::Name | SortKey::Code)
    }
}

/// How the customer list is sorted: a key and a direction; the id breaks ties the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CustomerSort {
    /// The column.
    pub key: SortKey,
    /// Descending.
    pub desc: bool,
}

/// What the customer list shows. Every `Some` narrows it; `None` (or an empty string) does not.
#[derive(Clone, Debug, Default)]
pub struct CustomerFilter {
    /// Free text; every whitespace-separated term must occur (name, code, phones, contacts, …).
    pub query: Option<String>,
    /// Only this territory.
    pub territory: Option<TerritoryId>,
    /// Only this tier.
    pub tier: Option<String>,
    /// Only this industry.
    pub industry: Option<String>,
    /// Only customers owned by this user.
    pub owner: Option<UserId>,
    /// Only customers carrying this tag (exactly).
    pub tag: Option<String>,
    /// Created at or after (unix ms).
    pub created_from: Option<i64>,
    /// Created before (unix ms).
    pub created_to: Option<i64>,
    /// Updated at or after (unix ms).
    pub updated_from: Option<i64>,
    /// Updated before (unix ms).
    pub updated_to: Option<i64>,
    /// Data-scope restriction on owners (a role's "self"/"department" scope): only customers
    /// owned by one of these users. `None` = unrestricted; an empty list shows nothing.
    pub owner_in: Option<Vec<UserId>>,
    /// Conditions on custom values, all of which must hold.
    pub custom: Vec<CustomCond>,
    /// Sort order.
    pub sort: CustomerSort,
}

/// What one custom value must satisfy. Values are compared in their canonical form (see
/// `fieldcrm_core::schema`); a customer without the value never matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomTest {
    /// Exactly this value (a choice's code; a text, case-sensitive).
    Equals(String),
    /// Contains this text, ignoring ASCII case.
    Contains(String),
    /// A number at least `min` and at most `max` (canonical decimals; `None`: open).
    NumberRange {
        /// Lower bound, inclusive.
        min: Option<String>,
        /// Upper bound, inclusive.
        max: Option<String>,
    },
    /// A date on or after `from` and on or before `to` (`YYYY-MM-DD`; `None`: open).
    DateRange {
        /// First day, inclusive.
        from: Option<String>,
        /// Last day, inclusive.
        to: Option<String>,
    },
}

/// A condition on the custom value `key` (`[a-z][a-z0-9_]*`, bound, never spliced into SQL).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomCond {
    /// The field's key.
    pub key: String,
    /// The test.
    pub test: CustomTest,
}

/// A value of the sort column, as a cursor holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SortValue {
    /// Name or code.
    Text(String),
    /// A time (unix ms).
    Int(i64),
}

/// Which side of the cursor a page lies on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The rows after the cursor in list order (next page).
    After,
    /// The rows before it (previous page).
    Before,
}

/// A position in the list: the sort value and id of a row. Its text form (for page links) is
/// `<id>:<value>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The row's id.
    pub id: DocId,
    /// The row's sort value.
    pub value: SortValue,
}

impl Cursor {
    /// The cursor of `row` under `key`.
    pub fn of(row: &CustomerRow, key: SortKey) -> Cursor {
        Cursor {
            id: row.id,
            value: match key {
                SortKey::Name => SortValue::Text(row.name.clone()),
                SortKey::Code => SortValue::Text(row.code.clone()),
                SortKey::Updated => SortValue::Int(row.updated_at),
                SortKey::Created => SortValue::Int(row.created_at),
            },
        }
    }

    /// The text form for a query string.
    pub fn encode(&self) -> String {
        match &self.value {
            SortValue::Text(s) => format!("{}:{s}", self.id),
            SortValue::Int(i) => format!("{}:{i}", self.id),
        }
    }

    /// Parses [`Cursor::encode`] for a list sorted by `key`; `None` if it does not parse.
    pub fn decode(text: &str, key: SortKey) -> Option<Cursor> {
        let (id, value) = text.split_once(':')?;
        let id = DocId::parse(id).ok()?;
        let value = if key.is_text() {
            SortValue::Text(value.to_owned())
        } else {
            SortValue::Int(value.parse().ok()?)
        };
        Some(Cursor { id, value })
    }
}

/// One row of the customer list, with every column the list can show.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerRow {
    /// The document id.
    pub id: DocId,
    /// Business code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Tier.
    pub tier: String,
    /// Industry.
    pub industry: String,
    /// Source.
    pub source: String,
    /// City.
    pub city: String,
    /// First phone.
    pub phone: String,
    /// Tags, comma-separated.
    pub tags: String,
    /// Owner's id, if any.
    pub owner_id: Option<UserId>,
    /// Owner's display name (empty if none).
    pub owner: String,
    /// Territory name (empty if none).
    pub territory: String,
    /// Creation, unix ms.
    pub created_at: i64,
    /// Last update, unix ms.
    pub updated_at: i64,
    /// Custom values by key (canonical text).
    pub custom: BTreeMap<String, String>,
}

/// One page of the list.
#[derive(Clone, Debug)]
pub struct CustomerPage {
    /// The rows, in list order.
    pub rows: Vec<CustomerRow>,
    /// Whether rows exist after the last one.
    pub has_next: bool,
    /// Whether rows exist before the first one.
    pub has_prev: bool,
}

/// The lowercased search terms of a query text, at most [`MAX_TERMS`] of at most 64 characters.
pub fn search_terms(query: &str) -> Vec<String> {
    query
        .to_lowercase()
        .split_whitespace()
        .take(MAX_TERMS)
        .map(|t| t.chars().take(64).collect())
        .collect()
}

/// An FTS5 query matching every term as a substring (trigram phrases, implicitly AND-ed).
fn fts_query(terms: &[&String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The WHERE conditions of `filter` inside `scope`.
fn conditions(backend: Backend, scope: &ScopeTerritories, f: &CustomerFilter) -> Cond {
    let mut c = Cond::new();
    Record::Customer.restrict(&mut c, scope, f.owner_in.as_deref());
    let terms = f.query.as_deref().map(search_terms).unwrap_or_default();
    if let Some(tag) = non_empty(&f.tag) {
        // Exact tag: the delimited list contains it. Checked while walking the sort order: tags
        // are a small vocabulary of frequent values, so a page fills after a few hundred rows
        // (looking a frequent tag up in the trigram index would fetch every row carrying it).
        let tag = tag.to_lowercase();
        c.push(
            |p| format!("(', ' || LOWER(c.tags) || ', ') LIKE {p} ESCAPE '\\'"),
            Bind::Text(like_pattern(&format!(", {tag}, "))),
        );
    }
    let long: Vec<&String> = terms
        .iter()
        .filter(|t| t.chars().count() >= TRIGRAM_MIN_CHARS)
        .collect();
    if backend == Backend::Sqlite && !long.is_empty() {
        c.push(
            |p| {
                format!(
                    "c.rowid IN (SELECT rowid FROM customers_fts WHERE customers_fts MATCH {p})"
                )
            },
            Bind::Text(fts_query(&long)),
        );
    }
    // Every term as a substring: on PostgreSQL the trigram index serves it (3+ characters); on
    // SQLite it re-checks the FTS candidates and filters by the short terms.
    for t in &terms {
        c.push(
            |p| format!("c.search LIKE {p} ESCAPE '\\'"),
            Bind::Text(like_pattern(t)),
        );
    }
    if let Some(t) = f.territory {
        c.push(
            |p| format!("c.territory_id = {p}"),
            Bind::Text(t.to_string()),
        );
    }
    if let Some(tier) = non_empty(&f.tier) {
        c.push(|p| format!("c.tier = {p}"), Bind::Text(tier.to_owned()));
    }
    if let Some(industry) = non_empty(&f.industry) {
        c.push(
            |p| format!("c.industry = {p}"),
            Bind::Text(industry.to_owned()),
        );
    }
    if let Some(owner) = f.owner {
        c.push(
            |p| format!("c.owner_id = {p}"),
            Bind::Text(owner.to_string()),
        );
    }
    for (value, sql) in [
        (f.created_from, "c.created_at >="),
        (f.created_to, "c.created_at <"),
        (f.updated_from, "c.updated_at >="),
        (f.updated_to, "c.updated_at <"),
    ] {
        if let Some(v) = value {
            c.push(|p| format!("{sql} {p}"), Bind::Int(v));
        }
    }
    for cond in &f.custom {
        custom_condition(&mut c, backend, cond);
    }
    c
}

/// Binds `value` and returns its placeholder number.
fn bind_at(c: &mut Cond, value: Bind) -> usize {
    c.binds.push(value);
    c.binds.len()
}

/// Adds the SQL of one custom-value condition to `c`.
fn custom_condition(c: &mut Cond, backend: Backend, cond: &CustomCond) {
    let key = bind_at(c, Bind::Text(cond.key.clone()));
    let value = custom_value_expr(backend, "c.custom", key);
    match &cond.test {
        CustomTest::Equals(v) => {
            let at = bind_at(c, Bind::Text(v.clone()));
            c.sql
                .push(custom_value_predicate(backend, "c.custom", key, at));
        }
        CustomTest::Contains(v) => {
            let at = bind_at(c, Bind::Text(like_pattern(&v.to_lowercase())));
            c.sql.push(format!("LOWER({value}) LIKE ${at} ESCAPE '\\'"));
        }
        CustomTest::NumberRange { min, max } => {
            // Only a plain decimal is compared (a value that is not one never matches, and
            // PostgreSQL never fails casting it).
            let number = match backend {
                Backend::Sqlite => format!(
                    "(CASE WHEN {value} GLOB '*[0-9]*' AND {value} NOT GLOB '*[^0-9.-]*' \
                     THEN CAST({value} AS REAL) END)"
                ),
                Backend::Postgres => format!(
                    "(CASE WHEN {value} ~ '^-?[0-9]+(\\.[0-9]+)?$' \
                     THEN CAST({value} AS NUMERIC) END)"
                ),
            };
            let bound = |at: usize| match backend {
                Backend::Sqlite => format!("CAST(${at} AS REAL)"),
                Backend::Postgres => format!("CAST(${at} AS NUMERIC)"),
            };
            for (limit, op) in [(min, ">="), (max, "<=")] {
                if let Some(v) = limit {
                    let at = bind_at(c, Bind::Text(v.clone()));
                    c.sql.push(format!("{number} {op} {}", bound(at)));
                }
            }
        }
        CustomTest::DateRange { from, to } => {
            // `YYYY-MM-DD` sorts as text; byte order on PostgreSQL, whatever the collation.
            let date = match backend {
                Backend::Sqlite => value.clone(),
                Backend::Postgres => format!("({value} COLLATE \"C\")"),
            };
            for (limit, op) in [(from, ">="), (to, "<=")] {
                if let Some(v) = limit {
                    let at = bind_at(c, Bind::Text(v.clone()));
                    c.sql.push(format!("{date} {op} ${at}"));
                }
            }
        }
    }
}

/// The custom values of the projection's `custom` JSON text (non-string values as their JSON
/// text; text that is not a JSON object gives no values rather than failing the list).
fn custom_values(text: &str) -> BTreeMap<String, String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .filter_map(|(k, v)| match v {
                serde_json::Value::String(s) => Some((k, s)),
                serde_json::Value::Null => None,
                other => Some((k, other.to_string())),
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

fn customer_row(row: &AnyRow) -> Result<CustomerRow, DbError> {
    let id: String = row.try_get("id")?;
    let owner_id: Option<String> = row.try_get("owner_id")?;
    Ok(CustomerRow {
        id: DocId::parse(&id).map_err(|e| DbError::corrupt("customers", e))?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        tier: row.try_get("tier")?,
        industry: row.try_get("industry")?,
        source: row.try_get("source")?,
        city: row.try_get("city")?,
        phone: row.try_get("phone")?,
        tags: row.try_get("tags")?,
        // An owner id that does not parse is shown as no owner rather than failing the list.
        owner_id: owner_id.and_then(|o| UserId::parse(&o).ok()),
        owner: row
            .try_get::<Option<String>, _>("owner_name")?
            .unwrap_or_default(),
        territory: row
            .try_get::<Option<String>, _>("territory_name")?
            .unwrap_or_default(),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        custom: custom_values(&row.try_get::<String, _>("custom")?),
    })
}

/// One page of the customers in `scope` matching `filter`: at most `limit` (1–2000) rows on the
/// `direction` side of `cursor` (from the start of the list when `cursor` is `None`).
pub async fn list(
    db: &Db,
    scope: &ScopeTerritories,
    filter: &CustomerFilter,
    cursor: Option<(Direction, &Cursor)>,
    limit: i64,
) -> Result<CustomerPage, DbError> {
    let limit = limit.clamp(1, 2000);
    let mut c = conditions(db.backend(), scope, filter);
    let key = filter.sort.key;
    let column = key.column();
    let backwards = matches!(cursor, Some((Direction::Before, _)));
    // Walking backwards is walking the reversed order forwards, then reversing the rows.
    let desc = filter.sort.desc != backwards;
    if let Some((_, cur)) = cursor {
        let v = c.next();
        c.binds.push(match &cur.value {
            SortValue::Text(s) => Bind::Text(s.clone()),
            SortValue::Int(i) => Bind::Int(*i),
        });
        let id = c.next();
        c.binds.push(Bind::Text(cur.id.to_string()));
        let op = if desc { "<" } else { ">" };
        c.sql.push(format!("({column}, c.id) {op} ({v}, {id})"));
    }
    let where_clause = c.where_clause();
    let lim = c.next();
    c.binds.push(Bind::Int(limit + 1));
    let dir = if desc { "DESC" } else { "ASC" };
    let sql = format!(
        "SELECT c.id, c.code, c.name, c.tier, c.industry, c.source, c.city, c.phone, c.tags, \
                c.owner_id, c.created_at, c.updated_at, c.custom, \
                t.name AS territory_name, u.display_name AS owner_name \
         FROM customers c LEFT JOIN territories t ON t.id = c.territory_id \
         LEFT JOIN users u ON u.id = c.owner_id{where_clause} \
         ORDER BY {column} {dir}, c.id {dir} LIMIT {lim}"
    );
    // Not a cached prepared statement: PostgreSQL then plans with the actual values (a cached
    // generic plan cannot tell a rare search term, best served by the trigram index, from a
    // frequent one, best served by walking the sort order; measured: 5 s instead of 2 ms).
    let fetched = c
        .bind(sqlx::query(&sql).persistent(false))
        .fetch_all(db.pool())
        .await?;
    let more = fetched.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    let mut rows = fetched
        .iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(customer_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if backwards {
        rows.reverse();
        CustomerPage {
            rows,
            has_next: true,
            has_prev: more,
        }
    } else {
        CustomerPage {
            rows,
            has_next: more,
            has_prev: cursor.is_some(),
        }
    })
}

/// How many customers match, counting at most `cap` (so it never reads more than `cap` rows
/// past the filter). Returns `(n, capped)`: `capped` when there are more than `cap`.
pub async fn count(
    db: &Db,
    scope: &ScopeTerritories,
    filter: &CustomerFilter,
    cap: i64,
) -> Result<(i64, bool), DbError> {
    let mut c = conditions(db.backend(), scope, filter);
    let where_clause = c.where_clause();
    let lim = c.next();
    c.binds.push(Bind::Int(cap.max(0) + 1));
    let sql = format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM customers c{where_clause} LIMIT {lim}) AS m"
    );
    // Planned with the actual values, as in `list`.
    let n: i64 = c
        .bind(sqlx::query(&sql).persistent(false))
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    Ok(if n > cap { (cap, true) } else { (n, false) })
}

/// Those of `ids` that are customers in `scope` matching `filter`, in id order.
pub async fn matching_ids(
    db: &Db,
    scope: &ScopeTerritories,
    filter: &CustomerFilter,
    ids: &[DocId],
) -> Result<Vec<DocId>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut c = conditions(db.backend(), scope, filter);
    let mut ps = Vec::with_capacity(ids.len());
    for id in ids {
        ps.push(c.next());
        c.binds.push(Bind::Text(id.to_string()));
    }
    c.sql.push(format!("c.id IN ({})", ps.join(", ")));
    let sql = format!(
        "SELECT c.id FROM customers c{} ORDER BY c.id",
        c.where_clause()
    );
    let rows = c.bind(sqlx::query(&sql)).fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            DocId::parse(&id).map_err(|e| DbError::corrupt("customers", e))
        })
        .collect()
}

/// The distinct non-empty values of a column (`tier` or `industry`) among the customers in
/// `scope`, sorted: a loose index scan (one index seek per value), cheap at a million rows.
async fn distinct(
    db: &Db,
    scope: &ScopeTerritories,
    column: &'static str,
) -> Result<Vec<String>, DbError> {
    let mut c = Cond::new();
    c.scope("territory_id", scope);
    let extra = if c.sql.is_empty() {
        String::new()
    } else {
        format!(" AND {}", c.sql.join(" AND "))
    };
    let sql = format!(
        "WITH RECURSIVE v (x) AS ( \
           SELECT MIN({column}) FROM customers WHERE {column} > ''{extra} \
           UNION ALL \
           SELECT (SELECT MIN({column}) FROM customers WHERE {column} > v.x{extra}) FROM v \
           WHERE v.x IS NOT NULL) \
         SELECT x FROM v WHERE x IS NOT NULL LIMIT 500"
    );
    let rows = c.bind(sqlx::query(&sql)).fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| r.try_get("x").map_err(DbError::from))
        .collect()
}

/// The distinct tiers of the customers in `scope`, sorted.
pub async fn tiers(db: &Db, scope: &ScopeTerritories) -> Result<Vec<String>, DbError> {
    distinct(db, scope, "tier").await
}

/// The distinct industries of the customers in `scope`, sorted.
pub async fn industries(db: &Db, scope: &ScopeTerritories) -> Result<Vec<String>, DbError> {
    distinct(db, scope, "industry").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_lowercased_split_and_bounded() {
        assert_eq!(search_terms("  Hua  LIAN 张伟 "), ["hua", "lian", "张伟"]);
        assert_eq!(search_terms(&"x ".repeat(20)).len(), MAX_TERMS);
        assert_eq!(search_terms(&"长".repeat(100))[0].chars().count(), 64);
    }

    #[test]
    fn fts_phrases_are_quoted() {
        let (a, b) = ("a\"b c".to_owned(), "华联超".to_owned());
        assert_eq!(fts_query(&[&a, &b]), "\"a\"\"b c\" \"华联超\"");
    }

    #[test]
    fn cursors_round_trip() {
        let id = DocId::new();
        let c = Cursor {
            id,
            value: SortValue::Text("上海:华联 & co".into()),
        };
        assert_eq!(Cursor::decode(&c.encode(), SortKey::Name), Some(c));
        let c = Cursor {
            id,
            value: SortValue::Int(-5),
        };
        assert_eq!(Cursor::decode(&c.encode(), SortKey::Updated), Some(c));
        assert_eq!(Cursor::decode("nope:x", SortKey::Name), None);
        assert_eq!(Cursor::decode(&format!("{id}:abc"), SortKey::Created), None);
    }

    #[test]
    fn sort_keys_parse() {
        for k in [
            SortKey::Name,
            SortKey::Code,
            SortKey::Updated,
            SortKey::Created,
        ] {
            assert_eq!(SortKey::parse(k.as_str()), Some(k));
        }
        assert_eq!(SortKey::parse("search"), None);
    }
}

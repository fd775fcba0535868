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
use futures_util::TryStreamExt;
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

/// Whether `c` can be part of an indexed bigram: a letter or a digit (CJK characters are
/// letters). Pairs with anything else are not indexed; a term made of them is not looked up.
fn gram_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// The projection's `search_bigrams` column: the distinct pairs of adjacent letters/digits of
/// the (lowercased) search text, space-separated, in order of first occurrence. A term of two
/// such characters occurs in `search` exactly when it is one of these tokens.
pub fn search_bigrams(search: &str) -> String {
    let mut seen = std::collections::HashSet::new();
    let mut out = String::new();
    let mut prev: Option<char> = None;
    for c in search.chars() {
        if let Some(p) = prev.filter(|p| gram_char(*p) && gram_char(c))
            && seen.insert((p, c))
        {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push(p);
            out.push(c);
        }
        prev = Some(c);
    }
    out
}

/// The bigram token of a 2-character term, if it is indexed (both characters letters/digits).
fn term_bigram(term: &str) -> Option<&str> {
    let mut chars = term.chars();
    match (chars.next(), chars.next(), chars.next()) {
        (Some(a), Some(b), None) if gram_char(a) && gram_char(b) => Some(term),
        _ => None,
    }
}

/// Fills `search_bigrams` of the rows written before it existed (NULL), `batch` rows per
/// transaction, in id order (a cursor, so a batch never re-reads the filled rows' old index
/// entries), 500 rows per statement. Returns how many rows it filled.
pub async fn fill_search_bigrams(db: &Db, batch: i64) -> Result<u64, DbError> {
    let mut filled = 0u64;
    let mut after = String::new();
    loop {
        let mut tx = db.begin_write().await?;
        let rows = sqlx::query(
            "SELECT id, search FROM customers WHERE search_bigrams IS NULL AND id > $1 \
             ORDER BY id LIMIT $2",
        )
        .bind(&after)
        .bind(batch.max(1))
        .fetch_all(&mut *tx)
        .await?;
        let Some(last) = rows.last() else {
            tx.commit().await?;
            return Ok(filled);
        };
        after = last.try_get("id")?;
        // One UPDATE per 500 rows (a CASE over their ids): per-row statements took 12 minutes
        // for a million rows on PostgreSQL.
        for chunk in rows.chunks(500) {
            let mut binds: Vec<String> = Vec::with_capacity(chunk.len() * 2);
            let mut cases = String::new();
            let mut ids = Vec::with_capacity(chunk.len());
            for row in chunk {
                let id: String = row.try_get("id")?;
                let search: String = row.try_get("search")?;
                cases.push_str(&format!(
                    " WHEN ${} THEN ${}",
                    binds.len() + 1,
                    binds.len() + 2
                ));
                ids.push(format!("${}", binds.len() + 1));
                binds.push(id);
                binds.push(search_bigrams(&search));
            }
            let sql = format!(
                "UPDATE customers SET search_bigrams = CASE id{cases} END WHERE id IN ({})",
                ids.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for b in binds {
                q = q.bind(b);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        filled += rows.len() as u64;
        if filled % 100_000 < rows.len() as u64 {
            tracing::info!(filled, "filling customers.search_bigrams");
        }
    }
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

/// The search terms of a filter, by how the indexes can look them up.
#[derive(Debug, Default)]
struct Terms {
    /// Every term: each must occur in `search` (checked on the row with `LIKE`).
    all: Vec<String>,
    /// Terms of 3+ characters: the trigram index.
    long: Vec<String>,
    /// Terms of exactly two letters/digits: the bigram index.
    pairs: Vec<String>,
}

impl Terms {
    fn of(f: &CustomerFilter) -> Terms {
        let all = f.query.as_deref().map(search_terms).unwrap_or_default();
        let long = all
            .iter()
            .filter(|t| t.chars().count() >= TRIGRAM_MIN_CHARS)
            .cloned()
            .collect();
        let pairs = all
            .iter()
            .filter_map(|t| term_bigram(t))
            .map(str::to_owned)
            .collect();
        Terms { all, long, pairs }
    }

    /// Whether an index can narrow the search (a term of 2 letters/digits or of 3+ characters).
    fn indexed(&self) -> bool {
        !self.long.is_empty() || !self.pairs.is_empty()
    }

    /// SQLite: the FTS5 table and query of the index lookup (trigram for long terms, preferred:
    /// one 3+ character term is more selective than a pair).
    fn fts_lookup(&self) -> Option<(&'static str, String)> {
        if !self.long.is_empty() {
            Some((
                "customers_fts",
                fts_query(&self.long.iter().collect::<Vec<_>>()),
            ))
        } else if !self.pairs.is_empty() {
            Some((
                "customers_bigrams",
                fts_query(&self.pairs.iter().collect::<Vec<_>>()),
            ))
        } else {
            None
        }
    }
}

/// How the search terms enter a query's conditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Search {
    /// Not at all (the filters alone).
    None,
    /// Checked on each row (`LIKE`) — for walking the list's order or a filter's index.
    Rows,
    /// Looked up in the search index (the candidates), and checked on each candidate.
    Index,
}

/// The WHERE conditions of `filter` inside `scope`, with the search as `search` says.
fn conditions(
    backend: Backend,
    scope: &ScopeTerritories,
    f: &CustomerFilter,
    search: Search,
) -> Cond {
    let mut c = Cond::new();
    push_conditions(&mut c, backend, scope, f, search);
    c
}

/// Adds the conditions of [`conditions`] to `c`.
fn push_conditions(
    c: &mut Cond,
    backend: Backend,
    scope: &ScopeTerritories,
    f: &CustomerFilter,
    search: Search,
) {
    Record::Customer.restrict(c, scope, f.owner_in.as_deref());
    if let Some(tag) = non_empty(&f.tag) {
        // Exact tag. PostgreSQL: an element of the tags array, which has a GIN index and element
        // statistics (so a rare tag is looked up, a frequent one checked while walking the sort
        // order). SQLite: the delimited list contains it, checked while walking the sort order
        // (tags are a small vocabulary of frequent values, so a page fills after a few hundred
        // rows).
        let tag = tag.to_lowercase();
        match backend {
            Backend::Postgres => c.push(
                |p| format!("string_to_array(LOWER(c.tags), ', ') @> ARRAY[CAST({p} AS TEXT)]"),
                Bind::Text(tag),
            ),
            Backend::Sqlite => c.push(
                |p| format!("(', ' || LOWER(c.tags) || ', ') LIKE {p} ESCAPE '\\'"),
                Bind::Text(like_pattern(&format!(", {tag}, "))),
            ),
        }
    }
    if search != Search::None {
        push_search(c, backend, &Terms::of(f), search);
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
        custom_condition(c, backend, cond);
    }
}

/// Adds the search terms' conditions to `c`.
fn push_search(c: &mut Cond, backend: Backend, terms: &Terms, search: Search) {
    if search == Search::Index {
        match backend {
            Backend::Sqlite => {
                if let Some((table, query)) = terms.fts_lookup() {
                    c.push(
                        |p| {
                            format!(
                                "c.rowid IN (SELECT rowid FROM {table} WHERE {table} MATCH {p})"
                            )
                        },
                        Bind::Text(query),
                    );
                }
            }
            Backend::Postgres => {
                // 3+ character terms: the `LIKE` below is what the pg_trgm index serves.
                if !terms.pairs.is_empty() {
                    let ps: Vec<String> = terms
                        .pairs
                        .iter()
                        .map(|t| {
                            let at = bind_at(c, Bind::Text(t.clone()));
                            format!("CAST(${at} AS TEXT)")
                        })
                        .collect();
                    c.sql.push(format!(
                        "string_to_array(c.search_bigrams, ' ') @> ARRAY[{}]",
                        ps.join(", ")
                    ));
                }
            }
        }
    }
    // Every term as a substring of the row's text: the exact test (an index lookup only narrows
    // the rows; a stale FTS rowid can never show a wrong row).
    for t in &terms.all {
        c.push(
            |p| format!("c.search LIKE {p} ESCAPE '\\'"),
            Bind::Text(like_pattern(t)),
        );
    }
}

/// The thresholds of the customer list's search plans (see [`list`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanLimits {
    /// Candidates up to this many (as the search index estimates them) make a page view look
    /// the search up in the index and sort the candidates; more make it walk the list's order
    /// first (negative: always walk first).
    pub index_max: i64,
    /// Rows of the list's order a page view of 25 walks looking for matches of a frequent term
    /// before it falls back to the index (the matches may all lie far along the order: a city
    /// name sorted by name). Larger pages (an export's batches) walk proportionally further.
    pub walk_max: i64,
}

impl PlanLimits {
    /// The walk's bound for a page of `limit` rows.
    fn walk_for(&self, limit: i64) -> i64 {
        self.walk_max.saturating_mul(limit.max(25)) / 25
    }
}

impl Default for PlanLimits {
    /// 10,000 candidates; a walk of 5,000 rows. With more than 10,000 candidates in a million a
    /// term occurs in over 1% of the rows, so a page of 25 spread evenly is found within 5,000
    /// rows almost always; sorting 10,000 candidates costs about what walking 5,000 rows does.
    fn default() -> Self {
        PlanLimits {
            index_max: 10_000,
            walk_max: 5_000,
        }
    }
}

/// How many customers the search index offers for `terms`. SQLite: exactly, up to
/// [`PlanLimits::index_max`] + 1 (a capped FTS5 count, which stops early). PostgreSQL: an
/// estimate — the customers holding the terms' rarest bigram, from the bigram index's element
/// statistics ([`BigramStats`]); for terms without a bigram, the planner's row count for their
/// trigram-indexed `LIKE`. Only chooses a plan: the rows shown are always exact.
async fn candidates(db: &Db, terms: &Terms) -> Result<i64, DbError> {
    match db.backend() {
        Backend::Sqlite => {
            let Some((table, query)) = terms.fts_lookup() else {
                return Ok(i64::MAX);
            };
            let sql = format!(
                "SELECT COUNT(*) AS n FROM (SELECT 1 FROM {table} WHERE {table} MATCH $1 LIMIT $2) AS m"
            );
            Ok(sqlx::query(&sql)
                .bind(query)
                .bind(db.list_limits().index_max.saturating_add(1))
                .fetch_one(db.pool())
                .await?
                .try_get("n")?)
        }
        Backend::Postgres => {
            let grams: Vec<String> = terms
                .pairs
                .iter()
                .cloned()
                .chain(terms.long.iter().flat_map(|t| {
                    search_bigrams(t)
                        .split(' ')
                        .filter(|g| !g.is_empty())
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                }))
                .collect();
            if !grams.is_empty() {
                let stats = bigram_stats(db).await?;
                return Ok(stats.estimate(&grams));
            }
            // Long terms without a letter/digit pair: the planner's estimate of their LIKE.
            let mut c = Cond::new();
            let index_terms = Terms {
                all: terms.long.clone(),
                long: terms.long.clone(),
                pairs: Vec::new(),
            };
            push_search(&mut c, Backend::Postgres, &index_terms, Search::Index);
            let sql = format!("EXPLAIN SELECT 1 FROM customers c{}", c.where_clause());
            let plan: String = c
                .bind(sqlx::query(&sql).persistent(false))
                .fetch_one(db.pool())
                .await?
                .try_get(0)?;
            Ok(plan_rows(&plan).unwrap_or(i64::MAX))
        }
    }
}

/// PostgreSQL's statistics of the bigram index (`pg_stats` of its expression, kept by ANALYZE):
/// the frequent bigrams with the share of customers holding each, the share below which a
/// bigram is not listed, and the table's row count. Cached per process for a minute.
#[derive(Debug, Clone, Default)]
pub(crate) struct BigramStats {
    rows: f64,
    shares: std::collections::HashMap<String, f64>,
    /// Bigrams not listed are held by fewer than this share (0 without statistics).
    unlisted: f64,
}

impl BigramStats {
    /// Customers holding every one of `grams`, estimated by the rarest of them.
    fn estimate(&self, grams: &[String]) -> i64 {
        let share = grams
            .iter()
            .map(|g| self.shares.get(g).copied().unwrap_or(self.unlisted))
            .fold(1.0_f64, f64::min);
        (share * self.rows).ceil() as i64
    }

    /// Parses PostgreSQL's text form of the element list and its frequencies (the frequency
    /// list ends with the minimum, the maximum and the null share).
    fn parse(rows: f64, elems: &str, freqs: &str) -> BigramStats {
        let list = |t: &str| -> Vec<String> {
            t.trim_start_matches('{')
                .trim_end_matches('}')
                .split(',')
                .filter(|e| !e.is_empty())
                .map(|e| e.trim_matches('"').to_owned())
                .collect()
        };
        let elems = list(elems);
        let freqs: Vec<f64> = list(freqs)
            .iter()
            .map(|f| f.parse().unwrap_or(0.0))
            .collect();
        let unlisted = if freqs.len() >= elems.len() + 3 {
            freqs[elems.len()]
        } else {
            0.0
        };
        BigramStats {
            rows: rows.max(0.0),
            shares: elems.into_iter().zip(freqs).collect(),
            unlisted,
        }
    }
}

/// The cache of [`BigramStats`] a [`Db`] handle shares with its clones.
#[derive(Debug, Default)]
pub(crate) struct BigramStatsCache(std::sync::Mutex<Option<(std::time::Instant, BigramStats)>>);

/// The bigram statistics, read at most once a minute per process.
async fn bigram_stats(db: &Db) -> Result<BigramStats, DbError> {
    if let Ok(guard) = db.bigram_stats_cache().0.lock()
        && let Some((at, stats)) = guard.as_ref()
        && at.elapsed() < std::time::Duration::from_secs(60)
    {
        return Ok(stats.clone());
    }
    let rows: f64 = sqlx::query(
        "SELECT CAST(GREATEST(reltuples, 0) AS DOUBLE PRECISION) AS n FROM pg_class \
         WHERE oid = to_regclass('customers')",
    )
    .fetch_optional(db.pool())
    .await?
    .map(|r| r.try_get("n"))
    .transpose()?
    .unwrap_or(0.0);
    let stats = match sqlx::query(
        "SELECT CAST(most_common_elems AS TEXT) AS elems, \
                CAST(most_common_elem_freqs AS TEXT) AS freqs \
         FROM pg_stats WHERE schemaname = current_schema() \
         AND tablename = 'customers_bigrams_idx'",
    )
    .fetch_optional(db.pool())
    .await?
    {
        Some(r) => {
            let elems: Option<String> = r.try_get("elems")?;
            let freqs: Option<String> = r.try_get("freqs")?;
            BigramStats::parse(
                rows,
                elems.as_deref().unwrap_or(""),
                freqs.as_deref().unwrap_or(""),
            )
        }
        // Not analysed yet: every bigram counts as rare (the index plan, always correct).
        None => BigramStats::default(),
    };
    if let Ok(mut guard) = db.bigram_stats_cache().0.lock() {
        *guard = Some((std::time::Instant::now(), stats.clone()));
    }
    Ok(stats)
}

/// The row estimate (`rows=N`) of the top node of a PostgreSQL text plan.
fn plan_rows(plan: &str) -> Option<i64> {
    let at = plan.find("rows=")? + "rows=".len();
    let digits: String = plan[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// How many customers the filters alone (no search) leave on the `direction` side of `cursor`,
/// counting at most `walk` + 1.
async fn filtered_up_to_walk(
    db: &Db,
    scope: &ScopeTerritories,
    filter: &CustomerFilter,
    cursor: Option<(Direction, &Cursor)>,
    walk: i64,
) -> Result<i64, DbError> {
    let mut c = conditions(db.backend(), scope, filter, Search::None);
    if c.sql.is_empty() && cursor.is_none() {
        // No filter: the whole list, far more than a walk.
        return Ok(i64::MAX);
    }
    if let Some((direction, cur)) = cursor {
        let desc = filter.sort.desc != (direction == Direction::Before);
        push_cursor(&mut c, filter.sort.key, desc, cur);
    }
    let lim = c.next();
    c.binds.push(Bind::Int(walk.saturating_add(1)));
    let sql = format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM customers c{} LIMIT {lim}) AS m",
        c.where_clause()
    );
    Ok(c.bind(sqlx::query(&sql).persistent(false))
        .fetch_one(db.pool())
        .await?
        .try_get("n")?)
}

/// Adds `(sort column, id) > cursor` (`<` when `desc`).
fn push_cursor(c: &mut Cond, key: SortKey, desc: bool, cur: &Cursor) {
    let v = c.next();
    c.binds.push(match &cur.value {
        SortValue::Text(s) => Bind::Text(s.clone()),
        SortValue::Int(i) => Bind::Int(*i),
    });
    let id = c.next();
    c.binds.push(Bind::Text(cur.id.to_string()));
    let op = if desc { "<" } else { ">" };
    c.sql
        .push(format!("({}, c.id) {op} ({v}, {id})", key.column()));
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

/// The columns of a list row, from `c` (customers or a subquery of its rows).
const ROW_COLUMNS: &str = "c.id, c.code, c.name, c.tier, c.industry, c.source, c.city, c.phone, \
     c.tags, c.owner_id, c.created_at, c.updated_at, c.custom, \
     t.name AS territory_name, u.display_name AS owner_name";

/// How a page is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PagePlan {
    /// Walk the list's order (or a filter's index), checking the search on each row.
    Walk,
    /// Walk the list's order over at most [`PlanLimits::walk_max`] rows (the filters' rows), then check the
    /// search on those: complete if it fills the page.
    BoundedWalk,
    /// The search index's candidates, filtered and sorted.
    Index,
}

/// One page of the customers in `scope` matching `filter`: at most `limit` (1–2000) rows on the
/// `direction` side of `cursor` (from the start of the list when `cursor` is `None`).
///
/// With search terms an index can look up, the plan depends on how many rows the index offers
/// (see `docs/decisions/0021-customer-search-plans.md`): a few — sort the candidates; many — walk
/// the list's order, where a page fills quickly, unless the walk finds too few within
/// [`PlanLimits::walk_max`] rows (the matches lie further along), then sort the candidates after
/// all.
pub async fn list(
    db: &Db,
    scope: &ScopeTerritories,
    filter: &CustomerFilter,
    cursor: Option<(Direction, &Cursor)>,
    limit: i64,
) -> Result<CustomerPage, DbError> {
    let limit = limit.clamp(1, 2000);
    let terms = Terms::of(filter);
    if !terms.indexed() {
        return page(db, scope, filter, cursor, limit, PagePlan::Walk).await;
    }
    let started = std::time::Instant::now();
    let limits = db.list_limits();
    let offered = candidates(db, &terms).await?;
    if offered <= limits.index_max {
        let p = page(db, scope, filter, cursor, limit, PagePlan::Index).await?;
        tracing::debug!(
            offered,
            plan = "index",
            ms = started.elapsed().as_secs_f64() * 1e3,
            "customer list page"
        );
        return Ok(p);
    }
    let walked = page(db, scope, filter, cursor, limit, PagePlan::BoundedWalk).await?;
    let full = match cursor {
        Some((Direction::Before, _)) => walked.has_prev,
        _ => walked.has_next,
    };
    let walk = limits.walk_for(limit);
    if full || filtered_up_to_walk(db, scope, filter, cursor, walk).await? <= walk {
        // The page filled, or the walk saw every row the filters leave: the page is complete.
        tracing::debug!(
            offered,
            plan = "walk",
            full,
            ms = started.elapsed().as_secs_f64() * 1e3,
            "customer list page"
        );
        return Ok(walked);
    }
    let p = page(db, scope, filter, cursor, limit, PagePlan::Index).await?;
    tracing::debug!(
        offered,
        plan = "walk, then index",
        ms = started.elapsed().as_secs_f64() * 1e3,
        "customer list page"
    );
    Ok(p)
}

/// One page read with `plan`.
async fn page(
    db: &Db,
    scope: &ScopeTerritories,
    filter: &CustomerFilter,
    cursor: Option<(Direction, &Cursor)>,
    limit: i64,
    plan: PagePlan,
) -> Result<CustomerPage, DbError> {
    let backend = db.backend();
    let key = filter.sort.key;
    let column = key.column();
    let backwards = matches!(cursor, Some((Direction::Before, _)));
    // Walking backwards is walking the reversed order forwards, then reversing the rows.
    let desc = filter.sort.desc != backwards;
    let dir = if desc { "DESC" } else { "ASC" };
    let order = format!("ORDER BY {column} {dir}, c.id {dir}");
    let joins = "LEFT JOIN territories t ON t.id = c.territory_id \
                 LEFT JOIN users u ON u.id = c.owner_id";
    let mut c = Cond::new();
    let sql = match plan {
        PagePlan::BoundedWalk if backend == Backend::Sqlite => {
            // SQLite sorts a subquery's rows again for the outer ORDER BY (it would read all
            // walked rows), so the walk is streamed here: ids and search text in list
            // order, checked as they come, stopped at the page's end.
            push_conditions(&mut c, backend, scope, filter, Search::None);
            if let Some((_, cur)) = cursor {
                push_cursor(&mut c, key, desc, cur);
            }
            let walk = bind_at(&mut c, Bind::Int(db.list_limits().walk_for(limit)));
            let sql = format!(
                "SELECT c.id, c.search FROM customers c{} {order} LIMIT ${walk}",
                c.where_clause()
            );
            let terms = Terms::of(filter);
            let mut ids = Vec::new();
            {
                let mut rows = c.bind(sqlx::query(&sql).persistent(false)).fetch(db.pool());
                while let Some(row) = rows.try_next().await? {
                    let search: String = row.try_get("search")?;
                    // `LIKE '%term%'` on the lowercased text with lowercased terms.
                    if terms.all.iter().all(|t| search.contains(t.as_str())) {
                        ids.push(row.try_get::<String, _>("id")?);
                        if ids.len() as i64 > limit {
                            break;
                        }
                    }
                }
            }
            c = Cond::new();
            let ps: Vec<String> = ids
                .into_iter()
                .map(|id| format!("${}", bind_at(&mut c, Bind::Text(id))))
                .collect();
            if ps.is_empty() {
                // Nothing matched: an empty page, without a query.
                return Ok(CustomerPage {
                    rows: Vec::new(),
                    has_next: backwards,
                    has_prev: !backwards && cursor.is_some(),
                });
            }
            format!(
                "SELECT {ROW_COLUMNS} FROM customers c {joins} WHERE c.id IN ({}) {order}",
                ps.join(", ")
            )
        }
        PagePlan::BoundedWalk => {
            // The filters' rows in list order, at most the walk's bound; the search on those
            // (PostgreSQL keeps the subquery's order and stops pulling rows at the limit).
            push_conditions(&mut c, backend, scope, filter, Search::None);
            if let Some((_, cur)) = cursor {
                push_cursor(&mut c, key, desc, cur);
            }
            let inner_where = c.where_clause();
            let walk = bind_at(&mut c, Bind::Int(db.list_limits().walk_for(limit)));
            let mut outer = Cond {
                sql: Vec::new(),
                binds: std::mem::take(&mut c.binds),
            };
            push_search(&mut outer, backend, &Terms::of(filter), Search::Rows);
            let lim = bind_at(&mut outer, Bind::Int(limit + 1));
            let sql = format!(
                "SELECT {ROW_COLUMNS} FROM (SELECT c.* FROM customers c{inner_where} {order} \
                 LIMIT ${walk}) AS c {joins}{} {order} LIMIT ${lim}",
                outer.where_clause()
            );
            c = outer;
            sql
        }
        PagePlan::Walk | PagePlan::Index => {
            let search = if plan == PagePlan::Index {
                Search::Index
            } else {
                Search::Rows
            };
            push_conditions(&mut c, backend, scope, filter, search);
            if let Some((_, cur)) = cursor {
                push_cursor(&mut c, key, desc, cur);
            }
            let lim = bind_at(&mut c, Bind::Int(limit + 1));
            if plan == PagePlan::Index && backend == Backend::Postgres {
                // The candidates first (the planner cannot walk the sort order instead: the
                // subquery is a fence), then sorted.
                format!(
                    "SELECT {ROW_COLUMNS} FROM (SELECT c.* FROM customers c{} OFFSET 0) AS c \
                     {joins} {order} LIMIT ${lim}",
                    c.where_clause()
                )
            } else {
                format!(
                    "SELECT {ROW_COLUMNS} FROM customers c {joins}{} {order} LIMIT ${lim}",
                    c.where_clause()
                )
            }
        }
    };
    // Not a cached prepared statement: PostgreSQL then plans with the actual values (a cached
    // generic plan cannot tell a rare search term from a frequent one; measured: 5 s instead of
    // 2 ms).
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
///
/// Like [`list`], the plan depends on the search index's candidates: a few — count them; many —
/// count the filters' rows if they are few, else (SQLite) walk the index's candidates in index
/// order until `cap` + 1 match, or (PostgreSQL) leave the choice to the planner.
pub async fn count(
    db: &Db,
    scope: &ScopeTerritories,
    filter: &CustomerFilter,
    cap: i64,
) -> Result<(i64, bool), DbError> {
    let backend = db.backend();
    let terms = Terms::of(filter);
    let limits = db.list_limits();
    let lim_value = cap.max(0) + 1;
    let started = std::time::Instant::now();
    let (mut c, from) = if !terms.indexed() {
        (conditions(backend, scope, filter, Search::Rows), None)
    } else if candidates(db, &terms).await? <= limits.index_max {
        tracing::debug!(plan = "index", "customer list count");
        (conditions(backend, scope, filter, Search::Index), None)
    } else if filtered_up_to_walk(db, scope, filter, None, limits.walk_max).await?
        <= limits.walk_max
    {
        tracing::debug!(plan = "filtered rows", "customer list count");
        (conditions(backend, scope, filter, Search::Rows), None)
    } else if let (Backend::Sqlite, Some((table, query))) = (backend, terms.fts_lookup()) {
        tracing::debug!(plan = "index order", "customer list count");
        // Driven by the FTS index (CROSS JOIN keeps it the outer loop), which yields rowids
        // lazily: the count stops at cap + 1 matches instead of materialising every candidate.
        let mut c = Cond::new();
        c.push(|p| format!("f.{table} MATCH {p}"), Bind::Text(query));
        push_conditions(&mut c, backend, scope, filter, Search::Rows);
        (
            c,
            Some(format!(
                "{table} f CROSS JOIN customers c ON c.rowid = f.rowid"
            )),
        )
    } else {
        (conditions(backend, scope, filter, Search::Rows), None)
    };
    let where_clause = c.where_clause();
    let lim = bind_at(&mut c, Bind::Int(lim_value));
    let from = from.unwrap_or_else(|| "customers c".to_owned());
    let sql = format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM {from}{where_clause} LIMIT ${lim}) AS m"
    );
    // Planned with the actual values, as in `list`.
    let n: i64 = c
        .bind(sqlx::query(&sql).persistent(false))
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    tracing::debug!(
        n,
        ms = started.elapsed().as_secs_f64() * 1e3,
        "customer list count"
    );
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
    // The ids narrow the rows; the search is checked on each of them.
    let mut c = conditions(db.backend(), scope, filter, Search::Rows);
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
    fn bigrams_are_the_distinct_adjacent_letter_pairs() {
        assert_eq!(
            search_bigrams("上海华联 上海 ab-c1"),
            "上海 海华 华联 ab c1"
        );
        assert_eq!(search_bigrams(""), "");
        assert_eq!(search_bigrams("a b"), "");
        assert_eq!(term_bigram("张伟"), Some("张伟"));
        assert_eq!(term_bigram("a-"), None);
        assert_eq!(term_bigram("abc"), None);
        assert_eq!(term_bigram("a"), None);
        // Every 2-character substring of letters/digits is a token, so the index never misses
        // a row the LIKE would find.
        let text = "深圳市宏达电器城 13812345678 王芳";
        let grams = search_bigrams(text);
        let tokens: Vec<&str> = grams.split(' ').collect();
        let chars: Vec<char> = text.chars().collect();
        for w in chars.windows(2) {
            let t: String = w.iter().collect();
            if let Some(g) = term_bigram(&t) {
                assert!(tokens.contains(&g), "{t}");
            }
        }
    }

    #[test]
    fn bigram_statistics_estimate_by_the_rarest() {
        let s = BigramStats::parse(1000.0, "{00,\"ab\",有限}", "{0.5,0.1,0.4,0.01,0.5,0}");
        assert_eq!(s.estimate(&["有限".into()]), 400);
        assert_eq!(s.estimate(&["有限".into(), "ab".into()]), 100);
        // Not listed: under the smallest listed share.
        assert_eq!(s.estimate(&["有限".into(), "zz".into()]), 10);
        // No statistics: everything is rare.
        assert_eq!(BigramStats::default().estimate(&["有限".into()]), 0);
        assert_eq!(BigramStats::parse(10.0, "", "").estimate(&["x1".into()]), 0);
    }

    #[test]
    fn the_walk_grows_with_the_page() {
        let l = PlanLimits::default();
        assert_eq!(l.walk_for(25), 5_000);
        assert_eq!(l.walk_for(4), 5_000);
        assert_eq!(l.walk_for(2_000), 400_000);
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

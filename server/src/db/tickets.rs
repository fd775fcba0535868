//! Service tickets: the `tickets` table (migration 0013) and the back office's reads over it
//! joined with the `dispatches` projection — the ticket list, a ticket's dispatches, the dispatch
//! board's columns and the rows the service statistics are computed from.
//!
//! A ticket's stored `status` is what the office decides: `open`, `closed` or `cancelled`. Whether
//! an open ticket is `dispatched` (a live dispatch exists) or `completed` (a dispatch completed) is
//! read from its dispatches ([`EFFECTIVE_STATUS`]), so the two never disagree. Numbers
//! (`SR-2026-000001`) are drawn from `number_series` inside the inserting transaction.

use chrono::{Datelike, TimeZone};
use fieldcrm_core::{CustomerId, DispatchId, ProductId, TerritoryId, TicketId, UserId};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::customers_query::{Bind, Cond};
use super::territories::ScopeTerritories;
use super::visibility::Record;
use super::{Db, DbError};

/// The number series of tickets.
pub const SERIES: &str = "SR";

macro_rules! str_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),*
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stable name (SQL, forms, documents).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),*
                }
            }

            /// Parses [`Self::as_str`].
            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s.trim())
            }
        }
    };
}

str_enum!(
    /// What the customer asks for.
    TicketType {
        /// Something is broken.
        Repair = "repair",
        /// A new installation.
        Installation = "installation",
        /// Planned maintenance.
        Maintenance = "maintenance",
        /// A complaint.
        Complaint = "complaint",
    }
);

str_enum!(
    /// How urgent a ticket is; decides the default SLA.
    Priority {
        /// 72 hours.
        Low = "low",
        /// 24 hours.
        Normal = "normal",
        /// 8 hours.
        High = "high",
        /// 4 hours.
        Urgent = "urgent",
    }
);

impl Priority {
    /// The default time from creation to the SLA deadline, in hours.
    pub const fn sla_hours(self) -> i64 {
        match self {
            Priority::Low => 72,
            Priority::Normal => 24,
            Priority::High => 8,
            Priority::Urgent => 4,
        }
    }

    /// The default SLA deadline of a ticket created at `created_at` (unix ms).
    pub const fn default_sla_due(self, created_at: i64) -> i64 {
        created_at + self.sla_hours() * 3_600_000
    }
}

str_enum!(
    /// Where a ticket stands.
    TicketStatus {
        /// Waiting for an engineer (no live dispatch, none completed).
        Open = "open",
        /// A dispatch is under way.
        Dispatched = "dispatched",
        /// A dispatch was completed; waiting for the office to close it.
        Completed = "completed",
        /// Closed by the office.
        Closed = "closed",
        /// Withdrawn by the office.
        Cancelled = "cancelled",
    }
);

impl TicketStatus {
    /// Whether the office is done with it.
    pub const fn is_final(self) -> bool {
        matches!(self, TicketStatus::Closed | TicketStatus::Cancelled)
    }
}

/// The dispatch statuses of a dispatch still being worked (or waiting to be).
pub const LIVE_DISPATCH: &str = "'assigned', 'accepted', 'en_route', 'on_site'";

/// SQL: when the first completed dispatch of ticket `t` was completed (NULL if none).
const COMPLETED_AT: &str = "(SELECT MIN(dc.completed_at) FROM dispatches dc \
     WHERE dc.ticket_id = t.id AND dc.status = 'completed')";

/// SQL: the effective status of ticket `t`.
pub const EFFECTIVE_STATUS: &str = "CASE WHEN t.status IN ('closed', 'cancelled') THEN t.status \
     WHEN EXISTS (SELECT 1 FROM dispatches ds WHERE ds.ticket_id = t.id AND ds.status = 'completed') \
     THEN 'completed' \
     WHEN EXISTS (SELECT 1 FROM dispatches ds WHERE ds.ticket_id = t.id AND ds.status IN \
     ('assigned', 'accepted', 'en_route', 'on_site')) THEN 'dispatched' \
     ELSE 'open' END";

/// SQL: the engineer of the latest dispatch of `t` that was not cancelled.
const LAST_ENGINEER: &str = "(SELECT u.display_name FROM dispatches de JOIN users u ON u.id = de.engineer_id \
     WHERE de.ticket_id = t.id AND de.status <> 'cancelled' ORDER BY de.created_at DESC LIMIT 1)";

/// A ticket with its customer's name and scope, and what its dispatches say.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticket {
    /// Id.
    pub id: TicketId,
    /// `SR-2026-000001`.
    pub number: String,
    /// The customer.
    pub customer: CustomerId,
    /// The customer's name (empty if the customer row is missing).
    pub customer_name: String,
    /// The customer's territory (the ticket's data scope).
    pub territory: Option<TerritoryId>,
    /// The customer's owner (the data scope's owner restriction).
    pub owner: Option<UserId>,
    /// Whom to ask for.
    pub contact_name: String,
    /// Their phone.
    pub contact_phone: String,
    /// Type.
    pub ticket_type: TicketType,
    /// Priority.
    pub priority: Priority,
    /// What is wrong.
    pub description: String,
    /// The product concerned, if any.
    pub product: Option<ProductId>,
    /// Its serial number.
    pub serial: String,
    /// When the SLA is breached (unix ms).
    pub sla_due_at: i64,
    /// The status the office set (`Open`, `Closed`, `Cancelled`).
    pub office_status: TicketStatus,
    /// The effective status (with `Dispatched` and `Completed` read from the dispatches).
    pub status: TicketStatus,
    /// Who created it.
    pub created_by: Option<UserId>,
    /// Their display name.
    pub created_by_name: String,
    /// When (unix ms).
    pub created_at: i64,
    /// When the first dispatch was completed (unix ms).
    pub completed_at: Option<i64>,
    /// When it was closed or cancelled.
    pub closed_at: Option<i64>,
    /// Who closed or cancelled it (display name).
    pub closed_by_name: String,
    /// Resolution notes (or why it was cancelled).
    pub resolution: String,
    /// The engineer of the latest dispatch not cancelled (display name, empty if none).
    pub engineer_name: String,
}

impl Ticket {
    /// Whether the SLA is breached at `now`: completed after the deadline, or still open (not
    /// completed, not closed or cancelled) past it.
    pub fn sla_breached(&self, now: i64) -> bool {
        sla_breached(self.office_status, self.sla_due_at, self.completed_at, now)
    }
}

/// The SLA rule shared by the list, the board and the statistics.
pub fn sla_breached(
    office_status: TicketStatus,
    sla_due_at: i64,
    completed_at: Option<i64>,
    now: i64,
) -> bool {
    match completed_at {
        Some(done) => done > sla_due_at,
        None => office_status == TicketStatus::Open && now > sla_due_at,
    }
}

fn select_tickets() -> String {
    format!(
        "SELECT t.id, t.number, t.customer_id, c.name AS customer_name, c.territory_id, c.owner_id, \
         t.contact_name, t.contact_phone, t.ticket_type, t.priority, t.description, t.product_id, \
         t.serial, t.sla_due_at, t.status AS office_status, {EFFECTIVE_STATUS} AS status, t.created_by, \
         cu.display_name AS created_by_name, t.created_at, {COMPLETED_AT} AS completed_at, t.closed_at, \
         xu.display_name AS closed_by_name, t.resolution, {LAST_ENGINEER} AS engineer_name \
         FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id \
         LEFT JOIN users cu ON cu.id = t.created_by LEFT JOIN users xu ON xu.id = t.closed_by"
    )
}

fn parse_id<T>(
    table: &'static str,
    s: Option<String>,
    parse: impl Fn(&str) -> Result<T, fieldcrm_core::ids::InvalidId>,
) -> Result<Option<T>, DbError> {
    s.filter(|s| !s.is_empty())
        .map(|s| parse(&s).map_err(|e| DbError::corrupt(table, e)))
        .transpose()
}

fn parse_enum<T>(
    table: &'static str,
    s: String,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, DbError> {
    parse(&s).ok_or_else(|| DbError::corrupt(table, format!("unknown value {s:?}")))
}

fn ticket_from_row(r: &AnyRow) -> Result<Ticket, DbError> {
    let text = |col: &str| -> Result<String, DbError> {
        Ok(r.try_get::<Option<String>, _>(col)?.unwrap_or_default())
    };
    Ok(Ticket {
        id: TicketId::parse(&text("id")?).map_err(|e| DbError::corrupt("tickets", e))?,
        number: text("number")?,
        customer: CustomerId::parse(&text("customer_id")?)
            .map_err(|e| DbError::corrupt("tickets", e))?,
        customer_name: text("customer_name")?,
        territory: parse_id("customers", r.try_get("territory_id")?, TerritoryId::parse)?,
        owner: parse_id("customers", r.try_get("owner_id")?, UserId::parse)?,
        contact_name: text("contact_name")?,
        contact_phone: text("contact_phone")?,
        ticket_type: parse_enum("tickets", text("ticket_type")?, TicketType::parse)?,
        priority: parse_enum("tickets", text("priority")?, Priority::parse)?,
        description: text("description")?,
        product: parse_id("tickets", r.try_get("product_id")?, ProductId::parse)?,
        serial: text("serial")?,
        sla_due_at: r.try_get("sla_due_at")?,
        office_status: parse_enum("tickets", text("office_status")?, TicketStatus::parse)?,
        status: parse_enum("tickets", text("status")?, TicketStatus::parse)?,
        created_by: parse_id("tickets", r.try_get("created_by")?, UserId::parse)?,
        created_by_name: text("created_by_name")?,
        created_at: r.try_get("created_at")?,
        completed_at: r.try_get("completed_at")?,
        closed_at: r.try_get("closed_at")?,
        closed_by_name: text("closed_by_name")?,
        resolution: text("resolution")?,
        engineer_name: text("engineer_name")?,
    })
}

/// What a new ticket holds (the number and status are the server's).
#[derive(Clone, Debug)]
pub struct NewTicket {
    /// Its id.
    pub id: TicketId,
    /// The customer.
    pub customer: CustomerId,
    /// Whom to ask for.
    pub contact_name: String,
    /// Their phone.
    pub contact_phone: String,
    /// Type.
    pub ticket_type: TicketType,
    /// Priority.
    pub priority: Priority,
    /// What is wrong.
    pub description: String,
    /// The product concerned.
    pub product: Option<ProductId>,
    /// Its serial.
    pub serial: String,
    /// The SLA deadline (unix ms).
    pub sla_due_at: i64,
    /// Who creates it.
    pub created_by: Option<UserId>,
    /// When (unix ms; its local year picks the number series' year).
    pub created_at: i64,
}

/// The local calendar year of `ms`.
pub fn local_year(ms: i64) -> i64 {
    chrono::Local
        .timestamp_millis_opt(ms)
        .single()
        .map_or(1970, |t| i64::from(t.year()))
}

/// Draws the next number of `series` in `year` (1, 2, …) inside the caller's transaction: the
/// upsert locks the series' row until the transaction ends, so numbers are unique and gapless.
pub async fn next_number(
    conn: &mut AnyConnection,
    series: &str,
    year: i64,
) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO number_series (series, year, last) VALUES ($1, $2, 1) \
         ON CONFLICT (series, year) DO UPDATE SET last = number_series.last + 1 RETURNING last",
    )
    .bind(series)
    .bind(year)
    .fetch_one(&mut *conn)
    .await?)
}

/// `SR-2026-000001`.
pub fn format_number(series: &str, year: i64, n: i64) -> String {
    format!("{series}-{year}-{n:06}")
}

/// Inserts a ticket with the next number of its creation year; returns the number.
pub async fn create(db: &Db, t: &NewTicket) -> Result<String, DbError> {
    let mut tx = db.begin_write().await?;
    let year = local_year(t.created_at);
    let n = next_number(&mut tx, SERIES, year).await?;
    let number = format_number(SERIES, year, n);
    sqlx::query(
        "INSERT INTO tickets (id, number, customer_id, contact_name, contact_phone, ticket_type, priority, \
         description, product_id, serial, sla_due_at, status, created_by, created_at, updated_at, closed_at, \
         closed_by, resolution) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'open', $12, $13, $13, NULL, NULL, '')",
    )
    .bind(t.id.to_string())
    .bind(&number)
    .bind(t.customer.to_string())
    .bind(&t.contact_name)
    .bind(&t.contact_phone)
    .bind(t.ticket_type.as_str())
    .bind(t.priority.as_str())
    .bind(&t.description)
    .bind(t.product.map(|p| p.to_string()))
    .bind(&t.serial)
    .bind(t.sla_due_at)
    .bind(t.created_by.map(|u| u.to_string()))
    .bind(t.created_at)
    .execute(&mut *tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            DbError::NotFound(format!("customer {}", t.customer))
        }
        _ => DbError::unique(e, format!("ticket {number}")),
    })?;
    tx.commit().await?;
    Ok(number)
}

/// The ticket with this id.
pub async fn get(db: &Db, id: TicketId) -> Result<Option<Ticket>, DbError> {
    let row = sqlx::query(&format!("{} WHERE t.id = $1", select_tickets()))
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(ticket_from_row).transpose()
}

/// Closes an open ticket (`to` = `Closed`) or cancels it (`Cancelled`), recording who, when and
/// the note. `false` if it was not open any more (someone else was first).
pub async fn finish(
    db: &Db,
    id: TicketId,
    to: TicketStatus,
    by: Option<UserId>,
    note: &str,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE tickets SET status = $2, closed_at = $3, closed_by = $4, resolution = $5, updated_at = $3 \
         WHERE id = $1 AND status = 'open'",
    )
    .bind(id.to_string())
    .bind(to.as_str())
    .bind(now)
    .bind(by.map(|u| u.to_string()))
    .bind(note)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What the ticket list shows.
#[derive(Clone, Debug, Default)]
pub struct TicketFilter {
    /// Only this effective status.
    pub status: Option<TicketStatus>,
    /// Only this type.
    pub ticket_type: Option<TicketType>,
    /// Only this priority.
    pub priority: Option<Priority>,
    /// Only this customer.
    pub customer: Option<CustomerId>,
    /// Number, customer name or contact contains this (case-insensitive).
    pub query: Option<String>,
    /// Only tickets whose SLA is breached (at `now`).
    pub sla_breached: bool,
    /// Created at or after (unix ms).
    pub from: Option<i64>,
    /// Created before (unix ms).
    pub to: Option<i64>,
    /// Owners of the data scope (`None` = any).
    pub owners: Option<Vec<UserId>>,
    /// The time the SLA filter is evaluated at.
    pub now: i64,
}

fn conditions(scope: &ScopeTerritories, f: &TicketFilter) -> Cond {
    let mut c = Cond::new();
    Record::Ticket.restrict(&mut c, scope, f.owners.as_deref());
    if let Some(s) = f.status {
        c.push(
            |p| format!("({EFFECTIVE_STATUS}) = {p}"),
            Bind::Text(s.as_str().into()),
        );
    }
    if let Some(t) = f.ticket_type {
        c.push(
            |p| format!("t.ticket_type = {p}"),
            Bind::Text(t.as_str().into()),
        );
    }
    if let Some(p) = f.priority {
        c.push(
            |ph| format!("t.priority = {ph}"),
            Bind::Text(p.as_str().into()),
        );
    }
    if let Some(id) = f.customer {
        c.push(
            |p| format!("t.customer_id = {p}"),
            Bind::Text(id.to_string()),
        );
    }
    if let Some(q) = f.query.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = super::customers_query::like_pattern(&q.to_lowercase());
        let p1 = c.next();
        c.binds.push(Bind::Text(pattern));
        c.sql.push(format!(
            "(LOWER(t.number) LIKE {p1} ESCAPE '\\' OR LOWER(c.name) LIKE {p1} ESCAPE '\\' \
             OR LOWER(t.contact_name) LIKE {p1} ESCAPE '\\')"
        ));
    }
    if f.sla_breached {
        let now = c.next();
        c.binds.push(Bind::Int(f.now));
        c.sql.push(format!(
            "(({COMPLETED_AT}) > t.sla_due_at OR (({COMPLETED_AT}) IS NULL AND t.status = 'open' \
             AND t.sla_due_at < {now}))"
        ));
    }
    if let Some(from) = f.from {
        c.push(|p| format!("t.created_at >= {p}"), Bind::Int(from));
    }
    if let Some(to) = f.to {
        c.push(|p| format!("t.created_at < {p}"), Bind::Int(to));
    }
    c
}

/// The tickets in `scope` matching `filter`, newest first, one page, with the total count.
pub async fn list(
    db: &Db,
    scope: &ScopeTerritories,
    filter: &TicketFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Ticket>, i64), DbError> {
    let mut c = conditions(scope, filter);
    let where_clause = c.where_clause();
    let total: i64 = c
        .bind(sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id{where_clause}"
        )))
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    let lim = c.next();
    c.binds.push(Bind::Int(limit.clamp(1, 500)));
    let off = c.next();
    c.binds.push(Bind::Int(offset.max(0)));
    let sql = format!(
        "{}{where_clause} ORDER BY t.created_at DESC, t.id DESC LIMIT {lim} OFFSET {off}",
        select_tickets()
    );
    let rows = c.bind(sqlx::query(&sql)).fetch_all(db.pool()).await?;
    let tickets = rows.iter().map(ticket_from_row).collect::<Result<_, _>>()?;
    Ok((tickets, total))
}

/// The open tickets (no live dispatch, none completed) in `scope`, most urgent SLA first: the
/// dispatch board's left column.
pub async fn unassigned(
    db: &Db,
    scope: &ScopeTerritories,
    owners: Option<&[UserId]>,
    limit: i64,
) -> Result<Vec<Ticket>, DbError> {
    let mut c = Cond::new();
    Record::Ticket.restrict(&mut c, scope, owners);
    c.sql.push(format!("({EFFECTIVE_STATUS}) = 'open'"));
    let lim = c.next();
    c.binds.push(Bind::Int(limit.clamp(1, 1_000)));
    let sql = format!(
        "{}{} ORDER BY t.sla_due_at ASC, t.created_at ASC, t.id ASC LIMIT {lim}",
        select_tickets(),
        c.where_clause()
    );
    let rows = c.bind(sqlx::query(&sql)).fetch_all(db.pool()).await?;
    rows.iter().map(ticket_from_row).collect()
}

/// A dispatch as the back office lists it (from the `dispatches` projection).
#[derive(Clone, Debug, PartialEq)]
pub struct DispatchRow {
    /// The dispatch document.
    pub id: DispatchId,
    /// Its ticket.
    pub ticket: TicketId,
    /// The ticket's number.
    pub ticket_number: String,
    /// The customer's name.
    pub customer_name: String,
    /// The engineer.
    pub engineer: Option<UserId>,
    /// The engineer's display name.
    pub engineer_name: String,
    /// Dispatch status (`assigned`, …).
    pub status: String,
    /// Copy of the ticket's type.
    pub ticket_type: String,
    /// Copy of the ticket's priority.
    pub priority: String,
    /// When the engineer should be there.
    pub scheduled_at: Option<i64>,
    /// The SLA deadline.
    pub sla_due_at: Option<i64>,
    /// Check-in time.
    pub check_in_at: Option<i64>,
    /// Completion time.
    pub completed_at: Option<i64>,
    /// Survey score.
    pub survey_score: Option<i64>,
    /// Created (unix ms).
    pub created_at: i64,
}

const SELECT_DISPATCHES: &str = "SELECT d.id, d.ticket_id, t.number AS ticket_number, c.name AS customer_name, \
     d.engineer_id, u.display_name AS engineer_name, d.status, d.ticket_type, d.priority, d.scheduled_at, \
     d.sla_due_at, d.check_in_at, d.completed_at, d.survey_score, d.created_at \
     FROM dispatches d LEFT JOIN tickets t ON t.id = d.ticket_id \
     LEFT JOIN customers c ON c.id = d.customer_id LEFT JOIN users u ON u.id = d.engineer_id";

fn dispatch_from_row(r: &AnyRow) -> Result<DispatchRow, DbError> {
    let text = |col: &str| -> Result<String, DbError> {
        Ok(r.try_get::<Option<String>, _>(col)?.unwrap_or_default())
    };
    Ok(DispatchRow {
        id: DispatchId::parse(&text("id")?).map_err(|e| DbError::corrupt("dispatches", e))?,
        ticket: TicketId::parse(&text("ticket_id")?)
            .map_err(|e| DbError::corrupt("dispatches", e))?,
        ticket_number: text("ticket_number")?,
        customer_name: text("customer_name")?,
        engineer: parse_id("dispatches", r.try_get("engineer_id")?, UserId::parse)?,
        engineer_name: text("engineer_name")?,
        status: text("status")?,
        ticket_type: text("ticket_type")?,
        priority: text("priority")?,
        scheduled_at: r.try_get("scheduled_at")?,
        sla_due_at: r.try_get("sla_due_at")?,
        check_in_at: r.try_get("check_in_at")?,
        completed_at: r.try_get("completed_at")?,
        survey_score: r.try_get("survey_score")?,
        created_at: r.try_get("created_at")?,
    })
}

/// The dispatches of a ticket, oldest first.
pub async fn dispatches_of(db: &Db, ticket: TicketId) -> Result<Vec<DispatchRow>, DbError> {
    let rows = sqlx::query(&format!(
        "{SELECT_DISPATCHES} WHERE d.ticket_id = $1 ORDER BY d.created_at, d.id"
    ))
    .bind(ticket.to_string())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(dispatch_from_row).collect()
}

/// The dispatch with this id, from the projection.
pub async fn dispatch(db: &Db, id: DispatchId) -> Result<Option<DispatchRow>, DbError> {
    let row = sqlx::query(&format!("{SELECT_DISPATCHES} WHERE d.id = $1"))
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(dispatch_from_row).transpose()
}

/// The dispatches in `scope` scheduled in `[from, to)` (unix ms), not cancelled, by time: the
/// dispatch board's engineer columns.
pub async fn scheduled_between(
    db: &Db,
    scope: &ScopeTerritories,
    owners: Option<&[UserId]>,
    from: i64,
    to: i64,
) -> Result<Vec<DispatchRow>, DbError> {
    let mut c = Cond::new();
    c.scope("d.territory_id", scope);
    c.owners("c.owner_id", owners);
    c.push(|p| format!("d.scheduled_at >= {p}"), Bind::Int(from));
    c.push(|p| format!("d.scheduled_at < {p}"), Bind::Int(to));
    c.sql.push("d.status <> 'cancelled'".to_owned());
    let sql = format!(
        "{SELECT_DISPATCHES}{} ORDER BY d.scheduled_at, d.id",
        c.where_clause()
    );
    let rows = c.bind(sqlx::query(&sql)).fetch_all(db.pool()).await?;
    rows.iter().map(dispatch_from_row).collect()
}

/// A ticket as the statistics need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatTicket {
    /// Type.
    pub ticket_type: TicketType,
    /// What the office set.
    pub office_status: TicketStatus,
    /// Effective status.
    pub status: TicketStatus,
    /// Created (unix ms).
    pub created_at: i64,
    /// SLA deadline.
    pub sla_due_at: i64,
    /// First completion of a dispatch.
    pub completed_at: Option<i64>,
}

/// The tickets in `scope` created in `[from, to)`.
pub async fn stat_tickets(
    db: &Db,
    scope: &ScopeTerritories,
    owners: Option<&[UserId]>,
    from: i64,
    to: i64,
) -> Result<Vec<StatTicket>, DbError> {
    let mut c = Cond::new();
    Record::Ticket.restrict(&mut c, scope, owners);
    c.push(|p| format!("t.created_at >= {p}"), Bind::Int(from));
    c.push(|p| format!("t.created_at < {p}"), Bind::Int(to));
    let sql = format!(
        "SELECT t.ticket_type, t.status AS office_status, {EFFECTIVE_STATUS} AS status, t.created_at, \
         t.sla_due_at, {COMPLETED_AT} AS completed_at \
         FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id{} ORDER BY t.created_at",
        c.where_clause()
    );
    let rows = c.bind(sqlx::query(&sql)).fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| {
            Ok(StatTicket {
                ticket_type: parse_enum("tickets", r.try_get("ticket_type")?, TicketType::parse)?,
                office_status: parse_enum(
                    "tickets",
                    r.try_get("office_status")?,
                    TicketStatus::parse,
                )?,
                status: parse_enum("tickets", r.try_get("status")?, TicketStatus::parse)?,
                created_at: r.try_get("created_at")?,
                sla_due_at: r.try_get("sla_due_at")?,
                completed_at: r.try_get("completed_at")?,
            })
        })
        .collect()
}

/// One survey score given to an engineer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SurveyScore {
    /// The engineer.
    pub engineer: Option<UserId>,
    /// Their display name.
    pub engineer_name: String,
    /// 1–5.
    pub score: i64,
}

/// The survey scores of the dispatches of the tickets in `scope` created in `[from, to)`.
pub async fn survey_scores(
    db: &Db,
    scope: &ScopeTerritories,
    owners: Option<&[UserId]>,
    from: i64,
    to: i64,
) -> Result<Vec<SurveyScore>, DbError> {
    let mut c = Cond::new();
    Record::Ticket.restrict(&mut c, scope, owners);
    c.push(|p| format!("t.created_at >= {p}"), Bind::Int(from));
    c.push(|p| format!("t.created_at < {p}"), Bind::Int(to));
    c.sql.push("d.survey_score IS NOT NULL".to_owned());
    let sql = format!(
        "SELECT d.engineer_id, u.display_name AS engineer_name, d.survey_score \
         FROM dispatches d JOIN tickets t ON t.id = d.ticket_id \
         LEFT JOIN customers c ON c.id = t.customer_id LEFT JOIN users u ON u.id = d.engineer_id{} \
         ORDER BY d.id",
        c.where_clause()
    );
    let rows = c.bind(sqlx::query(&sql)).fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| {
            Ok(SurveyScore {
                engineer: parse_id("dispatches", r.try_get("engineer_id")?, UserId::parse)?,
                engineer_name: r
                    .try_get::<Option<String>, _>("engineer_name")?
                    .unwrap_or_default(),
                score: r.try_get("survey_score")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_and_sla_defaults() {
        for t in TicketType::ALL {
            assert_eq!(TicketType::parse(t.as_str()), Some(*t));
        }
        for s in TicketStatus::ALL {
            assert_eq!(TicketStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(Priority::parse("urgent"), Some(Priority::Urgent));
        assert_eq!(Priority::parse("asap"), None);
        let hours: Vec<i64> = Priority::ALL.iter().map(|p| p.sla_hours()).collect();
        assert_eq!(hours, [72, 24, 8, 4]);
        assert_eq!(
            Priority::Urgent.default_sla_due(1_000),
            1_000 + 4 * 3_600_000
        );
        assert_eq!(format_number("SR", 2026, 12), "SR-2026-000012");
    }

    #[test]
    fn sla_rule() {
        use TicketStatus::*;
        assert!(sla_breached(Open, 10, Some(11), 0));
        assert!(!sla_breached(Open, 10, Some(10), 100));
        assert!(sla_breached(Open, 10, None, 11));
        assert!(!sla_breached(Open, 10, None, 10));
        assert!(!sla_breached(Closed, 10, None, 11));
        assert!(!sla_breached(Cancelled, 10, None, 11));
        assert!(sla_breached(Closed, 10, Some(12), 0));
    }
}

//! `GET /visits`: visits in the user's scope, newest first, filtered by rep and date range,
//! paginated; htmx gets only the table.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{Local, NaiveDate, TimeZone};
use fieldcrm_core::UserId;
use serde::{Deserialize, Serialize};

use super::i18n::{Lang, Tr};
use super::session::WebUser;
use super::{Shell, WebError, fmt_ms, is_htmx, render};
use crate::auth::permissions::Permission;
use crate::db::customers_query::{self, VisitFilter};
use crate::db::{schema, territories};
use crate::startup::AppState;

/// The visit routes.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/visits", axum::routing::get(list))
}

/// Rows per page.
pub const PAGE_SIZE: i64 = 50;

/// Query string of the visit list.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct VisitQuery {
    /// Rep user id.
    #[serde(default)]
    pub rep: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    pub from: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    pub to: String,
    /// 1-based page.
    #[serde(default)]
    pub page: Option<i64>,
}

/// A visit row, formatted.
#[derive(Debug)]
pub struct Row {
    customer_id: String,
    customer: String,
    rep: String,
    check_in: String,
    check_out: String,
    purpose: String,
    outcome: String,
}

/// The table partial's data.
#[derive(Debug)]
pub struct TableData {
    rows: Vec<Row>,
    total: i64,
    page: i64,
    pages: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
}

#[derive(Template)]
#[template(path = "visits.html")]
struct Page {
    shell: Shell,
    tr: Tr,
    query: VisitQuery,
    reps: Vec<(String, String)>,
    t: TableData,
}

#[derive(Template)]
#[template(path = "visits_table.html")]
struct Partial {
    tr: Tr,
    t: TableData,
}

/// Local midnight of a `YYYY-MM-DD` date plus `days`, unix ms.
fn day_ms(s: &str, days: i64) -> Result<Option<i64>, WebError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| WebError::BadRequest("date".into()))?
        + chrono::Duration::days(days);
    Ok(d.and_hms_opt(0, 0, 0)
        .and_then(|t| Local.from_local_datetime(&t).earliest())
        .map(|t| t.timestamp_millis()))
}

fn url(q: &VisitQuery, page: i64) -> String {
    let mut q = q.clone();
    q.page = Some(page);
    format!(
        "/visits?{}",
        serde_urlencoded::to_string(&q).unwrap_or_default()
    )
}

/// `GET /visits`.
pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    Query(query): Query<VisitQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::VisitsView)?;
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let rep = match query.rep.trim() {
        "" => None,
        r => Some(UserId::parse(r).map_err(|_| WebError::BadRequest("rep".into()))?),
    };
    let page = query.page.unwrap_or(1).clamp(1, 1_000_000);
    let (rows, total) = customers_query::visits(
        &state.db,
        &scope,
        &VisitFilter {
            customer: None,
            rep,
            from: day_ms(&query.from, 0)?,
            to: day_ms(&query.to, 1)?,
            offset: (page - 1) * PAGE_SIZE,
            limit: PAGE_SIZE,
        },
    )
    .await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    // Purposes are dictionary codes: show their labels.
    let reference = schema::reference(&state.db).await?;
    let english = user.lang == Lang::En;
    let t = TableData {
        rows: rows
            .into_iter()
            .map(|v| Row {
                customer_id: v.customer_id,
                customer: v.customer_name,
                rep: v.rep,
                check_in: fmt_ms(v.check_in_at),
                check_out: fmt_ms(v.check_out_at),
                purpose: reference
                    .label(fieldcrm_core::schema::VISIT_PURPOSE, &v.purpose, english)
                    .to_owned(),
                outcome: v.outcome,
            })
            .collect(),
        total,
        page,
        pages,
        prev_url: (page > 1).then(|| url(&query, page - 1)),
        next_url: (page < pages).then(|| url(&query, page + 1)),
    };
    let tr = Tr(user.lang);
    if is_htmx(&headers) && !headers.contains_key("hx-history-restore-request") {
        return render(&Partial { tr, t });
    }
    render(&Page {
        shell: Shell::new(&user, "visits"),
        tr,
        reps: customers_query::visit_reps(&state.db, &scope).await?,
        query,
        t,
    })
}

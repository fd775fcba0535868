//! The order list (`GET /orders`) and its export (`GET /orders/export`).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use fieldcrm_core::UserId;
use fieldcrm_core::domain::OrderStatus;
use serde::{Deserialize, Serialize};

use super::{fmt_money, status_key, statuses};
use crate::auth::permissions::Permission;
use crate::db::audit::{self, AuditEntry};
use crate::db::orders::{self, OrderFilter, OrderRow};
use crate::db::territories::{self, ScopeTerritories};
use crate::startup::AppState;
use crate::web::customer_export::xlsx_bytes;
use crate::web::i18n::Tr;
use crate::web::session::WebUser;
use crate::web::visits::day_ms;
use crate::web::{Shell, WebError, fmt_ms, is_htmx, render};

/// Rows per page.
pub const PAGE_SIZE: i64 = 50;
/// At most this many rows are exported.
pub const MAX_EXPORT_ROWS: i64 = 200_000;

/// Query string of the list (and of the export).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct OrderQuery {
    /// Status (`OrderStatus::as_str`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status: String,
    /// Customer name or code.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub customer: String,
    /// Rep user id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub rep: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub from: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to: String,
    /// Order number contains.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub number: String,
    /// 1-based page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<i64>,
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.chars().take(100).collect())
}

impl OrderQuery {
    /// The storage filter (without the data scope, paging).
    fn filter(&self) -> Result<OrderFilter, WebError> {
        let status = match self.status.trim() {
            "" => None,
            s => Some(
                OrderStatus::ALL
                    .iter()
                    .find(|x| x.as_str() == s)
                    .ok_or_else(|| WebError::BadRequest("status".into()))?
                    .as_str()
                    .to_owned(),
            ),
        };
        let rep = match self.rep.trim() {
            "" => None,
            r => Some(UserId::parse(r).map_err(|_| WebError::BadRequest("rep".into()))?),
        };
        Ok(OrderFilter {
            status,
            customer: non_empty(&self.customer),
            rep,
            from: day_ms(&self.from, 0)?,
            to: day_ms(&self.to, 1)?,
            number: non_empty(&self.number),
            ..OrderFilter::default()
        })
    }

    fn url(&self, page: i64) -> String {
        let mut q = self.clone();
        q.page = Some(page);
        format!(
            "/orders?{}",
            serde_urlencoded::to_string(&q).unwrap_or_default()
        )
    }

    fn export_url(&self) -> String {
        let mut q = self.clone();
        q.page = None;
        let qs = serde_urlencoded::to_string(&q).unwrap_or_default();
        if qs.is_empty() {
            "/orders/export".to_owned()
        } else {
            format!("/orders/export?{qs}")
        }
    }
}

/// An order row, formatted.
#[derive(Debug)]
pub struct Row {
    id: String,
    number: String,
    status: &'static str,
    status_value: String,
    customer_id: String,
    customer: String,
    customer_code: String,
    rep: String,
    created: String,
    lines: i64,
    total: String,
    paid: String,
    receivable: String,
}

fn row(tr: Tr, r: &OrderRow) -> Row {
    Row {
        id: r.id.to_string(),
        number: r
            .number
            .clone()
            .unwrap_or_else(|| tr.t("ord.unnumbered").to_owned()),
        status: tr.t(status_key(&r.status)),
        status_value: r.status.clone(),
        customer_id: r.customer_id.clone(),
        customer: r.customer_name.clone(),
        customer_code: r.customer_code.clone(),
        rep: r.rep_name.clone(),
        created: fmt_ms(Some(r.created_at)),
        lines: r.line_count,
        total: fmt_money(r.total),
        paid: fmt_money(r.paid),
        receivable: fmt_money(r.receivable()),
    }
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
    export_url: String,
}

#[derive(Template)]
#[template(path = "orders.html")]
struct Page {
    shell: Shell,
    tr: Tr,
    query: OrderQuery,
    statuses: Vec<(&'static str, &'static str)>,
    reps: Vec<(String, String)>,
    can_create: bool,
    t: TableData,
}

#[derive(Template)]
#[template(path = "orders_table.html")]
struct Partial {
    tr: Tr,
    t: TableData,
}

async fn scope_and_filter(
    state: &AppState,
    user: &WebUser,
    query: &OrderQuery,
) -> Result<(ScopeTerritories, OrderFilter), WebError> {
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let mut filter = query.filter()?;
    filter.owners = user.owner_restriction(&state.db).await?;
    Ok((scope, filter))
}

/// `GET /orders`.
pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    Query(query): Query<OrderQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::OrdersView)?;
    let (scope, mut filter) = scope_and_filter(&state, &user, &query).await?;
    let page = query.page.unwrap_or(1).clamp(1, 1_000_000);
    filter.offset = (page - 1) * PAGE_SIZE;
    filter.limit = PAGE_SIZE;
    let (rows, total) = orders::list(&state.db, &scope, &filter).await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let tr = Tr(user.lang);
    let t = TableData {
        rows: rows.iter().map(|r| row(tr, r)).collect(),
        total,
        page,
        pages,
        prev_url: (page > 1).then(|| query.url(page - 1)),
        next_url: (page < pages).then(|| query.url(page + 1)),
        export_url: query.export_url(),
    };
    if is_htmx(&headers) && !headers.contains_key("hx-history-restore-request") {
        return render(&Partial { tr, t });
    }
    render(&Page {
        shell: Shell::new(&user, "orders"),
        tr,
        statuses: statuses(),
        reps: orders::reps(&state.db, &scope, filter.owners.as_deref()).await?,
        can_create: user.can(Permission::OrdersManage),
        query,
        t,
    })
}

/// `GET /orders/export?<list filters>`: every matching order as .xlsx.
pub async fn export(
    State(state): State<AppState>,
    user: WebUser,
    Query(query): Query<OrderQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::OrdersView)?;
    let (scope, mut filter) = scope_and_filter(&state, &user, &query).await?;
    let tr = Tr(user.lang);
    let mut rows: Vec<Vec<String>> = Vec::new();
    filter.limit = orders::MAX_PAGE;
    loop {
        let (page, _) = orders::list(&state.db, &scope, &filter).await?;
        let n = i64::try_from(page.len()).unwrap_or(0);
        for r in &page {
            rows.push(vec![
                r.number.clone().unwrap_or_default(),
                tr.t(status_key(&r.status)).to_owned(),
                r.customer_code.clone(),
                r.customer_name.clone(),
                r.rep_name.clone(),
                fmt_ms(Some(r.created_at)),
                r.line_count.to_string(),
                r.currency.clone(),
                fmt_money(r.total),
                fmt_money(r.paid),
                fmt_money(r.receivable()),
            ]);
        }
        filter.offset += n;
        if n < orders::MAX_PAGE || filter.offset >= MAX_EXPORT_ROWS {
            break;
        }
    }
    let header: Vec<String> = [
        "ord.number",
        "ord.status",
        "ord.code",
        "ord.customer",
        "ord.rep",
        "ord.created",
        "ord.line_count",
        "ord.currency",
        "ord.total",
        "ord.paid",
        "ord.receivable",
    ]
    .iter()
    .map(|k| tr.t(k).to_owned())
    .collect();
    let count = rows.len();
    let sheet = tr.t("ord.title").to_owned();
    let bytes = tokio::task::spawn_blocking(move || {
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        xlsx_bytes(&sheet, &header, &rows)
    })
    .await
    .map_err(|e| WebError::Internal(e.to_string()))??;
    let mut entry = AuditEntry::new("web.order.export");
    entry.user_id = Some(user.user_id);
    entry.kind = Some("order".to_owned());
    entry.verdict = Some("ok".to_owned());
    entry.detail = serde_json::json!({
        "format": "xlsx",
        "filter": serde_urlencoded::to_string(&query).unwrap_or_default(),
        "rows": count,
    });
    if let Err(e) = audit::record(&state.db, &entry).await {
        tracing::error!(error = %e, "cannot write audit entry");
    }
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M");
    Ok((
        [
            (
                CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"orders-{stamp}.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

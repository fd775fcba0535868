//! Tickets: `GET /service/tickets` (filters: status, type, priority, customer, SLA breached,
//! created range, text; newest first; htmx gets only the table), `GET /service/tickets/new` (find
//! the customer, then the form with its contacts), `POST /service/tickets` (create),
//! `GET /service/tickets/{id}` (the card: the ticket, its dispatches with work log, parts, photos,
//! signature, survey and status history, and the office's forms), close and cancel.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use fieldcrm_core::attachment::Sha256Hex;
use fieldcrm_core::domain::{Customer, Dispatch, DispatchStatus};
use fieldcrm_core::{CustomerId, TicketId};
use serde::{Deserialize, Serialize};

use super::super::i18n::Tr;
use super::super::session::WebUser;
use super::super::{Shell, WebError, fmt_ms, is_htmx, render};
use super::{
    Opt, SlaBadge, date_time_of, dispatch_status_label, enum_opts, failed, parse_date,
    priority_key, see_other, sla_badge, status_key, type_key,
};
use crate::auth::permissions::Permission;
use crate::db::customer_list::{self, CustomerFilter};
use crate::db::tickets::{
    self as db_tickets, Priority, Ticket, TicketFilter, TicketStatus, TicketType,
};
use crate::db::{attachments, now_ms, projections, territories, users};
use crate::dispatching::{self, TicketInput};
use crate::startup::AppState;
use crate::sync::write;

/// Rows per page.
pub const PAGE_SIZE: i64 = 50;

/// Query string of the ticket list.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct TicketQuery {
    /// Text (number, customer, contact).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub q: String,
    /// Effective status.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status: String,
    /// Type.
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub ticket_type: String,
    /// Priority.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub priority: String,
    /// Customer id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub customer: String,
    /// `1`: SLA breached only.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sla: String,
    /// Created on or after (YYYY-MM-DD).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub from: String,
    /// Created on or before (YYYY-MM-DD).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to: String,
    /// 1-based page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<i64>,
}

impl TicketQuery {
    /// The database filter (400 for values that do not parse).
    pub fn filter(&self, now: i64) -> Result<TicketFilter, WebError> {
        fn pick<T>(
            s: &str,
            parse: impl Fn(&str) -> Option<T>,
            what: &str,
        ) -> Result<Option<T>, WebError> {
            match s.trim() {
                "" => Ok(None),
                v => parse(v)
                    .map(Some)
                    .ok_or_else(|| WebError::BadRequest(what.into())),
            }
        }
        let day = |s: &str, plus: i64| -> Result<Option<i64>, WebError> {
            match s.trim() {
                "" => Ok(None),
                v => parse_date(v)
                    .map(|d| d + chrono::Duration::days(plus))
                    .and_then(super::day_start)
                    .map(Some)
                    .ok_or_else(|| WebError::BadRequest("date".into())),
            }
        };
        Ok(TicketFilter {
            status: pick(&self.status, TicketStatus::parse, "status")?,
            ticket_type: pick(&self.ticket_type, TicketType::parse, "type")?,
            priority: pick(&self.priority, Priority::parse, "priority")?,
            customer: pick(&self.customer, |s| CustomerId::parse(s).ok(), "customer")?,
            query: Some(self.q.trim().chars().take(100).collect()),
            sla_breached: self.sla == "1",
            from: day(&self.from, 0)?,
            to: day(&self.to, 1)?,
            owners: None,
            now,
        })
    }

    fn url(&self, page: i64) -> String {
        let mut q = self.clone();
        q.page = (page > 1).then_some(page);
        let qs = serde_urlencoded::to_string(&q).unwrap_or_default();
        if qs.is_empty() {
            "/service/tickets".to_owned()
        } else {
            format!("/service/tickets?{qs}")
        }
    }
}

/// A ticket row, formatted.
#[derive(Debug)]
pub struct Row {
    id: String,
    number: String,
    created: String,
    customer_id: String,
    customer: String,
    ticket_type: &'static str,
    priority: &'static str,
    priority_class: &'static str,
    status: &'static str,
    status_class: &'static str,
    engineer: String,
    sla: SlaBadge,
}

fn priority_class(p: Priority) -> &'static str {
    match p {
        Priority::Urgent | Priority::High => "off",
        Priority::Normal | Priority::Low => "",
    }
}

fn status_class(s: TicketStatus) -> &'static str {
    match s {
        TicketStatus::Open => "warn",
        TicketStatus::Dispatched => "running",
        TicketStatus::Completed => "on",
        TicketStatus::Closed | TicketStatus::Cancelled => "",
    }
}

fn row(tr: Tr, t: &Ticket, now: i64) -> Row {
    Row {
        id: t.id.to_string(),
        number: t.number.clone(),
        created: fmt_ms(Some(t.created_at)),
        customer_id: t.customer.to_string(),
        customer: t.customer_name.clone(),
        ticket_type: tr.t(type_key(t.ticket_type)),
        priority: tr.t(priority_key(t.priority)),
        priority_class: priority_class(t.priority),
        status: tr.t(status_key(t.status)),
        status_class: status_class(t.status),
        engineer: t.engineer_name.clone(),
        sla: sla_badge(t.office_status, Some(t.sla_due_at), t.completed_at, now),
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
}

#[derive(Template)]
#[template(path = "service/tickets.html")]
struct ListPage {
    shell: Shell,
    tr: Tr,
    query: TicketQuery,
    statuses: Vec<Opt>,
    types: Vec<Opt>,
    priorities: Vec<Opt>,
    customer_name: String,
    can_dispatch: bool,
    t: TableData,
}

#[derive(Template)]
#[template(path = "service/tickets_table.html")]
struct TablePartial {
    tr: Tr,
    t: TableData,
}

/// `GET /service/tickets`.
pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    Query(query): Query<TicketQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::ServiceView)?;
    let now = now_ms();
    let mut filter = query.filter(now)?;
    filter.owners = user.owner_restriction(&state.db).await?;
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let page = query.page.unwrap_or(1).clamp(1, 1_000_000);
    let (tickets, total) = db_tickets::list(
        &state.db,
        &scope,
        &filter,
        (page - 1) * PAGE_SIZE,
        PAGE_SIZE,
    )
    .await?;
    let tr = Tr(user.lang);
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let t = TableData {
        rows: tickets.iter().map(|t| row(tr, t, now)).collect(),
        total,
        page,
        pages,
        prev_url: (page > 1).then(|| query.url(page - 1)),
        next_url: (page < pages).then(|| query.url(page + 1)),
    };
    if is_htmx(&headers) && !headers.contains_key("hx-history-restore-request") {
        return render(&TablePartial { tr, t });
    }
    let customer_name = match filter.customer {
        Some(c) => scoped_customer(&state, &user, c)
            .await?
            .map(|c| c.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    render(&ListPage {
        shell: Shell::new(&user, "service"),
        tr,
        statuses: enum_opts(
            tr,
            TicketStatus::ALL,
            TicketStatus::as_str,
            status_key,
            &query.status,
        ),
        types: enum_opts(
            tr,
            TicketType::ALL,
            TicketType::as_str,
            type_key,
            &query.ticket_type,
        ),
        priorities: enum_opts(
            tr,
            Priority::ALL,
            Priority::as_str,
            priority_key,
            &query.priority,
        ),
        customer_name,
        can_dispatch: user.can(Permission::ServiceDispatch),
        query,
        t,
    })
}

/// Query string of the new-ticket form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewQuery {
    /// Customer search text.
    q: String,
    /// The chosen customer.
    customer: String,
}

/// A customer found by the search.
#[derive(Debug)]
pub struct Found {
    id: String,
    code: String,
    name: String,
    city: String,
    phone: String,
}

/// A contact of the chosen customer.
#[derive(Debug)]
pub struct ContactOpt {
    id: String,
    name: String,
    phone: String,
    selected: bool,
}

/// The new-ticket form's values (kept when it comes back with errors).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct TicketForm {
    customer: String,
    contact: String,
    contact_name: String,
    contact_phone: String,
    #[serde(rename = "type")]
    ticket_type: String,
    priority: String,
    description: String,
    product: String,
    serial: String,
    sla_due: String,
}

#[derive(Template)]
#[template(path = "service/ticket_new.html")]
struct NewPage {
    shell: Shell,
    tr: Tr,
    q: String,
    found: Vec<Found>,
    searched: bool,
    customer: Option<(String, String)>,
    contacts: Vec<ContactOpt>,
    types: Vec<Opt>,
    priorities: Vec<Opt>,
    form: TicketForm,
    errors: Vec<&'static str>,
}

/// The customer, if the user sees it ([`crate::web::scope`]).
async fn scoped_customer(
    state: &AppState,
    user: &WebUser,
    id: CustomerId,
) -> Result<Option<Customer>, WebError> {
    if !crate::web::scope::sees_customer(state, user, id.into()).await? {
        return Ok(None);
    }
    let customer: Customer =
        serde_json::from_value(write::load_record(&state.db, id.into()).await?)
            .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(Some(customer))
}

async fn new_page(
    state: &AppState,
    user: &WebUser,
    q: String,
    customer: Option<(CustomerId, Customer)>,
    form: TicketForm,
    errors: Vec<&'static str>,
) -> Result<Response, WebError> {
    let tr = Tr(user.lang);
    let mut found = Vec::new();
    let searched = !q.trim().is_empty() && customer.is_none();
    if searched {
        let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
        let page = customer_list::list(
            &state.db,
            &scope,
            &CustomerFilter {
                query: Some(q.trim().chars().take(100).collect()),
                owner_in: user.owner_restriction(&state.db).await?,
                ..CustomerFilter::default()
            },
            None,
            20,
        )
        .await?;
        found = page
            .rows
            .into_iter()
            .map(|r| Found {
                id: r.id.to_string(),
                code: r.code,
                name: r.name,
                city: r.city,
                phone: r.phone,
            })
            .collect();
    }
    let contacts = match &customer {
        Some((_, c)) => {
            let chosen = if form.contact.is_empty() {
                c.primary_contact().map(|k| k.id.to_string())
            } else {
                Some(form.contact.clone())
            };
            c.contacts
                .iter()
                .map(|k| ContactOpt {
                    id: k.id.to_string(),
                    name: k.name.clone(),
                    phone: k.phones.first().cloned().unwrap_or_default(),
                    selected: chosen.as_deref() == Some(k.id.to_string().as_str()),
                })
                .collect()
        }
        None => Vec::new(),
    };
    let priority = if form.priority.is_empty() {
        Priority::Normal.as_str().to_owned()
    } else {
        form.priority.clone()
    };
    let mut response = render(&NewPage {
        shell: Shell::new(user, "service"),
        tr,
        q,
        found,
        searched,
        customer: customer.map(|(id, c)| (id.to_string(), c.name)),
        contacts,
        types: enum_opts(
            tr,
            TicketType::ALL,
            TicketType::as_str,
            type_key,
            &form.ticket_type,
        ),
        priorities: enum_opts(tr, Priority::ALL, Priority::as_str, priority_key, &priority),
        form,
        errors: errors.clone(),
    })?;
    if !errors.is_empty() {
        *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// `GET /service/tickets/new?q=…&customer=…`.
pub async fn new_form(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<NewQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::ServiceDispatch)?;
    let customer = match q.customer.trim() {
        "" => None,
        s => {
            let id = CustomerId::parse(s).map_err(|_| WebError::NotFound)?;
            let c = scoped_customer(&state, &user, id)
                .await?
                .ok_or(WebError::NotFound)?;
            Some((id, c))
        }
    };
    new_page(
        &state,
        &user,
        q.q,
        customer,
        TicketForm::default(),
        Vec::new(),
    )
    .await
}

/// `POST /service/tickets`: creates the ticket, then shows its card.
pub async fn create(
    State(state): State<AppState>,
    user: WebUser,
    axum::Form(form): axum::Form<TicketForm>,
) -> Result<Response, WebError> {
    user.require(Permission::ServiceDispatch)?;
    let id =
        CustomerId::parse(&form.customer).map_err(|_| WebError::BadRequest("customer".into()))?;
    let customer = scoped_customer(&state, &user, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let mut errors = Vec::new();
    let ticket_type = TicketType::parse(&form.ticket_type);
    if ticket_type.is_none() {
        errors.push("svc.type");
    }
    let priority = Priority::parse(&form.priority);
    if priority.is_none() {
        errors.push("svc.priority");
    }
    if form.description.trim().is_empty() {
        errors.push("svc.description");
    }
    let product = match form.product.trim() {
        "" => None,
        p => {
            let found = dispatching::find_product(&state.db, p).await?;
            if found.is_none() {
                errors.push("svc.product");
            }
            found
        }
    };
    let sla_due_at = match form.sla_due.trim() {
        "" => None,
        s => match chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M") {
            Ok(t) => super::local_ms(t.date(), t.time()),
            Err(_) => {
                errors.push("svc.sla_due");
                None
            }
        },
    };
    // The chosen contact fills what was left empty.
    let contact = customer
        .contacts
        .iter()
        .find(|k| k.id.to_string() == form.contact);
    let contact_name = match (form.contact_name.trim(), contact) {
        ("", Some(k)) => k.name.clone(),
        (n, _) => n.to_owned(),
    };
    let contact_phone = match (form.contact_phone.trim(), contact) {
        ("", Some(k)) => k.phones.first().cloned().unwrap_or_default(),
        (p, _) => p.to_owned(),
    };
    let (Some(ticket_type), Some(priority), true) = (ticket_type, priority, errors.is_empty())
    else {
        return new_page(
            &state,
            &user,
            String::new(),
            Some((id, customer)),
            form,
            errors,
        )
        .await;
    };
    let input = TicketInput {
        customer: id,
        contact_name,
        contact_phone,
        ticket_type,
        priority,
        description: form.description.clone(),
        product,
        serial: form.serial.clone(),
        sla_due_at,
        created_by: Some(user.user_id),
        now: now_ms(),
    };
    match dispatching::create_ticket(&state.db, &input).await {
        Ok(t) => Ok(see_other(&format!("/service/tickets/{}", t.id))),
        Err(e) => failed(&user, e, "/service/tickets/new".into()),
    }
}

/// A check-in, formatted.
#[derive(Debug)]
pub struct PointView {
    at: String,
    position: String,
}

/// A photo (or the signature) of a dispatch.
#[derive(Debug)]
pub struct PhotoView {
    sha256: String,
    caption: String,
    stored: bool,
}

/// A part used.
#[derive(Debug)]
pub struct PartView {
    product: String,
    quantity: String,
    serials: String,
}

/// A status log entry.
#[derive(Debug)]
pub struct LogView {
    status: String,
    at: String,
    who: String,
}

/// A dispatch on the ticket card.
#[derive(Debug)]
pub struct DispatchView {
    id: String,
    engineer_id: String,
    engineer: String,
    status: String,
    status_code: String,
    scheduled: String,
    date: String,
    time: String,
    site: String,
    check_in: Option<PointView>,
    completed: String,
    work_log: Vec<(String, String)>,
    parts: Vec<PartView>,
    photos: Vec<PhotoView>,
    signature: Option<PhotoView>,
    unable_reason: String,
    survey: Option<(i64, String, String)>,
    /// The office may still reassign / reschedule / cancel it.
    live: bool,
    can_reassign: bool,
    can_survey: bool,
    log: Vec<LogView>,
}

/// The ticket card's data.
#[derive(Debug)]
pub struct CardView {
    id: String,
    number: String,
    customer_id: String,
    customer: String,
    contact_name: String,
    contact_phone: String,
    ticket_type: &'static str,
    priority: &'static str,
    status: &'static str,
    status_class: &'static str,
    description: String,
    product: String,
    serial: String,
    sla: SlaBadge,
    created: String,
    created_by: String,
    completed: String,
    closed: String,
    closed_by: String,
    resolution: String,
    is_final: bool,
    can_dispatch_now: bool,
    can_cancel: bool,
}

#[derive(Template)]
#[template(path = "service/ticket.html")]
struct CardPage {
    shell: Shell,
    tr: Tr,
    v: CardView,
    dispatches: Vec<DispatchView>,
    engineers: Vec<(String, String)>,
    can_act: bool,
    today: String,
}

fn photo_view(p: &fieldcrm_core::domain::PhotoRef, stored: &[String]) -> Option<PhotoView> {
    let sha = Sha256Hex::parse(&p.sha256).ok()?;
    Some(PhotoView {
        stored: stored.iter().any(|s| s == sha.as_str()),
        sha256: sha.to_string(),
        caption: p.caption.clone(),
    })
}

async fn dispatch_view(
    state: &AppState,
    tr: Tr,
    row: &db_tickets::DispatchRow,
    names: &mut std::collections::HashMap<fieldcrm_core::UserId, String>,
) -> Result<DispatchView, WebError> {
    let d: Dispatch = serde_json::from_value(write::load_record(&state.db, row.id.into()).await?)
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let mut shas: Vec<String> = d
        .photos
        .iter()
        .map(|p| p.sha256.to_ascii_lowercase())
        .collect();
    shas.extend(d.signature.iter().map(|p| p.sha256.to_ascii_lowercase()));
    let stored = attachments::stored_among(&state.db, &shas).await?;
    let mut log = Vec::new();
    for e in projections::status_log(&state.db, row.id.into()).await? {
        let who = match e.user {
            Some(u) => match names.get(&u) {
                Some(n) => n.clone(),
                None => {
                    let n = users::get(&state.db, u)
                        .await?
                        .map_or_else(|| u.to_string(), |x| x.display_name);
                    names.insert(u, n.clone());
                    n
                }
            },
            None => tr.t("hist.server").to_owned(),
        };
        log.push(LogView {
            status: dispatch_status_label(tr, &e.status),
            at: fmt_ms(Some(e.at)),
            who,
        });
    }
    let (date, time) = d.scheduled_at.map(date_time_of).unwrap_or_default();
    let mut parts = Vec::with_capacity(d.parts.len());
    for p in &d.parts {
        parts.push(PartView {
            product: match p.product {
                Some(id) => dispatching::product_label(&state.db, id).await?,
                None => String::new(),
            },
            quantity: format!("{}", p.quantity),
            serials: p.serials.join(", "),
        });
    }
    Ok(DispatchView {
        id: row.id.to_string(),
        engineer_id: d.engineer.map(|e| e.to_string()).unwrap_or_default(),
        engineer: row.engineer_name.clone(),
        status: dispatch_status_label(tr, d.status.as_str()),
        status_code: d.status.as_str().to_owned(),
        scheduled: fmt_ms(d.scheduled_at),
        date,
        time,
        site: [
            d.site.address.as_str(),
            &d.site.contact_name,
            &d.site.contact_phone,
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" · "),
        check_in: d.check_in.as_ref().map(|c| PointView {
            at: fmt_ms(Some(c.at)),
            position: c
                .geo
                .map(|g| format!("{:.6}, {:.6}", g.lat, g.lon))
                .unwrap_or_default(),
        }),
        completed: fmt_ms(d.completed_at),
        work_log: d
            .work_log
            .iter()
            .map(|e| (fmt_ms((e.at > 0).then_some(e.at)), e.text.clone()))
            .collect(),
        parts,
        photos: d
            .photos
            .iter()
            .filter_map(|p| photo_view(p, &stored))
            .collect(),
        signature: d.signature.as_ref().and_then(|p| photo_view(p, &stored)),
        unable_reason: d.unable_reason.clone(),
        survey: d
            .survey
            .as_ref()
            .map(|s| (s.score, s.comment.clone(), fmt_ms(Some(s.at)))),
        live: !d.status.is_final(),
        can_reassign: matches!(
            d.status,
            DispatchStatus::Assigned
                | DispatchStatus::Accepted
                | DispatchStatus::EnRoute
                | DispatchStatus::Unable
        ),
        can_survey: d.status == DispatchStatus::Completed,
        log,
    })
}

/// `GET /service/tickets/{id}`: the ticket card (404 outside the user's scope).
pub async fn card(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::ServiceView)?;
    let id = TicketId::parse(&id).map_err(|_| WebError::NotFound)?;
    let t = crate::web::scope::ticket(&state, &user, id).await?;
    let tr = Tr(user.lang);
    let now = now_ms();
    let mut names = std::collections::HashMap::new();
    let mut dispatches = Vec::new();
    for row in db_tickets::dispatches_of(&state.db, t.id).await? {
        dispatches.push(dispatch_view(&state, tr, &row, &mut names).await?);
    }
    let can_act = user.can(Permission::ServiceDispatch);
    let engineers = dispatching::engineers(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id.to_string(), u.display_name))
        .collect();
    let v = CardView {
        id: t.id.to_string(),
        number: t.number.clone(),
        customer_id: t.customer.to_string(),
        customer: t.customer_name.clone(),
        contact_name: t.contact_name.clone(),
        contact_phone: t.contact_phone.clone(),
        ticket_type: tr.t(type_key(t.ticket_type)),
        priority: tr.t(priority_key(t.priority)),
        status: tr.t(status_key(t.status)),
        status_class: status_class(t.status),
        description: t.description.clone(),
        product: match t.product {
            Some(p) => dispatching::product_label(&state.db, p).await?,
            None => String::new(),
        },
        serial: t.serial.clone(),
        sla: sla_badge(t.office_status, Some(t.sla_due_at), t.completed_at, now),
        created: fmt_ms(Some(t.created_at)),
        created_by: t.created_by_name.clone(),
        completed: fmt_ms(t.completed_at),
        closed: fmt_ms(t.closed_at),
        closed_by: t.closed_by_name.clone(),
        resolution: t.resolution.clone(),
        is_final: t.status.is_final(),
        can_dispatch_now: matches!(t.status, TicketStatus::Open | TicketStatus::Completed),
        can_cancel: matches!(t.status, TicketStatus::Open | TicketStatus::Dispatched),
    };
    render(&CardPage {
        shell: Shell::new(&user, "service"),
        tr,
        v,
        dispatches,
        engineers,
        can_act,
        today: super::today().format("%Y-%m-%d").to_string(),
    })
}

/// The close / cancel form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoteForm {
    /// Resolution notes (close) or the reason (cancel).
    note: String,
}

/// `POST /service/tickets/{id}/close`.
pub async fn close(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<NoteForm>,
) -> Result<Response, WebError> {
    user.require(Permission::ServiceDispatch)?;
    let id = TicketId::parse(&id).map_err(|_| WebError::NotFound)?;
    let t = crate::web::scope::ticket(&state, &user, id).await?;
    let card = format!("/service/tickets/{id}");
    match dispatching::close_ticket(&state.db, &t, &form.note, Some(user.user_id), now_ms()).await {
        Ok(()) => Ok(see_other(&card)),
        Err(e) => failed(&user, e, card),
    }
}

/// `POST /service/tickets/{id}/cancel`: cancels the ticket and its live dispatches.
pub async fn cancel(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<NoteForm>,
) -> Result<Response, WebError> {
    user.require(Permission::ServiceDispatch)?;
    let id = TicketId::parse(&id).map_err(|_| WebError::NotFound)?;
    let t = crate::web::scope::ticket(&state, &user, id).await?;
    let card = format!("/service/tickets/{id}");
    let result = dispatching::cancel_ticket(
        &state.db,
        &state.hub,
        &t,
        &form.note,
        user.role,
        Some(user.user_id),
        now_ms(),
    )
    .await;
    match result {
        Ok(()) => Ok(see_other(&card)),
        Err(e) => failed(&user, e, card),
    }
}

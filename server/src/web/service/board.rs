//! The dispatch board, `GET /service/board?date=YYYY-MM-DD`: on the left the unassigned (open)
//! tickets, most urgent SLA first; then one column per enabled engineer with that day's
//! dispatches (time, customer, type, status, SLA badge). Every card carries a plain form — assign
//! (engineer + time) for a ticket, move (engineer, date, time) for a dispatch — so the board works
//! without JavaScript; `app.js` adds drag and drop, which fills the same form's engineer and posts
//! it with `fetch`. `POST /service/board/assign` dispatches a ticket from the board.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use chrono::Duration;
use fieldcrm_core::{TicketId, UserId};
use serde::Deserialize;

use super::super::i18n::Tr;
use super::super::session::WebUser;
use super::super::{Shell, WebError, render};
use super::dispatches::DispatchForm;
use super::{
    SlaBadge, copy_label, date_time_of, dispatch_status_label, failed, local_path, parse_date,
    priority_key, see_other, sla_badge, today, type_key,
};
use crate::auth::permissions::Permission;
use crate::db::tickets::{self as db_tickets, TicketStatus};
use crate::db::{now_ms, territories, users};
use crate::dispatching;
use crate::startup::AppState;

/// At most this many unassigned tickets are shown.
pub const MAX_UNASSIGNED: i64 = 200;

/// Query string of the board.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BoardQuery {
    /// `YYYY-MM-DD` (default today).
    pub date: String,
}

/// An unassigned ticket's card.
#[derive(Debug)]
pub struct TicketCard {
    id: String,
    number: String,
    customer: String,
    ticket_type: &'static str,
    priority: &'static str,
    urgent: bool,
    sla: SlaBadge,
}

/// A dispatch's card.
#[derive(Debug)]
pub struct DispatchCard {
    id: String,
    ticket_id: String,
    number: String,
    customer: String,
    time: String,
    ticket_type: String,
    status: String,
    status_code: String,
    sla: SlaBadge,
    movable: bool,
}

/// An engineer's column.
#[derive(Debug)]
pub struct Column {
    id: String,
    name: String,
    cards: Vec<DispatchCard>,
}

#[derive(Template)]
#[template(path = "service/board.html")]
struct BoardPage {
    shell: Shell,
    tr: Tr,
    date: String,
    prev: String,
    next: String,
    back: String,
    unassigned: Vec<TicketCard>,
    columns: Vec<Column>,
    engineers: Vec<(String, String)>,
    can_act: bool,
}

/// `GET /service/board?date=…`.
pub async fn page(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<BoardQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::ServiceView)?;
    let date = match q.date.trim() {
        "" => today(),
        s => parse_date(s).ok_or_else(|| WebError::BadRequest("date".into()))?,
    };
    let from = super::day_start(date).ok_or_else(|| WebError::BadRequest("date".into()))?;
    let to = super::day_start(date + Duration::days(1))
        .ok_or_else(|| WebError::BadRequest("date".into()))?;
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let owners = user.owner_restriction(&state.db).await?;
    let tr = Tr(user.lang);
    let now = now_ms();
    let unassigned = db_tickets::unassigned(&state.db, &scope, owners.as_deref(), MAX_UNASSIGNED)
        .await?
        .into_iter()
        .map(|t| TicketCard {
            id: t.id.to_string(),
            number: t.number.clone(),
            customer: t.customer_name.clone(),
            ticket_type: tr.t(type_key(t.ticket_type)),
            priority: tr.t(priority_key(t.priority)),
            urgent: matches!(
                t.priority,
                db_tickets::Priority::Urgent | db_tickets::Priority::High
            ),
            sla: sla_badge(t.office_status, Some(t.sla_due_at), t.completed_at, now),
        })
        .collect();
    let engineers = dispatching::engineers(&state.db).await?;
    let mut columns: Vec<Column> = engineers
        .iter()
        .map(|u| Column {
            id: u.id.to_string(),
            name: u.display_name.clone(),
            cards: Vec::new(),
        })
        .collect();
    let mut index: BTreeMap<String, usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.clone(), i))
        .collect();
    for d in db_tickets::scheduled_between(&state.db, &scope, owners.as_deref(), from, to).await? {
        let engineer = d.engineer.map(|e| e.to_string()).unwrap_or_default();
        // A disabled engineer's dispatches still show, in a column of their own.
        let at = match index.get(&engineer) {
            Some(i) => *i,
            None => {
                let name = match d.engineer {
                    Some(e) => engineer_name(&state, e).await?,
                    None => String::new(),
                };
                columns.push(Column {
                    id: engineer.clone(),
                    name,
                    cards: Vec::new(),
                });
                index.insert(engineer, columns.len() - 1);
                columns.len() - 1
            }
        };
        let done = d.status == "completed";
        let office_status = if done || d.status == "cancelled" {
            TicketStatus::Closed
        } else {
            TicketStatus::Open
        };
        let card = DispatchCard {
            id: d.id.to_string(),
            ticket_id: d.ticket.to_string(),
            number: d.ticket_number.clone(),
            customer: d.customer_name.clone(),
            time: d
                .scheduled_at
                .map(|t| date_time_of(t).1)
                .unwrap_or_default(),
            ticket_type: copy_label(tr, &d.ticket_type),
            status: dispatch_status_label(tr, &d.status),
            status_code: d.status.clone(),
            sla: sla_badge(
                office_status,
                d.sla_due_at,
                if done { d.completed_at } else { None },
                now,
            ),
            movable: matches!(
                d.status.as_str(),
                "assigned" | "accepted" | "en_route" | "unable"
            ),
        };
        if let Some(c) = columns.get_mut(at) {
            c.cards.push(card);
        }
    }
    let day = date.format("%Y-%m-%d").to_string();
    render(&BoardPage {
        shell: Shell::new(&user, "service"),
        tr,
        back: format!("/service/board?date={day}"),
        prev: (date - Duration::days(1)).format("%Y-%m-%d").to_string(),
        next: (date + Duration::days(1)).format("%Y-%m-%d").to_string(),
        date: day,
        unassigned,
        columns,
        engineers: engineers
            .into_iter()
            .map(|u| (u.id.to_string(), u.display_name))
            .collect(),
        can_act: user.can(Permission::ServiceDispatch),
    })
}

async fn engineer_name(state: &AppState, id: UserId) -> Result<String, WebError> {
    Ok(users::get(&state.db, id)
        .await?
        .map_or_else(|| id.to_string(), |u| u.display_name))
}

/// The board's assign form: the ticket and a [`DispatchForm`].
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AssignForm {
    /// The ticket.
    ticket: String,
    #[serde(flatten)]
    dispatch: DispatchForm,
}

/// `POST /service/board/assign`: dispatches an unassigned ticket, back to the board.
pub async fn assign(
    State(state): State<AppState>,
    user: WebUser,
    axum::Form(form): axum::Form<AssignForm>,
) -> Result<Response, WebError> {
    user.require(Permission::ServiceDispatch)?;
    let id = TicketId::parse(&form.ticket).map_err(|_| WebError::BadRequest("ticket".into()))?;
    let ticket = crate::web::scope::ticket(&state, &user, id).await?;
    let d = &form.dispatch;
    let back = local_path(&d.back, format!("/service/board?date={}", d.date.trim()));
    let engineer = d.engineer()?;
    let when = d
        .when()?
        .ok_or_else(|| WebError::BadRequest("time".into()))?;
    match dispatching::dispatch_ticket(
        &state.db,
        &state.hub,
        &ticket,
        engineer,
        when,
        Some(user.user_id),
    )
    .await
    {
        Ok(_) => Ok(see_other(&back)),
        Err(e) => failed(&user, e, back),
    }
}

//! The office's steps on dispatches, posted from the ticket card and the dispatch board:
//! `POST /service/tickets/{id}/dispatch` (engineer, date, time), and on
//! `/service/dispatches/{id}/…`: `reassign` (engineer, optionally date and time), `reschedule`
//! (date, time), `cancel`, `survey` (score, comment). Each answers 303 to the form's `back` (a
//! local path) or the ticket card; a refused step answers 409 saying why.

use axum::extract::{Path, State};
use axum::response::Response;
use fieldcrm_core::{TicketId, UserId};
use serde::Deserialize;

use super::super::WebError;
use super::super::session::WebUser;
use super::{failed, form_time, local_path, see_other};
use crate::auth::permissions::Permission;
use crate::db::now_ms;
use crate::dispatching;
use crate::startup::AppState;

/// A dispatch form: who, when, where to go back to.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DispatchForm {
    /// Engineer (user id).
    pub engineer: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM`.
    pub time: String,
    /// Where to go afterwards (a local path).
    pub back: String,
}

impl DispatchForm {
    /// The engineer (400 if it is not an id).
    pub fn engineer(&self) -> Result<UserId, WebError> {
        UserId::parse(&self.engineer).map_err(|_| WebError::BadRequest("engineer".into()))
    }

    /// The time, if date and time are given (400 if they do not parse).
    pub fn when(&self) -> Result<Option<i64>, WebError> {
        if self.date.trim().is_empty() && self.time.trim().is_empty() {
            return Ok(None);
        }
        form_time(&self.date, &self.time).map(Some)
    }
}

/// `POST /service/tickets/{id}/dispatch`: a new dispatch for the ticket.
pub async fn create(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<DispatchForm>,
) -> Result<Response, WebError> {
    user.require(Permission::ServiceDispatch)?;
    let id = TicketId::parse(&id).map_err(|_| WebError::NotFound)?;
    let ticket = crate::web::scope::ticket(&state, &user, id).await?;
    let back = local_path(&form.back, format!("/service/tickets/{id}"));
    let engineer = form.engineer()?;
    let when = form
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

/// `POST /service/dispatches/{id}/reassign`: another engineer (and optionally another time); the
/// same engineer with a new time only reschedules.
pub async fn reassign(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<DispatchForm>,
) -> Result<Response, WebError> {
    user.require(Permission::ServiceDispatch)?;
    let (row, ticket) = crate::web::scope::dispatch(&state, &user, &id).await?;
    let back = local_path(&form.back, format!("/service/tickets/{}", ticket.id));
    let engineer = form.engineer()?;
    let when = form.when()?;
    let result = if row.engineer == Some(engineer) && row.status != "unable" {
        match when {
            Some(at) => {
                dispatching::reschedule(&state.db, &state.hub, row.id, at, Some(user.user_id)).await
            }
            None => Ok(None),
        }
    } else {
        dispatching::reassign(
            &state.db,
            &state.hub,
            row.id,
            engineer,
            when,
            user.role,
            Some(user.user_id),
        )
        .await
    };
    match result {
        Ok(_) => Ok(see_other(&back)),
        Err(e) => failed(&user, e, back),
    }
}

/// `POST /service/dispatches/{id}/reschedule`.
pub async fn reschedule(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<DispatchForm>,
) -> Result<Response, WebError> {
    user.require(Permission::ServiceDispatch)?;
    let (row, ticket) = crate::web::scope::dispatch(&state, &user, &id).await?;
    let back = local_path(&form.back, format!("/service/tickets/{}", ticket.id));
    let when = form
        .when()?
        .ok_or_else(|| WebError::BadRequest("time".into()))?;
    match dispatching::reschedule(&state.db, &state.hub, row.id, when, Some(user.user_id)).await {
        Ok(_) => Ok(see_other(&back)),
        Err(e) => failed(&user, e, back),
    }
}

/// A form with only a way back.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BackForm {
    /// Where to go afterwards (a local path).
    pub back: String,
}

/// `POST /service/dispatches/{id}/cancel`.
pub async fn cancel(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<BackForm>,
) -> Result<Response, WebError> {
    user.require(Permission::ServiceDispatch)?;
    let (row, ticket) = crate::web::scope::dispatch(&state, &user, &id).await?;
    let back = local_path(&form.back, format!("/service/tickets/{}", ticket.id));
    match dispatching::cancel_dispatch(&state.db, &state.hub, row.id, user.role, Some(user.user_id))
        .await
    {
        Ok(_) => Ok(see_other(&back)),
        Err(e) => failed(&user, e, back),
    }
}

/// The survey form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SurveyForm {
    /// 1–5.
    pub score: String,
    /// The customer's words.
    pub comment: String,
}

/// `POST /service/dispatches/{id}/survey`: the office records the call-back's survey.
pub async fn survey(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<SurveyForm>,
) -> Result<Response, WebError> {
    user.require(Permission::ServiceDispatch)?;
    let (row, ticket) = crate::web::scope::dispatch(&state, &user, &id).await?;
    let back = format!("/service/tickets/{}", ticket.id);
    let score: i64 = form
        .score
        .trim()
        .parse()
        .map_err(|_| WebError::BadRequest("score".into()))?;
    let result = dispatching::record_survey(
        &state.db,
        &state.hub,
        row.id,
        score,
        &form.comment,
        now_ms(),
        Some(user.user_id),
    )
    .await;
    match result {
        Ok(_) => Ok(see_other(&back)),
        Err(e) => failed(&user, e, back),
    }
}

//! Service statistics, `GET /service/stats?from=&to=` (default: the last 30 days) and its .xlsx
//! export: for the tickets (in the user's data scope) created in the range — counts by type and
//! status, how many were completed and the mean time from creation to the first completed
//! dispatch, SLA breaches (completed after the deadline; still open past it), and the satisfaction
//! surveys by engineer (mean score, count). Computed in Rust from plain rows, so both databases
//! give the same numbers.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use super::super::customer_export::xlsx_bytes;
use super::super::i18n::Tr;
use super::super::session::WebUser;
use super::super::{Shell, WebError, render};
use super::{parse_date, status_key, today, type_key};
use crate::auth::permissions::Permission;
use crate::db::audit::{self, AuditEntry};
use crate::db::tickets::{self as db_tickets, StatTicket, SurveyScore, TicketStatus, TicketType};
use crate::db::{now_ms, territories};
use crate::startup::AppState;

/// The figures of a range.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stats {
    /// Per type (in [`TicketType::ALL`] order): the count per status (in [`TicketStatus::ALL`]
    /// order) and the row total.
    pub by_type: Vec<(TicketType, Vec<i64>, i64)>,
    /// Per status: the column totals.
    pub status_totals: Vec<i64>,
    /// Every ticket.
    pub total: i64,
    /// Tickets with a completed dispatch.
    pub completed: i64,
    /// Mean time from creation to the first completed dispatch (ms), if any completed.
    pub mean_complete_ms: Option<i64>,
    /// Completed after the SLA deadline.
    pub breached_late: i64,
    /// Not completed, still open, past the deadline (at `now`).
    pub breached_open: i64,
    /// Per engineer (by name): mean score and count.
    pub satisfaction: Vec<(String, f64, i64)>,
}

/// Computes the figures.
pub fn compute(tickets: &[StatTicket], surveys: &[SurveyScore], now: i64) -> Stats {
    let statuses = TicketStatus::ALL;
    let mut by_type = Vec::new();
    let mut status_totals = vec![0i64; statuses.len()];
    for t in TicketType::ALL {
        let mut counts = vec![0i64; statuses.len()];
        for x in tickets.iter().filter(|x| x.ticket_type == *t) {
            if let Some(i) = statuses.iter().position(|s| *s == x.status) {
                counts[i] += 1;
                status_totals[i] += 1;
            }
        }
        let total = counts.iter().sum();
        by_type.push((*t, counts, total));
    }
    let durations: Vec<i64> = tickets
        .iter()
        .filter_map(|t| t.completed_at.map(|c| c - t.created_at))
        .collect();
    let completed = i64::try_from(durations.len()).unwrap_or(i64::MAX);
    let mean_complete_ms = (completed > 0).then(|| {
        let sum: i128 = durations.iter().map(|d| i128::from(*d)).sum();
        i64::try_from(sum / i128::from(completed)).unwrap_or(i64::MAX)
    });
    let breached_late = tickets
        .iter()
        .filter(|t| t.completed_at.is_some_and(|c| c > t.sla_due_at))
        .count();
    let breached_open = tickets
        .iter()
        .filter(|t| {
            t.completed_at.is_none()
                && db_tickets::sla_breached(t.office_status, t.sla_due_at, None, now)
        })
        .count();
    let mut per: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for s in surveys {
        let key = (
            s.engineer_name.clone(),
            s.engineer.map(|e| e.to_string()).unwrap_or_default(),
        );
        let e = per.entry(key).or_default();
        e.0 += s.score;
        e.1 += 1;
    }
    let satisfaction = per
        .into_iter()
        .map(|((name, _), (sum, n))| (name, sum as f64 / n as f64, n))
        .collect();
    Stats {
        by_type,
        status_totals,
        total: i64::try_from(tickets.len()).unwrap_or(i64::MAX),
        completed,
        mean_complete_ms,
        breached_late: i64::try_from(breached_late).unwrap_or(i64::MAX),
        breached_open: i64::try_from(breached_open).unwrap_or(i64::MAX),
        satisfaction,
    }
}

/// Hours with one decimal (`26.5`).
pub fn fmt_hours(ms: i64) -> String {
    format!("{:.1}", ms as f64 / 3_600_000.0)
}

/// Query string of the statistics and the export.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StatsQuery {
    /// First day (`YYYY-MM-DD`).
    pub from: String,
    /// Last day, inclusive.
    pub to: String,
}

impl StatsQuery {
    /// The days asked for (default: the last 30 days up to today).
    fn days(&self) -> Result<(NaiveDate, NaiveDate), WebError> {
        let to = match self.to.trim() {
            "" => today(),
            s => parse_date(s).ok_or_else(|| WebError::BadRequest("to".into()))?,
        };
        let from = match self.from.trim() {
            "" => to - Duration::days(29),
            s => parse_date(s).ok_or_else(|| WebError::BadRequest("from".into()))?,
        };
        Ok((from, to))
    }
}

async fn load(
    state: &AppState,
    user: &WebUser,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Stats, WebError> {
    let bad = || WebError::BadRequest("date".into());
    let start = super::day_start(from).ok_or_else(bad)?;
    let end = super::day_start(to + Duration::days(1)).ok_or_else(bad)?;
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let owners = user.owner_restriction(&state.db).await?;
    let tickets =
        db_tickets::stat_tickets(&state.db, &scope, owners.as_deref(), start, end).await?;
    let surveys =
        db_tickets::survey_scores(&state.db, &scope, owners.as_deref(), start, end).await?;
    Ok(compute(&tickets, &surveys, now_ms()))
}

/// A row of the type × status table.
#[derive(Debug)]
pub struct TypeRow {
    label: &'static str,
    counts: Vec<i64>,
    total: i64,
}

#[derive(Template)]
#[template(path = "service/stats.html")]
struct StatsPage {
    shell: Shell,
    tr: Tr,
    from: String,
    to: String,
    status_labels: Vec<&'static str>,
    rows: Vec<TypeRow>,
    status_totals: Vec<i64>,
    total: i64,
    completed: i64,
    mean_hours: String,
    breached_late: i64,
    breached_open: i64,
    satisfaction: Vec<(String, String, i64)>,
}

/// `GET /service/stats`.
pub async fn page(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<StatsQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::ServiceView)?;
    let (from, to) = q.days()?;
    let s = load(&state, &user, from, to).await?;
    let tr = Tr(user.lang);
    render(&StatsPage {
        shell: Shell::new(&user, "service"),
        tr,
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
        status_labels: TicketStatus::ALL
            .iter()
            .map(|s| tr.t(status_key(*s)))
            .collect(),
        rows: s
            .by_type
            .iter()
            .map(|(t, counts, total)| TypeRow {
                label: tr.t(type_key(*t)),
                counts: counts.clone(),
                total: *total,
            })
            .collect(),
        status_totals: s.status_totals.clone(),
        total: s.total,
        completed: s.completed,
        mean_hours: s.mean_complete_ms.map(fmt_hours).unwrap_or_default(),
        breached_late: s.breached_late,
        breached_open: s.breached_open,
        satisfaction: s
            .satisfaction
            .iter()
            .map(|(name, mean, n)| (name.clone(), format!("{mean:.2}"), *n))
            .collect(),
    })
}

/// The spreadsheet rows of the figures (first row: the header).
pub fn sheet_rows(tr: Tr, s: &Stats, from: &str, to: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut header = vec![tr.t("svc.type").to_owned()];
    header.extend(
        TicketStatus::ALL
            .iter()
            .map(|x| tr.t(status_key(*x)).to_owned()),
    );
    header.push(tr.t("svc.total").to_owned());
    rows.push(header);
    for (t, counts, total) in &s.by_type {
        let mut r = vec![tr.t(type_key(*t)).to_owned()];
        r.extend(counts.iter().map(ToString::to_string));
        r.push(total.to_string());
        rows.push(r);
    }
    let mut totals = vec![tr.t("svc.total").to_owned()];
    totals.extend(s.status_totals.iter().map(ToString::to_string));
    totals.push(s.total.to_string());
    rows.push(totals);
    rows.push(Vec::new());
    rows.push(vec![tr.t("svc.from").to_owned(), from.to_owned()]);
    rows.push(vec![tr.t("svc.to").to_owned(), to.to_owned()]);
    rows.push(vec![
        tr.t("svc.completed_count").to_owned(),
        s.completed.to_string(),
    ]);
    rows.push(vec![
        tr.t("svc.mean_complete").to_owned(),
        s.mean_complete_ms.map(fmt_hours).unwrap_or_default(),
    ]);
    rows.push(vec![
        tr.t("svc.breached_late").to_owned(),
        s.breached_late.to_string(),
    ]);
    rows.push(vec![
        tr.t("svc.breached_open").to_owned(),
        s.breached_open.to_string(),
    ]);
    rows.push(Vec::new());
    rows.push(vec![
        tr.t("svc.engineer").to_owned(),
        tr.t("svc.mean_score").to_owned(),
        tr.t("svc.surveys").to_owned(),
    ]);
    for (name, mean, n) in &s.satisfaction {
        rows.push(vec![name.clone(), format!("{mean:.2}"), n.to_string()]);
    }
    rows
}

/// `GET /service/stats/export?from=&to=`: the figures as .xlsx (cells formula-escaped).
pub async fn export(
    State(state): State<AppState>,
    user: WebUser,
    Query(q): Query<StatsQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::ServiceView)?;
    let (from, to) = q.days()?;
    let s = load(&state, &user, from, to).await?;
    let tr = Tr(user.lang);
    let (from, to) = (
        from.format("%Y-%m-%d").to_string(),
        to.format("%Y-%m-%d").to_string(),
    );
    let mut rows = sheet_rows(tr, &s, &from, &to);
    let header: Vec<String> = if rows.is_empty() {
        Vec::new()
    } else {
        rows.remove(0)
    };
    let sheet = tr.t("svc.stats").to_owned();
    let bytes = tokio::task::spawn_blocking(move || {
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        xlsx_bytes(&sheet, &header, &rows)
    })
    .await
    .map_err(|e| WebError::Internal(e.to_string()))??;
    let mut entry = AuditEntry::new("web.service.stats_export");
    entry.user_id = Some(user.user_id);
    entry.verdict = Some("ok".to_owned());
    entry.detail = serde_json::json!({ "from": from, "to": to });
    if let Err(e) = audit::record(&state.db, &entry).await {
        tracing::error!(error = %e, "cannot write audit entry");
    }
    Ok((
        [
            (
                CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"service-{from}-{to}.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldcrm_core::UserId;

    fn t(
        ticket_type: TicketType,
        status: TicketStatus,
        created_at: i64,
        sla_due_at: i64,
        completed_at: Option<i64>,
    ) -> StatTicket {
        let office_status = match status {
            TicketStatus::Closed | TicketStatus::Cancelled => status,
            _ => TicketStatus::Open,
        };
        StatTicket {
            ticket_type,
            office_status,
            status,
            created_at,
            sla_due_at,
            completed_at,
        }
    }

    #[test]
    fn figures() {
        let h = 3_600_000;
        let tickets = [
            t(
                TicketType::Repair,
                TicketStatus::Completed,
                0,
                4 * h,
                Some(2 * h),
            ),
            t(
                TicketType::Repair,
                TicketStatus::Closed,
                0,
                4 * h,
                Some(6 * h),
            ),
            t(TicketType::Repair, TicketStatus::Open, 0, 4 * h, None),
            t(
                TicketType::Complaint,
                TicketStatus::Cancelled,
                0,
                4 * h,
                None,
            ),
            t(
                TicketType::Installation,
                TicketStatus::Dispatched,
                0,
                100 * h,
                None,
            ),
        ];
        let a = UserId::new();
        let surveys = [
            SurveyScore {
                engineer: Some(a),
                engineer_name: "A".into(),
                score: 5,
            },
            SurveyScore {
                engineer: Some(a),
                engineer_name: "A".into(),
                score: 4,
            },
            SurveyScore {
                engineer: None,
                engineer_name: "B".into(),
                score: 2,
            },
        ];
        let s = compute(&tickets, &surveys, 10 * h);
        assert_eq!(s.total, 5);
        assert_eq!(s.by_type[0], (TicketType::Repair, vec![1, 0, 1, 1, 0], 3));
        assert_eq!(s.status_totals, vec![1, 1, 1, 1, 1]);
        assert_eq!(s.completed, 2);
        assert_eq!(s.mean_complete_ms, Some(4 * h));
        assert_eq!((s.breached_late, s.breached_open), (1, 1));
        assert_eq!(
            s.satisfaction,
            vec![("A".to_owned(), 4.5, 2), ("B".to_owned(), 2.0, 1)]
        );
        assert_eq!(fmt_hours(4 * h + h / 2), "4.5");
        let rows = sheet_rows(Tr(super::super::super::i18n::Lang::En), &s, "a", "b");
        assert_eq!(rows[0][0], "Type");
        assert_eq!(rows[1], ["Repair", "1", "0", "1", "1", "0", "3"]);
        assert_eq!(compute(&[], &[], 0).mean_complete_ms, None);
    }
}

//! `GET /`: the dashboard — customers by territory and tier, visits this week, top reps by
//! visits over the last 30 days, all inside the user's data scope (territories, and the owners
//! of the role's data scope: customers by owner, visits by rep).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{Datelike, Local, TimeZone};

use super::session::WebUser;
use super::{Shell, WebError, render};
use crate::db::customers_query::{self, RepCount};
use crate::db::territories;
use crate::startup::AppState;

/// One territory's row of the territory × tier table.
#[derive(Debug)]
pub struct GridRow {
    territory: String,
    counts: Vec<i64>,
    total: i64,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    shell: Shell,
    customers_total: i64,
    visits_week: i64,
    tiers: Vec<String>,
    grid: Vec<GridRow>,
    top_reps: Vec<RepCount>,
}

/// Unix ms of this week's Monday 00:00, local time.
pub fn week_start_ms() -> i64 {
    let now = Local::now();
    let monday =
        now.date_naive() - chrono::Duration::days(i64::from(now.weekday().num_days_from_monday()));
    monday
        .and_hms_opt(0, 0, 0)
        .and_then(|t| Local.from_local_datetime(&t).earliest())
        .map_or(now.timestamp_millis(), |t| t.timestamp_millis())
}

/// `GET /`.
pub async fn page(State(state): State<AppState>, user: WebUser) -> Result<Response, WebError> {
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let owners = user.owner_restriction(&state.db).await?;
    let owners = owners.as_deref();
    let counts = customers_query::customers_by_territory_tier(&state.db, &scope, owners).await?;
    let tiers: Vec<String> = counts
        .iter()
        .map(|c| c.tier.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut by_territory: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for c in &counts {
        let row = by_territory
            .entry(c.territory.clone())
            .or_insert_with(|| vec![0; tiers.len()]);
        if let Some(i) = tiers.iter().position(|t| *t == c.tier) {
            row[i] += c.count;
        }
    }
    let grid: Vec<GridRow> = by_territory
        .into_iter()
        .map(|(territory, counts)| GridRow {
            territory: if territory.is_empty() {
                "—".to_owned()
            } else {
                territory
            },
            total: counts.iter().sum(),
            counts,
        })
        .collect();
    let customers_total = grid.iter().map(|r| r.total).sum();
    let visits_week =
        customers_query::visits_since(&state.db, &scope, owners, week_start_ms()).await?;
    let month_ago = crate::db::now_ms() - 30 * 24 * 3600 * 1000;
    let top_reps = customers_query::top_reps(&state.db, &scope, owners, month_ago, 10).await?;
    render(&DashboardPage {
        shell: Shell::new(&user, "dashboard"),
        customers_total,
        visits_week,
        tiers,
        grid,
        top_reps,
    })
}

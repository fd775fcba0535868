//! Administration pages of this increment: the login log (`GET /admin/logins`), admin only.

use std::collections::HashMap;

use crate::auth::permissions::Permission;
use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::i18n::Tr;
use super::session::WebUser;
use super::{Shell, WebError, fmt_ms, render};
use crate::db::audit::{self, AuditFilter};
use crate::db::users;
use crate::startup::AppState;

/// The administration routes.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/admin/logins", axum::routing::get(logins))
}

/// A login log row.
#[derive(Debug)]
pub struct Row {
    when: String,
    user: String,
    action: String,
    verdict: String,
}

#[derive(Template)]
#[template(path = "logins.html")]
struct Page {
    shell: Shell,
    tr: Tr,
    rows: Vec<Row>,
}

/// `GET /admin/logins`: the last 200 sign-ins and sign-outs (web and devices). Admin only.
pub async fn logins(State(state): State<AppState>, user: WebUser) -> Result<Response, WebError> {
    user.require(Permission::AuditView)?;
    let names: HashMap<_, _> = users::list(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let mut rows = Vec::new();
    for action in ["web.login", "web.logout", "auth.login"] {
        let records = audit::list(
            &state.db,
            &AuditFilter {
                action: Some(action.to_owned()),
                limit: 200,
                ..AuditFilter::default()
            },
        )
        .await?;
        rows.extend(records.into_iter().map(|r| {
            let user = r
                .entry
                .user_id
                .and_then(|u| names.get(&u).cloned())
                .or_else(|| r.entry.detail["username"].as_str().map(str::to_owned))
                .unwrap_or_default();
            (
                r.at,
                Row {
                    when: fmt_ms(Some(r.at)),
                    user,
                    action: r.entry.action,
                    verdict: r.entry.verdict.unwrap_or_default(),
                },
            )
        }));
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    rows.truncate(200);
    render(&Page {
        shell: Shell::new(&user, "logins"),
        tr: Tr(user.lang),
        rows: rows.into_iter().map(|(_, r)| r).collect(),
    })
}

//! Reassigning customers' territory and owner: one customer from its card, or many from the
//! list — the ticked rows, or every row matching the list's filter — after a confirmation that
//! shows how many. Each customer goes through the document write path
//! (`write::server_update`; a territory change is a move), so devices that lose a customer are
//! sent a revoke and devices that gain it receive it; each write is audited
//! (`web.customer.reassign`), and a bulk run adds one summary entry (`web.customer.bulk_reassign`).
//! Needs `Permission::CustomersReassign`; the target territory must be inside the user's scope.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use fieldcrm_core::schema::Reference;
use fieldcrm_core::{DocId, TerritoryId, UserId};
use serde_json::{Value, json};

use super::customer_list::{ListQuery, possible_owners};
use super::i18n::Tr;
use super::session::WebUser;
use super::{Shell, WebError, render};
use crate::auth::permissions::Permission;
use crate::db::audit::{self, AuditEntry};
use crate::db::customer_list::{self, Cursor, Direction};
use crate::db::territories::{self, ScopeTerritories};
use crate::startup::AppState;
use crate::sync::write;

/// The reassignment routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::post;
    axum::Router::new()
        .route("/customers/reassign", post(bulk))
        .route("/customers/{id}/reassign", post(single))
}

/// At most this many customers are reassigned at once.
pub const MAX_BULK: usize = 10_000;

/// What a reassignment changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// The new territory, if it changes.
    pub territory: Option<TerritoryId>,
    /// The new owner (`Some(None)` clears it), if it changes.
    pub owner: Option<Option<UserId>>,
}

impl Target {
    fn is_empty(&self) -> bool {
        self.territory.is_none() && self.owner.is_none()
    }

    fn apply(&self, v: &mut Value) {
        if let Some(t) = self.territory {
            v["territory"] = json!(t.to_string());
        }
        if let Some(o) = self.owner {
            v["owner"] = o.map_or(Value::Null, |o| json!(o.to_string()));
        }
    }

    fn audit_json(&self) -> Value {
        json!({
            "territory": self.territory.map(|t| t.to_string()),
            "owner": self.owner.map(|o| o.map(|o| o.to_string())),
        })
    }
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.trim())
}

/// Reads and checks the target of a form: the territory must be in scope, the owner a user who
/// may own customers.
async fn target(
    state: &AppState,
    scope: &ScopeTerritories,
    pairs: &[(String, String)],
) -> Result<Target, WebError> {
    let territory = match field(pairs, "to_territory") {
        "" => None,
        t => {
            let t = TerritoryId::parse(t).map_err(|_| WebError::BadRequest("territory".into()))?;
            if !scope.contains(t) || territories::get(&state.db, t).await?.is_none() {
                return Err(WebError::Forbidden);
            }
            Some(t)
        }
    };
    let owner = match field(pairs, "to_owner") {
        "" => None,
        "none" => Some(None),
        o => {
            let o = UserId::parse(o).map_err(|_| WebError::BadRequest("owner".into()))?;
            if !possible_owners(state).await?.iter().any(|u| u.id == o) {
                return Err(WebError::BadRequest("owner".into()));
            }
            Some(Some(o))
        }
    };
    Ok(Target { territory, owner })
}

/// Reassigns one customer through the document path. `Ok(false)` when nothing changed.
async fn reassign_one(
    state: &AppState,
    user: &WebUser,
    id: DocId,
    target: Target,
) -> Result<bool, WebError> {
    let changed = write::server_update(
        &state.db,
        &state.hub,
        id,
        Some(user.user_id),
        "web.customer.reassign",
        move |v| {
            target.apply(v);
            Ok(())
        },
    )
    .await?;
    Ok(changed.is_some())
}

fn see_other(to: String) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response()
}

/// `POST /customers/{id}/reassign` (`to_territory`, `to_owner`): from the card.
pub async fn single(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::CustomersReassign)?;
    let (id, rs) = super::scope::customer(&state, &user, &id).await?;
    let target = target(&state, &rs.territories, &pairs).await?;
    if target.is_empty() {
        return Err(WebError::BadRequest("target".into()));
    }
    reassign_one(&state, &user, id, target).await?;
    Ok(see_other(format!("/customers/{id}")))
}

#[derive(Template)]
#[template(path = "customer_reassign.html")]
struct ReassignPage {
    shell: Shell,
    tr: Tr,
    /// `confirm`, `done` or `error`.
    step: &'static str,
    /// The form to repeat on confirmation.
    hidden: Vec<(String, String)>,
    count: usize,
    unchanged: usize,
    territory: String,
    owner: String,
    message: String,
    back: String,
}

/// `POST /customers/reassign`: `target=selected` with `id=…` (repeated) or `target=all` with
/// `filter=<list query>`; `to_territory` and/or `to_owner`. Without `confirm=1` it shows the
/// confirmation with the count; with it, reassigns and shows how many changed.
pub async fn bulk(
    State(state): State<AppState>,
    user: WebUser,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::CustomersReassign)?;
    let tr = Tr(user.lang);
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let list = ListQuery::parse(field(&pairs, "filter"))?.without_cursor();
    let mut filter = list.filter(&*crate::db::schema::reference(&state.db).await?)?;
    filter.owner_in = user.owner_restriction(&state.db).await?;
    let back = match list.to_query_string() {
        qs if qs.is_empty() => "/customers".to_owned(),
        qs => format!("/customers?{qs}"),
    };
    let page = |step: &'static str, message: String| ReassignPage {
        shell: Shell::new(&user, "customers"),
        tr,
        step,
        hidden: Vec::new(),
        count: 0,
        unchanged: 0,
        territory: String::new(),
        owner: String::new(),
        message,
        back: back.clone(),
    };
    let target = target(&state, &scope, &pairs).await?;
    if target.is_empty() {
        return unprocessable(&page("error", tr.t("list.choose_target").to_owned()));
    }
    let all = field(&pairs, "target") == "all";
    // The customers concerned, inside the user's scope (and data scope), at most MAX_BULK + 1.
    let ids: Vec<DocId> = if all {
        let mut ids = Vec::new();
        let mut after: Option<Cursor> = None;
        loop {
            let p = customer_list::list(
                &state.db,
                &scope,
                &filter,
                after.as_ref().map(|c| (Direction::After, c)),
                2000,
            )
            .await?;
            ids.extend(p.rows.iter().map(|r| r.id));
            after = p.rows.last().map(|r| Cursor::of(r, filter.sort.key));
            if !p.has_next || ids.len() > MAX_BULK {
                break;
            }
        }
        ids
    } else {
        let mut asked: Vec<DocId> = pairs
            .iter()
            .filter(|(k, _)| k == "id")
            .map(|(_, v)| DocId::parse(v.trim()).map_err(|_| WebError::BadRequest("id".into())))
            .collect::<Result<_, _>>()?;
        asked.sort_unstable();
        asked.dedup();
        if asked.len() > MAX_BULK {
            return unprocessable(&page(
                "error",
                format!("{} {MAX_BULK}", tr.t("list.too_many")),
            ));
        }
        // The ticked rows the list would show (its scope conditions are the cards', see
        // `db::visibility`).
        let mut unfiltered = ListQuery::default().filter(&Reference::default())?;
        unfiltered.owner_in = user.owner_restriction(&state.db).await?;
        let mut found = Vec::new();
        for chunk in asked.chunks(500) {
            found.extend(customer_list::matching_ids(&state.db, &scope, &unfiltered, chunk).await?);
        }
        found
    };
    if ids.is_empty() {
        return unprocessable(&page("error", tr.t("list.nothing_selected").to_owned()));
    }
    if ids.len() > MAX_BULK {
        return unprocessable(&page(
            "error",
            format!("{} {MAX_BULK}", tr.t("list.too_many")),
        ));
    }
    let territory_name = match target.territory {
        Some(t) => territories::get(&state.db, t)
            .await?
            .map(|t| t.name)
            .unwrap_or_default(),
        None => tr.t("list.no_change").to_owned(),
    };
    let owner_name = match target.owner {
        None => tr.t("list.no_change").to_owned(),
        Some(None) => tr.t("list.unassigned").to_owned(),
        Some(Some(o)) => possible_owners(&state)
            .await?
            .into_iter()
            .find(|u| u.id == o)
            .map(|u| u.display_name)
            .unwrap_or_default(),
    };
    if field(&pairs, "confirm") != "1" {
        let mut hidden: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, _)| {
                matches!(
                    k.as_str(),
                    "id" | "filter" | "target" | "to_territory" | "to_owner"
                )
            })
            .cloned()
            .collect();
        hidden.push(("confirm".into(), "1".into()));
        return render(&ReassignPage {
            hidden,
            count: ids.len(),
            territory: territory_name,
            owner: owner_name,
            ..page("confirm", String::new())
        });
    }
    let mut changed = 0;
    for id in &ids {
        if reassign_one(&state, &user, *id, target).await? {
            changed += 1;
        }
    }
    let mut entry = AuditEntry::new("web.customer.bulk_reassign");
    entry.user_id = Some(user.user_id);
    entry.kind = Some("customer".to_owned());
    entry.verdict = Some("ok".to_owned());
    entry.detail = json!({
        "mode": if all { "all" } else { "selected" },
        "filter": list.to_query_string(),
        "target": target.audit_json(),
        "matched": ids.len(),
        "changed": changed,
    });
    if let Err(e) = audit::record(&state.db, &entry).await {
        tracing::error!(error = %e, "cannot write audit entry");
    }
    render(&ReassignPage {
        count: changed,
        unchanged: ids.len() - changed,
        territory: territory_name,
        owner: owner_name,
        ..page("done", String::new())
    })
}

fn unprocessable(p: &ReassignPage) -> Result<Response, WebError> {
    let mut r = render(p)?;
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

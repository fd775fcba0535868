//! An order written by the office for a customer (reps normally take orders on their phones):
//! `GET /orders/new` and `POST /orders` create a draft through `write::server_create`, its lines
//! named by catalog product code, priced from the catalog and the customer's tier price list of
//! the day (the same price book the server's pricing uses), discounts within the user's role
//! limit. The draft is then submitted and confirmed on its card.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use fieldcrm_core::document::Kind;
use fieldcrm_core::domain::{Customer, Order, OrderLine, OrderStatus};
use fieldcrm_core::{DocId, OrderLineId};
use serde::Deserialize;
use serde_json::json;

use super::actions::parse_quantity;
use super::load_order;
use crate::auth::permissions::{Permission, default_max_discount_bp};
use crate::db::audit::{self, AuditEntry};
use crate::db::{catalog, roles};
use crate::startup::AppState;
use crate::sync::write;
use crate::web::contracts::card::resolve_customer;
use crate::web::i18n::Tr;
use crate::web::session::WebUser;
use crate::web::{Shell, WebError, render};

/// Line rows of the form.
pub const ROWS: usize = 8;

/// The form: the customer, notes, and `code_N`, `qty_N`, `disc_N` (percent), `delivery_N`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewOrderForm {
    customer: String,
    notes: String,
    #[serde(flatten)]
    rows: HashMap<String, String>,
}

impl NewOrderForm {
    fn cell(&self, field: &str, row: usize) -> &str {
        self.rows
            .get(&format!("{field}_{row}"))
            .map_or("", |s| s.trim())
    }
}

/// A row of the form as shown.
#[derive(Debug)]
pub struct RowView {
    n: usize,
    code: String,
    qty: String,
    disc: String,
    delivery: String,
}

#[derive(Template)]
#[template(path = "order_form.html")]
struct FormPage {
    shell: Shell,
    tr: Tr,
    customer: String,
    notes: String,
    rows: Vec<RowView>,
    errors: Vec<String>,
}

fn form_page(user: &WebUser, f: &NewOrderForm, errors: Vec<String>) -> Result<Response, WebError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut response = render(&FormPage {
        shell: Shell::new(user, "orders"),
        tr: Tr(user.lang),
        customer: f.customer.trim().to_owned(),
        notes: f.notes.clone(),
        rows: (1..=ROWS)
            .map(|n| RowView {
                n,
                code: f.cell("code", n).to_owned(),
                qty: f.cell("qty", n).to_owned(),
                disc: f.cell("disc", n).to_owned(),
                delivery: f.cell("delivery", n).to_owned(),
            })
            .collect(),
        errors,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// Query of the new form: a customer to preset.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewQuery {
    customer: String,
}

/// `GET /orders/new`.
pub async fn new_form(user: WebUser, Query(q): Query<NewQuery>) -> Result<Response, WebError> {
    user.require(Permission::OrdersManage)?;
    let f = NewOrderForm {
        customer: q.customer.chars().take(100).collect(),
        ..NewOrderForm::default()
    };
    form_page(&user, &f, Vec::new())
}

/// A percentage with at most two decimals as basis points (`12.5` → 1250).
pub fn parse_percent(s: &str) -> Option<i64> {
    let s = s.trim().trim_end_matches('%').trim();
    if s.is_empty() {
        return Some(0);
    }
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || whole.len() > 3
        || frac.len() > 2
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    let bp = whole * 100 + frac;
    (bp <= 10_000).then_some(bp)
}

/// `POST /orders`: creates the draft.
pub async fn create(
    State(state): State<AppState>,
    user: WebUser,
    axum::Form(form): axum::Form<NewOrderForm>,
) -> Result<Response, WebError> {
    user.require(Permission::OrdersManage)?;
    let tr = Tr(user.lang);
    let mut errors = Vec::new();
    let customer = match resolve_customer(&state, &user, tr, &form.customer).await? {
        Ok(c) => Some(c),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let limit = match roles::get(&state.db, user.role_id).await? {
        Some(r) => r
            .max_discount_bp
            .unwrap_or_else(|| default_max_discount_bp(user.role)),
        None => default_max_discount_bp(user.role),
    };
    let mut lines = Vec::new();
    for n in 1..=ROWS {
        let code = form.cell("code", n);
        if code.is_empty() {
            continue;
        }
        let product = catalog::product_by_code(&state.db, code)
            .await?
            .filter(|p| p.active);
        let Some(product) = product else {
            errors.push(format!("{}: {code}", tr.t("ord.err.product")));
            continue;
        };
        let quantity = parse_quantity(form.cell("qty", n)).filter(|q| *q > 0.0);
        let Some(quantity) = quantity else {
            errors.push(format!("{}: {code}", tr.t("ord.err.quantity")));
            continue;
        };
        let discount_bp = match parse_percent(form.cell("disc", n)) {
            Some(bp) if bp <= limit => bp,
            _ => {
                errors.push(format!("{}: {code}", tr.t("ord.err.discount")));
                continue;
            }
        };
        let delivery = form.cell("delivery", n);
        let requested_delivery = if delivery.is_empty() {
            None
        } else if let Some(d) = super::valid_date(delivery) {
            Some(d)
        } else {
            errors.push(format!("{}: {delivery}", tr.t("con.err.date")));
            continue;
        };
        lines.push(OrderLine {
            id: OrderLineId::new(),
            product: Some(product.id),
            quantity,
            requested_delivery,
            discount_bp,
            ..OrderLine::default()
        });
    }
    if lines.is_empty() && errors.is_empty() {
        errors.push(tr.t("ord.err.no_lines").to_owned());
    }
    let Some(customer) = customer.filter(|_| errors.is_empty()) else {
        return form_page(&user, &form, errors);
    };
    let record: Customer = serde_json::from_value(write::load_record(&state.db, customer).await?)
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let mut order = Order {
        customer: Some(customer.into()),
        status: OrderStatus::Draft,
        rep: Some(user.user_id),
        notes: form.notes.trim().chars().take(20_000).collect(),
        lines,
        ..Order::default()
    };
    let ids: Vec<_> = order.lines.iter().filter_map(|l| l.product).collect();
    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
    let book = {
        let mut conn = state
            .db
            .pool()
            .acquire()
            .await
            .map_err(|e| WebError::Internal(e.to_string()))?;
        catalog::price_book(&mut conn, &record.tier, &today, &ids).await?
    };
    order.price(&book, limit);
    let value = serde_json::to_value(&order).map_err(|e| WebError::Internal(e.to_string()))?;
    let id = DocId::new();
    match write::server_create(
        &state.db,
        &state.hub,
        Kind::Order,
        id,
        &value,
        Some(user.user_id),
    )
    .await
    {
        Ok(_) => {}
        Err(write::WriteError::Invalid(m)) => return form_page(&user, &form, vec![m]),
        Err(e) => return Err(e.into()),
    }
    let stored = load_order(&state, id).await?;
    let mut entry = AuditEntry::new("web.order.create");
    entry.user_id = Some(user.user_id);
    entry.doc_id = Some(id.to_string());
    entry.kind = Some(Kind::Order.as_str().to_owned());
    entry.verdict = Some("ok".to_owned());
    entry.detail = json!({"customer": customer.to_string(), "lines": stored.lines.len(), "total": stored.total});
    if let Err(e) = audit::record(&state.db, &entry).await {
        tracing::error!(error = %e, "cannot write audit entry");
    }
    Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/orders/{id}"))]).into_response())
}

#[cfg(test)]
mod tests {
    use super::parse_percent;

    #[test]
    fn percentages_parse_to_basis_points() {
        // (Called through a short name: the catalogue test reads `t("…")` as a message key.)
        let bp = parse_percent;
        assert_eq!(bp(""), Some(0));
        assert_eq!(bp("10"), Some(1_000));
        assert_eq!(bp("12.5 %"), Some(1_250));
        assert_eq!(bp("0.05"), Some(5));
        assert_eq!(bp("100"), Some(10_000));
        for bad in ["101", "-1", "1.234", "x", ".5"] {
            assert_eq!(bp(bad), None, "{bad:?}");
        }
    }
}

//! The order card (`GET /orders/{id}`) and its print view (`GET /orders/{id}/print`).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use fieldcrm_core::document::Kind;
use fieldcrm_core::domain::order::may_transition;
use fieldcrm_core::domain::{Customer, Order, OrderStatus};
use fieldcrm_core::{DocId, UserId};

use super::{fmt_bp, fmt_money, fmt_qty, load_order, status_key, user_name};
use crate::auth::permissions::Permission;
use crate::db::{contracts, orders, payments, projections, schema};
use crate::startup::AppState;
use crate::sync::write;
use crate::web::history::{self, HistoryView};
use crate::web::i18n::Tr;
use crate::web::payments::{PaymentForm, PaymentView, method_choices, payment_views};
use crate::web::scope;
use crate::web::session::WebUser;
use crate::web::{Shell, WebError, fmt_ms, render};

/// A line, formatted.
#[derive(Debug)]
pub struct LineView {
    /// The line's id (form field names of the ship form).
    pub id: String,
    position: usize,
    code: String,
    name: String,
    unit: String,
    quantity: String,
    unit_price: String,
    discount: String,
    line_total: String,
    shipped: String,
    /// What is left to ship, formatted (the ship form's default).
    pub remaining: String,
    fully_shipped: bool,
    tracking: &'static str,
    lots: String,
    delivery: String,
    problem: String,
}

/// A status log entry, formatted.
#[derive(Debug)]
pub struct LogView {
    status: &'static str,
    who: String,
    when: String,
}

/// Everything the card and the print view show.
#[derive(Debug)]
pub struct CardView {
    id: String,
    number: String,
    status: &'static str,
    status_value: &'static str,
    customer_id: String,
    customer: String,
    customer_code: String,
    customer_phone: String,
    customer_address: String,
    rep: String,
    created: String,
    currency: String,
    notes: String,
    cancel_reason: String,
    lines: Vec<LineView>,
    subtotal: String,
    discount_total: String,
    total: String,
    paid: String,
    receivable: String,
    contract: Option<(String, String)>,
    log: Vec<LogView>,
    history: Vec<HistoryView>,
    can_submit: bool,
    can_confirm: bool,
    can_ship: bool,
    can_complete: bool,
    can_cancel: bool,
    show_payments: bool,
    can_pay: bool,
    can_reverse: bool,
    payments: Vec<PaymentView>,
}

#[derive(Template)]
#[template(path = "order_card.html")]
struct CardPage {
    shell: Shell,
    tr: Tr,
    o: CardView,
    error: Option<String>,
    pay: PaymentForm,
    methods: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "order_print.html")]
struct PrintPage {
    tr: Tr,
    o: CardView,
    printed: String,
    /// The configured company name (`company_name`), if any.
    company: Option<String>,
}

/// A lot list as shown: comma-separated.
fn lots(l: &[String]) -> String {
    l.join(", ")
}

/// Builds the card's view of order `id` (already scope-checked).
async fn view(
    state: &AppState,
    user: &WebUser,
    id: DocId,
    with_history: bool,
) -> Result<CardView, WebError> {
    let tr = Tr(user.lang);
    let o: Order = load_order(state, id).await?;
    let row = orders::get(&state.db, id).await?;
    let paid = row.as_ref().map_or(0, |r| r.paid);
    let customer: Option<Customer> = match o.customer {
        Some(c) => match write::load_record(&state.db, c.into()).await {
            Ok(v) => serde_json::from_value(v).ok(),
            Err(write::WriteError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let role = user.role;
    let manage = user.can(Permission::OrdersManage);
    let tracking = super::actions::tracking_of(state, &o).await?;
    let status = o.status;
    let mut names: HashMap<UserId, String> = HashMap::new();
    let mut log = Vec::new();
    for e in projections::status_log(&state.db, id).await? {
        let who = match e.user {
            Some(u) => match names.get(&u) {
                Some(n) => n.clone(),
                None => {
                    let n = user_name(state, Some(u)).await?;
                    names.insert(u, n.clone());
                    n
                }
            },
            None => tr.t("ord.server").to_owned(),
        };
        log.push(LogView {
            status: tr.t(status_key(&e.status)),
            who,
            when: fmt_ms(Some(e.at)),
        });
    }
    let history = if with_history {
        let reference = schema::reference(&state.db).await?;
        history::views(&state.db, tr, &reference, Kind::Order, id).await?
    } else {
        Vec::new()
    };
    let contract = contracts::contract_of_order(&state.db, id)
        .await?
        .map(|(cid, number, _)| (cid.to_string(), number));
    let show_payments = user.can(Permission::PaymentsView);
    let payments = if show_payments {
        payment_views(tr, &payments::for_order(&state.db, id).await?)
    } else {
        Vec::new()
    };
    let receivable = payments::receivable(status.as_str(), o.total, paid);
    Ok(CardView {
        id: id.to_string(),
        number: o
            .number
            .clone()
            .unwrap_or_else(|| tr.t("ord.unnumbered").to_owned()),
        status: tr.t(status_key(status.as_str())),
        status_value: status.as_str(),
        customer_id: o.customer.map(|c| c.to_string()).unwrap_or_default(),
        customer: customer
            .as_ref()
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        customer_code: customer
            .as_ref()
            .map(|c| c.code.clone())
            .unwrap_or_default(),
        customer_phone: customer
            .as_ref()
            .map(|c| c.phones.join(", "))
            .unwrap_or_default(),
        customer_address: customer
            .as_ref()
            .map(|c| {
                [
                    c.address.province.as_str(),
                    &c.address.city,
                    &c.address.district,
                    &c.address.street,
                ]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ")
            })
            .unwrap_or_default(),
        rep: user_name(state, o.rep).await?,
        created: fmt_ms(row.as_ref().map(|r| r.created_at)),
        currency: o.currency.clone(),
        notes: o.notes.clone(),
        cancel_reason: o.cancel_reason.clone(),
        lines: o
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let remaining = (l.quantity - l.shipped_quantity).max(0.0);
                LineView {
                    id: l.id.to_string(),
                    position: i + 1,
                    code: l.product_code.clone(),
                    name: l.product_name.clone(),
                    unit: l.unit.clone(),
                    quantity: fmt_qty(l.quantity),
                    unit_price: fmt_money(l.unit_price),
                    discount: fmt_bp(l.discount_bp),
                    line_total: fmt_money(l.line_total),
                    shipped: fmt_qty(l.shipped_quantity),
                    remaining: fmt_qty(remaining),
                    fully_shipped: remaining < 1e-9,
                    tracking: match l.product.and_then(|p| tracking.get(&p)).map(String::as_str) {
                        Some("batch") => tr.t("ord.tr.batch"),
                        Some("serial") => tr.t("ord.tr.serial"),
                        _ => "",
                    },
                    lots: lots(&l.lots),
                    delivery: l.requested_delivery.clone().unwrap_or_default(),
                    problem: l.problem.clone(),
                }
            })
            .collect(),
        subtotal: fmt_money(o.subtotal),
        discount_total: fmt_money(o.discount_total),
        total: fmt_money(o.total),
        paid: fmt_money(paid),
        receivable: fmt_money(receivable),
        contract,
        log,
        history,
        can_submit: manage
            && status == OrderStatus::Draft
            && may_transition(role, status, OrderStatus::Submitted),
        can_confirm: manage
            && may_transition(role, status, OrderStatus::Confirmed)
            && status == OrderStatus::Submitted,
        can_ship: manage
            && matches!(
                status,
                OrderStatus::Confirmed | OrderStatus::PartiallyShipped
            )
            && may_transition(role, status, OrderStatus::Shipped),
        can_complete: manage
            && status == OrderStatus::Shipped
            && may_transition(role, status, OrderStatus::Completed),
        can_cancel: manage
            && status != OrderStatus::Cancelled
            && may_transition(role, status, OrderStatus::Cancelled),
        show_payments,
        can_pay: user.can(Permission::PaymentsEdit)
            && !matches!(status, OrderStatus::Draft | OrderStatus::Cancelled)
            && receivable > 0,
        can_reverse: user.can(Permission::PaymentsEdit),
        payments,
    })
}

/// Renders the card with `status`, an error for the action forms, and the payment form's values.
pub async fn render_card(
    state: &AppState,
    user: &WebUser,
    id: DocId,
    status: StatusCode,
    error: Option<String>,
    pay: PaymentForm,
) -> Result<Response, WebError> {
    let o = view(state, user, id, true).await?;
    let mut response = render(&CardPage {
        shell: Shell::new(user, "orders"),
        tr: Tr(user.lang),
        o,
        error,
        pay,
        methods: method_choices(),
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /orders/{id}`: the card (404 outside the user's scope).
pub async fn card(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::OrdersView)?;
    let id = scope::order(&state, &user, &id).await?;
    render_card(
        &state,
        &user,
        id,
        StatusCode::OK,
        None,
        PaymentForm::default(),
    )
    .await
}

/// `GET /orders/{id}/print`: the order on its own page, laid out for paper.
pub async fn print(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::OrdersView)?;
    let id = scope::order(&state, &user, &id).await?;
    let o = view(&state, &user, id, false).await?;
    render(&PrintPage {
        tr: Tr(user.lang),
        o,
        printed: chrono::Local::now().format("%Y-%m-%d").to_string(),
        company: state.settings.company_name.clone(),
    })
}

//! The office's steps on an order: confirm, ship (per line: quantity shipped now and batch or
//! serial numbers; partially shipped or shipped follows from the quantities), complete, cancel
//! with a reason. Each step is decided inside the write transaction on the order as stored:
//! the workflow of core for the user's role (`may_transition`), the same state rules the server
//! applies to devices (`Order::authorize`) and the invariants (`Order::validate`); a refused
//! step re-renders the card with the reason (422) and stores nothing.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use fieldcrm_core::domain::order::may_transition;
use fieldcrm_core::domain::{Order, OrderStatus};
use fieldcrm_core::{ProductId, Role};
use serde_json::{Value, json};

use super::card::render_card;
use super::{fmt_qty, load_order, status_key};
use crate::auth::permissions::Permission;
use crate::db::catalog;
use crate::startup::AppState;
use crate::sync::write::{self, WriteError};
use crate::web::WebError;
use crate::web::i18n::Tr;
use crate::web::payments::PaymentForm;
use crate::web::scope;
use crate::web::session::WebUser;

/// Tolerance of quantity comparisons (quantities have at most three decimals).
const EPS: f64 = 1e-9;

/// Rounds to three decimals, the precision of quantities.
fn round3(q: f64) -> f64 {
    (q * 1000.0).round() / 1000.0
}

/// Checks the step `before` → `after` for `role` the way the server checks a device's edit;
/// the reasons it is refused, translated where they are ours.
pub fn check_step(tr: Tr, role: Role, before: &Order, after: &Order) -> Result<(), String> {
    let (from, to) = (before.status, after.status);
    if !may_transition(role, from, to) {
        return Err(format!(
            "{}: {} → {}",
            tr.t("ord.err.step"),
            tr.t(status_key(from.as_str())),
            tr.t(status_key(to.as_str()))
        ));
    }
    let denied = after.authorize(Some(before), role);
    if !denied.is_empty() {
        let reasons: Vec<String> = denied.iter().map(ToString::to_string).collect();
        return Err(format!("{}: {}", tr.t("ord.err.rules"), reasons.join("; ")));
    }
    let invalid = after.validate();
    if !invalid.is_empty() {
        let reasons: Vec<String> = invalid.iter().map(ToString::to_string).collect();
        return Err(format!("{}: {}", tr.t("ord.err.rules"), reasons.join("; ")));
    }
    Ok(())
}

/// Writes the fields an office step changes (status, cancel reason, shipping of each line) into
/// the typed JSON, leaving every other field as stored.
fn write_back(v: &mut Value, after: &Order) {
    v["status"] = json!(after.status.as_str());
    v["cancel_reason"] = json!(after.cancel_reason);
    if let Some(lines) = v["lines"].as_array_mut() {
        for line in lines.iter_mut() {
            let id = line["id"].as_str().unwrap_or_default().to_owned();
            if let Some(l) = after.lines.iter().find(|l| l.id.to_string() == id) {
                line["shipped_quantity"] = json!(l.shipped_quantity);
                line["lots"] = json!(l.lots);
            }
        }
    }
}

/// Runs one step: `change` turns the stored order into the wanted one (or refuses), then the
/// step is checked and written. Redirects to the card, or re-renders it with the reason.
async fn step(
    state: AppState,
    user: WebUser,
    id: String,
    action: &'static str,
    change: impl FnOnce(Tr, &Order) -> Result<Order, String> + Send + 'static,
) -> Result<Response, WebError> {
    user.require(Permission::OrdersManage)?;
    let id = scope::order(&state, &user, &id).await?;
    let tr = Tr(user.lang);
    let role = user.role;
    let result = write::server_update(
        &state.db,
        &state.hub,
        id,
        Some(user.user_id),
        action,
        move |v: &mut Value| {
            let before: Order = serde_json::from_value(v.clone())
                .map_err(|e| WriteError::Invalid(e.to_string()))?;
            let after = change(tr, &before).map_err(WriteError::Invalid)?;
            check_step(tr, role, &before, &after).map_err(WriteError::Invalid)?;
            write_back(v, &after);
            Ok(())
        },
    )
    .await;
    match result {
        Ok(_) => Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/orders/{id}"))]).into_response()),
        Err(WriteError::Invalid(m)) => {
            render_card(
                &state,
                &user,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(m),
                PaymentForm::default(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// A refusal of a step from the order's current status.
fn wrong_status(tr: Tr, from: OrderStatus, to: OrderStatus) -> String {
    format!(
        "{}: {} → {}",
        tr.t("ord.err.step"),
        tr.t(status_key(from.as_str())),
        tr.t(status_key(to.as_str()))
    )
}

/// `POST /orders/{id}/confirm`: submitted → confirmed.
pub async fn confirm(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    step(state, user, id, "web.order.confirm", |tr, before| {
        if before.status != OrderStatus::Submitted {
            return Err(wrong_status(tr, before.status, OrderStatus::Confirmed));
        }
        let mut after = before.clone();
        after.status = OrderStatus::Confirmed;
        Ok(after)
    })
    .await
}

/// `POST /orders/{id}/submit`: draft → submitted (an order the office wrote itself).
pub async fn submit(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    step(state, user, id, "web.order.submit", |tr, before| {
        if before.status != OrderStatus::Draft {
            return Err(wrong_status(tr, before.status, OrderStatus::Submitted));
        }
        let mut after = before.clone();
        after.status = OrderStatus::Submitted;
        Ok(after)
    })
    .await
}

/// `POST /orders/{id}/complete`: shipped → completed.
pub async fn complete(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    step(state, user, id, "web.order.complete", |tr, before| {
        if before.status != OrderStatus::Shipped {
            return Err(wrong_status(tr, before.status, OrderStatus::Completed));
        }
        let mut after = before.clone();
        after.status = OrderStatus::Completed;
        Ok(after)
    })
    .await
}

/// The cancel form.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CancelForm {
    reason: String,
}

/// `POST /orders/{id}/cancel`: cancels with a reason (the workflow says from which statuses and
/// by whom).
pub async fn cancel(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<CancelForm>,
) -> Result<Response, WebError> {
    let reason: String = form.reason.trim().chars().take(2_000).collect();
    step(state, user, id, "web.order.cancel", move |tr, before| {
        if before.status == OrderStatus::Cancelled {
            return Err(wrong_status(tr, before.status, OrderStatus::Cancelled));
        }
        if reason.is_empty() {
            return Err(tr.t("ord.err.reason").to_owned());
        }
        let mut after = before.clone();
        after.status = OrderStatus::Cancelled;
        after.cancel_reason = reason;
        Ok(after)
    })
    .await
}

/// Splits the lot field: commas (ASCII or full-width), semicolons and new lines separate.
pub fn parse_lots(s: &str) -> Vec<String> {
    s.split([',', '，', ';', '；', '\n', '\r'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(100).collect())
        .collect()
}

/// Parses a quantity shipped now: empty is 0; at most three decimals, not negative.
pub fn parse_quantity(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return Some(0.0);
    }
    let q: f64 = s.parse().ok()?;
    (q.is_finite() && q >= 0.0 && (q * 1000.0 - (q * 1000.0).round()).abs() < 1e-6).then_some(q)
}

/// How the catalog tracks each product (`batch`, `serial`; absent or `none`: not tracked).
pub type TrackingMap = HashMap<ProductId, String>;

/// The tracking of the products of `order`, from the catalog.
pub async fn tracking_of(state: &AppState, order: &Order) -> Result<TrackingMap, WebError> {
    let ids: Vec<ProductId> = order.lines.iter().filter_map(|l| l.product).collect();
    if ids.is_empty() {
        return Ok(TrackingMap::new());
    }
    let mut conn = state
        .db
        .pool()
        .acquire()
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(catalog::tracking(&mut conn, &ids).await?)
}

/// Applies a shipment (`ship_<line id>` quantities shipped now, `lots_<line id>` numbers) to an
/// order: the new order, partially shipped or shipped by the quantities. A serial-tracked
/// product needs one new serial number per unit shipped, a batch-tracked one a batch number.
pub fn apply_shipment(
    tr: Tr,
    before: &Order,
    form: &HashMap<String, String>,
    tracking: &TrackingMap,
) -> Result<Order, String> {
    if !matches!(
        before.status,
        OrderStatus::Confirmed | OrderStatus::PartiallyShipped
    ) {
        return Err(wrong_status(tr, before.status, OrderStatus::Shipped));
    }
    let mut after = before.clone();
    let mut any = false;
    for line in &mut after.lines {
        let key = line.id.to_string();
        let raw = form
            .get(&format!("ship_{key}"))
            .map(String::as_str)
            .unwrap_or("");
        let q = parse_quantity(raw).ok_or_else(|| {
            format!(
                "{}: {} {raw:?}",
                tr.t("ord.err.quantity"),
                line.product_code
            )
        })?;
        let mut new_lots = parse_lots(form.get(&format!("lots_{key}")).map_or("", String::as_str));
        new_lots.dedup();
        let label = if line.product_code.is_empty() {
            line.product_name.clone()
        } else {
            line.product_code.clone()
        };
        let fresh = new_lots.iter().filter(|l| !line.lots.contains(l)).count();
        match line
            .product
            .and_then(|p| tracking.get(&p))
            .map(String::as_str)
        {
            Some("serial") if q > 0.0 && (q.fract() != 0.0 || fresh as f64 != q) => {
                return Err(format!("{}: {label}", tr.t("ord.err.serials")));
            }
            Some("batch") if q > 0.0 && new_lots.is_empty() => {
                return Err(format!("{}: {label}", tr.t("ord.err.batch")));
            }
            _ => {}
        }
        if q > 0.0 {
            let shipped = round3(line.shipped_quantity + q);
            if shipped > line.quantity + EPS {
                return Err(format!(
                    "{}: {label} ({} > {})",
                    tr.t("ord.err.too_much"),
                    fmt_qty(shipped),
                    fmt_qty(line.quantity)
                ));
            }
            line.shipped_quantity = shipped;
            any = true;
        }
        for lot in new_lots {
            if !line.lots.contains(&lot) {
                line.lots.push(lot);
                any = true;
            }
        }
    }
    if !after.lines.iter().any(|l| l.shipped_quantity > 0.0) || !any {
        return Err(tr.t("ord.err.nothing").to_owned());
    }
    after.status = if after
        .lines
        .iter()
        .all(|l| l.shipped_quantity + EPS >= l.quantity)
    {
        OrderStatus::Shipped
    } else {
        OrderStatus::PartiallyShipped
    };
    Ok(after)
}

/// `POST /orders/{id}/ship`: records a shipment.
pub async fn ship(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Result<Response, WebError> {
    user.require(Permission::OrdersManage)?;
    let doc = scope::order(&state, &user, &id).await?;
    // The lines' products do not change once confirmed: their tracking is read up front.
    let tracking = tracking_of(&state, &load_order(&state, doc).await?).await?;
    step(state, user, id, "web.order.ship", move |tr, before| {
        apply_shipment(tr, before, &form, &tracking)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Lang;
    use fieldcrm_core::domain::OrderLine;
    use fieldcrm_core::{CustomerId, OrderLineId, ProductId};

    fn order(status: OrderStatus) -> Order {
        let line = |q: f64| OrderLine {
            id: OrderLineId::new(),
            product: Some(ProductId::new()),
            product_code: "P".into(),
            quantity: q,
            ..OrderLine::default()
        };
        Order {
            customer: Some(CustomerId::new()),
            status,
            lines: vec![line(3.0), line(1.5)],
            ..Order::default()
        }
    }

    #[test]
    fn shipments_decide_partial_or_full_and_refuse_excess() {
        let tr = Tr(Lang::En);
        let o = order(OrderStatus::Confirmed);
        let (a, b) = (o.lines[0].id.to_string(), o.lines[1].id.to_string());
        let form = HashMap::from([
            (format!("ship_{a}"), "1".to_owned()),
            (format!("lots_{a}"), "L1, L2\nL2".to_owned()),
        ]);
        let none = TrackingMap::new();
        let partial = apply_shipment(tr, &o, &form, &none).unwrap();
        assert_eq!(partial.status, OrderStatus::PartiallyShipped);
        assert_eq!(partial.lines[0].lots, vec!["L1", "L2"]);
        assert!(check_step(tr, Role::Office, &o, &partial).is_ok());
        assert!(check_step(tr, Role::Rep, &o, &partial).is_err());
        let form = HashMap::from([
            (format!("ship_{a}"), "2".to_owned()),
            (format!("ship_{b}"), "1.5".to_owned()),
        ]);
        let full = apply_shipment(tr, &partial, &form, &none).unwrap();
        assert_eq!(full.status, OrderStatus::Shipped);
        let too_much = HashMap::from([(format!("ship_{b}"), "2".to_owned())]);
        assert!(apply_shipment(tr, &o, &too_much, &none).is_err());
        assert!(apply_shipment(tr, &o, &HashMap::new(), &none).is_err());
        assert!(apply_shipment(tr, &order(OrderStatus::Submitted), &form, &none).is_err());
        // Tracked products: one serial per unit, a batch number per shipment.
        let serial = TrackingMap::from([(o.lines[0].product.unwrap(), "serial".to_owned())]);
        let two = HashMap::from([
            (format!("ship_{a}"), "2".to_owned()),
            (format!("lots_{a}"), "S1".to_owned()),
        ]);
        assert!(apply_shipment(tr, &o, &two, &serial).is_err());
        let two = HashMap::from([
            (format!("ship_{a}"), "2".to_owned()),
            (format!("lots_{a}"), "S1, S2".to_owned()),
        ]);
        assert!(apply_shipment(tr, &o, &two, &serial).is_ok());
        let batch = TrackingMap::from([(o.lines[0].product.unwrap(), "batch".to_owned())]);
        let no_lot = HashMap::from([(format!("ship_{a}"), "1".to_owned())]);
        assert!(apply_shipment(tr, &o, &no_lot, &batch).is_err());
        assert!(apply_shipment(tr, &o, &no_lot, &none).is_ok());
        assert_eq!(parse_quantity("1.2345"), None);
        assert_eq!(parse_quantity("-1"), None);
        assert_eq!(parse_quantity(""), Some(0.0));
    }
}

//! The `order` record: a sales order a rep takes on site (offline), priced and numbered by the
//! server, then confirmed, shipped and completed by the office.
//!
//! What is pure and lives here: the record, its invariants, the status workflow (which role may
//! move an order from which status to which), which fields each role may still change in each
//! status, and pricing against a [`PriceBook`] (the server supplies one built from the catalog
//! and the customer's price list; the device may use one from its copy of the catalog for an
//! estimate). Money is integer minor units (fen); discounts are basis points (1 % = 100).

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::values::{FieldError, check_date, check_len};
use crate::ids::{CustomerId, OrderLineId, ProductId, UserId};
use crate::role::Role;

/// Where an order is in its life.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Reconcile, Hydrate, Serialize, Deserialize,
)]
pub enum OrderStatus {
    /// Being written by the rep; lines may change.
    #[default]
    #[serde(rename = "draft")]
    #[autosurgeon(rename = "draft")]
    Draft,
    /// Sent to the office for confirmation.
    #[serde(rename = "submitted")]
    #[autosurgeon(rename = "submitted")]
    Submitted,
    /// Accepted by the office; to be shipped.
    #[serde(rename = "confirmed")]
    #[autosurgeon(rename = "confirmed")]
    Confirmed,
    /// Some lines (or part of them) shipped.
    #[serde(rename = "partially_shipped")]
    #[autosurgeon(rename = "partially_shipped")]
    PartiallyShipped,
    /// Everything shipped.
    #[serde(rename = "shipped")]
    #[autosurgeon(rename = "shipped")]
    Shipped,
    /// Delivered and closed.
    #[serde(rename = "completed")]
    #[autosurgeon(rename = "completed")]
    Completed,
    /// Cancelled before shipping.
    #[serde(rename = "cancelled")]
    #[autosurgeon(rename = "cancelled")]
    Cancelled,
}

impl OrderStatus {
    /// Every status, in workflow order.
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::Draft,
        OrderStatus::Submitted,
        OrderStatus::Confirmed,
        OrderStatus::PartiallyShipped,
        OrderStatus::Shipped,
        OrderStatus::Completed,
        OrderStatus::Cancelled,
    ];

    /// The stable name (SQL, wire).
    pub const fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Draft => "draft",
            OrderStatus::Submitted => "submitted",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::PartiallyShipped => "partially_shipped",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

const OFFICE: &[Role] = &[Role::Admin, Role::Manager, Role::Office];
const OFFICE_AND_REP: &[Role] = &[Role::Admin, Role::Manager, Role::Office, Role::Rep];

/// The workflow: `(from, to, roles that may make the step)`. Anything not listed is illegal.
pub const ORDER_TRANSITIONS: &[(OrderStatus, OrderStatus, &[Role])] = {
    use OrderStatus::*;
    &[
        (Draft, Submitted, OFFICE_AND_REP),
        (Submitted, Confirmed, OFFICE),
        (Confirmed, PartiallyShipped, OFFICE),
        (Confirmed, Shipped, OFFICE),
        (PartiallyShipped, Shipped, OFFICE),
        (Shipped, Completed, OFFICE),
        (Draft, Cancelled, OFFICE_AND_REP),
        (Submitted, Cancelled, OFFICE_AND_REP),
        (Confirmed, Cancelled, OFFICE),
    ]
};

/// Whether `role` may move an order from `from` to `to` (staying put is always allowed).
pub fn may_transition(role: Role, from: OrderStatus, to: OrderStatus) -> bool {
    from == to
        || ORDER_TRANSITIONS
            .iter()
            .any(|(f, t, roles)| *f == from && *t == to && roles.contains(&role))
}

/// A line of an order.
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderLine {
    /// Stable id of the line.
    #[key]
    pub id: OrderLineId,
    /// The product ordered.
    #[autosurgeon(missing = "Default::default")]
    pub product: Option<ProductId>,
    /// Quantity in the product's unit (up to three decimals).
    #[autosurgeon(missing = "Default::default")]
    pub quantity: f64,
    /// Requested delivery date, `YYYY-MM-DD`.
    #[autosurgeon(missing = "Default::default")]
    pub requested_delivery: Option<String>,
    /// Discount asked for, basis points; capped by the role's limit on the server.
    #[autosurgeon(missing = "Default::default")]
    pub discount_bp: i64,
    /// Free notes on the line.
    #[autosurgeon(missing = "Default::default")]
    pub notes: String,
    /// Server-owned: product code at pricing time.
    #[autosurgeon(missing = "Default::default")]
    pub product_code: String,
    /// Server-owned: product name at pricing time.
    #[autosurgeon(missing = "Default::default")]
    pub product_name: String,
    /// Server-owned: unit of measure.
    #[autosurgeon(missing = "Default::default")]
    pub unit: String,
    /// Server-owned: unit price from the price list, minor units.
    #[autosurgeon(missing = "Default::default")]
    pub unit_price: i64,
    /// Server-owned: quantity × unit price − discount, minor units.
    #[autosurgeon(missing = "Default::default")]
    pub line_total: i64,
    /// Server-owned: why the line could not be priced (unknown or inactive product), if so.
    #[autosurgeon(missing = "Default::default")]
    pub problem: String,
    /// Office: quantity shipped so far.
    #[autosurgeon(missing = "Default::default")]
    pub shipped_quantity: f64,
    /// Office: batch or serial numbers shipped, for tracked products.
    #[autosurgeon(missing = "Default::default")]
    pub lots: Vec<String>,
}

/// An order document.
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(default)]
pub struct Order {
    /// The customer ordering. Set at creation; never changes afterwards.
    #[autosurgeon(missing = "Default::default")]
    pub customer: Option<CustomerId>,
    /// Server-owned: the order number, assigned when the server first accepts the order.
    #[autosurgeon(missing = "Default::default")]
    pub number: Option<String>,
    /// Workflow status (transitions checked per role).
    #[autosurgeon(missing = "Default::default")]
    pub status: OrderStatus,
    /// Server-owned: the rep who took the order (the creating user).
    #[autosurgeon(missing = "Default::default")]
    pub rep: Option<UserId>,
    /// The lines.
    #[autosurgeon(missing = "Default::default")]
    pub lines: Vec<OrderLine>,
    /// Free notes.
    #[autosurgeon(missing = "Default::default")]
    pub notes: String,
    /// Why it was cancelled.
    #[autosurgeon(missing = "Default::default")]
    pub cancel_reason: String,
    /// Server-owned: ISO 4217 currency of every amount (`CNY`).
    #[autosurgeon(missing = "Default::default")]
    pub currency: String,
    /// Server-owned: Σ quantity × unit price, minor units.
    #[autosurgeon(missing = "Default::default")]
    pub subtotal: i64,
    /// Server-owned: Σ line discounts, minor units.
    #[autosurgeon(missing = "Default::default")]
    pub discount_total: i64,
    /// Server-owned: subtotal − discounts, minor units.
    #[autosurgeon(missing = "Default::default")]
    pub total: i64,
}

/// Upper bound on lines per order.
pub const MAX_LINES: usize = 500;
/// Upper bound on a line's quantity.
pub const MAX_QUANTITY: f64 = 1.0e9;

/// Fields of a line only the server (pricing) writes.
const SERVER_LINE_FIELDS: &[&str] = &[
    "product_code",
    "product_name",
    "unit",
    "unit_price",
    "line_total",
    "problem",
];
/// Fields of a line only the office writes (shipping).
const SHIPPING_LINE_FIELDS: &[&str] = &["shipped_quantity", "lots"];

impl Order {
    /// Domain invariants (independent of who writes).
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.customer.is_none() {
            errors.push(FieldError::new("customer", "an order needs a customer"));
        }
        if self.lines.len() > MAX_LINES {
            errors.push(FieldError::new("lines", "too many lines"));
        }
        for l in &self.lines {
            if !(l.quantity.is_finite() && l.quantity > 0.0 && l.quantity <= MAX_QUANTITY) {
                errors.push(FieldError::new("lines", "quantity must be positive"));
            }
            if (l.quantity * 1000.0).fract().abs() > 1e-6 {
                errors.push(FieldError::new("lines", "at most three decimals"));
            }
            if !(0..=10_000).contains(&l.discount_bp) {
                errors.push(FieldError::new("lines", "discount must be within 0–100 %"));
            }
            if !(l.shipped_quantity.is_finite() && l.shipped_quantity >= 0.0) {
                errors.push(FieldError::new("lines", "shipped quantity must be ≥ 0"));
            }
            if let Some(d) = &l.requested_delivery
                && let Err(e) = check_date("lines", d)
            {
                errors.push(e);
            }
            if let Err(e) = check_len("lines", &l.notes, 2_000) {
                errors.push(e);
            }
            if l.lots.len() > 10_000 {
                errors.push(FieldError::new("lines", "too many lot numbers"));
            }
        }
        if let Err(e) = check_len("notes", &self.notes, 20_000) {
            errors.push(e);
        }
        if let Err(e) = check_len("cancel_reason", &self.cancel_reason, 2_000) {
            errors.push(e);
        }
        let shipped_any = self.lines.iter().any(|l| l.shipped_quantity > 0.0);
        let shipped_all = !self.lines.is_empty()
            && self
                .lines
                .iter()
                .all(|l| l.shipped_quantity + 1e-9 >= l.quantity);
        match self.status {
            OrderStatus::Draft | OrderStatus::Cancelled => {}
            _ if self.lines.is_empty() => {
                errors.push(FieldError::new("status", "an order without lines"));
            }
            OrderStatus::Submitted | OrderStatus::Confirmed if shipped_any => {
                errors.push(FieldError::new("lines", "shipped before confirmation"));
            }
            OrderStatus::PartiallyShipped if !shipped_any => {
                errors.push(FieldError::new("status", "nothing shipped yet"));
            }
            OrderStatus::Shipped | OrderStatus::Completed if !shipped_all => {
                errors.push(FieldError::new("status", "not every line is shipped"));
            }
            _ => {}
        }
        errors
    }

    /// The state-dependent rules for `role` changing `before` into `self`: the field paths to
    /// restore (the workflow step is illegal, or the field is locked in this status for this
    /// role). `before` is `None` for a new order.
    pub fn authorize(&self, before: Option<&Order>, role: Role) -> Vec<FieldError> {
        let mut denied = Vec::new();
        let office = OFFICE.contains(&role);
        let Some(before) = before else {
            // A new order starts as a draft (or submitted straight away) with nothing shipped.
            if !matches!(self.status, OrderStatus::Draft | OrderStatus::Submitted) {
                denied.push(FieldError::new("status", "a new order starts as a draft"));
            }
            if self
                .lines
                .iter()
                .any(|l| l.shipped_quantity != 0.0 || !l.lots.is_empty())
            {
                denied.push(FieldError::new("lines", "a new order has nothing shipped"));
            }
            return denied;
        };
        if !may_transition(role, before.status, self.status) {
            denied.push(FieldError::new(
                "status",
                format!(
                    "the {role} role may not move an order from {} to {}",
                    before.status.as_str(),
                    self.status.as_str()
                ),
            ));
        }
        // What may change in the status the order was in.
        let lines_open = match before.status {
            OrderStatus::Draft => true,
            OrderStatus::Submitted => office,
            _ => false,
        };
        if self.notes != before.notes && !lines_open && !office {
            denied.push(FieldError::new("notes", "the order is no longer editable"));
        }
        let shipping = office
            && matches!(
                before.status,
                OrderStatus::Confirmed | OrderStatus::PartiallyShipped
            );
        if !lines_changes_allowed(&before.lines, &self.lines, lines_open, shipping) {
            denied.push(FieldError::new(
                "lines",
                if lines_open || shipping {
                    "shipping is recorded by the office after confirmation"
                } else {
                    "the order's lines are locked in this status"
                },
            ));
        }
        denied
    }

    /// Prices every line from `book`, caps discounts at `max_discount_bp`, fills the server-owned
    /// copies and totals. Returns what was changed against the caller's wishes (a discount cut
    /// back, a line that cannot be priced), for the notice to the device. Lines of an order
    /// already confirmed keep their prices (the price of record).
    pub fn price(&mut self, book: &dyn PriceBook, max_discount_bp: i64) -> Vec<FieldError> {
        let mut adjusted = Vec::new();
        let reprice = matches!(self.status, OrderStatus::Draft | OrderStatus::Submitted);
        self.currency = book.currency().to_owned();
        for line in &mut self.lines {
            if reprice {
                let quote = line.product.and_then(|p| book.quote(p));
                match quote {
                    Some(q) if q.active => {
                        line.product_code = q.code;
                        line.product_name = q.name;
                        line.unit = q.unit;
                        line.unit_price = q.unit_price;
                        line.problem.clear();
                    }
                    Some(q) => {
                        line.product_code = q.code;
                        line.product_name = q.name;
                        line.unit = q.unit;
                        line.unit_price = 0;
                        line.problem = "product inactive".to_owned();
                        adjusted.push(FieldError::new("lines", "a product is no longer sold"));
                    }
                    None => {
                        line.unit_price = 0;
                        line.problem = "unknown product".to_owned();
                        adjusted.push(FieldError::new("lines", "an unknown product"));
                    }
                }
                let cap = max_discount_bp.clamp(0, 10_000);
                if line.discount_bp > cap {
                    adjusted.push(FieldError::new(
                        "lines",
                        format!(
                            "discount {} exceeds the limit {}",
                            fmt_bp(line.discount_bp),
                            fmt_bp(cap)
                        ),
                    ));
                    line.discount_bp = cap;
                }
            }
            line.line_total = line_amounts(line).1;
        }
        let (mut gross, mut discount) = (0_i64, 0_i64);
        for line in &self.lines {
            let (g, net) = line_amounts(line);
            gross = gross.saturating_add(g);
            discount = discount.saturating_add(g - net);
        }
        self.subtotal = gross;
        self.discount_total = discount;
        self.total = gross - discount;
        adjusted
    }

    /// What the customer still owes given `paid` (minor units); never negative.
    pub fn receivable(&self, paid: i64) -> i64 {
        if self.status == OrderStatus::Cancelled {
            0
        } else {
            (self.total - paid).max(0)
        }
    }
}

/// Whether the line changes from `before` to `after` stay inside what is open: `lines_open`
/// (lines may be added, removed and edited, except server-owned and shipping fields) and
/// `shipping` (only shipping fields may change, on existing lines).
fn lines_changes_allowed(
    before: &[OrderLine],
    after: &[OrderLine],
    lines_open: bool,
    shipping: bool,
) -> bool {
    let find = |id: OrderLineId| before.iter().find(|l| l.id == id);
    for line in after {
        let Some(old) = find(line.id) else {
            if !lines_open {
                return false;
            }
            continue;
        };
        // Server-owned copies (prices, totals) are not compared: pricing recomputes them.
        let ordinary_changed = line.product != old.product
            || line.quantity != old.quantity
            || line.requested_delivery != old.requested_delivery
            || line.discount_bp != old.discount_bp
            || line.notes != old.notes;
        let shipping_changed =
            line.shipped_quantity != old.shipped_quantity || line.lots != old.lots;
        if !lines_open && ordinary_changed {
            return false;
        }
        if shipping_changed && !shipping {
            return false;
        }
    }
    if !lines_open && before.iter().any(|l| !after.iter().any(|a| a.id == l.id)) {
        return false;
    }
    true
}

/// (gross, net) of a line in minor units: quantity × unit price, then less the discount.
fn line_amounts(line: &OrderLine) -> (i64, i64) {
    let gross = (line.quantity * line.unit_price as f64).round();
    let gross = if gross.is_finite() && gross.abs() < 9.0e15 {
        gross as i64
    } else {
        0
    };
    let discount =
        (i128::from(gross) * i128::from(line.discount_bp.clamp(0, 10_000)) + 5_000) / 10_000;
    (gross, gross - discount as i64)
}

fn fmt_bp(bp: i64) -> String {
    format!("{}.{:02} %", bp / 100, bp % 100)
}

/// The paths of a line only the server writes (pricing).
pub const fn server_line_fields() -> &'static [&'static str] {
    SERVER_LINE_FIELDS
}

/// The paths of a line only the office writes (shipping).
pub const fn shipping_line_fields() -> &'static [&'static str] {
    SHIPPING_LINE_FIELDS
}

/// The price of one product for one order, as the price book has it.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    /// Product code.
    pub code: String,
    /// Product name.
    pub name: String,
    /// Unit of measure.
    pub unit: String,
    /// Unit price in minor units (from the customer's price list, else the list price).
    pub unit_price: i64,
    /// Whether the product is still sold.
    pub active: bool,
}

/// Prices for one order (one customer, one date): built by the server from the catalog and the
/// price list of the customer's tier valid that day.
pub trait PriceBook {
    /// The currency of every price.
    fn currency(&self) -> &str;
    /// The quote for `product`, if the catalog knows it.
    fn quote(&self, product: ProductId) -> Option<Quote>;
}

/// A formatted order number, e.g. `SO-2026-000123`.
pub fn order_number(year: i32, seq: i64) -> String {
    format!("SO-{year}-{seq:06}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Book(HashMap<ProductId, Quote>);
    impl PriceBook for Book {
        fn currency(&self) -> &str {
            "CNY"
        }
        fn quote(&self, product: ProductId) -> Option<Quote> {
            self.0.get(&product).cloned()
        }
    }

    fn quote(code: &str, price: i64, active: bool) -> Quote {
        Quote {
            code: code.into(),
            name: format!("{code} name"),
            unit: "箱".into(),
            unit_price: price,
            active,
        }
    }

    fn line(product: ProductId, quantity: f64, discount_bp: i64) -> OrderLine {
        OrderLine {
            id: OrderLineId::new(),
            product: Some(product),
            quantity,
            discount_bp,
            ..OrderLine::default()
        }
    }

    fn order(lines: Vec<OrderLine>) -> Order {
        Order {
            customer: Some(CustomerId::new()),
            lines,
            ..Order::default()
        }
    }

    #[test]
    fn pricing_replaces_device_prices_caps_discounts_and_totals() {
        let (a, b, c) = (ProductId::new(), ProductId::new(), ProductId::new());
        let book = Book(HashMap::from([
            (a, quote("A", 12_50, true)),
            (b, quote("B", 99_00, false)),
        ]));
        let mut l1 = line(a, 4.0, 2_500);
        l1.unit_price = 1; // tampered estimate
        let mut o = order(vec![l1, line(b, 1.0, 0), line(c, 2.0, 0)]);
        let adjusted = o.price(&book, 1_000);
        assert_eq!(o.lines[0].unit_price, 12_50);
        assert_eq!(o.lines[0].discount_bp, 1_000, "capped at the role's limit");
        assert_eq!(o.lines[0].line_total, 45_00);
        assert_eq!(o.lines[1].problem, "product inactive");
        assert_eq!(o.lines[2].problem, "unknown product");
        assert_eq!(
            (o.subtotal, o.discount_total, o.total),
            (50_00, 5_00, 45_00)
        );
        assert_eq!(o.currency, "CNY");
        assert_eq!(adjusted.len(), 3);
        assert_eq!(o.receivable(20_00), 25_00);
        assert_eq!(o.receivable(60_00), 0);
    }

    #[test]
    fn confirmed_orders_keep_their_prices() {
        let a = ProductId::new();
        let mut o = order(vec![line(a, 2.0, 0)]);
        o.lines[0].unit_price = 7_00;
        o.status = OrderStatus::Confirmed;
        o.price(&Book(HashMap::from([(a, quote("A", 9_00, true))])), 0);
        assert_eq!(o.lines[0].unit_price, 7_00);
        assert_eq!(o.total, 14_00);
    }

    #[test]
    fn every_transition_for_every_role() {
        use OrderStatus::*;
        let office = [Role::Admin, Role::Manager, Role::Office];
        for role in Role::ALL {
            for from in OrderStatus::ALL {
                for to in OrderStatus::ALL {
                    let expected = from == to
                        || match (from, to) {
                            (Draft, Submitted) | (Draft, Cancelled) | (Submitted, Cancelled) => {
                                office.contains(&role) || role == Role::Rep
                            }
                            (Submitted, Confirmed)
                            | (Confirmed, PartiallyShipped)
                            | (Confirmed, Shipped)
                            | (PartiallyShipped, Shipped)
                            | (Shipped, Completed)
                            | (Confirmed, Cancelled) => office.contains(&role),
                            _ => false,
                        };
                    assert_eq!(
                        may_transition(role, from, to),
                        expected,
                        "{role}: {} → {}",
                        from.as_str(),
                        to.as_str()
                    );
                }
            }
        }
    }

    #[test]
    fn reps_cannot_confirm_nor_edit_after_submitting() {
        let a = ProductId::new();
        let mut before = order(vec![line(a, 1.0, 0)]);
        before.status = OrderStatus::Submitted;
        let mut after = before.clone();
        after.status = OrderStatus::Confirmed;
        let denied = after.authorize(Some(&before), Role::Rep);
        assert_eq!(denied[0].field, "status");
        let mut after = before.clone();
        after.lines[0].quantity = 5.0;
        assert_eq!(after.authorize(Some(&before), Role::Rep)[0].field, "lines");
        assert!(after.authorize(Some(&before), Role::Office).is_empty());
        let mut after = before.clone();
        after.status = OrderStatus::Cancelled;
        assert!(after.authorize(Some(&before), Role::Rep).is_empty());
    }

    #[test]
    fn only_the_office_ships_and_only_after_confirmation() {
        let a = ProductId::new();
        let mut before = order(vec![line(a, 3.0, 0)]);
        before.status = OrderStatus::Confirmed;
        let mut after = before.clone();
        after.lines[0].shipped_quantity = 1.0;
        after.lines[0].lots = vec!["LOT-1".into()];
        after.status = OrderStatus::PartiallyShipped;
        assert!(after.authorize(Some(&before), Role::Office).is_empty());
        assert!(after.validate().is_empty());
        assert!(!after.authorize(Some(&before), Role::Rep).is_empty());
        let mut shipped = after.clone();
        shipped.status = OrderStatus::Shipped;
        assert_eq!(shipped.validate()[0].field, "status", "not all shipped");
        shipped.lines[0].shipped_quantity = 3.0;
        assert!(shipped.validate().is_empty());
        let mut draft = order(vec![line(a, 1.0, 0)]);
        let mut early = draft.clone();
        early.lines[0].shipped_quantity = 1.0;
        assert!(!early.authorize(Some(&draft), Role::Office).is_empty());
        draft.status = OrderStatus::Shipped;
        assert!(
            !draft.authorize(None, Role::Rep).is_empty(),
            "new orders start as drafts"
        );
    }

    #[test]
    fn invariants_and_numbers() {
        let mut o = order(vec![line(ProductId::new(), 0.0, 20_000)]);
        o.lines[0].requested_delivery = Some("2026-13-40".into());
        let fields: Vec<_> = o.validate().into_iter().map(|e| e.field).collect();
        assert!(fields.iter().filter(|f| *f == "lines").count() >= 3);
        let none = Order {
            status: OrderStatus::Submitted,
            ..Order::default()
        };
        let fields: Vec<_> = none.validate().into_iter().map(|e| e.field).collect();
        assert!(fields.contains(&"customer".to_owned()) && fields.contains(&"status".to_owned()));
        assert_eq!(order_number(2026, 123), "SO-2026-000123");
    }
}

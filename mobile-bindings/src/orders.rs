//! Orders on the phone: a rep writes a draft for a customer offline (lines of products with
//! quantities), submits it, or cancels it; the server prices every line, caps discounts and gives
//! the order its number when it first accepts it. Money is integer minor units (fen); discounts
//! are basis points (1 % = 100).
//!
//! Lines name their product by id. The product picker (the catalog on the device) is not part of
//! this module: the app fills [`OrderLineInput::product_id`] from whatever picker it has.

use fieldcrm_core::Role;
use fieldcrm_core::client::{self as core_client, LineInput};
use fieldcrm_core::domain::order::{self as core_order, Order, OrderLine};
use fieldcrm_core::ids::{CustomerId, OrderId, OrderLineId, ProductId};

use crate::{FieldClient, FieldError, boxed};

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum OrderStatus {
    /// Being written by the rep; lines may change.
    Draft,
    /// Sent to the office for confirmation.
    Submitted,
    /// Accepted by the office; to be shipped.
    Confirmed,
    /// Part of it shipped.
    PartiallyShipped,
    /// Everything shipped.
    Shipped,
    /// Delivered and closed.
    Completed,
    /// Cancelled before shipping.
    Cancelled,
}

impl From<core_order::OrderStatus> for OrderStatus {
    fn from(s: core_order::OrderStatus) -> Self {
        use core_order::OrderStatus as S;
        match s {
            S::Draft => OrderStatus::Draft,
            S::Submitted => OrderStatus::Submitted,
            S::Confirmed => OrderStatus::Confirmed,
            S::PartiallyShipped => OrderStatus::PartiallyShipped,
            S::Shipped => OrderStatus::Shipped,
            S::Completed => OrderStatus::Completed,
            S::Cancelled => OrderStatus::Cancelled,
        }
    }
}

/// What the signed-in user may do with an order now (for the app's buttons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum OrderStep {
    /// Send it to the office ([`FieldClient::submit_order`]); needs at least one line.
    Submit,
    /// Cancel it ([`FieldClient::cancel_order`]).
    Cancel,
    /// Lines may still be added, changed or removed.
    EditLines,
}

/// One order in a list.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct OrderSummary {
    /// The order's id.
    pub id: String,
    /// The customer's id.
    pub customer_id: String,
    /// The customer's name (empty when the customer is not on the device).
    pub customer_name: String,
    /// The number the server gave it (`SO-2026-000123`); none before its first sync.
    pub number: Option<String>,
    /// Status.
    pub status: OrderStatus,
    /// ISO 4217 currency of the total (empty before the server priced it).
    pub currency: String,
    /// Total in minor units (the server's, once priced; 0 before).
    pub total: i64,
    /// Number of lines.
    pub line_count: u32,
    /// Whether local edits await the server.
    pub pending: bool,
    /// Last local change (unix ms).
    pub updated_at: i64,
}

impl From<core_client::OrderSummary> for OrderSummary {
    fn from(o: core_client::OrderSummary) -> Self {
        OrderSummary {
            id: o.id.to_string(),
            customer_id: o.customer.map(|c| c.to_string()).unwrap_or_default(),
            customer_name: o.customer_name,
            number: o.number,
            status: o.status.into(),
            currency: o.currency,
            total: o.total,
            line_count: o.line_count,
            pending: o.pending,
            updated_at: o.updated_at,
        }
    }
}

/// A line as the rep enters it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct OrderLineInput {
    /// The product's id (from the product picker).
    pub product_id: String,
    /// Quantity in the product's unit (positive, at most three decimals).
    pub quantity: f64,
    /// Discount asked for, basis points (0–10000); the server caps it at the role's limit.
    pub discount_bp: i64,
    /// Requested delivery date, `YYYY-MM-DD`.
    pub requested_delivery: Option<String>,
    /// Notes on the line.
    pub notes: String,
}

impl TryFrom<OrderLineInput> for LineInput {
    type Error = FieldError;

    fn try_from(l: OrderLineInput) -> Result<Self, FieldError> {
        Ok(LineInput {
            product: ProductId::parse(l.product_id.trim())?,
            quantity: l.quantity,
            discount_bp: l.discount_bp,
            requested_delivery: l
                .requested_delivery
                .map(|d| d.trim().to_owned())
                .filter(|d| !d.is_empty()),
            notes: l.notes,
        })
    }
}

/// A line of an order, with what the server filled in.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct OrderLineRecord {
    /// The line's id.
    pub id: String,
    /// The product's id.
    pub product_id: Option<String>,
    /// Server: product code at pricing time (empty before).
    pub product_code: String,
    /// Server: product name at pricing time (empty before).
    pub product_name: String,
    /// Server: unit of measure.
    pub unit: String,
    /// Quantity.
    pub quantity: f64,
    /// Discount, basis points (as capped by the server once priced).
    pub discount_bp: i64,
    /// Requested delivery date, `YYYY-MM-DD`.
    pub requested_delivery: Option<String>,
    /// Notes on the line.
    pub notes: String,
    /// Server: unit price, minor units.
    pub unit_price: i64,
    /// Server: quantity × unit price − discount, minor units.
    pub line_total: i64,
    /// Server: why the line could not be priced (unknown or inactive product); empty if fine.
    pub problem: String,
    /// Office: quantity shipped so far.
    pub shipped_quantity: f64,
    /// Office: batch or serial numbers shipped.
    pub lots: Vec<String>,
}

impl From<OrderLine> for OrderLineRecord {
    fn from(l: OrderLine) -> Self {
        OrderLineRecord {
            id: l.id.to_string(),
            product_id: l.product.map(|p| p.to_string()),
            product_code: l.product_code,
            product_name: l.product_name,
            unit: l.unit,
            quantity: l.quantity,
            discount_bp: l.discount_bp,
            requested_delivery: l.requested_delivery,
            notes: l.notes,
            unit_price: l.unit_price,
            line_total: l.line_total,
            problem: l.problem,
            shipped_quantity: l.shipped_quantity,
            lots: l.lots,
        }
    }
}

/// An order, as shown on its screen.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct OrderRecord {
    /// The order's id.
    pub id: String,
    /// The customer's id.
    pub customer_id: String,
    /// Server: the order number (`SO-2026-000123`), once the server accepted the order.
    pub number: Option<String>,
    /// Status.
    pub status: OrderStatus,
    /// Server: the rep who took it.
    pub rep_id: Option<String>,
    /// The lines.
    pub lines: Vec<OrderLineRecord>,
    /// Free notes.
    pub notes: String,
    /// Why it was cancelled.
    pub cancel_reason: String,
    /// Server: ISO 4217 currency of every amount (empty before pricing).
    pub currency: String,
    /// Server: Σ quantity × unit price, minor units.
    pub subtotal: i64,
    /// Server: Σ line discounts, minor units.
    pub discount_total: i64,
    /// Server: subtotal − discounts, minor units.
    pub total: i64,
    /// What the signed-in user may do with it now.
    pub steps: Vec<OrderStep>,
}

/// The steps `role` may take on `order` now: each is tried on a copy against the workflow and the
/// invariants, exactly as the device checks the real action.
fn order_steps(order: &Order, role: Role) -> Vec<OrderStep> {
    let allowed = |after: Order| {
        after != *order
            && after.authorize(Some(order), role).is_empty()
            && after.validate().is_empty()
    };
    let mut steps = Vec::new();
    let moved = |to| Order {
        status: to,
        ..order.clone()
    };
    if order.status != core_order::OrderStatus::Submitted
        && allowed(moved(core_order::OrderStatus::Submitted))
    {
        steps.push(OrderStep::Submit);
    }
    if order.status != core_order::OrderStatus::Cancelled
        && allowed(moved(core_order::OrderStatus::Cancelled))
    {
        steps.push(OrderStep::Cancel);
    }
    let mut more = order.clone();
    more.lines.push(OrderLine {
        id: OrderLineId::new(),
        product: Some(ProductId::new()),
        quantity: 1.0,
        ..OrderLine::default()
    });
    if allowed(more) {
        steps.push(OrderStep::EditLines);
    }
    steps
}

#[uniffi::export(async_runtime = "tokio")]
impl FieldClient {
    /// Orders on the device, newest first; of one customer when `customer_id` is given.
    pub async fn list_orders(
        &self,
        customer_id: Option<String>,
    ) -> Result<Vec<OrderSummary>, FieldError> {
        let customer = customer_id.as_deref().map(CustomerId::parse).transpose()?;
        Ok(boxed(self.inner.list_orders(customer))
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// One order in full, with what the user may do with it now.
    pub async fn get_order(&self, order_id: String) -> Result<OrderRecord, FieldError> {
        let id = OrderId::parse(&order_id)?;
        let order = boxed(self.inner.get_order(id)).await?;
        let steps = order_steps(&order, self.role().await?);
        Ok(OrderRecord {
            id: order_id,
            customer_id: order.customer.map(|c| c.to_string()).unwrap_or_default(),
            number: order.number,
            status: order.status.into(),
            rep_id: order.rep.map(|r| r.to_string()),
            lines: order.lines.into_iter().map(Into::into).collect(),
            notes: order.notes,
            cancel_reason: order.cancel_reason,
            currency: order.currency,
            subtotal: order.subtotal,
            discount_total: order.discount_total,
            total: order.total,
            steps,
        })
    }

    /// Starts a draft order (locally, pending until synced) for a customer on the device with
    /// `lines`; returns its id. The server prices it when it syncs.
    pub async fn create_order(
        &self,
        customer_id: String,
        lines: Vec<OrderLineInput>,
        notes: String,
    ) -> Result<String, FieldError> {
        let customer = CustomerId::parse(&customer_id)?;
        let lines = lines
            .into_iter()
            .map(LineInput::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(boxed(self.inner.create_order(customer, lines, &notes))
            .await?
            .to_string())
    }

    /// Sends a draft to the office for confirmation (`Forbidden` when the workflow does not
    /// allow it, `InvalidInput` for an order without lines).
    pub async fn submit_order(&self, order_id: String) -> Result<(), FieldError> {
        let id = OrderId::parse(&order_id)?;
        Ok(boxed(self.inner.submit_order(id)).await?)
    }

    /// Cancels an order with the reason (a rep may while it is a draft or submitted).
    pub async fn cancel_order(&self, order_id: String, reason: String) -> Result<(), FieldError> {
        let id = OrderId::parse(&order_id)?;
        Ok(boxed(self.inner.cancel_order(id, reason.trim())).await?)
    }
}

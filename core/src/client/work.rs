//! Orders a rep takes and dispatches an engineer works, on the device and offline.
//!
//! Each action checks locally what the server will check (the workflow step for the user's role,
//! the fields the status leaves open, the invariants), so the app can refuse at once; the server
//! decides anyway and compensates what it does not allow.

use serde::{Deserialize, Serialize};

use super::store::now_ms;
use super::{ClientError, FieldClient};
use crate::attachment::Sha256Hex;
use crate::domain::dispatch::{self, DispatchStatus};
use crate::domain::order::{self, OrderStatus};
use crate::domain::{CheckPoint, Dispatch, Order, OrderLine, PartUsed, Survey, WorkLogEntry};
use crate::ids::{CustomerId, DispatchId, EntryId, OrderId, OrderLineId, ProductId};
use crate::role::Role;

/// One order in a list (a row of the device's `orders` projection).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderSummary {
    /// The order.
    pub id: OrderId,
    /// The customer.
    pub customer: Option<CustomerId>,
    /// The customer's name, when the customer is on the device.
    pub customer_name: String,
    /// The number the server gave it (none before its first sync).
    pub number: Option<String>,
    /// Status.
    pub status: OrderStatus,
    /// Currency of the total.
    pub currency: String,
    /// Total in minor units (the server's, once priced).
    pub total: i64,
    /// Number of lines.
    pub line_count: u32,
    /// Whether local edits await the server.
    pub pending: bool,
    /// Last local change (unix ms).
    pub updated_at: i64,
}

/// One dispatch in a list (a row of the device's `dispatches` projection).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DispatchSummary {
    /// The dispatch.
    pub id: DispatchId,
    /// Repair, installation, maintenance, complaint.
    pub ticket_type: String,
    /// Priority.
    pub priority: String,
    /// Status.
    pub status: DispatchStatus,
    /// The customer's name.
    pub customer_name: String,
    /// The site's address.
    pub address: String,
    /// When the engineer should be there (unix ms).
    pub scheduled_at: Option<i64>,
    /// SLA due (unix ms).
    pub sla_due_at: Option<i64>,
    /// Whether local edits await the server.
    pub pending: bool,
    /// Last local change (unix ms).
    pub updated_at: i64,
}

/// A line to put on a new order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineInput {
    /// Product from the catalog.
    pub product: ProductId,
    /// Quantity in the product's unit.
    pub quantity: f64,
    /// Discount asked for, basis points (the server caps it at the role's limit).
    pub discount_bp: i64,
    /// Requested delivery date, `YYYY-MM-DD`.
    pub requested_delivery: Option<String>,
    /// Notes on the line.
    pub notes: String,
}

impl From<LineInput> for OrderLine {
    fn from(l: LineInput) -> Self {
        OrderLine {
            id: OrderLineId::new(),
            product: Some(l.product),
            quantity: l.quantity,
            discount_bp: l.discount_bp,
            requested_delivery: l.requested_delivery,
            notes: l.notes,
            ..OrderLine::default()
        }
    }
}

/// A step of an engineer's work on a dispatch.
#[derive(Debug, Clone, PartialEq)]
pub enum DispatchAction {
    /// Take the job.
    Accept,
    /// On the way.
    EnRoute,
    /// Arrived: check-in with the phone's position.
    CheckIn(CheckPoint),
    /// A work log entry.
    Log(String),
    /// A part used.
    Part {
        /// The product.
        product: ProductId,
        /// Quantity.
        quantity: f64,
        /// Serial numbers, for serial-tracked parts.
        serials: Vec<String>,
    },
    /// Done (needs the check-in and the customer's signature).
    Complete,
    /// Cannot be completed, with the reason.
    Unable(String),
    /// The customer's satisfaction after completion.
    Survey {
        /// 1 to 5.
        score: i64,
        /// The customer's words.
        comment: String,
    },
}

fn refused(errors: &[crate::domain::FieldError]) -> Result<(), ClientError> {
    if errors.is_empty() {
        return Ok(());
    }
    Err(ClientError::Forbidden(
        errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
    ))
}

impl FieldClient {
    async fn role(&self) -> Result<Role, ClientError> {
        self.session()
            .await?
            .map(|s| s.user.role)
            .ok_or_else(|| ClientError::Unauthorized("not logged in".into()))
    }

    // ----- orders -----

    /// Orders on the device (optionally of one customer), newest first.
    pub async fn list_orders(
        &self,
        customer: Option<CustomerId>,
    ) -> Result<Vec<OrderSummary>, ClientError> {
        self.inner.store.list_orders(customer).await
    }

    /// An order, hydrated from its document.
    pub async fn get_order(&self, id: OrderId) -> Result<Order, ClientError> {
        self.get_record(id.into()).await
    }

    /// Starts a draft order for `customer` with `lines` (priced by the server when it syncs;
    /// `estimate` fills the device's estimate). The customer must be on the device.
    pub async fn create_order(
        &self,
        customer: CustomerId,
        lines: Vec<LineInput>,
        notes: &str,
    ) -> Result<OrderId, ClientError> {
        self.get_customer(customer).await?;
        let order = Order {
            customer: Some(customer),
            lines: lines.into_iter().map(OrderLine::from).collect(),
            notes: notes.to_owned(),
            ..Order::default()
        };
        Ok(self.create_record(order).await?.into())
    }

    /// Edits an order with `f`, refused locally when the workflow does not allow it for the
    /// user's role (the status step, or fields locked in the current status).
    pub async fn edit_order(
        &self,
        id: OrderId,
        f: impl FnOnce(&mut Order) -> Result<(), ClientError> + Send,
    ) -> Result<(), ClientError> {
        let role = self.role().await?;
        self.edit_record::<Order>(id.into(), move |o| {
            let before = o.clone();
            f(o)?;
            refused(&o.authorize(Some(&before), role))
        })
        .await
    }

    /// Sends a draft to the office for confirmation.
    pub async fn submit_order(&self, id: OrderId) -> Result<(), ClientError> {
        self.edit_order(id, |o| {
            o.status = OrderStatus::Submitted;
            Ok(())
        })
        .await
    }

    /// Cancels an order (a rep may while it is a draft or submitted).
    pub async fn cancel_order(&self, id: OrderId, reason: &str) -> Result<(), ClientError> {
        let reason = reason.to_owned();
        self.edit_order(id, move |o| {
            o.status = OrderStatus::Cancelled;
            o.cancel_reason = reason;
            Ok(())
        })
        .await
    }

    /// Whether the user's role may move an order from `from` to `to` (for the app's buttons).
    pub async fn may_move_order(
        &self,
        from: OrderStatus,
        to: OrderStatus,
    ) -> Result<bool, ClientError> {
        Ok(order::may_transition(self.role().await?, from, to))
    }

    // ----- dispatches -----

    /// Dispatches on the device, by scheduled time.
    pub async fn list_dispatches(&self) -> Result<Vec<DispatchSummary>, ClientError> {
        self.inner.store.list_dispatches().await
    }

    /// A dispatch, hydrated from its document.
    pub async fn get_dispatch(&self, id: DispatchId) -> Result<Dispatch, ClientError> {
        self.get_record(id.into()).await
    }

    /// Works a dispatch one step further, checked locally against the workflow.
    pub async fn dispatch_action(
        &self,
        id: DispatchId,
        action: DispatchAction,
    ) -> Result<(), ClientError> {
        let role = self.role().await?;
        let now = now_ms();
        self.edit_record::<Dispatch>(id.into(), move |d| {
            let before = d.clone();
            apply(d, action, now);
            refused(&d.authorize(Some(&before), role))
        })
        .await
    }

    /// Adds a photo to a dispatch (stored, queued for upload, referenced; see
    /// [`FieldClient::add_visit_photo`]).
    pub async fn add_dispatch_photo(
        &self,
        id: DispatchId,
        bytes: &[u8],
        content_type: &str,
        caption: &str,
        taken_at: i64,
    ) -> Result<Sha256Hex, ClientError> {
        self.get_dispatch(id).await?;
        let photo = self
            .queue_attachment(id.into(), bytes, content_type, caption, taken_at)
            .await?;
        let sha = photo.sha256.clone();
        let role = self.role().await?;
        self.edit_record::<Dispatch>(id.into(), move |d| {
            let before = d.clone();
            if !d.photos.iter().any(|p| p.sha256 == photo.sha256) {
                d.photos.push(photo);
            }
            refused(&d.authorize(Some(&before), role))
        })
        .await?;
        self.inner.attachments.wake.notify_one();
        Sha256Hex::parse(&sha).map_err(|e| ClientError::InvalidInput(e.to_string()))
    }

    /// Records the customer's signature (an image) on a dispatch.
    pub async fn sign_dispatch(
        &self,
        id: DispatchId,
        bytes: &[u8],
        content_type: &str,
    ) -> Result<Sha256Hex, ClientError> {
        self.get_dispatch(id).await?;
        let signature = self
            .queue_attachment(id.into(), bytes, content_type, "signature", now_ms())
            .await?;
        let sha = signature.sha256.clone();
        let role = self.role().await?;
        self.edit_record::<Dispatch>(id.into(), move |d| {
            let before = d.clone();
            d.signature = Some(signature);
            refused(&d.authorize(Some(&before), role))
        })
        .await?;
        self.inner.attachments.wake.notify_one();
        Sha256Hex::parse(&sha).map_err(|e| ClientError::InvalidInput(e.to_string()))
    }

    /// Whether the user's role may move a dispatch from `from` to `to`.
    pub async fn may_move_dispatch(
        &self,
        from: DispatchStatus,
        to: DispatchStatus,
    ) -> Result<bool, ClientError> {
        Ok(dispatch::may_transition(self.role().await?, from, to))
    }
}

/// Applies an engineer's step to the record.
fn apply(d: &mut Dispatch, action: DispatchAction, now: i64) {
    match action {
        DispatchAction::Accept => d.status = DispatchStatus::Accepted,
        DispatchAction::EnRoute => d.status = DispatchStatus::EnRoute,
        DispatchAction::CheckIn(point) => {
            d.check_in = Some(point);
            d.status = DispatchStatus::OnSite;
        }
        DispatchAction::Log(text) => d.work_log.push(WorkLogEntry {
            id: EntryId::new(),
            at: now,
            text,
        }),
        DispatchAction::Part {
            product,
            quantity,
            serials,
        } => d.parts.push(PartUsed {
            id: EntryId::new(),
            product: Some(product),
            quantity,
            serials,
        }),
        DispatchAction::Complete => {
            d.status = DispatchStatus::Completed;
            d.completed_at = Some(now);
        }
        DispatchAction::Unable(reason) => {
            d.status = DispatchStatus::Unable;
            d.unable_reason = reason;
        }
        DispatchAction::Survey { score, comment } => {
            d.survey = Some(Survey {
                score,
                comment,
                at: now,
            });
        }
    }
}

//! Service dispatches on the phone: the jobs the office assigned to the signed-in engineer, worked
//! offline one step at a time — accept, en route, check-in with the phone's position, work log,
//! parts, photos, the customer's signature, complete (or unable, with the reason), then the
//! satisfaction survey. Each step is one method, checked on the device against the same workflow
//! the server enforces: an illegal step is `Forbidden`, a step the record cannot take yet (complete
//! without the signature) is `InvalidInput`. [`DispatchRecord::steps`] says which steps are open
//! now, for the app's buttons.
//!
//! Parts name their product by id; the product picker (the catalog on the device) is the app's.

use fieldcrm_core::client::{self as core_client, DispatchAction};
use fieldcrm_core::domain::CheckPoint;
use fieldcrm_core::domain::dispatch as core_dispatch;
use fieldcrm_core::ids::{DispatchId, ProductId};

use crate::visits::{CheckPointRecord, PhotoRecord};
use crate::{FieldClient, FieldError, boxed, geo, now_ms};

/// Where a dispatch is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DispatchStatus {
    /// Given to the engineer, not yet accepted.
    Assigned,
    /// Accepted by the engineer.
    Accepted,
    /// On the way.
    EnRoute,
    /// Checked in at the customer.
    OnSite,
    /// Work done and signed.
    Completed,
    /// Could not be completed (reason given).
    Unable,
    /// Withdrawn by the office.
    Cancelled,
}

impl From<core_dispatch::DispatchStatus> for DispatchStatus {
    fn from(s: core_dispatch::DispatchStatus) -> Self {
        use core_dispatch::DispatchStatus as S;
        match s {
            S::Assigned => DispatchStatus::Assigned,
            S::Accepted => DispatchStatus::Accepted,
            S::EnRoute => DispatchStatus::EnRoute,
            S::OnSite => DispatchStatus::OnSite,
            S::Completed => DispatchStatus::Completed,
            S::Unable => DispatchStatus::Unable,
            S::Cancelled => DispatchStatus::Cancelled,
        }
    }
}

/// One step of the work on a dispatch (one method each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DispatchStep {
    /// Take the job ([`FieldClient::accept_dispatch`]).
    Accept,
    /// Set off ([`FieldClient::set_dispatch_en_route`]).
    EnRoute,
    /// Arrive, with the phone's position ([`FieldClient::check_in_dispatch`]).
    CheckIn,
    /// Add a work log entry ([`FieldClient::log_dispatch_work`]).
    Log,
    /// Record a part used ([`FieldClient::add_dispatch_part`]).
    AddPart,
    /// Add a photo ([`FieldClient::add_dispatch_photo`]).
    AddPhoto,
    /// Take the customer's signature ([`FieldClient::sign_dispatch`]).
    Sign,
    /// Finish: needs the check-in and the signature ([`FieldClient::complete_dispatch`]).
    Complete,
    /// Give up, with the reason ([`FieldClient::mark_dispatch_unable`]).
    Unable,
    /// Record the customer's satisfaction, after completion
    /// ([`FieldClient::record_dispatch_survey`]).
    Survey,
}

impl From<core_dispatch::DispatchStep> for DispatchStep {
    fn from(s: core_dispatch::DispatchStep) -> Self {
        use core_dispatch::DispatchStep as S;
        match s {
            S::Accept => DispatchStep::Accept,
            S::EnRoute => DispatchStep::EnRoute,
            S::CheckIn => DispatchStep::CheckIn,
            S::Log => DispatchStep::Log,
            S::AddPart => DispatchStep::AddPart,
            S::AddPhoto => DispatchStep::AddPhoto,
            S::Sign => DispatchStep::Sign,
            S::Complete => DispatchStep::Complete,
            S::Unable => DispatchStep::Unable,
            S::Survey => DispatchStep::Survey,
        }
    }
}

/// One dispatch in a list.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DispatchSummary {
    /// The dispatch's id.
    pub id: String,
    /// Repair, installation, maintenance, complaint.
    pub ticket_type: String,
    /// Priority (`low`, `normal`, `high`, `urgent`).
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

impl From<core_client::DispatchSummary> for DispatchSummary {
    fn from(d: core_client::DispatchSummary) -> Self {
        DispatchSummary {
            id: d.id.to_string(),
            ticket_type: d.ticket_type,
            priority: d.priority,
            status: d.status.into(),
            customer_name: d.customer_name,
            address: d.address,
            scheduled_at: d.scheduled_at,
            sla_due_at: d.sla_due_at,
            pending: d.pending,
            updated_at: d.updated_at,
        }
    }
}

/// Where and whom the engineer goes to (read-only, written by the office).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SiteRecord {
    /// Customer name.
    pub customer_name: String,
    /// One-line address.
    pub address: String,
    /// Latitude of the address, when known.
    pub lat: Option<f64>,
    /// Longitude of the address, when known.
    pub lon: Option<f64>,
    /// Whom to ask for.
    pub contact_name: String,
    /// Their phone.
    pub contact_phone: String,
}

/// One entry of the work log.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct WorkLogRecord {
    /// The entry's id.
    pub id: String,
    /// When (unix ms).
    pub at: i64,
    /// What was done.
    pub text: String,
}

/// A part used.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PartRecord {
    /// The entry's id.
    pub id: String,
    /// The product's id.
    pub product_id: Option<String>,
    /// Quantity in the product's unit.
    pub quantity: f64,
    /// Serial numbers, for serial-tracked parts.
    pub serials: Vec<String>,
}

/// The customer's satisfaction.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SurveyRecord {
    /// 1 (bad) to 5 (excellent).
    pub score: i64,
    /// The customer's words.
    pub comment: String,
    /// When it was recorded (unix ms).
    pub at: i64,
}

/// A dispatch, as shown on the work screen.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DispatchRecord {
    /// The dispatch's id.
    pub id: String,
    /// The ticket it works on.
    pub ticket_id: Option<String>,
    /// The customer (read-only).
    pub customer_id: Option<String>,
    /// The engineer it is assigned to.
    pub engineer_id: Option<String>,
    /// Repair, installation, maintenance, complaint.
    pub ticket_type: String,
    /// Priority.
    pub priority: String,
    /// What the customer reported.
    pub description: String,
    /// Product and serial concerned, if any.
    pub product_serial: String,
    /// SLA due (unix ms).
    pub sla_due_at: Option<i64>,
    /// Where and whom to go to.
    pub site: SiteRecord,
    /// When the engineer should be there (unix ms).
    pub scheduled_at: Option<i64>,
    /// Status.
    pub status: DispatchStatus,
    /// Arrival at the customer.
    pub check_in: Option<CheckPointRecord>,
    /// What was done, in order.
    pub work_log: Vec<WorkLogRecord>,
    /// Parts used.
    pub parts: Vec<PartRecord>,
    /// Photos, in the order taken, with their upload state.
    pub photos: Vec<PhotoRecord>,
    /// The customer's signature (an image), with its upload state.
    pub signature: Option<PhotoRecord>,
    /// When the work was completed (unix ms).
    pub completed_at: Option<i64>,
    /// Why it could not be completed.
    pub unable_reason: String,
    /// The satisfaction survey.
    pub survey: Option<SurveyRecord>,
    /// The steps the signed-in user may take now (for the app's buttons).
    pub steps: Vec<DispatchStep>,
}

fn non_blank(what: &str, text: String) -> Result<String, FieldError> {
    let text = text.trim().to_owned();
    if text.is_empty() {
        return Err(FieldError::invalid(format!("{what}: required")));
    }
    Ok(text)
}

impl FieldClient {
    async fn act(&self, dispatch_id: &str, action: DispatchAction) -> Result<(), FieldError> {
        let id = DispatchId::parse(dispatch_id)?;
        Ok(boxed(self.inner.dispatch_action(id, action)).await?)
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl FieldClient {
    /// The dispatches on the device (the user's), by scheduled time.
    pub async fn list_dispatches(&self) -> Result<Vec<DispatchSummary>, FieldError> {
        Ok(boxed(self.inner.list_dispatches())
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// One dispatch in full, with its files' upload state and the steps open now.
    pub async fn get_dispatch(&self, dispatch_id: String) -> Result<DispatchRecord, FieldError> {
        let id = DispatchId::parse(&dispatch_id)?;
        let d = boxed(self.inner.get_dispatch(id)).await?;
        let steps = d
            .steps(self.role().await?, now_ms())
            .into_iter()
            .map(DispatchStep::from)
            .collect();
        let photos = self.photo_records(d.photos).await?;
        let signature = self
            .photo_records(d.signature.into_iter().collect())
            .await?
            .pop();
        Ok(DispatchRecord {
            id: dispatch_id,
            ticket_id: d.ticket.map(|t| t.to_string()),
            customer_id: d.customer.map(|c| c.to_string()),
            engineer_id: d.engineer.map(|e| e.to_string()),
            ticket_type: d.ticket_type,
            priority: d.priority,
            description: d.description,
            product_serial: d.product_serial,
            sla_due_at: d.sla_due_at,
            site: SiteRecord {
                customer_name: d.site.customer_name,
                address: d.site.address,
                lat: d.site.geo.map(|g| g.lat),
                lon: d.site.geo.map(|g| g.lon),
                contact_name: d.site.contact_name,
                contact_phone: d.site.contact_phone,
            },
            scheduled_at: d.scheduled_at,
            status: d.status.into(),
            check_in: d.check_in.map(Into::into),
            work_log: d
                .work_log
                .into_iter()
                .map(|e| WorkLogRecord {
                    id: e.id.to_string(),
                    at: e.at,
                    text: e.text,
                })
                .collect(),
            parts: d
                .parts
                .into_iter()
                .map(|p| PartRecord {
                    id: p.id.to_string(),
                    product_id: p.product.map(|p| p.to_string()),
                    quantity: p.quantity,
                    serials: p.serials,
                })
                .collect(),
            photos,
            signature,
            completed_at: d.completed_at,
            unable_reason: d.unable_reason,
            survey: d.survey.map(|s| SurveyRecord {
                score: s.score,
                comment: s.comment,
                at: s.at,
            }),
            steps,
        })
    }

    /// Takes the job.
    pub async fn accept_dispatch(&self, dispatch_id: String) -> Result<(), FieldError> {
        self.act(&dispatch_id, DispatchAction::Accept).await
    }

    /// Sets off to the customer.
    pub async fn set_dispatch_en_route(&self, dispatch_id: String) -> Result<(), FieldError> {
        self.act(&dispatch_id, DispatchAction::EnRoute).await
    }

    /// Arrives at the customer now, with the phone's position when it has a fix.
    pub async fn check_in_dispatch(
        &self,
        dispatch_id: String,
        lat: Option<f64>,
        lon: Option<f64>,
        accuracy_m: Option<f64>,
    ) -> Result<(), FieldError> {
        let point = CheckPoint {
            at: now_ms(),
            geo: geo(lat, lon)?,
            accuracy_m: accuracy_m.filter(|a| a.is_finite() && *a >= 0.0),
        };
        self.act(&dispatch_id, DispatchAction::CheckIn(point)).await
    }

    /// Adds an entry (non-blank) to the work log.
    pub async fn log_dispatch_work(
        &self,
        dispatch_id: String,
        text: String,
    ) -> Result<(), FieldError> {
        let text = non_blank("work log", text)?;
        self.act(&dispatch_id, DispatchAction::Log(text)).await
    }

    /// Records a part used: the product's id (from the product picker), the quantity, and the
    /// serial numbers of serial-tracked parts (blank ones are dropped).
    pub async fn add_dispatch_part(
        &self,
        dispatch_id: String,
        product_id: String,
        quantity: f64,
        serials: Vec<String>,
    ) -> Result<(), FieldError> {
        let product = ProductId::parse(product_id.trim())?;
        let serials = serials
            .into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        self.act(
            &dispatch_id,
            DispatchAction::Part {
                product,
                quantity,
                serials,
            },
        )
        .await
    }

    /// Adds a photo (JPEG, PNG or WebP bytes, at most 10 MiB): stored on the device, referenced by
    /// the dispatch, uploaded by the next sync. Returns its SHA-256 (lowercase hex).
    pub async fn add_dispatch_photo(
        &self,
        dispatch_id: String,
        bytes: Vec<u8>,
        content_type: String,
        caption: String,
    ) -> Result<String, FieldError> {
        let id = DispatchId::parse(&dispatch_id)?;
        let sha =
            boxed(
                self.inner
                    .add_dispatch_photo(id, &bytes, &content_type, &caption, now_ms()),
            )
            .await?;
        Ok(sha.to_string())
    }

    /// Records the customer's signature (an image, e.g. the PNG of the signature pad); replaces
    /// an earlier one. Returns its SHA-256 (lowercase hex).
    pub async fn sign_dispatch(
        &self,
        dispatch_id: String,
        bytes: Vec<u8>,
        content_type: String,
    ) -> Result<String, FieldError> {
        let id = DispatchId::parse(&dispatch_id)?;
        let sha = boxed(self.inner.sign_dispatch(id, &bytes, &content_type)).await?;
        Ok(sha.to_string())
    }

    /// Finishes the job now (needs the check-in and the customer's signature).
    pub async fn complete_dispatch(&self, dispatch_id: String) -> Result<(), FieldError> {
        self.act(&dispatch_id, DispatchAction::Complete).await
    }

    /// Gives up on the job with the reason (non-blank).
    pub async fn mark_dispatch_unable(
        &self,
        dispatch_id: String,
        reason: String,
    ) -> Result<(), FieldError> {
        let reason = non_blank("reason", reason)?;
        self.act(&dispatch_id, DispatchAction::Unable(reason)).await
    }

    /// Records the customer's satisfaction (score 1–5) after completion.
    pub async fn record_dispatch_survey(
        &self,
        dispatch_id: String,
        score: i64,
        comment: String,
    ) -> Result<(), FieldError> {
        if !(1..=5).contains(&score) {
            return Err(FieldError::invalid("survey: score must be 1 to 5"));
        }
        self.act(
            &dispatch_id,
            DispatchAction::Survey {
                score,
                comment: comment.trim().to_owned(),
            },
        )
        .await
    }
}

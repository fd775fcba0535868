//! The visits and contacts part of the facade: list and show visits with their photos, edit a
//! visit's notes, add photos (queued for upload), add/update/remove a customer's contacts.
//! Records here are the app's view (ids as strings, parsed at the boundary).

use fieldcrm_core::attachment::Sha256Hex;
use fieldcrm_core::client::{self as core_client, UploadState};
use fieldcrm_core::domain::{CheckPoint, PhotoRef, Visit};
use fieldcrm_core::ids::{ContactId, CustomerId, VisitId};

use crate::{FieldClient, FieldError, boxed, now_ms};

/// A contact as entered in a form (without id).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ContactInput {
    /// Full name (required).
    pub name: String,
    /// Job title.
    pub title: String,
    /// Department.
    pub department: String,
    /// Phone numbers.
    pub phones: Vec<String>,
    /// E-mail.
    pub email: String,
    /// Role in the buying process.
    pub role: String,
    /// The main contact (setting it clears the flag on the customer's other contacts).
    pub primary: bool,
    /// Free notes.
    pub notes: String,
}

impl From<ContactInput> for core_client::ContactInput {
    fn from(c: ContactInput) -> Self {
        core_client::ContactInput {
            name: c.name,
            title: c.title,
            department: c.department,
            phones: c.phones,
            email: c.email,
            role: c.role,
            primary: c.primary,
            notes: c.notes,
        }
    }
}

/// One visit in a list.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VisitSummary {
    /// The visit's id.
    pub id: String,
    /// The customer's id.
    pub customer_id: String,
    /// The customer's name (empty when the customer is not on the device).
    pub customer_name: String,
    /// Check-in (unix ms).
    pub check_in_at: Option<i64>,
    /// Check-out (unix ms).
    pub check_out_at: Option<i64>,
    /// Purpose.
    pub purpose: String,
    /// Outcome.
    pub outcome: String,
    /// Number of photos.
    pub photo_count: u32,
    /// Whether local edits await the server.
    pub pending: bool,
}

impl From<core_client::VisitSummary> for VisitSummary {
    fn from(v: core_client::VisitSummary) -> Self {
        VisitSummary {
            id: v.id.to_string(),
            customer_id: v.customer.map(|c| c.to_string()).unwrap_or_default(),
            customer_name: v.customer_name,
            check_in_at: v.check_in_at,
            check_out_at: v.check_out_at,
            purpose: v.purpose,
            outcome: v.outcome,
            photo_count: v.photo_count,
            pending: v.pending,
        }
    }
}

/// A check-in or check-out.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CheckPointRecord {
    /// When (unix ms).
    pub at: i64,
    /// Latitude, if the phone had a fix.
    pub lat: Option<f64>,
    /// Longitude, if the phone had a fix.
    pub lon: Option<f64>,
    /// Reported GPS accuracy in metres.
    pub accuracy_m: Option<f64>,
}

impl From<CheckPoint> for CheckPointRecord {
    fn from(c: CheckPoint) -> Self {
        CheckPointRecord {
            at: c.at,
            lat: c.geo.map(|g| g.lat),
            lon: c.geo.map(|g| g.lon),
            accuracy_m: c.accuracy_m,
        }
    }
}

/// A photo of a visit or a dispatch (also a dispatch's signature).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PhotoRecord {
    /// SHA-256 of the file (its address on the server).
    pub sha256: String,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub content_type: String,
    /// When it was taken (unix ms).
    pub taken_at: i64,
    /// Caption.
    pub caption: String,
    /// Whether it is on the server (false while queued or after a refusal; photos taken on
    /// other devices count as uploaded).
    pub uploaded: bool,
    /// The file on this device, if this device has it (photos taken here).
    pub local_path: Option<String>,
}

/// A visit, as shown on its detail screen.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VisitRecord {
    /// The visit's id.
    pub id: String,
    /// The customer's id.
    pub customer_id: String,
    /// The rep's user id (set by the server).
    pub rep_id: Option<String>,
    /// Arrival.
    pub check_in: Option<CheckPointRecord>,
    /// Departure.
    pub check_out: Option<CheckPointRecord>,
    /// Purpose.
    pub purpose: String,
    /// Outcome.
    pub outcome: String,
    /// Notes.
    pub notes: String,
    /// Agreed next step.
    pub next_step: String,
    /// Photos, in the order taken.
    pub photos: Vec<PhotoRecord>,
}

fn parse_sha(s: &str) -> Option<Sha256Hex> {
    Sha256Hex::parse(s).ok()
}

impl FieldClient {
    /// The app's view of attachment references (of a visit or a dispatch): their upload state
    /// and, when this device has it, the local file.
    pub(crate) async fn photo_records(
        &self,
        refs: Vec<PhotoRef>,
    ) -> Result<Vec<PhotoRecord>, FieldError> {
        let states = boxed(self.inner.upload_states()).await?;
        let mut photos = Vec::with_capacity(refs.len());
        for p in refs {
            let local_path = match parse_sha(&p.sha256) {
                Some(sha) => boxed(self.inner.photo_file(&sha))
                    .await
                    .map(|path| path.to_string_lossy().into_owned()),
                None => None,
            };
            photos.push(PhotoRecord {
                uploaded: states
                    .get(&p.sha256.to_ascii_lowercase())
                    .is_none_or(|s| *s == UploadState::Done),
                sha256: p.sha256,
                content_type: p.content_type,
                taken_at: p.taken_at,
                caption: p.caption,
                local_path,
            });
        }
        Ok(photos)
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl FieldClient {
    /// Adds a contact to a customer (one local change); returns the new contact's id.
    pub async fn add_contact(
        &self,
        customer_id: String,
        contact: ContactInput,
    ) -> Result<String, FieldError> {
        let customer = CustomerId::parse(&customer_id)?;
        Ok(boxed(self.inner.add_contact(customer, contact.into()))
            .await?
            .to_string())
    }

    /// Replaces the fields of a customer's contact.
    pub async fn update_contact(
        &self,
        customer_id: String,
        contact_id: String,
        contact: ContactInput,
    ) -> Result<(), FieldError> {
        let customer = CustomerId::parse(&customer_id)?;
        let id = ContactId::parse(&contact_id)?;
        Ok(boxed(self.inner.update_contact(customer, id, contact.into())).await?)
    }

    /// Removes a customer's contact.
    pub async fn remove_contact(
        &self,
        customer_id: String,
        contact_id: String,
    ) -> Result<(), FieldError> {
        let customer = CustomerId::parse(&customer_id)?;
        let id = ContactId::parse(&contact_id)?;
        Ok(boxed(self.inner.remove_contact(customer, id)).await?)
    }

    /// Visits on the device, newest first; of one customer when `customer_id` is given.
    pub async fn list_visits(
        &self,
        customer_id: Option<String>,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<VisitSummary>, FieldError> {
        let customer = customer_id.as_deref().map(CustomerId::parse).transpose()?;
        Ok(boxed(self.inner.list_visits_page(customer, limit, offset))
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// One visit, in full, with its photos' upload state and local files.
    pub async fn get_visit(&self, visit_id: String) -> Result<VisitRecord, FieldError> {
        let id = VisitId::parse(&visit_id)?;
        let visit: Visit = boxed(self.inner.get_visit(id)).await?;
        let photos = self.photo_records(visit.photos).await?;
        Ok(VisitRecord {
            id: visit_id,
            customer_id: visit.customer.map(|c| c.to_string()).unwrap_or_default(),
            rep_id: visit.rep.map(|r| r.to_string()),
            check_in: visit.check_in.map(Into::into),
            check_out: visit.check_out.map(Into::into),
            purpose: visit.purpose,
            outcome: visit.outcome,
            notes: visit.notes,
            next_step: visit.next_step,
            photos,
        })
    }

    /// Replaces a visit's notes (one local change).
    pub async fn set_visit_notes(&self, visit_id: String, notes: String) -> Result<(), FieldError> {
        let id = VisitId::parse(&visit_id)?;
        Ok(boxed(self.inner.edit_visit(id, move |v| v.notes = notes)).await?)
    }

    /// Adds a photo (JPEG, PNG or WebP bytes, at most 10 MiB) to a visit: stored on the device,
    /// referenced by the visit, uploaded by the next sync (or live sync at once). Returns its
    /// SHA-256 (lowercase hex).
    pub async fn add_visit_photo(
        &self,
        visit_id: String,
        bytes: Vec<u8>,
        content_type: String,
        caption: String,
    ) -> Result<String, FieldError> {
        let id = VisitId::parse(&visit_id)?;
        let sha = boxed(
            self.inner
                .add_visit_photo(id, &bytes, &content_type, &caption, now_ms()),
        )
        .await?;
        Ok(sha.to_string())
    }
}

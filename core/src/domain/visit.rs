//! The `visit` record: a rep's visit to a customer, with GPS check-in and check-out, photos and
//! notes. Its own document, linked to the customer by id.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::values::{FieldError, GeoPoint, check_len};
use crate::ids::{CustomerId, UserId};

/// A check-in or check-out: when and where.
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckPoint {
    /// Unix time in milliseconds.
    #[autosurgeon(missing = "Default::default")]
    pub at: i64,
    /// GPS position, if the phone had a fix.
    #[autosurgeon(missing = "Default::default")]
    pub geo: Option<GeoPoint>,
    /// Reported GPS accuracy in metres.
    #[autosurgeon(missing = "Default::default")]
    pub accuracy_m: Option<f64>,
}

/// A photo attached to a document, referenced by the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(default)]
pub struct PhotoRef {
    /// Lowercase hex SHA-256 of the file (the attachment's address).
    #[key]
    pub sha256: String,
    /// MIME type (`image/jpeg`, `image/png`).
    #[autosurgeon(missing = "Default::default")]
    pub content_type: String,
    /// When it was taken (unix ms).
    #[autosurgeon(missing = "Default::default")]
    pub taken_at: i64,
    /// Optional caption.
    #[autosurgeon(missing = "Default::default")]
    pub caption: String,
}

/// A visit document.
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(default)]
pub struct Visit {
    /// The customer visited. Set at creation; never changes afterwards.
    #[autosurgeon(missing = "Default::default")]
    pub customer: Option<CustomerId>,
    /// Server-owned: the rep who made the visit (the creating user).
    #[autosurgeon(missing = "Default::default")]
    pub rep: Option<UserId>,
    /// Planned time (unix ms).
    #[autosurgeon(missing = "Default::default")]
    pub planned_at: Option<i64>,
    /// Arrival.
    #[autosurgeon(missing = "Default::default")]
    pub check_in: Option<CheckPoint>,
    /// Departure.
    #[autosurgeon(missing = "Default::default")]
    pub check_out: Option<CheckPoint>,
    /// Why (introduction, follow-up, delivery, complaint, …).
    #[autosurgeon(missing = "Default::default")]
    pub purpose: String,
    /// What came of it.
    #[autosurgeon(missing = "Default::default")]
    pub outcome: String,
    /// Free notes.
    #[autosurgeon(missing = "Default::default")]
    pub notes: String,
    /// Agreed next step.
    #[autosurgeon(missing = "Default::default")]
    pub next_step: String,
    /// Photos taken during the visit.
    #[autosurgeon(missing = "Default::default")]
    pub photos: Vec<PhotoRef>,
    /// Admin-defined extra fields, by field key (see [`crate::schema`]).
    #[autosurgeon(missing = "Default::default")]
    pub custom: BTreeMap<String, String>,
}

impl Visit {
    /// Domain invariants.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.customer.is_none() {
            errors.push(FieldError::new("customer", "a visit needs a customer"));
        }
        for (name, cp) in [("check_in", &self.check_in), ("check_out", &self.check_out)] {
            if let Some(cp) = cp {
                if let Some(g) = &cp.geo
                    && let Err(e) = g.check(&format!("{name}.geo"))
                {
                    errors.push(e);
                }
                if cp.accuracy_m.is_some_and(|a| !a.is_finite() || a < 0.0) {
                    errors.push(FieldError::new(
                        name,
                        "accuracy must be a non-negative number",
                    ));
                }
            }
        }
        if let (Some(i), Some(o)) = (&self.check_in, &self.check_out)
            && o.at < i.at
        {
            errors.push(FieldError::new("check_out", "check-out before check-in"));
        }
        if self.check_out.is_some() && self.check_in.is_none() {
            errors.push(FieldError::new("check_out", "check-out without check-in"));
        }
        for (f, v) in [
            ("purpose", &self.purpose),
            ("outcome", &self.outcome),
            ("next_step", &self.next_step),
        ] {
            if let Err(e) = check_len(f, v, 2_000) {
                errors.push(e);
            }
        }
        if let Err(e) = check_len("notes", &self.notes, 20_000) {
            errors.push(e);
        }
        if self.custom.len() > 200 {
            errors.push(FieldError::new("custom", "too many custom fields"));
        }
        for p in &self.photos {
            if p.sha256.len() != 64 || !p.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
                errors.push(FieldError::new(
                    "photos",
                    "photo reference is not a SHA-256",
                ));
            }
        }
        errors
    }
}

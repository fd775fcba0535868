//! The `dispatch` record: one job of a service engineer for a ticket, worked offline on the
//! phone from acceptance to completion (or "unable to complete"), with check-in, work log, parts
//! used, photos and the customer's signature; then the satisfaction survey.
//!
//! The ticket itself (customer, type, priority, SLA) is a relational record of the back office;
//! the dispatch carries read-only copies of what the engineer needs. Here: the record, its
//! invariants and the workflow (which role may move it from which status to which, and what an
//! engineer may still change in each status).

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::values::{FieldError, check_len};
use super::visit::{CheckPoint, PhotoRef};
use crate::ids::{CustomerId, EntryId, ProductId, TicketId, UserId};
use crate::role::Role;

/// Where a dispatch is in its life.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Reconcile, Hydrate, Serialize, Deserialize,
)]
pub enum DispatchStatus {
    /// Given to an engineer, not yet accepted.
    #[default]
    #[serde(rename = "assigned")]
    #[autosurgeon(rename = "assigned")]
    Assigned,
    /// The engineer accepted it.
    #[serde(rename = "accepted")]
    #[autosurgeon(rename = "accepted")]
    Accepted,
    /// On the way.
    #[serde(rename = "en_route")]
    #[autosurgeon(rename = "en_route")]
    EnRoute,
    /// Checked in at the customer.
    #[serde(rename = "on_site")]
    #[autosurgeon(rename = "on_site")]
    OnSite,
    /// Work done and signed.
    #[serde(rename = "completed")]
    #[autosurgeon(rename = "completed")]
    Completed,
    /// Could not be completed (reason given).
    #[serde(rename = "unable")]
    #[autosurgeon(rename = "unable")]
    Unable,
    /// Withdrawn by the office.
    #[serde(rename = "cancelled")]
    #[autosurgeon(rename = "cancelled")]
    Cancelled,
}

impl DispatchStatus {
    /// Every status.
    pub const ALL: [DispatchStatus; 7] = [
        DispatchStatus::Assigned,
        DispatchStatus::Accepted,
        DispatchStatus::EnRoute,
        DispatchStatus::OnSite,
        DispatchStatus::Completed,
        DispatchStatus::Unable,
        DispatchStatus::Cancelled,
    ];

    /// The stable name (SQL, wire).
    pub const fn as_str(self) -> &'static str {
        match self {
            DispatchStatus::Assigned => "assigned",
            DispatchStatus::Accepted => "accepted",
            DispatchStatus::EnRoute => "en_route",
            DispatchStatus::OnSite => "on_site",
            DispatchStatus::Completed => "completed",
            DispatchStatus::Unable => "unable",
            DispatchStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the engineer's work on it is over.
    pub const fn is_final(self) -> bool {
        matches!(
            self,
            DispatchStatus::Completed | DispatchStatus::Unable | DispatchStatus::Cancelled
        )
    }
}

const ENGINEER: &[Role] = &[Role::Engineer];
const OFFICE: &[Role] = &[Role::Admin, Role::Manager, Role::Office];

/// The workflow: `(from, to, roles that may make the step)`. Anything not listed is illegal.
pub const DISPATCH_TRANSITIONS: &[(DispatchStatus, DispatchStatus, &[Role])] = {
    use DispatchStatus::*;
    &[
        (Assigned, Accepted, ENGINEER),
        (Accepted, EnRoute, ENGINEER),
        (EnRoute, OnSite, ENGINEER),
        (Accepted, OnSite, ENGINEER),
        (OnSite, Completed, ENGINEER),
        (Accepted, Unable, ENGINEER),
        (EnRoute, Unable, ENGINEER),
        (OnSite, Unable, ENGINEER),
        (Assigned, Cancelled, OFFICE),
        (Accepted, Cancelled, OFFICE),
        (EnRoute, Cancelled, OFFICE),
        (OnSite, Cancelled, OFFICE),
        // Re-dispatch after "unable": the office puts it back to assigned (usually reassigned).
        (Unable, Assigned, OFFICE),
    ]
};

/// Whether `role` may move a dispatch from `from` to `to` (staying put is always allowed).
pub fn may_transition(role: Role, from: DispatchStatus, to: DispatchStatus) -> bool {
    from == to
        || DISPATCH_TRANSITIONS
            .iter()
            .any(|(f, t, roles)| *f == from && *t == to && roles.contains(&role))
}

/// One entry of the work log.
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkLogEntry {
    /// Stable id.
    #[key]
    pub id: EntryId,
    /// When (unix ms).
    #[autosurgeon(missing = "Default::default")]
    pub at: i64,
    /// What was done.
    #[autosurgeon(missing = "Default::default")]
    pub text: String,
}

/// A part used, from the catalog.
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(default)]
pub struct PartUsed {
    /// Stable id.
    #[key]
    pub id: EntryId,
    /// The product.
    #[autosurgeon(missing = "Default::default")]
    pub product: Option<ProductId>,
    /// Quantity in the product's unit.
    #[autosurgeon(missing = "Default::default")]
    pub quantity: f64,
    /// Serial numbers, for serial-tracked parts.
    #[autosurgeon(missing = "Default::default")]
    pub serials: Vec<String>,
}

/// The customer's satisfaction, asked after completion.
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(default)]
pub struct Survey {
    /// 1 (bad) to 5 (excellent).
    #[autosurgeon(missing = "Default::default")]
    pub score: i64,
    /// The customer's words.
    #[autosurgeon(missing = "Default::default")]
    pub comment: String,
    /// When it was recorded (unix ms).
    #[autosurgeon(missing = "Default::default")]
    pub at: i64,
}

/// Where and whom the engineer goes to: a read-only copy of the customer's details, written by
/// the server when it dispatches (and refreshed on reassignment).
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(default)]
pub struct Site {
    /// Customer name.
    #[autosurgeon(missing = "Default::default")]
    pub customer_name: String,
    /// One-line address.
    #[autosurgeon(missing = "Default::default")]
    pub address: String,
    /// Where the address is, when known.
    #[autosurgeon(missing = "Default::default")]
    pub geo: Option<super::GeoPoint>,
    /// Whom to ask for.
    #[autosurgeon(missing = "Default::default")]
    pub contact_name: String,
    /// Their phone.
    #[autosurgeon(missing = "Default::default")]
    pub contact_phone: String,
}

/// A dispatch document.
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(default)]
pub struct Dispatch {
    /// Server-owned: the ticket this dispatch works on.
    #[autosurgeon(missing = "Default::default")]
    pub ticket: Option<TicketId>,
    /// Server-owned: the customer (read-only for the engineer).
    #[autosurgeon(missing = "Default::default")]
    pub customer: Option<CustomerId>,
    /// Server-owned: the engineer it is assigned to (decides who sees it).
    #[autosurgeon(missing = "Default::default")]
    pub engineer: Option<UserId>,
    /// Server-owned copy of the ticket: repair, installation, maintenance, complaint.
    #[autosurgeon(missing = "Default::default")]
    pub ticket_type: String,
    /// Server-owned copy of the ticket's priority.
    #[autosurgeon(missing = "Default::default")]
    pub priority: String,
    /// Server-owned copy of the ticket's description.
    #[autosurgeon(missing = "Default::default")]
    pub description: String,
    /// Server-owned copy: product and serial concerned, if any.
    #[autosurgeon(missing = "Default::default")]
    pub product_serial: String,
    /// Server-owned copy: when the SLA is breached (unix ms).
    #[autosurgeon(missing = "Default::default")]
    pub sla_due_at: Option<i64>,
    /// Server-owned copy of what the engineer needs of the customer (the engineer does not receive
    /// the customer document itself): name, address, contact and phone.
    #[autosurgeon(missing = "Default::default")]
    pub site: Site,
    /// Office: when the engineer should be there (unix ms).
    #[autosurgeon(missing = "Default::default")]
    pub scheduled_at: Option<i64>,
    /// Workflow status (transitions checked per role).
    #[autosurgeon(missing = "Default::default")]
    pub status: DispatchStatus,
    /// Arrival at the customer.
    #[autosurgeon(missing = "Default::default")]
    pub check_in: Option<CheckPoint>,
    /// What was done.
    #[autosurgeon(missing = "Default::default")]
    pub work_log: Vec<WorkLogEntry>,
    /// Parts used.
    #[autosurgeon(missing = "Default::default")]
    pub parts: Vec<PartUsed>,
    /// Photos taken.
    #[autosurgeon(missing = "Default::default")]
    pub photos: Vec<PhotoRef>,
    /// The customer's signature (an image attachment).
    #[autosurgeon(missing = "Default::default")]
    pub signature: Option<PhotoRef>,
    /// When the work was completed (unix ms).
    #[autosurgeon(missing = "Default::default")]
    pub completed_at: Option<i64>,
    /// Why it could not be completed.
    #[autosurgeon(missing = "Default::default")]
    pub unable_reason: String,
    /// The satisfaction survey, after completion.
    #[autosurgeon(missing = "Default::default")]
    pub survey: Option<Survey>,
}

/// Fields the engineer works on the phone, open until the dispatch is final.
const ENGINEER_WORK_FIELDS: &[&str] = &[
    "check_in",
    "work_log",
    "parts",
    "photos",
    "signature",
    "completed_at",
    "unable_reason",
];

impl Dispatch {
    /// Domain invariants (independent of who writes).
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.ticket.is_none() {
            errors.push(FieldError::new("ticket", "a dispatch needs a ticket"));
        }
        if self.customer.is_none() {
            errors.push(FieldError::new("customer", "a dispatch needs a customer"));
        }
        if let Some(cp) = &self.check_in
            && let Some(g) = &cp.geo
            && let Err(e) = g.check("check_in.geo")
        {
            errors.push(e);
        }
        if self.work_log.len() > 1_000 || self.parts.len() > 500 || self.photos.len() > 200 {
            errors.push(FieldError::new("work_log", "too many entries"));
        }
        for e in &self.work_log {
            if let Err(e) = check_len("work_log", &e.text, 5_000) {
                errors.push(e);
            }
        }
        for p in &self.parts {
            if p.product.is_none() || !(p.quantity.is_finite() && p.quantity > 0.0) {
                errors.push(FieldError::new(
                    "parts",
                    "a part needs a product and a quantity",
                ));
            }
        }
        for p in self.photos.iter().chain(self.signature.iter()) {
            if p.sha256.len() != 64 || !p.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
                errors.push(FieldError::new(
                    "photos",
                    "attachment reference is not a SHA-256",
                ));
            }
        }
        if let Err(e) = check_len("unable_reason", &self.unable_reason, 2_000) {
            errors.push(e);
        }
        match self.status {
            DispatchStatus::OnSite if self.check_in.is_none() => {
                errors.push(FieldError::new("status", "on site without a check-in"));
            }
            DispatchStatus::Completed => {
                if self.check_in.is_none() || self.signature.is_none() {
                    errors.push(FieldError::new(
                        "status",
                        "completion needs a check-in and the customer's signature",
                    ));
                }
                if self.completed_at.is_none() {
                    errors.push(FieldError::new("completed_at", "when was it completed?"));
                }
            }
            DispatchStatus::Unable if self.unable_reason.trim().is_empty() => {
                errors.push(FieldError::new("unable_reason", "say why"));
            }
            _ => {}
        }
        if let Some(s) = &self.survey {
            if !(1..=5).contains(&s.score) {
                errors.push(FieldError::new("survey", "score must be 1 to 5"));
            }
            if self.status != DispatchStatus::Completed {
                errors.push(FieldError::new("survey", "a survey follows completion"));
            }
            if let Err(e) = check_len("survey", &s.comment, 2_000) {
                errors.push(e);
            }
        }
        errors
    }

    /// The state-dependent rules for `role` changing `before` into `self`: the field paths to
    /// restore. Dispatches are created by the server only, so `before` is `None` only there.
    pub fn authorize(&self, before: Option<&Dispatch>, role: Role) -> Vec<FieldError> {
        let mut denied = Vec::new();
        let Some(before) = before else {
            // Only the office dispatches (through the server, which does not ask here).
            denied.push(FieldError::new(
                "ticket",
                "dispatches are created by the office",
            ));
            return denied;
        };
        if !may_transition(role, before.status, self.status) {
            denied.push(FieldError::new(
                "status",
                format!(
                    "the {role} role may not move a dispatch from {} to {}",
                    before.status.as_str(),
                    self.status.as_str()
                ),
            ));
        }
        if role == Role::Engineer {
            let open = !before.status.is_final() && before.status != DispatchStatus::Assigned;
            let (b, a) = (
                serde_json::to_value(before).unwrap_or_default(),
                serde_json::to_value(self).unwrap_or_default(),
            );
            for field in ENGINEER_WORK_FIELDS {
                if !open && b.get(field) != a.get(field) {
                    denied.push(FieldError::new(
                        *field,
                        "the dispatch is not open for work in this status",
                    ));
                }
            }
        }
        if self.survey != before.survey && before.status != DispatchStatus::Completed {
            denied.push(FieldError::new("survey", "a survey follows completion"));
        }
        denied
    }

    /// The steps `role` may take on this dispatch now, for the phone's buttons: each step is
    /// tried on a copy and kept when the workflow ([`Dispatch::authorize`]) and the invariants
    /// ([`Dispatch::validate`]) accept the result — the same checks the device and the server
    /// apply to the real action. Only engineers work dispatches on a phone (the policy table
    /// gives no other phone role write access), so every other role has none.
    pub fn steps(&self, role: Role, now: i64) -> Vec<DispatchStep> {
        if role != Role::Engineer {
            return Vec::new();
        }
        DispatchStep::ALL
            .into_iter()
            .filter(|step| {
                let mut after = self.clone();
                step.try_on(&mut after, now);
                (!step.moves() || after.status != self.status)
                    && after != *self
                    && after.authorize(Some(self), role).is_empty()
                    && after.validate().is_empty()
            })
            .collect()
    }
}

/// One step of an engineer's work on a dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DispatchStep {
    /// Take the job.
    Accept,
    /// On the way.
    EnRoute,
    /// Arrive (check in with the phone's position).
    CheckIn,
    /// Add a work log entry.
    Log,
    /// Record a part used.
    AddPart,
    /// Add a photo.
    AddPhoto,
    /// Take the customer's signature.
    Sign,
    /// Finish: needs the check-in and the signature.
    Complete,
    /// Give up, with the reason.
    Unable,
    /// Record the customer's satisfaction, after completion.
    Survey,
}

impl DispatchStep {
    /// Every step, in the order a job goes through them.
    pub const ALL: [DispatchStep; 10] = [
        DispatchStep::Accept,
        DispatchStep::EnRoute,
        DispatchStep::CheckIn,
        DispatchStep::Log,
        DispatchStep::AddPart,
        DispatchStep::AddPhoto,
        DispatchStep::Sign,
        DispatchStep::Complete,
        DispatchStep::Unable,
        DispatchStep::Survey,
    ];

    /// A representative change of this step, tried on a copy of the record by
    /// [`Dispatch::steps`] (the sample photo's hash is never stored).
    fn try_on(self, d: &mut Dispatch, now: i64) {
        let sample_photo = || PhotoRef {
            sha256: "0".repeat(64),
            content_type: "image/png".into(),
            taken_at: now,
            caption: String::new(),
        };
        match self {
            DispatchStep::Accept => d.status = DispatchStatus::Accepted,
            DispatchStep::EnRoute => d.status = DispatchStatus::EnRoute,
            DispatchStep::CheckIn => {
                d.check_in = Some(CheckPoint {
                    at: now,
                    geo: None,
                    accuracy_m: None,
                });
                d.status = DispatchStatus::OnSite;
            }
            DispatchStep::Log => d.work_log.push(WorkLogEntry {
                id: EntryId::new(),
                at: now,
                text: "·".into(),
            }),
            DispatchStep::AddPart => d.parts.push(PartUsed {
                id: EntryId::new(),
                product: Some(ProductId::new()),
                quantity: 1.0,
                serials: Vec::new(),
            }),
            DispatchStep::AddPhoto => d.photos.push(sample_photo()),
            DispatchStep::Sign => d.signature = Some(sample_photo()),
            DispatchStep::Complete => {
                d.status = DispatchStatus::Completed;
                d.completed_at = Some(now);
            }
            DispatchStep::Unable => {
                d.status = DispatchStatus::Unable;
                d.unable_reason = "·".into();
            }
            DispatchStep::Survey => {
                d.survey = Some(Survey {
                    score: 5,
                    comment: String::new(),
                    at: now,
                });
            }
        }
    }

    /// Whether the step moves the dispatch to another status (those are offered only when they
    /// do: "check in" is arriving, not correcting the position once on site).
    const fn moves(self) -> bool {
        matches!(
            self,
            DispatchStep::Accept
                | DispatchStep::EnRoute
                | DispatchStep::CheckIn
                | DispatchStep::Complete
                | DispatchStep::Unable
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::GeoPoint;

    fn photo(n: u8) -> PhotoRef {
        PhotoRef {
            sha256: format!("{n:02x}").repeat(32),
            content_type: "image/png".into(),
            ..PhotoRef::default()
        }
    }

    fn assigned() -> Dispatch {
        Dispatch {
            ticket: Some(TicketId::new()),
            customer: Some(CustomerId::new()),
            engineer: Some(UserId::new()),
            ..Dispatch::default()
        }
    }

    #[test]
    fn the_open_steps_follow_the_job() {
        use DispatchStep::*;
        let mut d = assigned();
        assert_eq!(d.steps(Role::Engineer, 1), vec![Accept]);
        assert_eq!(d.steps(Role::Rep, 1), Vec::<DispatchStep>::new());
        d.status = DispatchStatus::Accepted;
        assert_eq!(
            d.steps(Role::Engineer, 1),
            vec![EnRoute, CheckIn, Log, AddPart, AddPhoto, Sign, Unable]
        );
        d.status = DispatchStatus::OnSite;
        d.check_in = Some(CheckPoint {
            at: 1,
            geo: None,
            accuracy_m: None,
        });
        // Checking in again is not arriving: not offered once on site; completing needs the
        // signature first.
        assert_eq!(
            d.steps(Role::Engineer, 2),
            vec![Log, AddPart, AddPhoto, Sign, Unable]
        );
        d.signature = Some(photo(7));
        assert_eq!(
            d.steps(Role::Engineer, 2),
            vec![Log, AddPart, AddPhoto, Sign, Complete, Unable]
        );
        d.status = DispatchStatus::Completed;
        d.completed_at = Some(3);
        assert_eq!(d.steps(Role::Engineer, 4), vec![Survey]);
        d.status = DispatchStatus::Cancelled;
        assert_eq!(d.steps(Role::Engineer, 4), Vec::<DispatchStep>::new());
    }

    #[test]
    fn every_transition_for_every_role() {
        use DispatchStatus::*;
        let office = [Role::Admin, Role::Manager, Role::Office];
        for role in Role::ALL {
            for from in DispatchStatus::ALL {
                for to in DispatchStatus::ALL {
                    let expected = from == to
                        || match (from, to) {
                            (Assigned, Accepted)
                            | (Accepted, EnRoute)
                            | (EnRoute, OnSite)
                            | (Accepted, OnSite)
                            | (OnSite, Completed)
                            | (Accepted | EnRoute | OnSite, Unable) => role == Role::Engineer,
                            (Assigned | Accepted | EnRoute | OnSite, Cancelled)
                            | (Unable, Assigned) => office.contains(&role),
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
    fn the_engineer_works_it_to_completion() {
        let mut d = assigned();
        let steps = [
            DispatchStatus::Accepted,
            DispatchStatus::EnRoute,
            DispatchStatus::OnSite,
            DispatchStatus::Completed,
        ];
        for step in steps {
            let before = d.clone();
            d.status = step;
            if step == DispatchStatus::OnSite {
                d.check_in = Some(CheckPoint {
                    at: 1,
                    geo: Some(GeoPoint {
                        lat: 31.2,
                        lon: 121.4,
                    }),
                    accuracy_m: Some(8.0),
                });
                d.work_log.push(WorkLogEntry {
                    id: EntryId::new(),
                    at: 2,
                    text: "replaced the pump".into(),
                });
                d.parts.push(PartUsed {
                    id: EntryId::new(),
                    product: Some(ProductId::new()),
                    quantity: 1.0,
                    serials: vec!["SN-1".into()],
                });
                d.photos.push(photo(1));
            }
            if step == DispatchStatus::Completed {
                d.signature = Some(photo(2));
                d.completed_at = Some(3);
            }
            assert!(
                d.authorize(Some(&before), Role::Engineer).is_empty(),
                "{step:?}"
            );
            assert!(d.validate().is_empty(), "{step:?}: {:?}", d.validate());
        }
        // Finished: no more work log; the survey may now be recorded.
        let before = d.clone();
        let mut late = d.clone();
        late.work_log.clear();
        assert_eq!(
            late.authorize(Some(&before), Role::Engineer)[0].field,
            "work_log"
        );
        let mut surveyed = d.clone();
        surveyed.survey = Some(Survey {
            score: 5,
            comment: "快".into(),
            at: 4,
        });
        assert!(surveyed.authorize(Some(&before), Role::Office).is_empty());
        assert!(surveyed.validate().is_empty());
    }

    #[test]
    fn completion_needs_signature_and_unable_needs_reason() {
        let mut d = assigned();
        d.status = DispatchStatus::Completed;
        let fields: Vec<_> = d.validate().into_iter().map(|e| e.field).collect();
        assert!(fields.contains(&"status".to_owned()));
        let mut d = assigned();
        d.status = DispatchStatus::Unable;
        assert_eq!(d.validate()[0].field, "unable_reason");
        let mut d = assigned();
        d.survey = Some(Survey {
            score: 9,
            ..Survey::default()
        });
        assert_eq!(d.validate().len(), 2);
    }

    #[test]
    fn engineers_cannot_skip_acceptance_nor_cancel() {
        let before = assigned();
        let mut d = before.clone();
        d.status = DispatchStatus::OnSite;
        assert_eq!(
            d.authorize(Some(&before), Role::Engineer)[0].field,
            "status"
        );
        let mut d = before.clone();
        d.status = DispatchStatus::Cancelled;
        assert!(!d.authorize(Some(&before), Role::Engineer).is_empty());
        assert!(d.authorize(Some(&before), Role::Office).is_empty());
        let mut d = before.clone();
        d.work_log.push(WorkLogEntry::default());
        assert!(
            !d.authorize(Some(&before), Role::Engineer).is_empty(),
            "work starts after acceptance"
        );
    }
}

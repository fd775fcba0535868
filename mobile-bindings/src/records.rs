//! The records crossing the FFI: plain uniffi Records/Enums converted from core types. Ids are
//! strings here and are parsed with the typed-id `parse` on the way in.

use std::collections::HashMap;

use fieldcrm_core::client::{self as core_client, NoticeKind as CoreNoticeKind};
use fieldcrm_core::domain::{self, CustomerKind as CoreCustomerKind};

fn opt_id(id: Option<impl ToString>) -> Option<String> {
    id.map(|i| i.to_string())
}

fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The signed-in session of this device.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Session {
    /// The server's base URL.
    pub server_url: String,
    /// The user's id.
    pub user_id: String,
    /// Login name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Role (`rep`, `manager`, …).
    pub role: String,
    /// This device's registration id.
    pub device_id: String,
}

impl From<core_client::SessionInfo> for Session {
    fn from(s: core_client::SessionInfo) -> Self {
        Session {
            server_url: s.server_url,
            user_id: s.user.id.to_string(),
            username: s.user.username,
            display_name: s.user.display_name,
            role: s.user.role.as_str().to_owned(),
            device_id: s.device_id.to_string(),
        }
    }
}

/// The device's sync state, for a status screen.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Status {
    /// The session, if logged in.
    pub session: Option<Session>,
    /// Documents with local changes the server has not acknowledged.
    pub pending_docs: i64,
    /// End of the last complete catch-up (unix ms).
    pub last_sync_at: Option<i64>,
    /// The sync cursor held.
    pub cursor: u64,
    /// Notices not seen yet.
    pub unseen_notices: i64,
    /// Entries in quarantine.
    pub quarantined: u64,
    /// Photos queued and not on the server yet.
    pub pending_uploads: u64,
}

impl From<core_client::Status> for Status {
    fn from(s: core_client::Status) -> Self {
        Status {
            session: s.session.map(Into::into),
            pending_docs: s.pending_docs,
            last_sync_at: s.last_sync_at,
            cursor: s.cursor,
            unseen_notices: s.unseen_notices,
            quarantined: count(s.quarantined),
            pending_uploads: s.pending_uploads,
        }
    }
}

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NoticeKind {
    /// The server restored fields this device may not write.
    Compensated,
    /// The server refused local changes; they are in quarantine.
    Rejected,
    /// A document left the user's scope and was removed from the device.
    Revoked,
    /// A sync error worth telling the user.
    Error,
}

/// Something the user should be told about (a compensated or rejected edit, …).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Notice {
    /// Local sequence number.
    pub id: i64,
    /// When (unix ms).
    pub at: i64,
    /// What happened.
    pub kind: NoticeKind,
    /// The document concerned, if any.
    pub doc_id: Option<String>,
    /// Human-readable text.
    pub message: String,
    /// Whether the user had seen it before.
    pub seen: bool,
}

impl From<core_client::Notice> for Notice {
    fn from(n: core_client::Notice) -> Self {
        Notice {
            id: n.id,
            at: n.at,
            kind: match n.kind {
                CoreNoticeKind::Compensated => NoticeKind::Compensated,
                CoreNoticeKind::Rejected => NoticeKind::Rejected,
                CoreNoticeKind::Revoked => NoticeKind::Revoked,
                CoreNoticeKind::Error => NoticeKind::Error,
            },
            doc_id: opt_id(n.doc_id),
            message: n.message,
            seen: n.seen,
        }
    }
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// Server messages received.
    pub frames_received: u64,
    /// Documents received.
    pub docs_received: u64,
    /// Documents revoked (purged).
    pub revoked: u64,
    /// Pushes sent.
    pub pushed: u64,
    /// Pushes accepted as sent.
    pub accepted: u64,
    /// Pushes accepted with a compensation (server-owned fields restored).
    pub compensated: u64,
    /// Pushes rejected (their changes are in quarantine).
    pub rejected: u64,
    /// Bytes of server frames received.
    pub bytes_received: u64,
    /// The cursor after the sync.
    pub cursor: u64,
}

impl From<core_client::SyncReport> for SyncReport {
    fn from(r: core_client::SyncReport) -> Self {
        SyncReport {
            frames_received: r.frames_received,
            docs_received: r.docs_received,
            revoked: r.revoked,
            pushed: r.pushed,
            accepted: r.accepted,
            compensated: r.compensated,
            rejected: r.rejected,
            bytes_received: r.bytes_received,
            cursor: r.cursor,
        }
    }
}

/// What live sync reports to a [`crate::SyncListener`].
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum SyncEvent {
    /// The server welcomed this device.
    Connected,
    /// The connection ended; `error` says why, if it was not a requested stop.
    Disconnected {
        /// Why.
        error: Option<String>,
    },
    /// Documents were merged into the local store.
    DocsReceived {
        /// How many.
        count: u64,
    },
    /// The server restored fields of a pushed document (the user may not write them).
    Compensated {
        /// The document.
        doc: String,
        /// Field paths restored.
        paths: Vec<String>,
    },
    /// The server refused a pushed document; its changes are in quarantine.
    Rejected {
        /// The document.
        doc: String,
        /// Why.
        reason: String,
    },
    /// Documents left the user's scope and were removed from the device.
    Revoked {
        /// The documents.
        docs: Vec<String>,
    },
    /// Documents new to this device arrived (`kind`: customer, visit, order, dispatch), e.g. a
    /// dispatch just assigned to the engineer.
    Arrived {
        /// Their kind.
        kind: String,
        /// The documents.
        docs: Vec<String>,
    },
    /// Everything up to `cursor` is on the device.
    CaughtUp {
        /// The new cursor.
        cursor: u64,
    },
    /// An upload pass of photos ended having done something.
    UploadsFinished {
        /// Photos now on the server.
        uploaded: u64,
        /// Photos the server refused for good (each has a notice).
        failed: u64,
    },
}

impl From<core_client::SyncEvent> for SyncEvent {
    fn from(e: core_client::SyncEvent) -> Self {
        use core_client::SyncEvent as E;
        match e {
            E::Connected => SyncEvent::Connected,
            E::Disconnected { error } => SyncEvent::Disconnected { error },
            E::DocsReceived { count: n } => SyncEvent::DocsReceived { count: count(n) },
            E::Compensated { doc, paths } => SyncEvent::Compensated {
                doc: doc.to_string(),
                paths,
            },
            E::Rejected { doc, reason } => SyncEvent::Rejected {
                doc: doc.to_string(),
                reason,
            },
            E::Revoked { docs } => SyncEvent::Revoked {
                docs: docs.iter().map(ToString::to_string).collect(),
            },
            E::Arrived { kind, docs } => SyncEvent::Arrived {
                kind: kind.as_str().to_owned(),
                docs: docs.iter().map(ToString::to_string).collect(),
            },
            E::CaughtUp { cursor } => SyncEvent::CaughtUp { cursor },
            E::UploadsFinished { uploaded, failed } => {
                SyncEvent::UploadsFinished { uploaded, failed }
            }
        }
    }
}

/// One customer in a list.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CustomerSummary {
    /// The customer's id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Business code.
    pub code: String,
    /// Tier.
    pub tier: String,
    /// Industry.
    pub industry: String,
    /// City of the address.
    pub city: String,
    /// District of the address.
    pub district: String,
    /// Phone numbers.
    pub phones: Vec<String>,
    /// E-mail.
    pub email: String,
    /// Contact names.
    pub contacts: Vec<String>,
    /// Territory id (server-owned).
    pub territory: Option<String>,
    /// Owner's user id (server-owned).
    pub owner: Option<String>,
    /// Whether local edits await the server.
    pub pending: bool,
    /// Last local change (unix ms).
    pub updated_at: i64,
}

impl From<core_client::CustomerSummary> for CustomerSummary {
    fn from(c: core_client::CustomerSummary) -> Self {
        CustomerSummary {
            id: c.id.to_string(),
            name: c.name,
            code: c.code,
            tier: c.tier,
            industry: c.industry,
            city: c.city,
            district: c.district,
            phones: c.phones,
            email: c.email,
            contacts: c.contacts,
            territory: opt_id(c.territory),
            owner: opt_id(c.owner),
            pending: c.pending,
            updated_at: c.updated_at,
        }
    }
}

/// Company or private person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CustomerKind {
    /// A business customer.
    Company,
    /// A private person.
    Person,
}

/// A postal address (province / city / district / street) with an optional point.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Address {
    /// Province.
    pub province: String,
    /// City.
    pub city: String,
    /// District.
    pub district: String,
    /// Street and number.
    pub street: String,
    /// Postal code.
    pub zip: String,
    /// Latitude, if geocoded.
    pub lat: Option<f64>,
    /// Longitude, if geocoded.
    pub lon: Option<f64>,
}

/// A person at a customer.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Contact {
    /// Contact id.
    pub id: String,
    /// Full name.
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
    /// The main contact.
    pub primary: bool,
    /// Free notes.
    pub notes: String,
}

/// A customer, as shown on its detail screen.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CustomerRecord {
    /// The customer's id.
    pub id: String,
    /// Business code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Company or person.
    pub kind: CustomerKind,
    /// Tier.
    pub tier: String,
    /// Industry.
    pub industry: String,
    /// Where the customer came from.
    pub source: String,
    /// Phone numbers.
    pub phones: Vec<String>,
    /// E-mail.
    pub email: String,
    /// Postal address.
    pub address: Address,
    /// Free tags.
    pub tags: Vec<String>,
    /// Birthday (`YYYY-MM-DD`), person customers.
    pub birthday: Option<String>,
    /// Interests, person customers.
    pub interests: Vec<String>,
    /// Contacts.
    pub contacts: Vec<Contact>,
    /// Admin-defined extra fields.
    pub custom: HashMap<String, String>,
    /// Free notes.
    pub notes: String,
    /// Territory id (server-owned).
    pub territory: Option<String>,
    /// Owner's user id (server-owned).
    pub owner: Option<String>,
}

impl CustomerRecord {
    pub(crate) fn from_core(id: String, c: domain::Customer) -> Self {
        CustomerRecord {
            id,
            code: c.code,
            name: c.name,
            kind: match c.kind {
                CoreCustomerKind::Company => CustomerKind::Company,
                CoreCustomerKind::Person => CustomerKind::Person,
            },
            tier: c.tier,
            industry: c.industry,
            source: c.source,
            phones: c.phones,
            email: c.email,
            address: Address {
                province: c.address.province,
                city: c.address.city,
                district: c.address.district,
                street: c.address.street,
                zip: c.address.zip,
                lat: c.address.geo.map(|g| g.lat),
                lon: c.address.geo.map(|g| g.lon),
            },
            tags: c.tags,
            birthday: c.birthday,
            interests: c.interests,
            contacts: c
                .contacts
                .into_iter()
                .map(|k| Contact {
                    id: k.id.to_string(),
                    name: k.name,
                    title: k.title,
                    department: k.department,
                    phones: k.phones,
                    email: k.email,
                    role: k.role,
                    primary: k.primary,
                    notes: k.notes,
                })
                .collect(),
            custom: c.custom.into_iter().collect(),
            notes: c.notes,
            territory: opt_id(c.territory),
            owner: opt_id(c.owner),
        }
    }
}

/// One field assignment in its text form (`tier` = `A`, `address.city` = `Hangzhou`, `phones` =
/// `a, b`); an empty value clears the field.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldValue {
    /// Field name (see `writable_customer_fields`; `custom.KEY` for custom fields).
    pub field: String,
    /// Value as text.
    pub value: String,
}

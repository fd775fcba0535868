//! Projections: the flat rows of the `customers` and `visits` tables, computed from a document.
//! Lists and search read these rows; a document is loaded only to show or edit it.

use automerge::Automerge;
use serde::{Deserialize, Serialize};

use super::ClientError;
use crate::document::{self, Kind};
use crate::domain::{Dispatch, Order, Visit};
use crate::ids::{CustomerId, TerritoryId, UserId, VisitId};

/// One customer in a list (a row of the `customers` projection).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerSummary {
    /// The customer.
    pub id: CustomerId,
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
    /// Territory (server-owned).
    pub territory: Option<TerritoryId>,
    /// Owner (server-owned).
    pub owner: Option<UserId>,
    /// Whether local edits await the server.
    pub pending: bool,
    /// Last local change of the row (unix ms).
    pub updated_at: i64,
}

/// One visit in a list (a row of the `visits` projection).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitSummary {
    /// The visit.
    pub id: VisitId,
    /// The customer visited.
    pub customer: Option<CustomerId>,
    /// The customer's name, when the customer is on the device (else empty).
    #[serde(default)]
    pub customer_name: String,
    /// The rep.
    pub rep: Option<UserId>,
    /// Planned time (unix ms).
    pub planned_at: Option<i64>,
    /// Check-in time (unix ms).
    pub check_in_at: Option<i64>,
    /// Check-out time (unix ms).
    pub check_out_at: Option<i64>,
    /// Purpose.
    pub purpose: String,
    /// Outcome.
    pub outcome: String,
    /// Number of photos.
    #[serde(default)]
    pub photo_count: u32,
    /// Whether local edits await the server.
    pub pending: bool,
    /// Last local change of the row (unix ms).
    pub updated_at: i64,
}

/// The fields of a customer its projection row needs. Hydrated instead of the whole record:
/// a first install computes thousands of these.
#[derive(Debug, Clone, Default, PartialEq, autosurgeon::Hydrate)]
pub(crate) struct CustomerRow {
    #[autosurgeon(missing = "Default::default")]
    pub(crate) name: String,
    #[autosurgeon(missing = "Default::default")]
    pub(crate) code: String,
    #[autosurgeon(missing = "Default::default")]
    pub(crate) tier: String,
    #[autosurgeon(missing = "Default::default")]
    pub(crate) industry: String,
    #[autosurgeon(missing = "Default::default")]
    pub(crate) phones: Vec<String>,
    #[autosurgeon(missing = "Default::default")]
    pub(crate) email: String,
    #[autosurgeon(missing = "Default::default")]
    pub(crate) address: AddressRow,
    #[autosurgeon(missing = "Default::default")]
    pub(crate) contacts: Vec<ContactRow>,
    #[autosurgeon(missing = "Default::default")]
    pub(crate) territory: Option<TerritoryId>,
    #[autosurgeon(missing = "Default::default")]
    pub(crate) owner: Option<UserId>,
}

/// The address fields of a [`CustomerRow`].
#[derive(Debug, Clone, Default, PartialEq, autosurgeon::Hydrate)]
pub(crate) struct AddressRow {
    #[autosurgeon(missing = "Default::default")]
    pub(crate) city: String,
    #[autosurgeon(missing = "Default::default")]
    pub(crate) district: String,
}

/// The contact fields of a [`CustomerRow`].
#[derive(Debug, Clone, Default, PartialEq, autosurgeon::Hydrate)]
pub(crate) struct ContactRow {
    #[autosurgeon(missing = "Default::default")]
    pub(crate) name: String,
    #[autosurgeon(missing = "Default::default")]
    pub(crate) phones: Vec<String>,
}

/// A projection row to write, by kind.
#[derive(Debug, Clone)]
pub(crate) enum Projection {
    /// A `customers` row (without id, pending, updated_at, which the store adds).
    Customer(Box<CustomerRow>),
    /// A `visits` row.
    Visit(Box<Visit>),
    /// An `orders` row.
    Order(Box<Order>),
    /// A `dispatches` row.
    Dispatch(Box<Dispatch>),
}

impl Projection {
    /// Hydrates the record of `kind` from `doc`.
    pub(crate) fn of(kind: Kind, doc: &Automerge) -> Result<Self, ClientError> {
        Ok(match kind {
            Kind::Customer => {
                Projection::Customer(Box::new(autosurgeon::hydrate(doc).map_err(|e| {
                    ClientError::Document(format!("customer does not hydrate: {e}"))
                })?))
            }
            Kind::Visit => Projection::Visit(Box::new(document::hydrate(doc)?)),
            Kind::Order => Projection::Order(Box::new(document::hydrate(doc)?)),
            Kind::Dispatch => Projection::Dispatch(Box::new(document::hydrate(doc)?)),
        })
    }
}

/// The lowercased search text of a customer: name, code, phones, e-mail, contact names and
/// phones, city and district.
pub(crate) fn customer_search(c: &CustomerRow) -> String {
    let mut parts: Vec<&str> = vec![&c.name, &c.code, &c.email, &c.address.city];
    parts.push(&c.address.district);
    parts.extend(c.phones.iter().map(String::as_str));
    for contact in &c.contacts {
        parts.push(&contact.name);
        parts.extend(contact.phones.iter().map(String::as_str));
    }
    // Phone numbers are also searchable without their separators.
    let digits: Vec<String> = c
        .phones
        .iter()
        .chain(c.contacts.iter().flat_map(|k| k.phones.iter()))
        .map(|p| p.chars().filter(char::is_ascii_digit).collect())
        .collect();
    let mut out = parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\u{1f}");
    for d in digits {
        out.push('\u{1f}');
        out.push_str(&d);
    }
    out.to_lowercase()
}

/// The lowercased search text of a visit: purpose, outcome, notes.
pub(crate) fn visit_search(v: &Visit) -> String {
    [v.purpose.as_str(), &v.outcome, &v.notes, &v.next_step]
        .join("\u{1f}")
        .to_lowercase()
}

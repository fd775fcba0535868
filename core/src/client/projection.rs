//! Projections: the flat rows of the `customers` and `visits` tables, computed from a document.
//! Lists and search read these rows; a document is loaded only to show or edit it.

use automerge::Automerge;
use serde::{Deserialize, Serialize};

use super::ClientError;
use crate::document::{self, Kind};
use crate::domain::{Customer, Visit};
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
    /// Whether local edits await the server.
    pub pending: bool,
    /// Last local change of the row (unix ms).
    pub updated_at: i64,
}

/// A projection row to write, by kind.
#[derive(Debug, Clone)]
pub(crate) enum Projection {
    /// A `customers` row (without id, pending, updated_at, which the store adds).
    Customer(Box<Customer>),
    /// A `visits` row.
    Visit(Box<Visit>),
}

impl Projection {
    /// Hydrates the record of `kind` from `doc`.
    pub(crate) fn of(kind: Kind, doc: &Automerge) -> Result<Self, ClientError> {
        Ok(match kind {
            Kind::Customer => Projection::Customer(Box::new(document::hydrate(doc)?)),
            Kind::Visit => Projection::Visit(Box::new(document::hydrate(doc)?)),
        })
    }
}

/// The lowercased search text of a customer: name, code, phones, e-mail, contact names and
/// phones, city and district.
pub(crate) fn customer_search(c: &Customer) -> String {
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

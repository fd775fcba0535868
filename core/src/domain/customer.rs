//! The `customer` record: a company or a person, with its contacts embedded (a handful per
//! customer, bounded). Visits, orders and dispatches of a customer are their own documents.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::values::{Address, Email, FieldError, PhoneNumber, check_date, check_len};
use crate::ids::{ContactId, TerritoryId, UserId};

/// Whether the customer is a company or a private person.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Reconcile, Hydrate, Serialize, Deserialize,
)]
pub enum CustomerKind {
    /// A business customer (the default).
    #[default]
    #[serde(rename = "company")]
    #[autosurgeon(rename = "company")]
    Company,
    /// A private person.
    #[serde(rename = "person")]
    #[autosurgeon(rename = "person")]
    Person,
}

impl std::str::FromStr for CustomerKind {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        match s.trim() {
            "company" => Ok(Self::Company),
            "person" => Ok(Self::Person),
            other => Err(FieldError::new(
                "kind",
                format!("expected company or person, got {other:?}"),
            )),
        }
    }
}

/// A person at a customer.
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(default)]
pub struct Contact {
    /// Stable id, so concurrent edits of different contacts merge by identity.
    #[key]
    pub id: ContactId,
    /// Full name.
    #[autosurgeon(missing = "Default::default")]
    pub name: String,
    /// Job title.
    #[autosurgeon(missing = "Default::default")]
    pub title: String,
    /// Department.
    #[autosurgeon(missing = "Default::default")]
    pub department: String,
    /// Phone numbers.
    #[autosurgeon(missing = "Default::default")]
    pub phones: Vec<String>,
    /// E-mail.
    #[autosurgeon(missing = "Default::default")]
    pub email: String,
    /// Role in the buying process (decision maker, influencer, user, …).
    #[autosurgeon(missing = "Default::default")]
    pub role: String,
    /// The main contact of the customer.
    #[autosurgeon(missing = "Default::default")]
    pub primary: bool,
    /// Free notes.
    #[autosurgeon(missing = "Default::default")]
    pub notes: String,
}

/// A customer document.
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(default)]
pub struct Customer {
    /// Business code (e.g. `C-SH-0001`).
    #[autosurgeon(missing = "Default::default")]
    pub code: String,
    /// Display name; never empty.
    #[autosurgeon(missing = "Default::default")]
    pub name: String,
    /// Company or person.
    #[autosurgeon(missing = "Default::default")]
    pub kind: CustomerKind,
    /// Tier from the data dictionary (A, B, C, …).
    #[autosurgeon(missing = "Default::default")]
    pub tier: String,
    /// Industry from the data dictionary.
    #[autosurgeon(missing = "Default::default")]
    pub industry: String,
    /// Where the customer came from (referral, exhibition, web, …).
    #[autosurgeon(missing = "Default::default")]
    pub source: String,
    /// Phone numbers.
    #[autosurgeon(missing = "Default::default")]
    pub phones: Vec<String>,
    /// E-mail.
    #[autosurgeon(missing = "Default::default")]
    pub email: String,
    /// Postal address.
    #[autosurgeon(missing = "Default::default")]
    pub address: Address,
    /// Free tags.
    #[autosurgeon(missing = "Default::default")]
    pub tags: Vec<String>,
    /// Birthday (`YYYY-MM-DD`), person customers.
    #[autosurgeon(missing = "Default::default")]
    pub birthday: Option<String>,
    /// Interests, person customers.
    #[autosurgeon(missing = "Default::default")]
    pub interests: Vec<String>,
    /// Contacts (bounded: at most [`Customer::MAX_CONTACTS`]).
    #[autosurgeon(missing = "Default::default")]
    pub contacts: Vec<Contact>,
    /// Admin-defined extra fields, by field key.
    #[autosurgeon(missing = "Default::default")]
    pub custom: BTreeMap<String, String>,
    /// Free notes.
    #[autosurgeon(missing = "Default::default")]
    pub notes: String,
    /// Server-owned: the territory the customer belongs to (decides who sees it).
    #[autosurgeon(missing = "Default::default")]
    pub territory: Option<TerritoryId>,
    /// Server-owned: the rep responsible for it.
    #[autosurgeon(missing = "Default::default")]
    pub owner: Option<UserId>,
}

impl Customer {
    /// Upper bound on embedded contacts; more belong in a separate kind.
    pub const MAX_CONTACTS: usize = 50;

    /// Domain invariants. Each violation names its field path.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut push = |r: Result<(), FieldError>| {
            if let Err(e) = r {
                errors.push(e);
            }
        };
        if self.name.trim().is_empty() {
            push(Err(FieldError::new("name", "must not be empty")));
        }
        push(check_len("name", &self.name, 200));
        push(check_len("code", &self.code, 64));
        push(check_len("notes", &self.notes, 20_000));
        if !self.email.is_empty() {
            push(Email::parse(&self.email).map(|_| ()));
        }
        for p in &self.phones {
            push(PhoneNumber::parse(p).map(|_| ()));
        }
        if let Some(b) = &self.birthday {
            push(check_date("birthday", b));
        }
        if let Some(g) = &self.address.geo {
            push(g.check("address.geo"));
        }
        if self.contacts.len() > Self::MAX_CONTACTS {
            push(Err(FieldError::new("contacts", "too many contacts")));
        }
        for c in &self.contacts {
            if c.name.trim().is_empty() {
                push(Err(FieldError::new("contacts", "a contact needs a name")));
            }
            if !c.email.is_empty() {
                push(
                    Email::parse(&c.email)
                        .map(|_| ())
                        .map_err(|e| FieldError::new("contacts", e.message)),
                );
            }
        }
        if self.tags.len() > 100 || self.custom.len() > 200 {
            push(Err(FieldError::new(
                "tags",
                "too many tags or custom fields",
            )));
        }
        errors
    }

    /// The primary contact, else the first one.
    pub fn primary_contact(&self) -> Option<&Contact> {
        self.contacts
            .iter()
            .find(|c| c.primary)
            .or_else(|| self.contacts.first())
    }
}

//! Typed identifiers. Every id is a UUID (v7 when generated here, so ids made offline on a device
//! sort by creation time) wrapped in its own newtype, made by one macro. Ids are parsed at every
//! boundary; nothing inside core or server passes a bare `String` id around.

use std::fmt;
use std::str::FromStr;

/// Error returned when a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} id: {input:?}")]
pub struct InvalidId {
    /// Which id type was being parsed.
    pub kind: &'static str,
    /// The rejected input (truncated).
    pub input: String,
}

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident, $label:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(uuid::Uuid);

        impl $name {
            /// A new, time-ordered (UUID v7) id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }
            /// Wraps an existing UUID.
            pub const fn from_uuid(uuid: uuid::Uuid) -> Self {
                Self(uuid)
            }
            /// The underlying UUID.
            pub const fn as_uuid(&self) -> &uuid::Uuid {
                &self.0
            }
            /// The 16 raw bytes.
            pub fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }
            /// Parses the canonical hyphenated (or simple) form.
            pub fn parse(s: &str) -> Result<Self, InvalidId> {
                uuid::Uuid::parse_str(s.trim()).map(Self).map_err(|_| InvalidId {
                    kind: $label,
                    input: s.chars().take(64).collect(),
                })
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl autosurgeon::Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: autosurgeon::Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
                self.to_string().reconcile(reconciler)
            }
        }

        impl autosurgeon::Hydrate for $name {
            fn hydrate_string(s: &'_ str) -> Result<Self, autosurgeon::HydrateError> {
                Self::parse(s).map_err(|e| autosurgeon::HydrateError::unexpected("a uuid", e.to_string()))
            }
        }
    };
}

typed_id!(
    /// A user of any role.
    UserId, "user"
);
typed_id!(
    /// A registered device (one phone install, or one command-line client home).
    DeviceId, "device"
);
typed_id!(
    /// A node of the territory tree.
    TerritoryId, "territory"
);
typed_id!(
    /// A department of the organisation.
    DepartmentId, "department"
);
typed_id!(
    /// A role: a named permission set with a data scope (back-office administration).
    RoleId, "role"
);
typed_id!(
    /// Any synced document, whatever its kind.
    DocId, "document"
);
typed_id!(
    /// A customer document.
    CustomerId, "customer"
);
typed_id!(
    /// A contact embedded in a customer document.
    ContactId, "contact"
);
typed_id!(
    /// A visit document.
    VisitId, "visit"
);

typed_id!(
    /// An order document.
    OrderId, "order"
);
typed_id!(
    /// A line of an order (embedded; its id lets concurrent edits of different lines merge).
    OrderLineId, "order line"
);
typed_id!(
    /// A dispatch document: one visit of an engineer for a ticket.
    DispatchId, "dispatch"
);
typed_id!(
    /// A service ticket (a relational record in the back office).
    TicketId, "ticket"
);
typed_id!(
    /// An entry embedded in a document's list (work log entry, part used).
    EntryId, "entry"
);
typed_id!(
    /// A product of the catalog.
    ProductId, "product"
);
typed_id!(
    /// A node of the catalog's product category tree.
    CategoryId, "category"
);
typed_id!(
    /// A price list of the catalog.
    PriceListId, "price list"
);

macro_rules! doc_id_conversions {
    ($($name:ident),*) => {$(
        impl From<$name> for DocId {
            fn from(id: $name) -> DocId {
                DocId(id.0)
            }
        }
        impl From<DocId> for $name {
            fn from(id: DocId) -> $name {
                $name(id.0)
            }
        }
    )*};
}
doc_id_conversions!(CustomerId, VisitId, OrderId, DispatchId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips_and_rejects_garbage() {
        let id = CustomerId::new();
        assert_eq!(CustomerId::parse(&id.to_string()), Ok(id));
        let err = CustomerId::parse("not-a-uuid").unwrap_err();
        assert_eq!(err.kind, "customer");
    }

    #[test]
    fn v7_ids_sort_by_creation() {
        let a = VisitId::new();
        let b = VisitId::new();
        assert!(a <= b);
    }
}

//! Domain records kept as Automerge documents, and their value types.

pub mod customer;
pub mod values;
pub mod visit;

pub use customer::{Contact, Customer, CustomerKind};
pub use values::{Address, Email, FieldError, GeoPoint, PhoneNumber};
pub use visit::{CheckPoint, PhotoRef, Visit};

//! Domain records kept as Automerge documents, and their value types.

pub mod customer;
pub mod dispatch;
pub mod order;
pub mod values;
pub mod visit;

pub use customer::{Contact, Customer, CustomerKind};
pub use dispatch::{Dispatch, DispatchStatus, PartUsed, Site, Survey, WorkLogEntry};
pub use order::{Order, OrderLine, OrderStatus, PriceBook, Quote};
pub use values::{Address, Email, FieldError, GeoPoint, PhoneNumber};
pub use visit::{CheckPoint, PhotoRef, Visit};

//! fieldcrm-core: the code shared by the server and the phone apps.
//!
//! - [`ids`]: typed identifiers;
//! - [`attachment`]: photo content addresses, allowed types and their magic-number check;
//! - [`role`]: user roles;
//! - [`domain`]: the records kept as Automerge documents (customer, visit) and their value types;
//! - [`document`]: the kind-generic document machinery (hydrate, diff, compensate);
//! - [`policy`]: who may write which field of which kind;
//! - [`protocol`]: the wire messages of the sync protocol;
//! - [`sync`]: sans-I/O sync logic (server-side verdicts, client-side bookkeeping);
//! - `client` (feature `client`): the offline device store and the sync driver.

pub mod attachment;
pub mod ids;
pub mod role;

pub use ids::*;
pub use role::Role;
pub mod document;
pub mod domain;
pub mod policy;

pub use document::Kind;
pub mod protocol;
pub mod sync;

#[cfg(feature = "client")]
pub mod client;

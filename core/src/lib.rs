//! fieldcrm-core: the code shared by the server and the phone apps.
//!
//! - [`ids`]: typed identifiers;
//! - [`attachment`]: photo content addresses, allowed types and their magic-number check;
//! - [`catalog`]: the product catalog as devices receive it, and pricing from it;
//! - [`role`]: user roles;
//! - [`domain`]: the records kept as Automerge documents (customer, visit) and their value types;
//! - [`document`]: the kind-generic document machinery (hydrate, diff, compensate);
//! - [`policy`]: who may write which field of which kind;
//! - [`schema`]: reference data (data dictionary, custom field definitions) and the rules of
//!   custom values;
//! - [`protocol`]: the wire messages of the sync protocol;
//! - [`sync`]: sans-I/O sync logic (server-side verdicts, client-side bookkeeping);
//! - `client` (feature `client`): the offline device store and the sync driver.

pub mod attachment;
pub mod catalog;
pub mod ids;
pub mod role;

pub use ids::*;
pub use role::Role;
pub mod document;
pub mod domain;
pub mod policy;
pub mod schema;

pub use document::Kind;
pub mod protocol;
pub mod sync;

#[cfg(feature = "client")]
pub mod client;

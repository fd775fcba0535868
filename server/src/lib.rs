//! fieldcrm server.
pub mod sync;

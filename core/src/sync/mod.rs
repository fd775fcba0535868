//! Sans-I/O sync logic. No sockets, no storage: functions and state machines that take messages
//! and documents and return verdicts, messages and effects. The server ([`server`]) and the device
//! driver (`crate::client`) provide I/O; the tests here run both sides in memory.

pub mod client;
pub mod server;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod workflow_tests;

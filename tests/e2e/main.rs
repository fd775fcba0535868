//! End-to-end scenarios: a real server on port 0 (SQLite and PostgreSQL) and real clients.

#[macro_use]
mod harness;
mod protocol;
mod raw;
mod scope;
mod field;

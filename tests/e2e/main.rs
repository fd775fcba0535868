//! End-to-end scenarios: a real server on port 0 (SQLite and PostgreSQL) and real clients.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test with its location"
)]

#[macro_use]
mod harness;
mod field;
mod live;
mod orders;
mod photos;
mod protocol;
mod raw;
mod scope;
mod service;
mod web;

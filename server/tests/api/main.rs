//! The API test binary: each test spawns the application on port 0 with its own database,
//! on SQLite and (when reachable) on PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a panic is a test failure with its message"
)]

mod helpers;

mod admin;
mod admin_org;
mod attachments;
mod auth;
mod browser;
mod browser_admin;
mod browser_catalog;
mod browser_client;
mod browser_import;
mod browser_import_cancel;
mod browser_list;
mod browser_orders;
mod browser_schema;
mod browser_service;
mod card_scope;
mod catalog;
mod cli;
mod contracts;
mod custom_list;
mod customer_list;
mod devices;
mod documents;
mod health;
mod import;
mod import_cancel;
mod orders_office;
mod payments;
mod schema;
mod scope;
mod service;
mod storage;
mod web;

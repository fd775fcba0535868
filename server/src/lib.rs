//! fieldcrm server: the axum application, storage (SQLite by default, PostgreSQL), auth, the
//! sync endpoint, the REST API and the administration CLI.
//!
//! - [`settings`]: layered configuration;
//! - [`db`]: all SQL, one module per aggregate;
//! - [`attachments`]: photo files on disk (content-addressed);
//! - [`auth`]: passwords, access and refresh tokens, devices;
//! - [`http`]: REST handlers and the API error type;
//! - [`sync`]: the sync WebSocket endpoint;
//! - [`startup`]: building and running the application;
//! - [`seed`]: the demo organisation; [`demo_data`], [`demo_catalog`]: demo customers, visits
//!   and products;
//! - [`web`]: the web back office (askama + htmx);
//! - [`import`]: importing customers from `.xlsx`/`.csv` (reading, mapping, background runs);
//! - [`dispatching`]: service tickets and their dispatches (the office's steps);
//! - [`cli`]: the `fieldcrm` command line.

pub mod attachments;
pub mod auth;
pub mod bench;
pub mod bench_list;
pub mod cli;
pub mod db;
pub mod demo_catalog;
pub mod demo_data;
pub mod dispatching;
pub mod http;
pub mod import;
pub mod seed;
pub mod settings;
pub mod startup;
pub mod sync;
pub mod web;

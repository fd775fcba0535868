//! Importing customers (and their contacts) from spreadsheets: reading `.xlsx`/`.csv` uploads
//! ([`sheet`]), mapping columns to fields and checking rows ([`mapping`], suggestions in [`suggest`]), deciding and writing
//! rows in batches through the document write path as a background job ([`run`]), and the error
//! report of rejected rows ([`report`]); `fieldcrm bench import` ([`bench`]). The back office's pages are in `web::import`; the SQL in
//! `db::imports`. See `docs/decisions/0011-customer-import.md`.

pub mod bench;
pub mod mapping;
pub mod report;
pub mod run;
pub mod sheet;
pub mod suggest;

use std::sync::OnceLock;

use crate::db::{Backend, Db, DbError, imports, now_ms};

/// A running job whose heartbeat is older than this is taken for dead (its process crashed).
pub const STALE_AFTER_MS: i64 = 5 * 60 * 1000;

/// The error stored on a job its process did not finish.
pub const INTERRUPTED: &str = "interrupted: the server stopped while the import was running";

/// This process's runner id (random, made once): jobs record which process runs them.
pub fn runner_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| uuid::Uuid::now_v7().to_string())
}

/// Marks jobs whose process is gone as failed: at start-up on SQLite (one server process) every
/// job another process was running; on any backend, jobs whose heartbeat is stale. Called when
/// the application is built and whenever jobs are listed.
pub async fn recover_interrupted(db: &Db, at_startup: bool) -> Result<u64, DbError> {
    let others_are_dead = at_startup && db.backend() == Backend::Sqlite;
    imports::fail_interrupted(
        db,
        runner_id(),
        others_are_dead,
        now_ms() - STALE_AFTER_MS,
        INTERRUPTED,
    )
    .await
}

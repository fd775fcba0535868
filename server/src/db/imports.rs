//! Customer imports: the jobs (uploaded file, mapping, state and counts of the latest run), the
//! rows a run rejected (for the error report), the recovery of jobs whose process died, and the
//! customer look-ups the dedupe rules need.

use std::fmt;

use fieldcrm_core::{DocId, TerritoryId, UserId};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, DbError, now_ms};

/// The id of an import job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JobId(uuid::Uuid);

impl JobId {
    /// A new (time-ordered) id.
    pub fn new() -> JobId {
        JobId(uuid::Uuid::now_v7())
    }
    /// Parses the hyphenated form.
    pub fn parse(s: &str) -> Option<JobId> {
        uuid::Uuid::parse_str(s.trim()).ok().map(JobId)
    }
}

impl Default for JobId {
    fn default() -> Self {
        JobId::new()
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// Where a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStatus {
    /// Uploaded; being mapped.
    Draft,
    /// A run (dry or real) is going on.
    Running,
    /// A dry run finished; the mapping may still change and the real run may start.
    Checked,
    /// The real run finished.
    Done,
    /// The run failed or was interrupted.
    Failed,
    /// The run was cancelled by a user: it stopped between two row batches; the rows of the
    /// batches before stay imported.
    Cancelled,
}

impl JobStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Draft => "draft",
            JobStatus::Running => "running",
            JobStatus::Checked => "checked",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }
    fn parse(s: &str) -> Result<JobStatus, DbError> {
        Ok(match s {
            "draft" => JobStatus::Draft,
            "running" => JobStatus::Running,
            "checked" => JobStatus::Checked,
            "done" => JobStatus::Done,
            "failed" => JobStatus::Failed,
            "cancelled" => JobStatus::Cancelled,
            other => return Err(DbError::corrupt("import_jobs", format!("status {other:?}"))),
        })
    }
}

/// Counts of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Rows processed.
    pub done: i64,
    /// Rows that created a customer.
    pub created: i64,
    /// Rows that updated one.
    pub updated: i64,
    /// Rows skipped (matched, rule says skip).
    pub skipped: i64,
    /// Rows rejected.
    pub rejected: i64,
}

/// An import job (without its file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// Id.
    pub id: JobId,
    /// Who uploaded it.
    pub user_id: UserId,
    /// The uploaded file's name.
    pub file_name: String,
    /// `xlsx` or `csv`.
    pub file_kind: String,
    /// Detected CSV encoding.
    pub encoding: String,
    /// Bytes.
    pub file_size: i64,
    /// 1-based header row.
    pub header_row: i64,
    /// Header cells, JSON array.
    pub headers: String,
    /// Data rows.
    pub total_rows: i64,
    /// The import settings, JSON.
    pub settings: String,
    /// State.
    pub status: JobStatus,
    /// Whether the latest run is (was) a dry run.
    pub dry_run: bool,
    /// Counts of the latest run.
    pub counts: Counts,
    /// Why it failed.
    pub error: String,
    /// The process running it.
    pub runner: String,
    /// Last sign of life of the run.
    pub heartbeat_at: i64,
    /// Upload time.
    pub created_at: i64,
    /// Start of the latest run.
    pub started_at: Option<i64>,
    /// End of the latest run.
    pub finished_at: Option<i64>,
    /// Who asked to cancel the latest run, if anyone did.
    pub cancel_requested_by: Option<UserId>,
    /// When they asked.
    pub cancel_requested_at: Option<i64>,
}

/// What an upload stores.
#[derive(Clone, Debug)]
pub struct NewJob<'a> {
    /// Id.
    pub id: JobId,
    /// Uploader.
    pub user_id: UserId,
    /// File name.
    pub file_name: &'a str,
    /// `xlsx`/`csv`.
    pub file_kind: &'a str,
    /// Encoding.
    pub encoding: &'a str,
    /// The file.
    pub data: &'a [u8],
    /// Header row.
    pub header_row: i64,
    /// Headers JSON.
    pub headers: &'a str,
    /// Data rows.
    pub total_rows: i64,
    /// Settings JSON.
    pub settings: &'a str,
}

const COLUMNS: &str = "id, user_id, file_name, file_kind, encoding, file_size, header_row, headers, \
    total_rows, settings, status, dry_run, rows_done, created, updated, skipped, rejected, error, \
    runner, heartbeat_at, created_at, started_at, finished_at, cancel_requested_by, \
    cancel_requested_at";

fn job_from_row(r: &AnyRow) -> Result<Job, DbError> {
    let id: String = r.try_get("id")?;
    let user: String = r.try_get("user_id")?;
    let status: String = r.try_get("status")?;
    let cancel_by: Option<String> = r.try_get("cancel_requested_by")?;
    Ok(Job {
        id: JobId::parse(&id).ok_or_else(|| DbError::corrupt("import_jobs", "id"))?,
        user_id: UserId::parse(&user).map_err(|e| DbError::corrupt("import_jobs", e))?,
        file_name: r.try_get("file_name")?,
        file_kind: r.try_get("file_kind")?,
        encoding: r.try_get("encoding")?,
        file_size: r.try_get("file_size")?,
        header_row: r.try_get("header_row")?,
        headers: r.try_get("headers")?,
        total_rows: r.try_get("total_rows")?,
        settings: r.try_get("settings")?,
        status: JobStatus::parse(&status)?,
        dry_run: super::flag(r.try_get("dry_run")?),
        counts: Counts {
            done: r.try_get("rows_done")?,
            created: r.try_get("created")?,
            updated: r.try_get("updated")?,
            skipped: r.try_get("skipped")?,
            rejected: r.try_get("rejected")?,
        },
        error: r.try_get("error")?,
        runner: r.try_get("runner")?,
        heartbeat_at: r.try_get("heartbeat_at")?,
        created_at: r.try_get("created_at")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        cancel_requested_by: cancel_by
            .map(|u| UserId::parse(&u))
            .transpose()
            .map_err(|e| DbError::corrupt("import_jobs", e))?,
        cancel_requested_at: r.try_get("cancel_requested_at")?,
    })
}

/// Stores an uploaded file as a draft job.
pub async fn create(db: &Db, j: &NewJob<'_>) -> Result<(), DbError> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO import_jobs (id, user_id, file_name, file_kind, encoding, file_size, file_data, \
         header_row, headers, total_rows, settings, status, dry_run, rows_done, created, updated, \
         skipped, rejected, error, runner, heartbeat_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'draft', 0, 0, 0, 0, 0, 0, '', '', $12, $12)",
    )
    .bind(j.id.to_string())
    .bind(j.user_id.to_string())
    .bind(j.file_name)
    .bind(j.file_kind)
    .bind(j.encoding)
    .bind(i64::try_from(j.data.len()).unwrap_or(i64::MAX))
    .bind(j.data)
    .bind(j.header_row)
    .bind(j.headers)
    .bind(j.total_rows)
    .bind(j.settings)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// A job.
pub async fn get(db: &Db, id: JobId) -> Result<Option<Job>, DbError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM import_jobs WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(job_from_row).transpose()
}

/// The uploaded file of a job (empty once a real run finished).
pub async fn file_data(db: &Db, id: JobId) -> Result<Vec<u8>, DbError> {
    let data: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT file_data FROM import_jobs WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(db.pool())
            .await?;
    data.ok_or_else(|| DbError::NotFound(format!("import job {id}")))
}

/// The newest jobs, of one user or of everyone.
pub async fn list(db: &Db, user: Option<UserId>, limit: i64) -> Result<Vec<Job>, DbError> {
    let rows = match user {
        Some(u) => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM import_jobs WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
            ))
            .bind(u.to_string())
            .bind(limit)
            .fetch_all(db.pool())
            .await?
        }
        None => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM import_jobs ORDER BY created_at DESC, id DESC LIMIT $1"
            ))
            .bind(limit)
            .fetch_all(db.pool())
            .await?
        }
    };
    rows.iter().map(job_from_row).collect()
}

/// The SQL condition of jobs whose settings may change and which may start a run: a failed or
/// cancelled *dry* run may run again; a real run that ended is final.
const STARTABLE: &str =
    "(status IN ('draft', 'checked') OR (status IN ('failed', 'cancelled') AND dry_run = 1))";

/// Saves the settings of a job that is not running or finished; `false` if it is.
pub async fn save_settings(db: &Db, id: JobId, settings: &str) -> Result<bool, DbError> {
    let done = sqlx::query(&format!(
        "UPDATE import_jobs SET settings = $2 WHERE id = $1 AND {STARTABLE}"
    ))
    .bind(id.to_string())
    .bind(settings)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the job running (dry or real) for `runner`, clearing the previous run's counts and
/// rejected rows. `false` when the job is running already or finished: exactly one caller wins.
pub async fn start_run(db: &Db, id: JobId, dry_run: bool, runner: &str) -> Result<bool, DbError> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(&format!(
        "UPDATE import_jobs SET status = 'running', dry_run = $2, rows_done = 0, created = 0, \
         updated = 0, skipped = 0, rejected = 0, error = '', runner = $3, heartbeat_at = $4, \
         started_at = $4, finished_at = NULL, cancel_requested_by = NULL, \
         cancel_requested_at = NULL WHERE id = $1 AND {STARTABLE}"
    ))
    .bind(id.to_string())
    .bind(i64::from(dry_run))
    .bind(runner)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    sqlx::query("DELETE FROM import_rejects WHERE job_id = $1")
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// A rejected row to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    /// 1-based row number in the file.
    pub row_no: i64,
    /// The original cells, JSON array of strings.
    pub cells: String,
    /// The problems, JSON.
    pub reasons: String,
}

/// Records a batch's progress: its rejected rows and the new counts (and a heartbeat), in one
/// transaction.
pub async fn progress(
    db: &Db,
    id: JobId,
    rejects: &[Reject],
    counts: &Counts,
) -> Result<(), DbError> {
    let mut tx = db.begin_write().await?;
    for r in rejects {
        sqlx::query(
            "INSERT INTO import_rejects (job_id, row_no, cells, reasons) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (job_id, row_no) DO UPDATE SET cells = $3, reasons = $4",
        )
        .bind(id.to_string())
        .bind(r.row_no)
        .bind(&r.cells)
        .bind(&r.reasons)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "UPDATE import_jobs SET rows_done = $2, created = $3, updated = $4, skipped = $5, \
         rejected = $6, heartbeat_at = $7 WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(counts.done)
    .bind(counts.created)
    .bind(counts.updated)
    .bind(counts.skipped)
    .bind(counts.rejected)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends a run: `checked` after a dry run, `done` after a real one, `cancelled`, or `failed` with
/// `error`. A finished real run (done, cancelled or failed) drops the uploaded file.
pub async fn finish(
    db: &Db,
    id: JobId,
    status: JobStatus,
    error: &str,
    drop_file: bool,
) -> Result<(), DbError> {
    let now = now_ms();
    if drop_file {
        sqlx::query(
            "UPDATE import_jobs SET status = $2, error = $3, finished_at = $4, heartbeat_at = $4, \
             file_data = $5 WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(status.as_str())
        .bind(error)
        .bind(now)
        .bind(Vec::<u8>::new())
        .execute(db.pool())
        .await?;
    } else {
        sqlx::query(
            "UPDATE import_jobs SET status = $2, error = $3, finished_at = $4, heartbeat_at = $4 \
             WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(status.as_str())
        .bind(error)
        .bind(now)
        .execute(db.pool())
        .await?;
    }
    Ok(())
}

/// What a cancel request found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CancelRequest {
    /// The job is running: it stops before its next row batch.
    Requested,
    /// Someone asked already; the run has not reached its next batch yet.
    AlreadyRequested,
    /// The job is not running (never ran, or its run ended): nothing to cancel.
    NotRunning(JobStatus),
}

/// Asks the running job `id` to stop before its next row batch ([`cancel_requested`] tells the
/// run). A conditional update: only a running job takes it, and the first request is kept.
pub async fn request_cancel(db: &Db, id: JobId, by: UserId) -> Result<CancelRequest, DbError> {
    let done = sqlx::query(
        "UPDATE import_jobs SET cancel_requested_by = $2, cancel_requested_at = $3 \
         WHERE id = $1 AND status = 'running' AND cancel_requested_at IS NULL",
    )
    .bind(id.to_string())
    .bind(by.to_string())
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    if done.rows_affected() == 1 {
        return Ok(CancelRequest::Requested);
    }
    let job = get(db, id)
        .await?
        .ok_or_else(|| DbError::NotFound(format!("import job {id}")))?;
    Ok(match job.status {
        JobStatus::Running => CancelRequest::AlreadyRequested,
        other => CancelRequest::NotRunning(other),
    })
}

/// Whether someone asked the job's run to stop.
pub async fn cancel_requested(db: &Db, id: JobId) -> Result<bool, DbError> {
    let at: Option<Option<i64>> =
        sqlx::query_scalar("SELECT cancel_requested_at FROM import_jobs WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(db.pool())
            .await?;
    Ok(at.flatten().is_some())
}

/// The rejected rows of a job's latest run, by row number (at most `limit`).
pub async fn rejects(db: &Db, id: JobId, limit: i64) -> Result<Vec<Reject>, DbError> {
    let rows = sqlx::query(
        "SELECT row_no, cells, reasons FROM import_rejects WHERE job_id = $1 ORDER BY row_no LIMIT $2",
    )
    .bind(id.to_string())
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Reject {
                row_no: r.try_get("row_no")?,
                cells: r.try_get("cells")?,
                reasons: r.try_get("reasons")?,
            })
        })
        .collect()
}

/// Marks as failed the running jobs whose process is gone: those of another runner when
/// `others_are_dead` (a single-process SQLite server that just started), and any whose
/// heartbeat is older than `stale_before`. Returns how many.
pub async fn fail_interrupted(
    db: &Db,
    me: &str,
    others_are_dead: bool,
    stale_before: i64,
    error: &str,
) -> Result<u64, DbError> {
    let done = sqlx::query(
        "UPDATE import_jobs SET status = 'failed', error = $1, finished_at = $2 \
         WHERE status = 'running' AND ((runner <> $3 AND $4 = 1) OR heartbeat_at < $5)",
    )
    .bind(error)
    .bind(now_ms())
    .bind(me)
    .bind(i64::from(others_are_dead))
    .bind(stale_before)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// Deletes draft jobs (never run) uploaded before `before`, with their files.
pub async fn purge_drafts(db: &Db, before: i64) -> Result<u64, DbError> {
    let done = sqlx::query("DELETE FROM import_jobs WHERE status = 'draft' AND created_at < $1")
        .bind(before)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

/// An existing customer as the dedupe rules see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Existing {
    /// The value it matched by (code, name, or the phone as stored).
    pub key: String,
    /// The customer.
    pub id: DocId,
    /// Its territory.
    pub territory: Option<TerritoryId>,
    /// Its owner.
    pub owner: Option<UserId>,
}

fn existing_from_row(r: &AnyRow) -> Result<Existing, DbError> {
    let id: String = r.try_get("id")?;
    let territory: Option<String> = r.try_get("territory_id")?;
    let owner: Option<String> = r.try_get("owner_id")?;
    Ok(Existing {
        key: r.try_get("k")?,
        id: DocId::parse(&id).map_err(|e| DbError::corrupt("customers", e))?,
        territory: territory
            .map(|t| TerritoryId::parse(&t))
            .transpose()
            .map_err(|e| DbError::corrupt("customers", e))?,
        owner: owner
            .map(|o| UserId::parse(&o))
            .transpose()
            .map_err(|e| DbError::corrupt("customers", e))?,
    })
}

/// Which customer column [`customers_by`] matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyColumn {
    /// `code`.
    Code,
    /// `name`.
    Name,
}

/// Customers whose code (or name) is one of `keys`, in creation order (several per key possible).
pub async fn customers_by(
    db: &Db,
    column: KeyColumn,
    keys: &[String],
) -> Result<Vec<Existing>, DbError> {
    let col = match column {
        KeyColumn::Code => "code",
        KeyColumn::Name => "name",
    };
    let mut out = Vec::new();
    for chunk in keys.chunks(500) {
        let sql = format!(
            "SELECT {col} AS k, id, territory_id, owner_id FROM customers WHERE {col} IN ({}) \
             ORDER BY created_at, id",
            super::bind_list(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for k in chunk {
            q = q.bind(k);
        }
        for r in q.fetch_all(db.pool()).await? {
            out.push(existing_from_row(&r)?);
        }
    }
    Ok(out)
}

/// Every customer with a main phone (its phone as stored in `key`), for matching by phone.
pub async fn customers_with_phone(db: &Db) -> Result<Vec<Existing>, DbError> {
    let rows = sqlx::query(
        "SELECT phone AS k, id, territory_id, owner_id FROM customers WHERE phone <> '' \
         ORDER BY created_at, id",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(existing_from_row).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::test_support::memory_db;
    use crate::db::users::{self, NewUser};
    use fieldcrm_core::Role;

    async fn job(db: &Db, username: &str) -> (JobId, UserId) {
        let u = users::create(
            db,
            &NewUser {
                username,
                display_name: "U",
                role: Role::Office,
                password_hash: "x",
            },
        )
        .await
        .unwrap();
        let id = JobId::new();
        create(
            db,
            &NewJob {
                id,
                user_id: u.id,
                file_name: "a.csv",
                file_kind: "csv",
                encoding: "UTF-8",
                data: b"name\nA\n",
                header_row: 1,
                headers: "[\"name\"]",
                total_rows: 1,
                settings: "{}",
            },
        )
        .await
        .unwrap();
        (id, u.id)
    }

    #[tokio::test]
    async fn one_run_at_a_time_and_a_finished_import_is_final() {
        let db = memory_db().await;
        let (id, user) = job(&db, "u").await;
        assert_eq!(file_data(&db, id).await.unwrap(), b"name\nA\n");
        assert!(start_run(&db, id, true, "me").await.unwrap());
        assert!(
            !start_run(&db, id, false, "me").await.unwrap(),
            "already running"
        );
        assert!(!save_settings(&db, id, "{}").await.unwrap());
        let counts = Counts {
            done: 1,
            rejected: 1,
            ..Counts::default()
        };
        let reject = Reject {
            row_no: 2,
            cells: "[\"A\"]".into(),
            reasons: "[]".into(),
        };
        progress(&db, id, std::slice::from_ref(&reject), &counts)
            .await
            .unwrap();
        finish(&db, id, JobStatus::Checked, "", false)
            .await
            .unwrap();
        let j = get(&db, id).await.unwrap().unwrap();
        assert_eq!(
            (j.status, j.dry_run, j.counts),
            (JobStatus::Checked, true, counts)
        );
        assert_eq!(rejects(&db, id, 10).await.unwrap(), vec![reject]);
        // The real run starts from scratch, then the job is final and the file gone.
        assert!(start_run(&db, id, false, "me").await.unwrap());
        assert!(rejects(&db, id, 10).await.unwrap().is_empty());
        finish(&db, id, JobStatus::Done, "", true).await.unwrap();
        assert!(!start_run(&db, id, true, "me").await.unwrap());
        assert!(file_data(&db, id).await.unwrap().is_empty());
        assert_eq!(list(&db, Some(user), 10).await.unwrap().len(), 1);
        assert_eq!(list(&db, None, 10).await.unwrap()[0].id, id);
    }

    #[tokio::test]
    async fn only_a_running_job_takes_a_cancel_request() {
        let db = memory_db().await;
        let (id, user) = job(&db, "u").await;
        assert_eq!(
            request_cancel(&db, id, user).await.unwrap(),
            CancelRequest::NotRunning(JobStatus::Draft)
        );
        assert!(!cancel_requested(&db, id).await.unwrap());
        assert!(start_run(&db, id, true, "me").await.unwrap());
        assert_eq!(
            request_cancel(&db, id, user).await.unwrap(),
            CancelRequest::Requested
        );
        assert_eq!(
            request_cancel(&db, id, user).await.unwrap(),
            CancelRequest::AlreadyRequested
        );
        assert!(cancel_requested(&db, id).await.unwrap());
        let j = get(&db, id).await.unwrap().unwrap();
        assert_eq!(j.cancel_requested_by, Some(user));
        finish(&db, id, JobStatus::Cancelled, "", false)
            .await
            .unwrap();
        assert_eq!(
            request_cancel(&db, id, user).await.unwrap(),
            CancelRequest::NotRunning(JobStatus::Cancelled)
        );
        // A cancelled dry run may run again, with the request cleared; a cancelled real run is
        // final.
        assert!(start_run(&db, id, false, "me").await.unwrap());
        assert!(!cancel_requested(&db, id).await.unwrap());
        finish(&db, id, JobStatus::Cancelled, "", true)
            .await
            .unwrap();
        assert!(!start_run(&db, id, true, "me").await.unwrap());
        assert!(!save_settings(&db, id, "{}").await.unwrap());
    }

    #[tokio::test]
    async fn interrupted_runs_are_failed() {
        let db = memory_db().await;
        let (id, _) = job(&db, "u").await;
        assert!(start_run(&db, id, false, "old-process").await.unwrap());
        // A live runner's job is left alone; a dead one's is failed.
        assert_eq!(
            fail_interrupted(&db, "old-process", true, 0, "x")
                .await
                .unwrap(),
            0
        );
        assert_eq!(fail_interrupted(&db, "me", false, 0, "x").await.unwrap(), 0);
        assert_eq!(
            fail_interrupted(&db, "me", true, 0, "gone").await.unwrap(),
            1
        );
        let j = get(&db, id).await.unwrap().unwrap();
        assert_eq!((j.status, j.error.as_str()), (JobStatus::Failed, "gone"));
        // A stale heartbeat counts whoever runs it.
        let (id2, _) = job(&db, "v").await;
        assert!(start_run(&db, id2, true, "me").await.unwrap());
        assert_eq!(fail_interrupted(&db, "me", true, 0, "x").await.unwrap(), 0);
        let stale = now_ms() + 1;
        assert_eq!(
            fail_interrupted(&db, "me", false, stale, "x")
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            get(&db, id2).await.unwrap().unwrap().status,
            JobStatus::Failed
        );
    }
}

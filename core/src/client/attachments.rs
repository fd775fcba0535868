//! Photos on the device: content-addressed files under `<home>/attachments/<sha256>`, the
//! `uploads` queue in the store, and the uploader that moves them to the server
//! (`HEAD /api/v1/attachments/{sha256}`, then `PUT` if the server lacks it).
//!
//! Adding a photo writes the file atomically (temporary file, fsync, rename), queues it, then
//! adds its reference to the visit document; each step is committed before the next, so an app
//! killed at any point leaves either nothing referenced or a queued upload that the next pass
//! sends. Uploads run after the push of [`FieldClient::sync_once`] and beside the connection of
//! [`FieldClient::run_live`]; a transient failure (offline, 5xx, 429) is retried with
//! exponential backoff, a permanent refusal (4xx) marks the item failed with a notice. Logout
//! wipes the queue and the files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;
use tokio::io::AsyncWriteExt;
use tokio::sync::{Mutex, Notify, broadcast, watch};

use super::http::{self, Request};
use super::store::{self, NoticeKind, Store, now_ms};
use super::{ClientError, FieldClient, SyncEvent, driver};
use crate::attachment::{self, AttachmentError, Sha256Hex};
use crate::domain::PhotoRef;
use crate::ids::{DocId, VisitId};

/// The directory of photo files inside the client home.
pub const DIR: &str = "attachments";
/// First retry delay after a transient failure; doubles per attempt.
const RETRY_MIN_MS: i64 = 5_000;
/// Longest retry delay.
const RETRY_MAX_MS: i64 = 30 * 60_000;
/// An upload may take this long plus [`UPLOAD_MS_PER_MB`] per megabyte.
const UPLOAD_BASE: Duration = Duration::from_secs(30);
const UPLOAD_MS_PER_MB: u64 = 20_000;

/// Where a photo is in its journey to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadState {
    /// Queued; not on the server yet (maybe waiting for a retry).
    Pending,
    /// On the server.
    Done,
    /// Refused by the server for good (see the notice).
    Failed,
}

impl UploadState {
    fn as_str(self) -> &'static str {
        match self {
            UploadState::Pending => "pending",
            UploadState::Done => "done",
            UploadState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<Self, ClientError> {
        Ok(match s {
            "pending" => UploadState::Pending,
            "done" => UploadState::Done,
            "failed" => UploadState::Failed,
            other => {
                return Err(ClientError::Storage(format!(
                    "unknown upload state {other}"
                )));
            }
        })
    }
}

/// What one upload pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UploadPass {
    /// Photos now on the server (uploaded, or found already there).
    pub uploaded: u64,
    /// Photos refused for good.
    pub failed: u64,
    /// Photos left for a retry.
    pub retrying: u64,
}

/// The attachment side of the client: where files live, the wake-up of the uploader, and the
/// lock that keeps upload passes from overlapping.
#[derive(Debug)]
pub(crate) struct Attachments {
    dir: PathBuf,
    pub(crate) wake: Arc<Notify>,
    pass: Arc<Mutex<()>>,
}

impl Attachments {
    /// The attachments of the client whose home is `home`.
    pub(crate) fn new(home: &Path) -> Self {
        Attachments {
            dir: home.join(DIR),
            wake: Arc::new(Notify::new()),
            pass: Arc::new(Mutex::new(())),
        }
    }

    fn path(&self, sha: &Sha256Hex) -> PathBuf {
        self.dir.join(sha.as_str())
    }

    /// Deletes every photo file (logout).
    pub(crate) async fn wipe_files(&self) -> Result<(), ClientError> {
        match tokio::fs::remove_dir_all(&self.dir).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(ClientError::Storage(format!(
                "cannot delete {}: {e}",
                self.dir.display()
            ))),
        }
    }

    /// Writes `bytes` to `<dir>/<sha>` atomically (temporary file, fsync, rename), unless a
    /// file with that content is already there.
    async fn write_file(&self, sha: &Sha256Hex, bytes: &[u8]) -> Result<PathBuf, ClientError> {
        let io = |what: &str, e: std::io::Error| ClientError::Storage(format!("{what}: {e}"));
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| io("creating the attachments directory", e))?;
        let path = self.path(sha);
        if let Ok(existing) = tokio::fs::read(&path).await
            && Sha256Hex::of(&existing) == *sha
        {
            return Ok(path);
        }
        let tmp = self
            .dir
            .join(format!(".{}.{}.tmp", sha, uuid::Uuid::now_v7().simple()));
        let result = async {
            let mut f = tokio::fs::File::create(&tmp)
                .await
                .map_err(|e| io("creating the photo file", e))?;
            f.write_all(bytes)
                .await
                .map_err(|e| io("writing the photo file", e))?;
            f.sync_all()
                .await
                .map_err(|e| io("syncing the photo file", e))?;
            tokio::fs::rename(&tmp, &path)
                .await
                .map_err(|e| io("storing the photo file", e))
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        result?;
        // The rename is durable once the directory is synced (best effort: not every platform
        // lets a directory be opened).
        if let Ok(d) = tokio::fs::File::open(&self.dir).await {
            let _ = d.sync_all().await;
        }
        Ok(path)
    }
}

fn attachment_error(e: AttachmentError) -> ClientError {
    ClientError::InvalidInput(e.to_string())
}

impl FieldClient {
    /// Adds a photo to a visit: checks it (non-empty, at most
    /// [`attachment::DEFAULT_MAX_BYTES`], JPEG/PNG/WebP whose bytes match `content_type`),
    /// stores the file, queues its upload and references it in the visit (one local change).
    /// Returns its SHA-256. Adding the same photo twice references it once.
    pub async fn add_visit_photo(
        &self,
        visit: VisitId,
        bytes: &[u8],
        content_type: &str,
        caption: &str,
        taken_at: i64,
    ) -> Result<Sha256Hex, ClientError> {
        // The visit must exist before anything is written.
        self.get_visit(visit).await?;
        let photo = self
            .queue_attachment(visit.into(), bytes, content_type, caption, taken_at)
            .await?;
        let sha = photo.sha256.clone();
        self.edit_visit(visit, move |v| {
            if !v.photos.iter().any(|p| p.sha256 == photo.sha256) {
                v.photos.push(photo);
            }
        })
        .await?;
        self.inner.attachments.wake.notify_one();
        Sha256Hex::parse(&sha).map_err(|e| ClientError::InvalidInput(e.to_string()))
    }

    /// Checks an attachment of `doc`, stores its file and queues its upload; returns the
    /// reference to put in the document (the caller wakes the uploader after referencing it).
    pub(crate) async fn queue_attachment(
        &self,
        doc: DocId,
        bytes: &[u8],
        content_type: &str,
        caption: &str,
        taken_at: i64,
    ) -> Result<PhotoRef, ClientError> {
        let (ctype, sha) =
            attachment::check_bytes(bytes, content_type, attachment::DEFAULT_MAX_BYTES)
                .map_err(attachment_error)?;
        if caption.chars().count() > 2_000 {
            return Err(ClientError::InvalidInput(
                "caption: at most 2000 characters".into(),
            ));
        }
        self.inner.attachments.write_file(&sha, bytes).await?;
        let now = now_ms();
        sqlx::query(
            "INSERT INTO uploads (sha256, content_type, size, doc_id, state, attempts, \
             next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', 0, 0, ?, ?) \
             ON CONFLICT(sha256) DO UPDATE SET state = 'pending', attempts = 0, \
             next_attempt_at = 0, updated_at = excluded.updated_at WHERE uploads.state = 'failed'",
        )
        .bind(sha.as_str())
        .bind(ctype.as_str())
        .bind(i64::try_from(bytes.len()).unwrap_or(i64::MAX))
        .bind(doc.to_string())
        .bind(now)
        .bind(now)
        .execute(self.inner.store.pool())
        .await?;
        Ok(PhotoRef {
            sha256: sha.as_str().to_owned(),
            content_type: ctype.as_str().to_owned(),
            taken_at,
            caption: caption.to_owned(),
        })
    }

    /// The local file of a photo, if this device has it.
    pub async fn photo_file(&self, sha: &Sha256Hex) -> Option<PathBuf> {
        let path = self.inner.attachments.path(sha);
        tokio::fs::metadata(&path)
            .await
            .ok()
            .filter(std::fs::Metadata::is_file)
            .map(|_| path)
    }

    /// The upload state of the photos this device queued, by SHA-256 (photos taken on other
    /// devices are not in it).
    pub async fn upload_states(&self) -> Result<HashMap<String, UploadState>, ClientError> {
        let rows = sqlx::query("SELECT sha256, state FROM uploads")
            .fetch_all(self.inner.store.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("sha256")?,
                    UploadState::parse(&r.try_get::<String, _>("state")?)?,
                ))
            })
            .collect()
    }

    /// Photos queued and not on the server yet.
    pub async fn pending_uploads(&self) -> Result<u64, ClientError> {
        pending_count(&self.inner.store).await
    }

    /// Runs one upload pass now, retrying items that wait for their backoff too.
    pub async fn upload_pending(&self) -> Result<UploadPass, ClientError> {
        upload_pass(
            &self.inner.store,
            &self.inner.attachments,
            &self.inner.events,
            true,
        )
        .await
    }

    /// Starts the uploader beside a live connection (see [`FieldClient::run_live`]).
    pub(crate) fn spawn_uploader(
        &self,
        stop: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let client = self.clone();
        tokio::spawn(async move { client.uploader_loop(stop).await })
    }

    async fn uploader_loop(self, mut stop: watch::Receiver<bool>) {
        let mut events = self.inner.events.subscribe();
        let att = &self.inner.attachments;
        loop {
            if *stop.borrow() {
                return;
            }
            let pass = upload_pass(&self.inner.store, att, &self.inner.events, false).await;
            if let Err(e) = &pass {
                tracing::debug!(error = %e, "upload pass failed");
            }
            // Sleep until the next retry is due, a photo is added, the connection catches up
            // (the server is reachable again) or live sync stops.
            let due = next_due(&self.inner.store).await.ok().flatten();
            let wait = due.map(|at| {
                Duration::from_millis(u64::try_from(at.saturating_sub(now_ms())).unwrap_or(0))
            });
            let sleep = async {
                match wait {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    _ = stop.changed() => return,
                    () = att.wake.notified() => break,
                    () = &mut sleep => break,
                    event = events.recv() => match event {
                        Ok(SyncEvent::CaughtUp { .. }) | Err(broadcast::error::RecvError::Lagged(_)) => break,
                        Ok(_) => {}
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                }
            }
        }
    }
}

async fn pending_count(store: &Store) -> Result<u64, ClientError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM uploads WHERE state = 'pending'")
        .fetch_one(store.pool())
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

async fn next_due(store: &Store) -> Result<Option<i64>, ClientError> {
    Ok(
        sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM uploads WHERE state = 'pending'")
            .fetch_one(store.pool())
            .await?,
    )
}

/// One queued photo.
struct Item {
    sha: Sha256Hex,
    content_type: String,
    attempts: i64,
    doc: Option<DocId>,
}

/// How one item ended.
enum Outcome {
    Uploaded,
    /// Transient: retry later. `stop` when the server is unreachable (no point going on).
    Retry {
        error: String,
        stop: bool,
    },
    /// Permanent refusal.
    Failed(String),
}

/// Uploads every due queued photo (`force`: also those waiting for their backoff). Emits
/// [`SyncEvent::UploadsFinished`] when it uploaded or failed something.
pub(crate) async fn upload_pass(
    store: &Store,
    att: &Attachments,
    events: &broadcast::Sender<SyncEvent>,
    force: bool,
) -> Result<UploadPass, ClientError> {
    let _one_at_a_time = att.pass.lock().await;
    let rows = sqlx::query(
        "SELECT sha256, content_type, attempts, doc_id FROM uploads \
         WHERE state = 'pending' AND (?1 OR next_attempt_at <= ?2) ORDER BY created_at, sha256",
    )
    .bind(force)
    .bind(now_ms())
    .fetch_all(store.pool())
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        let sha: String = r.try_get("sha256")?;
        items.push(Item {
            sha: Sha256Hex::parse(&sha).map_err(|e| ClientError::Storage(e.to_string()))?,
            content_type: r.try_get("content_type")?,
            attempts: r.try_get("attempts")?,
            doc: r
                .try_get::<Option<String>, _>("doc_id")?
                .and_then(|d| DocId::parse(&d).ok()),
        });
    }
    let mut pass = UploadPass::default();
    if items.is_empty() {
        return Ok(pass);
    }
    let (server, mut token) = driver::access_token(store, false).await?;
    for (i, item) in items.iter().enumerate() {
        let mut outcome = upload_one(&server, &token, att, item).await;
        if matches!(&outcome, Err(ClientError::Unauthorized(m)) if m.contains("token_expired")) {
            token = driver::access_token(store, true).await?.1;
            outcome = upload_one(&server, &token, att, item).await;
        }
        let outcome = match outcome {
            Ok(o) => o,
            // The session is gone: nothing more can be uploaded until a new login.
            Err(e @ ClientError::Unauthorized(_)) => return Err(e),
            Err(e) => classify(e),
        };
        match outcome {
            Outcome::Uploaded => {
                set_state(store, item, UploadState::Done, None).await?;
                pass.uploaded += 1;
            }
            Outcome::Failed(reason) => {
                set_state(store, item, UploadState::Failed, Some(&reason)).await?;
                let mut tx = store.begin().await?;
                let msg = format!("photo {} could not be uploaded: {reason}", item.sha);
                store::add_notice(&mut tx, NoticeKind::Error, item.doc, &msg).await?;
                tx.commit().await?;
                pass.failed += 1;
            }
            Outcome::Retry { error, stop } => {
                reschedule(store, item, &error).await?;
                pass.retrying += 1;
                if stop {
                    let rest = &items[i + 1..];
                    for other in rest {
                        reschedule(store, other, &error).await?;
                    }
                    pass.retrying += u64::try_from(rest.len()).unwrap_or(0);
                    break;
                }
            }
        }
    }
    if pass.uploaded + pass.failed > 0 {
        let _ = events.send(SyncEvent::UploadsFinished {
            uploaded: pass.uploaded,
            failed: pass.failed,
        });
    }
    Ok(pass)
}

/// Sorts an error of one upload into retry or give up.
fn classify(e: ClientError) -> Outcome {
    match e {
        ClientError::Offline(m) => Outcome::Retry {
            error: m,
            stop: true,
        },
        e @ (ClientError::Server(_) | ClientError::Protocol(_) | ClientError::Storage(_)) => {
            Outcome::Retry {
                error: e.to_string(),
                stop: false,
            }
        }
        ClientError::InvalidInput(m)
        | ClientError::Forbidden(m)
        | ClientError::NotFound(m)
        | ClientError::Unauthorized(m)
        | ClientError::Document(m) => Outcome::Failed(m),
    }
}

/// `HEAD`, then `PUT` when the server lacks the photo.
async fn upload_one(
    server: &http::ServerUrl,
    token: &str,
    att: &Attachments,
    item: &Item,
) -> Result<Outcome, ClientError> {
    let path = format!("/api/v1/attachments/{}", item.sha);
    let (status, body) = http::send(
        server,
        Request {
            method: hyper::Method::HEAD,
            path: &path,
            bearer: Some(token),
            content_type: None,
            body: Vec::new(),
            timeout: UPLOAD_BASE,
            if_none_match: None,
        },
    )
    .await?;
    match status {
        200 => return Ok(Outcome::Uploaded),
        404 => {}
        401 => return Err(http::error_from_response(status, &body)),
        // HEAD answers carry no body: the status tells the kind of failure.
        429 | 500..=599 => return Err(ClientError::Server(format!("HTTP {status}"))),
        other => return Err(http::error_from_response(other, &body)),
    }
    let bytes = match tokio::fs::read(att.path(&item.sha)).await {
        Ok(b) => b,
        Err(e) => {
            return Ok(Outcome::Failed(format!(
                "the photo file is missing on this device ({e})"
            )));
        }
    };
    if Sha256Hex::of(&bytes) != item.sha {
        return Ok(Outcome::Failed(
            "the photo file on this device is damaged".into(),
        ));
    }
    let mb = u64::try_from(bytes.len() / (1024 * 1024) + 1).unwrap_or(u64::MAX);
    let (status, body) = http::send(
        server,
        Request {
            method: hyper::Method::PUT,
            path: &path,
            bearer: Some(token),
            content_type: Some(&item.content_type),
            body: bytes,
            timeout: UPLOAD_BASE + Duration::from_millis(UPLOAD_MS_PER_MB.saturating_mul(mb)),
            if_none_match: None,
        },
    )
    .await?;
    match status {
        200..=299 => Ok(Outcome::Uploaded),
        429 => Err(ClientError::Server("too many requests".into())),
        s => Err(http::error_from_response(s, &body)),
    }
}

async fn set_state(
    store: &Store,
    item: &Item,
    state: UploadState,
    error: Option<&str>,
) -> Result<(), ClientError> {
    sqlx::query(
        "UPDATE uploads SET state = ?, last_error = ?, attempts = attempts + 1, updated_at = ? \
         WHERE sha256 = ?",
    )
    .bind(state.as_str())
    .bind(error)
    .bind(now_ms())
    .bind(item.sha.as_str())
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Schedules a retry: 5 s after the first failure, doubling, at most 30 minutes.
async fn reschedule(store: &Store, item: &Item, error: &str) -> Result<(), ClientError> {
    let now = now_ms();
    sqlx::query(
        "UPDATE uploads SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, \
         updated_at = ? WHERE sha256 = ?",
    )
    .bind(now.saturating_add(retry_delay_ms(item.attempts)))
    .bind(error)
    .bind(now)
    .bind(item.sha.as_str())
    .execute(store.pool())
    .await?;
    Ok(())
}

/// The backoff after `attempts` earlier failures.
fn retry_delay_ms(attempts: i64) -> i64 {
    let shift = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    RETRY_MIN_MS
        .saturating_mul(1_i64 << shift)
        .min(RETRY_MAX_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(retry_delay_ms(0), 5_000);
        assert_eq!(retry_delay_ms(1), 10_000);
        assert_eq!(retry_delay_ms(3), 40_000);
        assert_eq!(retry_delay_ms(50), RETRY_MAX_MS);
        assert_eq!(retry_delay_ms(-1), 5_000);
    }

    #[test]
    fn errors_sort_into_retry_or_fail() {
        assert!(matches!(
            classify(ClientError::Offline("x".into())),
            Outcome::Retry { stop: true, .. }
        ));
        assert!(matches!(
            classify(ClientError::Server("x".into())),
            Outcome::Retry { stop: false, .. }
        ));
        assert!(matches!(
            classify(ClientError::InvalidInput("too big".into())),
            Outcome::Failed(m) if m == "too big"
        ));
    }

    #[tokio::test]
    async fn files_are_written_once_and_wiped() {
        let home = tempfile::tempdir().unwrap();
        let att = Attachments::new(home.path());
        let bytes = b"\x89PNG\r\n\x1a\nrest";
        let sha = Sha256Hex::of(bytes);
        let path = att.write_file(&sha, bytes).await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        assert_eq!(att.write_file(&sha, bytes).await.unwrap(), path);
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(home.path().join(DIR)).unwrap().count(), 1);
        att.wipe_files().await.unwrap();
        assert!(!home.path().join(DIR).exists());
        att.wipe_files().await.unwrap();
    }
}

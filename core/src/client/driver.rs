//! The sync driver: [`SyncSession`] applies server messages to the [`Store`] (sans sockets, so the
//! tests drive it with plain [`ServerMessage`]s), and the connection loops around it speak the
//! WebSocket: [`sync_once`] (connect, catch up, push, wait for every result, close) and
//! [`run_live`] (stay connected, push local edits promptly, reconnect with backoff).
//!
//! Every server message that changes local data is applied in one SQLite transaction.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use automerge::{Automerge, ChangeHash};
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio::sync::{Notify, broadcast, watch};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::ClientError;
use super::http::{self, ServerUrl};
use super::store::{self, NoticeKind, Store, now_ms};
use crate::document::Kind;
use crate::ids::DocId;
use crate::protocol::{
    self, ClientMessage, DEFAULT_MAX_FRAME_BYTES, DocData, ErrorCode, RejectCode, ServerMessage,
    Verdict,
};
use crate::sync::client::{
    ClientEvent, ClientSync, apply_server_changes, apply_server_data, merge_synced, pending_changes,
};

/// The client name sent in `hello`.
const CLIENT_NAME: &str = concat!("fieldcrm-core/", env!("CARGO_PKG_VERSION"));
/// How long `sync_once` waits for the next frame before giving up.
const FRAME_TIMEOUT: Duration = Duration::from_secs(60);
/// Keep-alive interval of a live connection.
const PING_INTERVAL: Duration = Duration::from_secs(30);
/// Refresh the access token when it expires within this many seconds.
const EXPIRY_MARGIN_S: i64 = 30;
/// While live, the reference data is re-checked every this many pings (a `304` when unchanged).
const REFERENCE_EVERY_PINGS: u64 = 10;
/// Reconnect backoff bounds.
const BACKOFF_MIN: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(60);

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What one sync did; the counts prove that a reconnect costs O(changed), not O(held).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// Server messages received.
    pub frames_received: u64,
    /// Documents received in `docs` frames.
    pub docs_received: u64,
    /// Documents revoked (purged).
    pub revoked: u64,
    /// `push` messages sent (a `missing_deps` re-push counts again).
    pub pushed: u64,
    /// Pushes accepted as sent.
    pub accepted: u64,
    /// Pushes accepted with a compensation.
    pub compensated: u64,
    /// Pushes rejected (their changes are in quarantine).
    pub rejected: u64,
    /// Bytes of server frames received.
    pub bytes_received: u64,
    /// The cursor after the sync.
    pub cursor: u64,
    /// Photos uploaded after the push (see [`super::attachments`]).
    #[serde(default)]
    pub uploaded: u64,
    /// Photos the server refused for good after the push (each has a notice).
    #[serde(default)]
    pub upload_failed: u64,
}

/// What the sync driver reports while it runs (see [`super::FieldClient::subscribe`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SyncEvent {
    /// The server welcomed this device.
    Connected,
    /// The connection ended; `error` says why, if it was not a requested stop.
    Disconnected {
        /// Why.
        error: Option<String>,
    },
    /// Documents were merged into the store.
    DocsReceived {
        /// How many.
        count: usize,
    },
    /// The server restored fields of a pushed document.
    Compensated {
        /// The document.
        doc: DocId,
        /// Field paths restored.
        paths: Vec<String>,
    },
    /// The server refused a pushed document; its changes are in quarantine.
    Rejected {
        /// The document.
        doc: DocId,
        /// Why.
        reason: String,
    },
    /// Documents left the user's scope and were purged.
    Revoked {
        /// The documents.
        docs: Vec<DocId>,
    },
    /// Documents new to this device arrived (a dispatch assigned to the engineer, a customer
    /// moved into the rep's territory), one event per kind and frame.
    Arrived {
        /// Their kind.
        kind: Kind,
        /// The documents.
        docs: Vec<DocId>,
    },
    /// Everything up to `cursor` is on the device.
    CaughtUp {
        /// The new cursor.
        cursor: u64,
    },
    /// An upload pass of photos ended having done something.
    UploadsFinished {
        /// Photos now on the server.
        uploaded: u64,
        /// Photos the server refused for good (each has a notice).
        failed: u64,
    },
}

/// The state of one connection: the protocol state machine plus the store it writes to.
#[derive(Debug)]
pub struct SyncSession {
    store: Store,
    sync: ClientSync,
    events: broadcast::Sender<SyncEvent>,
    in_flight_docs: HashSet<DocId>,
    full_repushed: HashSet<DocId>,
    connected: bool,
    report: SyncReport,
}

impl SyncSession {
    /// Starts a session from the stored cursor; returns it and the `hello` to send.
    pub async fn start(
        store: Store,
        events: broadcast::Sender<SyncEvent>,
    ) -> Result<(Self, ClientMessage), ClientError> {
        let cursor = store
            .meta(super::META_CURSOR)
            .await?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let (sync, hello) = ClientSync::start(cursor, CLIENT_NAME);
        Ok((
            Self {
                store,
                sync,
                events,
                in_flight_docs: HashSet::new(),
                full_repushed: HashSet::new(),
                connected: false,
                report: SyncReport {
                    cursor,
                    ..SyncReport::default()
                },
            },
            hello,
        ))
    }

    /// What this session did so far.
    pub fn report(&self) -> &SyncReport {
        &self.report
    }

    /// True once caught up with no push waiting for its result.
    pub fn settled(&self) -> bool {
        self.connected && self.sync.caught_up() && self.sync.in_flight() == 0
    }

    fn emit(&self, event: SyncEvent) {
        // No receiver is fine: nobody is listening.
        let _ = self.events.send(event);
    }

    /// Decodes and handles one binary frame.
    pub async fn handle_frame(&mut self, bytes: &[u8]) -> Result<Vec<ClientMessage>, ClientError> {
        self.report.bytes_received += bytes.len() as u64;
        let msg = protocol::decode::<ServerMessage>(bytes, DEFAULT_MAX_FRAME_BYTES)
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        self.handle(msg).await
    }

    /// Handles one server message; returns the messages to send.
    pub async fn handle(&mut self, msg: ServerMessage) -> Result<Vec<ClientMessage>, ClientError> {
        self.report.frames_received += 1;
        let event = self
            .sync
            .handle(msg)
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        match event {
            ClientEvent::Welcome { .. } => {
                self.connected = true;
                self.emit(SyncEvent::Connected);
                self.push_pending().await
            }
            ClientEvent::Docs(docs) => {
                let count = docs.len();
                let arrived = self.apply_docs(docs).await?;
                self.report.docs_received += count as u64;
                self.emit(SyncEvent::DocsReceived { count });
                for kind in Kind::ALL {
                    let docs: Vec<DocId> = arrived
                        .iter()
                        .filter(|(k, _)| *k == kind)
                        .map(|(_, d)| *d)
                        .collect();
                    if !docs.is_empty() {
                        self.emit(SyncEvent::Arrived { kind, docs });
                    }
                }
                Ok(Vec::new())
            }
            ClientEvent::Revoke { docs, reason } => {
                self.revoke(&docs, &reason).await?;
                self.report.revoked += docs.len() as u64;
                self.emit(SyncEvent::Revoked { docs });
                Ok(Vec::new())
            }
            ClientEvent::CaughtUp { cursor } => {
                let mut tx = self.store.begin().await?;
                store::set_meta_in(&mut tx, super::META_CURSOR, &cursor.to_string()).await?;
                store::set_meta_in(&mut tx, super::META_LAST_SYNC, &now_ms().to_string()).await?;
                tx.commit().await?;
                self.report.cursor = cursor;
                self.emit(SyncEvent::CaughtUp { cursor });
                Ok(Vec::new())
            }
            ClientEvent::PushOutcome {
                doc,
                pushed_heads,
                verdict,
                server_changes,
                server_heads,
            } => {
                self.in_flight_docs.remove(&doc);
                self.push_outcome(doc, pushed_heads, verdict, server_changes, server_heads)
                    .await
            }
            ClientEvent::Pong => Ok(Vec::new()),
            ClientEvent::ServerError { code, message } => Err(match code {
                ErrorCode::TokenExpired => {
                    ClientError::Unauthorized(format!("token_expired: {message}"))
                }
                ErrorCode::DeviceRevoked => {
                    ClientError::Unauthorized(format!("device revoked: {message}"))
                }
                ErrorCode::Internal => ClientError::Server(message),
                other => ClientError::Protocol(format!("{other:?}: {message}")),
            }),
        }
    }

    /// One `push` per document with pending changes that is not already waiting for a result.
    pub async fn push_pending(&mut self) -> Result<Vec<ClientMessage>, ClientError> {
        if !self.connected {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for (id, _) in self.store.pending_docs().await? {
            if self.in_flight_docs.contains(&id) {
                continue;
            }
            if let Some(m) = self.push_doc(id, false).await? {
                out.push(m);
            }
        }
        Ok(out)
    }

    async fn push_doc(
        &mut self,
        id: DocId,
        full: bool,
    ) -> Result<Option<ClientMessage>, ClientError> {
        let Some(stored) = self.store.load(id).await? else {
            return Ok(None);
        };
        let since: &[ChangeHash] = if full { &[] } else { &stored.synced };
        let changes = pending_changes(&stored.doc, since);
        if changes.is_empty() {
            return Ok(None);
        }
        self.in_flight_docs.insert(id);
        self.report.pushed += 1;
        Ok(Some(self.sync.push(
            id,
            stored.kind,
            changes,
            stored.doc.get_heads(),
        )))
    }

    /// Merges received documents; returns those new to the device.
    async fn apply_docs(&mut self, docs: Vec<DocData>) -> Result<Vec<(Kind, DocId)>, ClientError> {
        let mut tx = self.store.begin().await?;
        let ids: Vec<DocId> = docs.iter().map(|d| d.doc).collect();
        let held = store::existing_ids(&mut tx, &ids).await?;
        let (known, new): (Vec<DocData>, Vec<DocData>) =
            docs.into_iter().partition(|d| held.contains(&d.doc));
        let mut arrived: Vec<(Kind, DocId)> = new.iter().map(|d| (d.kind, d.doc)).collect();
        // Documents new to the device (a first install brings thousands): loading them and
        // computing their projection is CPU work, spread over the cores off the async runtime.
        let fresh = if new.is_empty() {
            Vec::new()
        } else {
            tokio::task::spawn_blocking(move || prepare_new_docs(new))
                .await
                .map_err(|e| ClientError::Storage(format!("preparing documents: {e}")))??
        };
        for d in known {
            let server_heads = protocol::hashes_from_wire(&d.heads)
                .ok_or_else(|| ClientError::Protocol("malformed heads in docs frame".into()))?;
            match store::load_doc(&mut tx, d.doc).await? {
                Some(mut s) => {
                    if s.kind != d.kind {
                        tracing::warn!(doc = %d.doc, "server sent a document under another kind");
                        continue;
                    }
                    apply_server_data(&mut s.doc, &d.data)?;
                    let synced = merge_synced(&s.doc, &s.synced, &server_heads);
                    store::save_doc(&mut tx, d.doc, d.kind, &s.doc, &s.doc.save(), &synced).await?;
                }
                None => {
                    let doc = crate::document::load(&d.data)?;
                    let synced = merge_synced(&doc, &[], &server_heads);
                    store::save_doc(&mut tx, d.doc, d.kind, &doc, &d.data, &synced).await?;
                    arrived.push((d.kind, d.doc));
                }
            }
        }
        store::insert_new_docs(&mut tx, fresh).await?;
        tx.commit().await?;
        Ok(arrived)
    }

    async fn revoke(&mut self, docs: &[DocId], reason: &str) -> Result<(), ClientError> {
        let mut tx = self.store.begin().await?;
        for &id in docs {
            let Some(s) = store::load_doc(&mut tx, id).await? else {
                store::delete_doc(&mut tx, id).await?;
                continue;
            };
            let pending = pending_changes(&s.doc, &s.synced);
            if pending.is_empty() {
                let msg = format!("{} {id} was removed from this device: {reason}", s.kind);
                store::add_notice(&mut tx, NoticeKind::Revoked, Some(id), &msg).await?;
            } else {
                store::add_quarantine(&mut tx, id, s.kind, "revoked", reason, &pending).await?;
                let msg = format!(
                    "{} {id} was revoked while it had unsynced edits: {reason} \
                     ({} change(s) kept in quarantine)",
                    s.kind,
                    pending.len()
                );
                store::add_notice(&mut tx, NoticeKind::Rejected, Some(id), &msg).await?;
            }
            store::delete_doc(&mut tx, id).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn push_outcome(
        &mut self,
        id: DocId,
        pushed_heads: Vec<ChangeHash>,
        verdict: Verdict,
        server_changes: Vec<Vec<u8>>,
        server_heads: Vec<ChangeHash>,
    ) -> Result<Vec<ClientMessage>, ClientError> {
        match verdict {
            Verdict::Rejected {
                code: RejectCode::MissingDeps,
                ..
            } if self.full_repushed.insert(id) => {
                // The server lacks history we assumed it had: send all of it, once.
                Ok(self.push_doc(id, true).await?.into_iter().collect())
            }
            Verdict::Rejected { code, reason } => {
                self.reject(id, code, &reason).await?;
                self.report.rejected += 1;
                self.emit(SyncEvent::Rejected { doc: id, reason });
                Ok(Vec::new())
            }
            Verdict::Accepted | Verdict::Compensated { .. } => {
                let mut tx = self.store.begin().await?;
                let Some(mut s) = store::load_doc(&mut tx, id).await? else {
                    // Purged meanwhile (revoked): nothing to merge into.
                    return Ok(Vec::new());
                };
                apply_server_changes(&mut s.doc, &server_changes)?;
                let known: Vec<ChangeHash> = pushed_heads.into_iter().chain(server_heads).collect();
                let synced = merge_synced(&s.doc, &s.synced, &known);
                let still_pending =
                    store::save_doc(&mut tx, id, s.kind, &s.doc, &s.doc.save(), &synced).await?;
                if let Verdict::Compensated { paths, reasons } = &verdict {
                    let msg = format!(
                        "{} {id}: the server restored {}: {}",
                        s.kind,
                        paths.join(", "),
                        reasons.join("; ")
                    );
                    store::add_notice(&mut tx, NoticeKind::Compensated, Some(id), &msg).await?;
                }
                tx.commit().await?;
                if let Verdict::Compensated { paths, .. } = verdict {
                    self.report.compensated += 1;
                    self.emit(SyncEvent::Compensated { doc: id, paths });
                } else {
                    self.report.accepted += 1;
                }
                // Edits made while the push was in flight go out now.
                if still_pending {
                    Ok(self.push_doc(id, false).await?.into_iter().collect())
                } else {
                    Ok(Vec::new())
                }
            }
        }
    }

    /// Quarantines a document's pending changes and rolls it back to its synced state (or deletes
    /// it when the server never had it).
    async fn reject(
        &mut self,
        id: DocId,
        code: RejectCode,
        reason: &str,
    ) -> Result<(), ClientError> {
        let mut tx = self.store.begin().await?;
        let Some(s) = store::load_doc(&mut tx, id).await? else {
            return Ok(());
        };
        let pending = pending_changes(&s.doc, &s.synced);
        let code = reject_code_name(code);
        store::add_quarantine(&mut tx, id, s.kind, code, reason, &pending).await?;
        let msg = format!(
            "{} {id}: the server refused {} local change(s) ({code}): {reason}",
            s.kind,
            pending.len()
        );
        store::add_notice(&mut tx, NoticeKind::Rejected, Some(id), &msg).await?;
        if s.synced.is_empty() {
            store::delete_doc(&mut tx, id).await?;
        } else {
            let rolled: Automerge = s.doc.fork_at(&s.synced)?;
            store::save_doc(&mut tx, id, s.kind, &rolled, &rolled.save(), &s.synced).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The wire name of a rejection code.
fn reject_code_name(code: RejectCode) -> &'static str {
    match code {
        RejectCode::OutOfScope => "out_of_scope",
        RejectCode::ForgedAuthor => "forged_author",
        RejectCode::Malformed => "malformed",
        RejectCode::MissingDeps => "missing_deps",
        RejectCode::Invalid => "invalid",
        RejectCode::KindMismatch => "kind_mismatch",
        RejectCode::TooLarge => "too_large",
    }
}

/// Loads documents new to the device and computes their projection rows, on all cores.
fn prepare_new_docs(docs: Vec<DocData>) -> Result<Vec<store::NewDoc>, ClientError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let chunk = docs.len().div_ceil(threads).max(1);
    let results: Vec<Result<Vec<store::NewDoc>, ClientError>> = std::thread::scope(|scope| {
        let workers: Vec<_> = docs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(prepare_new_doc)
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(ClientError::Document("a worker thread failed".into())))
            })
            .collect()
    });
    let mut out = Vec::with_capacity(docs.len());
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}

fn prepare_new_doc(d: &DocData) -> Result<store::NewDoc, ClientError> {
    let server_heads = protocol::hashes_from_wire(&d.heads)
        .ok_or_else(|| ClientError::Protocol("malformed heads in docs frame".into()))?;
    let doc = crate::document::load(&d.data)?;
    // A document new to the device is exactly the server's: its heads are synced. (Cheap check
    // first: `merge_synced` walks the change graph.)
    let mut heads = doc.get_heads();
    heads.sort_unstable();
    let mut wanted = server_heads.clone();
    wanted.sort_unstable();
    let synced = if heads == wanted {
        heads
    } else {
        merge_synced(&doc, &[], &server_heads)
    };
    Ok(store::NewDoc {
        id: d.doc,
        kind: d.kind,
        data: d.data.to_vec(),
        synced,
        projection: super::projection::Projection::of(d.kind, &doc)?,
    })
}

// ----- tokens and connection -----

/// The server URL and a valid access token, refreshing it first if it expired (or `force`).
pub(crate) async fn access_token(
    store: &Store,
    force: bool,
) -> Result<(ServerUrl, String), ClientError> {
    let not_logged_in = || ClientError::Unauthorized("not logged in".into());
    let url = store
        .meta(super::META_SERVER)
        .await?
        .ok_or_else(not_logged_in)?;
    let server = ServerUrl::parse(&url)?;
    let access = store
        .meta(super::META_ACCESS)
        .await?
        .ok_or_else(not_logged_in)?;
    let expires_at: i64 = store
        .meta(super::META_ACCESS_EXPIRES)
        .await?
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if !force && expires_at > chrono::Utc::now().timestamp() + EXPIRY_MARGIN_S {
        return Ok((server, access));
    }
    let refresh_token = store
        .meta(super::META_REFRESH)
        .await?
        .ok_or_else(not_logged_in)?;
    let tokens = http::refresh(&server, &refresh_token).await?;
    super::store_tokens(store, &tokens).await?;
    Ok((server, tokens.access_token))
}

async fn connect(store: &Store) -> Result<Ws, ClientError> {
    let mut refreshed = false;
    loop {
        let (server, token) = access_token(store, false).await?;
        let mut req = server
            .sync_url()
            .into_client_request()
            .map_err(|e| ClientError::InvalidInput(e.to_string()))?;
        let bearer = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        req.headers_mut().insert(
            tokio_tungstenite::tungstenite::http::header::AUTHORIZATION,
            bearer,
        );
        match tokio::time::timeout(FRAME_TIMEOUT, tokio_tungstenite::connect_async(req)).await {
            Err(_) => return Err(ClientError::Offline("connect timed out".into())),
            Ok(Ok((ws, _))) => return Ok(ws),
            Ok(Err(WsError::Http(resp))) => {
                let status = resp.status().as_u16();
                let body = resp.body().clone().unwrap_or_default();
                let expired =
                    status == 401 && String::from_utf8_lossy(&body).contains("token_expired");
                if expired && !refreshed {
                    refreshed = true;
                    access_token(store, true).await?;
                    continue;
                }
                return Err(http::error_from_response(status, &body));
            }
            Ok(Err(e)) => return Err(ws_error(e)),
        }
    }
}

/// Fetches the reference data and the product catalog if they changed. A failure is not a sync
/// failure: the device keeps the copies it has (the server checks every push anyway).
async fn refresh_reference(store: &Store) {
    if let Err(e) = super::reference::refresh(store).await {
        tracing::warn!(error = %e, "cannot fetch the reference data");
    }
    match super::catalog::refresh(store).await {
        Ok(_) => {}
        // A role without the catalog (partners).
        Err(ClientError::Forbidden(e)) => tracing::debug!(error = %e, "no catalog for this user"),
        Err(e) => tracing::warn!(error = %e, "cannot fetch the catalog"),
    }
}

async fn send(ws: &mut Ws, msgs: Vec<ClientMessage>) -> Result<(), ClientError> {
    for m in msgs {
        let bytes = protocol::encode(&m).map_err(|e| ClientError::Protocol(e.to_string()))?;
        ws.send(Message::binary(bytes)).await.map_err(ws_error)?;
    }
    Ok(())
}

fn ws_error(e: WsError) -> ClientError {
    use tokio_tungstenite::tungstenite::error::ProtocolError;
    match e {
        // A connection cut in the middle (network gone, server killed) is being offline.
        WsError::Io(_)
        | WsError::ConnectionClosed
        | WsError::AlreadyClosed
        | WsError::Protocol(
            ProtocolError::ResetWithoutClosingHandshake | ProtocolError::HandshakeIncomplete,
        ) => ClientError::Offline(e.to_string()),
        other => ClientError::Protocol(other.to_string()),
    }
}

/// Connects, catches up, pushes every pending document, waits for every result and for
/// `caught_up`, then closes the connection cleanly.
pub(crate) async fn sync_once(
    store: &Store,
    events: &broadcast::Sender<SyncEvent>,
) -> Result<SyncReport, ClientError> {
    // Reference data first: the server expects `hello` promptly once the socket is open.
    refresh_reference(store).await;
    let mut ws = connect(store).await?;
    let (mut session, hello) = SyncSession::start(store.clone(), events.clone()).await?;
    let result = async {
        send(&mut ws, vec![hello]).await?;
        while !session.settled() {
            let frame = tokio::time::timeout(FRAME_TIMEOUT, ws.next())
                .await
                .map_err(|_| ClientError::Offline("server stopped answering".into()))?;
            match frame {
                None => return Err(ClientError::Offline("connection closed".into())),
                Some(Err(e)) => return Err(ws_error(e)),
                Some(Ok(Message::Binary(b))) => {
                    let out = session.handle_frame(&b).await?;
                    send(&mut ws, out).await?;
                }
                Some(Ok(Message::Close(_))) => {
                    return Err(ClientError::Offline("server closed the connection".into()));
                }
                Some(Ok(Message::Text(_))) => {
                    return Err(ClientError::Protocol("text frame from server".into()));
                }
                Some(Ok(_)) => {}
            }
        }
        Ok(())
    }
    .await;
    let _ = ws.close(None).await;
    let _ = events.send(SyncEvent::Disconnected {
        error: result.as_ref().err().map(ToString::to_string),
    });
    result.map(|()| session.report().clone())
}

/// A running live sync; stops when [`LiveHandle::stop`] is called or the handle is dropped.
#[derive(Debug)]
pub struct LiveHandle {
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
    companions: Vec<tokio::task::JoinHandle<()>>,
}

impl LiveHandle {
    /// Stops the live sync, closing the connection cleanly, and waits for it (and its companion
    /// tasks) to end.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        for task in std::mem::take(&mut self.companions) {
            let _ = task.await;
        }
    }

    /// Runs a task beside the connection (the photo uploader) that stops with it: `start` gets
    /// the stop signal (true once stopping) and spawns the task.
    pub(crate) fn with_companion(
        mut self,
        start: impl FnOnce(watch::Receiver<bool>) -> tokio::task::JoinHandle<()>,
    ) -> Self {
        self.companions.push(start(self.stop.subscribe()));
        self
    }
}

impl Drop for LiveHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Starts live sync in a task (must be called inside a tokio runtime).
pub(crate) fn run_live(
    store: Store,
    events: broadcast::Sender<SyncEvent>,
    local_edits: Arc<Notify>,
) -> LiveHandle {
    let (stop_tx, stop_rx) = watch::channel(false);
    let task = tokio::spawn(live_loop(store, events, local_edits, stop_rx));
    LiveHandle {
        stop: stop_tx,
        task: Some(task),
        companions: Vec::new(),
    }
}

async fn live_loop(
    store: Store,
    events: broadcast::Sender<SyncEvent>,
    local_edits: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let mut backoff = BACKOFF_MIN;
    loop {
        if *stop.borrow() {
            return;
        }
        let mut connected = false;
        let result =
            live_connection(&store, &events, &local_edits, &mut stop, &mut connected).await;
        let error = result.err();
        // An access token that expired while connected is routine: reconnect at once, which
        // refreshes it. Other authorization failures need a new login.
        let token_expired = matches!(
            &error,
            Some(ClientError::Unauthorized(m)) if m.starts_with("token_expired")
        );
        let fatal = !token_expired
            && matches!(
                error,
                Some(ClientError::Unauthorized(_) | ClientError::Forbidden(_))
            );
        let _ = events.send(SyncEvent::Disconnected {
            error: error.as_ref().map(ToString::to_string),
        });
        if error.is_none() || fatal || *stop.borrow() {
            // Stopped, or only a new login can help.
            return;
        }
        if connected {
            backoff = BACKOFF_MIN;
        }
        if token_expired {
            continue;
        }
        tracing::debug!(?error, ?backoff, "sync disconnected; retrying");
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.changed() => return,
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

async fn live_connection(
    store: &Store,
    events: &broadcast::Sender<SyncEvent>,
    local_edits: &Notify,
    stop: &mut watch::Receiver<bool>,
    connected: &mut bool,
) -> Result<(), ClientError> {
    // Reference data first: the server expects `hello` promptly once the socket is open.
    refresh_reference(store).await;
    let mut ws = connect(store).await?;
    let (mut session, hello) = SyncSession::start(store.clone(), events.clone()).await?;
    let mut ping = tokio::time::interval(PING_INTERVAL);
    ping.tick().await;
    let mut nonce = 0u64;
    let result = async {
        send(&mut ws, vec![hello]).await?;
        loop {
            tokio::select! {
                frame = ws.next() => match frame {
                    None => return Err(ClientError::Offline("connection closed".into())),
                    Some(Err(e)) => return Err(ws_error(e)),
                    Some(Ok(Message::Binary(b))) => {
                        let out = session.handle_frame(&b).await?;
                        *connected |= session.connected;
                        send(&mut ws, out).await?;
                    }
                    Some(Ok(Message::Close(_))) => {
                        return Err(ClientError::Offline("server closed the connection".into()));
                    }
                    Some(Ok(Message::Text(_))) => {
                        return Err(ClientError::Protocol("text frame from server".into()));
                    }
                    Some(Ok(_)) => {}
                },
                () = local_edits.notified() => {
                    let out = session.push_pending().await?;
                    send(&mut ws, out).await?;
                }
                _ = ping.tick() => {
                    nonce += 1;
                    send(&mut ws, vec![ClientMessage::Ping { nonce }]).await?;
                    if nonce.is_multiple_of(REFERENCE_EVERY_PINGS) {
                        refresh_reference(store).await;
                    }
                }
                _ = stop.changed() => return Ok(()),
            }
        }
    }
    .await;
    let _ = ws.close(None).await;
    result
}

//! One device's WebSocket session: authenticate on upgrade, `hello`/`welcome`, catch up from the
//! device's cursor, then serve pushes and fetches while streaming live changes, until the socket
//! closes or the access token expires. The message flow is specified in `docs/PROTOCOL.md`.

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::response::{IntoResponse, Response};
use fieldcrm_core::DocId;
use fieldcrm_core::protocol::{
    self, ClientMessage, DocData, ErrorCode, MAX_DOC_BYTES_PER_FRAME, MAX_DOCS_PER_FRAME,
    PROTOCOL_VERSION, ServerMessage,
};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_bytes::ByteBuf;

use super::write::{self, Pusher};
use crate::auth::{self, AuthUser};
use crate::db::documents::{self, ChangedDoc};
use crate::db::territories::{self, ScopeTerritories};
use crate::http::ApiError;
use crate::startup::AppState;

/// How long a device has to send `hello` after the upgrade.
const HELLO_TIMEOUT: Duration = Duration::from_secs(30);

/// Close codes (RFC 6455).
mod close {
    pub const NORMAL: u16 = 1000;
    pub const PROTOCOL: u16 = 1002;
    pub const UNSUPPORTED: u16 = 1003;
    pub const POLICY: u16 = 1008;
    pub const TOO_BIG: u16 = 1009;
    pub const INTERNAL: u16 = 1011;
}

/// `GET /api/v1/sync`: authenticates the `Authorization: Bearer` access token *before* upgrading,
/// so a missing, expired, forged or revoked token gets a plain HTTP 401 with a JSON error.
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let Some(bearer) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return ApiError::Unauthorized("missing bearer token".to_owned()).into_response();
    };
    let user = match auth::authenticate(&state, bearer).await {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    let token = bearer
        .trim()
        .trim_start_matches("Bearer ")
        .trim_start_matches("bearer ")
        .trim();
    let expires_at = state.jwt.verify(token).map(|c| c.exp).unwrap_or_default();
    let limit = state.settings.max_frame_bytes;
    ws.max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| async move {
            let who = user.username.clone();
            if let Err(e) = Session::new(state, user, expires_at, socket).run().await {
                tracing::info!(user = %who, error = %e, "sync session ended with an error");
            }
        })
}

#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error("socket: {0}")]
    Socket(#[from] axum::Error),
    #[error("storage: {0}")]
    Db(#[from] crate::db::DbError),
    #[error("write: {0}")]
    Write(#[from] write::WriteError),
    #[error("encode: {0}")]
    Encode(#[from] protocol::FrameError),
    #[error("closed: {0}")]
    Closed(String),
}

struct Session {
    state: AppState,
    user: AuthUser,
    expires_at_ms: i64,
    sink: SplitSink<WebSocket, Message>,
    stream: SplitStream<WebSocket>,
    cursor: u64,
    /// The scope the device has caught up with (loaded from SQL on the first round).
    scope: Option<ScopeTerritories>,
}

enum Incoming {
    Message(ClientMessage),
    Closed,
}

impl Session {
    fn new(state: AppState, user: AuthUser, expires_at_secs: i64, socket: WebSocket) -> Self {
        let (sink, stream) = socket.split();
        Self {
            state,
            user,
            expires_at_ms: expires_at_secs.saturating_mul(1000),
            sink,
            stream,
            cursor: 0,
            scope: None,
        }
    }

    async fn send(&mut self, msg: &ServerMessage) -> Result<(), SessionError> {
        let bytes = protocol::encode(msg)?;
        self.sink.send(Message::Binary(bytes.into())).await?;
        Ok(())
    }

    /// Sends an error frame and closes the connection.
    async fn fail(
        &mut self,
        code: ErrorCode,
        message: String,
        close_code: u16,
    ) -> Result<(), SessionError> {
        tracing::info!(user = %self.user.username, ?code, %message, "closing sync session");
        let _ = self
            .send(&ServerMessage::Error {
                code,
                message: message.clone(),
            })
            .await;
        let reason: String = message.chars().take(100).collect();
        let _ = self
            .sink
            .send(Message::Close(Some(CloseFrame {
                code: close_code,
                reason: reason.into(),
            })))
            .await;
        let _ = self.sink.close().await;
        Err(SessionError::Closed(message))
    }

    /// Reads the next protocol message, answering transport-level problems with a fatal error.
    async fn next(&mut self) -> Result<Incoming, SessionError> {
        loop {
            let Some(frame) = self.stream.next().await else {
                return Ok(Incoming::Closed);
            };
            let frame = match frame {
                Ok(f) => f,
                Err(e) => {
                    let text = e.to_string();
                    if text.contains("Space limit exceeded")
                        || text.to_lowercase().contains("too long")
                        || text.contains("Capacity")
                    {
                        let limit = self.state.settings.max_frame_bytes;
                        self.fail(
                            ErrorCode::FrameTooLarge,
                            format!("frame exceeds {limit} bytes"),
                            close::TOO_BIG,
                        )
                        .await?;
                    }
                    return Err(SessionError::Socket(e));
                }
            };
            match frame {
                Message::Binary(bytes) => {
                    return match protocol::decode::<ClientMessage>(
                        &bytes,
                        self.state.settings.max_frame_bytes,
                    ) {
                        Ok(m) => Ok(Incoming::Message(m)),
                        Err(protocol::FrameError::TooLarge { size, limit }) => self
                            .fail(
                                ErrorCode::FrameTooLarge,
                                format!("frame of {size} bytes exceeds {limit}"),
                                close::TOO_BIG,
                            )
                            .await
                            .map(|()| Incoming::Closed),
                        Err(e) => self
                            .fail(ErrorCode::BadFrame, e.to_string(), close::PROTOCOL)
                            .await
                            .map(|()| Incoming::Closed),
                    };
                }
                Message::Text(_) => {
                    return self
                        .fail(ErrorCode::BadFrame, "text frames are not part of the protocol; send MessagePack in binary frames".to_owned(), close::UNSUPPORTED)
                        .await
                        .map(|()| Incoming::Closed);
                }
                Message::Close(_) => return Ok(Incoming::Closed),
                Message::Ping(_) | Message::Pong(_) => {}
            }
        }
    }

    async fn run(mut self) -> Result<(), SessionError> {
        let hello = match tokio::time::timeout(HELLO_TIMEOUT, self.next()).await {
            Err(_) => {
                return self
                    .fail(
                        ErrorCode::ProtocolViolation,
                        "no hello within 30 s".to_owned(),
                        close::POLICY,
                    )
                    .await;
            }
            Ok(r) => r?,
        };
        let cursor = match hello {
            Incoming::Closed => return Ok(()),
            Incoming::Message(ClientMessage::Hello {
                version,
                cursor,
                client,
            }) => {
                if version != PROTOCOL_VERSION {
                    let msg = format!(
                        "protocol version {version} is not supported; this server speaks {PROTOCOL_VERSION}"
                    );
                    return self
                        .fail(ErrorCode::UnsupportedVersion, msg, close::PROTOCOL)
                        .await;
                }
                tracing::info!(user = %self.user.username, device = %self.user.device_id, %client, cursor, "device connected");
                cursor
            }
            Incoming::Message(_) => {
                return self
                    .fail(
                        ErrorCode::ProtocolViolation,
                        "the first message must be hello".to_owned(),
                        close::PROTOCOL,
                    )
                    .await;
            }
        };
        let _ = crate::db::devices::touch(&self.state.db, self.user.device_id).await;
        self.send(&ServerMessage::Welcome {
            version: PROTOCOL_VERSION,
            user: self.user.user_id,
            role: self.user.role,
            device: self.user.device_id,
        })
        .await?;
        self.cursor = cursor;
        let mut commits = self.state.hub.subscribe();
        commits.borrow_and_update();
        self.catch_up(true).await?;

        let remaining = self
            .expires_at_ms
            .saturating_sub(crate::db::now_ms())
            .max(0);
        let expiry =
            tokio::time::sleep(Duration::from_millis(u64::try_from(remaining).unwrap_or(0)));
        tokio::pin!(expiry);
        loop {
            tokio::select! {
                incoming = self.next() => match incoming? {
                    Incoming::Closed => return Ok(()),
                    Incoming::Message(m) => self.handle(m).await?,
                },
                changed = commits.changed() => {
                    if changed.is_err() {
                        return self.fail(ErrorCode::Internal, "server shutting down".to_owned(), close::NORMAL).await;
                    }
                    commits.borrow_and_update();
                    self.catch_up(false).await?;
                }
                () = &mut expiry => {
                    return self.fail(ErrorCode::TokenExpired, "access token expired; reconnect with a fresh one".to_owned(), close::POLICY).await;
                }
            }
        }
    }

    async fn handle(&mut self, msg: ClientMessage) -> Result<(), SessionError> {
        match msg {
            ClientMessage::Hello { .. } => {
                self.fail(
                    ErrorCode::ProtocolViolation,
                    "hello sent twice".to_owned(),
                    close::PROTOCOL,
                )
                .await
            }
            ClientMessage::Ping { nonce } => self.send(&ServerMessage::Pong { nonce }).await,
            ClientMessage::Push {
                push_id,
                doc,
                kind,
                changes,
            } => {
                let who = Pusher {
                    user: self.user.user_id,
                    device: self.user.device_id,
                    role: self.user.role,
                };
                let changes: Vec<Vec<u8>> = changes.into_iter().map(ByteBuf::into_vec).collect();
                let outcome =
                    match write::push(&self.state.db, &self.state.hub, who, doc, kind, changes)
                        .await
                    {
                        Ok(o) => o,
                        Err(e) => {
                            tracing::error!(error = %e, %doc, "push failed");
                            return self
                                .fail(
                                    ErrorCode::Internal,
                                    "the server could not store the change; retry later".to_owned(),
                                    close::INTERNAL,
                                )
                                .await;
                        }
                    };
                self.send(&ServerMessage::PushResult {
                    push_id,
                    doc,
                    verdict: outcome.verdict,
                    changes: outcome
                        .server_changes
                        .into_iter()
                        .map(ByteBuf::from)
                        .collect(),
                    heads: protocol::hashes_to_wire(&outcome.heads),
                })
                .await
            }
            ClientMessage::Fetch { docs } => {
                let docs: Vec<DocId> = docs.into_iter().take(MAX_DOCS_PER_FRAME * 16).collect();
                let scope = territories::scope_territories(
                    &self.state.db,
                    self.user.user_id,
                    self.user.role,
                )
                .await?;
                let visible =
                    documents::filter_in_scope(&self.state.db, &scope, self.user.user_id, &docs)
                        .await?;
                let missing: Vec<DocId> = docs
                    .iter()
                    .filter(|d| !visible.iter().any(|v| v.id == **d))
                    .copied()
                    .collect();
                if !missing.is_empty() {
                    self.send(&ServerMessage::Revoke {
                        docs: missing,
                        reason: "not in your scope".to_owned(),
                    })
                    .await?;
                }
                self.send_docs(&visible, 0).await
            }
        }
    }

    /// Streams every in-scope document changed since the cursor, revocations first, then
    /// `caught_up`. On the first round `caught_up` is sent even when nothing changed.
    async fn catch_up(&mut self, first: bool) -> Result<(), SessionError> {
        self.ensure_still_allowed().await?;
        let db = self.state.db.clone();
        let hi = documents::current_seq(&db).await?;
        let mut cursor = self.cursor;
        if cursor > hi {
            // A cursor from another database (restored backup, reset server): start over.
            cursor = 0;
        }
        if cursor == hi && !first {
            return Ok(());
        }
        let scope = territories::scope_territories(&db, self.user.user_id, self.user.role).await?;
        let known = if first {
            documents::device_scope(&db, self.user.device_id).await?
        } else {
            self.scope.clone()
        };
        if let Some(old) = known.filter(|old| *old != scope)
            && cursor > 0
        {
            self.rescope(&old, &scope).await?;
        }
        let revoked = documents::revoked_since(&db, &scope, self.user.user_id, cursor, hi).await?;
        if !revoked.is_empty() {
            self.send(&ServerMessage::Revoke {
                docs: revoked,
                reason: "moved out of your scope".to_owned(),
            })
            .await?;
        }
        let mut after: Option<(u64, DocId)> = None;
        loop {
            let batch = documents::changed_since(
                &db,
                &scope,
                self.user.user_id,
                cursor,
                hi,
                after,
                MAX_DOCS_PER_FRAME,
            )
            .await?;
            let Some(last) = batch.last() else { break };
            after = Some((last.seq, last.id));
            let n = batch.len();
            self.send_docs(&batch, cursor).await?;
            if n < MAX_DOCS_PER_FRAME {
                break;
            }
        }
        self.cursor = hi;
        if self.scope.as_ref() != Some(&scope) {
            documents::set_device_scope(&db, self.user.device_id, &scope).await?;
            self.scope = Some(scope);
        }
        self.send(&ServerMessage::CaughtUp { cursor: hi }).await
    }

    /// Ends the session when the device was revoked or the user disabled while connected.
    async fn ensure_still_allowed(&mut self) -> Result<(), SessionError> {
        let device = crate::db::devices::get(&self.state.db, self.user.device_id).await?;
        if device.is_none_or(|d| d.is_revoked()) {
            return self
                .fail(
                    ErrorCode::DeviceRevoked,
                    "this device was revoked".to_owned(),
                    close::POLICY,
                )
                .await;
        }
        let user = crate::db::users::get(&self.state.db, self.user.user_id).await?;
        if user.is_none_or(|u| u.disabled) {
            return self
                .fail(
                    ErrorCode::DeviceRevoked,
                    "this account was disabled".to_owned(),
                    close::POLICY,
                )
                .await;
        }
        Ok(())
    }

    /// The user's own territories changed since the device last caught up: revoke the documents
    /// only the old scope had, grant (whole) those only the new one has.
    async fn rescope(
        &mut self,
        old: &ScopeTerritories,
        new: &ScopeTerritories,
    ) -> Result<(), SessionError> {
        let db = self.state.db.clone();
        let mut after = None;
        loop {
            let page =
                documents::in_scope_not_in(&db, old, new, Some(self.user.user_id), after, 1000)
                    .await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            let docs = page.iter().map(|d| d.id).collect();
            self.send(&ServerMessage::Revoke {
                docs,
                reason: "your territories changed".to_owned(),
            })
            .await?;
        }
        let mut after = None;
        loop {
            let page =
                documents::in_scope_not_in(&db, new, old, None, after, MAX_DOCS_PER_FRAME).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            self.send_docs(&page, 0).await?;
        }
        Ok(())
    }

    /// Sends documents in `docs` frames of bounded size.
    async fn send_docs(&mut self, docs: &[ChangedDoc], cursor: u64) -> Result<(), SessionError> {
        if docs.is_empty() {
            return Ok(());
        }
        let data = documents::doc_data(&self.state.db, docs, cursor).await?;
        let mut frame: Vec<DocData> = Vec::new();
        let mut bytes = 0usize;
        for (d, data) in docs.iter().zip(data) {
            if !frame.is_empty()
                && (bytes + data.len() > MAX_DOC_BYTES_PER_FRAME
                    || frame.len() >= MAX_DOCS_PER_FRAME)
            {
                let docs = std::mem::take(&mut frame);
                self.send(&ServerMessage::Docs { docs }).await?;
                bytes = 0;
            }
            bytes += data.len();
            frame.push(DocData {
                doc: d.id,
                kind: d.kind,
                seq: d.seq,
                data: ByteBuf::from(data),
                heads: d
                    .heads
                    .chunks(32)
                    .map(|h| ByteBuf::from(h.to_vec()))
                    .collect(),
            });
        }
        if !frame.is_empty() {
            self.send(&ServerMessage::Docs { docs: frame }).await?;
        }
        Ok(())
    }
}

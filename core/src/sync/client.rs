//! The device side of the protocol, without I/O: a state machine over messages, plus the document
//! bookkeeping (which local changes the server has not acknowledged yet).
//!
//! A device tracks, per document, the *synced heads*: change hashes the server is known to have.
//! Everything not reachable from them is pending and is pushed on the next connection.

use std::collections::HashMap;

use automerge::{Automerge, ChangeHash, ReadDoc};

use crate::document::{DocError, Kind};
use crate::ids::{DeviceId, DocId, UserId};
use crate::protocol::{
    self, ClientMessage, DocData, ErrorCode, PROTOCOL_VERSION, ServerMessage, Verdict,
};
use crate::role::Role;

/// What the driver must do after a server message.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    /// The server accepted the connection; push pending work now.
    Welcome {
        /// Signed-in user.
        user: UserId,
        /// Their role.
        role: Role,
        /// This device.
        device: DeviceId,
    },
    /// Merge these documents into the store.
    Docs(Vec<DocData>),
    /// Purge these documents.
    Revoke {
        /// Documents.
        docs: Vec<DocId>,
        /// Why.
        reason: String,
    },
    /// Persist the cursor: everything up to it has been received.
    CaughtUp {
        /// New cursor.
        cursor: u64,
    },
    /// The outcome of one of our pushes.
    PushOutcome {
        /// Document.
        doc: DocId,
        /// Heads the device had pushed.
        pushed_heads: Vec<ChangeHash>,
        /// The verdict.
        verdict: Verdict,
        /// Server changes to merge.
        server_changes: Vec<Vec<u8>>,
        /// The server's heads after the push.
        server_heads: Vec<ChangeHash>,
    },
    /// Answer to a ping.
    Pong,
    /// The server reported an error; fatal ones close the connection.
    ServerError {
        /// Code.
        code: ErrorCode,
        /// Message.
        message: String,
    },
}

/// Protocol misbehaviour by the server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientProtocolError {
    /// A message arrived in a state where it makes no sense.
    #[error("unexpected {0} from server")]
    Unexpected(&'static str),
    /// Version mismatch.
    #[error("server speaks protocol {0}, this client {PROTOCOL_VERSION}")]
    Version(u32),
    /// A hash was not 32 bytes.
    #[error("malformed change hash from server")]
    BadHash,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    AwaitWelcome,
    Connected,
}

/// The device's protocol state for one connection.
#[derive(Debug)]
pub struct ClientSync {
    state: State,
    next_push_id: u64,
    in_flight: HashMap<u64, (DocId, Vec<ChangeHash>)>,
    caught_up: bool,
}

impl ClientSync {
    /// Starts a connection; returns the state and the `hello` to send.
    pub fn start(cursor: u64, client: &str) -> (Self, ClientMessage) {
        let hello = ClientMessage::Hello {
            version: PROTOCOL_VERSION,
            cursor,
            client: client.to_owned(),
        };
        (
            Self {
                state: State::AwaitWelcome,
                next_push_id: 1,
                in_flight: HashMap::new(),
                caught_up: false,
            },
            hello,
        )
    }

    /// A push of one document's pending changes; remembers it until its result arrives.
    pub fn push(
        &mut self,
        doc: DocId,
        kind: Kind,
        changes: Vec<Vec<u8>>,
        heads: Vec<ChangeHash>,
    ) -> ClientMessage {
        let push_id = self.next_push_id;
        self.next_push_id += 1;
        self.in_flight.insert(push_id, (doc, heads));
        ClientMessage::Push {
            push_id,
            doc,
            kind,
            changes: changes
                .into_iter()
                .map(serde_bytes::ByteBuf::from)
                .collect(),
        }
    }

    /// Pushes still waiting for a result.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// True once a `caught_up` arrived on this connection.
    pub fn caught_up(&self) -> bool {
        self.caught_up
    }

    /// Handles one server message.
    pub fn handle(&mut self, msg: ServerMessage) -> Result<ClientEvent, ClientProtocolError> {
        match (self.state, msg) {
            (_, ServerMessage::Error { code, message }) => {
                Ok(ClientEvent::ServerError { code, message })
            }
            (
                State::AwaitWelcome,
                ServerMessage::Welcome {
                    version,
                    user,
                    role,
                    device,
                },
            ) => {
                if version != PROTOCOL_VERSION {
                    return Err(ClientProtocolError::Version(version));
                }
                self.state = State::Connected;
                Ok(ClientEvent::Welcome { user, role, device })
            }
            (State::AwaitWelcome, _) => {
                Err(ClientProtocolError::Unexpected("message before welcome"))
            }
            (State::Connected, ServerMessage::Welcome { .. }) => {
                Err(ClientProtocolError::Unexpected("second welcome"))
            }
            (State::Connected, ServerMessage::Docs { docs }) => Ok(ClientEvent::Docs(docs)),
            (State::Connected, ServerMessage::Revoke { docs, reason }) => {
                Ok(ClientEvent::Revoke { docs, reason })
            }
            (State::Connected, ServerMessage::CaughtUp { cursor }) => {
                self.caught_up = true;
                Ok(ClientEvent::CaughtUp { cursor })
            }
            (State::Connected, ServerMessage::Pong { .. }) => Ok(ClientEvent::Pong),
            (
                State::Connected,
                ServerMessage::PushResult {
                    push_id,
                    doc,
                    verdict,
                    changes,
                    heads,
                },
            ) => {
                let (pushed_doc, pushed_heads) = self
                    .in_flight
                    .remove(&push_id)
                    .ok_or(ClientProtocolError::Unexpected("result of an unknown push"))?;
                if pushed_doc != doc {
                    return Err(ClientProtocolError::Unexpected(
                        "push result for another document",
                    ));
                }
                let server_heads =
                    protocol::hashes_from_wire(&heads).ok_or(ClientProtocolError::BadHash)?;
                Ok(ClientEvent::PushOutcome {
                    doc,
                    pushed_heads,
                    verdict,
                    server_changes: changes
                        .into_iter()
                        .map(serde_bytes::ByteBuf::into_vec)
                        .collect(),
                    server_heads,
                })
            }
        }
    }
}

/// The local changes of `doc` the server does not have yet (raw bytes, causal order).
pub fn pending_changes(doc: &Automerge, synced: &[ChangeHash]) -> Vec<Vec<u8>> {
    doc.get_changes(synced)
        .into_iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect()
}

/// Merges server data (a saved document or concatenated changes) into a local document.
pub fn apply_server_data(doc: &mut Automerge, data: &[u8]) -> Result<(), DocError> {
    doc.load_incremental(data)
        .map(|_| ())
        .map_err(|e| DocError::Malformed(e.to_string()))
}

/// Merges raw server changes into a local document.
pub fn apply_server_changes(doc: &mut Automerge, changes: &[Vec<u8>]) -> Result<(), DocError> {
    for c in changes {
        apply_server_data(doc, c)?;
    }
    Ok(())
}

/// The new synced heads after the server confirmed `known` hashes: the union, collapsed to the
/// document's heads when nothing is pending any more.
pub fn merge_synced(
    doc: &Automerge,
    synced: &[ChangeHash],
    known: &[ChangeHash],
) -> Vec<ChangeHash> {
    let mut all: Vec<ChangeHash> = synced.iter().chain(known).copied().collect();
    all.sort_unstable();
    all.dedup();
    all.retain(|h| doc.get_change_by_hash(h).is_some());
    if doc.get_changes(&all).is_empty() {
        let mut heads = doc.get_heads();
        heads.sort_unstable();
        return heads;
    }
    all
}

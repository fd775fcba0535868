//! The wire protocol of `/api/v1/sync` (specified for other implementers in `docs/PROTOCOL.md`).
//!
//! One WebSocket per device. Every binary frame is one MessagePack message: a map whose key `t`
//! names the message type (`hello`, `docs`, …) and whose other keys are that message's fields.
//! Byte strings are MessagePack `bin`. Text frames are a protocol error.

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use crate::document::Kind;
use crate::ids::{DeviceId, DocId, UserId};
use crate::role::Role;

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;
/// Default upper bound of one frame, both directions.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 8 * 1024 * 1024;
/// The server sends at most this many documents per `docs` frame…
pub const MAX_DOCS_PER_FRAME: usize = 256;
/// …and at most about this many bytes of document data per frame.
pub const MAX_DOC_BYTES_PER_FRAME: usize = 1024 * 1024;
/// Upper bound of the changes of one `push`.
pub const MAX_CHANGES_PER_PUSH: usize = 10_000;

/// A change hash (32 bytes, SHA-256 of the change).
pub type Hash = ByteBuf;

/// Messages a device sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum ClientMessage {
    /// First message of every connection.
    Hello {
        /// Must be [`PROTOCOL_VERSION`].
        version: u32,
        /// The cursor the device holds (0 on a fresh install).
        cursor: u64,
        /// Free-form client name and version, for logs.
        client: String,
    },
    /// Local changes of one document (new or existing).
    Push {
        /// Chosen by the device; echoed in the `push_result`.
        push_id: u64,
        /// The document.
        doc: DocId,
        /// Its kind (must match what the server has).
        kind: Kind,
        /// Automerge changes, each encoded as by `Change::raw_bytes`.
        changes: Vec<ByteBuf>,
    },
    /// Ask for the whole of some documents (repair, or after `missing_deps`).
    Fetch {
        /// Documents wanted; those out of scope are answered with `revoke`.
        docs: Vec<DocId>,
    },
    /// Keep-alive; answered with `pong`.
    Ping {
        /// Echoed.
        nonce: u64,
    },
}

/// One document's data in a `docs` frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocData {
    /// The document.
    pub doc: DocId,
    /// Its kind.
    pub kind: Kind,
    /// The server sequence number of its latest change.
    pub seq: u64,
    /// A saved document or concatenated changes; either loads with `load_incremental`.
    pub data: ByteBuf,
    /// The server's heads of the document after `data`.
    pub heads: Vec<Hash>,
}

/// The outcome of a push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Stored as sent.
    Accepted,
    /// Stored, plus a server change restoring fields the device may not write or values that break
    /// an invariant. The server change is in the `push_result`.
    Compensated {
        /// Field paths restored.
        paths: Vec<String>,
        /// Why, one line each.
        reasons: Vec<String>,
    },
    /// Not stored, not forwarded. The device quarantines its changes.
    Rejected {
        /// Machine-readable reason.
        code: RejectCode,
        /// Human-readable reason.
        reason: String,
    },
}

/// Why a push was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    /// The document is not (or would not be) in the user's write scope.
    OutOfScope,
    /// A change's author is not the authenticated user.
    ForgedAuthor,
    /// A change could not be decoded.
    Malformed,
    /// The changes depend on changes the server does not have; push the whole history.
    MissingDeps,
    /// A new document breaks the rules of its kind and has no previous state to restore.
    Invalid,
    /// The kind does not match the stored document.
    KindMismatch,
    /// Too many changes in one push.
    TooLarge,
}

/// Fatal or non-fatal protocol errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is not a valid message (fatal).
    BadFrame,
    /// `hello.version` is not supported (fatal).
    UnsupportedVersion,
    /// The frame exceeds the size limit (fatal).
    FrameTooLarge,
    /// A message arrived out of order, e.g. before `hello` (fatal).
    ProtocolViolation,
    /// The access token expired while connected; reconnect with a fresh one (fatal).
    TokenExpired,
    /// The device was revoked (fatal).
    DeviceRevoked,
    /// The server failed; retry later (fatal).
    Internal,
}

/// Messages the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Answer to `hello`.
    Welcome {
        /// [`PROTOCOL_VERSION`].
        version: u32,
        /// The authenticated user.
        user: UserId,
        /// Their role.
        role: Role,
        /// The authenticated device.
        device: DeviceId,
    },
    /// Documents new to the device or changed since its cursor.
    Docs {
        /// The documents.
        docs: Vec<DocData>,
    },
    /// Documents that left the device's scope: purge them.
    Revoke {
        /// The documents.
        docs: Vec<DocId>,
        /// Why, for the notice.
        reason: String,
    },
    /// Everything up to `cursor` has been sent; store it as the new cursor.
    CaughtUp {
        /// The new cursor.
        cursor: u64,
    },
    /// The outcome of a `push`.
    PushResult {
        /// From the push.
        push_id: u64,
        /// The document.
        doc: DocId,
        /// The outcome.
        #[serde(flatten)]
        verdict: Verdict,
        /// Server changes to apply (compensation, server fills), raw change bytes.
        changes: Vec<ByteBuf>,
        /// The server's heads of the document after the push (empty when rejected).
        heads: Vec<Hash>,
    },
    /// Answer to `ping`.
    Pong {
        /// From the ping.
        nonce: u64,
    },
    /// A protocol error. Fatal errors are followed by a close frame.
    Error {
        /// Machine-readable.
        code: ErrorCode,
        /// Human-readable.
        message: String,
    },
}

/// Encoding and decoding failures.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// Larger than allowed.
    #[error("frame of {size} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// Size seen.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// Not a valid message.
    #[error("malformed frame: {0}")]
    Malformed(String),
    /// Could not encode (should not happen).
    #[error("encode: {0}")]
    Encode(String),
}

/// Encodes a message as a MessagePack map (field names included).
pub fn encode<T: Serialize>(msg: &T) -> Result<Vec<u8>, FrameError> {
    rmp_serde::to_vec_named(msg).map_err(|e| FrameError::Encode(e.to_string()))
}

/// Decodes a message, refusing frames larger than `limit`.
pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8], limit: usize) -> Result<T, FrameError> {
    if bytes.len() > limit {
        return Err(FrameError::TooLarge {
            size: bytes.len(),
            limit,
        });
    }
    rmp_serde::from_slice(bytes).map_err(|e| FrameError::Malformed(e.to_string()))
}

/// Change hashes as wire bytes.
pub fn hashes_to_wire(heads: &[automerge::ChangeHash]) -> Vec<Hash> {
    heads.iter().map(|h| ByteBuf::from(h.0.to_vec())).collect()
}

/// Wire bytes as change hashes; `None` if any is not 32 bytes.
pub fn hashes_from_wire(heads: &[Hash]) -> Option<Vec<automerge::ChangeHash>> {
    heads
        .iter()
        .map(|h| {
            <[u8; 32]>::try_from(h.as_slice())
                .ok()
                .map(automerge::ChangeHash)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_shape() {
        let msgs = vec![
            ClientMessage::Hello {
                version: 1,
                cursor: 7,
                client: "cli/0.1".into(),
            },
            ClientMessage::Push {
                push_id: 3,
                doc: DocId::new(),
                kind: Kind::Visit,
                changes: vec![ByteBuf::from(vec![1, 2, 3])],
            },
            ClientMessage::Fetch {
                docs: vec![DocId::new()],
            },
            ClientMessage::Ping { nonce: 9 },
        ];
        for m in msgs {
            let bytes = encode(&m).unwrap();
            assert_eq!(decode::<ClientMessage>(&bytes, 1 << 20).unwrap(), m);
        }
        let r = ServerMessage::PushResult {
            push_id: 1,
            doc: DocId::new(),
            verdict: Verdict::Rejected {
                code: RejectCode::OutOfScope,
                reason: "no".into(),
            },
            changes: vec![],
            heads: vec![],
        };
        let bytes = encode(&r).unwrap();
        assert_eq!(decode::<ServerMessage>(&bytes, 1 << 20).unwrap(), r);
    }

    #[test]
    fn garbage_and_oversize_are_errors() {
        assert!(matches!(
            decode::<ClientMessage>(&[0xc1, 0x00], 100),
            Err(FrameError::Malformed(_))
        ));
        assert!(matches!(
            decode::<ClientMessage>(&[0u8; 101], 100),
            Err(FrameError::TooLarge { .. })
        ));
        // A valid map with an unknown type tag.
        let bytes = rmp_serde::to_vec_named(&serde_json::json!({"t": "explode"})).unwrap();
        assert!(decode::<ClientMessage>(&bytes, 100).is_err());
    }
}

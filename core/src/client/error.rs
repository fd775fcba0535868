//! [`ClientError`]: the one error type of the device client. Its variants are what an app acts
//! on (go offline, log in again, show a message); details travel in the strings.

use crate::document::DocError;

/// An error of the device client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The server cannot be reached (no network, refused, timed out). Local work is kept.
    #[error("offline: {0}")]
    Offline(String),
    /// Not logged in, wrong password, or the session (refresh token) is no longer valid.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The user may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The record does not exist on this device.
    #[error("not found: {0}")]
    NotFound(String),
    /// Bad input from the caller (a field value, an id, a URL).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The server misbehaved or reported a protocol error.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The server failed (5xx); retry later.
    #[error("server error: {0}")]
    Server(String),
    /// The local store failed.
    #[error("storage error: {0}")]
    Storage(String),
    /// A stored document is damaged or does not have the shape of its kind.
    #[error("document error: {0}")]
    Document(String),
}

impl From<sqlx::Error> for ClientError {
    fn from(e: sqlx::Error) -> Self {
        ClientError::Storage(e.to_string())
    }
}

impl From<DocError> for ClientError {
    fn from(e: DocError) -> Self {
        ClientError::Document(e.to_string())
    }
}

impl From<automerge::AutomergeError> for ClientError {
    fn from(e: automerge::AutomergeError) -> Self {
        ClientError::Document(e.to_string())
    }
}

impl From<crate::ids::InvalidId> for ClientError {
    fn from(e: crate::ids::InvalidId) -> Self {
        ClientError::InvalidInput(e.to_string())
    }
}

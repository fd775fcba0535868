//! [`FieldError`]: the one error of the bindings, with only the variants an app acts on.

use fieldcrm_core::client::ClientError;

/// An error of the phone API. Kotlin sees it as `FieldException`, Swift as `FieldError`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum FieldError {
    /// The server cannot be reached; local work is kept. Retry later.
    #[error("offline: {reason}")]
    Offline {
        /// Details, for logs.
        reason: String,
    },
    /// Not logged in, wrong password, or the session ended: show the login screen.
    #[error("unauthorized: {reason}")]
    Unauthorized {
        /// Details, for logs.
        reason: String,
    },
    /// The user may not do this.
    #[error("forbidden: {reason}")]
    Forbidden {
        /// Details, for logs.
        reason: String,
    },
    /// The record does not exist on this device.
    #[error("not found: {reason}")]
    NotFound {
        /// Details, for logs.
        reason: String,
    },
    /// Bad input from the caller (a field value, an id, a URL): show `reason` next to the form.
    #[error("invalid input: {reason}")]
    InvalidInput {
        /// What is wrong.
        reason: String,
    },
    /// Anything else (server misbehaved or failed, local store or document damaged).
    #[error("internal error: {reason}")]
    Internal {
        /// Details, for logs and bug reports.
        reason: String,
    },
}

impl FieldError {
    pub(crate) fn invalid(reason: impl std::fmt::Display) -> Self {
        FieldError::InvalidInput {
            reason: reason.to_string(),
        }
    }
}

impl From<ClientError> for FieldError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Offline(reason) => FieldError::Offline { reason },
            ClientError::Unauthorized(reason) => FieldError::Unauthorized { reason },
            ClientError::Forbidden(reason) => FieldError::Forbidden { reason },
            ClientError::NotFound(reason) => FieldError::NotFound { reason },
            ClientError::InvalidInput(reason) => FieldError::InvalidInput { reason },
            other @ (ClientError::Protocol(_)
            | ClientError::Server(_)
            | ClientError::Storage(_)
            | ClientError::Document(_)) => FieldError::Internal {
                reason: other.to_string(),
            },
        }
    }
}

impl From<fieldcrm_core::ids::InvalidId> for FieldError {
    fn from(e: fieldcrm_core::ids::InvalidId) -> Self {
        FieldError::invalid(e)
    }
}

//! [`ApiError`]: the one error type of HTTP handlers. It logs the details and answers with a
//! safe JSON body `{"error":{"code":"…","message":"…"}}` and the matching status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::auth::{AuthError, RevokeError};
use crate::db::DbError;

/// An error answered to an HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `invalid_input`.
    #[error("{0}")]
    InvalidInput(String),
    /// 401 `unauthorized`.
    #[error("{0}")]
    Unauthorized(String),
    /// 401 `token_expired`: the client should refresh its access token.
    #[error("access token expired")]
    TokenExpired,
    /// 403 `forbidden`.
    #[error("{0}")]
    Forbidden(String),
    /// 404 `not_found`.
    #[error("{0}")]
    NotFound(String),
    /// 409 `conflict`.
    #[error("{0}")]
    Conflict(String),
    /// 413 `payload_too_large`.
    #[error("request body too large")]
    PayloadTooLarge,
    /// 415 `unsupported_media_type`: a content type not accepted, or bytes that are not what
    /// their content type says.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422 `unprocessable`: well-formed but wrong (a digest that does not match the bytes).
    #[error("{0}")]
    Unprocessable(String),
    /// 429 `too_many_requests`.
    #[error("too many requests; try again later")]
    TooManyRequests,
    /// 500 `internal`: the details are logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidInput(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) | ApiError::TokenExpired => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidInput(_) => "invalid_input",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::TokenExpired => "token_expired",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Unprocessable(_) => "unprocessable",
            ApiError::TooManyRequests => "too_many_requests",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The message sent to the client (generic for internal errors).
    pub fn public_message(&self) -> String {
        match self {
            ApiError::Internal(_) => "internal server error".to_owned(),
            other => other.to_string(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::debug!(error = %self, code = self.code(), "request refused");
        }
        let body = serde_json::json!({
            "error": { "code": self.code(), "message": self.public_message() }
        });
        (status, Json(body)).into_response()
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Duplicate(what) => ApiError::Conflict(format!("{what} already exists")),
            DbError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::TokenExpired => ApiError::TokenExpired,
            AuthError::Throttled => ApiError::TooManyRequests,
            e @ (AuthError::InvalidCredentials
            | AuthError::Disabled
            | AuthError::InvalidToken
            | AuthError::RefreshReplay
            | AuthError::DeviceRevoked) => ApiError::Unauthorized(e.to_string()),
            AuthError::Db(e) => e.into(),
            e @ (AuthError::Password(_) | AuthError::Jwt(_)) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<RevokeError> for ApiError {
    fn from(e: RevokeError) -> Self {
        match e {
            RevokeError::NotFound => ApiError::NotFound("device not found".into()),
            RevokeError::Forbidden => ApiError::Forbidden("not your device".into()),
            RevokeError::Db(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_codes_and_safe_messages() {
        let e = ApiError::Internal("password for db is hunter2".into());
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.public_message(), "internal server error");
        assert_eq!(ApiError::TokenExpired.code(), "token_expired");
        assert_eq!(
            ApiError::from(AuthError::InvalidCredentials).status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            ApiError::from(DbError::Duplicate("user".into())).status(),
            StatusCode::CONFLICT
        );
        assert_eq!(ApiError::PayloadTooLarge.status().as_u16(), 413);
    }
}

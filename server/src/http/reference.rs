//! `GET /api/v1/reference` (device bearer auth): the data dictionary and the custom field
//! definitions ([`fieldcrm_core::schema::Reference`]) with its content version as a strong
//! `ETag`; `If-None-Match` with the current version answers `304 Not Modified` without a body.

use axum::Json;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::ApiError;
use crate::auth::AuthUser;
use crate::db::schema;
use crate::startup::AppState;

/// Whether an `If-None-Match` header value names `etag` (a list, or `*`; weak tags compare
/// weakly).
pub(crate) fn matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// Answers the reference data, or `304` when the device holds the current version.
pub async fn get(
    State(state): State<AppState>,
    _caller: AuthUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let reference = schema::reference(&state.db).await?;
    let version = reference.version.clone();
    conditional_json(&headers, &version, move || reference)
}

/// A versioned JSON answer: `version` as the strong `ETag`; `304 Not Modified` without a body
/// when `If-None-Match` names it, else `200` with `body()`. Private, revalidated caching. Shared
/// by the reference data and the catalog.
pub(crate) fn conditional_json<T: serde::Serialize>(
    headers: &HeaderMap,
    version: &str,
    body: impl FnOnce() -> T,
) -> Result<Response, ApiError> {
    let etag = format!("\"{version}\"");
    let etag_value = HeaderValue::from_str(&etag).map_err(|e| ApiError::Internal(e.to_string()))?;
    let cache = HeaderValue::from_static("private, no-cache");
    if headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| matches(v, &etag))
    {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(ETAG, etag_value), (CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    Ok(([(ETAG, etag_value), (CACHE_CONTROL, cache)], Json(body())).into_response())
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn if_none_match_lists_and_weak_tags() {
        assert!(matches("\"abc\"", "\"abc\""));
        assert!(matches("\"x\", W/\"abc\"", "\"abc\""));
        assert!(matches("*", "\"abc\""));
        assert!(!matches("\"abd\"", "\"abc\""));
        assert!(!matches("abc", "\"abc\""));
    }
}

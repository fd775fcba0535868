//! `GET /api/v1/catalog` (device bearer auth): the active products and price lists
//! ([`fieldcrm_core::catalog::Catalog`]) under the catalog version as a strong `ETag`;
//! `If-None-Match` with the current version answers `304 Not Modified` without a body. Every
//! role that works with customers or service gets it; partner agents do not (403).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use fieldcrm_core::Role;

use super::ApiError;
use super::reference::conditional_json;
use crate::auth::AuthUser;
use crate::db::catalog;
use crate::startup::AppState;

/// Answers the catalog, or `304` when the device holds the current version.
pub async fn get(
    State(state): State<AppState>,
    caller: AuthUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if caller.role == Role::Partner {
        return Err(ApiError::Forbidden(
            "the catalog is not available to partners".into(),
        ));
    }
    // The version alone answers a 304 without reading the catalog.
    let version = catalog::version(&state.db).await?.to_string();
    if let Some(held) = headers
        .get(axum::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        && super::reference::matches(held, &format!("\"{version}\""))
    {
        return conditional_json(&headers, &version, || ());
    }
    let body = catalog::device_catalog(&state.db).await?;
    let version = body.version.clone();
    conditional_json(&headers, &version, move || body)
}

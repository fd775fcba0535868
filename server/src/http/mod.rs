//! The REST API (`/api/v1/…`) and `/healthz`: handlers that parse input, call the auth and
//! storage layers, and answer JSON (attachments answer their bytes). No SQL here.

pub mod attachments;
mod auth;
mod catalog;
mod devices;
pub mod error;
mod extract;
mod reference;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::{Json, Router, extract::State};
use tower_http::limit::RequestBodyLimitLayer;

use crate::startup::AppState;

pub use error::ApiError;
pub use extract::ApiJson;

/// The routes of this module (health, auth, devices, reference data, catalog).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/refresh", post(auth::refresh))
        .route("/api/v1/devices", get(devices::list))
        .route("/api/v1/devices/{id}/revoke", post(devices::revoke))
        .route("/api/v1/reference", get(reference::get))
        .route("/api/v1/catalog", get(catalog::get))
}

/// The attachment routes, with their own body limit (`max_attachment_bytes`, larger than the
/// other routes'): merged outside the general body limit.
pub fn attachments_router(max_attachment_bytes: usize) -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/attachments/{sha256}",
            put(attachments::put)
                .get(attachments::get)
                .head(attachments::head),
        )
        .layer(DefaultBodyLimit::max(max_attachment_bytes))
        .layer(RequestBodyLimitLayer::new(max_attachment_bytes))
}

/// `GET /healthz`: `{"status":"ok"}` when the database answers.
async fn healthz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    state.db.ping().await?;
    Ok(Json(serde_json::json!({ "status": "ok" })))
}

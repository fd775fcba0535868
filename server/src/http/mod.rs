//! The REST API (`/api/v1/…`) and `/healthz`: handlers that parse input, call the auth and
//! storage layers, and answer JSON. No SQL here.

mod auth;
mod devices;
pub mod error;
mod extract;
mod reference;

use axum::routing::{get, post};
use axum::{Json, Router, extract::State};

use crate::startup::AppState;

pub use error::ApiError;
pub use extract::ApiJson;

/// The routes of this module (health, auth, devices, reference data).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/refresh", post(auth::refresh))
        .route("/api/v1/devices", get(devices::list))
        .route("/api/v1/devices/{id}/revoke", post(devices::revoke))
        .route("/api/v1/reference", get(reference::get))
}

/// `GET /healthz`: `{"status":"ok"}` when the database answers.
async fn healthz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    state.db.ping().await?;
    Ok(Json(serde_json::json!({ "status": "ok" })))
}

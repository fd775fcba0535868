//! `GET /api/v1/devices` (own devices; an admin may pass `?user=ID`) and
//! `POST /api/v1/devices/{id}/revoke` (own device, or any as admin).

use axum::Json;
use axum::extract::{Path, Query, State};
use fieldcrm_core::{DeviceId, Role, UserId};
use serde::{Deserialize, Serialize};

use super::ApiError;
use crate::auth::{self, AuthUser};
use crate::db::devices::{self, Device};
use crate::startup::AppState;

/// Query of `GET /api/v1/devices`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    user: Option<String>,
}

/// A device as answered by the API.
#[derive(Debug, Serialize)]
pub struct DeviceBody {
    id: DeviceId,
    user_id: UserId,
    name: String,
    created_at: i64,
    last_seen_at: Option<i64>,
    revoked_at: Option<i64>,
    /// Whether this is the device making the request.
    current: bool,
}

fn body(device: Device, caller: &AuthUser) -> DeviceBody {
    DeviceBody {
        current: device.id == caller.device_id,
        id: device.id,
        user_id: device.user_id,
        name: device.name,
        created_at: device.created_at,
        last_seen_at: device.last_seen_at,
        revoked_at: device.revoked_at,
    }
}

/// Lists the caller's devices, or (admin only) another user's.
pub async fn list(
    State(state): State<AppState>,
    caller: AuthUser,
    Query(query): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = match query.user.as_deref() {
        None => caller.user_id,
        Some(raw) => {
            let id = UserId::parse(raw).map_err(|e| ApiError::InvalidInput(e.to_string()))?;
            if id != caller.user_id && caller.role != Role::Admin {
                return Err(ApiError::Forbidden(
                    "only an admin may list another user's devices".into(),
                ));
            }
            id
        }
    };
    let list: Vec<DeviceBody> = devices::list_for_user(&state.db, user)
        .await?
        .into_iter()
        .map(|d| body(d, &caller))
        .collect();
    Ok(Json(serde_json::json!({ "devices": list })))
}

/// Revokes a device: its refresh tokens die and its access tokens are refused from now on.
pub async fn revoke(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = DeviceId::parse(&id).map_err(|e| ApiError::InvalidInput(e.to_string()))?;
    let device = auth::revoke_device(&state.db, &caller, id).await?;
    Ok(Json(serde_json::json!({ "device": body(device, &caller) })))
}

//! `POST /api/v1/auth/login` and `POST /api/v1/auth/refresh`.

use axum::Json;
use axum::extract::State;
use fieldcrm_core::{DeviceId, Role, UserId};
use serde::{Deserialize, Serialize};

use super::{ApiError, ApiJson};
use crate::auth::{self, IssuedTokens};
use crate::startup::AppState;

/// Longest accepted username, password or device name, in bytes.
const MAX_FIELD: usize = 256;

/// Body of `POST /api/v1/auth/login`.
#[derive(Debug, Deserialize)]
pub struct LoginRequest {
    username: String,
    password: String,
    device_name: String,
}

/// Body of `POST /api/v1/auth/refresh`.
#[derive(Debug, Deserialize)]
pub struct RefreshRequest {
    refresh_token: String,
}

/// The user part of a login response.
#[derive(Debug, Serialize)]
pub struct UserBody {
    id: UserId,
    username: String,
    display_name: String,
    role: Role,
}

/// Tokens, as answered by login and refresh.
#[derive(Debug, Serialize)]
pub struct TokensBody {
    access_token: String,
    refresh_token: String,
    token_type: &'static str,
    expires_in: u64,
    device_id: DeviceId,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<UserBody>,
}

impl TokensBody {
    fn new(tokens: IssuedTokens, user: Option<UserBody>) -> Self {
        TokensBody {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            token_type: "Bearer",
            expires_in: tokens.expires_in,
            device_id: tokens.device_id,
            user,
        }
    }
}

fn check_field(name: &str, value: &str) -> Result<(), ApiError> {
    if value.trim().is_empty() {
        return Err(ApiError::InvalidInput(format!("{name} must not be empty")));
    }
    if value.len() > MAX_FIELD {
        return Err(ApiError::InvalidInput(format!("{name} is too long")));
    }
    Ok(())
}

/// Logs in with a password, registering a new device.
pub async fn login(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<TokensBody>, ApiError> {
    check_field("username", &req.username)?;
    check_field("password", &req.password)?;
    check_field("device_name", &req.device_name)?;
    let outcome = auth::login(
        &state,
        req.username.trim(),
        &req.password,
        req.device_name.trim(),
    )
    .await?;
    let user = UserBody {
        id: outcome.user.id,
        username: outcome.user.username,
        display_name: outcome.user.display_name,
        role: outcome.user.role,
    };
    Ok(Json(TokensBody::new(outcome.tokens, Some(user))))
}

/// Exchanges a refresh token for a new token pair.
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> Result<Json<TokensBody>, ApiError> {
    check_field("refresh_token", &req.refresh_token)?;
    let tokens = auth::refresh(&state, req.refresh_token.trim()).await?;
    Ok(Json(TokensBody::new(tokens, None)))
}

//! Authentication: password login that registers a device, short-lived JWT access tokens,
//! rotating refresh tokens stored hashed (replay revokes the family), device revocation, and
//! [`authenticate`], which every authenticated endpoint (REST and sync) goes through.

pub mod jwt;
pub mod password;
pub mod permissions;
pub mod throttle;

use fieldcrm_core::{DeviceId, Role, UserId};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::audit::{self, AuditEntry};
use crate::db::tokens::{self, Consumed, RefreshToken};
use crate::db::users::User;
use crate::db::{self, Db, DbError, devices, users};
use crate::http::ApiError;
use crate::startup::AppState;

pub use jwt::{AccessClaims, JwtError, JwtKeys};
pub use password::PasswordError;
pub use throttle::LoginThrottle;

/// Errors of authentication.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Too many failed logins for this username recently.
    #[error("too many failed logins; try again later")]
    Throttled,
    /// Unknown user or wrong password (deliberately indistinguishable).
    #[error("invalid username or password")]
    InvalidCredentials,
    /// The user is disabled.
    #[error("account disabled")]
    Disabled,
    /// The access token has expired.
    #[error("access token expired")]
    TokenExpired,
    /// The access or refresh token is invalid, unknown, expired or revoked.
    #[error("invalid token")]
    InvalidToken,
    /// A used refresh token was presented again; its family has been revoked.
    #[error("refresh token reused; all sessions of this login were revoked")]
    RefreshReplay,
    /// The device has been revoked.
    #[error("device revoked")]
    DeviceRevoked,
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Password hashing failed.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// Signing a token failed.
    #[error(transparent)]
    Jwt(JwtError),
}

impl From<JwtError> for AuthError {
    fn from(e: JwtError) -> Self {
        match e {
            JwtError::Expired => AuthError::TokenExpired,
            JwtError::Invalid(_) => AuthError::InvalidToken,
            e @ JwtError::Sign(_) => AuthError::Jwt(e),
        }
    }
}

/// The authenticated caller of a request or sync connection. Role and username are read from
/// the database on every authentication, not trusted from the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthUser {
    /// The user.
    pub user_id: UserId,
    /// The device the access token was issued to.
    pub device_id: DeviceId,
    /// The user's current role.
    pub role: Role,
    /// The user's login name.
    pub username: String,
}

/// A freshly issued access + refresh token pair.
#[derive(Clone, Debug)]
pub struct IssuedTokens {
    /// The JWT access token.
    pub access_token: String,
    /// The opaque refresh token (only its hash is stored).
    pub refresh_token: String,
    /// Access token lifetime, seconds.
    pub expires_in: u64,
    /// The device the tokens belong to.
    pub device_id: DeviceId,
}

/// A successful login: the tokens and the user.
#[derive(Clone, Debug)]
pub struct LoginOutcome {
    /// The tokens, for a newly registered device.
    pub tokens: IssuedTokens,
    /// The user who logged in.
    pub user: User,
}

/// sha256 of a refresh token, lowercase hex: what is stored.
pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    hex::encode(bytes)
}

async fn issue(
    db: &Db,
    keys: &JwtKeys,
    refresh_ttl_secs: u64,
    user: &User,
    device: DeviceId,
    family: Uuid,
) -> Result<IssuedTokens, AuthError> {
    let access_token = keys.issue(user.id, device, user.role)?;
    let refresh_token = new_refresh_token();
    let now = db::now_ms();
    let ttl_ms = i64::try_from(refresh_ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX / 2);
    tokens::insert(
        db,
        &RefreshToken {
            token_hash: hash_refresh_token(&refresh_token),
            family_id: family,
            device_id: device,
            user_id: user.id,
            created_at: now,
            expires_at: now.saturating_add(ttl_ms),
            used_at: None,
            revoked_at: None,
        },
    )
    .await?;
    Ok(IssuedTokens {
        access_token,
        refresh_token,
        expires_in: keys.access_ttl_secs(),
        device_id: device,
    })
}

async fn audit_best_effort(db: &Db, entry: AuditEntry) {
    if let Err(e) = audit::record(db, &entry).await {
        tracing::error!(error = %e, action = %entry.action, "cannot write audit entry");
    }
}

/// Checks the password, registers a new device named `device_name` and issues its tokens.
/// Unknown users and wrong passwords fail alike (and take the same time); disabled users fail.
/// Every attempt is audited.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    device_name: &str,
) -> Result<LoginOutcome, AuthError> {
    let db = &state.db;
    let started = std::time::Instant::now();
    if state.login_throttle.is_blocked(username, started) {
        let mut entry = AuditEntry::new("auth.login");
        entry.verdict = Some("throttled".into());
        entry.detail = serde_json::json!({ "username": username, "device_name": device_name });
        audit_best_effort(db, entry).await;
        return Err(AuthError::Throttled);
    }
    let creds = users::credentials(db, username).await?;
    let hash = creds.as_ref().map_or_else(
        || password::dummy_hash().to_owned(),
        |c| c.password_hash.clone(),
    );
    let ok = password::verify_password_blocking(password.to_owned(), hash).await?;
    let mut entry = AuditEntry::new("auth.login");
    entry.detail = serde_json::json!({ "username": username, "device_name": device_name });
    let user = match creds {
        Some(c) if ok => c.user,
        other => {
            entry.user_id = other.map(|c| c.user.id);
            entry.verdict = Some("invalid_credentials".into());
            audit_best_effort(db, entry).await;
            state.login_throttle.record_failure(username, started);
            return Err(AuthError::InvalidCredentials);
        }
    };
    state.login_throttle.record_success(username);
    entry.user_id = Some(user.id);
    if user.disabled {
        entry.verdict = Some("disabled".into());
        audit_best_effort(db, entry).await;
        return Err(AuthError::Disabled);
    }
    let device = devices::register(db, user.id, device_name).await?;
    let tokens = issue(
        db,
        &state.jwt,
        state.settings.refresh_token_ttl_secs,
        &user,
        device.id,
        Uuid::now_v7(),
    )
    .await?;
    entry.device_id = Some(device.id);
    entry.verdict = Some("ok".into());
    audit_best_effort(db, entry).await;
    Ok(LoginOutcome { tokens, user })
}

/// Exchanges a refresh token for a new pair in the same family. A used token presented again
/// revokes the family (audited) and fails; so do unknown, expired and revoked tokens, revoked
/// devices and disabled users.
pub async fn refresh(state: &AppState, refresh_token: &str) -> Result<IssuedTokens, AuthError> {
    let db = &state.db;
    let now = db::now_ms();
    let token = match tokens::consume(db, &hash_refresh_token(refresh_token), now).await? {
        Consumed::Rotated(token) => token,
        Consumed::Replayed(token) => {
            let revoked = tokens::revoke_family(db, token.family_id, now).await?;
            tracing::warn!(user = %token.user_id, device = %token.device_id, "refresh token replay");
            let mut entry = AuditEntry::new("auth.refresh_replay");
            entry.user_id = Some(token.user_id);
            entry.device_id = Some(token.device_id);
            entry.verdict = Some("family_revoked".into());
            entry.detail = serde_json::json!({
                "family_id": token.family_id.to_string(),
                "tokens_revoked": revoked,
            });
            audit_best_effort(db, entry).await;
            return Err(AuthError::RefreshReplay);
        }
        Consumed::Revoked(_) | Consumed::Expired(_) | Consumed::Unknown => {
            return Err(AuthError::InvalidToken);
        }
    };
    let device = devices::get(db, token.device_id).await?;
    if device.as_ref().is_none_or(|d| d.is_revoked()) {
        return Err(AuthError::DeviceRevoked);
    }
    let user = users::get(db, token.user_id)
        .await?
        .ok_or(AuthError::InvalidToken)?;
    if user.disabled {
        tokens::revoke_family(db, token.family_id, now).await?;
        return Err(AuthError::Disabled);
    }
    devices::touch(db, token.device_id).await?;
    issue(
        db,
        &state.jwt,
        state.settings.refresh_token_ttl_secs,
        &user,
        token.device_id,
        token.family_id,
    )
    .await
}

/// Verifies an access token (the value of an `Authorization: Bearer` header, with or without
/// the `Bearer ` prefix) and checks the user is enabled and the device not revoked.
pub async fn authenticate(state: &AppState, bearer: &str) -> Result<AuthUser, ApiError> {
    Ok(authenticate_token(state, bearer).await?)
}

/// [`authenticate`] with the auth layer's own error.
pub async fn authenticate_token(state: &AppState, bearer: &str) -> Result<AuthUser, AuthError> {
    let token = bearer.trim();
    let token = token
        .strip_prefix("Bearer ")
        .or_else(|| token.strip_prefix("bearer "))
        .unwrap_or(token)
        .trim();
    let claims = state.jwt.verify(token)?;
    let device = devices::get(&state.db, claims.dev)
        .await?
        .ok_or(AuthError::InvalidToken)?;
    if device.user_id != claims.sub {
        return Err(AuthError::InvalidToken);
    }
    if device.is_revoked() {
        return Err(AuthError::DeviceRevoked);
    }
    let user = users::get(&state.db, claims.sub)
        .await?
        .ok_or(AuthError::InvalidToken)?;
    if user.disabled {
        return Err(AuthError::Disabled);
    }
    Ok(AuthUser {
        user_id: user.id,
        device_id: device.id,
        role: user.role,
        username: user.username,
    })
}

/// Revokes `device` on behalf of `actor` (its owner or an admin) and audits it. Returns the
/// updated device.
pub async fn revoke_device(
    db: &Db,
    actor: &AuthUser,
    device: DeviceId,
) -> Result<devices::Device, RevokeError> {
    let found = devices::get(db, device)
        .await?
        .ok_or(RevokeError::NotFound)?;
    if found.user_id != actor.user_id && actor.role != Role::Admin {
        return Err(RevokeError::Forbidden);
    }
    let newly = devices::revoke(db, device).await?;
    let mut entry = AuditEntry::new("device.revoke");
    entry.user_id = Some(actor.user_id);
    entry.device_id = Some(device);
    entry.verdict = Some(if newly { "ok" } else { "already_revoked" }.into());
    entry.detail = serde_json::json!({ "owner": found.user_id.to_string(), "by_device": actor.device_id.to_string() });
    audit_best_effort(db, entry).await;
    devices::get(db, device).await?.ok_or(RevokeError::NotFound)
}

/// Errors of [`revoke_device`].
#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    /// No such device.
    #[error("device not found")]
    NotFound,
    /// The device belongs to someone else and the actor is not an admin.
    #[error("not your device")]
    Forbidden,
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let a = new_refresh_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_refresh_token());
        let h = hash_refresh_token(&a);
        assert_eq!(h.len(), 64);
        assert_ne!(h, a);
        assert_eq!(h, hash_refresh_token(&a));
    }
}

//! `/api/v1/attachments/{sha256}` for devices (bearer token):
//!
//! - `PUT` stores a photo: the body's SHA-256 must be the path (422), its `Content-Type` one of
//!   JPEG/PNG/WebP (415) whose magic number the bytes carry (415), at most
//!   `max_attachment_bytes` (413). A repeated `PUT` of stored content answers 200 without
//!   rewriting anything; the first answers 201.
//! - `HEAD` answers 200 when the server has the file, 404 otherwise (the uploader's check).
//! - `GET` serves it to a user who uploaded it, may see a visit or dispatch referencing it, or
//!   (any role but partners) when it is a product image; anyone else gets 404, as if it did not
//!   exist.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
    ETAG, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use fieldcrm_core::UserId;
use fieldcrm_core::attachment::{AttachmentError, ContentType, Sha256Hex};
use fieldcrm_core::role::Role;

use super::ApiError;
use crate::attachments::BlobStore;
use crate::auth::AuthUser;
use crate::db::{Db, DbError, attachments, catalog, territories};
use crate::startup::AppState;
use crate::sync::write::anchor_in_scope;

/// Parses the path's digest; anything else is a 400.
fn parse_sha(raw: &str) -> Result<Sha256Hex, ApiError> {
    Sha256Hex::parse(raw).map_err(|e| ApiError::InvalidInput(e.to_string()))
}

fn blob_store(state: &AppState) -> BlobStore {
    BlobStore::new(&state.settings.data_dir)
}

fn io_error(e: std::io::Error) -> ApiError {
    ApiError::Internal(format!("attachment file: {e}"))
}

/// `PUT /api/v1/attachments/{sha256}`.
pub async fn put(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let sha = parse_sha(&raw)?;
    let declared = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // The type is checked before the body is read: a wrong type never costs the upload.
    ContentType::parse(declared).map_err(|e| ApiError::UnsupportedMediaType(e.to_string()))?;
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::InvalidInput(r.body_text())
        }
    })?;
    let limit = state.settings.max_attachment_bytes;
    let (ctype, actual) =
        fieldcrm_core::attachment::check_bytes(&body, declared, limit).map_err(|e| match e {
            AttachmentError::TooLarge { .. } => ApiError::PayloadTooLarge,
            AttachmentError::Empty => ApiError::InvalidInput(e.to_string()),
            e @ (AttachmentError::UnsupportedType(_) | AttachmentError::MagicMismatch(_)) => {
                ApiError::UnsupportedMediaType(e.to_string())
            }
            e @ (AttachmentError::BadHash(_) | AttachmentError::HashMismatch { .. }) => {
                ApiError::Unprocessable(e.to_string())
            }
        })?;
    if actual != sha {
        return Err(ApiError::Unprocessable(
            AttachmentError::HashMismatch {
                expected: sha.to_string(),
                actual: actual.to_string(),
            }
            .to_string(),
        ));
    }
    let size = i64::try_from(body.len()).unwrap_or(i64::MAX);
    let status = if store_file(&state, &sha, &body, ctype.as_str(), caller.user_id).await? {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let answer = serde_json::json!({
        "sha256": sha.as_str(),
        "size": size,
        "content_type": ctype.as_str(),
    });
    Ok((status, Json(answer)).into_response())
}

/// Stores checked bytes in the attachment store and records `user` as an uploader: the one
/// storage path of every upload (devices' photos here, the back office's contract files). The
/// caller checked the bytes (type, size) and that `sha` is their digest. A file already stored is
/// not rewritten. Returns whether the file is new.
pub async fn store_file(
    state: &AppState,
    sha: &Sha256Hex,
    bytes: &[u8],
    content_type: &str,
    user: UserId,
) -> Result<bool, ApiError> {
    let store = blob_store(state);
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let known = attachments::get(&state.db, sha).await?;
    if known.is_some() && store.exists(sha).await {
        attachments::record_uploader(&state.db, sha, user).await?;
        return Ok(false);
    }
    store.write(sha, bytes).await.map_err(io_error)?;
    attachments::record_upload(&state.db, sha, size, content_type, user).await?;
    tracing::info!(sha = %sha, size, user = %user, "attachment stored");
    Ok(true)
}

/// `HEAD /api/v1/attachments/{sha256}`: 200 when stored, 404 otherwise.
pub async fn head(
    State(state): State<AppState>,
    _caller: AuthUser,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let sha = parse_sha(&raw)?;
    match attachments::get(&state.db, &sha).await? {
        Some(meta) if blob_store(&state).exists(&sha).await => Ok((
            StatusCode::OK,
            [
                (CONTENT_TYPE, header(&meta.content_type)),
                (CONTENT_LENGTH, header(&meta.size.to_string())),
            ],
        )
            .into_response()),
        _ => Ok(StatusCode::NOT_FOUND.into_response()),
    }
}

/// `GET /api/v1/attachments/{sha256}`.
pub async fn get(
    State(state): State<AppState>,
    caller: AuthUser,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let sha = parse_sha(&raw)?;
    serve(&state, &sha, caller.user_id, caller.role)
        .await?
        .ok_or_else(|| ApiError::NotFound("attachment not found".into()))
}

fn header(v: &str) -> HeaderValue {
    HeaderValue::from_str(v)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
}

/// Whether `user` (of `role`) may read the file: they uploaded it, it is a product image (every
/// role but partners sees the catalog), a visit referencing it is in their scope, or a dispatch
/// referencing it is theirs (its engineer) or of a customer in their territory scope (the office).
pub async fn may_read(db: &Db, sha: &Sha256Hex, user: UserId, role: Role) -> Result<bool, DbError> {
    if attachments::is_uploader(db, sha, user).await? {
        return Ok(true);
    }
    if role != Role::Partner && catalog::is_product_image(db, sha).await? {
        return Ok(true);
    }
    let visits = attachments::referencing_visit_territories(db, sha).await?;
    let dispatches = attachments::referencing_dispatches(db, sha).await?;
    if visits.is_empty() && dispatches.is_empty() {
        return Ok(false);
    }
    if dispatches
        .iter()
        .any(|(_, engineer)| *engineer == Some(user))
    {
        return Ok(true);
    }
    let scope = territories::scope_territories(db, user, role).await?;
    Ok(visits
        .into_iter()
        .chain(dispatches.into_iter().map(|(t, _)| t))
        .any(|t| anchor_in_scope(&scope, t)))
}

/// The file as a response, if `user` may read it ([`may_read`]) and it is stored.
pub async fn serve(
    state: &AppState,
    sha: &Sha256Hex,
    user: UserId,
    role: Role,
) -> Result<Option<Response>, ApiError> {
    if !may_read(&state.db, sha, user, role).await? {
        return Ok(None);
    }
    respond(state, sha).await
}

/// The stored file as a response, for a caller that checked the reader may see it: the stored
/// content type, `nosniff`, inline, immutable (private) caching. Shared with the back office,
/// which checks with its data scope (`web::scope::attachment`).
pub async fn respond(state: &AppState, sha: &Sha256Hex) -> Result<Option<Response>, ApiError> {
    let Some(meta) = attachments::get(&state.db, sha).await? else {
        return Ok(None);
    };
    let Some(bytes) = blob_store(state).read(sha).await.map_err(io_error)? else {
        tracing::error!(sha = %sha, "attachment metadata without its file");
        return Ok(None);
    };
    // The stored type was checked against the bytes at upload; serve nothing else. Files of
    // other types (contract PDFs) are served by their own routes, not as photos.
    let Ok(ctype) = ContentType::parse(&meta.content_type) else {
        return Ok(None);
    };
    let mut response = (StatusCode::OK, bytes).into_response();
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(ctype.as_str()));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    h.insert(ETAG, header(&format!("\"{sha}\"")));
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(Some(response))
}

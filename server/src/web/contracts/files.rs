//! A contract's files: upload from the browser (multipart, through the server into the
//! attachment store with [`crate::http::attachments::store_file`], the one storage path of every
//! upload), download, removal. A file must be a PDF, JPEG, PNG or WebP by its content (its magic
//! number), and agree with the type the browser declared; at most `max_attachment_bytes`.

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use fieldcrm_core::attachment::{ContentType, Sha256Hex};
use serde_json::json;

use super::audit_contract;
use super::card::render_card;
use crate::attachments::BlobStore;
use crate::auth::permissions::Permission;
use crate::db::contracts;
use crate::startup::AppState;
use crate::web::i18n::Tr;
use crate::web::import::clean_file_name;
use crate::web::scope;
use crate::web::session::WebUser;
use crate::web::{WebError, is_htmx};

/// `POST /contracts/{id}/files`, with a body limit of its own (the file plus the form): merged
/// outside the global limit, like the other uploads.
pub fn upload_routes(max_file_bytes: usize) -> axum::Router<AppState> {
    axum::Router::new()
        .route("/contracts/{id}/files", axum::routing::post(upload))
        .layer(DefaultBodyLimit::max(
            max_file_bytes.saturating_add(64 * 1024),
        ))
}

/// The MIME type of a PDF.
pub const PDF: &str = "application/pdf";

/// The type of a contract file by its content: PDF or one of the image types; `None` otherwise.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some(PDF)
    } else {
        ContentType::sniff(bytes).map(ContentType::as_str)
    }
}

/// Checks a file: its content is an accepted type and the declared type (if the browser sent a
/// meaningful one) is the same. Returns the type to store.
pub fn check_type(bytes: &[u8], declared: &str) -> Option<&'static str> {
    let actual = sniff(bytes)?;
    let declared = declared
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let agrees = match declared.as_str() {
        "" | "application/octet-stream" => true,
        PDF => actual == PDF,
        other => ContentType::parse(other).is_ok_and(|t| t.as_str() == actual),
    };
    agrees.then_some(actual)
}

#[derive(askama::Template)]
#[template(
    source = "<div class=\"errors\" id=\"upload-error\" role=\"alert\">{{ text }}</div>",
    ext = "html"
)]
struct UploadError<'a> {
    text: &'a str,
}

fn message(status: StatusCode, text: &str) -> Response {
    match askama::Template::render(&UploadError { text }) {
        Ok(html) => (status, axum::response::Html(html)).into_response(),
        Err(e) => WebError::from(e).into_response(),
    }
}

/// `POST /contracts/{id}/files` (multipart, field `file`).
pub async fn upload(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    user.require(Permission::ContractsEdit)?;
    let c = scope::contract(&state, &user, &id).await?;
    let tr = Tr(user.lang);
    let htmx = is_htmx(&headers);
    let refuse = |status: StatusCode, key: &str| {
        let text = tr.t(key).to_owned();
        let state = state.clone();
        let user = user.clone();
        let c = c.clone();
        async move {
            if htmx {
                Ok(message(status, &text))
            } else {
                render_card(&state, &user, &c, status, Some(text)).await
            }
        }
    };
    let limit = state.settings.max_attachment_bytes;
    let mut file: Option<(String, String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return refuse(StatusCode::PAYLOAD_TOO_LARGE, "con.err.file_size").await;
            }
            Err(_) => return refuse(StatusCode::BAD_REQUEST, "con.err.no_file").await,
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = clean_file_name(field.file_name().unwrap_or(""));
        let declared = field.content_type().unwrap_or("").to_owned();
        match field.bytes().await {
            Ok(b) => file = Some((name, declared, b.to_vec())),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return refuse(StatusCode::PAYLOAD_TOO_LARGE, "con.err.file_size").await;
            }
            Err(_) => return refuse(StatusCode::BAD_REQUEST, "con.err.no_file").await,
        }
    }
    let Some((name, declared, bytes)) = file.filter(|(_, _, b)| !b.is_empty()) else {
        return refuse(StatusCode::BAD_REQUEST, "con.err.no_file").await;
    };
    if bytes.len() > limit {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, "con.err.file_size").await;
    }
    let Some(ctype) = check_type(&bytes, &declared) else {
        return refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, "con.err.file_type").await;
    };
    let sha = Sha256Hex::of(&bytes);
    crate::http::attachments::store_file(&state, &sha, &bytes, ctype, user.user_id)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    contracts::add_file(&state.db, c.id, sha.as_str(), &name, user.user_id).await?;
    audit_contract(
        &state,
        &user,
        "web.contract.file_add",
        c.id,
        json!({"sha256": sha.as_str(), "file_name": name, "content_type": ctype, "size": bytes.len()}),
    )
    .await;
    let to = format!("/contracts/{}", c.id);
    if htmx {
        Ok((StatusCode::OK, [("hx-redirect", to)]).into_response())
    } else {
        Ok((StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response())
    }
}

/// `attachment; filename="…"` with an ASCII fallback and the UTF-8 name (RFC 6266/5987).
pub fn disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
            encoded.push(char::from(*b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// `GET /contracts/{id}/files/{sha256}`: the file, as a download.
pub async fn download(
    State(state): State<AppState>,
    user: WebUser,
    Path((id, raw)): Path<(String, String)>,
) -> Result<Response, WebError> {
    user.require(Permission::ContractsView)?;
    let c = scope::contract(&state, &user, &id).await?;
    let sha = Sha256Hex::parse(&raw).map_err(|_| WebError::NotFound)?;
    let Some(f) = contracts::file_of(&state.db, c.id, sha.as_str()).await? else {
        return Err(WebError::NotFound);
    };
    let Some(bytes) = BlobStore::new(&state.settings.data_dir)
        .read(&sha)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
    else {
        tracing::error!(sha = %sha, "contract file without its stored bytes");
        return Err(WebError::NotFound);
    };
    // Only the types checked at upload are served as such.
    let ctype = match f.content_type.as_str() {
        PDF => PDF,
        other => ContentType::parse(other).map_or("application/octet-stream", ContentType::as_str),
    };
    let mut response = (StatusCode::OK, bytes).into_response();
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition(&f.file_name)) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// `POST /contracts/{id}/files/{sha256}/delete`: detaches the file.
pub async fn remove(
    State(state): State<AppState>,
    user: WebUser,
    Path((id, raw)): Path<(String, String)>,
) -> Result<Response, WebError> {
    user.require(Permission::ContractsEdit)?;
    let c = scope::contract(&state, &user, &id).await?;
    let sha = Sha256Hex::parse(&raw).map_err(|_| WebError::NotFound)?;
    if contracts::remove_file(&state.db, c.id, sha.as_str()).await? {
        audit_contract(
            &state,
            &user,
            "web.contract.file_remove",
            c.id,
            json!({"sha256": sha.as_str()}),
        )
        .await;
    }
    Ok((
        StatusCode::SEE_OTHER,
        [(LOCATION, format!("/contracts/{}", c.id))],
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_checked_by_content() {
        let pdf = b"%PDF-1.7\n...";
        assert_eq!(check_type(pdf, "application/pdf"), Some(PDF));
        assert_eq!(check_type(pdf, ""), Some(PDF));
        assert_eq!(check_type(pdf, "image/png"), None);
        let png = b"\x89PNG\r\n\x1a\n....";
        assert_eq!(check_type(png, "image/png"), Some("image/png"));
        assert_eq!(check_type(png, "application/pdf"), None);
        assert_eq!(check_type(b"<script>", "application/pdf"), None);
        assert_eq!(check_type(b"MZ\x90\x00", "application/octet-stream"), None);
    }

    #[test]
    fn dispositions_keep_names_safe() {
        assert_eq!(
            disposition("合同 A.pdf"),
            "attachment; filename=\"__ A.pdf\"; filename*=UTF-8''%E5%90%88%E5%90%8C%20A.pdf"
        );
        assert!(!disposition("a\"b.pdf").contains("a\"b"));
    }
}

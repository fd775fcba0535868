//! CSRF protection: every state-changing back-office request carries its session's token, in
//! the `X-CSRF-Token` header (htmx sends it from `hx-headers`) or the `_csrf` form field.
//! Missing or wrong → 403. The login form uses a double-submit cookie instead (no session yet).

use axum::body::Body;
use axum::extract::Request;
use serde::Deserialize;

use super::WebError;

/// Header htmx requests carry the token in.
pub const HEADER: &str = "x-csrf-token";
/// Largest form body read while looking for the token.
const MAX_FORM_BYTES: usize = 256 * 1024;

/// Compares two tokens in time independent of where they differ.
pub fn tokens_match(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Deserialize)]
struct Field {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// Checks the request's token against `expected`; gives the request back (its body re-attached).
pub async fn verify(req: Request, expected: &str) -> Result<Request, WebError> {
    if let Some(given) = req.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        return if tokens_match(expected, given) {
            Ok(req)
        } else {
            Err(WebError::Csrf)
        };
    }
    let is_form = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(WebError::Csrf);
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| WebError::BadRequest("form too large".into()))?;
    let field: Field = serde_urlencoded::from_bytes(&bytes).map_err(|_| WebError::Csrf)?;
    if !tokens_match(expected, &field.csrf) {
        return Err(WebError::Csrf);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::tokens_match;

    #[test]
    fn matching() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", "ab"));
        assert!(!tokens_match("", ""));
    }
}

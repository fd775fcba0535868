//! The few HTTP calls of the device (`POST /api/v1/auth/login`, `POST /api/v1/auth/refresh`, the
//! attachment `HEAD`/`PUT` of [`super::attachments`]), over
//! hyper's HTTP/1 client on a plain TCP connection, and the server URL they share with the sync
//! socket. TLS (`https`, `wss`) is future work: until then a server URL must be `http://`.

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::net::TcpStream;

use super::ClientError;
use crate::ids::{DeviceId, UserId};
use crate::role::Role;

/// How long one HTTP exchange may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A parsed server base URL: `http://host[:port][/prefix]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    host: String,
    port: u16,
    prefix: String,
}

impl ServerUrl {
    /// Parses a base URL such as `http://127.0.0.1:8080` or `http://crm.example.com/fieldcrm`.
    pub fn parse(url: &str) -> Result<Self, ClientError> {
        let url = url.trim();
        let rest = if let Some(rest) = url.strip_prefix("http://") {
            rest
        } else if url.starts_with("https://") {
            return Err(ClientError::InvalidInput(
                "https is not supported yet by this client; use http://".into(),
            ));
        } else {
            return Err(ClientError::InvalidInput(format!(
                "server URL must start with http://, got {url:?}"
            )));
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !p.contains(']') => {
                let port = p.parse::<u16>().map_err(|_| {
                    ClientError::InvalidInput(format!("bad port in server URL {url:?}"))
                })?;
                (h, port)
            }
            _ => (authority, 80),
        };
        if host.is_empty() {
            return Err(ClientError::InvalidInput(format!(
                "no host in server URL {url:?}"
            )));
        }
        let prefix = path.trim_matches('/');
        Ok(Self {
            host: host.to_owned(),
            port,
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("/{prefix}")
            },
        })
    }

    pub(crate) fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The path of an API endpoint under this server (`path` starts with `/`).
    pub(crate) fn path(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }

    /// The WebSocket URL of the sync endpoint.
    pub fn sync_url(&self) -> String {
        format!("ws://{}{}", self.authority(), self.path("/api/v1/sync"))
    }

    /// The canonical form, as stored.
    pub fn as_string(&self) -> String {
        format!("http://{}{}", self.authority(), self.prefix)
    }
}

/// The user part of a login answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserInfo {
    /// User id.
    pub id: UserId,
    /// Login name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Role.
    pub role: Role,
}

/// The answer of login and refresh.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub device_id: DeviceId,
    #[serde(default)]
    pub user: Option<UserInfo>,
}

/// `POST /api/v1/auth/login`.
pub(crate) async fn login(
    server: &ServerUrl,
    username: &str,
    password: &str,
    device_name: &str,
) -> Result<Tokens, ClientError> {
    let body = serde_json::json!({
        "username": username, "password": password, "device_name": device_name,
    });
    post_json(server, "/api/v1/auth/login", &body).await
}

/// `POST /api/v1/auth/refresh`.
pub(crate) async fn refresh(
    server: &ServerUrl,
    refresh_token: &str,
) -> Result<Tokens, ClientError> {
    let body = serde_json::json!({ "refresh_token": refresh_token });
    post_json(server, "/api/v1/auth/refresh", &body).await
}

/// Maps an HTTP error status and `{"error":{"code","message"}}` body to a [`ClientError`].
pub(crate) fn error_from_response(status: u16, body: &[u8]) -> ClientError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let code = parsed
        .as_ref()
        .and_then(|v| v.pointer("/error/code"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let message = parsed
        .as_ref()
        .and_then(|v| v.pointer("/error/message"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("HTTP {status}"));
    let message = if code.is_empty() {
        message
    } else {
        format!("{message} ({code})")
    };
    match status {
        400 | 413 | 415 | 422 => ClientError::InvalidInput(message),
        401 => ClientError::Unauthorized(message),
        403 => ClientError::Forbidden(message),
        404 => ClientError::NotFound(message),
        500..=599 => ClientError::Server(message),
        _ => ClientError::Protocol(message),
    }
}

async fn post_json<T: for<'de> Deserialize<'de>>(
    server: &ServerUrl,
    path: &str,
    body: &Value,
) -> Result<T, ClientError> {
    let bytes = serde_json::to_vec(body).map_err(|e| ClientError::InvalidInput(e.to_string()))?;
    let req = Request {
        method: hyper::Method::POST,
        path,
        bearer: None,
        content_type: Some("application/json"),
        body: bytes,
        timeout: HTTP_TIMEOUT,
        if_none_match: None,
    };
    let (status, body) = send(server, req).await?;
    if !(200..300).contains(&status) {
        return Err(error_from_response(status, &body));
    }
    serde_json::from_slice(&body)
        .map_err(|e| ClientError::Protocol(format!("unexpected answer from {path}: {e}")))
}

/// One HTTP request to the server.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    /// Method.
    pub method: hyper::Method,
    /// Path under the server's prefix (starts with `/`).
    pub path: &'a str,
    /// Access token for `Authorization: Bearer`.
    pub bearer: Option<&'a str>,
    /// `Content-Type` of the body.
    pub content_type: Option<&'a str>,
    /// Body bytes (empty for none).
    pub body: Vec<u8>,
    /// How long the whole exchange may take.
    pub timeout: Duration,
    /// The entity tag held, for a conditional `GET` (`If-None-Match`).
    pub if_none_match: Option<&'a str>,
}

/// Sends `req` on a fresh HTTP/1 connection and returns the status and body. Network failures
/// and timeouts are [`ClientError::Offline`]; any status is returned as is.
pub(crate) async fn send(
    server: &ServerUrl,
    req: Request<'_>,
) -> Result<(u16, Bytes), ClientError> {
    let timeout = req.timeout;
    let exchange = async {
        let stream = TcpStream::connect((server.host.as_str(), server.port))
            .await
            .map_err(|e| ClientError::Offline(format!("{}: {e}", server.authority())))?;
        let io = hyper_util::rt::TokioIo::new(stream);
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|e| ClientError::Offline(e.to_string()))?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "http connection ended");
            }
        });
        let mut builder = hyper::Request::builder()
            .method(req.method)
            .uri(server.path(req.path))
            .header(hyper::header::HOST, server.authority())
            .header(hyper::header::ACCEPT, "application/json");
        if let Some(ct) = req.content_type {
            builder = builder.header(hyper::header::CONTENT_TYPE, ct);
        }
        if let Some(token) = req.bearer {
            builder = builder.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(tag) = req.if_none_match {
            builder = builder.header(hyper::header::IF_NONE_MATCH, tag);
        }
        let request = builder
            .body(Full::new(Bytes::from(req.body)))
            .map_err(|e| ClientError::InvalidInput(e.to_string()))?;
        let resp = sender
            .send_request(request)
            .await
            .map_err(|e| ClientError::Offline(e.to_string()))?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| ClientError::Offline(e.to_string()))?
            .to_bytes();
        Ok::<_, ClientError>((status, body))
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| ClientError::Offline("request timed out".into()))?
}

/// A conditional `GET` of a versioned resource (reference data, catalog) with the access token of
/// `store`: `Ok(None)` when the server answers `304` for the version `held` (sent as the strong
/// entity tag `"held"`), else the `200` body. An access token that expired since it was checked
/// is refreshed once and the request retried.
pub(crate) async fn get_if_changed(
    store: &super::Store,
    path: &str,
    held: Option<&str>,
) -> Result<Option<Bytes>, ClientError> {
    let etag = held.map(|v| format!("\"{v}\""));
    let mut refreshed = false;
    loop {
        let (server, token) = super::driver::access_token(store, refreshed).await?;
        let req = Request {
            method: hyper::Method::GET,
            path,
            bearer: Some(&token),
            content_type: None,
            body: Vec::new(),
            timeout: HTTP_TIMEOUT,
            if_none_match: etag.as_deref(),
        };
        let (status, body) = send(&server, req).await?;
        match status {
            304 => return Ok(None),
            200 => return Ok(Some(body)),
            401 if !refreshed && String::from_utf8_lossy(&body).contains("token_expired") => {
                refreshed = true;
            }
            _ => return Err(error_from_response(status, &body)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = ServerUrl::parse("http://127.0.0.1:8080/").unwrap();
        assert_eq!(u.sync_url(), "ws://127.0.0.1:8080/api/v1/sync");
        assert_eq!(u.as_string(), "http://127.0.0.1:8080");
        let u = ServerUrl::parse("http://crm.example.com/x/").unwrap();
        assert_eq!(u.sync_url(), "ws://crm.example.com:80/x/api/v1/sync");
        assert!(ServerUrl::parse("https://a").is_err());
        assert!(ServerUrl::parse("ftp://a").is_err());
        assert!(ServerUrl::parse("http://a:notaport").is_err());
    }

    #[test]
    fn errors_map_by_status() {
        let body = br#"{"error":{"code":"unauthorized","message":"wrong password"}}"#;
        assert!(
            matches!(error_from_response(401, body), ClientError::Unauthorized(m) if m.contains("wrong password"))
        );
        assert!(matches!(
            error_from_response(503, b""),
            ClientError::Server(_)
        ));
    }
}

//! The device's copy of the reference data (data dictionary and custom field definitions, see
//! [`crate::schema`]): fetched from `GET /api/v1/reference` with `If-None-Match` (a `304` costs
//! a few bytes) when sync runs, kept in the store's metadata so forms and validation work
//! offline, and wiped with the session.
//!
//! The device validates and canonicalises the custom values it writes against its copy; the
//! server checks them again on every push (and compensates what it refuses).

use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use serde_json::Value;
use tokio::net::TcpStream;

use super::ClientError;
use super::http::{ServerUrl, error_from_response};
use super::store::Store;
use crate::document::Kind;
use crate::schema::{Reference, Required};

/// Metadata key of the stored reference (JSON).
pub(crate) const META_REFERENCE: &str = "reference";
/// The endpoint.
pub const REFERENCE_PATH: &str = "/api/v1/reference";
/// How long the fetch may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The reference data held on the device, if it was fetched since login.
pub async fn load(store: &Store) -> Result<Option<Reference>, ClientError> {
    match store.meta(META_REFERENCE).await? {
        None => Ok(None),
        Some(json) => serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| ClientError::Storage(format!("stored reference data: {e}"))),
    }
}

/// What a conditional GET answered.
enum Fetched {
    Unchanged,
    New(Reference),
}

/// Fetches the reference data when the server's version differs from the one held; returns
/// whether it changed.
pub async fn refresh(store: &Store) -> Result<bool, ClientError> {
    let held = load(store).await?.map(|r| r.version);
    let mut refreshed = false;
    loop {
        let (server, token) = super::driver::access_token(store, refreshed).await?;
        match fetch(&server, &token, held.as_deref()).await {
            Ok(Fetched::Unchanged) => return Ok(false),
            Ok(Fetched::New(r)) => {
                let json = serde_json::to_string(&r)
                    .map_err(|e| ClientError::Storage(format!("reference data: {e}")))?;
                store.set_meta(&[(META_REFERENCE, json)]).await?;
                return Ok(true);
            }
            // An access token that expired since it was checked: refresh once and retry.
            Err(ClientError::Unauthorized(m)) if !refreshed && m.contains("token_expired") => {
                refreshed = true;
            }
            Err(e) => return Err(e),
        }
    }
}

async fn fetch(
    server: &ServerUrl,
    token: &str,
    held: Option<&str>,
) -> Result<Fetched, ClientError> {
    let exchange = async {
        let stream = TcpStream::connect(server.authority())
            .await
            .map_err(|e| ClientError::Offline(format!("{}: {e}", server.authority())))?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| ClientError::Offline(e.to_string()))?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "http connection ended");
            }
        });
        let mut req = hyper::Request::builder()
            .method(hyper::Method::GET)
            .uri(server.path(REFERENCE_PATH))
            .header(hyper::header::HOST, server.authority())
            .header(hyper::header::ACCEPT, "application/json")
            .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
        if let Some(v) = held {
            req = req.header(hyper::header::IF_NONE_MATCH, format!("\"{v}\""));
        }
        let req = req
            .body(Empty::<Bytes>::new())
            .map_err(|e| ClientError::InvalidInput(e.to_string()))?;
        let resp = sender
            .send_request(req)
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
    let (status, body) = tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| ClientError::Offline("request timed out".into()))??;
    match status {
        304 => Ok(Fetched::Unchanged),
        200 => serde_json::from_slice(&body)
            .map(Fetched::New)
            .map_err(|e| ClientError::Protocol(format!("unexpected reference data: {e}"))),
        _ => Err(error_from_response(status, &body)),
    }
}

/// Canonicalises and checks the custom values of a record the device is writing (typed JSON;
/// `before` is `None` when it creates the record). New records must fill required fields; edits
/// may not remove a required value.
pub fn check_record(
    reference: &Reference,
    kind: Kind,
    before: Option<&Value>,
    after: &mut Value,
) -> Result<(), ClientError> {
    reference.canonicalize(kind, before, after);
    let required = if before.is_none() {
        Required::Always
    } else {
        Required::NotRemoved
    };
    let errors = reference.check(kind, before, after, required);
    if errors.is_empty() {
        return Ok(());
    }
    Err(ClientError::InvalidInput(
        errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{DictEntry, DictList, FieldDef, FieldType};
    use serde_json::json;

    fn reference() -> Reference {
        Reference::new(
            vec![DictList {
                key: "grade".into(),
                name_zh: "级别".into(),
                name_en: "Grade".into(),
                system: false,
                entries: vec![DictEntry {
                    code: "g1".into(),
                    label_zh: "一级".into(),
                    label_en: "One".into(),
                    position: 1,
                    active: true,
                }],
            }],
            vec![
                FieldDef {
                    kind: Kind::Customer,
                    key: "credit".into(),
                    label_zh: "信用额度".into(),
                    label_en: "Credit".into(),
                    field_type: FieldType::Number,
                    list: None,
                    required: false,
                    active: true,
                    position: 1,
                },
                FieldDef {
                    kind: Kind::Customer,
                    key: "grade".into(),
                    label_zh: "级别".into(),
                    label_en: "Grade".into(),
                    field_type: FieldType::Choice,
                    list: Some("grade".into()),
                    required: true,
                    active: true,
                    position: 2,
                },
            ],
        )
    }

    #[test]
    fn device_writes_are_canonicalised_and_checked() {
        let r = reference();
        let before = json!({"custom": {"grade": "g1"}});
        let mut after = json!({"custom": {"grade": "g1", "credit": "0500.00"}});
        check_record(&r, Kind::Customer, Some(&before), &mut after).unwrap();
        assert_eq!(after["custom"]["credit"], "500");
        let mut bad = json!({"custom": {"grade": "g1", "credit": "a lot"}});
        let e = check_record(&r, Kind::Customer, Some(&before), &mut bad).unwrap_err();
        assert!(e.to_string().contains("custom.credit"), "{e}");
        // Creating without the required choice is refused; removing it too.
        let mut new = json!({"custom": {}});
        assert!(check_record(&r, Kind::Customer, None, &mut new).is_err());
        let mut removed = json!({"custom": {}});
        assert!(check_record(&r, Kind::Customer, Some(&before), &mut removed).is_err());
    }
}

//! The device's copy of the reference data (data dictionary and custom field definitions, see
//! [`crate::schema`]): fetched from `GET /api/v1/reference` with `If-None-Match` (a `304` costs
//! a few bytes) when sync runs, kept in the store's metadata so forms and validation work
//! offline, and wiped with the session.
//!
//! The device validates and canonicalises the custom values it writes against its copy; the
//! server checks them again on every push (and compensates what it refuses).

use serde_json::Value;

use super::ClientError;
use super::http;
use super::store::Store;
use crate::document::Kind;
use crate::schema::{Reference, Required};

/// Metadata key of the stored reference (JSON).
pub(crate) const META_REFERENCE: &str = "reference";
/// The endpoint.
pub const REFERENCE_PATH: &str = "/api/v1/reference";

/// The reference data held on the device, if it was fetched since login.
pub async fn load(store: &Store) -> Result<Option<Reference>, ClientError> {
    match store.meta(META_REFERENCE).await? {
        None => Ok(None),
        Some(json) => serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| ClientError::Storage(format!("stored reference data: {e}"))),
    }
}

/// Fetches the reference data when the server's version differs from the one held; returns
/// whether it changed.
pub async fn refresh(store: &Store) -> Result<bool, ClientError> {
    let held = load(store).await?.map(|r| r.version);
    let Some(body) = http::get_if_changed(store, REFERENCE_PATH, held.as_deref()).await? else {
        return Ok(false);
    };
    let reference: Reference = serde_json::from_slice(&body)
        .map_err(|e| ClientError::Protocol(format!("unexpected reference data: {e}")))?;
    let json = serde_json::to_string(&reference)
        .map_err(|e| ClientError::Storage(format!("reference data: {e}")))?;
    store.set_meta(&[(META_REFERENCE, json)]).await?;
    Ok(true)
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

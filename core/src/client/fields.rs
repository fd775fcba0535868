//! `field=value` edits of a customer, as typed on the command line (`fieldcrm client edit
//! customer ID name=… address.city=…`). Server-owned fields (territory, owner) may be set too:
//! the server compensates them, and the device shows the notice.

use crate::domain::{Customer, CustomerKind, GeoPoint};
use crate::ids::{TerritoryId, UserId};

use super::ClientError;

/// The field names [`apply_customer_field`] understands (`custom.KEY` for custom fields).
pub const CUSTOMER_FIELDS: &[&str] = &[
    "name",
    "code",
    "kind",
    "tier",
    "industry",
    "source",
    "email",
    "phones",
    "tags",
    "interests",
    "notes",
    "birthday",
    "address.province",
    "address.city",
    "address.district",
    "address.street",
    "address.zip",
    "address.geo",
    "territory",
    "owner",
    "custom.KEY",
];

/// Splits `field=value` (the first `=`).
pub fn parse_assignment(s: &str) -> Result<(String, String), ClientError> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| ClientError::InvalidInput(format!("expected field=value, got {s:?}")))?;
    Ok((k.trim().to_owned(), v.to_owned()))
}

fn list(value: &str) -> Vec<String> {
    value
        .split([',', '，'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn opt(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

/// Sets one field of a customer from its text form. An empty value clears the field.
pub fn apply_customer_field(c: &mut Customer, field: &str, value: &str) -> Result<(), ClientError> {
    let bad = |msg: String| ClientError::InvalidInput(format!("{field}: {msg}"));
    let text = value.trim().to_owned();
    match field {
        "name" => c.name = text,
        "code" => c.code = text,
        "kind" => c.kind = text.parse::<CustomerKind>().map_err(|e| bad(e.message))?,
        "tier" => c.tier = text,
        "industry" => c.industry = text,
        "source" => c.source = text,
        "email" => c.email = text,
        "phones" => c.phones = list(value),
        "tags" => c.tags = list(value),
        "interests" => c.interests = list(value),
        "notes" => c.notes = value.to_owned(),
        "birthday" => c.birthday = opt(value),
        "address.province" => c.address.province = text,
        "address.city" => c.address.city = text,
        "address.district" => c.address.district = text,
        "address.street" => c.address.street = text,
        "address.zip" => c.address.zip = text,
        "address.geo" => {
            c.address.geo = match opt(value) {
                None => None,
                Some(v) => Some(parse_geo(&v).map_err(bad)?),
            }
        }
        "territory" => {
            c.territory = opt(value)
                .map(|v| TerritoryId::parse(&v))
                .transpose()
                .map_err(|e| bad(e.to_string()))?
        }
        "owner" => {
            c.owner = opt(value)
                .map(|v| UserId::parse(&v))
                .transpose()
                .map_err(|e| bad(e.to_string()))?
        }
        other => match other.strip_prefix("custom.") {
            Some(key) if !key.is_empty() => {
                if text.is_empty() {
                    c.custom.remove(key);
                } else {
                    c.custom.insert(key.to_owned(), text);
                }
            }
            _ => {
                return Err(ClientError::InvalidInput(format!(
                    "unknown customer field {other:?} (known: {})",
                    CUSTOMER_FIELDS.join(", ")
                )));
            }
        },
    }
    Ok(())
}

/// Parses `lat,lon` into a checked point.
pub fn parse_geo(v: &str) -> Result<GeoPoint, String> {
    let (lat, lon) = v
        .split_once(',')
        .ok_or_else(|| format!("expected lat,lon, got {v:?}"))?;
    let lat: f64 = lat
        .trim()
        .parse()
        .map_err(|_| format!("bad latitude {lat:?}"))?;
    let lon: f64 = lon
        .trim()
        .parse()
        .map_err(|_| format!("bad longitude {lon:?}"))?;
    GeoPoint::parse(lat, lon).map_err(|e| e.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_parse() {
        let mut c = Customer::default();
        for (k, v) in [
            ("name", "华联超市"),
            ("phones", "021-5555 0101, 13800000000"),
            ("address.city", "上海"),
            ("address.geo", "31.23,121.47"),
            ("custom.erp", "X-1"),
            ("kind", "person"),
        ] {
            apply_customer_field(&mut c, k, v).unwrap();
        }
        assert_eq!(c.phones.len(), 2);
        assert_eq!(c.address.geo.as_ref().map(|g| g.lat), Some(31.23));
        assert_eq!(c.custom.get("erp").map(String::as_str), Some("X-1"));
        assert_eq!(c.kind, CustomerKind::Person);
        assert!(apply_customer_field(&mut c, "colour", "red").is_err());
        assert!(apply_customer_field(&mut c, "address.geo", "200,1").is_err());
        assert!(apply_customer_field(&mut c, "territory", "nope").is_err());
        assert_eq!(
            parse_assignment("notes=a=b").unwrap(),
            ("notes".to_owned(), "a=b".to_owned())
        );
    }
}

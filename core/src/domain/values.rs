//! Value types shared by the records: parsed on input ("parse, don't validate"), stored as plain
//! scalars inside documents.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field path, e.g. `address.geo` or `email`.
    pub field: String,
    /// A human-readable explanation.
    pub message: String,
}

impl FieldError {
    /// A new error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A WGS-84 point as reported by a phone's GPS.
#[derive(Debug, Clone, Copy, PartialEq, Default, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude in degrees, -90..=90.
    pub lat: f64,
    /// Longitude in degrees, -180..=180.
    pub lon: f64,
}

impl GeoPoint {
    /// A checked point.
    pub fn parse(lat: f64, lon: f64) -> Result<Self, FieldError> {
        let p = Self { lat, lon };
        p.check("geo")?;
        Ok(p)
    }

    /// Checks the ranges; `field` names the path in the error.
    pub fn check(&self, field: &str) -> Result<(), FieldError> {
        if !(self.lat.is_finite() && (-90.0..=90.0).contains(&self.lat)) {
            return Err(FieldError::new(field, "latitude must be within -90..90"));
        }
        if !(self.lon.is_finite() && (-180.0..=180.0).contains(&self.lon)) {
            return Err(FieldError::new(field, "longitude must be within -180..180"));
        }
        Ok(())
    }

    /// Great-circle distance in metres (haversine).
    pub fn distance_m(&self, other: &GeoPoint) -> f64 {
        let r = 6_371_000.0_f64;
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = (other.lat - self.lat).to_radians();
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * r * a.sqrt().asin()
    }
}

/// A postal address, Chinese style (province / city / district / street) with an optional point.
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate, Serialize, Deserialize)]
#[serde(default)]
pub struct Address {
    /// 省 province.
    #[autosurgeon(missing = "Default::default")]
    pub province: String,
    /// 市 city.
    #[autosurgeon(missing = "Default::default")]
    pub city: String,
    /// 区 district.
    #[autosurgeon(missing = "Default::default")]
    pub district: String,
    /// Street and number.
    #[autosurgeon(missing = "Default::default")]
    pub street: String,
    /// Postal code.
    #[autosurgeon(missing = "Default::default")]
    pub zip: String,
    /// Where it is, when known.
    #[autosurgeon(missing = "Default::default")]
    pub geo: Option<GeoPoint>,
}

/// A checked e-mail address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Accepts `local@domain.tld` shapes, trimmed, at most 254 characters.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        let bad = || FieldError::new("email", format!("not an e-mail address: {s:?}"));
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        if local.is_empty() || domain.contains('@') || !domain.contains('.') {
            return Err(bad());
        }
        if domain.starts_with('.') || domain.ends_with('.') {
            return Err(bad());
        }
        Ok(Self(s.to_owned()))
    }
    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A checked phone number: digits with optional leading `+` and separators (space, `-`, parentheses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Accepts 5–20 digits with the usual separators and an optional extension after `ext`/`x`/`转`.
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        let bad = || FieldError::new("phones", format!("not a phone number: {s:?}"));
        let main = s
            .split(['x', '转'])
            .next()
            .unwrap_or(s)
            .trim_end_matches("ext")
            .trim();
        let digits = main.chars().filter(char::is_ascii_digit).count();
        let allowed = |c: char| c.is_ascii_digit() || " -()+".contains(c);
        if !(5..=20).contains(&digits) || !main.chars().all(allowed) || s.len() > 40 {
            return Err(bad());
        }
        if main.chars().skip(1).any(|c| c == '+') {
            return Err(bad());
        }
        Ok(Self(s.to_owned()))
    }
    /// The number as entered.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a `YYYY-MM-DD` date.
pub fn check_date(field: &str, s: &str) -> Result<(), FieldError> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|_| ())
        .map_err(|_| FieldError::new(field, format!("not a YYYY-MM-DD date: {s:?}")))
}

/// Checks that a free-text field is at most `max` characters.
pub fn check_len(field: &str, s: &str, max: usize) -> Result<(), FieldError> {
    if s.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("longer than {max} characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(Email::parse("li.wei@example.cn").is_ok());
        for bad in ["", "a", "a@b", "@b.cn", "a b@c.cn", "a@@b.cn", "a@.cn"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones() {
        for ok in [
            "+86 21 5555 1234",
            "138-0013-8000",
            "(021) 6666-8888",
            "010 8888 9999 转 123",
        ] {
            assert!(PhoneNumber::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "12", "call me", "=cmd|' /C calc'!A0", "++8613800138000"] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn geo_ranges_and_distance() {
        assert!(GeoPoint::parse(91.0, 0.0).is_err());
        assert!(GeoPoint::parse(0.0, f64::NAN).is_err());
        let bund = GeoPoint::parse(31.2400, 121.4900).unwrap();
        let pudong = GeoPoint::parse(31.2397, 121.4998).unwrap();
        let d = bund.distance_m(&pudong);
        assert!((900.0..1000.0).contains(&d), "{d}");
    }
}

//! Reference data: the data dictionary (choice lists with stable codes and zh-CN/English labels)
//! and the admin-defined custom fields of each document kind — what the server keeps in SQL, what
//! devices receive from `GET /api/v1/reference`, and the one implementation of the rules every
//! writer applies to custom values (back office, device pushes, the device's own forms).
//!
//! Custom values live in a record's `custom` map (`key → string`) in canonical form: numbers as
//! plain decimal strings (`-12.5`), dates as `YYYY-MM-DD`, choices as the entry's code, text
//! trimmed. The absence of a key means "no value".
//!
//! Only values a write *changes* are checked ([`Reference::check`]): a value that was valid when
//! it was written stays valid when an entry is deactivated or a field retired, so old records can
//! still be edited. `required` means "a form must fill it" ([`Required::Always`]) and, for device
//! pushes, "a value may not be removed" ([`Required::NotRemoved`]): a phone that created a record
//! offline before the field existed must not lose its work.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::document::Kind;
use crate::domain::FieldError;

/// The dictionary list of customer tiers (`Customer::tier`).
pub const CUSTOMER_TIER: &str = "customer_tier";
/// The dictionary list of industries (`Customer::industry`).
pub const INDUSTRY: &str = "industry";
/// The dictionary list of customer sources (`Customer::source`).
pub const CUSTOMER_SOURCE: &str = "customer_source";
/// The dictionary list of visit purposes (`Visit::purpose`).
pub const VISIT_PURPOSE: &str = "visit_purpose";
/// The dictionary list of contact roles (`Contact::role`).
pub const CONTACT_ROLE: &str = "contact_role";

/// The built-in fields whose values are codes of a dictionary list: `(kind, field path, list)`.
/// Forms offer the list's active entries; cards show the entry's label.
pub const BOUND_FIELDS: &[(Kind, &str, &str)] = &[
    (Kind::Customer, "tier", CUSTOMER_TIER),
    (Kind::Customer, "industry", INDUSTRY),
    (Kind::Customer, "source", CUSTOMER_SOURCE),
    (Kind::Customer, "contacts.role", CONTACT_ROLE),
    (Kind::Visit, "purpose", VISIT_PURPOSE),
];

/// Longest custom text value, in characters.
pub const MAX_TEXT_LEN: usize = 1_000;
/// Longest dictionary code, in characters.
pub const MAX_CODE_LEN: usize = 64;
/// Longest label or list name, in characters.
pub const MAX_LABEL_LEN: usize = 100;
/// Longest field or list key, in characters.
pub const MAX_KEY_LEN: usize = 40;
/// Most significant digits a custom number may have.
pub const MAX_NUMBER_DIGITS: usize = 30;

/// One entry of a dictionary list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DictEntry {
    /// The stable value stored in documents.
    pub code: String,
    /// Label in Simplified Chinese.
    pub label_zh: String,
    /// Label in English.
    pub label_en: String,
    /// Sort position (ascending).
    pub position: i64,
    /// Offered for new values. Inactive entries stay valid for existing data.
    pub active: bool,
}

impl DictEntry {
    /// The label in `lang` (`zh`… or `en`), falling back to the other language, then the code.
    pub fn label(&self, english: bool) -> &str {
        let (first, second) = if english {
            (&self.label_en, &self.label_zh)
        } else {
            (&self.label_zh, &self.label_en)
        };
        [first, second]
            .into_iter()
            .find(|s| !s.trim().is_empty())
            .map_or(self.code.as_str(), String::as_str)
    }
}

/// A dictionary list: a named set of entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DictList {
    /// Stable key (`customer_tier`, or an admin-chosen `[a-z][a-z0-9_]*`).
    pub key: String,
    /// Name in Simplified Chinese.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
    /// Built-in list (bound to a built-in field; cannot be removed).
    pub system: bool,
    /// Entries by position.
    pub entries: Vec<DictEntry>,
}

impl DictList {
    /// The entry with `code`.
    pub fn entry(&self, code: &str) -> Option<&DictEntry> {
        self.entries.iter().find(|e| e.code == code)
    }

    /// The entries offered for new values, by position.
    pub fn active_entries(&self) -> impl Iterator<Item = &DictEntry> {
        self.entries.iter().filter(|e| e.active)
    }

    /// The name in `lang`, falling back to the other language, then the key.
    pub fn name(&self, english: bool) -> &str {
        let (first, second) = if english {
            (&self.name_en, &self.name_zh)
        } else {
            (&self.name_zh, &self.name_en)
        };
        [first, second]
            .into_iter()
            .find(|s| !s.trim().is_empty())
            .map_or(self.key.as_str(), String::as_str)
    }
}

/// The type of a custom field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// Free text, one line, trimmed, at most [`MAX_TEXT_LEN`] characters.
    Text,
    /// A decimal number, stored as a plain decimal string.
    Number,
    /// A calendar date, stored as `YYYY-MM-DD`.
    Date,
    /// A code of a dictionary list.
    Choice,
}

impl FieldType {
    /// Every type.
    pub const ALL: [FieldType; 4] = [
        FieldType::Text,
        FieldType::Number,
        FieldType::Date,
        FieldType::Choice,
    ];

    /// Stable lowercase name (SQL, JSON).
    pub const fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::Choice => "choice",
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FieldType {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, FieldError> {
        FieldType::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
            .ok_or_else(|| FieldError::new("field_type", format!("unknown field type {s:?}")))
    }
}

/// An admin-defined extra field of a document kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDef {
    /// The kind of document it belongs to.
    pub kind: Kind,
    /// Stable key: the key in the record's `custom` map (`[a-z][a-z0-9_]*`).
    pub key: String,
    /// Label in Simplified Chinese.
    pub label_zh: String,
    /// Label in English.
    pub label_en: String,
    /// Value type.
    pub field_type: FieldType,
    /// For [`FieldType::Choice`]: the dictionary list the codes come from.
    pub list: Option<String>,
    /// Forms must fill it; a value may not be removed.
    pub required: bool,
    /// Shown and writable. Values of an inactive field stay in the documents.
    pub active: bool,
    /// Sort position in forms (ascending).
    pub position: i64,
}

impl FieldDef {
    /// The path of its value in the record (`custom.<key>`).
    pub fn path(&self) -> String {
        format!("custom.{}", self.key)
    }

    /// The label in `lang`, falling back to the other language, then the key.
    pub fn label(&self, english: bool) -> &str {
        let (first, second) = if english {
            (&self.label_en, &self.label_zh)
        } else {
            (&self.label_zh, &self.label_en)
        };
        [first, second]
            .into_iter()
            .find(|s| !s.trim().is_empty())
            .map_or(self.key.as_str(), String::as_str)
    }

    /// Checks the definition itself (key syntax, labels, a list for choices).
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Err(e) = parse_key("key", &self.key) {
            errors.push(e);
        }
        for (field, label) in [("label_zh", &self.label_zh), ("label_en", &self.label_en)] {
            if let Err(e) = check_label(field, label) {
                errors.push(e);
            }
        }
        match (self.field_type, &self.list) {
            (FieldType::Choice, None) => {
                errors.push(FieldError::new("list", "a choice field needs a list"));
            }
            (FieldType::Choice, Some(_)) | (_, None) => {}
            (_, Some(_)) => errors.push(FieldError::new(
                "list",
                "only choice fields take a dictionary list",
            )),
        }
        errors
    }
}

/// How [`Reference::check`] treats required fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Required {
    /// Every active required field must have a value (forms).
    Always,
    /// Only removing the value of an active required field is refused (device pushes and other
    /// writes whose author may not have known the field when it wrote).
    NotRemoved,
}

/// The dictionary and the custom field definitions, with a version that changes whenever any of
/// it changes (a hash of the content: the same on every server process).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reference {
    /// Content version (hex), used as the HTTP entity tag.
    pub version: String,
    /// Every dictionary list, by key, entries by position.
    pub lists: Vec<DictList>,
    /// Every custom field definition, by kind then position.
    pub fields: Vec<FieldDef>,
}

impl Reference {
    /// Builds a reference from lists and fields, computing its version.
    pub fn new(lists: Vec<DictList>, fields: Vec<FieldDef>) -> Reference {
        let mut r = Reference {
            version: String::new(),
            lists,
            fields,
        };
        r.version = r.content_version();
        r
    }

    /// The hash of the lists and fields (16 hex digits).
    pub fn content_version(&self) -> String {
        let bytes = serde_json::to_vec(&(&self.lists, &self.fields)).unwrap_or_default();
        hex::encode(&Sha256::digest(&bytes)[..8])
    }

    /// The list with `key`.
    pub fn list(&self, key: &str) -> Option<&DictList> {
        self.lists.iter().find(|l| l.key == key)
    }

    /// The definition of custom field `key` of `kind`.
    pub fn field(&self, kind: Kind, key: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.kind == kind && f.key == key)
    }

    /// The definitions of `kind`, by position (active or not).
    pub fn fields_of(&self, kind: Kind) -> impl Iterator<Item = &FieldDef> {
        self.fields.iter().filter(move |f| f.kind == kind)
    }

    /// The active definitions of `kind`, by position (what forms show).
    pub fn active_fields(&self, kind: Kind) -> impl Iterator<Item = &FieldDef> {
        self.fields_of(kind).filter(|f| f.active)
    }

    /// The label of `code` in list `list` (the code itself when unknown; empty stays empty).
    pub fn label<'a>(&'a self, list: &str, code: &'a str, english: bool) -> &'a str {
        self.list(list)
            .and_then(|l| l.entry(code))
            .map_or(code, |e| e.label(english))
    }

    /// The canonical form of `raw` for field `def`, or why it is not a valid value. An empty
    /// (blank) input gives `Ok(None)`: no value.
    pub fn canonical(&self, def: &FieldDef, raw: &str) -> Result<Option<String>, FieldError> {
        let path = def.path();
        let text = raw.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let value = match def.field_type {
            FieldType::Text => {
                if text.chars().count() > MAX_TEXT_LEN {
                    return Err(FieldError::new(
                        path,
                        format!("longer than {MAX_TEXT_LEN} characters"),
                    ));
                }
                if text.chars().any(char::is_control) {
                    return Err(FieldError::new(path, "must be one line of text"));
                }
                text.to_owned()
            }
            FieldType::Number => canonical_decimal(text)
                .ok_or_else(|| FieldError::new(path, format!("not a number: {text:?}")))?,
            FieldType::Date => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|d| d.format("%Y-%m-%d").to_string())
                .map_err(|_| FieldError::new(path, format!("not a YYYY-MM-DD date: {text:?}")))?,
            FieldType::Choice => {
                let list = def
                    .list
                    .as_deref()
                    .and_then(|l| self.list(l))
                    .ok_or_else(|| FieldError::new(&path, "its dictionary list is missing"))?;
                match list.entry(text) {
                    Some(e) if e.active => text.to_owned(),
                    Some(_) => {
                        return Err(FieldError::new(
                            path,
                            format!("{text:?} is no longer offered"),
                        ));
                    }
                    None => {
                        return Err(FieldError::new(
                            path,
                            format!("{text:?} is not an entry of the list"),
                        ));
                    }
                }
            }
        };
        Ok(Some(value))
    }

    /// Checks the custom values of a record (typed JSON; `before` is `None` for a new record)
    /// against the definitions: every value the write changed must belong to an active field and
    /// be valid and canonical; required fields per `required`. Each error names `custom.<key>`.
    pub fn check(
        &self,
        kind: Kind,
        before: Option<&Value>,
        after: &Value,
        required: Required,
    ) -> Vec<FieldError> {
        let empty = serde_json::Map::new();
        let old = custom_map(before).unwrap_or(&empty);
        let new = custom_map(Some(after)).unwrap_or(&empty);
        let mut errors = Vec::new();
        for (key, value) in new {
            if old.get(key) == Some(value) {
                continue;
            }
            let path = format!("custom.{key}");
            let Some(def) = self.field(kind, key) else {
                errors.push(FieldError::new(path, "no such custom field"));
                continue;
            };
            if !def.active {
                errors.push(FieldError::new(path, "this field is no longer in use"));
                continue;
            }
            let Some(text) = value.as_str() else {
                errors.push(FieldError::new(path, "must be a string"));
                continue;
            };
            match self.canonical(def, text) {
                Ok(Some(c)) if c == text => {}
                Ok(Some(c)) => errors.push(FieldError::new(
                    path,
                    format!("must be written in canonical form {c:?}"),
                )),
                Ok(None) => errors.push(FieldError::new(
                    path,
                    "an empty value is written by removing the key",
                )),
                Err(e) => errors.push(e),
            }
        }
        for def in self.active_fields(kind).filter(|d| d.required) {
            let has = |m: &serde_json::Map<String, Value>| {
                m.get(&def.key)
                    .and_then(Value::as_str)
                    .is_some_and(|s| !s.trim().is_empty())
            };
            let missing = match required {
                Required::Always => !has(new),
                Required::NotRemoved => has(old) && !has(new),
            };
            if missing {
                errors.push(FieldError::new(def.path(), "is required"));
            }
        }
        errors
    }

    /// Canonicalises, in place, the custom values of `after` that differ from `before` (so
    /// `12.50` typed on a phone is stored as `12.5`), removing blank ones. Values that do not
    /// canonicalise are left for [`Reference::check`] to report.
    pub fn canonicalize(&self, kind: Kind, before: Option<&Value>, after: &mut Value) {
        let old: BTreeMap<String, Value> = before
            .and_then(|v| v.get("custom"))
            .and_then(Value::as_object)
            .map(|m| m.clone().into_iter().collect())
            .unwrap_or_default();
        let Some(new) = after.get_mut("custom").and_then(Value::as_object_mut) else {
            return;
        };
        let keys: Vec<String> = new.keys().cloned().collect();
        for key in keys {
            if old.get(&key) == new.get(&key) {
                continue;
            }
            let Some(def) = self.field(kind, &key) else {
                continue;
            };
            let Some(text) = new.get(&key).and_then(Value::as_str).map(str::to_owned) else {
                continue;
            };
            match self.canonical(def, &text) {
                Ok(Some(c)) => {
                    new.insert(key, Value::String(c));
                }
                Ok(None) => {
                    new.remove(&key);
                }
                Err(_) => {}
            }
        }
    }
}

/// The `custom` map of a record's typed JSON.
fn custom_map(record: Option<&Value>) -> Option<&serde_json::Map<String, Value>> {
    record
        .and_then(|v| v.get("custom"))
        .and_then(Value::as_object)
}

/// Checks a field or list key: 1–[`MAX_KEY_LEN`] characters `[a-z0-9_]`, starting with a letter.
pub fn parse_key(field: &str, s: &str) -> Result<String, FieldError> {
    let s = s.trim();
    let mut chars = s.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.len() <= MAX_KEY_LEN;
    if ok {
        Ok(s.to_owned())
    } else {
        Err(FieldError::new(
            field,
            format!(
                "a key is 1–{MAX_KEY_LEN} characters a–z, 0–9 and _, starting with a letter: {s:?}"
            ),
        ))
    }
}

/// Checks a dictionary code: 1–[`MAX_CODE_LEN`] characters, letters, digits, `_`, `-`, `.`
/// (ASCII), stable once used.
pub fn parse_code(s: &str) -> Result<String, FieldError> {
    let s = s.trim();
    let ok = !s.is_empty()
        && s.len() <= MAX_CODE_LEN
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(s.to_owned())
    } else {
        Err(FieldError::new(
            "code",
            format!("a code is 1–{MAX_CODE_LEN} characters A–Z, a–z, 0–9, _, - and .: {s:?}"),
        ))
    }
}

/// Checks a label or a list name: not blank, at most [`MAX_LABEL_LEN`] characters, one line.
pub fn check_label(field: &str, s: &str) -> Result<(), FieldError> {
    if s.trim().is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if s.chars().count() > MAX_LABEL_LEN {
        return Err(FieldError::new(
            field,
            format!("longer than {MAX_LABEL_LEN} characters"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(FieldError::new(field, "must be one line of text"));
    }
    Ok(())
}

/// The canonical plain decimal form of `s` (`+007.50` → `7.5`, `-0` → `0`), or `None` when it is
/// not a plain decimal number (no exponent, no grouping, at most [`MAX_NUMBER_DIGITS`] digits).
pub fn canonical_decimal(s: &str) -> Option<String> {
    let s = s.trim();
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, f),
        None => (digits, ""),
    };
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    if int.len() + frac.len() > MAX_NUMBER_DIGITS {
        return None;
    }
    let int = if int.is_empty() { "0" } else { int };
    let zero = int == "0" && frac.is_empty();
    let mut out = String::with_capacity(int.len() + frac.len() + 2);
    if negative && !zero {
        out.push('-');
    }
    out.push_str(int);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(code: &str, active: bool) -> DictEntry {
        DictEntry {
            code: code.into(),
            label_zh: format!("{code} 中文"),
            label_en: format!("{code} en"),
            position: 0,
            active,
        }
    }

    fn def(key: &str, t: FieldType, required: bool) -> FieldDef {
        FieldDef {
            kind: Kind::Customer,
            key: key.into(),
            label_zh: key.into(),
            label_en: key.into(),
            field_type: t,
            list: (t == FieldType::Choice).then(|| "vip_level".to_owned()),
            required,
            active: true,
            position: 0,
        }
    }

    fn reference() -> Reference {
        Reference::new(
            vec![DictList {
                key: "vip_level".into(),
                name_zh: "会员等级".into(),
                name_en: "VIP level".into(),
                system: false,
                entries: vec![entry("gold", true), entry("tin", false)],
            }],
            vec![
                def("erp_no", FieldType::Text, false),
                def("credit", FieldType::Number, false),
                def("since", FieldType::Date, false),
                def("vip", FieldType::Choice, true),
                FieldDef {
                    active: false,
                    ..def("old", FieldType::Text, false)
                },
            ],
        )
    }

    #[test]
    fn decimals_canonicalise() {
        for (raw, want) in [
            ("12", "12"),
            ("12.50", "12.5"),
            ("+007.0", "7"),
            ("-0.000", "0"),
            ("-3.25", "-3.25"),
            (".5", "0.5"),
            ("5.", "5"),
            (" 1000 ", "1000"),
        ] {
            assert_eq!(canonical_decimal(raw).as_deref(), Some(want), "{raw}");
        }
        for bad in [
            "", "-", ".", "1e5", "1,000", "NaN", "inf", "1.2.3", "--1", "12a", "１２",
        ] {
            assert_eq!(canonical_decimal(bad), None, "{bad}");
        }
        assert_eq!(canonical_decimal(&"9".repeat(31)), None);
    }

    #[test]
    fn values_canonicalise_per_type() {
        let r = reference();
        let d = |k: &str| r.field(Kind::Customer, k).unwrap();
        assert_eq!(
            r.canonical(d("erp_no"), "  X-1 ").unwrap().as_deref(),
            Some("X-1")
        );
        assert_eq!(r.canonical(d("erp_no"), "   ").unwrap(), None);
        assert!(r.canonical(d("erp_no"), "a\u{0}b").is_err());
        assert!(r.canonical(d("erp_no"), &"x".repeat(1001)).is_err());
        assert_eq!(
            r.canonical(d("credit"), "0100.10").unwrap().as_deref(),
            Some("100.1")
        );
        assert!(r.canonical(d("credit"), "lots").is_err());
        assert_eq!(
            r.canonical(d("since"), "2024-3-5").unwrap().as_deref(),
            Some("2024-03-05")
        );
        assert!(r.canonical(d("since"), "2024-02-30").is_err());
        assert!(r.canonical(d("since"), "05/03/2024").is_err());
        assert_eq!(
            r.canonical(d("vip"), "gold").unwrap().as_deref(),
            Some("gold")
        );
        let e = r.canonical(d("vip"), "tin").unwrap_err();
        assert!(e.message.contains("no longer offered"), "{e}");
        assert!(r.canonical(d("vip"), "platinum").is_err());
        assert_eq!(e.field, "custom.vip");
    }

    #[test]
    fn only_changed_values_are_checked() {
        let r = reference();
        // An old value of a retired entry and of a retired field stay valid while unchanged.
        let before = json!({"custom": {"vip": "tin", "old": "x"}});
        let after = json!({"custom": {"vip": "tin", "old": "x", "credit": "5"}});
        assert!(
            r.check(Kind::Customer, Some(&before), &after, Required::NotRemoved)
                .is_empty()
        );
        // Writing them anew is refused.
        let fresh = r.check(Kind::Customer, None, &before, Required::NotRemoved);
        let paths: Vec<&str> = fresh.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(paths, vec!["custom.old", "custom.vip"]);
    }

    #[test]
    fn invalid_unknown_and_uncanonical_values_are_errors() {
        let r = reference();
        let after = json!({"custom": {
            "credit": "12.50", "since": "soon", "nope": "1", "erp_no": "", "vip": 5
        }});
        let errors = r.check(Kind::Customer, None, &after, Required::NotRemoved);
        let paths: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "custom.credit",
                "custom.erp_no",
                "custom.nope",
                "custom.since",
                "custom.vip"
            ]
        );
        assert!(errors[0].message.contains("\"12.5\""), "{}", errors[0]);
        // The same field of another kind is unknown.
        let visit = r.check(
            Kind::Visit,
            None,
            &json!({"custom": {"credit": "1"}}),
            Required::Always,
        );
        assert_eq!(visit.len(), 1);
    }

    #[test]
    fn required_fields_per_mode() {
        let r = reference();
        let without = json!({"custom": {}});
        let with = json!({"custom": {"vip": "gold"}});
        assert_eq!(
            r.check(Kind::Customer, None, &without, Required::Always)
                .len(),
            1
        );
        assert!(
            r.check(Kind::Customer, None, &without, Required::NotRemoved)
                .is_empty()
        );
        assert!(
            r.check(
                Kind::Customer,
                Some(&without),
                &without,
                Required::NotRemoved
            )
            .is_empty()
        );
        let removed = r.check(Kind::Customer, Some(&with), &without, Required::NotRemoved);
        assert_eq!(removed[0].field, "custom.vip");
        assert!(
            r.check(Kind::Customer, None, &with, Required::Always)
                .is_empty()
        );
    }

    #[test]
    fn canonicalize_rewrites_changed_values_only() {
        let r = reference();
        let before = json!({"custom": {"credit": "007"}});
        let mut after =
            json!({"custom": {"credit": "007", "since": "2024-1-2", "erp_no": "  ", "x": "y"}});
        r.canonicalize(Kind::Customer, Some(&before), &mut after);
        assert_eq!(
            after,
            json!({"custom": {"credit": "007", "since": "2024-01-02", "x": "y"}})
        );
    }

    #[test]
    fn keys_codes_labels_and_definitions() {
        assert!(parse_key("key", "vip_level2").is_ok());
        for bad in ["", "2x", "A", "a-b", "a b", "é", &"a".repeat(41)] {
            assert!(parse_key("key", bad).is_err(), "{bad}");
        }
        assert_eq!(parse_code(" A ").unwrap(), "A");
        for bad in ["", "a b", "<script>", "零售"] {
            assert!(parse_code(bad).is_err(), "{bad}");
        }
        assert!(check_label("l", "会员").is_ok());
        assert!(check_label("l", " ").is_err());
        assert!(def("vip", FieldType::Choice, false).check().is_empty());
        let no_list = FieldDef {
            list: None,
            ..def("vip", FieldType::Choice, false)
        };
        assert_eq!(no_list.check().len(), 1);
        let stray_list = FieldDef {
            list: Some("x".into()),
            ..def("n", FieldType::Number, false)
        };
        assert_eq!(stray_list.check().len(), 1);
        assert_eq!("date".parse::<FieldType>().unwrap(), FieldType::Date);
        assert!("blob".parse::<FieldType>().is_err());
    }

    #[test]
    fn versions_follow_content_and_labels_fall_back() {
        let a = reference();
        let mut b = reference();
        assert_eq!(a.version, b.version);
        b.lists[0].entries[0].label_en = "Gold".into();
        assert_ne!(
            Reference::new(b.lists.clone(), b.fields.clone()).version,
            a.version
        );
        assert_eq!(a.label("vip_level", "gold", true), "gold en");
        assert_eq!(a.label("vip_level", "gold", false), "gold 中文");
        assert_eq!(a.label("vip_level", "legacy", true), "legacy");
        let e = DictEntry {
            label_en: String::new(),
            ..entry("x", true)
        };
        assert_eq!(e.label(true), "x 中文");
    }
}

//! Dictionary-bound and custom fields in the back office's record forms and cards: the options of
//! a select bound to a dictionary list, the typed inputs of a kind's custom fields, reading and
//! checking them from a submitted form (canonical values, messages per field), and the labelled
//! values a card shows. The definitions come from [`crate::db::schema::reference`].

use std::collections::BTreeMap;

use fieldcrm_core::document::Kind;
use fieldcrm_core::schema::{FieldType, Reference};
use serde_json::{Value, json};

use super::i18n::{Lang, Tr};

/// Prefix of a custom field's form input name (`custom.<key>`).
pub const INPUT_PREFIX: &str = "custom.";

/// One option of a select.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opt {
    /// The code submitted.
    pub code: String,
    /// The label shown.
    pub label: String,
    /// Selected.
    pub selected: bool,
}

/// Options of a select bound to dictionary list `list`: its active entries, plus the current value
/// when it is an inactive entry or not an entry at all (kept as it is, so saving does not lose
/// it). The first option is empty (no value).
pub fn options(reference: &Reference, list: &str, current: &str, tr: Tr) -> Vec<Opt> {
    let english = tr.0 == Lang::En;
    let mut out = vec![Opt {
        code: String::new(),
        label: String::new(),
        selected: current.is_empty(),
    }];
    let entries = reference
        .list(list)
        .map(|l| l.entries.as_slice())
        .unwrap_or(&[]);
    for e in entries {
        if e.active || e.code == current {
            let label = if e.active {
                e.label(english).to_owned()
            } else {
                format!("{} ({})", e.label(english), tr.t("schema.inactive"))
            };
            out.push(Opt {
                selected: e.code == current,
                code: e.code.clone(),
                label,
            });
        }
    }
    if !current.is_empty() && !entries.iter().any(|e| e.code == current) {
        out.push(Opt {
            code: current.to_owned(),
            label: current.to_owned(),
            selected: true,
        });
    }
    out
}

/// Checks a submitted value of a dictionary-bound field: empty, an active entry, or unchanged.
pub fn check_bound(
    reference: &Reference,
    list: &str,
    value: &str,
    current: &str,
) -> Result<(), String> {
    let active = reference
        .list(list)
        .and_then(|l| l.entry(value))
        .is_some_and(|e| e.active);
    if value.is_empty() || value == current || active {
        Ok(())
    } else {
        Err(value.chars().take(64).collect())
    }
}

/// A custom field's input in a form.
#[derive(Clone, Debug)]
pub struct CustomInput {
    /// The input's name (`custom.<key>`).
    pub name: String,
    /// The input's id (`cf-<key>`).
    pub id: String,
    /// The label.
    pub label: String,
    /// `text`, `number`, `date` or `choice`.
    pub input: &'static str,
    /// Must be filled.
    pub required: bool,
    /// The value shown (as submitted, or the stored canonical value).
    pub value: String,
    /// For choices: the options.
    pub options: Vec<Opt>,
}

/// The inputs of the active custom fields of `kind`, filled from `values` (input name → text).
pub fn inputs(
    reference: &Reference,
    kind: Kind,
    values: &BTreeMap<String, String>,
    tr: Tr,
) -> Vec<CustomInput> {
    let english = tr.0 == Lang::En;
    reference
        .active_fields(kind)
        .map(|d| {
            let name = format!("{INPUT_PREFIX}{}", d.key);
            let value = values.get(&name).cloned().unwrap_or_default();
            let options = match (d.field_type, &d.list) {
                (FieldType::Choice, Some(list)) => options(reference, list, &value, tr),
                _ => Vec::new(),
            };
            CustomInput {
                id: format!("cf-{}", d.key),
                label: d.label(english).to_owned(),
                input: d.field_type.as_str(),
                required: d.required,
                value,
                options,
                name,
            }
        })
        .collect()
}

/// The form values (input name → stored value) of a record's custom map.
pub fn form_values(custom: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    custom
        .iter()
        .map(|(k, v)| (format!("{INPUT_PREFIX}{k}"), v.clone()))
        .collect()
}

/// Reads the active custom fields of `kind` from a submitted form into canonical values
/// (`None`: no value), with one message per invalid or missing required field. A choice that
/// is no longer offered is accepted when it is the record's current value.
pub fn read(
    reference: &Reference,
    kind: Kind,
    submitted: &BTreeMap<String, String>,
    current: &BTreeMap<String, String>,
    tr: Tr,
) -> Result<BTreeMap<String, Option<String>>, Vec<String>> {
    let english = tr.0 == Lang::En;
    let mut values = BTreeMap::new();
    let mut errors = Vec::new();
    for d in reference.active_fields(kind) {
        let raw = submitted
            .get(&format!("{INPUT_PREFIX}{}", d.key))
            .map_or("", String::as_str);
        let label = d.label(english);
        let value = if current.get(&d.key).is_some_and(|c| c == raw.trim()) {
            Ok(Some(raw.trim().to_owned()))
        } else {
            reference.canonical(d, raw)
        };
        match value {
            Ok(None) if d.required => {
                errors.push(format!("{label}: {}", tr.t("schema.required")));
            }
            Ok(v) => {
                values.insert(d.key.clone(), v);
            }
            Err(_) => errors.push(format!("{label}: {}", invalid_message(tr, d.field_type))),
        }
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

fn invalid_message(tr: Tr, t: FieldType) -> String {
    let key = match t {
        FieldType::Text => "schema.invalid_text",
        FieldType::Number => "schema.invalid_number",
        FieldType::Date => "schema.invalid_date",
        FieldType::Choice => "schema.invalid_choice",
    };
    tr.t(key).to_owned()
}

/// Writes values read by [`read`] into a record's typed JSON (`custom` map): sets or removes
/// each active field's key; other keys (inactive fields) stay as they are.
pub fn apply(record: &mut Value, values: &BTreeMap<String, Option<String>>) {
    if !record["custom"].is_object() {
        record["custom"] = json!({});
    }
    if let Some(map) = record["custom"].as_object_mut() {
        for (k, v) in values {
            match v {
                Some(v) => {
                    map.insert(k.clone(), Value::String(v.clone()));
                }
                None => {
                    map.remove(k);
                }
            }
        }
    }
}

/// A custom value on a card.
#[derive(Clone, Debug)]
pub struct Shown {
    /// Label of the field (its key when it has no definition).
    pub label: String,
    /// The value (a choice's label).
    pub value: String,
    /// The input id it belongs to (`cf-<key>`), for tests and anchors.
    pub id: String,
}

/// The custom values of a record, labelled, in the definitions' order (values without a
/// definition last, by key).
pub fn shown(
    reference: &Reference,
    kind: Kind,
    custom: &BTreeMap<String, String>,
    tr: Tr,
) -> Vec<Shown> {
    let english = tr.0 == Lang::En;
    let mut out: Vec<Shown> = reference
        .fields_of(kind)
        .filter_map(|d| {
            let v = custom.get(&d.key)?;
            let value = match (d.field_type, &d.list) {
                (FieldType::Choice, Some(list)) => reference.label(list, v, english).to_owned(),
                _ => v.clone(),
            };
            Some(Shown {
                label: d.label(english).to_owned(),
                value,
                id: format!("cf-{}", d.key),
            })
        })
        .collect();
    out.extend(
        custom
            .iter()
            .filter(|(k, _)| reference.field(kind, k).is_none())
            .map(|(k, v)| Shown {
                label: k.clone(),
                value: v.clone(),
                id: format!("cf-{k}"),
            }),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldcrm_core::schema::{DictEntry, DictList, FieldDef};

    fn reference() -> Reference {
        let e = |code: &str, active| DictEntry {
            code: code.into(),
            label_zh: format!("{code}级"),
            label_en: format!("Level {code}"),
            position: 0,
            active,
        };
        let f = |key: &str, t, list: Option<&str>, required| FieldDef {
            kind: Kind::Customer,
            key: key.into(),
            label_zh: key.into(),
            label_en: key.to_uppercase(),
            field_type: t,
            list: list.map(str::to_owned),
            required,
            active: true,
            position: 0,
        };
        Reference::new(
            vec![DictList {
                key: "lvl".into(),
                name_zh: "级".into(),
                name_en: "Level".into(),
                system: false,
                entries: vec![e("1", true), e("0", false)],
            }],
            vec![
                f("n", FieldType::Number, None, false),
                f("d", FieldType::Date, None, false),
                f("lvl", FieldType::Choice, Some("lvl"), true),
            ],
        )
    }

    #[test]
    fn options_keep_the_current_value() {
        let r = reference();
        let tr = Tr(Lang::En);
        let codes = |o: Vec<Opt>| o.into_iter().map(|o| o.code).collect::<Vec<_>>();
        assert_eq!(codes(options(&r, "lvl", "", tr)), vec!["", "1"]);
        let with_inactive = options(&r, "lvl", "0", tr);
        assert!(with_inactive[2].selected && with_inactive[2].label.contains("inactive"));
        assert_eq!(
            codes(options(&r, "lvl", "legacy", tr)),
            vec!["", "1", "legacy"]
        );
        assert!(check_bound(&r, "lvl", "0", "").is_err());
        assert!(check_bound(&r, "lvl", "0", "0").is_ok());
        assert!(check_bound(&r, "lvl", "1", "").is_ok());
    }

    #[test]
    fn forms_read_canonical_values_and_messages() {
        let r = reference();
        let tr = Tr(Lang::En);
        let form: BTreeMap<String, String> = [
            ("custom.n", " 1.50 "),
            ("custom.d", "2025-1-9"),
            ("custom.lvl", "1"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let values = read(&r, Kind::Customer, &form, &BTreeMap::new(), tr).unwrap();
        assert_eq!(values["n"].as_deref(), Some("1.5"));
        assert_eq!(values["d"].as_deref(), Some("2025-01-09"));
        let mut record = json!({"custom": {"old": "x"}});
        apply(&mut record, &values);
        assert_eq!(
            record["custom"],
            json!({"old": "x", "n": "1.5", "d": "2025-01-09", "lvl": "1"})
        );
        let bad: BTreeMap<String, String> = [("custom.n", "many"), ("custom.d", "tomorrow")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let errors = read(&r, Kind::Customer, &bad, &BTreeMap::new(), tr).unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors.iter().any(|e| e.starts_with("LVL:")));
        // An inactive choice the record already holds stays.
        let keep: BTreeMap<String, String> = [("custom.lvl".to_owned(), "0".to_owned())].into();
        let current: BTreeMap<String, String> = [("lvl".to_owned(), "0".to_owned())].into();
        assert!(read(&r, Kind::Customer, &keep, &current, tr).is_ok());
        assert!(read(&r, Kind::Customer, &keep, &BTreeMap::new(), tr).is_err());
    }

    #[test]
    fn cards_show_labels() {
        let r = reference();
        let custom: BTreeMap<String, String> = [("lvl", "1"), ("zz", "raw")]
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        let s = shown(&r, Kind::Customer, &custom, Tr(Lang::Zh));
        assert_eq!((s[0].label.as_str(), s[0].value.as_str()), ("lvl", "1级"));
        assert_eq!((s[1].label.as_str(), s[1].value.as_str()), ("zz", "raw"));
    }
}

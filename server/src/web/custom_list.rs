//! Custom fields of the customer kind in the customer list and its export: their columns (key
//! `cf.<key>`, the value formatted for reading: a choice's label in the user's language, a date
//! as `YYYY-MM-DD`, a number with digit grouping), their filters and the filter form's inputs.
//!
//! A filter is carried by the list's query string (so it survives pages, saved filters, the
//! export and "reassign all matching"), one parameter per bound:
//! - choice: `cf.<key>=<code>`;
//! - text: `cf.<key>=<text>` with `cf.<key>.match=equals` (exact) or nothing (contains);
//! - number: `cf.<key>.min=<n>` and/or `cf.<key>.max=<n>` (inclusive);
//! - date: `cf.<key>.from=YYYY-MM-DD` and/or `cf.<key>.to=YYYY-MM-DD` (inclusive).
//!
//! They become [`CustomCond`]s of the list's [`crate::db::customer_list::CustomerFilter`], so
//! they combine with every other filter, the data scope and keyset pages.

use std::collections::BTreeMap;

use fieldcrm_core::document::Kind;
use fieldcrm_core::schema::{FieldDef, FieldType, Reference, canonical_decimal};

use super::WebError;
use super::custom_fields::{Opt, options};
use super::i18n::{Lang, Tr};
use crate::db::customer_list::{CustomCond, CustomTest};

/// Prefix of the custom filters' query parameters and of the custom columns' keys.
pub const PREFIX: &str = "cf.";

/// Longest text filter, in characters.
const MAX_TEXT_FILTER: usize = 200;

/// The column key (and filter parameter) of a custom field: `cf.<key>`.
pub fn column_key(def: &FieldDef) -> String {
    format!("{PREFIX}{}", def.key)
}

/// The parameter `cf.<key>` (`part` empty) or `cf.<key>.<part>`.
fn param(key: &str, part: &str) -> String {
    if part.is_empty() {
        format!("{PREFIX}{key}")
    } else {
        format!("{PREFIX}{key}.{part}")
    }
}

/// The trimmed, non-empty value of parameter `cf.<key>[.<part>]`.
fn get<'a>(params: &'a BTreeMap<String, String>, key: &str, part: &str) -> Option<&'a str> {
    params
        .get(&param(key, part))
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
}

/// The custom filter parameters of a query worth keeping: `cf.…` with a value, trimmed; a text's
/// `.match` only when it says `equals` and the text is there.
pub fn clean_params(params: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    params
        .iter()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix(PREFIX)?;
            let v = v.trim();
            if v.is_empty() {
                return None;
            }
            if let Some(key) = rest.strip_suffix(".match")
                && (v != "equals" || get(params, key, "").is_none())
            {
                return None;
            }
            Some((k.clone(), v.to_owned()))
        })
        .collect()
}

fn bad(what: &str) -> WebError {
    WebError::BadRequest(what.into())
}

fn number(v: Option<&str>) -> Result<Option<String>, WebError> {
    v.map(|v| canonical_decimal(v).ok_or_else(|| bad("number")))
        .transpose()
}

fn date(v: Option<&str>) -> Result<Option<String>, WebError> {
    v.map(|v| {
        chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(|d| d.format("%Y-%m-%d").to_string())
            .map_err(|_| bad("date"))
    })
    .transpose()
}

/// The conditions the parameters ask for, on the customer fields of `reference` — active or
/// not, so a saved filter keeps its meaning after a field is retired. Parameters naming no field
/// are ignored like any unknown parameter; a number or a date that does not parse is a bad
/// request.
pub fn conditions(
    reference: &Reference,
    params: &BTreeMap<String, String>,
) -> Result<Vec<CustomCond>, WebError> {
    let mut out = Vec::new();
    for def in reference.fields_of(Kind::Customer) {
        let key = def.key.as_str();
        let text = || -> Option<String> {
            get(params, key, "").map(|v| v.chars().take(MAX_TEXT_FILTER).collect())
        };
        let test = match def.field_type {
            FieldType::Choice => text().map(CustomTest::Equals),
            FieldType::Text => text().map(|v| {
                if get(params, key, "match") == Some("equals") {
                    CustomTest::Equals(v)
                } else {
                    CustomTest::Contains(v)
                }
            }),
            FieldType::Number => {
                let min = number(get(params, key, "min"))?;
                let max = number(get(params, key, "max"))?;
                (min.is_some() || max.is_some()).then_some(CustomTest::NumberRange { min, max })
            }
            FieldType::Date => {
                let from = date(get(params, key, "from"))?;
                let to = date(get(params, key, "to"))?;
                (from.is_some() || to.is_some()).then_some(CustomTest::DateRange { from, to })
            }
        };
        if let Some(test) = test {
            out.push(CustomCond {
                key: def.key.clone(),
                test,
            });
        }
    }
    Ok(out)
}

/// One custom field's inputs in the list's filter form.
#[derive(Clone, Debug)]
pub struct FilterInput {
    /// The field's key (element ids are `cff-<key>…`).
    pub key: String,
    /// The label.
    pub label: String,
    /// `text`, `number`, `date` or `choice`.
    pub input: &'static str,
    /// The first input's name: `cf.<key>` (choice, text), `cf.<key>.min` or `cf.<key>.from`.
    pub name: String,
    /// The second input's name (`cf.<key>.match`, `.max`, `.to`; empty for a choice).
    pub name2: String,
    /// The first input's value.
    pub value: String,
    /// The second input's value.
    pub value2: String,
    /// For choices: the options (the first one empty: any).
    pub options: Vec<Opt>,
}

/// The filter inputs of the customer fields: the active ones, and retired ones the query uses
/// (so a saved filter shows what it filters on), filled from the query's parameters.
pub fn filter_inputs(
    reference: &Reference,
    params: &BTreeMap<String, String>,
    tr: Tr,
) -> Vec<FilterInput> {
    let english = tr.0 == Lang::En;
    reference
        .fields_of(Kind::Customer)
        .filter(|d| {
            d.active
                || params.iter().any(|(k, v)| {
                    let own = k
                        .strip_prefix(PREFIX)
                        .map(|rest| rest.split_once('.').map_or(rest, |(key, _)| key));
                    own == Some(d.key.as_str()) && !v.trim().is_empty()
                })
        })
        .map(|d| {
            let key = d.key.as_str();
            let value = |part: &str| get(params, key, part).unwrap_or_default().to_owned();
            let (first, second) = match d.field_type {
                FieldType::Choice => ("", ""),
                FieldType::Text => ("", "match"),
                FieldType::Number => ("min", "max"),
                FieldType::Date => ("from", "to"),
            };
            let options = match (d.field_type, &d.list) {
                (FieldType::Choice, Some(list)) => options(reference, list, &value(""), tr),
                _ => Vec::new(),
            };
            FilterInput {
                key: d.key.clone(),
                label: d.label(english).to_owned(),
                input: d.field_type.as_str(),
                name: param(key, first),
                name2: if second.is_empty() {
                    String::new()
                } else {
                    param(key, second)
                },
                value: value(first),
                value2: if second.is_empty() {
                    String::new()
                } else {
                    value(second)
                },
                options,
            }
        })
        .collect()
}

/// A canonical decimal with its integer digits grouped by thousands (`-1234567.5` →
/// `-1,234,567.5`); anything else as it is.
pub fn format_number(value: &str) -> String {
    if canonical_decimal(value).as_deref() != Some(value) {
        return value.to_owned();
    }
    let (sign, digits) = match value.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", value),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let mut grouped = String::with_capacity(int.len() + int.len() / 3 + 2);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// How a cell is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellUse {
    /// On the page: numbers grouped.
    Page,
    /// In an export: numbers plain, so a spreadsheet reads them as numbers.
    Export,
}

/// The text of a custom value in a list cell or an export (empty when the record has none).
pub fn cell_text(
    reference: &Reference,
    def: &FieldDef,
    value: Option<&String>,
    english: bool,
    used: CellUse,
) -> String {
    let Some(value) = value else {
        return String::new();
    };
    match (def.field_type, &def.list) {
        (FieldType::Choice, Some(list)) => reference.label(list, value, english).to_owned(),
        (FieldType::Number, _) if used == CellUse::Page => format_number(value),
        _ => value.clone(),
    }
}

/// (key, zh-CN, English): the custom filters' messages.
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("clist.contains", "包含", "contains"),
    ("clist.equals", "等于", "equals"),
    ("clist.min", "最小", "min"),
    ("clist.max", "最大", "max"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use fieldcrm_core::schema::{DictEntry, DictList};

    fn reference() -> Reference {
        let f = |key: &str, t, list: Option<&str>, active| FieldDef {
            kind: Kind::Customer,
            key: key.into(),
            label_zh: format!("{key}字段"),
            label_en: key.to_uppercase(),
            field_type: t,
            list: list.map(str::to_owned),
            required: false,
            active,
            position: 0,
        };
        Reference::new(
            vec![DictList {
                key: "lvl".into(),
                name_zh: "级".into(),
                name_en: "Level".into(),
                system: false,
                entries: vec![DictEntry {
                    code: "g".into(),
                    label_zh: "金".into(),
                    label_en: "Gold".into(),
                    position: 0,
                    active: true,
                }],
            }],
            vec![
                f("lvl", FieldType::Choice, Some("lvl"), true),
                f("note", FieldType::Text, None, true),
                f("size", FieldType::Number, None, true),
                f("since", FieldType::Date, None, true),
                f("old", FieldType::Text, None, false),
            ],
        )
    }

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn parameters_become_conditions() {
        let r = reference();
        let p = params(&[
            ("cf.lvl", "g"),
            ("cf.note", " 华联 "),
            ("cf.size.min", "+010.50"),
            ("cf.since.to", "2026-3-9"),
            ("cf.old", "x"),
            ("cf.old.match", "equals"),
            ("cf.nope", "ignored"),
            ("cf.size.max", " "),
        ]);
        let c = conditions(&r, &p).unwrap();
        let test = |k: &str| c.iter().find(|c| c.key == k).map(|c| c.test.clone());
        assert_eq!(test("lvl"), Some(CustomTest::Equals("g".into())));
        assert_eq!(test("note"), Some(CustomTest::Contains("华联".into())));
        assert_eq!(
            test("size"),
            Some(CustomTest::NumberRange {
                min: Some("10.5".into()),
                max: None
            })
        );
        assert_eq!(
            test("since"),
            Some(CustomTest::DateRange {
                from: None,
                to: Some("2026-03-09".into())
            })
        );
        // A retired field still filters (a saved filter keeps its meaning).
        assert_eq!(test("old"), Some(CustomTest::Equals("x".into())));
        assert_eq!(c.len(), 5);
        assert!(conditions(&r, &params(&[("cf.size.min", "ten")])).is_err());
        assert!(conditions(&r, &params(&[("cf.since.from", "2026-13-01")])).is_err());
        assert!(conditions(&r, &params(&[])).unwrap().is_empty());
    }

    #[test]
    fn clean_parameters_keep_only_what_filters() {
        let p = params(&[
            ("cf.note", ""),
            ("cf.note.match", "contains"),
            ("cf.old", "x"),
            ("cf.old.match", "equals"),
            ("cf.lvl", " g "),
            ("cf.size.min", ""),
            ("tier", "A"),
        ]);
        assert_eq!(
            clean_params(&p),
            params(&[("cf.lvl", "g"), ("cf.old", "x"), ("cf.old.match", "equals")])
        );
    }

    #[test]
    fn inputs_show_active_fields_and_used_retired_ones() {
        let r = reference();
        let keys = |p: &BTreeMap<String, String>| {
            filter_inputs(&r, p, Tr(Lang::En))
                .into_iter()
                .map(|i| i.key)
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&params(&[])), ["lvl", "note", "size", "since"]);
        assert_eq!(
            keys(&params(&[("cf.old", "x")])),
            ["lvl", "note", "size", "since", "old"]
        );
        let inputs = filter_inputs(
            &r,
            &params(&[("cf.size.max", "9"), ("cf.lvl", "g")]),
            Tr(Lang::Zh),
        );
        assert_eq!(
            (inputs[2].name.as_str(), inputs[2].name2.as_str()),
            ("cf.size.min", "cf.size.max")
        );
        assert_eq!(inputs[2].value2, "9");
        assert_eq!(inputs[0].label, "lvl字段");
        assert!(
            inputs[0]
                .options
                .iter()
                .any(|o| o.selected && o.label == "金")
        );
    }

    #[test]
    fn cells_show_labels_and_grouped_numbers() {
        assert_eq!(format_number("-1234567.25"), "-1,234,567.25");
        assert_eq!(format_number("123"), "123");
        assert_eq!(format_number("1000"), "1,000");
        assert_eq!(format_number("0.5"), "0.5");
        assert_eq!(format_number("=1+1"), "=1+1");
        let r = reference();
        let def = |k: &str| r.field(Kind::Customer, k).unwrap();
        let v = |s: &str| s.to_owned();
        assert_eq!(
            cell_text(&r, def("lvl"), Some(&v("g")), true, CellUse::Page),
            "Gold"
        );
        assert_eq!(
            cell_text(&r, def("lvl"), Some(&v("g")), false, CellUse::Export),
            "金"
        );
        assert_eq!(
            cell_text(&r, def("size"), Some(&v("12345.5")), true, CellUse::Page),
            "12,345.5"
        );
        assert_eq!(
            cell_text(&r, def("size"), Some(&v("12345.5")), true, CellUse::Export),
            "12345.5"
        );
        assert_eq!(cell_text(&r, def("since"), None, true, CellUse::Page), "");
    }
}

//! Reference data for the apps' forms: the data dictionary (choice lists with zh-CN and English
//! labels) and the custom field definitions, as the device holds them (fetched by sync when they
//! change, usable offline). Custom values are set with `set_customer_fields` and the path
//! `custom.<key>`; the core checks them against these definitions before committing.

use fieldcrm_core::schema as core_schema;

use crate::{FieldClient, FieldError, boxed};

/// One entry of a dictionary list.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DictionaryEntry {
    /// The value stored in records.
    pub code: String,
    /// Label in Simplified Chinese.
    pub label_zh: String,
    /// Label in English.
    pub label_en: String,
    /// Sort position (ascending).
    pub position: i64,
    /// Offered for new values (inactive entries are only shown where already used).
    pub active: bool,
}

/// A dictionary list.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DictionaryList {
    /// Stable key (`customer_tier`, `industry`, `customer_source`, `visit_purpose`,
    /// `contact_role`, or an admin-created one).
    pub key: String,
    /// Name in Simplified Chinese.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
    /// A built-in list.
    pub system: bool,
    /// Entries by position.
    pub entries: Vec<DictionaryEntry>,
}

/// The type of a custom field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CustomFieldType {
    /// One line of text.
    Text,
    /// A decimal number (written as plain decimal text, e.g. `12.5`).
    Number,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// A code of the field's dictionary list.
    Choice,
}

/// A custom field definition.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CustomFieldDef {
    /// Record type: `customer` or `visit`.
    pub kind: String,
    /// Key: the value is set and read at `custom.<key>`.
    pub key: String,
    /// Label in Simplified Chinese.
    pub label_zh: String,
    /// Label in English.
    pub label_en: String,
    /// Value type.
    pub field_type: CustomFieldType,
    /// For choices: the key of the dictionary list.
    pub list: Option<String>,
    /// Create forms must fill it; a value may not be removed.
    pub required: bool,
    /// Shown and writable (inactive fields' values are shown read-only).
    pub active: bool,
    /// Sort position in forms (ascending).
    pub position: i64,
}

/// The dictionary and the custom field definitions held on the device.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReferenceData {
    /// Content version; empty before the first sync after login.
    pub version: String,
    /// Every list.
    pub lists: Vec<DictionaryList>,
    /// Every custom field definition, by kind and position.
    pub fields: Vec<CustomFieldDef>,
}

impl From<core_schema::Reference> for ReferenceData {
    fn from(r: core_schema::Reference) -> Self {
        ReferenceData {
            version: r.version,
            lists: r
                .lists
                .into_iter()
                .map(|l| DictionaryList {
                    key: l.key,
                    name_zh: l.name_zh,
                    name_en: l.name_en,
                    system: l.system,
                    entries: l
                        .entries
                        .into_iter()
                        .map(|e| DictionaryEntry {
                            code: e.code,
                            label_zh: e.label_zh,
                            label_en: e.label_en,
                            position: e.position,
                            active: e.active,
                        })
                        .collect(),
                })
                .collect(),
            fields: r
                .fields
                .into_iter()
                .map(|f| CustomFieldDef {
                    kind: f.kind.as_str().to_owned(),
                    key: f.key,
                    label_zh: f.label_zh,
                    label_en: f.label_en,
                    field_type: match f.field_type {
                        core_schema::FieldType::Text => CustomFieldType::Text,
                        core_schema::FieldType::Number => CustomFieldType::Number,
                        core_schema::FieldType::Date => CustomFieldType::Date,
                        core_schema::FieldType::Choice => CustomFieldType::Choice,
                    },
                    list: f.list,
                    required: f.required,
                    active: f.active,
                    position: f.position,
                })
                .collect(),
        }
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl FieldClient {
    /// The dictionary lists and custom field definitions held on the device (empty, with an
    /// empty version, before the first sync after login).
    pub async fn reference_data(&self) -> Result<ReferenceData, FieldError> {
        Ok(boxed(self.inner.reference())
            .await?
            .map(ReferenceData::from)
            .unwrap_or(ReferenceData {
                version: String::new(),
                lists: Vec::new(),
                fields: Vec::new(),
            }))
    }
}

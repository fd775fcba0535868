//! Administration of the data dictionary and the custom fields (permission `AdminSchema`):
//!
//! - `GET /admin/dictionary`, `POST /admin/dictionary`: the lists, a new list;
//! - `GET /admin/dictionary/{list}`, `POST /admin/dictionary/{list}`: a list's entries, renaming;
//! - `POST /admin/dictionary/{list}/entries`, `POST /admin/dictionary/{list}/entries/{code}`: add
//!   an entry, change one (labels, order, active);
//! - `GET /admin/fields`, `POST /admin/fields`: the custom fields per kind, a new field;
//! - `GET /admin/fields/{kind}/{key}`, `POST /admin/fields/{kind}/{key}`: change a field (labels,
//!   required, active, order; key, type and list are fixed once created).
//!
//! Every change is audited (`schema.*`) and reaches devices through `GET /api/v1/reference`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use fieldcrm_core::document::Kind;
use fieldcrm_core::schema::{
    self as core_schema, DictEntry, DictList, FieldDef, FieldType, Reference,
};
use serde::Deserialize;
use serde_json::json;

use super::i18n::{Lang, Tr};
use super::session::WebUser;
use super::{Shell, WebError, render};
use crate::auth::permissions::Permission;
use crate::db::DbError;
use crate::db::audit::{self, AuditEntry};
use crate::db::schema;
use crate::startup::AppState;

/// The routes of this module.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin/dictionary", get(lists_page).post(create_list))
        .route("/admin/dictionary/{list}", get(list_page).post(rename_list))
        .route("/admin/dictionary/{list}/entries", post(add_entry))
        .route(
            "/admin/dictionary/{list}/entries/{code}",
            post(update_entry),
        )
        .route("/admin/fields", get(fields_page).post(create_field))
        .route(
            "/admin/fields/{kind}/{key}",
            get(field_page).post(update_field),
        )
}

/// The kinds that take custom fields in the back office (new kinds join here).
const KINDS: [Kind; 2] = [Kind::Customer, Kind::Visit];

fn kind_label(tr: Tr, kind: Kind) -> &'static str {
    match kind {
        Kind::Customer => tr.t("schema.kind.customer"),
        Kind::Visit => tr.t("schema.kind.visit"),
        Kind::Order => tr.t("schema.kind.order"),
        Kind::Dispatch => tr.t("schema.kind.dispatch"),
    }
}

fn type_label(tr: Tr, t: FieldType) -> &'static str {
    match t {
        FieldType::Text => tr.t("schema.type.text"),
        FieldType::Number => tr.t("schema.type.number"),
        FieldType::Date => tr.t("schema.type.date"),
        FieldType::Choice => tr.t("schema.type.choice"),
    }
}

fn see_other(to: String) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response()
}

fn unprocessable(mut r: Response) -> Response {
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    r
}

async fn record_audit(state: &AppState, user: &WebUser, action: &str, detail: serde_json::Value) {
    let mut entry = AuditEntry::new(action);
    entry.user_id = Some(user.user_id);
    entry.verdict = Some("ok".into());
    entry.detail = detail;
    if let Err(e) = audit::record(&state.db, &entry).await {
        tracing::error!(error = %e, "cannot write audit entry");
    }
}

fn position(tr: Tr, s: &str) -> Result<i64, String> {
    s.trim()
        .parse::<i64>()
        .map_err(|_| tr.t("schema.bad_position").to_owned())
}

fn field_error(tr: Tr, e: &fieldcrm_core::domain::FieldError) -> String {
    let label = match e.field.as_str() {
        "key" => tr.t("schema.key"),
        "code" => tr.t("schema.code"),
        "label_zh" | "name_zh" => tr.t("schema.label_zh"),
        "label_en" | "name_en" => tr.t("schema.label_en"),
        "list" => tr.t("schema.list"),
        other => return format!("{other}: {}", e.message),
    };
    format!("{label}: {}", e.message)
}

// ----- dictionary -----

/// A list in the overview.
#[derive(Debug)]
pub struct ListRow {
    key: String,
    name: String,
    system: bool,
    active: usize,
    total: usize,
}

/// The new-list form.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListForm {
    key: String,
    name_zh: String,
    name_en: String,
}

#[derive(Template)]
#[template(path = "admin_dictionary.html")]
struct ListsPage {
    shell: Shell,
    tr: Tr,
    lists: Vec<ListRow>,
    form: ListForm,
    errors: Vec<String>,
}

async fn render_lists(
    state: &AppState,
    user: &WebUser,
    form: ListForm,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let english = user.lang == Lang::En;
    let reference = schema::reference(&state.db).await?;
    let lists = reference
        .lists
        .iter()
        .map(|l| ListRow {
            key: l.key.clone(),
            name: l.name(english).to_owned(),
            system: l.system,
            active: l.active_entries().count(),
            total: l.entries.len(),
        })
        .collect();
    render(&ListsPage {
        shell: Shell::new(user, "dictionary"),
        tr: Tr(user.lang),
        lists,
        form,
        errors,
    })
}

/// `GET /admin/dictionary`: every list.
pub async fn lists_page(
    State(state): State<AppState>,
    user: WebUser,
) -> Result<Response, WebError> {
    user.require(Permission::AdminSchema)?;
    render_lists(&state, &user, ListForm::default(), Vec::new()).await
}

fn check_names(tr: Tr, zh: &str, en: &str) -> Vec<String> {
    [("name_zh", zh), ("name_en", en)]
        .into_iter()
        .filter_map(|(f, v)| core_schema::check_label(f, v).err())
        .map(|e| field_error(tr, &e))
        .collect()
}

/// `POST /admin/dictionary`: creates a list.
pub async fn create_list(
    State(state): State<AppState>,
    user: WebUser,
    axum::Form(form): axum::Form<ListForm>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminSchema)?;
    let tr = Tr(user.lang);
    let mut errors = check_names(tr, &form.name_zh, &form.name_en);
    let key = core_schema::parse_key("key", &form.key)
        .map_err(|e| errors.push(field_error(tr, &e)))
        .ok();
    if let (Some(key), true) = (&key, errors.is_empty()) {
        match schema::create_list(&state.db, key, form.name_zh.trim(), form.name_en.trim()).await {
            Ok(()) => {
                record_audit(
                    &state,
                    &user,
                    "schema.list.create",
                    json!({"list": key, "name_zh": form.name_zh.trim(), "name_en": form.name_en.trim()}),
                )
                .await;
                return Ok(see_other(format!("/admin/dictionary/{key}")));
            }
            Err(DbError::Duplicate(_)) => errors.push(tr.t("schema.duplicate_key").to_owned()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(unprocessable(
        render_lists(&state, &user, form, errors).await?,
    ))
}

/// An entry row of a list's page.
#[derive(Debug)]
pub struct EntryRow {
    code: String,
    label_zh: String,
    label_en: String,
    position: i64,
    active: bool,
}

/// The add/change-entry form.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct EntryForm {
    code: String,
    label_zh: String,
    label_en: String,
    position: String,
    active: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_dict_list.html")]
struct ListPage {
    shell: Shell,
    tr: Tr,
    key: String,
    name: String,
    name_zh: String,
    name_en: String,
    system: bool,
    entries: Vec<EntryRow>,
    new_entry: EntryForm,
    errors: Vec<String>,
}

fn render_list(
    user: &WebUser,
    list: &DictList,
    new_entry: Option<EntryForm>,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let english = user.lang == Lang::En;
    let next = list.entries.iter().map(|e| e.position).max().unwrap_or(0) + 10;
    render(&ListPage {
        shell: Shell::new(user, "dictionary"),
        tr: Tr(user.lang),
        key: list.key.clone(),
        name: list.name(english).to_owned(),
        name_zh: list.name_zh.clone(),
        name_en: list.name_en.clone(),
        system: list.system,
        entries: list
            .entries
            .iter()
            .map(|e| EntryRow {
                code: e.code.clone(),
                label_zh: e.label_zh.clone(),
                label_en: e.label_en.clone(),
                position: e.position,
                active: e.active,
            })
            .collect(),
        new_entry: new_entry.unwrap_or_else(|| EntryForm {
            position: next.to_string(),
            active: Some("1".into()),
            ..EntryForm::default()
        }),
        errors,
    })
}

async fn load_list(state: &AppState, key: &str) -> Result<DictList, WebError> {
    schema::reference(&state.db)
        .await?
        .lists
        .iter()
        .find(|l| l.key == key)
        .cloned()
        .ok_or(WebError::NotFound)
}

/// `GET /admin/dictionary/{list}`: a list's entries.
pub async fn list_page(
    State(state): State<AppState>,
    user: WebUser,
    Path(key): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminSchema)?;
    let list = load_list(&state, &key).await?;
    render_list(&user, &list, None, Vec::new())
}

/// `POST /admin/dictionary/{list}`: renames a list.
pub async fn rename_list(
    State(state): State<AppState>,
    user: WebUser,
    Path(key): Path<String>,
    axum::Form(form): axum::Form<ListForm>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminSchema)?;
    let list = load_list(&state, &key).await?;
    let errors = check_names(Tr(user.lang), &form.name_zh, &form.name_en);
    if !errors.is_empty() {
        return Ok(unprocessable(render_list(&user, &list, None, errors)?));
    }
    schema::rename_list(&state.db, &key, form.name_zh.trim(), form.name_en.trim()).await?;
    record_audit(
        &state,
        &user,
        "schema.list.rename",
        json!({"list": key, "before": [list.name_zh, list.name_en],
               "after": [form.name_zh.trim(), form.name_en.trim()]}),
    )
    .await;
    Ok(see_other(format!("/admin/dictionary/{key}")))
}

fn read_entry(tr: Tr, code: &str, form: &EntryForm) -> Result<DictEntry, Vec<String>> {
    let mut errors = Vec::new();
    let code = core_schema::parse_code(code)
        .map_err(|e| errors.push(field_error(tr, &e)))
        .unwrap_or_default();
    for (f, v) in [("label_zh", &form.label_zh), ("label_en", &form.label_en)] {
        if let Err(e) = core_schema::check_label(f, v) {
            errors.push(field_error(tr, &e));
        }
    }
    let position = position(tr, &form.position)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(DictEntry {
        code,
        label_zh: form.label_zh.trim().to_owned(),
        label_en: form.label_en.trim().to_owned(),
        position,
        active: form.active.is_some(),
    })
}

/// `POST /admin/dictionary/{list}/entries`: adds an entry.
pub async fn add_entry(
    State(state): State<AppState>,
    user: WebUser,
    Path(key): Path<String>,
    axum::Form(form): axum::Form<EntryForm>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminSchema)?;
    let tr = Tr(user.lang);
    let list = load_list(&state, &key).await?;
    let errors = match read_entry(tr, &form.code, &form) {
        Ok(entry) => match schema::add_entry(&state.db, &key, &entry).await {
            Ok(()) => {
                record_audit(
                    &state,
                    &user,
                    "schema.entry.create",
                    json!({"list": key, "entry": entry_json(&entry)}),
                )
                .await;
                return Ok(see_other(format!("/admin/dictionary/{key}")));
            }
            Err(DbError::Duplicate(_)) => vec![tr.t("schema.duplicate_code").to_owned()],
            Err(e) => return Err(e.into()),
        },
        Err(errors) => errors,
    };
    Ok(unprocessable(render_list(
        &user,
        &list,
        Some(form),
        errors,
    )?))
}

fn entry_json(e: &DictEntry) -> serde_json::Value {
    json!({"code": e.code, "label_zh": e.label_zh, "label_en": e.label_en,
           "position": e.position, "active": e.active})
}

/// `POST /admin/dictionary/{list}/entries/{code}`: changes an entry.
pub async fn update_entry(
    State(state): State<AppState>,
    user: WebUser,
    Path((key, code)): Path<(String, String)>,
    axum::Form(form): axum::Form<EntryForm>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminSchema)?;
    let tr = Tr(user.lang);
    let list = load_list(&state, &key).await?;
    let before = list.entry(&code).cloned().ok_or(WebError::NotFound)?;
    match read_entry(tr, &code, &form) {
        Ok(entry) => {
            schema::update_entry(&state.db, &key, &entry).await?;
            record_audit(
                &state,
                &user,
                "schema.entry.update",
                json!({"list": key, "before": entry_json(&before), "after": entry_json(&entry)}),
            )
            .await;
            Ok(see_other(format!("/admin/dictionary/{key}")))
        }
        Err(errors) => Ok(unprocessable(render_list(&user, &list, None, errors)?)),
    }
}

// ----- custom fields -----

/// A field row of the overview.
#[derive(Debug)]
pub struct FieldRow {
    kind: &'static str,
    key: String,
    label: String,
    field_type: &'static str,
    list: String,
    required: bool,
    active: bool,
    position: i64,
}

/// The fields of one kind.
#[derive(Debug)]
pub struct KindFields {
    kind: &'static str,
    label: &'static str,
    fields: Vec<FieldRow>,
}

/// The new/change-field form.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct FieldForm {
    kind: String,
    key: String,
    label_zh: String,
    label_en: String,
    field_type: String,
    list: String,
    position: String,
    required: Option<String>,
    active: Option<String>,
}

/// A `(value, label)` choice of a form select.
#[derive(Debug)]
pub struct Choice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "admin_fields.html")]
struct FieldsPage {
    shell: Shell,
    tr: Tr,
    kinds: Vec<KindFields>,
    kind_choices: Vec<Choice>,
    type_choices: Vec<Choice>,
    list_choices: Vec<Choice>,
    form: FieldForm,
    errors: Vec<String>,
}

fn list_choices(reference: &Reference, english: bool) -> Vec<Choice> {
    reference
        .lists
        .iter()
        .map(|l| Choice {
            value: l.key.clone(),
            label: l.name(english).to_owned(),
        })
        .collect()
}

async fn render_fields(
    state: &AppState,
    user: &WebUser,
    form: Option<FieldForm>,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let tr = Tr(user.lang);
    let english = user.lang == Lang::En;
    let reference = schema::reference(&state.db).await?;
    let kinds = KINDS
        .iter()
        .map(|&kind| KindFields {
            kind: kind.as_str(),
            label: kind_label(tr, kind),
            fields: reference
                .fields_of(kind)
                .map(|d| FieldRow {
                    kind: kind.as_str(),
                    key: d.key.clone(),
                    label: d.label(english).to_owned(),
                    field_type: type_label(tr, d.field_type),
                    list: d
                        .list
                        .as_deref()
                        .map(|l| reference.list(l).map_or(l, |l| l.name(english)).to_owned())
                        .unwrap_or_default(),
                    required: d.required,
                    active: d.active,
                    position: d.position,
                })
                .collect(),
        })
        .collect();
    let next = reference
        .fields
        .iter()
        .map(|f| f.position)
        .max()
        .unwrap_or(0)
        + 10;
    render(&FieldsPage {
        shell: Shell::new(user, "fields"),
        tr,
        kinds,
        kind_choices: KINDS
            .iter()
            .map(|&k| Choice {
                value: k.as_str().to_owned(),
                label: kind_label(tr, k).to_owned(),
            })
            .collect(),
        type_choices: FieldType::ALL
            .iter()
            .map(|&t| Choice {
                value: t.as_str().to_owned(),
                label: type_label(tr, t).to_owned(),
            })
            .collect(),
        list_choices: list_choices(&reference, english),
        form: form.unwrap_or_else(|| FieldForm {
            kind: Kind::Customer.as_str().to_owned(),
            field_type: FieldType::Text.as_str().to_owned(),
            position: next.to_string(),
            ..FieldForm::default()
        }),
        errors,
    })
}

/// `GET /admin/fields`: the custom fields of every kind.
pub async fn fields_page(
    State(state): State<AppState>,
    user: WebUser,
) -> Result<Response, WebError> {
    user.require(Permission::AdminSchema)?;
    render_fields(&state, &user, None, Vec::new()).await
}

fn parse_kind(s: &str) -> Option<Kind> {
    s.parse::<Kind>().ok().filter(|k| KINDS.contains(k))
}

/// `POST /admin/fields`: creates a field.
pub async fn create_field(
    State(state): State<AppState>,
    user: WebUser,
    axum::Form(form): axum::Form<FieldForm>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminSchema)?;
    let tr = Tr(user.lang);
    let reference = schema::reference(&state.db).await?;
    let mut errors = Vec::new();
    let kind = parse_kind(&form.kind);
    if kind.is_none() {
        errors.push(tr.t("schema.bad_kind").to_owned());
    }
    let field_type = form.field_type.parse::<FieldType>().ok();
    if field_type.is_none() {
        errors.push(tr.t("schema.bad_type").to_owned());
    }
    let position = position(tr, &form.position)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    let list = match (field_type, form.list.trim()) {
        (Some(FieldType::Choice), "") => {
            errors.push(tr.t("schema.list_required").to_owned());
            None
        }
        (Some(FieldType::Choice), l) if reference.list(l).is_none() => {
            errors.push(tr.t("schema.list_required").to_owned());
            None
        }
        (Some(FieldType::Choice), l) => Some(l.to_owned()),
        _ => None,
    };
    if let (Some(kind), Some(field_type), true) = (kind, field_type, errors.is_empty()) {
        let def = FieldDef {
            kind,
            key: form.key.trim().to_owned(),
            label_zh: form.label_zh.trim().to_owned(),
            label_en: form.label_en.trim().to_owned(),
            field_type,
            list,
            required: form.required.is_some(),
            active: true,
            position,
        };
        errors.extend(def.check().iter().map(|e| field_error(tr, e)));
        if errors.is_empty() {
            match schema::create_field(&state.db, &def).await {
                Ok(()) => {
                    record_audit(&state, &user, "schema.field.create", field_json(&def)).await;
                    return Ok(see_other("/admin/fields".to_owned()));
                }
                Err(DbError::Duplicate(_)) => {
                    errors.push(tr.t("schema.duplicate_key").to_owned());
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(unprocessable(
        render_fields(&state, &user, Some(form), errors).await?,
    ))
}

fn field_json(d: &FieldDef) -> serde_json::Value {
    json!({"kind": d.kind, "key": d.key, "label_zh": d.label_zh, "label_en": d.label_en,
           "field_type": d.field_type, "list": d.list, "required": d.required,
           "active": d.active, "position": d.position})
}

#[derive(Template)]
#[template(path = "admin_field.html")]
struct FieldPage {
    shell: Shell,
    tr: Tr,
    kind: &'static str,
    kind_label: &'static str,
    key: String,
    type_label: &'static str,
    list: String,
    form: FieldForm,
    errors: Vec<String>,
}

async fn load_field(
    state: &AppState,
    kind: &str,
    key: &str,
) -> Result<(std::sync::Arc<Reference>, FieldDef), WebError> {
    let kind = parse_kind(kind).ok_or(WebError::NotFound)?;
    let reference = schema::reference(&state.db).await?;
    let def = reference
        .field(kind, key)
        .cloned()
        .ok_or(WebError::NotFound)?;
    Ok((reference, def))
}

fn render_field(
    user: &WebUser,
    reference: &Reference,
    def: &FieldDef,
    form: FieldForm,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let tr = Tr(user.lang);
    let english = user.lang == Lang::En;
    render(&FieldPage {
        shell: Shell::new(user, "fields"),
        tr,
        kind: def.kind.as_str(),
        kind_label: kind_label(tr, def.kind),
        key: def.key.clone(),
        type_label: type_label(tr, def.field_type),
        list: def
            .list
            .as_deref()
            .map(|l| reference.list(l).map_or(l, |l| l.name(english)).to_owned())
            .unwrap_or_default(),
        form,
        errors,
    })
}

/// `GET /admin/fields/{kind}/{key}`: a field's form.
pub async fn field_page(
    State(state): State<AppState>,
    user: WebUser,
    Path((kind, key)): Path<(String, String)>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminSchema)?;
    let (reference, def) = load_field(&state, &kind, &key).await?;
    let form = FieldForm {
        label_zh: def.label_zh.clone(),
        label_en: def.label_en.clone(),
        position: def.position.to_string(),
        required: def.required.then(|| "1".to_owned()),
        active: def.active.then(|| "1".to_owned()),
        ..FieldForm::default()
    };
    render_field(&user, &reference, &def, form, Vec::new())
}

/// `POST /admin/fields/{kind}/{key}`: changes a field's labels, flags and position.
pub async fn update_field(
    State(state): State<AppState>,
    user: WebUser,
    Path((kind, key)): Path<(String, String)>,
    axum::Form(form): axum::Form<FieldForm>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminSchema)?;
    let tr = Tr(user.lang);
    let (reference, before) = load_field(&state, &kind, &key).await?;
    let mut errors = Vec::new();
    let position = position(tr, &form.position)
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
    let after = FieldDef {
        label_zh: form.label_zh.trim().to_owned(),
        label_en: form.label_en.trim().to_owned(),
        required: form.required.is_some(),
        active: form.active.is_some(),
        position,
        ..before.clone()
    };
    errors.extend(after.check().iter().map(|e| field_error(tr, e)));
    if !errors.is_empty() {
        return Ok(unprocessable(render_field(
            &user, &reference, &before, form, errors,
        )?));
    }
    schema::update_field(&state.db, &after).await?;
    record_audit(
        &state,
        &user,
        "schema.field.update",
        json!({"before": field_json(&before), "after": field_json(&after)}),
    )
    .await;
    Ok(see_other("/admin/fields".to_owned()))
}

/// (key, zh-CN, English): this module's messages and those of the dictionary-bound and custom
/// fields in record forms.
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("nav.dictionary", "数据字典", "Dictionary"),
    ("nav.fields", "自定义字段", "Custom fields"),
    ("schema.dict_title", "数据字典", "Data dictionary"),
    ("schema.fields_title", "自定义字段", "Custom fields"),
    ("schema.field_title", "编辑自定义字段", "Edit custom field"),
    ("schema.list", "字典", "List"),
    ("schema.lists", "字典列表", "Lists"),
    ("schema.key", "标识", "Key"),
    ("schema.name", "名称", "Name"),
    ("schema.code", "代码", "Code"),
    ("schema.label", "显示名称", "Label"),
    ("schema.label_zh", "中文名称", "Chinese label"),
    ("schema.label_en", "英文名称", "English label"),
    ("schema.position", "排序", "Order"),
    ("schema.active", "启用", "Active"),
    ("schema.inactive", "已停用", "inactive"),
    ("schema.system", "系统内置", "Built-in"),
    ("schema.entries", "条目", "Entries"),
    ("schema.entries_count", "启用/全部", "Active/all"),
    ("schema.new_list", "新建字典", "New list"),
    ("schema.rename", "重命名", "Rename"),
    ("schema.add_entry", "添加条目", "Add entry"),
    ("schema.save", "保存", "Save"),
    ("schema.create", "创建", "Create"),
    ("schema.back", "返回", "Back"),
    ("schema.kind", "对象", "Record type"),
    ("schema.kind.customer", "客户", "Customer"),
    ("schema.kind.visit", "拜访", "Visit"),
    ("schema.kind.order", "订单", "Order"),
    ("schema.kind.dispatch", "派工单", "Dispatch"),
    ("schema.type", "类型", "Type"),
    ("schema.type.text", "文本", "Text"),
    ("schema.type.number", "数字", "Number"),
    ("schema.type.date", "日期", "Date"),
    ("schema.type.choice", "选项（字典）", "Choice (dictionary)"),
    ("schema.required_flag", "必填", "Required"),
    ("schema.new_field", "新建自定义字段", "New custom field"),
    ("schema.no_fields", "暂无自定义字段", "No custom fields yet"),
    ("schema.no_entries", "暂无条目", "No entries yet"),
    ("schema.edit", "编辑", "Edit"),
    (
        "schema.key_hint",
        "小写字母、数字和下划线，以字母开头；创建后不可修改",
        "Lowercase letters, digits and _, starting with a letter; fixed once created",
    ),
    (
        "schema.code_hint",
        "保存在记录中的值：字母、数字、_ - .；创建后不可修改",
        "The value stored in records: letters, digits, _ - .; fixed once created",
    ),
    (
        "schema.inactive_hint",
        "停用的条目不再供新数据选择，已有数据保持有效",
        "Inactive entries are not offered for new data; existing data stays valid",
    ),
    (
        "schema.fixed_hint",
        "标识、类型和字典创建后不可修改",
        "Key, type and list are fixed once created",
    ),
    (
        "schema.list_hint",
        "仅用于“选项”类型",
        "Only for the choice type",
    ),
    (
        "schema.duplicate_key",
        "该标识已存在",
        "This key already exists",
    ),
    (
        "schema.duplicate_code",
        "该代码已存在",
        "This code already exists",
    ),
    (
        "schema.bad_position",
        "排序必须是整数",
        "Order must be a whole number",
    ),
    ("schema.bad_kind", "请选择对象", "Choose a record type"),
    ("schema.bad_type", "请选择类型", "Choose a type"),
    (
        "schema.list_required",
        "选项类型需要选择一个字典",
        "A choice field needs a dictionary list",
    ),
    ("schema.required", "必填", "is required"),
    (
        "schema.invalid_text",
        "最多 1000 个字符，且只能一行",
        "at most 1000 characters on one line",
    ),
    ("schema.invalid_number", "不是有效的数字", "is not a number"),
    (
        "schema.invalid_date",
        "不是有效的日期（YYYY-MM-DD）",
        "is not a date (YYYY-MM-DD)",
    ),
    (
        "schema.invalid_choice",
        "不是可选的值",
        "is not one of the offered values",
    ),
    (
        "schema.not_offered",
        "不是可选的值",
        "is not one of the offered values",
    ),
    ("schema.custom_section", "扩展信息", "More fields"),
];

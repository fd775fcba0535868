//! The customer list: search, filters (territory, tier, industry, owner, tag, created and
//! updated ranges), sorting, keyset pages with cursor links and a capped count; the user's saved
//! filters ("favourites") and visible columns. htmx requests get only the table partial.
//! Custom fields of the customer kind are columns and filters too ([`super::custom_list`]).
//! Export ([`super::customer_export`]) and reassignment ([`super::customer_reassign`]) work on
//! the same [`ListQuery`]. Its messages are [`MESSAGES`].

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate, TimeZone};
use fieldcrm_core::document::Kind;
use fieldcrm_core::schema::{FieldDef, Reference};
use fieldcrm_core::{Role, TerritoryId, UserId};
use serde::{Deserialize, Serialize};

use super::custom_list::{self, CellUse, FilterInput};
use super::i18n::{Lang, Tr};
use super::session::WebUser;
use super::{Shell, WebError, fmt_ms, is_htmx, render};
use crate::auth::permissions::Permission;
use crate::db::customer_list::{
    self, Cursor, CustomerFilter, CustomerRow, CustomerSort, Direction, SortKey,
};
use crate::db::list_prefs::{self, SavedFilter};
use crate::db::territories::{self, ScopeTerritories, Territory};
use crate::db::users::{self, User};
use crate::startup::AppState;

/// The list's routes (`GET /customers` itself is registered by [`super::customers`]).
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/customers/columns", get(columns_form).post(save_columns))
        .route("/customers/filters", post(save_filter))
        .route("/customers/filters/{id}/delete", post(delete_filter))
}

/// Rows per page.
pub const PAGE_SIZE: i64 = 25;
/// The count stops here; beyond it the list says "1000+".
pub const COUNT_CAP: i64 = 1_000;

/// Every column the list can show: (key, message key).
pub const COLUMNS: &[(&str, &str)] = &[
    ("code", "cust.code"),
    ("name", "cust.name"),
    ("tier", "cust.tier"),
    ("industry", "list.industry"),
    ("source", "list.source"),
    ("city", "cust.city"),
    ("phone", "cust.phone"),
    ("owner", "list.owner"),
    ("territory", "cust.territory"),
    ("tags", "list.tags"),
    ("created", "list.created"),
    ("updated", "cust.updated"),
];

/// The columns shown until a user chooses.
pub const DEFAULT_COLUMNS: &[&str] = &[
    "code",
    "name",
    "tier",
    "territory",
    "city",
    "phone",
    "updated",
];

/// Query string of the list (and of export and "reassign all matching"). Empty = no filter.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default)]
pub struct ListQuery {
    /// Search text.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub q: String,
    /// Territory id.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub territory: String,
    /// Tier.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tier: String,
    /// Industry.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub industry: String,
    /// Owner (user id).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub owner: String,
    /// Tag.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tag: String,
    /// Created on or after (YYYY-MM-DD).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub created_from: String,
    /// Created on or before (YYYY-MM-DD).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub created_to: String,
    /// Updated on or after (YYYY-MM-DD).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub updated_from: String,
    /// Updated on or before (YYYY-MM-DD).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub updated_to: String,
    /// `name`, `code`, `updated` or `created`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sort: String,
    /// `asc` or `desc` (default: the key's own).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub dir: String,
    /// Next page: the cursor of the last row seen.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub after: String,
    /// Previous page: the cursor of the first row seen.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub before: String,
    /// The custom field filters (`cf.<key>…`, see [`super::custom_list`]); other unknown
    /// parameters land here too and are dropped by [`ListQuery::without_cursor`].
    #[serde(flatten)]
    pub custom: BTreeMap<String, String>,
}

impl ListQuery {
    /// The filter and sort without the page position.
    /// The custom filters are kept only when they filter (see [`custom_list::clean_params`]).
    pub fn without_cursor(&self) -> ListQuery {
        ListQuery {
            after: String::new(),
            before: String::new(),
            custom: custom_list::clean_params(&self.custom),
            ..self.clone()
        }
    }

    /// The query string (`a=b&c=d`, only what is set).
    pub fn to_query_string(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }

    /// Parses a query string (a saved filter, a form's hidden field); unknown keys are ignored.
    pub fn parse(text: &str) -> Result<ListQuery, WebError> {
        serde_urlencoded::from_str(text).map_err(|_| WebError::BadRequest("filter".into()))
    }

    /// The sort it asks for.
    pub fn sort(&self) -> CustomerSort {
        let key = SortKey::parse(&self.sort).unwrap_or_default();
        let desc = match self.dir.as_str() {
            "asc" => false,
            "desc" => true,
            _ => key.default_desc(),
        };
        CustomerSort { key, desc }
    }

    /// The database filter inside the user's data scope; the custom filters are read against
    /// the customer fields of `reference`.
    pub fn filter(&self, reference: &Reference) -> Result<CustomerFilter, WebError> {
        let id = |s: &str, what: &str| -> Result<Option<String>, WebError> {
            Ok(match s.trim() {
                "" => None,
                s => {
                    uuid::Uuid::parse_str(s).map_err(|_| WebError::BadRequest(what.into()))?;
                    Some(s.to_owned())
                }
            })
        };
        let territory = id(&self.territory, "territory")?
            .map(|t| TerritoryId::parse(&t))
            .transpose()
            .map_err(|_| WebError::BadRequest("territory".into()))?;
        let owner = id(&self.owner, "owner")?
            .map(|o| UserId::parse(&o))
            .transpose()
            .map_err(|_| WebError::BadRequest("owner".into()))?;
        let text = |s: &str| Some(s.trim().chars().take(200).collect::<String>());
        Ok(CustomerFilter {
            query: text(&self.q),
            territory,
            tier: text(&self.tier),
            industry: text(&self.industry),
            owner,
            tag: text(&self.tag),
            created_from: day_start(&self.created_from, 0)?,
            created_to: day_start(&self.created_to, 1)?,
            updated_from: day_start(&self.updated_from, 0)?,
            updated_to: day_start(&self.updated_to, 1)?,
            // The role's data scope restricts owners here when administration defines one.
            owner_in: None,
            custom: custom_list::conditions(reference, &self.custom)?,
            sort: self.sort(),
        })
    }

    /// The page position it asks for.
    fn cursor(&self) -> Option<(Direction, Cursor)> {
        let key = self.sort().key;
        if !self.before.is_empty() {
            Cursor::decode(&self.before, key).map(|c| (Direction::Before, c))
        } else if !self.after.is_empty() {
            Cursor::decode(&self.after, key).map(|c| (Direction::After, c))
        } else {
            None
        }
    }
}

/// Local midnight of `date` (YYYY-MM-DD) plus `days`, as unix ms; `None` for an empty string.
fn day_start(date: &str, days: i64) -> Result<Option<i64>, WebError> {
    let date = date.trim();
    if date.is_empty() {
        return Ok(None);
    }
    let d = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| WebError::BadRequest("date".into()))?;
    let midnight = (d + Duration::days(days))
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| WebError::BadRequest("date".into()))?;
    let local = chrono::Local
        .from_local_datetime(&midnight)
        .earliest()
        .ok_or_else(|| WebError::BadRequest("date".into()))?;
    Ok(Some(local.timestamp_millis()))
}

/// The text of one built-in column of a row.
fn builtin_cell(row: &CustomerRow, key: &str) -> String {
    match key {
        "code" => row.code.clone(),
        "name" => row.name.clone(),
        "tier" => row.tier.clone(),
        "industry" => row.industry.clone(),
        "source" => row.source.clone(),
        "city" => row.city.clone(),
        "phone" => row.phone.clone(),
        "owner" => row.owner.clone(),
        "territory" => row.territory.clone(),
        "tags" => row.tags.clone(),
        "created" => fmt_ms(Some(row.created_at)),
        "updated" => fmt_ms(Some(row.updated_at)),
        _ => String::new(),
    }
}

/// A column the list (and the export) shows: a built-in one or a custom field's.
#[derive(Clone, Debug)]
pub struct Column {
    /// `code`, `name`, … or `cf.<key>`.
    pub key: String,
    /// The header, in the user's language.
    pub label: String,
    /// The custom field it shows.
    field: Option<FieldDef>,
}

impl Column {
    /// The key as a CSS class and id suffix (`cf.vip` → `cf-vip`).
    pub fn css(&self) -> String {
        self.key.replace('.', "-")
    }

    /// The text of this column for `row` (shared with the export).
    pub fn cell(
        &self,
        row: &CustomerRow,
        reference: &Reference,
        lang: Lang,
        used: CellUse,
    ) -> String {
        match &self.field {
            Some(def) => custom_list::cell_text(
                reference,
                def,
                row.custom.get(&def.key),
                lang == Lang::En,
                used,
            ),
            None => builtin_cell(row, &self.key),
        }
    }
}

/// The customer fields offered as columns (the active ones), by position.
fn custom_columns(reference: &Reference) -> Vec<&FieldDef> {
    reference.active_fields(Kind::Customer).collect()
}

/// Keeps the known column keys of `keys` (built-in, or `cf.<key>` of an active custom field),
/// once each, in order; the name is always shown.
pub fn clean_columns<'a>(
    keys: impl IntoIterator<Item = &'a str>,
    reference: &Reference,
) -> Vec<String> {
    let custom: Vec<String> = custom_columns(reference)
        .into_iter()
        .map(custom_list::column_key)
        .collect();
    let mut out: Vec<String> = Vec::new();
    for k in keys {
        let known = COLUMNS.iter().any(|(c, _)| *c == k) || custom.iter().any(|c| c == k);
        if known && !out.iter().any(|o| o == k) {
            out.push(k.to_owned());
        }
    }
    if !out.iter().any(|o| o == "name") {
        out.insert(0, "name".to_owned());
    }
    out
}

/// The column `key` with its label in `tr`'s language (`None` if unknown).
fn column(key: &str, reference: &Reference, tr: Tr) -> Option<Column> {
    if let Some((k, m)) = COLUMNS.iter().find(|(c, _)| *c == key) {
        return Some(Column {
            key: (*k).to_owned(),
            label: tr.t(m).to_owned(),
            field: None,
        });
    }
    let def = custom_columns(reference)
        .into_iter()
        .find(|d| custom_list::column_key(d) == key)?;
    Some(Column {
        key: key.to_owned(),
        label: def.label(tr.0 == Lang::En).to_owned(),
        field: Some(def.clone()),
    })
}

/// The user's visible columns, in order, labelled in `tr`'s language. A custom field retired
/// since it was chosen is no longer shown.
pub async fn user_columns(
    state: &AppState,
    user: UserId,
    reference: &Reference,
    tr: Tr,
) -> Result<Vec<Column>, WebError> {
    let keys: Vec<String> = match list_prefs::columns(&state.db, user).await? {
        Some(keys) => clean_columns(keys.iter().map(String::as_str), reference),
        None => DEFAULT_COLUMNS.iter().map(|k| (*k).to_owned()).collect(),
    };
    Ok(keys
        .iter()
        .filter_map(|k| column(k, reference, tr))
        .collect())
}

/// Territories inside `scope`, by name.
pub async fn scoped_territories(
    state: &AppState,
    scope: &ScopeTerritories,
) -> Result<Vec<Territory>, WebError> {
    Ok(territories::list(&state.db)
        .await?
        .into_iter()
        .filter(|t| scope.contains(t.id))
        .collect())
}

/// The users who may own customers (enabled back-office and field-sales users), by name.
pub async fn possible_owners(state: &AppState) -> Result<Vec<User>, WebError> {
    let mut users: Vec<User> = users::list(&state.db)
        .await?
        .into_iter()
        .filter(|u| {
            !u.disabled
                && matches!(
                    u.role,
                    Role::Rep | Role::Manager | Role::Office | Role::Admin
                )
        })
        .collect();
    users.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    Ok(users)
}

/// A row of the table: id and the cells of the visible columns (CSS key, text).
#[derive(Debug)]
pub struct RowView {
    id: String,
    cells: Vec<(String, String)>,
}

/// The table partial's data.
#[derive(Debug)]
pub struct TableData {
    /// (CSS key, label).
    headers: Vec<(String, String)>,
    rows: Vec<RowView>,
    /// "123" or "1000+".
    total: String,
    /// The filter's query string (no cursor): export links, saving, "reassign all".
    filter_qs: String,
    first_url: Option<String>,
    prev_url: Option<String>,
    next_url: Option<String>,
    can_export: bool,
    can_reassign: bool,
}

#[derive(Template)]
#[template(path = "customers.html")]
struct ListPage {
    shell: Shell,
    tr: Tr,
    query: ListQuery,
    territories: Vec<Territory>,
    tiers: Vec<super::custom_fields::Opt>,
    industries: Vec<String>,
    owners: Vec<User>,
    /// The custom fields' filters.
    custom_filters: Vec<FilterInput>,
    saved: Vec<SavedView>,
    sort_key: &'static str,
    t: TableData,
}

/// A saved filter, as the list shows it.
#[derive(Debug)]
pub struct SavedView {
    id: String,
    name: String,
    url: String,
}

#[derive(Template)]
#[template(path = "customers_table.html")]
struct TablePartial {
    tr: Tr,
    t: TableData,
}

fn list_url(q: &ListQuery) -> String {
    let qs = q.to_query_string();
    if qs.is_empty() {
        "/customers".to_owned()
    } else {
        format!("/customers?{qs}")
    }
}

/// `GET /customers`: the page, or only the table for htmx.
pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::CustomersView)?;
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let reference = crate::db::schema::reference(&state.db).await?;
    let mut filter = query.filter(&reference)?;
    filter.owner_in = user.owner_restriction(&state.db).await?;
    let cursor = query.cursor();
    let page = customer_list::list(
        &state.db,
        &scope,
        &filter,
        cursor.as_ref().map(|(d, c)| (*d, c)),
        PAGE_SIZE,
    )
    .await?;
    let (n, capped) = customer_list::count(&state.db, &scope, &filter, COUNT_CAP).await?;
    let tr = Tr(user.lang);
    let columns = user_columns(&state, user.user_id, &reference, tr).await?;
    let base = query.without_cursor();
    let key = filter.sort.key;
    let t = TableData {
        headers: columns.iter().map(|c| (c.css(), c.label.clone())).collect(),
        rows: page
            .rows
            .iter()
            .map(|r| RowView {
                id: r.id.to_string(),
                cells: columns
                    .iter()
                    .map(|c| (c.css(), c.cell(r, &reference, user.lang, CellUse::Page)))
                    .collect(),
            })
            .collect(),
        total: if capped {
            format!("{n}+")
        } else {
            n.to_string()
        },
        filter_qs: base.to_query_string(),
        first_url: page.has_prev.then(|| list_url(&base)),
        prev_url: match (page.has_prev, page.rows.first()) {
            (true, Some(r)) => Some(list_url(&ListQuery {
                before: Cursor::of(r, key).encode(),
                ..base.clone()
            })),
            _ => None,
        },
        next_url: match (page.has_next, page.rows.last()) {
            (true, Some(r)) => Some(list_url(&ListQuery {
                after: Cursor::of(r, key).encode(),
                ..base.clone()
            })),
            _ => None,
        },
        can_export: user.can(Permission::CustomersExport),
        can_reassign: user.can(Permission::CustomersReassign),
    };
    if is_htmx(&headers) && !headers.contains_key("hx-history-restore-request") {
        return render(&TablePartial { tr, t });
    }
    let saved = list_prefs::saved_filters(&state.db, user.user_id)
        .await?
        .into_iter()
        .map(|f: SavedFilter| SavedView {
            url: list_url(&ListQuery::parse(&f.query).unwrap_or_default()),
            id: f.id,
            name: f.name,
        })
        .collect();
    render(&ListPage {
        shell: Shell::new(&user, "customers"),
        tr,
        territories: scoped_territories(&state, &scope).await?,
        tiers: tier_filter(&state, Tr(user.lang), &query.tier).await?,
        industries: customer_list::industries(&state.db, &scope).await?,
        owners: possible_owners(&state).await?,
        custom_filters: custom_list::filter_inputs(&reference, &query.custom, tr),
        saved,
        sort_key: filter.sort.key.as_str(),
        query,
        t,
    })
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

/// The "save this filter" form.
#[derive(Debug, Deserialize)]
pub struct SaveFilterForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
}

/// `POST /customers/filters`: saves the current filter under a name, then shows it applied.
pub async fn save_filter(
    State(state): State<AppState>,
    user: WebUser,
    axum::Form(form): axum::Form<SaveFilterForm>,
) -> Result<Response, WebError> {
    user.require(Permission::CustomersView)?;
    let name: String = form.name.trim().chars().take(100).collect();
    if name.is_empty() {
        return Err(WebError::BadRequest("name".into()));
    }
    // Normalised: only what the list understands, never a cursor.
    let query = ListQuery::parse(&form.query)?.without_cursor();
    query.filter(&*crate::db::schema::reference(&state.db).await?)?;
    list_prefs::save_filter(&state.db, user.user_id, &name, &query.to_query_string()).await?;
    Ok(see_other(&list_url(&query)))
}

/// `POST /customers/filters/{id}/delete`: deletes one of the user's saved filters.
pub async fn delete_filter(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::CustomersView)?;
    if !list_prefs::delete_filter(&state.db, user.user_id, &id).await? {
        return Err(WebError::NotFound);
    }
    Ok(see_other("/customers"))
}

/// A column in the chooser.
#[derive(Debug)]
pub struct ColumnChoice {
    key: String,
    /// The key as an id suffix.
    css: String,
    label: String,
    shown: bool,
    position: usize,
}

#[derive(Template)]
#[template(path = "customer_columns.html")]
struct ColumnsPage {
    shell: Shell,
    tr: Tr,
    columns: Vec<ColumnChoice>,
}

/// `GET /customers/columns`: choose and order the list's columns.
pub async fn columns_form(
    State(state): State<AppState>,
    user: WebUser,
) -> Result<Response, WebError> {
    user.require(Permission::CustomersView)?;
    let tr = Tr(user.lang);
    let reference = crate::db::schema::reference(&state.db).await?;
    let current = user_columns(&state, user.user_id, &reference, tr).await?;
    let offered = COLUMNS.iter().map(|(k, _)| (*k).to_owned()).chain(
        custom_columns(&reference)
            .into_iter()
            .map(custom_list::column_key),
    );
    let mut columns: Vec<ColumnChoice> = offered
        .filter_map(|key| column(&key, &reference, tr))
        .map(|c| {
            let at = current.iter().position(|s| s.key == c.key);
            ColumnChoice {
                css: c.css(),
                key: c.key,
                label: c.label,
                shown: at.is_some(),
                position: at.map_or(current.len() + 1, |p| p + 1),
            }
        })
        .collect();
    columns.sort_by_key(|c| (!c.shown, c.position));
    for (i, c) in columns.iter_mut().enumerate() {
        c.position = i + 1;
    }
    render(&ColumnsPage {
        shell: Shell::new(&user, "customers"),
        tr,
        columns,
    })
}

/// `POST /customers/columns`: `col=<key>` for each shown column, `pos_<key>=<n>` for the order.
pub async fn save_columns(
    State(state): State<AppState>,
    user: WebUser,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::CustomersView)?;
    if pairs.iter().any(|(k, v)| k == "reset" && v == "1") {
        list_prefs::set_columns(&state.db, user.user_id, DEFAULT_COLUMNS).await?;
        return Ok(see_other("/customers"));
    }
    let position = |key: &str| -> i64 {
        pairs
            .iter()
            .find(|(k, _)| k.strip_prefix("pos_") == Some(key))
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(i64::MAX)
    };
    let mut chosen: Vec<(i64, usize, &str)> = pairs
        .iter()
        .filter(|(k, _)| k == "col")
        .enumerate()
        .map(|(i, (_, v))| (position(v), i, v.as_str()))
        .collect();
    chosen.sort();
    let reference = crate::db::schema::reference(&state.db).await?;
    let columns = clean_columns(chosen.into_iter().map(|(_, _, k)| k), &reference);
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    list_prefs::set_columns(&state.db, user.user_id, &columns).await?;
    Ok(see_other("/customers"))
}

/// (key, zh-CN, English): the customer list's, export's and reassignment's messages.
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("list.industry", "行业", "Industry"),
    ("list.source", "来源", "Source"),
    ("list.owner", "负责人", "Owner"),
    ("list.tags", "标签", "Tags"),
    ("list.tag", "标签", "Tag"),
    ("list.created", "创建时间", "Created"),
    ("list.created_range", "创建日期", "Created"),
    ("list.updated_range", "更新日期", "Updated"),
    ("list.from", "从", "from"),
    ("list.to", "至", "to"),
    ("list.sort_code", "按编码", "By code"),
    ("list.sort_created", "创建时间", "Created"),
    ("list.dir", "顺序", "Order"),
    ("list.asc", "升序", "Ascending"),
    ("list.desc", "降序", "Descending"),
    ("list.first", "首页", "First"),
    ("list.clear", "清除筛选", "Clear filters"),
    ("list.more_filters", "更多筛选", "More filters"),
    ("list.saved", "收藏的筛选", "Saved filters"),
    (
        "list.saved_none",
        "还没有收藏的筛选",
        "No saved filters yet",
    ),
    ("list.save_name", "名称", "Name"),
    ("list.save", "收藏当前筛选", "Save this filter"),
    ("list.delete", "删除", "Delete"),
    ("list.columns", "显示列", "Columns"),
    ("list.columns_title", "选择显示的列", "Choose the columns"),
    (
        "list.columns_hint",
        "勾选要显示的列，用序号调整顺序（名称总是显示）",
        "Tick the columns to show and number them to order them (the name is always shown)",
    ),
    ("list.column", "列", "Column"),
    ("list.show", "显示", "Show"),
    ("list.position", "顺序", "Position"),
    ("list.columns_save", "保存", "Save"),
    ("list.columns_reset", "恢复默认", "Restore the defaults"),
    ("list.export_xlsx", "导出 Excel", "Export .xlsx"),
    ("list.export_csv", "导出 CSV", "Export .csv"),
    ("list.select_all", "全选本页", "Select the whole page"),
    ("list.reassign", "重新分配", "Reassign"),
    ("list.reassign_to_territory", "新区域", "New territory"),
    ("list.reassign_to_owner", "新负责人", "New owner"),
    ("list.no_change", "不变", "No change"),
    ("list.unassigned", "（无负责人）", "(no owner)"),
    (
        "list.reassign_selected",
        "分配选中的客户",
        "Reassign selected",
    ),
    (
        "list.reassign_all",
        "分配全部符合筛选的客户",
        "Reassign all matching the filter",
    ),
    (
        "list.confirm_title",
        "确认重新分配",
        "Confirm the reassignment",
    ),
    (
        "list.confirm_count",
        "将重新分配的客户数",
        "Customers to reassign",
    ),
    ("list.confirm", "确认分配", "Reassign them"),
    ("list.cancel", "取消", "Cancel"),
    ("list.done_title", "重新分配完成", "Reassignment done"),
    (
        "list.done_count",
        "已重新分配的客户数",
        "Customers reassigned",
    ),
    (
        "list.unchanged_count",
        "无需变更的客户数",
        "Already as asked",
    ),
    ("list.back", "返回客户列表", "Back to the customer list"),
    (
        "list.nothing_selected",
        "没有选中任何客户",
        "No customer was selected",
    ),
    (
        "list.choose_target",
        "请选择新区域或新负责人",
        "Choose a new territory or a new owner",
    ),
    (
        "list.too_many",
        "符合条件的客户太多，请缩小筛选范围后再分配，上限为",
        "Too many customers match; narrow the filter first. The limit is",
    ),
    (
        "list.reassign_card",
        "分配区域和负责人",
        "Reassign territory and owner",
    ),
];

/// The tier filter's options: the dictionary's tiers with their labels, the current one selected.
async fn tier_filter(
    state: &AppState,
    tr: Tr,
    current: &str,
) -> Result<Vec<super::custom_fields::Opt>, WebError> {
    let reference = crate::db::schema::reference(&state.db).await?;
    let english = tr.0 == super::i18n::Lang::En;
    Ok(reference
        .list(fieldcrm_core::schema::CUSTOMER_TIER)
        .map(|l| l.entries.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|e| super::custom_fields::Opt {
            code: e.code.clone(),
            label: e.label(english).to_owned(),
            selected: e.code == current,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_cleaned_and_keep_the_name() {
        let none = Reference::default();
        assert_eq!(
            clean_columns(["tier", "x", "tier", "code", "cf.vip"], &none),
            ["name", "tier", "code"]
        );
        assert_eq!(clean_columns(["owner", "name"], &none), ["owner", "name"]);
        let vip = FieldDef {
            kind: Kind::Customer,
            key: "vip".into(),
            label_zh: "会员".into(),
            label_en: "VIP".into(),
            field_type: fieldcrm_core::schema::FieldType::Text,
            list: None,
            required: false,
            active: true,
            position: 1,
        };
        let with_vip = Reference::new(Vec::new(), vec![vip.clone()]);
        assert_eq!(
            clean_columns(["cf.vip", "cf.nope", "code"], &with_vip),
            ["name", "cf.vip", "code"]
        );
        let retired = Reference::new(
            Vec::new(),
            vec![FieldDef {
                active: false,
                ..vip
            }],
        );
        assert_eq!(clean_columns(["cf.vip"], &retired), ["name"]);
        let c = column("cf.vip", &with_vip, Tr(Lang::En)).unwrap();
        assert_eq!((c.label.as_str(), c.css()), ("VIP", "cf-vip".to_owned()));
        for k in DEFAULT_COLUMNS {
            assert!(COLUMNS.iter().any(|(c, _)| c == k));
        }
    }

    #[test]
    fn query_strings_round_trip_without_cursors() {
        let q = ListQuery {
            q: "华联 & co".into(),
            tier: "A".into(),
            sort: "updated".into(),
            after: "x".into(),
            ..ListQuery::default()
        };
        let qs = q.without_cursor().to_query_string();
        assert!(!qs.contains("after"), "{qs}");
        assert_eq!(ListQuery::parse(&qs).unwrap(), q.without_cursor());
        assert_eq!(ListQuery::default().to_query_string(), "");
        // Custom filters ride along; empty ones and unknown parameters do not.
        let parsed =
            ListQuery::parse("tier=A&cf.vip=gold&cf.size.min=&x=1&cf.since.from=2026-01-01")
                .unwrap();
        assert_eq!(parsed.custom.len(), 4);
        let qs = parsed.without_cursor().to_query_string();
        assert_eq!(qs, "tier=A&cf.since.from=2026-01-01&cf.vip=gold");
        assert_eq!(
            ListQuery::parse(&qs).unwrap().without_cursor(),
            parsed.without_cursor()
        );
    }

    #[test]
    fn sorts_and_dates() {
        let q = |sort: &str, dir: &str| ListQuery {
            sort: sort.into(),
            dir: dir.into(),
            ..ListQuery::default()
        };
        assert_eq!(q("", "").sort(), CustomerSort::default());
        assert!(q("updated", "").sort().desc);
        assert!(!q("updated", "asc").sort().desc);
        assert!(q("code", "desc").sort().desc);
        let from = day_start("2026-03-01", 0).unwrap().unwrap();
        let to = day_start("2026-03-01", 1).unwrap().unwrap();
        assert_eq!(to - from, 24 * 3600 * 1000);
        assert!(day_start("2026-13-01", 0).is_err());
        assert_eq!(day_start(" ", 0).unwrap(), None);
        let bad = ListQuery {
            territory: "<script>".into(),
            ..ListQuery::default()
        };
        assert!(bad.filter(&Reference::default()).is_err());
    }
}

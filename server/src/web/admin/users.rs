//! User administration (`Permission::AdminUsers`): the filtered list, create, edit (display name,
//! role, department, territories), password reset, disable/enable (a disabled user's web
//! sessions are deleted and refresh tokens revoked; the sync session refuses them), and the
//! user's devices with revocation. Nobody may hand out a role with permissions they do not hold
//! themselves unless they administer roles, nor disable themselves.

use std::collections::{BTreeSet, HashMap};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use fieldcrm_core::{DepartmentId, DeviceId, RoleId, TerritoryId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    Fields, TreeOption, audit_change, form_id, path_id, role_label, see_other, tree_options,
};
use crate::auth::password;
use crate::auth::permissions::Permission;
use crate::db::roles::RoleRecord;
use crate::db::users::{self, NewUser, Profile, UserFilter};
use crate::db::{DbError, departments, devices, roles, territories};
use crate::startup::AppState;
use crate::web::i18n::Tr;
use crate::web::session::WebUser;
use crate::web::{Shell, WebError, fmt_ms, is_htmx, render};

/// Rows per page of the user list.
pub const PAGE_SIZE: i64 = 50;
/// The shortest password administration may set.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Query string of the user list.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct UserQuery {
    /// Search text (username or display name).
    #[serde(default)]
    pub q: String,
    /// Role id.
    #[serde(default)]
    pub role: String,
    /// Department id.
    #[serde(default)]
    pub department: String,
    /// `active`, `disabled` or empty (all).
    #[serde(default)]
    pub status: String,
    /// 1-based page.
    #[serde(default)]
    pub page: Option<i64>,
}

/// A row of the user table.
#[derive(Debug)]
pub struct RowView {
    id: String,
    username: String,
    display_name: String,
    role: String,
    department: String,
    territories: String,
    disabled: bool,
}

/// The table partial's data.
#[derive(Debug)]
pub struct TableData {
    rows: Vec<RowView>,
    total: i64,
    page: i64,
    pages: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
}

/// A role as a select option.
#[derive(Debug)]
pub struct RoleOption {
    id: String,
    label: String,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct ListPage {
    shell: Shell,
    tr: Tr,
    query: UserQuery,
    roles: Vec<RoleOption>,
    departments: Vec<TreeOption>,
    t: TableData,
}

#[derive(Template)]
#[template(path = "admin/users_table.html")]
struct TablePartial {
    tr: Tr,
    t: TableData,
}

fn list_url(q: &UserQuery, page: i64) -> String {
    let mut q = q.clone();
    q.page = Some(page);
    format!(
        "/admin/users?{}",
        serde_urlencoded::to_string(&q).unwrap_or_default()
    )
}

async fn role_options(state: &AppState, tr: Tr) -> Result<Vec<RoleOption>, WebError> {
    Ok(roles::list(&state.db)
        .await?
        .iter()
        .map(|r| RoleOption {
            id: r.id.to_string(),
            label: role_label(tr, r),
        })
        .collect())
}

async fn department_options(state: &AppState) -> Result<Vec<TreeOption>, WebError> {
    let all = departments::list(&state.db).await?;
    let nodes: Vec<_> = all
        .into_iter()
        .map(|d| (d.id, d.name, d.parent_id))
        .collect();
    Ok(tree_options(&nodes))
}

async fn territory_options(state: &AppState) -> Result<Vec<TreeOption>, WebError> {
    let all = territories::list(&state.db).await?;
    let nodes: Vec<_> = all
        .into_iter()
        .map(|t| (t.id, t.name, t.parent_id))
        .collect();
    Ok(tree_options(&nodes))
}

/// `GET /admin/users`: the list, or only the table for htmx.
pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    Query(query): Query<UserQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminUsers)?;
    let tr = Tr(user.lang);
    let page = query.page.unwrap_or(1).clamp(1, 1_000_000);
    let filter = UserFilter {
        query: Some(query.q.chars().take(100).collect()),
        role: form_id::<RoleId>(query.role.trim(), "role")?,
        department: form_id::<DepartmentId>(query.department.trim(), "department")?,
        disabled: match query.status.as_str() {
            "active" => Some(false),
            "disabled" => Some(true),
            _ => None,
        },
        offset: (page - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
    };
    let (rows, total) = users::search(&state.db, &filter).await?;
    let names: HashMap<TerritoryId, String> = territories::list(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let mut assigned: HashMap<UserId, Vec<String>> = HashMap::new();
    for (t, u) in territories::assignments(&state.db).await? {
        if let Some(name) = names.get(&t) {
            assigned.entry(u).or_default().push(name.clone());
        }
    }
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let t = TableData {
        rows: rows
            .into_iter()
            .map(|r| {
                let mut ts = assigned.remove(&r.user.id).unwrap_or_default();
                ts.sort();
                RowView {
                    id: r.user.id.to_string(),
                    username: r.user.username,
                    display_name: r.user.display_name,
                    role: if r.role_system {
                        tr.t(crate::web::role_key(r.user.role)).to_owned()
                    } else {
                        r.role_name
                    },
                    department: r.department,
                    territories: ts.join(", "),
                    disabled: r.user.disabled,
                }
            })
            .collect(),
        total,
        page,
        pages,
        prev_url: (page > 1).then(|| list_url(&query, page - 1)),
        next_url: (page < pages).then(|| list_url(&query, page + 1)),
    };
    if is_htmx(&headers) && !headers.contains_key("hx-history-restore-request") {
        return render(&TablePartial { tr, t });
    }
    render(&ListPage {
        shell: Shell::new(&user, "admin"),
        tr,
        roles: role_options(&state, tr).await?,
        departments: department_options(&state).await?,
        query,
        t,
    })
}

/// The values of the create/edit form.
#[derive(Debug, Default, Clone)]
pub struct FormValues {
    username: String,
    display_name: String,
    role: String,
    department: String,
    territories: BTreeSet<String>,
}

#[derive(Template)]
#[template(path = "admin/user_form.html")]
struct FormPage {
    shell: Shell,
    tr: Tr,
    /// The user edited; `None` when creating.
    id: Option<String>,
    form: FormValues,
    errors: Vec<&'static str>,
    roles: Vec<RoleOption>,
    departments: Vec<TreeOption>,
    territories: Vec<TreeOption>,
}

async fn form_page(
    state: &AppState,
    user: &WebUser,
    id: Option<UserId>,
    form: FormValues,
    errors: Vec<&'static str>,
) -> Result<Response, WebError> {
    let tr = Tr(user.lang);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut response = render(&FormPage {
        shell: Shell::new(user, "admin"),
        tr,
        id: id.map(|i| i.to_string()),
        form,
        errors,
        roles: role_options(state, tr).await?,
        departments: department_options(state).await?,
        territories: territory_options(state).await?,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /admin/users/new`.
pub async fn new_form(State(state): State<AppState>, user: WebUser) -> Result<Response, WebError> {
    user.require(Permission::AdminUsers)?;
    let rep = roles::system_role(&state.db, fieldcrm_core::Role::Rep).await?;
    let form = FormValues {
        role: rep.map(|r| r.id.to_string()).unwrap_or_default(),
        ..FormValues::default()
    };
    form_page(&state, &user, None, form, Vec::new()).await
}

fn valid_username(username: &str) -> bool {
    let n = username.chars().count();
    (1..=64).contains(&n)
        && !username
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
}

/// A checked form: what to store, or the errors.
struct Checked {
    display_name: String,
    role: RoleRecord,
    department: Option<DepartmentId>,
    territories: Vec<TerritoryId>,
}

/// Reads and checks the fields common to create and edit.
async fn check_form(
    state: &AppState,
    actor: &WebUser,
    fields: &Fields,
    form: &mut FormValues,
    errors: &mut Vec<&'static str>,
) -> Result<Option<Checked>, WebError> {
    form.display_name = fields.get("display_name").chars().take(200).collect();
    form.role = fields.get("role").to_owned();
    form.department = fields.get("department").to_owned();
    form.territories = fields.all("territory").map(str::to_owned).collect();
    if form.display_name.chars().count() > 100 {
        errors.push("usr.err_display_name");
    }
    let role = match form_id::<RoleId>(&form.role, "role")? {
        Some(id) => roles::get(&state.db, id).await?,
        None => None,
    };
    let Some(role) = role else {
        errors.push("usr.err_role");
        return Ok(None);
    };
    // Handing out permissions one does not hold is for role administrators only.
    if !actor.can(Permission::AdminRoles) && !role.permissions.is_subset(&actor.permissions) {
        errors.push("usr.err_role_escalation");
    }
    let department = form_id::<DepartmentId>(&form.department, "department")?;
    if let Some(d) = department
        && departments::get(&state.db, d).await?.is_none()
    {
        errors.push("usr.err_department");
    }
    let known: BTreeSet<TerritoryId> = territories::list(&state.db)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    let mut chosen = Vec::new();
    for t in &form.territories {
        match t.parse::<TerritoryId>() {
            Ok(id) if known.contains(&id) => chosen.push(id),
            _ => {
                errors.push("usr.err_territory");
                break;
            }
        }
    }
    Ok(Some(Checked {
        display_name: form.display_name.clone(),
        role,
        department,
        territories: chosen,
    }))
}

async fn territory_names(state: &AppState, ids: &[TerritoryId]) -> Result<Vec<String>, WebError> {
    let names: HashMap<TerritoryId, String> = territories::list(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let mut out: Vec<String> = ids.iter().filter_map(|i| names.get(i).cloned()).collect();
    out.sort();
    Ok(out)
}

async fn department_name(
    state: &AppState,
    id: Option<DepartmentId>,
) -> Result<Option<String>, WebError> {
    Ok(match id {
        Some(id) => departments::get(&state.db, id).await?.map(|d| d.name),
        None => None,
    })
}

/// `POST /admin/users`: creates the user (argon2 hash of the initial password) with role,
/// department and territories; audited as `user.create`.
pub async fn create(
    State(state): State<AppState>,
    user: WebUser,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminUsers)?;
    let fields = Fields(fields);
    let mut form = FormValues {
        username: fields.get("username").chars().take(100).collect(),
        ..FormValues::default()
    };
    let mut errors = Vec::new();
    if !valid_username(&form.username) {
        errors.push("usr.err_username");
    }
    let password = fields
        .0
        .iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > 1024 {
        errors.push("usr.err_password");
    }
    let checked = check_form(&state, &user, &fields, &mut form, &mut errors).await?;
    let Some(checked) = checked.filter(|_| errors.is_empty()) else {
        return form_page(&state, &user, None, form, errors).await;
    };
    let hash = password::hash_password_blocking(password)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let display_name = if checked.display_name.is_empty() {
        form.username.clone()
    } else {
        checked.display_name.clone()
    };
    let created = match users::create_in_org(
        &state.db,
        &NewUser {
            username: &form.username,
            display_name: &display_name,
            role: checked.role.kind,
            password_hash: &hash,
        },
        Some(checked.role.id),
        checked.department,
    )
    .await
    {
        Ok(u) => u,
        Err(DbError::Duplicate(_)) => {
            return form_page(&state, &user, None, form, vec!["usr.err_taken"]).await;
        }
        Err(e) => return Err(e.into()),
    };
    territories::set_user_territories(&state.db, created.id, &checked.territories).await?;
    audit_change(
        &state,
        &user,
        "user.create",
        json!({
            "user_id": created.id.to_string(),
            "username": created.username,
            "display_name": created.display_name,
            "role": checked.role.name,
            "kind": checked.role.kind,
            "department": department_name(&state, checked.department).await?,
            "territories": territory_names(&state, &checked.territories).await?,
        }),
    )
    .await?;
    Ok(see_other(&format!("/admin/users/{}", created.id)))
}

/// `GET /admin/users/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminUsers)?;
    let id: UserId = path_id(&id)?;
    let target = users::get(&state.db, id).await?.ok_or(WebError::NotFound)?;
    let role = roles::effective(&state.db, target.role_id, target.role).await?;
    let form = FormValues {
        username: target.username,
        display_name: target.display_name,
        role: role.map(|r| r.id.to_string()).unwrap_or_default(),
        department: target
            .department_id
            .map(|d| d.to_string())
            .unwrap_or_default(),
        territories: territories::user_territories(&state.db, id)
            .await?
            .iter()
            .map(ToString::to_string)
            .collect(),
    };
    form_page(&state, &user, Some(id), form, Vec::new()).await
}

/// `POST /admin/users/{id}`: updates display name, role, department and territories; audited
/// as `user.update` with every changed field's old and new value.
pub async fn update(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminUsers)?;
    let id: UserId = path_id(&id)?;
    let before = users::get(&state.db, id).await?.ok_or(WebError::NotFound)?;
    let fields = Fields(fields);
    let mut form = FormValues {
        username: before.username.clone(),
        ..FormValues::default()
    };
    let mut errors = Vec::new();
    let checked = check_form(&state, &user, &fields, &mut form, &mut errors).await?;
    let Some(checked) = checked.filter(|_| errors.is_empty()) else {
        return form_page(&state, &user, Some(id), form, errors).await;
    };
    let old_role = roles::effective(&state.db, before.role_id, before.role).await?;
    let old_territories = territories::user_territories(&state.db, id).await?;
    let display_name = if checked.display_name.is_empty() {
        before.username.clone()
    } else {
        checked.display_name.clone()
    };
    let after = users::update_profile(
        &state.db,
        id,
        &Profile {
            display_name: &display_name,
            role: &checked.role,
            department: checked.department,
        },
    )
    .await?;
    territories::set_user_territories(&state.db, id, &checked.territories).await?;
    let mut changes = serde_json::Map::new();
    if before.display_name != after.display_name {
        changes.insert(
            "display_name".into(),
            json!([before.display_name, after.display_name]),
        );
    }
    let old_role_name = old_role.as_ref().map(|r| r.name.clone());
    if old_role.as_ref().map(|r| r.id) != Some(checked.role.id) {
        changes.insert("role".into(), json!([old_role_name, checked.role.name]));
    }
    if before.department_id != after.department_id {
        changes.insert(
            "department".into(),
            json!([
                department_name(&state, before.department_id).await?,
                department_name(&state, after.department_id).await?
            ]),
        );
    }
    let mut new_territories = checked.territories.clone();
    new_territories.sort();
    new_territories.dedup();
    if old_territories != new_territories {
        changes.insert(
            "territories".into(),
            json!([
                territory_names(&state, &old_territories).await?,
                territory_names(&state, &new_territories).await?
            ]),
        );
    }
    if !changes.is_empty() {
        audit_change(
            &state,
            &user,
            "user.update",
            json!({
                "user_id": id.to_string(),
                "username": before.username,
                "changes": changes,
            }),
        )
        .await?;
    }
    Ok(see_other(&format!("/admin/users/{id}")))
}

/// A device, formatted.
#[derive(Debug)]
pub struct DeviceView {
    id: String,
    name: String,
    created: String,
    last_seen: String,
    revoked: String,
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct ShowPage {
    shell: Shell,
    tr: Tr,
    id: String,
    username: String,
    display_name: String,
    role: String,
    department: String,
    territories: String,
    disabled: bool,
    is_self: bool,
    created: String,
    devices: Vec<DeviceView>,
    message: Option<&'static str>,
    error: Option<&'static str>,
}

async fn show_page(
    state: &AppState,
    user: &WebUser,
    id: UserId,
    message: Option<&'static str>,
    error: Option<&'static str>,
) -> Result<Response, WebError> {
    let target = users::get(&state.db, id).await?.ok_or(WebError::NotFound)?;
    let tr = Tr(user.lang);
    let role = roles::effective(&state.db, target.role_id, target.role).await?;
    let assigned = territories::user_territories(&state.db, id).await?;
    let devices = devices::list_for_user(&state.db, id)
        .await?
        .into_iter()
        .map(|d| DeviceView {
            id: d.id.to_string(),
            name: d.name,
            created: fmt_ms(Some(d.created_at)),
            last_seen: fmt_ms(d.last_seen_at),
            revoked: fmt_ms(d.revoked_at),
        })
        .collect();
    let mut response = render(&ShowPage {
        shell: Shell::new(user, "admin"),
        tr,
        id: id.to_string(),
        username: target.username,
        display_name: target.display_name,
        role: role.map(|r| role_label(tr, &r)).unwrap_or_default(),
        department: department_name(state, target.department_id)
            .await?
            .unwrap_or_default(),
        territories: territory_names(state, &assigned).await?.join(", "),
        disabled: target.disabled,
        is_self: id == user.user_id,
        created: fmt_ms(Some(target.created_at)),
        devices,
        message,
        error,
    })?;
    if error.is_some() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// `?done=` after a successful action on the user page.
#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    #[serde(default)]
    done: String,
}

/// `GET /admin/users/{id}`: profile, devices, password reset, disable/enable.
pub async fn show(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminUsers)?;
    let id: UserId = path_id(&id)?;
    let message = match q.done.as_str() {
        "password" => Some("usr.password_done"),
        "revoked" => Some("usr.revoked_done"),
        _ => None,
    };
    show_page(&state, &user, id, message, None).await
}

/// `POST /admin/users/{id}/password`: sets a new password; audited as `user.password_reset`
/// (without the password).
pub async fn reset_password(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminUsers)?;
    let id: UserId = path_id(&id)?;
    let target = users::get(&state.db, id).await?.ok_or(WebError::NotFound)?;
    let password = fields
        .into_iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v)
        .unwrap_or_default();
    if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > 1024 {
        return show_page(&state, &user, id, None, Some("usr.err_password")).await;
    }
    let hash = password::hash_password_blocking(password)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    users::set_password_hash(&state.db, id, &hash).await?;
    audit_change(
        &state,
        &user,
        "user.password_reset",
        json!({ "user_id": id.to_string(), "username": target.username }),
    )
    .await?;
    Ok(see_other(&format!("/admin/users/{id}?done=password")))
}

async fn set_disabled(
    state: &AppState,
    user: &WebUser,
    id: &str,
    disabled: bool,
) -> Result<Response, WebError> {
    user.require(Permission::AdminUsers)?;
    let id: UserId = path_id(id)?;
    let before = users::get(&state.db, id).await?.ok_or(WebError::NotFound)?;
    if disabled && id == user.user_id {
        return show_page(state, user, id, None, Some("usr.err_disable_self")).await;
    }
    let after = users::set_disabled_by_id(&state.db, id, disabled).await?;
    if before.disabled != after.disabled {
        audit_change(
            state,
            user,
            if disabled {
                "user.disable"
            } else {
                "user.enable"
            },
            json!({
                "user_id": id.to_string(),
                "username": after.username,
                "changes": { "disabled": [before.disabled, after.disabled] },
            }),
        )
        .await?;
    }
    Ok(see_other(&format!("/admin/users/{id}")))
}

/// `POST /admin/users/{id}/disable`: the user can no longer sign in; their web sessions end
/// and their devices are refused (refresh, API and sync).
pub async fn disable(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    set_disabled(&state, &user, &id, true).await
}

/// `POST /admin/users/{id}/enable`.
pub async fn enable(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    set_disabled(&state, &user, &id, false).await
}

/// `POST /admin/users/{id}/devices/{device}/revoke`: revokes the device and its refresh tokens
/// (its access tokens fail at the next request or sync connection); audited as `device.revoke`.
pub async fn revoke_device(
    State(state): State<AppState>,
    user: WebUser,
    Path((id, device)): Path<(String, String)>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminUsers)?;
    let id: UserId = path_id(&id)?;
    let device: DeviceId = path_id(&device)?;
    let found = devices::get(&state.db, device)
        .await?
        .filter(|d| d.user_id == id)
        .ok_or(WebError::NotFound)?;
    let newly = devices::revoke(&state.db, device).await?;
    let mut entry = crate::db::audit::AuditEntry::new("device.revoke");
    entry.user_id = Some(user.user_id);
    entry.device_id = Some(device);
    entry.verdict = Some(if newly { "ok" } else { "already_revoked" }.into());
    entry.detail = json!({
        "owner": id.to_string(),
        "device_name": found.name,
        "via": "back_office",
    });
    crate::db::audit::record(&state.db, &entry).await?;
    Ok(see_other(&format!("/admin/users/{id}?done=revoked")))
}

/// (key, zh-CN, English): the user administration's messages.
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("usr.title", "用户", "Users"),
    ("usr.new", "新建用户", "New user"),
    ("usr.edit", "编辑用户", "Edit user"),
    ("usr.username", "用户名", "Username"),
    ("usr.display_name", "显示名称", "Display name"),
    ("usr.role", "角色", "Role"),
    ("usr.department", "部门", "Department"),
    ("usr.territories", "区域", "Territories"),
    ("usr.password", "初始密码", "Initial password"),
    ("usr.new_password", "新密码", "New password"),
    ("usr.status", "状态", "Status"),
    ("usr.active", "启用", "Active"),
    ("usr.disabled", "已停用", "Disabled"),
    ("usr.created", "创建时间", "Created"),
    ("usr.search_placeholder", "用户名或姓名", "Username or name"),
    ("usr.none", "没有符合条件的用户", "No users match"),
    ("usr.disable", "停用", "Disable"),
    ("usr.enable", "启用", "Enable"),
    ("usr.reset_password", "重置密码", "Reset password"),
    ("usr.devices", "已注册设备", "Registered devices"),
    ("usr.device_name", "设备名称", "Device"),
    ("usr.device_created", "注册时间", "Registered"),
    ("usr.device_last_seen", "最近活动", "Last seen"),
    ("usr.device_revoked", "吊销时间", "Revoked"),
    ("usr.revoke", "吊销", "Revoke"),
    ("usr.no_devices", "暂无设备", "No devices"),
    ("usr.password_hint", "至少8个字符", "At least 8 characters"),
    (
        "usr.territories_hint",
        "销售看到所选区域的客户；经理看到所选区域及其下级区域",
        "Reps see the customers of these territories; managers see them and everything below",
    ),
    ("usr.password_done", "密码已重置", "The password was reset"),
    ("usr.revoked_done", "设备已吊销", "The device was revoked"),
    (
        "usr.err_username",
        "用户名须为1至64个字符，且不含空白",
        "The username must be 1 to 64 characters without spaces",
    ),
    (
        "usr.err_taken",
        "用户名已被使用",
        "That username is already taken",
    ),
    (
        "usr.err_password",
        "密码至少8个字符",
        "The password must be at least 8 characters",
    ),
    (
        "usr.err_display_name",
        "显示名称不超过100个字符",
        "The display name must be at most 100 characters",
    ),
    ("usr.err_role", "请选择角色", "Choose a role"),
    (
        "usr.err_role_escalation",
        "不能授予超出您自身权限的角色",
        "You cannot grant a role with permissions you do not have",
    ),
    (
        "usr.err_department",
        "部门不存在",
        "That department does not exist",
    ),
    (
        "usr.err_territory",
        "区域不存在",
        "That territory does not exist",
    ),
    (
        "usr.err_disable_self",
        "不能停用自己的账号",
        "You cannot disable your own account",
    ),
];

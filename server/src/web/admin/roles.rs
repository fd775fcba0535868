//! Roles (`Permission::AdminRoles`): the list, and create/edit with a checkbox matrix of
//! permissions, the built-in kind the role is based on and its data scope; delete when unused.
//! A change applies to the role's users at their next request (the back office reads the role
//! on every request). Audited as `role.create`, `role.update` (permissions added and removed,
//! old → new kind, scope and name), `role.delete`.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use fieldcrm_core::{Role, RoleId};
use serde_json::json;

use super::{Fields, audit_change, path_id, role_label, see_other};
use crate::auth::permissions::{DataScope, Permission, default_max_discount_bp};
use crate::db::DbError;
use crate::db::roles::{self, RoleChangeError, RoleRecord, RoleSpec};
use crate::startup::AppState;
use crate::web::i18n::Tr;
use crate::web::session::WebUser;
use crate::web::{Shell, WebError, render, role_key};

/// A role as listed.
#[derive(Debug)]
pub struct RoleView {
    id: String,
    label: String,
    kind: &'static str,
    scope: &'static str,
    permissions: Vec<&'static str>,
    users: i64,
    system: bool,
}

#[derive(Template)]
#[template(path = "admin/roles.html")]
struct ListPage {
    shell: Shell,
    tr: Tr,
    roles: Vec<RoleView>,
}

/// The message key of a permission's label.
pub fn permission_key(p: Permission) -> &'static str {
    match p {
        Permission::CustomersView => "perm.customers.view",
        Permission::CustomersEdit => "perm.customers.edit",
        Permission::CustomersReassign => "perm.customers.reassign",
        Permission::CustomersImport => "perm.customers.import",
        Permission::CustomersExport => "perm.customers.export",
        Permission::VisitsView => "perm.visits.view",
        Permission::VisitsEdit => "perm.visits.edit",
        Permission::AdminUsers => "perm.admin.users",
        Permission::AdminOrg => "perm.admin.org",
        Permission::AdminRoles => "perm.admin.roles",
        Permission::AdminSchema => "perm.admin.schema",
        Permission::AuditView => "perm.audit.view",
        Permission::CatalogView => "perm.catalog.view",
        Permission::CatalogEdit => "perm.catalog.edit",
        Permission::OrdersView => "perm.orders.view",
        Permission::OrdersManage => "perm.orders.manage",
        Permission::PaymentsView => "perm.payments.view",
        Permission::PaymentsEdit => "perm.payments.edit",
        Permission::ContractsView => "perm.contracts.view",
        Permission::ContractsEdit => "perm.contracts.edit",
        Permission::ServiceView => "perm.service.view",
        Permission::ServiceDispatch => "perm.service.dispatch",
    }
}

/// The message key of a data scope's label.
pub fn scope_key(s: DataScope) -> &'static str {
    match s {
        DataScope::Own => "scope.self",
        DataScope::Department => "scope.department",
        DataScope::DepartmentTree => "scope.department_tree",
        DataScope::All => "scope.all",
    }
}

/// `GET /admin/roles`.
pub async fn list(State(state): State<AppState>, user: WebUser) -> Result<Response, WebError> {
    user.require(Permission::AdminRoles)?;
    let tr = Tr(user.lang);
    let counts = roles::user_counts(&state.db).await?;
    let roles = roles::list(&state.db)
        .await?
        .into_iter()
        .map(|r| RoleView {
            id: r.id.to_string(),
            label: role_label(tr, &r),
            kind: tr.t(role_key(r.kind)),
            scope: tr.t(scope_key(r.data_scope)),
            permissions: r
                .permissions
                .iter()
                .map(|p| tr.t(permission_key(*p)))
                .collect(),
            users: counts.get(&r.id).copied().unwrap_or(0),
            system: r.system,
        })
        .collect();
    render(&ListPage {
        shell: Shell::new(&user, "admin"),
        tr,
        roles,
    })
}

/// A checkbox of the permission matrix.
#[derive(Debug)]
pub struct PermBox {
    name: &'static str,
    label: &'static str,
    checked: bool,
}

/// An option of a select.
#[derive(Debug)]
pub struct Choice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "admin/role_form.html")]
struct FormPage {
    shell: Shell,
    tr: Tr,
    id: Option<String>,
    name: String,
    system: bool,
    locked: bool,
    kinds: Vec<Choice>,
    scopes: Vec<Choice>,
    permissions: Vec<PermBox>,
    max_discount: String,
    default_discount: String,
    errors: Vec<&'static str>,
    in_use: i64,
}

fn form_page(
    user: &WebUser,
    id: Option<RoleId>,
    spec: &RoleSpec,
    role: Option<&RoleRecord>,
    in_use: i64,
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
        name: match role {
            Some(r) if r.system => role_label(tr, r),
            _ => spec.name.clone(),
        },
        system: role.is_some_and(|r| r.system),
        locked: role.is_some_and(RoleRecord::is_locked),
        kinds: Role::ALL
            .into_iter()
            .map(|k| Choice {
                value: k.as_str(),
                label: tr.t(role_key(k)),
                selected: k == spec.kind,
            })
            .collect(),
        scopes: DataScope::ALL
            .into_iter()
            .map(|s| Choice {
                value: s.as_str(),
                label: tr.t(scope_key(s)),
                selected: s == spec.data_scope,
            })
            .collect(),
        permissions: Permission::ALL
            .into_iter()
            .map(|p| PermBox {
                name: p.as_str(),
                label: tr.t(permission_key(p)),
                checked: spec.permissions.contains(&p),
            })
            .collect(),
        max_discount: spec.max_discount_bp.map(percent_text).unwrap_or_default(),
        default_discount: percent_text(default_max_discount_bp(spec.kind)),
        errors,
        in_use,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /admin/roles/new`.
pub async fn new_form(user: WebUser) -> Result<Response, WebError> {
    user.require(Permission::AdminRoles)?;
    let spec = RoleSpec {
        name: String::new(),
        kind: Role::Rep,
        permissions: BTreeSet::new(),
        data_scope: DataScope::Own,
        max_discount_bp: None,
    };
    form_page(&user, None, &spec, None, 0, Vec::new())
}

/// `GET /admin/roles/{id}`: the edit form.
pub async fn edit_form(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminRoles)?;
    let id: RoleId = path_id(&id)?;
    let role = roles::get(&state.db, id).await?.ok_or(WebError::NotFound)?;
    let in_use = roles::user_counts(&state.db)
        .await?
        .get(&id)
        .copied()
        .unwrap_or(0);
    let spec = RoleSpec {
        name: role.name.clone(),
        kind: role.kind,
        permissions: role.permissions.clone(),
        data_scope: role.data_scope,
        max_discount_bp: role.max_discount_bp,
    };
    form_page(&user, Some(id), &spec, Some(&role), in_use, Vec::new())
}

/// A percentage with at most two decimals (`12.5`) in basis points, within 0–100 %.
fn parse_percent_bp(text: &str) -> Option<i64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole
            .chars()
            .chain(frac.chars())
            .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    let bp = whole.checked_mul(100)?.checked_add(frac)?;
    (0..=10_000).contains(&bp).then_some(bp)
}

/// Basis points as a percentage for the form (`1250` → `12.5`).
fn percent_text(bp: i64) -> String {
    let text = format!("{}.{:02}", bp / 100, bp % 100);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Reads the form; unknown permission names or kinds are a 400 (the form offers only known ones).
fn read_spec(fields: &Fields, errors: &mut Vec<&'static str>) -> Result<RoleSpec, WebError> {
    let name: String = fields.get("name").chars().take(200).collect();
    if !(1..=100).contains(&name.chars().count()) {
        errors.push("adm.err_name");
    }
    let kind: Role = fields
        .get("kind")
        .parse()
        .map_err(|_| WebError::BadRequest("kind".into()))?;
    let data_scope = DataScope::parse(fields.get("scope"))
        .ok_or_else(|| WebError::BadRequest("scope".into()))?;
    let permissions = fields
        .all("perm")
        .map(|p| Permission::parse(p).ok_or_else(|| WebError::BadRequest("permission".into())))
        .collect::<Result<BTreeSet<_>, _>>()?;
    let max_discount_bp = match fields.get("max_discount").trim() {
        "" => None,
        text => match parse_percent_bp(text) {
            Some(bp) => Some(bp),
            None => {
                errors.push("role.err_discount");
                None
            }
        },
    };
    Ok(RoleSpec {
        name,
        kind,
        permissions,
        data_scope,
        max_discount_bp,
    })
}

/// `POST /admin/roles`: creates a role.
pub async fn create(
    State(state): State<AppState>,
    user: WebUser,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminRoles)?;
    let mut errors = Vec::new();
    let spec = read_spec(&Fields(fields), &mut errors)?;
    if !errors.is_empty() {
        return form_page(&user, None, &spec, None, 0, errors);
    }
    let role = match roles::create(&state.db, &spec).await {
        Ok(r) => r,
        Err(DbError::Duplicate(_)) => {
            return form_page(&user, None, &spec, None, 0, vec!["adm.err_duplicate"]);
        }
        Err(e) => return Err(e.into()),
    };
    audit_change(
        &state,
        &user,
        "role.create",
        json!({
            "id": role.id.to_string(),
            "name": role.name,
            "kind": role.kind,
            "scope": role.data_scope.as_str(),
            "permissions": role.permissions.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        }),
    )
    .await?;
    Ok(see_other("/admin/roles"))
}

/// `POST /admin/roles/{id}`: updates a role. The system admin role's permissions and scope and
/// every system role's kind are fixed (422).
pub async fn update(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminRoles)?;
    let id: RoleId = path_id(&id)?;
    let current = roles::get(&state.db, id).await?.ok_or(WebError::NotFound)?;
    let in_use = roles::user_counts(&state.db)
        .await?
        .get(&id)
        .copied()
        .unwrap_or(0);
    let mut errors = Vec::new();
    let mut spec = read_spec(&Fields(fields), &mut errors)?;
    if current.system {
        // A system role keeps its name (it is shown as its translated kind).
        spec.name = current.name.clone();
        errors.retain(|e| *e != "adm.err_name");
    }
    if !errors.is_empty() {
        return form_page(&user, Some(id), &spec, Some(&current), in_use, errors);
    }
    let (before, after) = match roles::update(&state.db, id, &spec).await {
        Ok(r) => r,
        Err(e) => {
            let key = match e {
                RoleChangeError::Locked => "role.err_locked",
                RoleChangeError::System => "role.err_system_kind",
                RoleChangeError::InUse => "role.err_in_use",
                RoleChangeError::Db(DbError::Duplicate(_)) => "adm.err_duplicate",
                RoleChangeError::Db(e) => return Err(e.into()),
            };
            return form_page(&user, Some(id), &spec, Some(&current), in_use, vec![key]);
        }
    };
    let mut changes = serde_json::Map::new();
    if before.name != after.name {
        changes.insert("name".into(), json!([before.name, after.name]));
    }
    if before.kind != after.kind {
        changes.insert("kind".into(), json!([before.kind, after.kind]));
    }
    if before.data_scope != after.data_scope {
        changes.insert(
            "scope".into(),
            json!([before.data_scope.as_str(), after.data_scope.as_str()]),
        );
    }
    let added: Vec<&str> = after
        .permissions
        .difference(&before.permissions)
        .map(|p| p.as_str())
        .collect();
    let removed: Vec<&str> = before
        .permissions
        .difference(&after.permissions)
        .map(|p| p.as_str())
        .collect();
    if !added.is_empty() || !removed.is_empty() {
        changes.insert(
            "permissions".into(),
            json!({ "added": added, "removed": removed }),
        );
    }
    if !changes.is_empty() {
        audit_change(
            &state,
            &user,
            "role.update",
            json!({ "id": id.to_string(), "name": after.name, "changes": changes }),
        )
        .await?;
    }
    Ok(see_other("/admin/roles"))
}

/// `POST /admin/roles/{id}/delete`: deletes a role nobody has (system roles stay).
pub async fn delete(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminRoles)?;
    let id: RoleId = path_id(&id)?;
    let current = roles::get(&state.db, id).await?.ok_or(WebError::NotFound)?;
    match roles::delete(&state.db, id).await {
        Ok(r) => {
            audit_change(
                &state,
                &user,
                "role.delete",
                json!({ "id": id.to_string(), "name": r.name }),
            )
            .await?;
            Ok(see_other("/admin/roles"))
        }
        Err(e) => {
            let key = match e {
                RoleChangeError::System | RoleChangeError::Locked => "role.err_system_delete",
                RoleChangeError::InUse => "role.err_in_use",
                RoleChangeError::Db(e) => return Err(e.into()),
            };
            let in_use = roles::user_counts(&state.db)
                .await?
                .get(&id)
                .copied()
                .unwrap_or(0);
            let spec = RoleSpec {
                name: current.name.clone(),
                kind: current.kind,
                permissions: current.permissions.clone(),
                data_scope: current.data_scope,
                max_discount_bp: current.max_discount_bp,
            };
            form_page(&user, Some(id), &spec, Some(&current), in_use, vec![key])
        }
    }
}

/// (key, zh-CN, English): the role pages' messages.
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("role.title", "角色与权限", "Roles and permissions"),
    ("role.new", "新建角色", "New role"),
    ("role.edit", "编辑角色", "Edit role"),
    ("role.name", "角色名称", "Role name"),
    ("role.kind", "基础类型", "Based on"),
    (
        "role.kind_hint",
        "决定手机端的同步策略与区域范围",
        "Decides the phone app's sync policy and territory scope",
    ),
    ("role.scope", "数据范围", "Data scope"),
    ("role.max_discount", "最高折扣（%）", "Largest discount (%)"),
    (
        "role.max_discount_hint",
        "留空则使用该类型的默认值",
        "Empty: the default of the kind",
    ),
    (
        "role.err_discount",
        "折扣须为 0 到 100 之间的百分数，最多两位小数",
        "The discount must be a percentage from 0 to 100 with at most two decimals",
    ),
    ("role.permissions", "权限", "Permissions"),
    ("role.users", "用户数", "Users"),
    ("role.system", "系统角色", "System role"),
    (
        "role.locked_hint",
        "系统管理员角色始终拥有全部权限",
        "The system administrator role always has every permission",
    ),
    (
        "role.err_locked",
        "系统管理员角色的权限和数据范围不能修改",
        "The system administrator role's permissions and scope cannot be changed",
    ),
    (
        "role.err_system_kind",
        "系统角色的基础类型不能修改",
        "A system role's kind cannot be changed",
    ),
    (
        "role.err_system_delete",
        "系统角色不能删除",
        "A system role cannot be deleted",
    ),
    (
        "role.err_in_use",
        "仍有用户使用该角色，不能删除",
        "Users still have this role; it cannot be deleted",
    ),
    ("scope.self", "本人", "Own records"),
    ("scope.department", "本部门", "Department"),
    (
        "scope.department_tree",
        "本部门及下级部门",
        "Department and below",
    ),
    ("scope.all", "全部", "All"),
    ("perm.customers.view", "查看客户", "View customers"),
    ("perm.customers.edit", "编辑客户", "Edit customers"),
    (
        "perm.customers.reassign",
        "调整客户区域与负责人",
        "Reassign customers",
    ),
    ("perm.customers.import", "导入客户", "Import customers"),
    ("perm.customers.export", "导出客户", "Export customers"),
    ("perm.visits.view", "查看拜访", "View visits"),
    (
        "perm.visits.edit",
        "编辑拜访的自定义字段",
        "Edit visits' custom fields",
    ),
    (
        "perm.admin.users",
        "管理用户与设备",
        "Manage users and devices",
    ),
    (
        "perm.admin.org",
        "管理部门与区域",
        "Manage departments and territories",
    ),
    ("perm.admin.roles", "管理角色与权限", "Manage roles"),
    (
        "perm.admin.schema",
        "管理数据字典与自定义字段",
        "Manage the data dictionary",
    ),
    ("perm.audit.view", "查看审计日志", "View the audit log"),
    (
        "perm.catalog.view",
        "查看产品与价格表",
        "View products and price lists",
    ),
    (
        "perm.catalog.edit",
        "维护产品与价格表",
        "Edit products and price lists",
    ),
    ("perm.orders.view", "查看订单", "View orders"),
    (
        "perm.orders.manage",
        "审核、发货、取消订单",
        "Confirm, ship and cancel orders",
    ),
    (
        "perm.payments.view",
        "查看回款与应收",
        "View payments and receivables",
    ),
    ("perm.payments.edit", "登记回款", "Record payments"),
    ("perm.contracts.view", "查看合同", "View contracts"),
    ("perm.contracts.edit", "维护合同", "Edit contracts"),
    (
        "perm.service.view",
        "查看工单与派工",
        "View tickets and dispatches",
    ),
    (
        "perm.service.dispatch",
        "创建工单、派工与关闭",
        "Create, dispatch and close tickets",
    ),
];

#[cfg(test)]
mod tests {
    use super::{parse_percent_bp, percent_text};

    #[test]
    fn discount_percentages() {
        assert_eq!(parse_percent_bp("10"), Some(1_000));
        assert_eq!(parse_percent_bp("12.5"), Some(1_250));
        assert_eq!(parse_percent_bp("0.05"), Some(5));
        assert_eq!(parse_percent_bp("100"), Some(10_000));
        for bad in ["100.01", "-1", "1.234", "", ".5", "1e2", "１０"] {
            assert_eq!(parse_percent_bp(bad), None, "{bad}");
        }
        assert_eq!(percent_text(1_250), "12.5");
        assert_eq!(percent_text(1_000), "10");
        assert_eq!(percent_text(5), "0.05");
    }
}

//! Back-office administration: users and their devices ([`users`]), the department and
//! territory trees ([`org`]), roles as permission sets with a data scope ([`roles`]), and the
//! audit log viewer ([`audit`]). Every route checks its permission server-side (`AdminUsers`,
//! `AdminOrg`, `AdminRoles`, `AuditView`); every change is audited as the acting user with the
//! old and new values.

pub mod audit;
pub mod org;
pub mod roles;
pub mod users;

use std::collections::HashMap;

use askama::Template;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::i18n::Tr;
use super::session::WebUser;
use super::{Shell, WebError, render};
use crate::auth::permissions::Permission;
use crate::db::audit::AuditEntry;
use crate::db::roles::RoleRecord;
use crate::db::tree;
use crate::startup::AppState;

/// The administration routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/admin", get(index))
        .route("/admin/users", get(users::list).post(users::create))
        .route("/admin/users/new", get(users::new_form))
        .route("/admin/users/{id}", get(users::show).post(users::update))
        .route("/admin/users/{id}/edit", get(users::edit_form))
        .route("/admin/users/{id}/password", post(users::reset_password))
        .route("/admin/users/{id}/disable", post(users::disable))
        .route("/admin/users/{id}/enable", post(users::enable))
        .route(
            "/admin/users/{id}/devices/{device}/revoke",
            post(users::revoke_device),
        )
        .route(
            "/admin/departments",
            get(org::departments).post(org::create_department),
        )
        .route(
            "/admin/departments/{id}",
            get(org::department).post(org::update_department),
        )
        .route(
            "/admin/departments/{id}/delete",
            post(org::delete_department),
        )
        .route(
            "/admin/territories",
            get(org::territories).post(org::create_territory),
        )
        .route(
            "/admin/territories/{id}",
            get(org::territory).post(org::update_territory),
        )
        .route("/admin/territories/{id}/users", post(org::assign_territory))
        .route("/admin/roles", get(roles::list).post(roles::create))
        .route("/admin/roles/new", get(roles::new_form))
        .route(
            "/admin/roles/{id}",
            get(roles::edit_form).post(roles::update),
        )
        .route("/admin/roles/{id}/delete", post(roles::delete))
        .route("/admin/audit", get(audit::list))
        .route("/admin/logins", get(audit::logins))
}

/// One section of the administration index.
#[derive(Debug)]
pub struct Section {
    href: &'static str,
    id: &'static str,
    title: &'static str,
    text: &'static str,
}

#[derive(Template)]
#[template(path = "admin/index.html")]
struct IndexPage {
    shell: Shell,
    tr: Tr,
    sections: Vec<Section>,
}

/// `GET /admin`: the sections the user may open; 403 without any administration permission.
pub async fn index(user: WebUser) -> Result<Response, WebError> {
    if !user.can_administer() {
        return Err(WebError::Forbidden);
    }
    let tr = Tr(user.lang);
    let all = [
        (
            Permission::AdminUsers,
            "/admin/users",
            "admin-users",
            "adm.users",
            "adm.users_text",
        ),
        (
            Permission::AdminOrg,
            "/admin/departments",
            "admin-departments",
            "adm.departments",
            "adm.departments_text",
        ),
        (
            Permission::AdminOrg,
            "/admin/territories",
            "admin-territories",
            "adm.territories",
            "adm.territories_text",
        ),
        (
            Permission::AdminRoles,
            "/admin/roles",
            "admin-roles",
            "adm.roles",
            "adm.roles_text",
        ),
        (
            Permission::AuditView,
            "/admin/audit",
            "admin-audit",
            "adm.audit",
            "adm.audit_text",
        ),
    ];
    let sections = all
        .into_iter()
        .filter(|(p, ..)| user.can(*p))
        .map(|(_, href, id, title, text)| Section {
            href,
            id,
            title: tr.t(title),
            text: tr.t(text),
        })
        .collect();
    render(&IndexPage {
        shell: Shell::new(&user, "admin"),
        tr,
        sections,
    })
}

/// An urlencoded form as its (name, value) pairs: keeps repeated fields (checkbox groups).
#[derive(Debug, Default)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed (empty if absent).
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.trim())
    }

    /// Every non-empty value of `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// Parses a path id; anything malformed is a 404.
pub fn path_id<T: std::str::FromStr>(s: &str) -> Result<T, WebError> {
    s.parse().map_err(|_| WebError::NotFound)
}

/// Parses an optional form id (empty = `None`); malformed is a 400.
pub fn form_id<T: std::str::FromStr>(s: &str, what: &str) -> Result<Option<T>, WebError> {
    if s.is_empty() {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|_| WebError::BadRequest(what.to_owned()))
}

/// Writes the audit row of an administrative change by `actor`.
pub async fn audit_change(
    state: &AppState,
    actor: &WebUser,
    action: &str,
    detail: Value,
) -> Result<(), WebError> {
    let mut entry = AuditEntry::new(action);
    entry.user_id = Some(actor.user_id);
    entry.verdict = Some("ok".into());
    entry.detail = detail;
    crate::db::audit::record(&state.db, &entry).await?;
    Ok(())
}

/// A 303 to `to` (after a successful POST).
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response()
}

/// A role's name as shown: a system role's translated kind, else its name.
pub fn role_label(tr: Tr, role: &RoleRecord) -> String {
    if role.system {
        tr.t(super::role_key(role.kind)).to_owned()
    } else {
        role.name.clone()
    }
}

/// An option of a tree-shaped select: id, name indented by depth.
#[derive(Clone, Debug)]
pub struct TreeOption {
    /// The node's id.
    pub id: String,
    /// The name, indented by depth.
    pub label: String,
    /// The plain name.
    pub name: String,
    /// Depth in the tree (0 = root).
    pub depth: usize,
}

/// The nodes `(id, name, parent)` in tree order with their depth.
pub fn tree_options<Id>(nodes: &[(Id, String, Option<Id>)]) -> Vec<TreeOption>
where
    Id: Copy + Eq + std::hash::Hash + Ord + std::fmt::Display,
{
    let parents: HashMap<Id, Option<Id>> = nodes.iter().map(|(id, _, p)| (*id, *p)).collect();
    let names: HashMap<Id, &str> = nodes.iter().map(|(id, n, _)| (*id, n.as_str())).collect();
    tree::ordered(&parents, |id| names.get(&id).copied().unwrap_or_default())
        .into_iter()
        .map(|(id, depth)| {
            let name = names.get(&id).copied().unwrap_or_default().to_owned();
            TreeOption {
                id: id.to_string(),
                label: format!("{}{name}", "\u{3000}".repeat(depth)),
                name,
                depth,
            }
        })
        .collect()
}

/// (key, zh-CN, English): the administration pages' messages.
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("nav.admin", "系统管理", "Administration"),
    ("adm.title", "系统管理", "Administration"),
    ("adm.users", "用户", "Users"),
    (
        "adm.users_text",
        "账号、角色、部门、区域、密码、设备",
        "Accounts, roles, departments, territories, passwords, devices",
    ),
    ("adm.departments", "部门", "Departments"),
    (
        "adm.departments_text",
        "组织架构：部门树",
        "The organisation's department tree",
    ),
    ("adm.territories", "区域", "Territories"),
    (
        "adm.territories_text",
        "区域树及销售、经理的区域分配",
        "The territory tree and which reps and managers cover it",
    ),
    ("adm.roles", "角色与权限", "Roles and permissions"),
    (
        "adm.roles_text",
        "角色的权限集合与数据范围",
        "Each role's permissions and data scope",
    ),
    ("adm.audit", "审计日志", "Audit log"),
    (
        "adm.audit_text",
        "登录、同步裁决与管理操作",
        "Sign-ins, sync verdicts and administrative changes",
    ),
    ("adm.save", "保存", "Save"),
    ("adm.cancel", "取消", "Cancel"),
    ("adm.create", "创建", "Create"),
    ("adm.edit", "编辑", "Edit"),
    ("adm.delete", "删除", "Delete"),
    ("adm.name", "名称", "Name"),
    ("adm.parent", "上级", "Parent"),
    ("adm.root", "（顶级）", "(top level)"),
    ("adm.members", "成员", "Members"),
    ("adm.none", "暂无", "None"),
    ("adm.all", "全部", "All"),
    ("adm.filter", "筛选", "Filter"),
    ("adm.total", "共计", "Total"),
    ("adm.page", "页", "Page"),
    ("adm.prev", "上一页", "Previous"),
    ("adm.next", "下一页", "Next"),
    (
        "adm.errors",
        "请更正以下错误：",
        "Please correct the following:",
    ),
    ("adm.saved", "已保存", "Saved"),
    ("adm.back", "返回", "Back"),
    ("adm.yes", "是", "Yes"),
    ("adm.no", "否", "No"),
    (
        "adm.err_name",
        "名称不能为空，且不超过100个字符",
        "The name must be 1 to 100 characters",
    ),
    (
        "adm.err_duplicate",
        "名称已存在",
        "That name is already taken",
    ),
    (
        "adm.err_cycle",
        "不能移动到自身或其下级之下",
        "A node cannot be moved under itself or one of its descendants",
    ),
    (
        "adm.err_not_empty",
        "只能删除没有下级和成员的部门",
        "Only a department without subdepartments or members can be deleted",
    ),
    ("adm.err_parent", "上级不存在", "The parent does not exist"),
];

//! The organisation (`Permission::AdminOrg`): the department tree (create, rename, move without
//! cycles, delete when empty) and the territory tree (create, rename, move without cycles,
//! assign reps and managers). A change of a user's territories, or of the tree under a
//! manager's territory, reaches their devices at the next catch-up (the sync session rescopes).

use std::collections::{BTreeSet, HashMap};

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use fieldcrm_core::{DepartmentId, Role, TerritoryId, UserId};
use serde_json::json;

use super::{Fields, TreeOption, audit_change, form_id, path_id, see_other, tree_options};
use crate::auth::permissions::Permission;
use crate::db::tree::TreeError;
use crate::db::{DbError, departments, territories, users};
use crate::startup::AppState;
use crate::web::i18n::Tr;
use crate::web::session::WebUser;
use crate::web::{Shell, WebError, render};

/// Which tree a page shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeKind {
    /// Departments.
    Departments,
    /// Territories.
    Territories,
}

impl TreeKind {
    fn base(self) -> &'static str {
        match self {
            TreeKind::Departments => "/admin/departments",
            TreeKind::Territories => "/admin/territories",
        }
    }

    fn title(self) -> &'static str {
        match self {
            TreeKind::Departments => "adm.departments",
            TreeKind::Territories => "adm.territories",
        }
    }
}

/// A node as listed.
#[derive(Debug)]
pub struct NodeView {
    id: String,
    name: String,
    depth: usize,
    /// Members (departments) or assigned users (territories), as names.
    people: String,
}

#[derive(Template)]
#[template(path = "admin/tree.html")]
struct TreePage {
    shell: Shell,
    tr: Tr,
    base: &'static str,
    title: &'static str,
    nodes: Vec<NodeView>,
    parents: Vec<TreeOption>,
    new_name: String,
    new_parent: String,
    errors: Vec<&'static str>,
}

/// A user that can be assigned to a territory.
#[derive(Debug)]
pub struct Assignable {
    id: String,
    label: String,
    assigned: bool,
}

#[derive(Template)]
#[template(path = "admin/node.html")]
struct NodePage {
    shell: Shell,
    tr: Tr,
    base: &'static str,
    title: &'static str,
    id: String,
    name: String,
    parent: String,
    /// Parent candidates (the node's own subtree is left out).
    parents: Vec<TreeOption>,
    errors: Vec<&'static str>,
    /// Department members, as names (departments only).
    members: Vec<String>,
    /// Reps and managers with whether they cover the territory (territories only).
    assignable: Vec<Assignable>,
    is_territory: bool,
}

fn status_for(errors: &[&'static str]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

fn tree_error_key(e: TreeError) -> Result<&'static str, WebError> {
    match e {
        TreeError::Cycle => Ok("adm.err_cycle"),
        TreeError::NotEmpty => Ok("adm.err_not_empty"),
        TreeError::Db(DbError::Duplicate(_)) => Ok("adm.err_duplicate"),
        TreeError::Db(DbError::NotFound(_)) => Ok("adm.err_parent"),
        TreeError::Db(e) => Err(e.into()),
    }
}

fn valid_name(name: &str) -> bool {
    (1..=100).contains(&name.chars().count())
}

/// The nodes of a tree as `(id, name, parent)`.
async fn nodes(
    state: &AppState,
    kind: TreeKind,
) -> Result<Vec<(String, String, Option<String>)>, WebError> {
    Ok(match kind {
        TreeKind::Departments => departments::list(&state.db)
            .await?
            .into_iter()
            .map(|d| (d.id.to_string(), d.name, d.parent_id.map(|p| p.to_string())))
            .collect(),
        TreeKind::Territories => territories::list(&state.db)
            .await?
            .into_iter()
            .map(|t| (t.id.to_string(), t.name, t.parent_id.map(|p| p.to_string())))
            .collect(),
    })
}

async fn options(state: &AppState, kind: TreeKind) -> Result<Vec<TreeOption>, WebError> {
    Ok(match kind {
        TreeKind::Departments => {
            let all = departments::list(&state.db).await?;
            tree_options(
                &all.into_iter()
                    .map(|d| (d.id, d.name, d.parent_id))
                    .collect::<Vec<_>>(),
            )
        }
        TreeKind::Territories => {
            let all = territories::list(&state.db).await?;
            tree_options(
                &all.into_iter()
                    .map(|t| (t.id, t.name, t.parent_id))
                    .collect::<Vec<_>>(),
            )
        }
    })
}

/// Display names of every user, by id.
async fn user_names(state: &AppState) -> Result<HashMap<String, String>, WebError> {
    Ok(users::list(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id.to_string(), u.display_name))
        .collect())
}

async fn tree_page(
    state: &AppState,
    user: &WebUser,
    kind: TreeKind,
    new_name: String,
    new_parent: String,
    errors: Vec<&'static str>,
) -> Result<Response, WebError> {
    let names = user_names(state).await?;
    let mut people: HashMap<String, Vec<String>> = HashMap::new();
    match kind {
        TreeKind::Departments => {
            for u in users::list(&state.db).await? {
                if let Some(d) = u.department_id {
                    people
                        .entry(d.to_string())
                        .or_default()
                        .push(u.display_name);
                }
            }
        }
        TreeKind::Territories => {
            for (t, u) in territories::assignments(&state.db).await? {
                if let Some(n) = names.get(&u.to_string()) {
                    people.entry(t.to_string()).or_default().push(n.clone());
                }
            }
        }
    }
    let parents = options(state, kind).await?;
    let nodes = parents
        .iter()
        .map(|o| {
            let mut p = people.remove(&o.id).unwrap_or_default();
            p.sort();
            NodeView {
                id: o.id.clone(),
                name: o.name.clone(),
                depth: o.depth,
                people: p.join(", "),
            }
        })
        .collect();
    let tr = Tr(user.lang);
    let status = status_for(&errors);
    let mut response = render(&TreePage {
        shell: Shell::new(user, "admin"),
        tr,
        base: kind.base(),
        title: kind.title(),
        nodes,
        parents,
        new_name,
        new_parent,
        errors,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /admin/departments`: the department tree with its members and a create form.
pub async fn departments(
    State(state): State<AppState>,
    user: WebUser,
) -> Result<Response, WebError> {
    user.require(Permission::AdminOrg)?;
    tree_page(
        &state,
        &user,
        TreeKind::Departments,
        String::new(),
        String::new(),
        Vec::new(),
    )
    .await
}

/// `GET /admin/territories`: the territory tree with who covers what and a create form.
pub async fn territories(
    State(state): State<AppState>,
    user: WebUser,
) -> Result<Response, WebError> {
    user.require(Permission::AdminOrg)?;
    tree_page(
        &state,
        &user,
        TreeKind::Territories,
        String::new(),
        String::new(),
        Vec::new(),
    )
    .await
}

/// `POST /admin/departments`: creates a department; audited as `department.create`.
pub async fn create_department(
    State(state): State<AppState>,
    user: WebUser,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminOrg)?;
    create_node(&state, &user, TreeKind::Departments, Fields(fields)).await
}

/// `POST /admin/territories`: creates a territory; audited as `territory.create`.
pub async fn create_territory(
    State(state): State<AppState>,
    user: WebUser,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminOrg)?;
    create_node(&state, &user, TreeKind::Territories, Fields(fields)).await
}

async fn create_node(
    state: &AppState,
    user: &WebUser,
    kind: TreeKind,
    fields: Fields,
) -> Result<Response, WebError> {
    let name: String = fields.get("name").chars().take(200).collect();
    let parent = fields.get("parent").to_owned();
    if !valid_name(&name) {
        return tree_page(state, user, kind, name, parent, vec!["adm.err_name"]).await;
    }
    let created = match kind {
        TreeKind::Departments => {
            let p = form_id::<DepartmentId>(&parent, "parent")?;
            departments::create(&state.db, &name, p)
                .await
                .map(|d| (d.id.to_string(), d.parent_id.map(|p| p.to_string())))
        }
        TreeKind::Territories => {
            let p = form_id::<TerritoryId>(&parent, "parent")?;
            if let Some(p) = p
                && territories::get(&state.db, p).await?.is_none()
            {
                return tree_page(state, user, kind, name, parent, vec!["adm.err_parent"]).await;
            }
            territories::create(&state.db, &name, p)
                .await
                .map(|t| (t.id.to_string(), t.parent_id.map(|p| p.to_string())))
        }
    };
    let (id, parent_id) = match created {
        Ok(c) => c,
        Err(e) => {
            let key = tree_error_key(TreeError::Db(e))?;
            return tree_page(state, user, kind, name, parent, vec![key]).await;
        }
    };
    let action = match kind {
        TreeKind::Departments => "department.create",
        TreeKind::Territories => "territory.create",
    };
    audit_change(
        state,
        user,
        action,
        json!({ "id": id, "name": name, "parent": parent_name(state, kind, parent_id.as_deref()).await? }),
    )
    .await?;
    Ok(see_other(kind.base()))
}

async fn parent_name(
    state: &AppState,
    kind: TreeKind,
    id: Option<&str>,
) -> Result<Option<String>, WebError> {
    let Some(id) = id else { return Ok(None) };
    Ok(nodes(state, kind)
        .await?
        .into_iter()
        .find(|(i, _, _)| i == id)
        .map(|(_, n, _)| n))
}

async fn node_page(
    state: &AppState,
    user: &WebUser,
    kind: TreeKind,
    id: &str,
    name: Option<String>,
    parent: Option<String>,
    errors: Vec<&'static str>,
) -> Result<Response, WebError> {
    let all = nodes(state, kind).await?;
    let Some((_, stored_name, stored_parent)) = all.iter().find(|(i, _, _)| i == id).cloned()
    else {
        return Err(WebError::NotFound);
    };
    // The node's own subtree cannot be its parent: leave it out of the choices.
    let parents_map: HashMap<String, Option<String>> =
        all.iter().map(|(i, _, p)| (i.clone(), p.clone())).collect();
    let own: BTreeSet<String> = parents_map
        .keys()
        .filter(|node| is_within(&parents_map, node, id))
        .cloned()
        .collect();
    let parents: Vec<TreeOption> = options(state, kind)
        .await?
        .into_iter()
        .filter(|o| !own.contains(&o.id))
        .collect();
    let mut members = Vec::new();
    let mut assignable = Vec::new();
    match kind {
        TreeKind::Departments => {
            for u in users::list(&state.db).await? {
                if u.department_id.map(|d| d.to_string()).as_deref() == Some(id) {
                    members.push(format!("{} ({})", u.display_name, u.username));
                }
            }
        }
        TreeKind::Territories => {
            let covering: BTreeSet<UserId> = territories::assignments(&state.db)
                .await?
                .into_iter()
                .filter(|(t, _)| t.to_string() == id)
                .map(|(_, u)| u)
                .collect();
            let tr = Tr(user.lang);
            for u in users::list(&state.db).await? {
                let field = matches!(u.role, Role::Rep | Role::Manager);
                if field || covering.contains(&u.id) {
                    assignable.push(Assignable {
                        id: u.id.to_string(),
                        label: format!(
                            "{} ({}, {})",
                            u.display_name,
                            u.username,
                            tr.t(crate::web::role_key(u.role))
                        ),
                        assigned: covering.contains(&u.id),
                    });
                }
            }
        }
    }
    let tr = Tr(user.lang);
    let status = status_for(&errors);
    let mut response = render(&NodePage {
        shell: Shell::new(user, "admin"),
        tr,
        base: kind.base(),
        title: kind.title(),
        id: id.to_owned(),
        name: name.unwrap_or(stored_name),
        parent: parent.unwrap_or_else(|| stored_parent.unwrap_or_default()),
        parents,
        errors,
        members,
        assignable,
        is_territory: kind == TreeKind::Territories,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// Whether `node` is `root` or below it (cycle-safe).
fn is_within(parents: &HashMap<String, Option<String>>, node: &str, root: &str) -> bool {
    let mut cursor = Some(node.to_owned());
    let mut steps = 0;
    while let Some(n) = cursor {
        if n == root {
            return true;
        }
        steps += 1;
        if steps > parents.len() {
            return false;
        }
        cursor = parents.get(&n).cloned().flatten();
    }
    false
}

/// `GET /admin/departments/{id}`: rename/move form, members, delete.
pub async fn department(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminOrg)?;
    let id: DepartmentId = path_id(&id)?;
    node_page(
        &state,
        &user,
        TreeKind::Departments,
        &id.to_string(),
        None,
        None,
        Vec::new(),
    )
    .await
}

/// `GET /admin/territories/{id}`: rename/move form and the reps and managers covering it.
pub async fn territory(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminOrg)?;
    let id: TerritoryId = path_id(&id)?;
    node_page(
        &state,
        &user,
        TreeKind::Territories,
        &id.to_string(),
        None,
        None,
        Vec::new(),
    )
    .await
}

/// `POST /admin/departments/{id}`: renames and moves; a cycle is refused (422). Audited as
/// `department.update` with old → new.
pub async fn update_department(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminOrg)?;
    let id: DepartmentId = path_id(&id)?;
    let fields = Fields(fields);
    let name: String = fields.get("name").chars().take(200).collect();
    let parent_text = fields.get("parent").to_owned();
    let parent = form_id::<DepartmentId>(&parent_text, "parent")?;
    let id_text = id.to_string();
    let page = |errors| {
        node_page(
            &state,
            &user,
            TreeKind::Departments,
            &id_text,
            Some(name.clone()),
            Some(parent_text.clone()),
            errors,
        )
    };
    if !valid_name(&name) {
        return page(vec!["adm.err_name"]).await;
    }
    let (before, after) = match departments::update(&state.db, id, &name, parent).await {
        Ok(r) => r,
        Err(TreeError::Db(DbError::NotFound(_)))
            if departments::get(&state.db, id).await?.is_none() =>
        {
            return Err(WebError::NotFound);
        }
        Err(e) => return page(vec![tree_error_key(e)?]).await,
    };
    let kind = TreeKind::Departments;
    let old_parent = before.parent_id.map(|p| p.to_string());
    let new_parent = after.parent_id.map(|p| p.to_string());
    audit_change(
        &state,
        &user,
        "department.update",
        json!({
            "id": id.to_string(),
            "changes": {
                "name": [before.name, after.name],
                "parent": [
                    parent_name(&state, kind, old_parent.as_deref()).await?,
                    parent_name(&state, kind, new_parent.as_deref()).await?
                ],
            },
        }),
    )
    .await?;
    Ok(see_other(kind.base()))
}

/// `POST /admin/territories/{id}`: renames and moves; a cycle is refused (422). Audited as
/// `territory.update` with old → new.
pub async fn update_territory(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminOrg)?;
    let id: TerritoryId = path_id(&id)?;
    let fields = Fields(fields);
    let name: String = fields.get("name").chars().take(200).collect();
    let parent_text = fields.get("parent").to_owned();
    let parent = form_id::<TerritoryId>(&parent_text, "parent")?;
    let id_text = id.to_string();
    let page = |errors| {
        node_page(
            &state,
            &user,
            TreeKind::Territories,
            &id_text,
            Some(name.clone()),
            Some(parent_text.clone()),
            errors,
        )
    };
    if !valid_name(&name) {
        return page(vec!["adm.err_name"]).await;
    }
    let (before, after) = match territories::update(&state.db, id, &name, parent).await {
        Ok(r) => r,
        Err(TreeError::Db(DbError::NotFound(_)))
            if territories::get(&state.db, id).await?.is_none() =>
        {
            return Err(WebError::NotFound);
        }
        Err(e) => return page(vec![tree_error_key(e)?]).await,
    };
    let kind = TreeKind::Territories;
    let old_parent = before.parent_id.map(|p| p.to_string());
    let new_parent = after.parent_id.map(|p| p.to_string());
    audit_change(
        &state,
        &user,
        "territory.update",
        json!({
            "id": id.to_string(),
            "changes": {
                "name": [before.name, after.name],
                "parent": [
                    parent_name(&state, kind, old_parent.as_deref()).await?,
                    parent_name(&state, kind, new_parent.as_deref()).await?
                ],
            },
        }),
    )
    .await?;
    Ok(see_other(kind.base()))
}

/// `POST /admin/departments/{id}/delete`: only an empty department (no subdepartments, no
/// members) is deleted, else 422. Audited as `department.delete`.
pub async fn delete_department(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminOrg)?;
    let id: DepartmentId = path_id(&id)?;
    match departments::delete(&state.db, id).await {
        Ok(d) => {
            audit_change(
                &state,
                &user,
                "department.delete",
                json!({ "id": id.to_string(), "name": d.name }),
            )
            .await?;
            Ok(see_other(TreeKind::Departments.base()))
        }
        Err(TreeError::Db(DbError::NotFound(_))) => Err(WebError::NotFound),
        Err(e) => {
            let key = tree_error_key(e)?;
            node_page(
                &state,
                &user,
                TreeKind::Departments,
                &id.to_string(),
                None,
                None,
                vec![key],
            )
            .await
        }
    }
}

/// `POST /admin/territories/{id}/users`: sets which users cover the territory (the checked
/// `user` fields; other territories of those users are kept). Audited as `territory.assign`
/// with the users added and removed.
pub async fn assign_territory(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminOrg)?;
    let id: TerritoryId = path_id(&id)?;
    let territory = territories::get(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let fields = Fields(fields);
    let mut wanted = BTreeSet::new();
    for u in fields.all("user") {
        let uid: UserId = u.parse().map_err(|_| WebError::BadRequest("user".into()))?;
        if users::get(&state.db, uid).await?.is_none() {
            return Err(WebError::BadRequest("user".into()));
        }
        wanted.insert(uid);
    }
    let current: BTreeSet<UserId> = territories::assignments(&state.db)
        .await?
        .into_iter()
        .filter(|(t, _)| *t == id)
        .map(|(_, u)| u)
        .collect();
    let names = user_names(&state).await?;
    let name_of = |u: &UserId| names.get(&u.to_string()).cloned().unwrap_or_default();
    let added: Vec<UserId> = wanted.difference(&current).copied().collect();
    let removed: Vec<UserId> = current.difference(&wanted).copied().collect();
    for u in &added {
        territories::assign_user(&state.db, *u, id).await?;
    }
    for u in &removed {
        territories::unassign_user(&state.db, *u, id).await?;
    }
    if !added.is_empty() || !removed.is_empty() {
        audit_change(
            &state,
            &user,
            "territory.assign",
            json!({
                "id": id.to_string(),
                "name": territory.name,
                "added": added.iter().map(name_of).collect::<Vec<_>>(),
                "removed": removed.iter().map(name_of).collect::<Vec<_>>(),
            }),
        )
        .await?;
    }
    Ok(see_other(&format!("/admin/territories/{id}")))
}

/// (key, zh-CN, English): the organisation pages' messages.
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("org.new", "新建", "New"),
    ("org.people_departments", "成员", "Members"),
    ("org.people_territories", "负责人员", "Covered by"),
    ("org.move", "名称与上级", "Name and parent"),
    (
        "org.assign",
        "负责的销售与经理",
        "Reps and managers covering it",
    ),
    (
        "org.assign_hint",
        "修改在其设备下次同步时生效",
        "Takes effect on their devices at their next sync",
    ),
    (
        "org.delete_hint",
        "只能删除没有下级和成员的部门",
        "Only a department without subdepartments or members can be deleted",
    ),
];

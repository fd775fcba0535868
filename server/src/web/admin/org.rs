//! The organisation (`Permission::AdminOrg`): the department tree (create, rename, move without
//! cycles, delete when empty) and the territory tree (create, rename, move without cycles,
//! assign reps and managers). A change of a user's territories, or of the tree under a
//! manager's territory, reaches their devices at the next catch-up (the sync session rescopes).

use std::collections::{BTreeSet, HashMap};
use std::fmt::Display;
use std::hash::Hash;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use fieldcrm_core::{DepartmentId, Role, TerritoryId, UserId};
use serde_json::json;

use super::{Fields, TreeOption, audit_change, form_id, path_id, see_other, tree_options};
use crate::auth::permissions::Permission;
use crate::db::tree::{self, TreeError};
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

/// A tree read from SQL: its nodes `(id, name, parent)` and, per node, the people shown with it
/// (department members, or the users covering a territory).
struct TreeData<Id> {
    nodes: Vec<(Id, String, Option<Id>)>,
    people: HashMap<Id, Vec<String>>,
}

impl<Id: Copy + Eq + Hash + Ord + Display> TreeData<Id> {
    fn name(&self, id: Option<Id>) -> Option<String> {
        let id = id?;
        self.nodes
            .iter()
            .find(|(i, _, _)| *i == id)
            .map(|(_, n, _)| n.clone())
    }
}

async fn department_data(state: &AppState) -> Result<TreeData<DepartmentId>, WebError> {
    let nodes = departments::list(&state.db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name, d.parent_id))
        .collect();
    let mut people: HashMap<DepartmentId, Vec<String>> = HashMap::new();
    for u in users::list(&state.db).await? {
        if let Some(d) = u.department_id {
            people
                .entry(d)
                .or_default()
                .push(format!("{} ({})", u.display_name, u.username));
        }
    }
    Ok(TreeData { nodes, people })
}

async fn territory_data(state: &AppState) -> Result<TreeData<TerritoryId>, WebError> {
    let nodes = territories::list(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name, t.parent_id))
        .collect();
    let names: HashMap<UserId, String> = users::list(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let mut people: HashMap<TerritoryId, Vec<String>> = HashMap::new();
    for (t, u) in territories::assignments(&state.db).await? {
        if let Some(n) = names.get(&u) {
            people.entry(t).or_default().push(n.clone());
        }
    }
    Ok(TreeData { nodes, people })
}

/// The tree page: every node with its people, and the create form (with `errors`, 422).
fn tree_page<Id: Copy + Eq + Hash + Ord + Display>(
    user: &WebUser,
    kind: TreeKind,
    data: &TreeData<Id>,
    new_name: String,
    new_parent: String,
    errors: Vec<&'static str>,
) -> Result<Response, WebError> {
    let parents = tree_options(&data.nodes);
    let mut people: HashMap<String, String> = data
        .people
        .iter()
        .map(|(id, p)| {
            let mut p = p.clone();
            p.sort();
            (id.to_string(), p.join(", "))
        })
        .collect();
    let nodes = parents
        .iter()
        .map(|o| NodeView {
            id: o.id.clone(),
            name: o.name.clone(),
            depth: o.depth,
            people: people.remove(&o.id).unwrap_or_default(),
        })
        .collect();
    let status = status_for(&errors);
    let mut response = render(&TreePage {
        shell: Shell::new(user, "admin"),
        tr: Tr(user.lang),
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
    let data = department_data(&state).await?;
    tree_page(
        &user,
        TreeKind::Departments,
        &data,
        String::new(),
        String::new(),
        Vec::new(),
    )
}

/// `GET /admin/territories`: the territory tree with who covers what and a create form.
pub async fn territories(
    State(state): State<AppState>,
    user: WebUser,
) -> Result<Response, WebError> {
    user.require(Permission::AdminOrg)?;
    let data = territory_data(&state).await?;
    tree_page(
        &user,
        TreeKind::Territories,
        &data,
        String::new(),
        String::new(),
        Vec::new(),
    )
}

/// The name and parent fields of a create or edit form.
fn name_and_parent(fields: &Fields) -> (String, String) {
    (
        fields.get("name").chars().take(200).collect(),
        fields.get("parent").to_owned(),
    )
}

/// A node as the shared handlers see it.
struct Node<Id> {
    id: Id,
    name: String,
    parent: Option<Id>,
}

/// A node before and after a rename or move.
type Moved<Id> = (Node<Id>, Node<Id>);

/// One of the two trees, for the create and update handlers they share.
trait OrgTree {
    type Id: Copy + Eq + Hash + Ord + Display + std::str::FromStr + Send + Sync + 'static;
    /// Which tree.
    const KIND: TreeKind;
    /// The audit actions' noun (`department.create`, `territory.update`, …).
    const NOUN: &'static str;
    /// Creates a node; an unknown parent is [`DbError::NotFound`], a taken name
    /// [`DbError::Duplicate`].
    fn create(
        db: &crate::db::Db,
        name: &str,
        parent: Option<Self::Id>,
    ) -> impl Future<Output = Result<Node<Self::Id>, DbError>> + Send;
    /// Whether the node exists.
    fn exists(
        db: &crate::db::Db,
        id: Self::Id,
    ) -> impl Future<Output = Result<bool, DbError>> + Send;
    /// Renames and moves a node; returns it before and after.
    fn update(
        db: &crate::db::Db,
        id: Self::Id,
        name: &str,
        parent: Option<Self::Id>,
    ) -> impl Future<Output = Result<Moved<Self::Id>, TreeError>> + Send;
    /// The whole tree with its people.
    fn data(state: &AppState) -> impl Future<Output = Result<TreeData<Self::Id>, WebError>> + Send;
    /// A node's page, echoing a refused form.
    fn page(
        state: &AppState,
        user: &WebUser,
        id: Self::Id,
        form: Option<(String, String)>,
        errors: Vec<&'static str>,
    ) -> impl Future<Output = Result<Response, WebError>> + Send;
}

/// Implements [`OrgTree`] for `$tree` over the storage module `$module` (its `create`, `get`
/// and `update`, whose records have `id`, `name` and `parent_id`).
macro_rules! org_tree {
    ($tree:ident, $id:ty, $kind:expr, $noun:literal, $module:ident, $data:ident, $page:ident) => {
        impl OrgTree for $tree {
            type Id = $id;
            const KIND: TreeKind = $kind;
            const NOUN: &'static str = $noun;

            async fn create(
                db: &crate::db::Db,
                name: &str,
                parent: Option<$id>,
            ) -> Result<Node<$id>, DbError> {
                let n = $module::create(db, name, parent).await?;
                Ok(Node {
                    id: n.id,
                    name: n.name,
                    parent: n.parent_id,
                })
            }

            async fn exists(db: &crate::db::Db, id: $id) -> Result<bool, DbError> {
                Ok($module::get(db, id).await?.is_some())
            }

            async fn update(
                db: &crate::db::Db,
                id: $id,
                name: &str,
                parent: Option<$id>,
            ) -> Result<Moved<$id>, TreeError> {
                let (b, a) = $module::update(db, id, name, parent).await?;
                Ok((
                    Node {
                        id: b.id,
                        name: b.name,
                        parent: b.parent_id,
                    },
                    Node {
                        id: a.id,
                        name: a.name,
                        parent: a.parent_id,
                    },
                ))
            }

            async fn data(state: &AppState) -> Result<TreeData<$id>, WebError> {
                $data(state).await
            }

            async fn page(
                state: &AppState,
                user: &WebUser,
                id: $id,
                form: Option<(String, String)>,
                errors: Vec<&'static str>,
            ) -> Result<Response, WebError> {
                $page(state, user, id, form, errors).await
            }
        }
    };
}

/// The department tree.
struct Departments;
/// The territory tree.
struct Territories;

org_tree!(
    Departments,
    DepartmentId,
    TreeKind::Departments,
    "department",
    departments,
    department_data,
    department_page
);
org_tree!(
    Territories,
    TerritoryId,
    TreeKind::Territories,
    "territory",
    territories,
    territory_data,
    territory_page
);

/// Creates a node of tree `T` from the form; audited as `<noun>.create`. A refused form is the
/// tree page again with the error (422).
async fn create_node<T: OrgTree>(
    state: AppState,
    user: WebUser,
    fields: Vec<(String, String)>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminOrg)?;
    let (name, parent_text) = name_and_parent(&Fields(fields));
    let parent = form_id::<T::Id>(&parent_text, "parent")?;
    let error = if valid_name(&name) {
        match T::create(&state.db, &name, parent).await {
            Ok(node) => {
                let data = T::data(&state).await?;
                audit_change(
                    &state,
                    &user,
                    &format!("{}.create", T::NOUN),
                    json!({ "id": node.id.to_string(), "name": node.name, "parent": data.name(node.parent) }),
                )
                .await?;
                return Ok(see_other(T::KIND.base()));
            }
            Err(e) => tree_error_key(TreeError::Db(e))?,
        }
    } else {
        "adm.err_name"
    };
    let data = T::data(&state).await?;
    tree_page(&user, T::KIND, &data, name, parent_text, vec![error])
}

/// Renames and moves node `id` of tree `T`; a cycle is refused (422). Audited as
/// `<noun>.update` with old → new.
async fn update_node<T: OrgTree>(
    state: AppState,
    user: WebUser,
    id: String,
    fields: Vec<(String, String)>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminOrg)?;
    let id: T::Id = path_id(&id)?;
    if !T::exists(&state.db, id).await? {
        return Err(WebError::NotFound);
    }
    let (name, parent_text) = name_and_parent(&Fields(fields));
    let parent = form_id::<T::Id>(&parent_text, "parent")?;
    let error = if valid_name(&name) {
        match T::update(&state.db, id, &name, parent).await {
            Ok((before, after)) => {
                let data = T::data(&state).await?;
                audit_change(
                    &state,
                    &user,
                    &format!("{}.update", T::NOUN),
                    json!({
                        "id": id.to_string(),
                        "changes": {
                            "name": [before.name, after.name],
                            "parent": [data.name(before.parent), data.name(after.parent)],
                        },
                    }),
                )
                .await?;
                return Ok(see_other(T::KIND.base()));
            }
            Err(e) => tree_error_key(e)?,
        }
    } else {
        "adm.err_name"
    };
    T::page(&state, &user, id, Some((name, parent_text)), vec![error]).await
}

/// `POST /admin/departments`: creates a department; audited as `department.create`.
pub async fn create_department(
    State(state): State<AppState>,
    user: WebUser,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    create_node::<Departments>(state, user, fields).await
}

/// `POST /admin/territories`: creates a territory; audited as `territory.create`.
pub async fn create_territory(
    State(state): State<AppState>,
    user: WebUser,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    create_node::<Territories>(state, user, fields).await
}

/// What a node page shows besides its name and parent.
enum NodeExtra {
    /// A department's members.
    Members(Vec<String>),
    /// The reps and managers that can cover a territory.
    Assignable(Vec<Assignable>),
}

/// A node's page: the rename/move form (parent choices without the node's own subtree) and
/// its members or assignments; `name`/`parent` echo a refused form.
#[expect(
    clippy::too_many_arguments,
    reason = "the page takes the tree, the node, the echoed form and its extras"
)]
fn node_page<Id: Copy + Eq + Hash + Ord + Display>(
    user: &WebUser,
    kind: TreeKind,
    data: &TreeData<Id>,
    id: Id,
    name: Option<String>,
    parent: Option<String>,
    errors: Vec<&'static str>,
    extra: NodeExtra,
) -> Result<Response, WebError> {
    let Some((_, stored_name, stored_parent)) = data.nodes.iter().find(|(i, _, _)| *i == id) else {
        return Err(WebError::NotFound);
    };
    let parents_map: HashMap<Id, Option<Id>> =
        data.nodes.iter().map(|(i, _, p)| (*i, *p)).collect();
    let own: BTreeSet<String> = tree::subtree(&parents_map, &[id])
        .into_iter()
        .map(|i| i.to_string())
        .collect();
    let parents: Vec<TreeOption> = tree_options(&data.nodes)
        .into_iter()
        .filter(|o| !own.contains(&o.id))
        .collect();
    let (members, assignable) = match extra {
        NodeExtra::Members(m) => (m, Vec::new()),
        NodeExtra::Assignable(a) => (Vec::new(), a),
    };
    let status = status_for(&errors);
    let mut response = render(&NodePage {
        shell: Shell::new(user, "admin"),
        tr: Tr(user.lang),
        base: kind.base(),
        title: kind.title(),
        id: id.to_string(),
        name: name.unwrap_or_else(|| stored_name.clone()),
        parent: parent.unwrap_or_else(|| stored_parent.map(|p| p.to_string()).unwrap_or_default()),
        parents,
        errors,
        members,
        assignable,
        is_territory: kind == TreeKind::Territories,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

async fn department_page(
    state: &AppState,
    user: &WebUser,
    id: DepartmentId,
    form: Option<(String, String)>,
    errors: Vec<&'static str>,
) -> Result<Response, WebError> {
    let mut data = department_data(state).await?;
    let mut members = data.people.remove(&id).unwrap_or_default();
    members.sort();
    let (name, parent) = form.unzip();
    node_page(
        user,
        TreeKind::Departments,
        &data,
        id,
        name,
        parent,
        errors,
        NodeExtra::Members(members),
    )
}

async fn territory_page(
    state: &AppState,
    user: &WebUser,
    id: TerritoryId,
    form: Option<(String, String)>,
    errors: Vec<&'static str>,
) -> Result<Response, WebError> {
    let data = territory_data(state).await?;
    let covering: BTreeSet<UserId> = territories::assignments(&state.db)
        .await?
        .into_iter()
        .filter(|(t, _)| *t == id)
        .map(|(_, u)| u)
        .collect();
    let tr = Tr(user.lang);
    let assignable = users::list(&state.db)
        .await?
        .into_iter()
        .filter(|u| matches!(u.role, Role::Rep | Role::Manager) || covering.contains(&u.id))
        .map(|u| Assignable {
            id: u.id.to_string(),
            label: format!(
                "{} ({}, {})",
                u.display_name,
                u.username,
                tr.t(crate::web::role_key(u.role))
            ),
            assigned: covering.contains(&u.id),
        })
        .collect();
    let (name, parent) = form.unzip();
    node_page(
        user,
        TreeKind::Territories,
        &data,
        id,
        name,
        parent,
        errors,
        NodeExtra::Assignable(assignable),
    )
}

/// `GET /admin/departments/{id}`: rename/move form, members, delete.
pub async fn department(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminOrg)?;
    department_page(&state, &user, path_id(&id)?, None, Vec::new()).await
}

/// `GET /admin/territories/{id}`: rename/move form and the reps and managers covering it.
pub async fn territory(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::AdminOrg)?;
    territory_page(&state, &user, path_id(&id)?, None, Vec::new()).await
}

/// `POST /admin/departments/{id}`: renames and moves; a cycle is refused (422). Audited as
/// `department.update` with old → new.
pub async fn update_department(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    update_node::<Departments>(state, user, id, fields).await
}

/// `POST /admin/territories/{id}`: renames and moves; a cycle is refused (422). Audited as
/// `territory.update` with old → new. Managers' subtrees change with it; their devices rescope
/// at the next catch-up.
pub async fn update_territory(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    update_node::<Territories>(state, user, id, fields).await
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
            department_page(&state, &user, id, None, vec![key]).await
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
    let names: HashMap<UserId, String> = users::list(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let name_of = |u: &UserId| names.get(u).cloned().unwrap_or_default();
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

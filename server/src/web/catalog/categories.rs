//! The product category tree: `GET /catalog/categories` (the tree, with each node's product
//! count), `POST /catalog/categories` (add), `POST /catalog/categories/{id}` (rename, move under
//! another parent — never under itself or a descendant — and reorder), and
//! `POST /catalog/categories/{id}/delete` (only when it has no subcategories and no products).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use fieldcrm_core::CategoryId;
use serde_json::json;

use super::{Nav, category_options, fits};
use crate::auth::permissions::Permission;
use crate::db::DbError;
use crate::db::catalog;
use crate::db::tree::TreeError;
use crate::startup::AppState;
use crate::web::admin::{Fields, TreeOption, audit_change, form_id, path_id, see_other};
use crate::web::i18n::Tr;
use crate::web::session::WebUser;
use crate::web::{Shell, WebError};

/// A node as listed.
#[derive(Debug)]
pub struct Node {
    id: String,
    name: String,
    parent: String,
    position: i64,
    depth: usize,
    products: i64,
}

#[derive(Template)]
#[template(path = "catalog_categories.html")]
struct Page {
    shell: Shell,
    tr: Tr,
    nav: Nav,
    nodes: Vec<Node>,
    parents: Vec<TreeOption>,
    new_name: String,
    new_parent: String,
    errors: Vec<&'static str>,
}

async fn page_with(
    state: &AppState,
    user: &WebUser,
    new_name: String,
    new_parent: String,
    errors: Vec<&'static str>,
) -> Result<Response, WebError> {
    let all = catalog::categories(&state.db).await?;
    let options = category_options(&all);
    let by_id: HashMap<String, &catalog::Category> =
        all.iter().map(|c| (c.id.to_string(), c)).collect();
    let counts = catalog::category_product_counts(&state.db).await?;
    let nodes = options
        .iter()
        .filter_map(|o| {
            let c = by_id.get(&o.id)?;
            Some(Node {
                id: o.id.clone(),
                name: c.name.clone(),
                parent: c.parent_id.map(|p| p.to_string()).unwrap_or_default(),
                position: c.position,
                depth: o.depth,
                products: counts.get(&c.id).copied().unwrap_or(0),
            })
        })
        .collect();
    let page = Page {
        shell: Shell::new(user, "catalog"),
        tr: Tr(user.lang),
        nav: Nav::new(user, "categories"),
        nodes,
        parents: options,
        new_name,
        new_parent,
        errors,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// `GET /catalog/categories`.
pub async fn page(State(state): State<AppState>, user: WebUser) -> Result<Response, WebError> {
    user.require(Permission::CatalogView)?;
    page_with(&state, &user, String::new(), String::new(), Vec::new()).await
}

fn position_of(fields: &Fields) -> Result<i64, WebError> {
    match fields.get("position") {
        "" => Ok(0),
        p => p
            .parse::<i64>()
            .ok()
            .filter(|p| (0..=1_000_000).contains(p))
            .ok_or_else(|| WebError::BadRequest("position".into())),
    }
}

fn tree_error_key(e: TreeError) -> Result<&'static str, WebError> {
    match e {
        TreeError::Cycle => Ok("adm.err_cycle"),
        TreeError::NotEmpty => Ok("catalog.err_category_not_empty"),
        TreeError::Db(DbError::NotFound(_)) => Ok("adm.err_parent"),
        TreeError::Db(e) => Err(e.into()),
    }
}

/// `POST /catalog/categories`: adds a category; audited as `catalog.category.create`.
pub async fn create(
    State(state): State<AppState>,
    user: WebUser,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::CatalogEdit)?;
    let fields = Fields(fields);
    let name = fields.get("name").to_owned();
    let parent_text = fields.get("parent").to_owned();
    let parent = form_id::<CategoryId>(&parent_text, "parent")?;
    let position = position_of(&fields)?;
    let error = if fits(&name, 100, true) {
        match catalog::create_category(&state.db, &name, parent, position).await {
            Ok(c) => {
                audit_change(
                    &state,
                    &user,
                    "catalog.category.create",
                    json!({ "id": c.id.to_string(), "name": c.name,
                            "parent": parent.map(|p| p.to_string()) }),
                )
                .await?;
                return Ok(see_other("/catalog/categories"));
            }
            Err(e) => tree_error_key(TreeError::Db(e))?,
        }
    } else {
        "adm.err_name"
    };
    page_with(&state, &user, name, parent_text, vec![error]).await
}

/// `POST /catalog/categories/{id}`: renames, moves and reorders a category; audited as
/// `catalog.category.update`.
pub async fn update(
    State(state): State<AppState>,
    user: WebUser,
    Path(raw): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::CatalogEdit)?;
    let id: CategoryId = path_id(&raw)?;
    let fields = Fields(fields);
    let name = fields.get("name").to_owned();
    let parent = form_id::<CategoryId>(fields.get("parent"), "parent")?;
    let position = position_of(&fields)?;
    let error = if fits(&name, 100, true) {
        match catalog::update_category(&state.db, id, &name, parent, position).await {
            Ok((before, after)) => {
                audit_change(
                    &state,
                    &user,
                    "catalog.category.update",
                    json!({ "id": id.to_string(),
                            "before": { "name": before.name,
                                        "parent": before.parent_id.map(|p| p.to_string()) },
                            "after": { "name": after.name,
                                       "parent": after.parent_id.map(|p| p.to_string()) } }),
                )
                .await?;
                return Ok(see_other("/catalog/categories"));
            }
            Err(TreeError::Db(DbError::NotFound(what))) if what.contains(&id.to_string()) => {
                return Err(WebError::NotFound);
            }
            Err(e) => tree_error_key(e)?,
        }
    } else {
        "adm.err_name"
    };
    page_with(&state, &user, String::new(), String::new(), vec![error]).await
}

/// `POST /catalog/categories/{id}/delete`: deletes an empty category; audited as
/// `catalog.category.delete`.
pub async fn delete(
    State(state): State<AppState>,
    user: WebUser,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::CatalogEdit)?;
    let id: CategoryId = path_id(&raw)?;
    match catalog::delete_category(&state.db, id).await {
        Ok(c) => {
            audit_change(
                &state,
                &user,
                "catalog.category.delete",
                json!({ "id": id.to_string(), "name": c.name }),
            )
            .await?;
            Ok(see_other("/catalog/categories"))
        }
        Err(TreeError::Db(DbError::NotFound(_))) => Err(WebError::NotFound),
        Err(e) => {
            let key = tree_error_key(e)?;
            page_with(&state, &user, String::new(), String::new(), vec![key]).await
        }
    }
}

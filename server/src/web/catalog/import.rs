//! Product import: `GET /catalog/import` (the form and the expected columns) and
//! `POST /catalog/import/upload` (multipart `file`: `.xlsx`/`.xls`/`.ods`/`.csv`, read with the
//! customer import's [`crate::import::sheet`] reader). Synchronous: each row is checked like the
//! product form and upserted by code (a new code creates, a known one updates; columns the file
//! does not have keep their values); rows that fail are reported with their row number and
//! what is wrong, and the others are written. Audited as `catalog.import` with the counts.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use fieldcrm_core::CategoryId;
use serde_json::json;

use super::Nav;
use super::products::{ProductText, parse_product};
use crate::auth::permissions::Permission;
use crate::db::DbError;
use crate::db::catalog::{self, Upserted};
use crate::import::sheet::{self, SheetError, clean};
use crate::startup::AppState;
use crate::web::admin::audit_change;
use crate::web::i18n::Tr;
use crate::web::session::WebUser;
use crate::web::{Shell, WebError, render};

/// Largest request body of an upload (the file plus the multipart framing).
pub const MAX_UPLOAD_BODY: usize = crate::web::import::MAX_UPLOAD_BODY;
/// Most data rows of one (synchronous) product import.
pub const MAX_ROWS: usize = 5_000;

/// A column the import knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    /// Product code (required).
    Code,
    /// Name (required).
    Name,
    /// Unit.
    Unit,
    /// Specification / model.
    Spec,
    /// Category name.
    Category,
    /// List price in yuan (required).
    ListPrice,
    /// Tracking mode.
    Tracking,
    /// Shelf life in days.
    ShelfLife,
    /// Active or not.
    Active,
}

/// Header names recognised for each column (compared case-insensitively, spaces ignored).
const HEADERS: &[(Column, &[&str])] = &[
    (
        Column::Code,
        &[
            "编码",
            "产品编码",
            "商品编码",
            "物料编码",
            "产品代码",
            "code",
            "productcode",
            "sku",
        ],
    ),
    (
        Column::Name,
        &[
            "名称",
            "产品名称",
            "商品名称",
            "品名",
            "name",
            "productname",
        ],
    ),
    (Column::Unit, &["单位", "计量单位", "unit", "uom"]),
    (
        Column::Spec,
        &["规格", "型号", "规格型号", "spec", "model", "specification"],
    ),
    (
        Column::Category,
        &["分类", "类别", "产品分类", "商品分类", "category"],
    ),
    (
        Column::ListPrice,
        &[
            "价格",
            "单价",
            "标准价",
            "目录价",
            "列表价",
            "售价",
            "listprice",
            "price",
        ],
    ),
    (
        Column::Tracking,
        &["跟踪", "跟踪方式", "批次/序列号", "追溯", "tracking"],
    ),
    (
        Column::ShelfLife,
        &[
            "保质期",
            "保质期(天)",
            "保质期（天）",
            "保质期天数",
            "shelflife",
            "shelflife(days)",
            "shelflifedays",
        ],
    ),
    (
        Column::Active,
        &["状态", "启用", "是否启用", "active", "status"],
    ),
];

/// The column a header names, if any.
pub fn column_of(header: &str) -> Option<Column> {
    let h: String = clean(header)
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '*')
        .collect();
    HEADERS
        .iter()
        .find(|(_, names)| names.contains(&h.as_str()))
        .map(|(c, _)| *c)
}

/// Parses an active flag: `启用`/`停用`, `是`/`否`, `yes`/`no`, `active`/`inactive`, `1`/`0`.
pub fn parse_active(s: &str) -> Option<bool> {
    match clean(s).to_lowercase().as_str() {
        "" | "启用" | "是" | "在售" | "yes" | "y" | "true" | "active" | "1" => Some(true),
        "停用" | "否" | "停售" | "no" | "n" | "false" | "inactive" | "0" => Some(false),
        _ => None,
    }
}

/// A row that was not written.
#[derive(Debug)]
pub struct Failed {
    row_no: u32,
    code: String,
    problems: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "catalog_import.html")]
struct Page {
    shell: Shell,
    tr: Tr,
    nav: Nav,
    columns: Vec<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "catalog_import_result.html")]
struct ResultPartial {
    tr: Tr,
    file_name: String,
    created: usize,
    updated: usize,
    failed: Vec<Failed>,
    error: Option<String>,
}

/// `GET /catalog/import`.
pub async fn page(user: WebUser) -> Result<Response, WebError> {
    user.require(Permission::CatalogEdit)?;
    let tr = Tr(user.lang);
    let columns = [
        ("编码 / code", "catalog.col_code"),
        ("名称 / name", "catalog.col_name"),
        ("价格 / price", "catalog.col_price"),
        ("单位 / unit", "catalog.col_unit"),
        ("规格 / spec", "catalog.col_spec"),
        ("分类 / category", "catalog.col_category"),
        ("跟踪 / tracking", "catalog.col_tracking"),
        ("保质期 / shelf life", "catalog.col_shelf_life"),
        ("状态 / active", "catalog.col_active"),
    ]
    .into_iter()
    .map(|(h, key)| (h, tr.t(key)))
    .collect();
    render(&Page {
        shell: Shell::new(&user, "catalog"),
        tr,
        nav: Nav::new(&user, "import"),
        columns,
    })
}

fn refused(tr: Tr, status: StatusCode, file_name: String, message: String) -> Response {
    let partial = ResultPartial {
        tr,
        file_name,
        created: 0,
        updated: 0,
        failed: Vec::new(),
        error: Some(message),
    };
    match partial.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => WebError::from(e).into_response(),
    }
}

/// `POST /catalog/import/upload`: imports the file's products and answers the report.
pub async fn upload(
    State(state): State<AppState>,
    user: WebUser,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    user.require(Permission::CatalogEdit)?;
    let tr = Tr(user.lang);
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Ok(multipart_error(tr, e.status())),
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("").chars().take(200).collect();
        match field.bytes().await {
            Ok(b) => file = Some((name, b.to_vec())),
            Err(e) => return Ok(multipart_error(tr, e.status())),
        }
    }
    let Some((file_name, bytes)) = file else {
        return Ok(refused(
            tr,
            StatusCode::BAD_REQUEST,
            String::new(),
            tr.t("imp.err.no_file").to_owned(),
        ));
    };
    let parsed = tokio::task::spawn_blocking(move || sheet::read(&bytes))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let sheet = match parsed {
        Ok(s) => s,
        Err(e) => {
            let status = match e {
                SheetError::TooLarge | SheetError::ZipBomb => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            return Ok(refused(
                tr,
                status,
                file_name,
                tr.t(e.message_key()).to_owned(),
            ));
        }
    };
    if sheet.rows.len() > MAX_ROWS {
        return Ok(refused(
            tr,
            StatusCode::UNPROCESSABLE_ENTITY,
            file_name,
            format!("{} ({MAX_ROWS})", tr.t("catalog.err_too_many_rows")),
        ));
    }
    let columns: HashMap<Column, usize> = sheet
        .headers
        .iter()
        .enumerate()
        .filter_map(|(i, h)| column_of(h).map(|c| (c, i)))
        .rev() // the first column of a kind wins
        .collect();
    let missing: Vec<&str> = [
        (Column::Code, "catalog.col_code"),
        (Column::Name, "catalog.col_name"),
        (Column::ListPrice, "catalog.col_price"),
    ]
    .into_iter()
    .filter(|(c, _)| !columns.contains_key(c))
    .map(|(_, key)| tr.t(key))
    .collect();
    if !missing.is_empty() {
        return Ok(refused(
            tr,
            StatusCode::UNPROCESSABLE_ENTITY,
            file_name,
            format!("{}: {}", tr.t("catalog.err_columns"), missing.join(", ")),
        ));
    }
    let categories: HashMap<String, CategoryId> = catalog::categories(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.name.to_lowercase(), c.id))
        .collect();
    let (mut created, mut updated, mut failed) = (0, 0, Vec::new());
    for row in &sheet.rows {
        let cell = |c: Column| columns.get(&c).map(|i| clean(&row.cells[*i]).to_owned());
        let code = cell(Column::Code).unwrap_or_default();
        match import_row(&state, &categories, &cell, &code).await? {
            Ok(Upserted::Created(_)) => created += 1,
            Ok(Upserted::Updated(_)) => updated += 1,
            Err(problems) => failed.push(Failed {
                row_no: row.row_no,
                code,
                problems,
            }),
        }
    }
    audit_change(
        &state,
        &user,
        "catalog.import",
        json!({ "file": file_name, "rows": sheet.rows.len(), "created": created,
                "updated": updated, "failed": failed.len() }),
    )
    .await?;
    let partial = ResultPartial {
        tr,
        file_name,
        created,
        updated,
        failed,
        error: None,
    };
    Ok(Html(partial.render()?).into_response())
}

/// Checks and writes one row: what was done, or why not.
async fn import_row(
    state: &AppState,
    categories: &HashMap<String, CategoryId>,
    cell: &impl Fn(Column) -> Option<String>,
    code: &str,
) -> Result<Result<Upserted, Vec<&'static str>>, WebError> {
    // Columns the file lacks keep the product's values.
    let existing = if code.is_empty() {
        None
    } else {
        catalog::product_by_code(&state.db, code).await?
    };
    let keep = |c: Column, current: String| cell(c).unwrap_or(current);
    let text = ProductText {
        code: code.to_owned(),
        name: cell(Column::Name).unwrap_or_default(),
        unit: keep(
            Column::Unit,
            existing
                .as_ref()
                .map(|p| p.unit.clone())
                .unwrap_or_default(),
        ),
        spec: keep(
            Column::Spec,
            existing
                .as_ref()
                .map(|p| p.spec.clone())
                .unwrap_or_default(),
        ),
        list_price: cell(Column::ListPrice).unwrap_or_default(),
        tracking: keep(
            Column::Tracking,
            existing
                .as_ref()
                .map_or("none", |p| p.tracking.as_str())
                .to_owned(),
        ),
        shelf_life_days: keep(
            Column::ShelfLife,
            existing
                .as_ref()
                .and_then(|p| p.shelf_life_days)
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ),
    };
    let mut problems = Vec::new();
    let category = match cell(Column::Category) {
        None => existing.as_ref().and_then(|p| p.category_id),
        Some(name) if name.is_empty() => None,
        Some(name) => {
            let found = categories.get(&name.to_lowercase()).copied();
            if found.is_none() {
                problems.push("catalog.err_category");
            }
            found
        }
    };
    let active = match cell(Column::Active) {
        None => Some(existing.as_ref().is_none_or(|p| p.active)),
        Some(v) => parse_active(&v),
    };
    if active.is_none() {
        problems.push("catalog.err_active");
    }
    let input = match parse_product(&text, category, active.unwrap_or(true), None) {
        Ok(input) if problems.is_empty() => input,
        Ok(_) => return Ok(Err(problems)),
        Err(mut errors) => {
            errors.extend(problems);
            return Ok(Err(errors));
        }
    };
    match catalog::upsert_product_by_code(&state.db, &input).await {
        Ok(done) => Ok(Ok(done)),
        Err(DbError::NotFound(_)) => Ok(Err(vec!["catalog.err_category"])),
        Err(DbError::Duplicate(_)) => Ok(Err(vec!["catalog.err_code_taken"])),
        Err(e) => Err(e.into()),
    }
}

fn multipart_error(tr: Tr, status: StatusCode) -> Response {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        refused(
            tr,
            status,
            String::new(),
            tr.t("imp.err.file_too_large").to_owned(),
        )
    } else {
        refused(
            tr,
            StatusCode::BAD_REQUEST,
            String::new(),
            tr.t("imp.err.no_file").to_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_flags() {
        assert_eq!(column_of(" 产品编码 "), Some(Column::Code));
        assert_eq!(column_of("List Price"), Some(Column::ListPrice));
        assert_eq!(column_of("保质期（天）"), Some(Column::ShelfLife));
        assert_eq!(column_of("备注"), None);
        assert_eq!(parse_active("停用"), Some(false));
        assert_eq!(parse_active(""), Some(true));
        assert_eq!(parse_active("maybe"), None);
    }
}

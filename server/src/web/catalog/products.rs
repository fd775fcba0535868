//! Products: `GET /catalog/products` (search by code, name or spec; category with its
//! subcategories; active filter; 50 a page; htmx gets only the table), the product form
//! (`/catalog/products/new`, `/catalog/products/{id}`), activate/deactivate, and the product
//! image: uploaded as an attachment (JPEG/PNG/WebP, checked like a device upload), shown as a
//! thumbnail (`GET /catalog/products/{id}/image`).

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use fieldcrm_core::attachment::{AttachmentError, Sha256Hex};
use fieldcrm_core::catalog::Tracking;
use fieldcrm_core::{CategoryId, ProductId};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Nav, category_options, fits, fmt_money, parse_money};
use crate::attachments::BlobStore;
use crate::auth::permissions::Permission;
use crate::db::catalog::{self, Product, ProductFilter, ProductInput};
use crate::db::{DbError, attachments};
use crate::startup::AppState;
use crate::web::admin::{Fields, TreeOption, audit_change, path_id, see_other};
use crate::web::i18n::Tr;
use crate::web::session::WebUser;
use crate::web::{Shell, WebError, is_htmx, render};

/// Rows per page.
pub const PAGE_SIZE: i64 = 50;

/// The product fields as text, as a form or an import row gives them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProductText {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Specification / model.
    pub spec: String,
    /// List price in yuan.
    pub list_price: String,
    /// `none` / `batch` / `serial` (or their Chinese names).
    pub tracking: String,
    /// Shelf life in days (empty = none).
    pub shelf_life_days: String,
}

/// Parses a tracking mode: its name, or the Chinese word; empty is `none`.
pub fn parse_tracking(s: &str) -> Option<Tracking> {
    match s.trim().to_lowercase().as_str() {
        "" | "none" | "无" | "不跟踪" | "否" => Some(Tracking::None),
        "batch" | "lot" | "批次" | "批号" => Some(Tracking::Batch),
        "serial" | "序列号" | "序列" => Some(Tracking::Serial),
        _ => None,
    }
}

/// Checks product fields: the input to write, or the message keys of what is wrong.
pub fn parse_product(
    text: &ProductText,
    category_id: Option<CategoryId>,
    active: bool,
    image_sha256: Option<Sha256Hex>,
) -> Result<ProductInput, Vec<&'static str>> {
    let mut errors = Vec::new();
    let code = text.code.trim();
    if !fits(code, 64, true) || code.chars().any(char::is_control) {
        errors.push("catalog.err_code");
    }
    let name = text.name.trim();
    if !fits(name, 200, true) {
        errors.push("catalog.err_name");
    }
    if !fits(text.unit.trim(), 20, false) {
        errors.push("catalog.err_unit");
    }
    if !fits(text.spec.trim(), 200, false) {
        errors.push("catalog.err_spec");
    }
    let list_price = parse_money(&text.list_price);
    if list_price.is_none() {
        errors.push("catalog.err_price");
    }
    let tracking = parse_tracking(&text.tracking);
    if tracking.is_none() {
        errors.push("catalog.err_tracking");
    }
    let shelf = text.shelf_life_days.trim();
    let shelf_life_days = if shelf.is_empty() {
        Some(None)
    } else {
        shelf
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=36_500).contains(d))
            .map(Some)
    };
    if shelf_life_days.is_none() {
        errors.push("catalog.err_shelf_life");
    }
    match (list_price, tracking, shelf_life_days) {
        (Some(list_price), Some(tracking), Some(shelf_life_days)) if errors.is_empty() => {
            Ok(ProductInput {
                code: code.to_owned(),
                name: name.to_owned(),
                unit: text.unit.trim().to_owned(),
                spec: text.spec.trim().to_owned(),
                category_id,
                list_price,
                image_sha256,
                tracking,
                shelf_life_days,
                active,
            })
        }
        _ => Err(errors),
    }
}

/// The message key of a storage error of a product write, or the error itself.
fn write_error_key(e: DbError) -> Result<&'static str, WebError> {
    match e {
        DbError::Duplicate(_) => Ok("catalog.err_code_taken"),
        DbError::NotFound(_) => Ok("catalog.err_category"),
        other => Err(other.into()),
    }
}

/// `GET /catalog`: the product list.
pub async fn index(user: WebUser) -> Result<Response, WebError> {
    user.require(Permission::CatalogView)?;
    Ok(see_other("/catalog/products"))
}

/// Query string of the product list.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ListQuery {
    /// Search text.
    #[serde(default)]
    pub q: String,
    /// Category id (with its subcategories).
    #[serde(default)]
    pub category: String,
    /// `1` active only, `0` inactive only, empty all.
    #[serde(default)]
    pub active: String,
    /// 1-based page.
    #[serde(default)]
    pub page: Option<i64>,
}

/// A product row, formatted.
#[derive(Debug)]
pub struct Row {
    id: String,
    code: String,
    name: String,
    spec: String,
    unit: String,
    category: String,
    list_price: String,
    tracking: &'static str,
    active: bool,
    image: Option<String>,
}

/// The table partial's data.
#[derive(Debug)]
pub struct TableData {
    rows: Vec<Row>,
    total: i64,
    page: i64,
    pages: i64,
    prev_url: Option<String>,
    next_url: Option<String>,
}

#[derive(Template)]
#[template(path = "catalog_products.html")]
struct ListPage {
    shell: Shell,
    tr: Tr,
    nav: Nav,
    query: ListQuery,
    categories: Vec<TreeOption>,
    t: TableData,
}

#[derive(Template)]
#[template(path = "catalog_products_table.html")]
struct TablePartial {
    tr: Tr,
    t: TableData,
}

/// The message key of a tracking mode.
pub fn tracking_key(t: Tracking) -> &'static str {
    match t {
        Tracking::None => "catalog.tracking_none",
        Tracking::Batch => "catalog.tracking_batch",
        Tracking::Serial => "catalog.tracking_serial",
    }
}

fn list_url(q: &ListQuery, page: i64) -> String {
    let mut q = q.clone();
    q.page = Some(page);
    format!(
        "/catalog/products?{}",
        serde_urlencoded::to_string(&q).unwrap_or_default()
    )
}

/// `GET /catalog/products`.
pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::CatalogView)?;
    let all = catalog::categories(&state.db).await?;
    let categories = match query.category.trim() {
        "" => None,
        c => {
            let id: CategoryId = c
                .parse()
                .map_err(|_| WebError::BadRequest("category".into()))?;
            Some(catalog::category_subtree(&all, id))
        }
    };
    let active = match query.active.trim() {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    };
    let page = query.page.unwrap_or(1).clamp(1, 1_000_000);
    let (rows, total) = catalog::list_products(
        &state.db,
        &ProductFilter {
            q: Some(query.q.clone()),
            categories,
            active,
            offset: (page - 1) * PAGE_SIZE,
            limit: PAGE_SIZE,
        },
    )
    .await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let tr = Tr(user.lang);
    let t = TableData {
        rows: rows
            .into_iter()
            .map(|r| Row {
                id: r.product.id.to_string(),
                code: r.product.code,
                name: r.product.name,
                spec: r.product.spec,
                unit: r.product.unit,
                category: r.category.unwrap_or_default(),
                list_price: fmt_money(r.product.list_price),
                tracking: tr.t(tracking_key(r.product.tracking)),
                active: r.product.active,
                image: r.product.image_sha256.map(|s| s.as_str().to_owned()),
            })
            .collect(),
        total,
        page,
        pages,
        prev_url: (page > 1).then(|| list_url(&query, page - 1)),
        next_url: (page < pages).then(|| list_url(&query, page + 1)),
    };
    if is_htmx(&headers) {
        return render(&TablePartial { tr, t });
    }
    render(&ListPage {
        shell: Shell::new(&user, "catalog"),
        tr,
        nav: Nav::new(&user, "products"),
        query,
        categories: category_options(&all),
        t,
    })
}

/// The product form's values.
#[derive(Debug, Default)]
pub struct FormValues {
    text: ProductText,
    category: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "catalog_product.html")]
struct FormPage {
    shell: Shell,
    tr: Tr,
    nav: Nav,
    /// `None` for a new product.
    product_id: Option<String>,
    f: FormValues,
    categories: Vec<TreeOption>,
    trackings: Vec<(&'static str, &'static str)>,
    image: Option<String>,
    errors: Vec<&'static str>,
    saved: bool,
}

fn trackings(tr: Tr) -> Vec<(&'static str, &'static str)> {
    Tracking::ALL
        .into_iter()
        .map(|t| (t.as_str(), tr.t(tracking_key(t))))
        .collect()
}

async fn form_page(
    state: &AppState,
    user: &WebUser,
    product: Option<&Product>,
    f: FormValues,
    errors: Vec<&'static str>,
    saved: bool,
) -> Result<Response, WebError> {
    let tr = Tr(user.lang);
    let all = catalog::categories(&state.db).await?;
    let page = FormPage {
        shell: Shell::new(user, "catalog"),
        tr,
        nav: Nav::new(user, "products"),
        product_id: product.map(|p| p.id.to_string()),
        f,
        categories: category_options(&all),
        trackings: trackings(tr),
        image: product.and_then(|p| p.image_sha256.as_ref().map(|s| s.as_str().to_owned())),
        errors,
        saved,
    };
    let html = page.render()?;
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Html(html)).into_response())
}

fn values_of(p: &Product) -> FormValues {
    FormValues {
        text: ProductText {
            code: p.code.clone(),
            name: p.name.clone(),
            unit: p.unit.clone(),
            spec: p.spec.clone(),
            list_price: fmt_money(p.list_price),
            tracking: p.tracking.as_str().to_owned(),
            shelf_life_days: p.shelf_life_days.map(|d| d.to_string()).unwrap_or_default(),
        },
        category: p.category_id.map(|c| c.to_string()).unwrap_or_default(),
        active: p.active,
    }
}

fn values_from(fields: &Fields) -> FormValues {
    FormValues {
        text: ProductText {
            code: fields.get("code").to_owned(),
            name: fields.get("name").to_owned(),
            unit: fields.get("unit").to_owned(),
            spec: fields.get("spec").to_owned(),
            list_price: fields.get("list_price").to_owned(),
            tracking: fields.get("tracking").to_owned(),
            shelf_life_days: fields.get("shelf_life_days").to_owned(),
        },
        category: fields.get("category").to_owned(),
        active: !fields.get("active").is_empty(),
    }
}

/// `GET /catalog/products/new`.
pub async fn new_form(State(state): State<AppState>, user: WebUser) -> Result<Response, WebError> {
    user.require(Permission::CatalogEdit)?;
    let f = FormValues {
        text: ProductText {
            tracking: "none".into(),
            ..ProductText::default()
        },
        active: true,
        ..FormValues::default()
    };
    form_page(&state, &user, None, f, Vec::new(), false).await
}

/// Query of the product page.
#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    /// Set after a successful save.
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /catalog/products/{id}`: the product's form (read-only without `CatalogEdit`).
pub async fn edit_form(
    State(state): State<AppState>,
    user: WebUser,
    Path(raw): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::CatalogView)?;
    let id: ProductId = path_id(&raw)?;
    let p = catalog::product(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    form_page(
        &state,
        &user,
        Some(&p),
        values_of(&p),
        Vec::new(),
        q.saved.is_some(),
    )
    .await
}

fn category_of(f: &FormValues) -> Result<Option<CategoryId>, WebError> {
    crate::web::admin::form_id(f.category.trim(), "category")
}

/// `POST /catalog/products`: creates a product; audited as `catalog.product.create`.
pub async fn create(
    State(state): State<AppState>,
    user: WebUser,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::CatalogEdit)?;
    let f = values_from(&Fields(fields));
    let category = category_of(&f)?;
    let errors = match parse_product(&f.text, category, f.active, None) {
        Ok(input) => match catalog::create_product(&state.db, &input).await {
            Ok(id) => {
                audit_change(
                    &state,
                    &user,
                    "catalog.product.create",
                    json!({ "id": id.to_string(), "code": input.code, "name": input.name,
                            "list_price": input.list_price }),
                )
                .await?;
                return Ok(see_other(&format!("/catalog/products/{id}?saved=1")));
            }
            Err(e) => vec![write_error_key(e)?],
        },
        Err(errors) => errors,
    };
    form_page(&state, &user, None, f, errors, false).await
}

/// `POST /catalog/products/{id}`: changes a product (its image and active flag stay as they
/// are); audited as `catalog.product.update` with the fields before and after.
pub async fn update(
    State(state): State<AppState>,
    user: WebUser,
    Path(raw): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::CatalogEdit)?;
    let id: ProductId = path_id(&raw)?;
    let before = catalog::product(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let mut f = values_from(&Fields(fields));
    f.active = before.active;
    let category = category_of(&f)?;
    let errors = match parse_product(
        &f.text,
        category,
        before.active,
        before.image_sha256.clone(),
    ) {
        Ok(input) => match catalog::update_product(&state.db, id, &input).await {
            Ok(_) => {
                audit_change(
                    &state,
                    &user,
                    "catalog.product.update",
                    json!({ "id": id.to_string(),
                                "before": { "code": before.code, "name": before.name,
                                            "list_price": before.list_price },
                                "after": { "code": input.code, "name": input.name,
                                           "list_price": input.list_price } }),
                )
                .await?;
                return Ok(see_other(&format!("/catalog/products/{id}?saved=1")));
            }
            Err(e) => vec![write_error_key(e)?],
        },
        Err(errors) => errors,
    };
    form_page(&state, &user, Some(&before), f, errors, false).await
}

async fn set_active(
    state: &AppState,
    user: &WebUser,
    raw: &str,
    active: bool,
) -> Result<Response, WebError> {
    user.require(Permission::CatalogEdit)?;
    let id: ProductId = path_id(raw)?;
    if !catalog::set_product_active(&state.db, id, active).await? {
        return Err(WebError::NotFound);
    }
    let action = if active {
        "catalog.product.activate"
    } else {
        "catalog.product.deactivate"
    };
    audit_change(state, user, action, json!({ "id": id.to_string() })).await?;
    Ok(see_other(&format!("/catalog/products/{id}?saved=1")))
}

/// `POST /catalog/products/{id}/activate`.
pub async fn activate(
    State(state): State<AppState>,
    user: WebUser,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    set_active(&state, &user, &raw, true).await
}

/// `POST /catalog/products/{id}/deactivate`: the product is no longer sold (devices stop
/// offering it; orders with it are flagged when priced).
pub async fn deactivate(
    State(state): State<AppState>,
    user: WebUser,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    set_active(&state, &user, &raw, false).await
}

/// `GET /catalog/products/{id}/image`: the product's image.
pub async fn image(
    State(state): State<AppState>,
    user: WebUser,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::CatalogView)?;
    let id: ProductId = path_id(&raw)?;
    let sha = catalog::product(&state.db, id)
        .await?
        .and_then(|p| p.image_sha256)
        .ok_or(WebError::NotFound)?;
    crate::http::attachments::serve(&state, &sha, user.user_id, user.role)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
        .ok_or(WebError::NotFound)
}

#[derive(Template)]
#[template(path = "import_message.html")]
struct Message {
    text: String,
    error: bool,
}

fn upload_error(tr: Tr, status: StatusCode, key: &str) -> Response {
    let html = Message {
        text: tr.t(key).to_owned(),
        error: true,
    }
    .render()
    .unwrap_or_else(|_| tr.t(key).to_owned());
    (status, Html(html)).into_response()
}

/// `POST /catalog/products/{id}/image/upload` (multipart, field `image`): stores the picture as
/// an attachment (type declared and checked against its magic number, at most
/// `max_attachment_bytes`) and makes it the product's image; audited as
/// `catalog.product.image`.
pub async fn upload_image(
    State(state): State<AppState>,
    user: WebUser,
    Path(raw): Path<String>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    user.require(Permission::CatalogEdit)?;
    let tr = Tr(user.lang);
    let id: ProductId = path_id(&raw)?;
    if catalog::product(&state.db, id).await?.is_none() {
        return Err(WebError::NotFound);
    }
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Ok(upload_error(tr, e.status(), "catalog.err_image_large"));
            }
            Err(_) => {
                return Ok(upload_error(
                    tr,
                    StatusCode::BAD_REQUEST,
                    "catalog.err_image",
                ));
            }
        };
        if field.name() != Some("image") {
            continue;
        }
        let declared = field.content_type().unwrap_or_default().to_owned();
        match field.bytes().await {
            Ok(b) => file = Some((declared, b.to_vec())),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Ok(upload_error(tr, e.status(), "catalog.err_image_large"));
            }
            Err(_) => {
                return Ok(upload_error(
                    tr,
                    StatusCode::BAD_REQUEST,
                    "catalog.err_image",
                ));
            }
        }
    }
    let Some((declared, bytes)) = file else {
        return Ok(upload_error(
            tr,
            StatusCode::BAD_REQUEST,
            "catalog.err_image",
        ));
    };
    // Browsers may send a generic type: the magic number decides then.
    let declared = match fieldcrm_core::attachment::ContentType::sniff(&bytes) {
        Some(sniffed) if declared.is_empty() || declared == "application/octet-stream" => {
            sniffed.as_str().to_owned()
        }
        _ => declared,
    };
    let limit = state.settings.max_attachment_bytes;
    let (ctype, sha) = match fieldcrm_core::attachment::check_bytes(&bytes, &declared, limit) {
        Ok(ok) => ok,
        Err(AttachmentError::TooLarge { .. }) => {
            return Ok(upload_error(
                tr,
                StatusCode::PAYLOAD_TOO_LARGE,
                "catalog.err_image_large",
            ));
        }
        Err(_) => {
            return Ok(upload_error(
                tr,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "catalog.err_image",
            ));
        }
    };
    let store = BlobStore::new(&state.settings.data_dir);
    if !store.exists(&sha).await {
        store
            .write(&sha, &bytes)
            .await
            .map_err(|e| WebError::Internal(format!("attachment file: {e}")))?;
    }
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    attachments::record_upload(&state.db, &sha, size, ctype.as_str(), user.user_id).await?;
    if !catalog::set_product_image(&state.db, id, Some(&sha)).await? {
        return Err(WebError::NotFound);
    }
    audit_change(
        &state,
        &user,
        "catalog.product.image",
        json!({ "id": id.to_string(), "sha256": sha.as_str(), "size": size }),
    )
    .await?;
    let to = format!("/catalog/products/{id}?saved=1");
    if is_htmx(&headers) {
        Ok((StatusCode::OK, [("hx-redirect", to)]).into_response())
    } else {
        Ok((StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(code: &str, price: &str) -> ProductText {
        ProductText {
            code: code.into(),
            name: "矿泉水 Water".into(),
            unit: "箱".into(),
            spec: "550ml×24".into(),
            list_price: price.into(),
            tracking: "批次".into(),
            shelf_life_days: "365".into(),
        }
    }

    #[test]
    fn product_fields_parse_or_name_every_problem() {
        let p = parse_product(&text(" W-1 ", "36.5"), None, true, None).unwrap();
        assert_eq!(p.code, "W-1");
        assert_eq!(p.list_price, 3650);
        assert_eq!(p.tracking, Tracking::Batch);
        assert_eq!(p.shelf_life_days, Some(365));
        let mut bad = text("", "-1");
        bad.tracking = "every unit".into();
        bad.shelf_life_days = "0".into();
        assert_eq!(
            parse_product(&bad, None, true, None).unwrap_err(),
            vec![
                "catalog.err_code",
                "catalog.err_price",
                "catalog.err_tracking",
                "catalog.err_shelf_life"
            ]
        );
        assert_eq!(parse_tracking("Serial"), Some(Tracking::Serial));
        assert_eq!(parse_tracking(""), Some(Tracking::None));
    }
}

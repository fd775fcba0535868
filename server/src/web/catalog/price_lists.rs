//! Price lists: `GET /catalog/price-lists` (every list with its tier, validity and item count),
//! the list form (`/catalog/price-lists/new`, `/catalog/price-lists/{id}`: name, customer tier
//! from the data dictionary, valid from/to, active), and its prices: add or change the price of
//! a product by code (`POST …/items`), remove one (`POST …/items/{product}/delete`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use fieldcrm_core::schema::CUSTOMER_TIER;
use fieldcrm_core::{PriceListId, ProductId};
use serde::Deserialize;
use serde_json::json;

use super::{Nav, fits, fmt_money, is_date, parse_money};
use crate::auth::permissions::Permission;
use crate::db::catalog::{self, PriceList, PriceListInput};
use crate::db::schema;
use crate::startup::AppState;
use crate::web::admin::{Fields, audit_change, path_id, see_other};
use crate::web::i18n::{Lang, Tr};
use crate::web::session::WebUser;
use crate::web::{Shell, WebError, render};

/// A customer tier offered: (code, label).
type TierOption = (String, String);

/// The tiers of the data dictionary (active ones, plus `keep` if it is retired), labelled in
/// the page language; the empty tier first.
async fn tier_options(state: &AppState, tr: Tr, keep: &str) -> Result<Vec<TierOption>, WebError> {
    let reference = schema::reference(&state.db).await?;
    let mut out = vec![(String::new(), tr.t("catalog.tier_none").to_owned())];
    if let Some(list) = reference.list(CUSTOMER_TIER) {
        for e in &list.entries {
            if e.active || e.code == keep {
                let label = if tr.0 == Lang::En {
                    &e.label_en
                } else {
                    &e.label_zh
                };
                out.push((e.code.clone(), format!("{} · {label}", e.code)));
            }
        }
    }
    Ok(out)
}

fn tier_label(options: &[TierOption], code: &str) -> String {
    options
        .iter()
        .find(|(c, _)| c == code)
        .map_or_else(|| code.to_owned(), |(_, l)| l.clone())
}

/// A list as shown in the table.
#[derive(Debug)]
pub struct ListRow {
    id: String,
    name: String,
    tier: String,
    valid_from: String,
    valid_to: String,
    active: bool,
    items: i64,
}

#[derive(Template)]
#[template(path = "catalog_price_lists.html")]
struct ListPage {
    shell: Shell,
    tr: Tr,
    nav: Nav,
    rows: Vec<ListRow>,
}

/// `GET /catalog/price-lists`.
pub async fn list(State(state): State<AppState>, user: WebUser) -> Result<Response, WebError> {
    user.require(Permission::CatalogView)?;
    let tr = Tr(user.lang);
    let tiers = tier_options(&state, tr, "").await?;
    let rows = catalog::price_lists(&state.db)
        .await?
        .into_iter()
        .map(|l| ListRow {
            id: l.id.to_string(),
            name: l.name,
            tier: tier_label(&tiers, &l.tier),
            valid_from: l.valid_from,
            valid_to: l.valid_to.unwrap_or_default(),
            active: l.active,
            items: l.items,
        })
        .collect();
    render(&ListPage {
        shell: Shell::new(&user, "catalog"),
        tr,
        nav: Nav::new(&user, "price_lists"),
        rows,
    })
}

/// The list form's values.
#[derive(Debug, Default)]
pub struct FormValues {
    name: String,
    tier: String,
    valid_from: String,
    valid_to: String,
    active: bool,
}

/// A price of the list, formatted.
#[derive(Debug)]
pub struct ItemRow {
    product_id: String,
    code: String,
    name: String,
    unit: String,
    list_price: String,
    unit_price: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "catalog_price_list.html")]
struct FormPage {
    shell: Shell,
    tr: Tr,
    nav: Nav,
    /// `None` for a new list.
    list_id: Option<String>,
    f: FormValues,
    tiers: Vec<TierOption>,
    items: Vec<ItemRow>,
    new_code: String,
    new_price: String,
    errors: Vec<&'static str>,
    saved: bool,
}

fn values_of(l: &PriceList) -> FormValues {
    FormValues {
        name: l.name.clone(),
        tier: l.tier.clone(),
        valid_from: l.valid_from.clone(),
        valid_to: l.valid_to.clone().unwrap_or_default(),
        active: l.active,
    }
}

fn values_from(fields: &Fields) -> FormValues {
    FormValues {
        name: fields.get("name").to_owned(),
        tier: fields.get("tier").to_owned(),
        valid_from: fields.get("valid_from").to_owned(),
        valid_to: fields.get("valid_to").to_owned(),
        active: !fields.get("active").is_empty(),
    }
}

/// What the page shows besides the list's own fields.
struct Extra {
    new_code: String,
    new_price: String,
    errors: Vec<&'static str>,
    saved: bool,
}

async fn form_page(
    state: &AppState,
    user: &WebUser,
    list: Option<PriceListId>,
    f: FormValues,
    extra: Extra,
) -> Result<Response, WebError> {
    let tr = Tr(user.lang);
    let items = match list {
        Some(id) => catalog::price_list_items(&state.db, id)
            .await?
            .into_iter()
            .map(|i| ItemRow {
                product_id: i.product_id.to_string(),
                code: i.code,
                name: i.name,
                unit: i.unit,
                list_price: fmt_money(i.list_price),
                unit_price: fmt_money(i.unit_price),
                active: i.active,
            })
            .collect(),
        None => Vec::new(),
    };
    let page = FormPage {
        shell: Shell::new(user, "catalog"),
        tr,
        nav: Nav::new(user, "price_lists"),
        list_id: list.map(|l| l.to_string()),
        tiers: tier_options(state, tr, &f.tier).await?,
        f,
        items,
        new_code: extra.new_code,
        new_price: extra.new_price,
        errors: extra.errors,
        saved: extra.saved,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn no_extra(errors: Vec<&'static str>, saved: bool) -> Extra {
    Extra {
        new_code: String::new(),
        new_price: String::new(),
        errors,
        saved,
    }
}

/// Checks a list's fields against the tiers offered.
async fn parse_list(
    state: &AppState,
    f: &FormValues,
) -> Result<Result<PriceListInput, Vec<&'static str>>, WebError> {
    let mut errors = Vec::new();
    if !fits(f.name.trim(), 100, true) {
        errors.push("adm.err_name");
    }
    let reference = schema::reference(&state.db).await?;
    let tier = f.tier.trim();
    let known = tier.is_empty()
        || reference
            .list(CUSTOMER_TIER)
            .is_some_and(|l| l.entries.iter().any(|e| e.code == tier));
    if !known {
        errors.push("catalog.err_tier");
    }
    let from = f.valid_from.trim();
    let to = f.valid_to.trim();
    if !is_date(from) {
        errors.push("catalog.err_valid_from");
    }
    if !to.is_empty() && (!is_date(to) || to < from) {
        errors.push("catalog.err_valid_to");
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    Ok(Ok(PriceListInput {
        name: f.name.trim().to_owned(),
        tier: tier.to_owned(),
        valid_from: from.to_owned(),
        valid_to: (!to.is_empty()).then(|| to.to_owned()),
        active: f.active,
    }))
}

/// `GET /catalog/price-lists/new`.
pub async fn new_form(State(state): State<AppState>, user: WebUser) -> Result<Response, WebError> {
    user.require(Permission::CatalogEdit)?;
    let f = FormValues {
        valid_from: chrono::Local::now().format("%Y-%m-%d").to_string(),
        active: true,
        ..FormValues::default()
    };
    form_page(&state, &user, None, f, no_extra(Vec::new(), false)).await
}

/// `POST /catalog/price-lists`: creates a list; audited as `catalog.price_list.create`.
pub async fn create(
    State(state): State<AppState>,
    user: WebUser,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::CatalogEdit)?;
    let f = values_from(&Fields(fields));
    match parse_list(&state, &f).await? {
        Ok(input) => {
            let id = catalog::create_price_list(&state.db, &input).await?;
            audit_change(
                &state,
                &user,
                "catalog.price_list.create",
                json!({ "id": id.to_string(), "name": input.name, "tier": input.tier,
                        "valid_from": input.valid_from, "valid_to": input.valid_to }),
            )
            .await?;
            Ok(see_other(&format!("/catalog/price-lists/{id}?saved=1")))
        }
        Err(errors) => form_page(&state, &user, None, f, no_extra(errors, false)).await,
    }
}

/// Query of the list page.
#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

async fn load(state: &AppState, raw: &str) -> Result<PriceList, WebError> {
    let id: PriceListId = path_id(raw)?;
    catalog::price_list(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)
}

/// `GET /catalog/price-lists/{id}`: the list's form and prices.
pub async fn page(
    State(state): State<AppState>,
    user: WebUser,
    Path(raw): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::CatalogView)?;
    let l = load(&state, &raw).await?;
    form_page(
        &state,
        &user,
        Some(l.id),
        values_of(&l),
        no_extra(Vec::new(), q.saved.is_some()),
    )
    .await
}

/// `POST /catalog/price-lists/{id}`: changes the list; audited as `catalog.price_list.update`.
pub async fn update(
    State(state): State<AppState>,
    user: WebUser,
    Path(raw): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::CatalogEdit)?;
    let l = load(&state, &raw).await?;
    let f = values_from(&Fields(fields));
    match parse_list(&state, &f).await? {
        Ok(input) => {
            let before = catalog::update_price_list(&state.db, l.id, &input).await?;
            audit_change(
                &state,
                &user,
                "catalog.price_list.update",
                json!({ "id": l.id.to_string(),
                        "before": { "name": before.name, "tier": before.tier,
                                    "valid_from": before.valid_from, "valid_to": before.valid_to,
                                    "active": before.active },
                        "after": { "name": input.name, "tier": input.tier,
                                   "valid_from": input.valid_from, "valid_to": input.valid_to,
                                   "active": input.active } }),
            )
            .await?;
            Ok(see_other(&format!("/catalog/price-lists/{}?saved=1", l.id)))
        }
        Err(errors) => form_page(&state, &user, Some(l.id), f, no_extra(errors, false)).await,
    }
}

/// `POST /catalog/price-lists/{id}/items` (`code`, `unit_price` in yuan): adds the product to
/// the list or changes its price; audited as `catalog.price.set`.
pub async fn set_item(
    State(state): State<AppState>,
    user: WebUser,
    Path(raw): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Permission::CatalogEdit)?;
    let l = load(&state, &raw).await?;
    let fields = Fields(fields);
    let code = fields.get("code").to_owned();
    let price_text = fields.get("unit_price").to_owned();
    let product = catalog::product_by_code(&state.db, &code).await?;
    let price = parse_money(&price_text);
    let mut errors = Vec::new();
    if product.is_none() {
        errors.push("catalog.err_unknown_code");
    }
    if price.is_none() {
        errors.push("catalog.err_price");
    }
    if let (Some(p), Some(price)) = (product, price) {
        let before = catalog::set_price(&state.db, l.id, p.id, price).await?;
        audit_change(
            &state,
            &user,
            "catalog.price.set",
            json!({ "price_list": l.id.to_string(), "product": p.id.to_string(),
                    "code": p.code, "before": before, "after": price }),
        )
        .await?;
        return Ok(see_other(&format!("/catalog/price-lists/{}?saved=1", l.id)));
    }
    let extra = Extra {
        new_code: code,
        new_price: price_text,
        errors,
        saved: false,
    };
    form_page(&state, &user, Some(l.id), values_of(&l), extra).await
}

/// `POST /catalog/price-lists/{id}/items/{product}/delete`: removes a price; audited as
/// `catalog.price.remove`.
pub async fn remove_item(
    State(state): State<AppState>,
    user: WebUser,
    Path((raw, product)): Path<(String, String)>,
) -> Result<Response, WebError> {
    user.require(Permission::CatalogEdit)?;
    let l = load(&state, &raw).await?;
    let product: ProductId = path_id(&product)?;
    let Some(before) = catalog::remove_price(&state.db, l.id, product).await? else {
        return Err(WebError::NotFound);
    };
    audit_change(
        &state,
        &user,
        "catalog.price.remove",
        json!({ "price_list": l.id.to_string(), "product": product.to_string(),
                "before": before }),
    )
    .await?;
    Ok(see_other(&format!("/catalog/price-lists/{}?saved=1", l.id)))
}

//! A contract's card, its create and edit forms, and linking orders to it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use fieldcrm_core::DocId;
use serde::Deserialize;
use serde_json::json;

use super::{audit_contract, status_choices, status_key, type_choices, type_key};
use crate::auth::permissions::Permission;
use crate::db::DbError;
use crate::db::contracts::{
    self, Contract, ContractId, ContractInput, ContractStatus, ContractType, LinkError,
};
use crate::db::payments::DEFAULT_TERMS_DAYS;
use crate::db::visibility::Record;
use crate::startup::AppState;
use crate::web::i18n::Tr;
use crate::web::orders::{fmt_money, parse_money, status_key as order_status_key, valid_date};
use crate::web::scope;
use crate::web::session::WebUser;
use crate::web::{Shell, WebError, fmt_ms, render};

/// The create/edit form.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct ContractForm {
    number: String,
    customer: String,
    #[serde(rename = "type")]
    contract_type: String,
    title: String,
    signed_on: String,
    start_on: String,
    end_on: String,
    amount: String,
    payment_terms_days: String,
    terms: String,
    status: String,
}

impl Default for ContractForm {
    fn default() -> Self {
        ContractForm {
            number: String::new(),
            customer: String::new(),
            contract_type: ContractType::Sales.as_str().to_owned(),
            title: String::new(),
            signed_on: String::new(),
            start_on: String::new(),
            end_on: String::new(),
            amount: String::new(),
            payment_terms_days: DEFAULT_TERMS_DAYS.to_string(),
            terms: String::new(),
            status: ContractStatus::Draft.as_str().to_owned(),
        }
    }
}

impl ContractForm {
    fn of(c: &Contract) -> ContractForm {
        let i = &c.input;
        ContractForm {
            number: i.number.clone(),
            customer: if c.customer_code.is_empty() {
                i.customer.to_string()
            } else {
                c.customer_code.clone()
            },
            contract_type: i.contract_type.as_str().to_owned(),
            title: i.title.clone(),
            signed_on: i.signed_on.clone().unwrap_or_default(),
            start_on: i.start_on.clone().unwrap_or_default(),
            end_on: i.end_on.clone().unwrap_or_default(),
            amount: if i.amount == 0 {
                String::new()
            } else {
                fmt_money(i.amount)
            },
            payment_terms_days: i.payment_terms_days.to_string(),
            terms: i.terms.clone(),
            status: i.status.as_str().to_owned(),
        }
    }
}

/// Resolves a form's customer (an id, or a code unique in the user's scope): the customer, or
/// the reason to show.
pub(crate) async fn resolve_customer(
    state: &AppState,
    user: &WebUser,
    tr: Tr,
    raw: &str,
) -> Result<Result<DocId, String>, WebError> {
    let raw = raw.trim();
    if let Ok(id) = DocId::parse(raw)
        && scope::sees_customer(state, user, id).await?
    {
        return Ok(Ok(id));
    }
    if raw.is_empty() {
        return Ok(Err(tr.t("con.err.customer").to_owned()));
    }
    let rs = scope::RecordScope::of(&state.db, user).await?;
    let found =
        contracts::customers_with_code(&state.db, &rs.territories, rs.owners(), raw).await?;
    Ok(match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(tr.t("con.err.customer").to_owned()),
        _ => Err(tr.t("con.err.customer_ambiguous").to_owned()),
    })
}

/// Checks the form: the contract's fields, or every problem found.
async fn check(
    state: &AppState,
    user: &WebUser,
    form: &ContractForm,
) -> Result<Result<ContractInput, Vec<String>>, WebError> {
    let tr = Tr(user.lang);
    let mut errors = Vec::new();
    let number = form.number.trim().to_owned();
    if number.is_empty() || number.chars().count() > 64 {
        errors.push(tr.t("con.err.number").to_owned());
    }
    let title = form.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 200 {
        errors.push(tr.t("con.err.title").to_owned());
    }
    let customer = match resolve_customer(state, user, tr, &form.customer).await? {
        Ok(c) => Some(c),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let contract_type = ContractType::parse(&form.contract_type);
    if contract_type.is_none() {
        errors.push(tr.t("con.err.type").to_owned());
    }
    let status = ContractStatus::parse(&form.status);
    if status.is_none() {
        errors.push(tr.t("con.err.status").to_owned());
    }
    let mut date = |s: &str| -> Option<String> {
        match s.trim() {
            "" => None,
            d => {
                let v = valid_date(d);
                if v.is_none() {
                    errors.push(format!("{}: {d}", tr.t("con.err.date")));
                }
                v
            }
        }
    };
    let signed_on = date(&form.signed_on);
    let start_on = date(&form.start_on);
    let end_on = date(&form.end_on);
    if let (Some(s), Some(e)) = (&start_on, &end_on)
        && e < s
    {
        errors.push(tr.t("con.err.range").to_owned());
    }
    let amount = match form.amount.trim() {
        "" => Some(0),
        a => parse_money(a),
    };
    if amount.is_none() {
        errors.push(tr.t("con.err.amount").to_owned());
    }
    let terms_days = match form.payment_terms_days.trim() {
        "" => Some(DEFAULT_TERMS_DAYS),
        d => d.parse::<i64>().ok().filter(|d| (0..=3_650).contains(d)),
    };
    if terms_days.is_none() {
        errors.push(tr.t("con.err.terms_days").to_owned());
    }
    if form.terms.chars().count() > 20_000 {
        errors.push(tr.t("con.err.terms").to_owned());
    }
    match (customer, contract_type, status, amount, terms_days) {
        (Some(customer), Some(contract_type), Some(status), Some(amount), Some(terms_days))
            if errors.is_empty() =>
        {
            Ok(Ok(ContractInput {
                number,
                customer,
                contract_type,
                title,
                signed_on,
                start_on,
                end_on,
                amount,
                payment_terms_days: terms_days,
                terms: form.terms.trim().to_owned(),
                status,
            }))
        }
        _ => Ok(Err(errors)),
    }
}

#[derive(Template)]
#[template(path = "contract_form.html")]
struct FormPage {
    shell: Shell,
    tr: Tr,
    id: Option<String>,
    f: ContractForm,
    errors: Vec<String>,
    types: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
}

fn form_page(
    user: &WebUser,
    id: Option<ContractId>,
    f: ContractForm,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut response = render(&FormPage {
        shell: Shell::new(user, "contracts"),
        tr: Tr(user.lang),
        id: id.map(|i| i.to_string()),
        f,
        errors,
        types: type_choices(),
        statuses: status_choices(),
    })?;
    *response.status_mut() = status;
    Ok(response)
}

fn see_other(to: String) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response()
}

/// Query of the new form: a customer to preset.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewQuery {
    customer: String,
}

/// `GET /contracts/new`.
pub async fn new_form(user: WebUser, Query(q): Query<NewQuery>) -> Result<Response, WebError> {
    user.require(Permission::ContractsEdit)?;
    let f = ContractForm {
        customer: q.customer.trim().chars().take(100).collect(),
        ..ContractForm::default()
    };
    form_page(&user, None, f, Vec::new())
}

fn audit_detail(i: &ContractInput) -> serde_json::Value {
    json!({
        "number": i.number,
        "customer": i.customer.to_string(),
        "type": i.contract_type.as_str(),
        "status": i.status.as_str(),
        "amount": i.amount,
        "payment_terms_days": i.payment_terms_days,
        "start_on": i.start_on,
        "end_on": i.end_on,
    })
}

/// `POST /contracts`.
pub async fn create(
    State(state): State<AppState>,
    user: WebUser,
    axum::Form(form): axum::Form<ContractForm>,
) -> Result<Response, WebError> {
    user.require(Permission::ContractsEdit)?;
    let input = match check(&state, &user, &form).await? {
        Ok(i) => i,
        Err(errors) => return form_page(&user, None, form, errors),
    };
    match contracts::create(&state.db, &input, user.user_id).await {
        Ok(id) => {
            audit_contract(
                &state,
                &user,
                "web.contract.create",
                id,
                audit_detail(&input),
            )
            .await;
            Ok(see_other(format!("/contracts/{id}")))
        }
        Err(DbError::Duplicate(_)) => {
            let e = Tr(user.lang).t("con.err.duplicate").to_owned();
            form_page(&user, None, form, vec![e])
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /contracts/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::ContractsEdit)?;
    let c = scope::contract(&state, &user, &id).await?;
    form_page(&user, Some(c.id), ContractForm::of(&c), Vec::new())
}

/// `POST /contracts/{id}`.
pub async fn update(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<ContractForm>,
) -> Result<Response, WebError> {
    user.require(Permission::ContractsEdit)?;
    let c = scope::contract(&state, &user, &id).await?;
    let input = match check(&state, &user, &form).await? {
        Ok(i) => i,
        Err(errors) => return form_page(&user, Some(c.id), form, errors),
    };
    match contracts::update(&state.db, c.id, &input).await {
        Ok(true) => {
            audit_contract(
                &state,
                &user,
                "web.contract.update",
                c.id,
                audit_detail(&input),
            )
            .await;
            Ok(see_other(format!("/contracts/{}", c.id)))
        }
        Ok(false) => Err(WebError::NotFound),
        Err(DbError::Duplicate(_)) => {
            let e = Tr(user.lang).t("con.err.duplicate").to_owned();
            form_page(&user, Some(c.id), form, vec![e])
        }
        Err(e) => Err(e.into()),
    }
}

/// An order of the card, formatted.
#[derive(Debug)]
pub struct OrderView {
    id: String,
    number: String,
    status: &'static str,
    created: String,
    total: String,
    receivable: String,
    /// Whether the user sees the order (its card opens): else it is shown without a link.
    opens: bool,
}

/// A file of the card, formatted.
#[derive(Debug)]
pub struct FileView {
    sha256: String,
    name: String,
    content_type: String,
    size: String,
    uploaded: String,
}

/// Everything the card shows.
#[derive(Debug)]
pub struct CardView {
    id: String,
    number: String,
    title: String,
    customer_id: String,
    customer: String,
    customer_code: String,
    ctype: &'static str,
    status: &'static str,
    status_value: &'static str,
    signed_on: String,
    start_on: String,
    end_on: String,
    amount: String,
    terms_days: i64,
    terms: String,
    created: String,
    orders: Vec<OrderView>,
    linkable: Vec<OrderView>,
    files: Vec<FileView>,
    can_edit: bool,
}

#[derive(Template)]
#[template(path = "contract_card.html")]
struct CardPage {
    shell: Shell,
    tr: Tr,
    c: CardView,
    error: Option<String>,
}

fn order_views(tr: Tr, rows: &[crate::db::orders::OrderRow], visible: &[String]) -> Vec<OrderView> {
    rows.iter()
        .map(|o| OrderView {
            opens: visible.contains(&o.id.to_string()),
            id: o.id.to_string(),
            number: o
                .number
                .clone()
                .unwrap_or_else(|| tr.t("ord.unnumbered").to_owned()),
            status: tr.t(order_status_key(&o.status)),
            created: fmt_ms(Some(o.created_at)),
            total: fmt_money(o.total),
            receivable: fmt_money(o.receivable()),
        })
        .collect()
}

/// A byte count for people: `12.3 KB`.
pub fn fmt_size(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 1024 {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

/// Renders the card of `c` with `status` and an error for its forms.
pub async fn render_card(
    state: &AppState,
    user: &WebUser,
    c: &Contract,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, WebError> {
    let tr = Tr(user.lang);
    let can_edit = user.can(Permission::ContractsEdit);
    let i = &c.input;
    let rs = scope::RecordScope::of(&state.db, user).await?;
    let ids = |rows: &[crate::db::orders::OrderRow]| -> Vec<String> {
        rows.iter().map(|o| o.id.to_string()).collect()
    };
    let linked = contracts::linked_orders(&state.db, c.id).await?;
    let visible = rs.among(&state.db, Record::Order, &ids(&linked)).await?;
    let view = CardView {
        id: c.id.to_string(),
        number: i.number.clone(),
        title: i.title.clone(),
        customer_id: i.customer.to_string(),
        customer: c.customer_name.clone(),
        customer_code: c.customer_code.clone(),
        ctype: tr.t(type_key(i.contract_type)),
        status: tr.t(status_key(i.status)),
        status_value: i.status.as_str(),
        signed_on: i.signed_on.clone().unwrap_or_default(),
        start_on: i.start_on.clone().unwrap_or_default(),
        end_on: i.end_on.clone().unwrap_or_default(),
        amount: fmt_money(i.amount),
        terms_days: i.payment_terms_days,
        terms: i.terms.clone(),
        created: fmt_ms(Some(c.created_at)),
        orders: order_views(tr, &linked, &visible),
        // Only orders the user sees may be linked.
        linkable: if can_edit {
            let rows = contracts::linkable_orders(&state.db, i.customer).await?;
            let visible = rs.among(&state.db, Record::Order, &ids(&rows)).await?;
            order_views(tr, &rows, &visible)
                .into_iter()
                .filter(|o| o.opens)
                .collect()
        } else {
            Vec::new()
        },
        files: contracts::files(&state.db, c.id)
            .await?
            .into_iter()
            .map(|f| FileView {
                sha256: f.sha256,
                name: f.file_name,
                content_type: f.content_type,
                size: fmt_size(f.size),
                uploaded: format!("{} · {}", fmt_ms(Some(f.created_at)), f.uploaded_by),
            })
            .collect(),
        can_edit,
    };
    let mut response = render(&CardPage {
        shell: Shell::new(user, "contracts"),
        tr,
        c: view,
        error,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /contracts/{id}`.
pub async fn card(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::ContractsView)?;
    let c = scope::contract(&state, &user, &id).await?;
    render_card(&state, &user, &c, StatusCode::OK, None).await
}

/// The link form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkForm {
    order: String,
}

/// `POST /contracts/{id}/orders`: links an order of the contract's customer.
pub async fn link(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<LinkForm>,
) -> Result<Response, WebError> {
    user.require(Permission::ContractsEdit)?;
    let c = scope::contract(&state, &user, &id).await?;
    let tr = Tr(user.lang);
    let refuse =
        |m: String| render_card(&state, &user, &c, StatusCode::UNPROCESSABLE_ENTITY, Some(m));
    // The order must be one the user sees (as its card would): else it is "not an order of
    // the customer", and nothing is linked.
    let order = match scope::order(&state, &user, &form.order).await {
        Ok(order) => order,
        Err(WebError::NotFound) => return refuse(tr.t("con.err.order").to_owned()).await,
        Err(e) => return Err(e),
    };
    match contracts::link_order(&state.db, c.id, order, user.user_id).await {
        Ok(()) => {
            audit_contract(
                &state,
                &user,
                "web.contract.link",
                c.id,
                json!({"order": order.to_string()}),
            )
            .await;
            Ok(see_other(format!("/contracts/{}", c.id)))
        }
        Err(LinkError::OtherCustomer) => refuse(tr.t("con.err.order").to_owned()).await,
        Err(LinkError::AlreadyLinked(n)) => refuse(format!("{} {n}", tr.t("con.err.linked"))).await,
        Err(LinkError::Db(DbError::Duplicate(_))) => {
            refuse(tr.t("con.err.linked").to_owned()).await
        }
        Err(LinkError::Db(e)) => Err(e.into()),
    }
}

/// `POST /contracts/{id}/orders/{order}/unlink`.
pub async fn unlink(
    State(state): State<AppState>,
    user: WebUser,
    Path((id, order)): Path<(String, String)>,
) -> Result<Response, WebError> {
    user.require(Permission::ContractsEdit)?;
    let c = scope::contract(&state, &user, &id).await?;
    let order = DocId::parse(&order).map_err(|_| WebError::NotFound)?;
    if contracts::unlink_order(&state.db, c.id, order).await? {
        audit_contract(
            &state,
            &user,
            "web.contract.unlink",
            c.id,
            json!({"order": order.to_string()}),
        )
        .await;
    }
    Ok(see_other(format!("/contracts/{}", c.id)))
}

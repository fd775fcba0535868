//! Customers: the card (details, contacts, visits, history tabs) and create/edit through the
//! document write path (`write::server_create` / `write::server_update`), so synced devices
//! receive the change. The list is [`super::customer_list`]. Everything stays inside the user's
//! territory scope and the data scope of their role ([`super::scope::customer`]); outside them a
//! customer is "not found".

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use fieldcrm_core::document::Kind;
use fieldcrm_core::domain::customer::{Customer, CustomerKind};
use fieldcrm_core::schema::{self as core_schema, Reference};
use fieldcrm_core::{DocId, Role, TerritoryId, UserId};
use serde::Deserialize;
use serde_json::{Value, json};

use super::custom_fields::{self, CustomInput, Opt, Shown};
use super::customer_list::scoped_territories;
use super::history::{self, HistoryView};
use super::i18n::{Lang, Tr};
use super::session::WebUser;
use super::{Shell, WebError, fmt_ms, is_htmx, render};
use crate::auth::permissions::Permission;
use crate::db::audit::{self, AuditEntry};
use crate::db::customers_query::{self, VisitFilter};
use crate::db::territories::{self, ScopeTerritories, Territory};
use crate::db::{schema, users};
use crate::startup::AppState;
use crate::sync::write;

/// The customer routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/customers", get(super::customer_list::list).post(create))
        .route("/customers/new", get(new_form))
        .route("/customers/{id}", get(card).post(update))
        .route("/customers/{id}/edit", get(edit_form))
}

/// A contact, formatted.
#[derive(Debug)]
pub struct ContactView {
    name: String,
    title: String,
    phones: String,
    email: String,
    primary: bool,
}

/// The card's view of a customer.
#[derive(Debug)]
pub struct CardView {
    id: String,
    code: String,
    name: String,
    kind: &'static str,
    tier: String,
    industry: String,
    source: String,
    phones: String,
    email: String,
    address: String,
    tags: String,
    notes: String,
    territory: String,
    owner: String,
    contacts: Vec<ContactView>,
    custom: Vec<Shown>,
}

/// A visit, formatted.
#[derive(Debug)]
pub struct VisitView {
    id: String,
    check_in: String,
    check_out: String,
    rep: String,
    purpose: String,
    outcome: String,
}

/// What a card tab shows.
#[derive(Debug)]
pub struct TabData {
    tab: &'static str,
    card: CardView,
    visits: Vec<VisitView>,
    history: Vec<HistoryView>,
}

#[derive(Template)]
#[template(path = "customer.html")]
struct CardPage {
    shell: Shell,
    tr: Tr,
    d: TabData,
    /// The reassignment form's choices, when the user may reassign.
    reassign: Option<ReassignChoices>,
    /// What the customer owes (formatted), when the user may see payments.
    receivable: Option<String>,
}

/// The card's reassignment form: territories in scope and possible owners.
#[derive(Debug)]
pub struct ReassignChoices {
    territories: Vec<Territory>,
    owners: Vec<users::User>,
    territory: String,
    owner: String,
}

#[derive(Template)]
#[template(path = "customer_tab.html")]
struct TabPartial {
    tr: Tr,
    d: TabData,
}

/// Query string of the card.
#[derive(Debug, Deserialize)]
pub struct CardQuery {
    #[serde(default)]
    tab: String,
}

async fn load_customer(state: &AppState, id: DocId) -> Result<Customer, WebError> {
    let value = write::load_record(&state.db, id).await?;
    serde_json::from_value(value).map_err(|e| WebError::Internal(e.to_string()))
}

async fn user_name(state: &AppState, id: Option<UserId>) -> Result<String, WebError> {
    Ok(match id {
        Some(id) => users::get(&state.db, id)
            .await?
            .map_or_else(|| id.to_string(), |u| u.display_name),
        None => String::new(),
    })
}

/// `GET /customers/{id}`: the card; htmx tab switches get only the tab.
pub async fn card(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<CardQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::CustomersView)?;
    let (id, rs) = super::scope::customer(&state, &user, &id).await?;
    let scope = &rs.territories;
    let tr = Tr(user.lang);
    let c = load_customer(&state, id).await?;
    let reference = schema::reference(&state.db).await?;
    let english = user.lang == Lang::En;
    let tab = match q.tab.as_str() {
        "contacts" => "contacts",
        "visits" => "visits",
        "history" => "history",
        _ => "details",
    };
    let territory = match c.territory {
        Some(t) => territories::get(&state.db, t)
            .await?
            .map(|t| t.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let card = CardView {
        id: id.to_string(),
        code: c.code.clone(),
        name: c.name.clone(),
        kind: tr.t(match c.kind {
            CustomerKind::Company => "kind.company",
            CustomerKind::Person => "kind.person",
        }),
        tier: reference
            .label(core_schema::CUSTOMER_TIER, &c.tier, english)
            .to_owned(),
        industry: reference
            .label(core_schema::INDUSTRY, &c.industry, english)
            .to_owned(),
        source: reference
            .label(core_schema::CUSTOMER_SOURCE, &c.source, english)
            .to_owned(),
        phones: c.phones.join(", "),
        email: c.email.clone(),
        address: [
            c.address.province.as_str(),
            &c.address.city,
            &c.address.district,
            &c.address.street,
            &c.address.zip,
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" "),
        tags: c.tags.join(", "),
        notes: c.notes.clone(),
        territory,
        owner: user_name(&state, c.owner).await?,
        contacts: c
            .contacts
            .iter()
            .map(|k| ContactView {
                name: k.name.clone(),
                title: k.title.clone(),
                phones: k.phones.join(", "),
                email: k.email.clone(),
                primary: k.primary,
            })
            .collect(),
        custom: custom_fields::shown(&reference, Kind::Customer, &c.custom, tr),
    };
    let visits = if tab == "visits" {
        customers_query::visits(
            &state.db,
            scope,
            &VisitFilter {
                customer: Some(id),
                // The visits the user sees (by rep), as in the visit list: each one opens.
                owners: rs.owners.clone(),
                limit: 200,
                ..VisitFilter::default()
            },
        )
        .await?
        .0
        .into_iter()
        .map(|v| VisitView {
            id: v.id,
            check_in: fmt_ms(v.check_in_at),
            check_out: fmt_ms(v.check_out_at),
            rep: v.rep,
            purpose: reference
                .label(core_schema::VISIT_PURPOSE, &v.purpose, english)
                .to_owned(),
            outcome: v.outcome,
        })
        .collect()
    } else {
        Vec::new()
    };
    let history = if tab == "history" {
        history::views(&state.db, tr, &reference, Kind::Customer, id).await?
    } else {
        Vec::new()
    };
    let d = TabData {
        tab,
        card,
        visits,
        history,
    };
    if is_htmx(&headers) && !headers.contains_key("hx-history-restore-request") {
        return render(&TabPartial { tr, d });
    }
    let reassign = if user.can(Permission::CustomersReassign) {
        Some(ReassignChoices {
            territories: scoped_territories(&state, scope).await?,
            owners: super::customer_list::possible_owners(&state).await?,
            territory: c.territory.map(|t| t.to_string()).unwrap_or_default(),
            owner: c.owner.map(|o| o.to_string()).unwrap_or_default(),
        })
    } else {
        None
    };
    render(&CardPage {
        shell: Shell::new(&user, "customers"),
        tr,
        d,
        reassign,
        receivable: super::payments::customer_figure(&state, &user, id, &rs).await?,
    })
}

/// The create/edit form.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct CustomerForm {
    name: String,
    code: String,
    kind: String,
    tier: String,
    industry: String,
    source: String,
    phones: String,
    email: String,
    province: String,
    city: String,
    district: String,
    street: String,
    zip: String,
    tags: String,
    notes: String,
    territory: String,
    /// Everything else submitted: the custom fields (`custom.<key>`).
    #[serde(flatten)]
    extra: BTreeMap<String, String>,
}

/// The built-in fields bound to a dictionary list: (form field, list, message key of the label).
const BOUND: [(&str, &str, &str); 3] = [
    ("tier", core_schema::CUSTOMER_TIER, "field.tier"),
    ("industry", core_schema::INDUSTRY, "field.industry"),
    ("source", core_schema::CUSTOMER_SOURCE, "field.source"),
];

impl CustomerForm {
    fn bound(&self, field: &str) -> &str {
        match field {
            "tier" => self.tier.trim(),
            "industry" => self.industry.trim(),
            _ => self.source.trim(),
        }
    }

    fn from_customer(c: &Customer) -> Self {
        CustomerForm {
            name: c.name.clone(),
            code: c.code.clone(),
            kind: match c.kind {
                CustomerKind::Company => "company".into(),
                CustomerKind::Person => "person".into(),
            },
            tier: c.tier.clone(),
            industry: c.industry.clone(),
            source: c.source.clone(),
            phones: c.phones.join(", "),
            email: c.email.clone(),
            province: c.address.province.clone(),
            city: c.address.city.clone(),
            district: c.address.district.clone(),
            street: c.address.street.clone(),
            zip: c.address.zip.clone(),
            tags: c.tags.join(", "),
            notes: c.notes.clone(),
            territory: c.territory.map(|t| t.to_string()).unwrap_or_default(),
            extra: custom_fields::form_values(&c.custom),
        }
    }

    /// Writes the form's fields into a customer's typed JSON.
    fn apply(&self, v: &mut Value, territory: TerritoryId) {
        let list = |s: &str| -> Vec<String> {
            s.split([',', '，', ';', '；'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        };
        v["name"] = json!(self.name.trim());
        v["code"] = json!(self.code.trim());
        v["kind"] = json!(if self.kind == "person" {
            "person"
        } else {
            "company"
        });
        v["tier"] = json!(self.tier.trim());
        v["industry"] = json!(self.industry.trim());
        v["source"] = json!(self.source.trim());
        v["phones"] = json!(list(&self.phones));
        v["email"] = json!(self.email.trim());
        v["tags"] = json!(list(&self.tags));
        v["notes"] = json!(self.notes);
        v["territory"] = json!(territory.to_string());
        if !v["address"].is_object() {
            v["address"] = json!({});
        }
        v["address"]["province"] = json!(self.province.trim());
        v["address"]["city"] = json!(self.city.trim());
        v["address"]["district"] = json!(self.district.trim());
        v["address"]["street"] = json!(self.street.trim());
        v["address"]["zip"] = json!(self.zip.trim());
    }
}

#[derive(Template)]
#[template(path = "customer_form.html")]
struct FormPage {
    shell: Shell,
    tr: Tr,
    /// `None` when creating.
    id: Option<String>,
    form: CustomerForm,
    territories: Vec<Territory>,
    errors: Vec<String>,
    tiers: Vec<Opt>,
    industries: Vec<Opt>,
    sources: Vec<Opt>,
    custom: Vec<CustomInput>,
}

impl FormPage {
    /// The form page, with the dictionary options and custom inputs filled from `form`.
    fn new(
        user: &WebUser,
        reference: &Reference,
        id: Option<String>,
        form: CustomerForm,
        territories: Vec<Territory>,
        errors: Vec<String>,
    ) -> FormPage {
        let tr = Tr(user.lang);
        FormPage {
            shell: Shell::new(user, "customers"),
            tr,
            id,
            tiers: custom_fields::options(reference, core_schema::CUSTOMER_TIER, &form.tier, tr),
            industries: custom_fields::options(
                reference,
                core_schema::INDUSTRY,
                &form.industry,
                tr,
            ),
            sources: custom_fields::options(
                reference,
                core_schema::CUSTOMER_SOURCE,
                &form.source,
                tr,
            ),
            custom: custom_fields::inputs(reference, Kind::Customer, &form.extra, tr),
            form,
            territories,
            errors,
        }
    }
}

/// `GET /customers/new`.
pub async fn new_form(State(state): State<AppState>, user: WebUser) -> Result<Response, WebError> {
    user.require(Permission::CustomersEdit)?;
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let territories = scoped_territories(&state, &scope).await?;
    let mut form = CustomerForm {
        kind: "company".into(),
        ..CustomerForm::default()
    };
    if let [only] = territories.as_slice() {
        form.territory = only.id.to_string();
    }
    let reference = schema::reference(&state.db).await?;
    render(&FormPage::new(
        &user,
        &reference,
        None,
        form,
        territories,
        Vec::new(),
    ))
}

/// `GET /customers/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::CustomersEdit)?;
    let (id, rs) = super::scope::customer(&state, &user, &id).await?;
    let scope = rs.territories;
    let c = load_customer(&state, id).await?;
    let reference = schema::reference(&state.db).await?;
    render(&FormPage::new(
        &user,
        &reference,
        Some(id.to_string()),
        CustomerForm::from_customer(&c),
        scoped_territories(&state, &scope).await?,
        Vec::new(),
    ))
}

/// The checked custom values of a form (canonical; `None`: no value).
type CustomValues = BTreeMap<String, Option<String>>;

/// Checks the form against the record it edits (`base`, typed JSON): territory, dictionary
/// values, custom fields, invariants. Returns the territory, the record as it would be saved and
/// the custom values, or the messages to show.
fn check(
    tr: Tr,
    reference: &Reference,
    form: &CustomerForm,
    scope: &ScopeTerritories,
    base: &Value,
) -> Result<(TerritoryId, Value, CustomValues), Vec<String>> {
    let territory = TerritoryId::parse(form.territory.trim())
        .ok()
        .filter(|t| scope.contains(*t));
    let Some(territory) = territory else {
        return Err(vec![tr.t("form.territory_required").to_owned()]);
    };
    let mut errors = Vec::new();
    for (field, list, label) in BOUND {
        let current = base[field].as_str().unwrap_or_default();
        if let Err(v) = custom_fields::check_bound(reference, list, form.bound(field), current) {
            errors.push(format!(
                "{}: {v} {}",
                tr.t(label),
                tr.t("schema.not_offered")
            ));
        }
    }
    let current: BTreeMap<String, String> =
        serde_json::from_value(base["custom"].clone()).unwrap_or_default();
    let custom = match custom_fields::read(reference, Kind::Customer, &form.extra, &current, tr) {
        Ok(values) => values,
        Err(e) => {
            errors.extend(e);
            BTreeMap::new()
        }
    };
    let mut value = base.clone();
    form.apply(&mut value, territory);
    custom_fields::apply(&mut value, &custom);
    errors.extend(match serde_json::from_value::<Customer>(value.clone()) {
        Ok(c) => c
            .validate()
            .into_iter()
            .map(|e| format!("{}: {}", tr.field(&e.field), e.message))
            .collect(),
        Err(e) => vec![e.to_string()],
    });
    if errors.is_empty() {
        Ok((territory, value, custom))
    } else {
        Err(errors)
    }
}

async fn form_errors(
    state: &AppState,
    user: &WebUser,
    scope: &ScopeTerritories,
    id: Option<DocId>,
    form: CustomerForm,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let reference = schema::reference(&state.db).await?;
    let mut response = render(&FormPage::new(
        user,
        &reference,
        id.map(|i| i.to_string()),
        form,
        scoped_territories(state, scope).await?,
        errors,
    ))?;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

fn see_other(to: String) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response()
}

/// `POST /customers`: creates a customer document as the server, on behalf of the user.
pub async fn create(
    State(state): State<AppState>,
    user: WebUser,
    axum::Form(form): axum::Form<CustomerForm>,
) -> Result<Response, WebError> {
    user.require(Permission::CustomersEdit)?;
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let mut base =
        serde_json::to_value(Customer::default()).map_err(|e| WebError::Internal(e.to_string()))?;
    if user.role == Role::Rep {
        base["owner"] = json!(user.user_id.to_string());
    }
    let reference = schema::reference(&state.db).await?;
    let (_, value, _) = match check(Tr(user.lang), &reference, &form, &scope, &base) {
        Ok(ok) => ok,
        Err(errors) => return form_errors(&state, &user, &scope, None, form, errors).await,
    };
    let id = DocId::new();
    match write::server_create(
        &state.db,
        &state.hub,
        Kind::Customer,
        id,
        &value,
        Some(user.user_id),
    )
    .await
    {
        Ok(_) => {}
        Err(write::WriteError::Invalid(m)) => {
            return form_errors(&state, &user, &scope, None, form, vec![m]).await;
        }
        Err(e) => return Err(e.into()),
    }
    let mut entry = AuditEntry::new("web.customer.create");
    entry.user_id = Some(user.user_id);
    entry.doc_id = Some(id.to_string());
    entry.kind = Some(Kind::Customer.as_str().to_owned());
    entry.verdict = Some("ok".into());
    if let Err(e) = audit::record(&state.db, &entry).await {
        tracing::error!(error = %e, "cannot write audit entry");
    }
    Ok(see_other(format!("/customers/{id}")))
}

/// `POST /customers/{id}`: edits a customer through the document path.
pub async fn update(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<CustomerForm>,
) -> Result<Response, WebError> {
    user.require(Permission::CustomersEdit)?;
    let (id, rs) = super::scope::customer(&state, &user, &id).await?;
    let scope = rs.territories;
    let current = write::load_record(&state.db, id).await?;
    let reference = schema::reference(&state.db).await?;
    let (territory, _, custom) = match check(Tr(user.lang), &reference, &form, &scope, &current) {
        Ok(ok) => ok,
        Err(errors) => return form_errors(&state, &user, &scope, Some(id), form, errors).await,
    };
    // The form's fields are applied to the document as it is inside the write transaction, so
    // fields the form does not show (contacts, inactive custom fields) keep concurrent device
    // edits.
    let edit = form.clone();
    let result = write::server_update(
        &state.db,
        &state.hub,
        id,
        Some(user.user_id),
        "web.customer.update",
        move |v| {
            edit.apply(v, territory);
            custom_fields::apply(v, &custom);
            Ok(())
        },
    )
    .await;
    match result {
        Ok(_) => Ok(see_other(format!("/customers/{id}"))),
        Err(write::WriteError::Invalid(m)) => {
            form_errors(&state, &user, &scope, Some(id), form, vec![m]).await
        }
        Err(e) => Err(e.into()),
    }
}

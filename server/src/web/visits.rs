//! Visits in the back office: `GET /visits` (the user's scope — territories, and the reps of the
//! role's data scope — newest first, filtered by rep and date range, paginated; htmx gets only
//! the table), `GET /visits/{id}` (the visit card: customer, rep, check-in/out with GPS and
//! accuracy, the check-in's distance from the customer's address, photos, notes, outcome, next
//! step, custom fields, history), `GET`/`POST /visits/{id}/custom` (the visit's custom fields,
//! edited through the document path by a user with `Permission::VisitsEdit`, so the rep's phone
//! receives the change and it lands in the visit's history) and `GET /attachments/{sha256}` (a
//! photo, for a user who may see a visit referencing it).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Local, NaiveDate, TimeZone};
use fieldcrm_core::attachment::Sha256Hex;
use fieldcrm_core::document::Kind;
use fieldcrm_core::domain::{CheckPoint, Customer, GeoPoint, Visit};
use fieldcrm_core::{DocId, UserId};
use serde::{Deserialize, Serialize};

use super::custom_fields::{self, CustomInput, Shown};
use super::history::{self, HistoryView};
use super::i18n::{Lang, Tr};
use super::session::WebUser;
use super::{Shell, WebError, fmt_ms, is_htmx, render};
use crate::auth::permissions::Permission;
use crate::db::customers_query::{self, VisitFilter};
use crate::db::{attachments, schema, territories, users};
use crate::startup::AppState;
use crate::sync::write;

/// The visit routes.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/visits", get(list))
        .route("/visits/{id}", get(card))
        .route("/visits/{id}/custom", get(custom_form).post(save_custom))
        .route("/attachments/{sha256}", get(photo))
}

/// Check-ins farther than this from the customer's address are flagged.
pub const FAR_CHECK_IN_M: f64 = 500.0;

/// (key, zh-CN, English): the visit card's messages.
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("vcard.title", "拜访详情", "Visit"),
    ("vcard.open", "查看", "Open"),
    ("vcard.customer", "客户", "Customer"),
    ("vcard.rep", "拜访人", "Rep"),
    ("vcard.check_in", "签到", "Check-in"),
    ("vcard.check_out", "签退", "Check-out"),
    ("vcard.position", "位置", "Position"),
    ("vcard.accuracy", "精度", "Accuracy"),
    ("vcard.no_fix", "无定位", "No GPS fix"),
    ("vcard.not_yet", "尚未签退", "Not checked out yet"),
    (
        "vcard.distance",
        "签到点距客户地址",
        "Check-in distance from the customer's address",
    ),
    (
        "vcard.distance_unknown",
        "无法计算（缺少定位或客户地址坐标）",
        "Unknown (no GPS fix or no geocoded customer address)",
    ),
    ("vcard.far", "距离超过 500 米", "More than 500 m away"),
    ("vcard.purpose", "目的", "Purpose"),
    ("vcard.outcome", "结果", "Outcome"),
    ("vcard.notes", "备注", "Notes"),
    ("vcard.next_step", "下一步", "Next step"),
    ("vcard.photos", "照片", "Photos"),
    ("vcard.no_photos", "没有照片", "No photos"),
    (
        "vcard.photo_pending",
        "等待手机上传",
        "Waiting for the phone to upload it",
    ),
    ("vcard.taken_at", "拍摄于", "Taken"),
    ("vcard.photo", "拜访照片", "Visit photo"),
    ("vcard.custom", "自定义字段", "Custom fields"),
    ("vcard.no_custom", "没有自定义字段", "No custom fields"),
    ("vcard.edit_custom", "编辑自定义字段", "Edit custom fields"),
    ("vcard.history", "变更历史", "History"),
];

/// Rows per page.
pub const PAGE_SIZE: i64 = 50;

/// Query string of the visit list.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct VisitQuery {
    /// Rep user id.
    #[serde(default)]
    pub rep: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    pub from: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    pub to: String,
    /// 1-based page.
    #[serde(default)]
    pub page: Option<i64>,
}

/// A visit row, formatted.
#[derive(Debug)]
pub struct Row {
    id: String,
    customer_id: String,
    customer: String,
    rep: String,
    check_in: String,
    check_out: String,
    purpose: String,
    outcome: String,
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
#[template(path = "visits.html")]
struct Page {
    shell: Shell,
    tr: Tr,
    query: VisitQuery,
    reps: Vec<(String, String)>,
    t: TableData,
}

#[derive(Template)]
#[template(path = "visits_table.html")]
struct Partial {
    tr: Tr,
    t: TableData,
}

/// Local midnight of a `YYYY-MM-DD` date plus `days`, unix ms (also the order list's range).
pub(crate) fn day_ms(s: &str, days: i64) -> Result<Option<i64>, WebError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| WebError::BadRequest("date".into()))?
        + chrono::Duration::days(days);
    Ok(d.and_hms_opt(0, 0, 0)
        .and_then(|t| Local.from_local_datetime(&t).earliest())
        .map(|t| t.timestamp_millis()))
}

fn url(q: &VisitQuery, page: i64) -> String {
    let mut q = q.clone();
    q.page = Some(page);
    format!(
        "/visits?{}",
        serde_urlencoded::to_string(&q).unwrap_or_default()
    )
}

/// `GET /visits`.
pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    headers: HeaderMap,
    Query(query): Query<VisitQuery>,
) -> Result<Response, WebError> {
    user.require(Permission::VisitsView)?;
    let scope = territories::scope_territories(&state.db, user.user_id, user.role).await?;
    let owners = user.owner_restriction(&state.db).await?;
    let rep = match query.rep.trim() {
        "" => None,
        r => Some(UserId::parse(r).map_err(|_| WebError::BadRequest("rep".into()))?),
    };
    let page = query.page.unwrap_or(1).clamp(1, 1_000_000);
    let (rows, total) = customers_query::visits(
        &state.db,
        &scope,
        &VisitFilter {
            customer: None,
            rep,
            from: day_ms(&query.from, 0)?,
            to: day_ms(&query.to, 1)?,
            owners: owners.clone(),
            offset: (page - 1) * PAGE_SIZE,
            limit: PAGE_SIZE,
        },
    )
    .await?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    // Purposes are dictionary codes: show their labels.
    let reference = schema::reference(&state.db).await?;
    let english = user.lang == Lang::En;
    let t = TableData {
        rows: rows
            .into_iter()
            .map(|v| Row {
                id: v.id,
                customer_id: v.customer_id,
                customer: v.customer_name,
                rep: v.rep,
                check_in: fmt_ms(v.check_in_at),
                check_out: fmt_ms(v.check_out_at),
                purpose: reference
                    .label(fieldcrm_core::schema::VISIT_PURPOSE, &v.purpose, english)
                    .to_owned(),
                outcome: v.outcome,
            })
            .collect(),
        total,
        page,
        pages,
        prev_url: (page > 1).then(|| url(&query, page - 1)),
        next_url: (page < pages).then(|| url(&query, page + 1)),
    };
    let tr = Tr(user.lang);
    if is_htmx(&headers) && !headers.contains_key("hx-history-restore-request") {
        return render(&Partial { tr, t });
    }
    render(&Page {
        shell: Shell::new(&user, "visits"),
        tr,
        reps: customers_query::visit_reps(&state.db, &scope, owners.as_deref()).await?,
        query,
        t,
    })
}

/// A check-in or check-out, formatted.
#[derive(Debug)]
pub struct PointView {
    at: String,
    position: Option<String>,
    accuracy: Option<String>,
}

fn point_view(p: &CheckPoint) -> PointView {
    PointView {
        at: fmt_ms(Some(p.at)),
        position: p.geo.map(|g| format!("{:.6}, {:.6}", g.lat, g.lon)),
        accuracy: p.accuracy_m.map(|a| format!("±{a:.0} m")),
    }
}

/// A photo of the card.
#[derive(Debug)]
pub struct PhotoView {
    sha256: String,
    caption: String,
    taken_at: String,
    stored: bool,
}

/// The visit card's data.
#[derive(Debug)]
pub struct CardView {
    customer_id: String,
    customer: String,
    rep: String,
    check_in: Option<PointView>,
    check_out: Option<PointView>,
    distance: Option<String>,
    far: bool,
    purpose: String,
    outcome: String,
    notes: String,
    next_step: String,
    photos: Vec<PhotoView>,
    custom: Vec<Shown>,
}

#[derive(Template)]
#[template(path = "visit_card.html")]
struct CardPage {
    shell: Shell,
    tr: Tr,
    id: String,
    v: CardView,
    /// The user may edit the custom fields (and there are some).
    can_edit: bool,
    history: Vec<HistoryView>,
}

/// `1.23 km` from 1,000 m on, else `850 m`.
pub fn fmt_distance(m: f64) -> String {
    if m >= 1_000.0 {
        format!("{:.2} km", m / 1_000.0)
    } else {
        format!("{m:.0} m")
    }
}

/// The check-in's distance from the customer's address in metres, when both are known.
pub fn check_in_distance(visit: &Visit, customer: Option<&Customer>) -> Option<f64> {
    let at: GeoPoint = visit.check_in.as_ref()?.geo?;
    let home = customer?.address.geo?;
    Some(at.distance_m(&home))
}

/// `GET /visits/{id}`: the visit card (404 outside the user's scope, [`super::scope::visit`]).
pub async fn card(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::VisitsView)?;
    let id = super::scope::visit(&state, &user, &id).await?;
    let visit = load_visit(&state, id).await?;
    let reference = schema::reference(&state.db).await?;
    // The customer shares the visit's territory; it may be missing if it was deleted.
    let customer: Option<Customer> = match visit.customer {
        Some(c) => match write::load_record(&state.db, c.into()).await {
            Ok(v) => serde_json::from_value(v).ok(),
            Err(write::WriteError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let rep = match visit.rep {
        Some(r) => users::get(&state.db, r)
            .await?
            .map_or_else(|| r.to_string(), |u| u.display_name),
        None => String::new(),
    };
    let shas: Vec<String> = visit
        .photos
        .iter()
        .map(|p| p.sha256.to_ascii_lowercase())
        .collect();
    let stored = attachments::stored_among(&state.db, &shas).await?;
    let distance = check_in_distance(&visit, customer.as_ref());
    let tr = Tr(user.lang);
    let v = CardView {
        customer_id: visit.customer.map(|c| c.to_string()).unwrap_or_default(),
        customer: customer
            .as_ref()
            .map(|c| c.name.clone())
            .unwrap_or_default(),
        rep,
        check_in: visit.check_in.as_ref().map(point_view),
        check_out: visit.check_out.as_ref().map(point_view),
        distance: distance.map(fmt_distance),
        far: distance.is_some_and(|d| d > FAR_CHECK_IN_M),
        purpose: visit.purpose.clone(),
        outcome: visit.outcome.clone(),
        notes: visit.notes.clone(),
        next_step: visit.next_step.clone(),
        photos: visit
            .photos
            .iter()
            .filter_map(|p| {
                let sha = Sha256Hex::parse(&p.sha256).ok()?;
                Some(PhotoView {
                    stored: stored.iter().any(|s| s == sha.as_str()),
                    sha256: sha.to_string(),
                    caption: p.caption.clone(),
                    taken_at: fmt_ms((p.taken_at > 0).then_some(p.taken_at)),
                })
            })
            .collect(),
        custom: custom_fields::shown(&reference, Kind::Visit, &visit.custom, tr),
    };
    render(&CardPage {
        shell: Shell::new(&user, "visits"),
        tr,
        id: id.to_string(),
        can_edit: user.can(Permission::VisitsEdit)
            && reference.active_fields(Kind::Visit).next().is_some(),
        history: history::views(&state.db, tr, &reference, Kind::Visit, id).await?,
        v,
    })
}

async fn load_visit(state: &AppState, id: DocId) -> Result<Visit, WebError> {
    serde_json::from_value(write::load_record(&state.db, id).await?)
        .map_err(|e| WebError::Internal(e.to_string()))
}

#[derive(Template)]
#[template(path = "visit_custom_form.html")]
struct CustomFormPage {
    shell: Shell,
    tr: Tr,
    id: String,
    customer: String,
    custom: Vec<CustomInput>,
    errors: Vec<String>,
}

/// The custom-fields form of visit `id`, filled from `values` (input name → text).
async fn custom_page(
    state: &AppState,
    user: &WebUser,
    id: DocId,
    visit: &Visit,
    values: &BTreeMap<String, String>,
    errors: Vec<String>,
) -> Result<Response, WebError> {
    let reference = schema::reference(&state.db).await?;
    let tr = Tr(user.lang);
    let customer = match visit.customer {
        Some(c) => match write::load_record(&state.db, c.into()).await {
            Ok(v) => v["name"].as_str().unwrap_or_default().to_owned(),
            Err(write::WriteError::NotFound(_)) => String::new(),
            Err(e) => return Err(e.into()),
        },
        None => String::new(),
    };
    let failed = !errors.is_empty();
    let mut response = render(&CustomFormPage {
        shell: Shell::new(user, "visits"),
        tr,
        id: id.to_string(),
        customer,
        custom: custom_fields::inputs(&reference, Kind::Visit, values, tr),
        errors,
    })?;
    if failed {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// `GET /visits/{id}/custom`: the form of the visit's custom fields.
pub async fn custom_form(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::VisitsEdit)?;
    let id = super::scope::visit(&state, &user, &id).await?;
    let visit = load_visit(&state, id).await?;
    let values = custom_fields::form_values(&visit.custom);
    custom_page(&state, &user, id, &visit, &values, Vec::new()).await
}

/// `POST /visits/{id}/custom` (`custom.<key>` per active field): checks the values against the
/// definitions and writes them through the document path as the server on behalf of the user.
pub async fn save_custom(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<BTreeMap<String, String>>,
) -> Result<Response, WebError> {
    user.require(Permission::VisitsEdit)?;
    let id = super::scope::visit(&state, &user, &id).await?;
    let visit = load_visit(&state, id).await?;
    let reference = schema::reference(&state.db).await?;
    let values =
        match custom_fields::read(&reference, Kind::Visit, &form, &visit.custom, Tr(user.lang)) {
            Ok(values) => values,
            Err(errors) => return custom_page(&state, &user, id, &visit, &form, errors).await,
        };
    // Only the custom values are applied, to the document as it is inside the write
    // transaction: the rep's concurrent edits of other fields are kept.
    let result = write::server_update(
        &state.db,
        &state.hub,
        id,
        Some(user.user_id),
        "web.visit.update",
        move |v| {
            custom_fields::apply(v, &values);
            Ok(())
        },
    )
    .await;
    match result {
        Ok(_) => Ok((StatusCode::SEE_OTHER, [(LOCATION, format!("/visits/{id}"))]).into_response()),
        Err(write::WriteError::Invalid(m)) => {
            custom_page(&state, &user, id, &visit, &form, vec![m]).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /attachments/{sha256}`: a photo, for a user who uploaded it or may see a visit that
/// references it; 404 for anyone else.
pub async fn photo(
    State(state): State<AppState>,
    user: WebUser,
    Path(raw): Path<String>,
) -> Result<Response, WebError> {
    user.require(Permission::VisitsView)?;
    let sha = Sha256Hex::parse(&raw).map_err(|_| WebError::NotFound)?;
    if !super::scope::attachment(&state, &user, &sha).await? {
        return Err(WebError::NotFound);
    }
    crate::http::attachments::respond(&state, &sha)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
        .ok_or(WebError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldcrm_core::CustomerId;

    #[test]
    fn distances_format_and_need_both_points() {
        assert_eq!(fmt_distance(850.4), "850 m");
        assert_eq!(fmt_distance(1_234.0), "1.23 km");
        let mut customer = Customer::default();
        let mut visit = Visit {
            customer: Some(CustomerId::new()),
            check_in: Some(CheckPoint {
                at: 1,
                geo: Some(GeoPoint {
                    lat: 31.2304,
                    lon: 121.4737,
                }),
                accuracy_m: Some(8.0),
            }),
            ..Visit::default()
        };
        assert_eq!(check_in_distance(&visit, Some(&customer)), None);
        assert_eq!(check_in_distance(&visit, None), None);
        customer.address.geo = Some(GeoPoint {
            lat: 31.2404,
            lon: 121.4737,
        });
        // 0.01 degree of latitude is about 1.11 km.
        let d = check_in_distance(&visit, Some(&customer)).unwrap();
        assert!((1_100.0..1_125.0).contains(&d), "{d}");
        visit.check_in.as_mut().unwrap().geo = None;
        assert_eq!(check_in_distance(&visit, Some(&customer)), None);
    }
}

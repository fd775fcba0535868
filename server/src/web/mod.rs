//! The web back office: server-rendered pages (askama templates under `server/templates/`) with
//! htmx for partial updates, for office staff, managers and reps.
//!
//! - [`session`]: sign-in, sign-out, the session cookie and the [`session::WebUser`] every page
//!   gets; routes other than `/login` and `/assets` go through [`session::require_session`];
//! - [`scope`]: which record a user may open (territories and the role's data scope), one check
//!   per record kind that every route taking a record's id goes through;
//! - [`csrf`]: the CSRF check of every state-changing request;
//! - [`i18n`]: the message catalogue (zh-CN, English) and the language cookie;
//! - [`dashboard`], [`customers`], [`customer_list`] (with [`customer_export`] and
//!   [`customer_reassign`]), [`history`], [`visits`], [`catalog`], [`orders`], [`payments`],
//!   [`contracts`], [`service`], [`admin`], [`schema`], [`import`]: the modules
//!   ([`custom_fields`]: dictionary-bound and custom fields in record forms and cards;
//!   [`custom_list`]: custom fields as the customer list's columns and filters);
//! - [`assets`]: vendored JavaScript (htmx) and our own CSS/JS, served from the binary.
//!
//! Every response carries the security headers of [`security_headers`]; no inline script.

pub mod admin;
pub mod assets;
pub mod catalog;
pub mod contracts;
pub mod csrf;
pub mod custom_fields;
pub mod custom_list;
pub mod customer_export;
pub mod customer_list;
pub mod customer_reassign;
pub mod customers;
pub mod dashboard;
pub mod history;
pub mod i18n;
pub mod import;
pub mod orders;
pub mod payments;
pub mod schema;
pub mod scope;
pub mod service;
pub mod session;
pub mod visits;

use askama::Template;
use axum::Router;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, REFERRER_POLICY, SET_COOKIE,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use fieldcrm_core::Role;

use crate::auth::permissions::Permission;
use crate::db::DbError;
use crate::startup::AppState;
use crate::sync::write::WriteError;

/// The Content-Security-Policy of every back-office response: only our own scripts and styles.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

/// The back-office routes.
pub fn router(state: AppState) -> Router<AppState> {
    let secure = state.settings.secure_cookies;
    // Each module contributes its own routes; a new module adds one `merge` line here.
    let protected = Router::new()
        .route("/", get(dashboard::page))
        .route("/logout", post(session::logout))
        .route("/lang", post(i18n::switch))
        .merge(customers::routes())
        .merge(customer_list::routes())
        .merge(customer_export::routes())
        .merge(customer_reassign::routes())
        .merge(visits::routes())
        .merge(catalog::routes())
        .merge(service::routes())
        .merge(admin::routes())
        .merge(schema::routes())
        .merge(import::routes())
        .merge(orders::routes())
        .merge(payments::routes())
        .merge(contracts::routes())
        // route_layer: only matched routes; unknown paths stay plain 404s.
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            session::require_session,
        ));
    Router::new()
        .route("/login", get(session::login_form).post(session::login))
        .route("/assets/{*path}", get(assets::serve))
        .merge(protected)
        .route_layer(axum::middleware::map_response(security_headers))
        .route_layer(axum::middleware::map_response(move |r| {
            secure_cookies(secure, r)
        }))
}

/// With `secure`, marks every cookie the response sets `Secure` (setting `secure_cookies`).
async fn secure_cookies(secure: bool, mut response: Response) -> Response {
    if !secure {
        return response;
    }
    let h = response.headers_mut();
    let cookies: Vec<HeaderValue> = h.get_all(SET_COOKIE).iter().cloned().collect();
    if cookies.is_empty() {
        return response;
    }
    h.remove(SET_COOKIE);
    for c in cookies {
        let marked = c
            .to_str()
            .ok()
            .filter(|v| !v.to_ascii_lowercase().contains("; secure"))
            .and_then(|v| HeaderValue::from_str(&format!("{v}; Secure")).ok())
            .unwrap_or(c);
        h.append(SET_COOKIE, marked);
    }
    response
}

/// Back-office routes that take file uploads. `startup::router` merges them outside the global
/// request body limit; each carries its own (see [`import::upload_routes`]). Same session, CSRF
/// and security headers as [`router`].
pub fn upload_router(state: AppState) -> Router<AppState> {
    Router::new()
        .merge(import::upload_routes())
        .merge(catalog::upload_routes(state.settings.max_attachment_bytes))
        .merge(contracts::files::upload_routes(
            state.settings.max_attachment_bytes,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            session::require_session,
        ))
        .route_layer(axum::middleware::map_response(security_headers))
}

/// Adds the security headers to every back-office response.
pub async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Whether a role may use the back office (engineers and partners use the phone app).
pub fn may_use_back_office(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Manager | Role::Office | Role::Rep)
}

/// Whether the request was sent by htmx (`HX-Request: true`).
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers
        .get("hx-request")
        .is_some_and(|v| v.as_bytes() == b"true")
}

/// An error of a back-office handler, rendered as a page (or a redirect to `/login`).
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No valid session: pages redirect to `/login`, htmx requests get 401.
    #[error("not signed in")]
    Unauthenticated {
        /// Whether the request came from htmx.
        htmx: bool,
    },
    /// 403: a missing or wrong CSRF token.
    #[error("invalid or missing CSRF token")]
    Csrf,
    /// 403: the role may not do this.
    #[error("forbidden")]
    Forbidden,
    /// 404.
    #[error("not found")]
    NotFound,
    /// 400.
    #[error("{0}")]
    BadRequest(String),
    /// 500, details logged only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbError> for WebError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound(_) => WebError::NotFound,
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<WriteError> for WebError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::NotFound(_) => WebError::NotFound,
            WriteError::Invalid(m) => WebError::BadRequest(m),
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(e.to_string())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    zh: &'static str,
    en: &'static str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, zh, en) = match &self {
            WebError::Unauthenticated { htmx: false } => {
                return (StatusCode::SEE_OTHER, [(LOCATION, "/login")]).into_response();
            }
            WebError::Unauthenticated { htmx: true } => {
                (StatusCode::UNAUTHORIZED, "请先登录", "Please sign in first")
            }
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                "请求已过期或无效，请刷新页面后重试",
                "The form expired or is invalid; reload the page and try again",
            ),
            WebError::Forbidden => (
                StatusCode::FORBIDDEN,
                "您没有权限访问此页面",
                "You are not allowed to open this page",
            ),
            WebError::NotFound => (StatusCode::NOT_FOUND, "未找到", "Not found"),
            WebError::BadRequest(_) => (StatusCode::BAD_REQUEST, "请求无效", "Invalid request"),
            WebError::Internal(e) => {
                tracing::error!(error = %e, "back-office request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "服务器内部错误",
                    "Internal server error",
                )
            }
        };
        let page = ErrorPage {
            status: status.as_u16(),
            zh,
            en,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, [(CONTENT_TYPE, "text/plain; charset=utf-8")], en).into_response(),
        }
    }
}

/// Renders a template as an HTML response.
pub fn render<T: Template>(t: &T) -> Result<Response, WebError> {
    Ok(Html(t.render()?).into_response())
}

/// Formats unix milliseconds as local `YYYY-MM-DD HH:MM` (empty for `None`).
pub fn fmt_ms(ms: Option<i64>) -> String {
    use chrono::TimeZone;
    ms.and_then(|ms| chrono::Local.timestamp_millis_opt(ms).single())
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// The administration sections a user may open (links to the others are not shown).
#[derive(Clone, Copy, Debug, Default)]
pub struct AdminNav {
    /// Users and devices.
    pub users: bool,
    /// Departments and territories.
    pub org: bool,
    /// Roles.
    pub roles: bool,
    /// The audit log.
    pub audit: bool,
}

/// The message key of a built-in role kind's name (`role.admin`, …).
pub fn role_key(role: Role) -> &'static str {
    match role {
        Role::Admin => "role.admin",
        Role::Manager => "role.manager",
        Role::Office => "role.office",
        Role::Rep => "role.rep",
        Role::Engineer => "role.engineer",
        Role::Partner => "role.partner",
    }
}

/// The shell every page shares: the user, the language, the CSRF token and the active module.
#[derive(Clone, Debug)]
pub struct Shell {
    /// The message catalogue of the page's language.
    pub tr: i18n::Tr,
    /// The signed-in user's display name.
    pub user_name: String,
    /// The signed-in user's role (a system role's translated kind, else the role's name).
    pub role: String,
    /// The session's CSRF token, for forms and `hx-headers`.
    pub csrf: String,
    /// Which navigation entry is active.
    pub active: &'static str,
    /// Whether the administration entries are shown.
    pub is_admin: bool,
    /// Which administration sections the user may open.
    pub admin: AdminNav,
    /// Whether the import entry is shown.
    pub can_import: bool,
    /// Whether the catalog entry is shown.
    pub catalog: bool,
    /// Whether the orders entry is shown.
    pub can_orders: bool,
    /// Whether the payments entry is shown.
    pub can_payments: bool,
    /// Whether the contracts entry is shown.
    pub can_contracts: bool,
    /// Whether the service entry (tickets, dispatch board, statistics) is shown.
    pub can_service: bool,
    /// The current path and query (where the language switch returns to).
    pub back: String,
}

impl Shell {
    /// The shell for `user` on module `active`.
    pub fn new(user: &session::WebUser, active: &'static str) -> Shell {
        let tr = i18n::Tr(user.lang);
        Shell {
            tr,
            user_name: user.display_name.clone(),
            role: if user.role_system {
                tr.t(role_key(user.role)).to_owned()
            } else {
                user.role_name.clone()
            },
            csrf: user.csrf.clone(),
            active,
            is_admin: user.can_administer(),
            admin: AdminNav {
                users: user.can(Permission::AdminUsers),
                org: user.can(Permission::AdminOrg),
                roles: user.can(Permission::AdminRoles),
                audit: user.can(Permission::AuditView),
            },
            can_import: user.can(crate::auth::permissions::Permission::CustomersImport),
            catalog: user.can(Permission::CatalogView),
            can_orders: user.can(Permission::OrdersView),
            can_payments: user.can(Permission::PaymentsView),
            can_contracts: user.can(Permission::ContractsView),
            can_service: user.can(Permission::ServiceView),
            back: user.path.clone(),
        }
    }
}

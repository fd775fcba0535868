//! Sign-in and sessions of the back office. A session is a random 32-byte token in an HttpOnly,
//! SameSite=Lax cookie; the database keeps only its sha256 with the user, a CSRF token and an
//! expiry. [`require_session`] guards every route but `/login` and `/assets`: it loads the
//! session, refuses roles that use the phone app, checks CSRF on state-changing requests and
//! hands the handler a [`WebUser`] with the permissions and data scope of the user's role, read
//! from the database on every request.

use std::collections::BTreeSet;

use crate::auth::permissions::{DataScope, Permission};
use askama::Template;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{COOKIE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fieldcrm_core::{DepartmentId, Role, RoleId, UserId};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::i18n::{Lang, Tr};
use super::{WebError, csrf, may_use_back_office, render};
use crate::auth::password;
use crate::db::audit::{self, AuditEntry};
use crate::db::web_sessions::{self, WebSession};
use crate::db::{departments, now_ms, roles, users};
use crate::startup::AppState;

/// The session cookie.
pub const SESSION_COOKIE: &str = "fieldcrm_session";
/// The cookie holding the login form's CSRF token (before there is a session).
pub const LOGIN_CSRF_COOKIE: &str = "fieldcrm_login_csrf";
/// How long a session lives.
pub const SESSION_TTL_MS: i64 = 12 * 3600 * 1000;

/// The signed-in back-office user of a request.
#[derive(Clone, Debug)]
pub struct WebUser {
    /// The user.
    pub user_id: UserId,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// The built-in kind of the user's role (territory scope, device sync policy).
    pub role: Role,
    /// The user's role.
    pub role_id: RoleId,
    /// The role's name as shown (a system role's is its translated kind).
    pub role_name: String,
    /// Whether the role is the system role of its kind.
    pub role_system: bool,
    /// What the role allows (read from the database on every request).
    pub permissions: BTreeSet<Permission>,
    /// Whose records the user sees, inside the territory scope.
    pub data_scope: DataScope,
    /// The user's department.
    pub department_id: Option<DepartmentId>,
    /// The session's CSRF token.
    pub csrf: String,
    /// sha256 of the session token.
    pub token_hash: String,
    /// The page language.
    pub lang: Lang,
    /// The request's path and query.
    pub path: String,
}

impl WebUser {
    /// Whether the user has `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    /// Whether the user may open any administration page.
    pub fn can_administer(&self) -> bool {
        [
            Permission::AdminUsers,
            Permission::AdminOrg,
            Permission::AdminRoles,
            Permission::AuditView,
        ]
        .into_iter()
        .any(|p| self.can(p))
    }

    /// The owners whose records the user sees ([`departments::owner_restriction`]): `None` =
    /// every owner inside the territory scope. Lists filter by it; a route that takes a record's
    /// id checks it (with the territories) through [`super::scope`], never by hand.
    pub async fn owner_restriction(
        &self,
        db: &crate::db::Db,
    ) -> Result<Option<Vec<UserId>>, WebError> {
        Ok(
            departments::owner_restriction(db, self.user_id, self.department_id, self.data_scope)
                .await?,
        )
    }

    /// `Ok` if the user has `permission`, else [`WebError::Forbidden`] (HTTP 403).
    pub fn require(&self, permission: Permission) -> Result<(), WebError> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(WebError::Forbidden)
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for WebUser {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<WebUser>()
            .cloned()
            .ok_or(WebError::Unauthenticated {
                htmx: super::is_htmx(&parts.headers),
            })
    }
}

/// The value of cookie `name`, if sent.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// sha256 of a session token, lowercase hex.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 32 random bytes, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    hex::encode(bytes)
}

fn set_cookie(name: &str, value: &str, max_age_secs: i64) -> String {
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}")
}

/// Loads the session of the request, checks the role and (for anything but GET/HEAD) the CSRF
/// token, then runs the handler with the [`WebUser`] in the request's extensions.
pub async fn require_session(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, WebError> {
    let htmx = super::is_htmx(req.headers());
    let unauthenticated = WebError::Unauthenticated { htmx };
    let Some(token) = cookie(req.headers(), SESSION_COOKIE).map(str::to_owned) else {
        return Err(unauthenticated);
    };
    let token_hash = hash_token(&token);
    let Some(session) = web_sessions::get(&state.db, &token_hash, now_ms()).await? else {
        return Err(unauthenticated);
    };
    let Some(user) = users::get(&state.db, session.user_id).await? else {
        return Err(unauthenticated);
    };
    if user.disabled || !may_use_back_office(user.role) {
        web_sessions::delete(&state.db, &token_hash).await?;
        return Err(unauthenticated);
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        req = csrf::verify(req, &session.csrf_token).await?;
    }
    let Some(role) = roles::effective(&state.db, user.role_id, user.role).await? else {
        return Err(WebError::Internal(format!("user {} has no role", user.id)));
    };
    let lang = Lang::from_headers(req.headers());
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    req.extensions_mut().insert(WebUser {
        user_id: user.id,
        username: user.username,
        display_name: user.display_name,
        role: user.role,
        role_id: role.id,
        role_name: role.name,
        role_system: role.system,
        permissions: role.permissions,
        data_scope: role.data_scope,
        department_id: user.department_id,
        csrf: session.csrf_token,
        token_hash,
        lang,
        path,
    });
    Ok(next.run(req).await)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    tr: Tr,
    lang: &'static str,
    csrf: String,
    username: String,
    error: Option<&'static str>,
}

/// `?lang=` on the login page.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    lang: Option<String>,
}

/// `GET /login`: the sign-in form (a fresh login CSRF cookie each time).
pub async fn login_form(
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<LoginQuery>,
) -> Result<Response, WebError> {
    let mut lang = Lang::from_headers(&headers);
    let mut lang_cookie = None;
    if let Some(l) = q.lang.as_deref().and_then(Lang::parse) {
        lang = l;
        lang_cookie = Some(super::i18n::lang_cookie(l));
    }
    login_page(
        &headers,
        lang,
        String::new(),
        None,
        StatusCode::OK,
        lang_cookie,
    )
}

/// The login CSRF token: the one the browser already holds (a page loaded twice keeps working),
/// else a new one.
fn login_token(headers: &HeaderMap) -> String {
    cookie(headers, LOGIN_CSRF_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .map_or_else(random_token, str::to_owned)
}

fn login_page(
    headers: &HeaderMap,
    lang: Lang,
    username: String,
    error: Option<&'static str>,
    status: StatusCode,
    lang_cookie: Option<String>,
) -> Result<Response, WebError> {
    let csrf = login_token(headers);
    let page = LoginPage {
        tr: Tr(lang),
        lang: lang.code(),
        csrf: csrf.clone(),
        username,
        error,
    };
    let mut response = render(&page)?;
    *response.status_mut() = status;
    let h = response.headers_mut();
    if let Ok(v) = set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600).parse() {
        h.append(SET_COOKIE, v);
    }
    if let Some(c) = lang_cookie.and_then(|c| c.parse().ok()) {
        h.append(SET_COOKIE, c);
    }
    Ok(response)
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

async fn audit_login(state: &AppState, user: Option<UserId>, username: &str, verdict: &str) {
    let mut entry = AuditEntry::new("web.login");
    entry.user_id = user;
    entry.verdict = Some(verdict.to_owned());
    entry.detail = serde_json::json!({ "username": username });
    if let Err(e) = audit::record(&state.db, &entry).await {
        tracing::error!(error = %e, "cannot write audit entry");
    }
}

/// `POST /login`: checks the login CSRF cookie, the throttle and the password; starts a session.
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Result<Response, WebError> {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if expected.is_empty() || !csrf::tokens_match(expected, &form.csrf) {
        return Err(WebError::Csrf);
    }
    let lang = Lang::from_headers(&headers);
    let username = form.username.trim().chars().take(256).collect::<String>();
    let again = |error| {
        login_page(
            &headers,
            lang,
            username.clone(),
            Some(error),
            StatusCode::OK,
            None,
        )
    };
    if username.is_empty() || form.password.is_empty() || form.password.len() > 1024 {
        return again("login.invalid");
    }
    let started = std::time::Instant::now();
    if state.login_throttle.is_blocked(&username, started) {
        audit_login(&state, None, &username, "throttled").await;
        return login_page(
            &headers,
            lang,
            username.clone(),
            Some("login.throttled"),
            StatusCode::TOO_MANY_REQUESTS,
            None,
        );
    }
    let creds = users::credentials(&state.db, &username).await?;
    let hash = creds.as_ref().map_or_else(
        || password::dummy_hash().to_owned(),
        |c| c.password_hash.clone(),
    );
    let ok = password::verify_password_blocking(form.password, hash)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let user = match creds {
        Some(c) if ok => c.user,
        other => {
            state.login_throttle.record_failure(&username, started);
            audit_login(
                &state,
                other.map(|c| c.user.id),
                &username,
                "invalid_credentials",
            )
            .await;
            return again("login.invalid");
        }
    };
    state.login_throttle.record_success(&username);
    if user.disabled {
        audit_login(&state, Some(user.id), &username, "disabled").await;
        return again("login.disabled");
    }
    if !may_use_back_office(user.role) {
        audit_login(&state, Some(user.id), &username, "phone_app_only").await;
        return login_page(
            &headers,
            lang,
            username.clone(),
            Some("login.phone_only"),
            StatusCode::FORBIDDEN,
            None,
        );
    }
    let token = random_token();
    let now = now_ms();
    web_sessions::create(
        &state.db,
        &hash_token(&token),
        &WebSession {
            user_id: user.id,
            csrf_token: random_token(),
            expires_at: now.saturating_add(SESSION_TTL_MS),
        },
        now,
    )
    .await?;
    audit_login(&state, Some(user.id), &username, "ok").await;
    let mut response = (StatusCode::SEE_OTHER, [(LOCATION, "/")]).into_response();
    let h = response.headers_mut();
    if let Ok(v) = set_cookie(SESSION_COOKIE, &token, SESSION_TTL_MS / 1000).parse() {
        h.append(SET_COOKIE, v);
    }
    if let Ok(v) = set_cookie(LOGIN_CSRF_COOKIE, "", 0).parse() {
        h.append(SET_COOKIE, v);
    }
    Ok(response)
}

/// `POST /logout`: ends the session.
pub async fn logout(State(state): State<AppState>, user: WebUser) -> Result<Response, WebError> {
    web_sessions::delete(&state.db, &user.token_hash).await?;
    let mut entry = AuditEntry::new("web.logout");
    entry.user_id = Some(user.user_id);
    entry.verdict = Some("ok".into());
    if let Err(e) = audit::record(&state.db, &entry).await {
        tracing::error!(error = %e, "cannot write audit entry");
    }
    let mut response = (StatusCode::SEE_OTHER, [(LOCATION, "/login")]).into_response();
    if let Ok(v) = set_cookie(SESSION_COOKIE, "", 0).parse() {
        response.headers_mut().append(SET_COOKIE, v);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_parse() {
        let mut h = HeaderMap::new();
        h.insert(COOKIE, "a=1; fieldcrm_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
        assert_eq!(hash_token("x").len(), 64);
        assert_ne!(random_token(), random_token());
    }
}

//! Building and running the application: [`Application::build`] connects and migrates the
//! database and binds the listener (port 0 allowed) before returning, so tests know the port;
//! [`Application::run_until_stopped`] serves until ctrl-c/SIGTERM, with graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::auth::{JwtKeys, LoginThrottle};
use crate::db::Db;
use crate::http::ApiError;
use crate::settings::Settings;

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The effective settings.
    pub settings: Arc<Settings>,
    /// The access token keys.
    pub jwt: Arc<JwtKeys>,
    /// The sync subsystem's shared state.
    pub hub: crate::sync::Hub,
    /// Failed-login counters.
    pub login_throttle: Arc<LoginThrottle>,
    /// The gate import runs pass between row batches (always open but in tests).
    pub import_gate: crate::import::run::BatchGate,
}

/// A built application: database ready, listener bound, not yet serving.
pub struct Application {
    listener: TcpListener,
    local_addr: SocketAddr,
    state: AppState,
    router: Router,
}

impl Application {
    /// Connects to and migrates the database, resolves the JWT key and binds
    /// `settings.listen`.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let db = Db::connect(&settings.database_url).await.with_context(|| {
            format!(
                "connecting to the database ({})",
                redact(&settings.database_url)
            )
        })?;
        db.migrate().await.context("running database migrations")?;
        Application::build_with_db(settings, db).await
    }

    /// Like [`Application::build`] with an already connected and migrated database.
    pub async fn build_with_db(settings: Settings, db: Db) -> anyhow::Result<Application> {
        let secret = settings
            .jwt_secret_bytes()
            .context("resolving the JWT secret")?;
        let jwt = JwtKeys::new(&secret, settings.access_token_ttl_secs);
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("binding {}", settings.listen))?;
        let local_addr = listener.local_addr().context("reading the bound address")?;
        crate::import::recover_interrupted(&db, true)
            .await
            .context("marking interrupted imports failed")?;
        let state = AppState {
            db,
            jwt: Arc::new(jwt),
            hub: crate::sync::Hub::new(),
            login_throttle: Arc::new(LoginThrottle::default()),
            import_gate: crate::import::run::BatchGate::default(),
            settings: Arc::new(settings),
        };
        let router = router(state.clone());
        Ok(Application {
            listener,
            local_addr,
            state,
            router,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The shared state (database, settings, keys, hub).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until ctrl-c or SIGTERM, then finishes in-flight requests.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_with_shutdown(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_with_shutdown(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(address = %self.local_addr, "fieldcrm listening");
        let maintenance = tokio::spawn(maintenance(self.state.db.clone()));
        // With PostgreSQL, commits of other server processes reach this one's devices.
        let listener = (self.state.db.backend() == crate::db::Backend::Postgres).then(|| {
            tokio::spawn(crate::sync::listen_postgres(
                self.state.settings.database_url.clone(),
                self.state.hub.clone(),
            ))
        });
        let served = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
            .context("serving HTTP");
        maintenance.abort();
        if let Some(l) = listener {
            l.abort();
        }
        served?;
        self.state.db.close().await;
        tracing::info!("fieldcrm stopped");
        Ok(())
    }
}

/// How often expired refresh tokens are purged.
const MAINTENANCE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Periodic housekeeping while serving: purges expired refresh tokens and web sessions (now and
/// every hour).
async fn maintenance(db: crate::db::Db) {
    let mut interval = tokio::time::interval(MAINTENANCE_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match crate::db::tokens::delete_expired(&db, crate::db::now_ms()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "purged expired refresh tokens"),
            Err(e) => tracing::warn!(error = %e, "cannot purge expired refresh tokens"),
        }
        match crate::db::web_sessions::delete_expired(&db, crate::db::now_ms()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "purged expired web sessions"),
            Err(e) => tracing::warn!(error = %e, "cannot purge expired web sessions"),
        }
    }
}

/// The full router: REST API, health, the sync endpoint and the web back office.
pub fn router(state: AppState) -> Router {
    let max_body = state.settings.max_body_bytes;
    Router::new()
        .merge(crate::http::router())
        .merge(crate::sync::router())
        .merge(crate::web::router(state.clone()))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(RequestBodyLimitLayer::new(max_body))
        // Photos are larger than other bodies: their routes carry their own limit.
        .merge(crate::http::attachments_router(
            state.settings.max_attachment_bytes,
        ))
        .layer(axum::middleware::map_response(json_payload_too_large))
        // File uploads carry their own, larger limit (and answer it in HTML).
        .merge(crate::web::upload_router(state.clone()))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Replaces the plain-text 413 of tower-http's body limit with the API's JSON error.
async fn json_payload_too_large(response: Response) -> Response {
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_json {
        ApiError::PayloadTooLarge.into_response()
    } else {
        response
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Completes on ctrl-c or (on unix) SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown requested");
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }
}

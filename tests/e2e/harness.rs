//! Test harness: a real `fieldcrm` server on port 0 over a fresh database (SQLite in a temp dir,
//! or a fresh PostgreSQL database), seeded with the demo organisation and some customers.

use std::net::SocketAddr;
use std::path::PathBuf;

use fieldcrm_server::demo_data::{self, Seeded};
use fieldcrm_server::seed::{self, SeedReport};
use fieldcrm_server::settings::{Settings, SettingsLayer};
use fieldcrm_server::startup::{AppState, Application};
use sqlx::Connection;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The JWT secret of every test server, so tests can mint hostile tokens.
pub const TEST_SECRET: &str = "e2e-test-secret-0123456789abcdef";
/// The demo password.
pub const PASSWORD: &str = "demo";
/// Where the PostgreSQL of this machine kind listens.
pub const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Which database a scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL on 127.0.0.1:5432.
    Postgres,
}

/// A running server and what it was seeded with.
pub struct TestServer {
    /// Application state (database, hub, settings).
    pub state: AppState,
    /// Bound address.
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The demo organisation.
    pub org: SeedReport,
    /// Seeded counts.
    pub seeded: Seeded,
    db_url: String,
    data_dir: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server on `backend` with `per_city` customers per demo city. `None` when the
    /// backend is PostgreSQL and it is not reachable (said loudly; fatal with
    /// `FIELDCRM_REQUIRE_PG=1`).
    pub async fn start(backend: Backend, per_city: usize) -> Option<TestServer> {
        Self::start_with(backend, per_city, |_| {}).await
    }

    /// Like [`TestServer::start`], adjusting the settings first.
    pub async fn start_with(
        backend: Backend,
        per_city: usize,
        adjust: impl FnOnce(&mut Settings),
    ) -> Option<TestServer> {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_url = match backend {
            Backend::Sqlite => format!("sqlite://{}", dir.path().join("fieldcrm.db").display()),
            Backend::Postgres => fresh_pg_database().await?,
        };
        let mut settings = settings(&db_url, dir.path().to_path_buf(), 0);
        adjust(&mut settings);
        let app = Application::build(settings).await.expect("build app");
        let state = app.state().clone();
        let org = seed::seed_org(&state.db, PASSWORD).await.expect("seed org");
        let mut cities = demo_data::cities(org.shanghai, org.hangzhou, org.beijing);
        for (c, rep) in cities.iter_mut().zip(["rep.sh", "rep.hz", "rep.bj"]) {
            c.rep = org.users.get(rep).copied();
        }
        let seeded = demo_data::seed_customers(&state.db, &state.hub, &cities, per_city, 7)
            .await
            .expect("seed customers");
        Some(Self::run(app, org, seeded, db_url, dir))
    }

    fn run(
        app: Application,
        org: SeedReport,
        seeded: Seeded,
        db_url: String,
        dir: tempfile::TempDir,
    ) -> TestServer {
        let addr = app.local_addr();
        let state = app.state().clone();
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(app.run_with_shutdown(async move {
            let _ = rx.await;
        }));
        TestServer {
            state,
            addr,
            url: format!("http://{addr}"),
            org,
            seeded,
            db_url,
            data_dir: dir.path().to_path_buf(),
            stop: Some(tx),
            task: Some(task),
            _dir: dir,
        }
    }

    /// Kills the server abruptly (the task is aborted mid-flight, like a crash), then starts a
    /// new one on the same database and port.
    pub async fn crash_and_restart(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
        self.stop = None;
        self.state.db.close().await;
        let settings = settings(&self.db_url, self.data_dir.clone(), self.addr.port());
        let app = Application::build(settings).await.expect("rebuild app");
        self.state = app.state().clone();
        let (tx, rx) = oneshot::channel();
        self.task = Some(tokio::spawn(app.run_with_shutdown(async move {
            let _ = rx.await;
        })));
        self.stop = Some(tx);
    }

    /// Starts a second server process-equivalent on the same database (a new port), as several
    /// `fieldcrm serve` processes share one PostgreSQL. Returns its base URL and a stopper.
    pub async fn sibling(&self) -> (String, oneshot::Sender<()>) {
        let dir = self.data_dir.clone();
        let app = Application::build(settings(&self.db_url, dir, 0))
            .await
            .expect("sibling");
        let url = format!("http://{}", app.local_addr());
        let (tx, rx) = oneshot::channel();
        tokio::spawn(app.run_with_shutdown(async move {
            let _ = rx.await;
        }));
        (url, tx)
    }

    /// The user id of a demo user.
    pub fn user(&self, username: &str) -> fieldcrm_core::UserId {
        self.org.users[username]
    }

    /// Stops gracefully, and drops the PostgreSQL test database.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.state.db.close().await;
        if let Some(name) = self
            .db_url
            .strip_prefix("postgres://postgres@127.0.0.1:5432/")
            && let Ok(mut conn) = sqlx::postgres::PgConnection::connect(PG_ADMIN_URL).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
    }
}

fn settings(db_url: &str, data_dir: PathBuf, port: u16) -> Settings {
    Settings::from_layer(SettingsLayer {
        listen: Some(format!("127.0.0.1:{port}")),
        database_url: Some(db_url.to_owned()),
        data_dir: Some(data_dir),
        jwt_secret: Some(TEST_SECRET.to_owned()),
        ..Default::default()
    })
    .expect("settings")
}

/// Creates a fresh PostgreSQL database and returns its URL, or `None` (loudly) when PostgreSQL is
/// unreachable and not required.
pub async fn fresh_pg_database() -> Option<String> {
    let conn = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        sqlx::postgres::PgConnection::connect(PG_ADMIN_URL),
    )
    .await;
    let mut conn = match conn {
        Ok(Ok(c)) => c,
        other => {
            let why = match other {
                Ok(Err(e)) => e.to_string(),
                _ => "timed out".to_owned(),
            };
            if std::env::var("FIELDCRM_REQUIRE_PG").as_deref() == Ok("1") {
                panic!(
                    "PostgreSQL is required (FIELDCRM_REQUIRE_PG=1) but not reachable at {PG_ADMIN_URL}: {why}"
                );
            }
            eprintln!(
                "\n*** SKIPPED: PostgreSQL not reachable at {PG_ADMIN_URL} ({why}); PostgreSQL variant not run ***\n"
            );
            return None;
        }
    };
    let name = format!("fieldcrm_e2e_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create database");
    Some(format!("postgres://postgres@127.0.0.1:5432/{name}"))
}

/// Runs a scenario on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::harness::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::harness::Backend::Postgres).await
            }
        }
    )*};
}

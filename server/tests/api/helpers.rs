//! `spawn_app()`: the application on port 0 with a fresh database and the demo organisation
//! (password `demo`), plus a tiny HTTP/1.1 client over hyper and the `backend_tests!` macro that
//! runs each test on SQLite and on PostgreSQL.

use std::net::SocketAddr;
use std::time::Duration;

use fieldcrm_server::db::{Backend, Db};
use fieldcrm_server::seed::{self, SeedReport};
use fieldcrm_server::settings::{Settings, SettingsLayer};
use fieldcrm_server::startup::{AppState, Application};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::sync::oneshot;

/// The PostgreSQL server the PostgreSQL variant creates its databases in.
pub const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Runs each named `async fn(TestApp)` as `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::helpers::spawn_app_on(fieldcrm_server::db::Backend::Sqlite)
                        .await
                        .expect("sqlite is always available");
                    super::$name(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(app) =
                        $crate::helpers::spawn_app_on(fieldcrm_server::db::Backend::Postgres).await
                    else {
                        return;
                    };
                    super::$name(app).await;
                }
            )*
        }
    };
}

/// A running application and what tests need to drive it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The bound port.
    pub port: u16,
    /// The database (same pool as the server's).
    pub db: Db,
    /// The server's shared state.
    pub state: AppState,
    /// Ids created by the demo seed.
    pub seed: SeedReport,
    /// Which backend this app runs on.
    pub backend: Backend,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    pg_database: Option<String>,
    _dir: tempfile::TempDir,
}

/// A response: status and JSON body (`Value::Null` if the body is empty or not JSON).
#[derive(Debug)]
pub struct TestResponse {
    /// The status.
    pub status: StatusCode,
    /// The parsed body.
    pub body: Value,
}

impl TestResponse {
    /// `body.error.code`.
    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    /// `body.error.message`.
    pub fn error_message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }
}

/// Tokens from a login.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub device_id: String,
    pub user_id: String,
}

/// The app on SQLite.
#[allow(dead_code)]
pub async fn spawn_app() -> TestApp {
    spawn_app_on(Backend::Sqlite)
        .await
        .expect("sqlite is always available")
}

/// The app on `backend`, or `None` when PostgreSQL is unreachable (and
/// `FIELDCRM_REQUIRE_PG=1` is not set, in which case it panics).
pub async fn spawn_app_on(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, SettingsLayer::default()).await
}

/// [`spawn_app_on`] with `extra` settings over the test defaults.
pub async fn spawn_app_with(backend: Backend, extra: SettingsLayer) -> Option<TestApp> {
    let dir = tempfile::tempdir().expect("tempdir");
    let (database_url, pg_database) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}/fieldcrm.db", dir.path().display()),
            None,
        ),
        Backend::Postgres => {
            let name = format!("fieldcrm_t_{}", uuid::Uuid::now_v7().simple());
            match create_pg_database(&name).await {
                Ok(()) => (
                    format!("postgres://postgres@127.0.0.1:5432/{name}"),
                    Some(name),
                ),
                Err(e) => {
                    if std::env::var("FIELDCRM_REQUIRE_PG").as_deref() == Ok("1") {
                        panic!("PostgreSQL not reachable at {PG_ADMIN_URL}: {e}");
                    }
                    eprintln!(
                        "SKIPPED: PostgreSQL not reachable at {PG_ADMIN_URL} ({e}); \
                         set FIELDCRM_REQUIRE_PG=1 to fail instead"
                    );
                    return None;
                }
            }
        }
    };
    let settings = Settings::from_layer(
        SettingsLayer {
            listen: Some("127.0.0.1:0".into()),
            database_url: Some(database_url),
            data_dir: Some(dir.path().to_owned()),
            jwt_secret: Some(hex::encode(rand_bytes())),
            ..SettingsLayer::default()
        }
        .merge(extra),
    )
    .expect("settings");
    let app = Application::build(settings).await.expect("build app");
    let state = app.state().clone();
    let seed = seed::seed_org(&state.db, "demo").await.expect("seed");
    let addr = app.local_addr();
    let port = app.port();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = app
            .run_with_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Some(TestApp {
        address: format!("http://{addr}"),
        port,
        db: state.db.clone(),
        state,
        seed,
        backend,
        addr,
        shutdown: Some(tx),
        pg_database,
        _dir: dir,
    })
}

fn rand_bytes() -> [u8; 32] {
    let mut b = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut b);
    b
}

async fn create_pg_database(name: &str) -> Result<(), sqlx::Error> {
    let mut conn = tokio::time::timeout(
        Duration::from_secs(5),
        sqlx::postgres::PgConnection::connect(PG_ADMIN_URL),
    )
    .await
    .map_err(|_| sqlx::Error::PoolTimedOut)??;
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .await?;
    conn.close().await
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(name) = self.pg_database.take() {
            // Drop the per-test database on a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    if let Ok(mut conn) = sqlx::postgres::PgConnection::connect(PG_ADMIN_URL).await
                    {
                        let _ = sqlx::query(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .execute(&mut conn)
                        .await;
                        let _ = conn.close().await;
                    }
                });
            })
            .join();
        }
    }
}

impl TestApp {
    /// The database URL, for a second handle on the same database (another server process).
    pub fn database_url(&self) -> String {
        match &self.pg_database {
            Some(name) => format!("postgres://postgres@127.0.0.1:5432/{name}"),
            None => format!("sqlite://{}/fieldcrm.db", self._dir.path().display()),
        }
    }

    /// Sends a request with an optional JSON body and bearer token.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        bearer: Option<&str>,
    ) -> TestResponse {
        let stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("connect");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header("host", format!("127.0.0.1:{}", self.port));
        if body.is_some() {
            builder = builder.header("content-type", "application/json");
        }
        if let Some(token) = bearer {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let request = builder
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .expect("request");
        let response = sender.send_request(request).await.expect("send");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        TestResponse { status, body }
    }

    /// Sends only the head of a `method path` request announcing a `len`-byte body (with
    /// `headers`), and reads the server's early answer: `(status, body)`. For body limits
    /// decided from `Content-Length`: streaming the whole body instead races the server, which
    /// answers and closes while the client is still writing.
    pub async fn announce_only(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        len: usize,
    ) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("connect");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1:{}\r\n",
            self.port
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!(
            "content-length: {len}\r\nconnection: close\r\n\r\n"
        ));
        stream.write_all(head.as_bytes()).await.expect("write");
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
            .await
            .expect("the server answers without waiting for the body")
            .expect("read");
        let text = String::from_utf8_lossy(&answer).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    /// Changes the permission set of the system role of `kind` with `edit` (everything else of
    /// the role stays).
    pub async fn edit_role_permissions(
        &self,
        kind: fieldcrm_core::Role,
        edit: impl FnOnce(
            &mut std::collections::BTreeSet<fieldcrm_server::auth::permissions::Permission>,
        ),
    ) {
        use fieldcrm_server::db::roles;
        let role = roles::system_role(&self.db, kind)
            .await
            .expect("read the role")
            .expect("a system role");
        let mut permissions = role.permissions.clone();
        edit(&mut permissions);
        roles::update(
            &self.db,
            role.id,
            &roles::RoleSpec {
                name: role.name.clone(),
                kind: role.kind,
                permissions,
                data_scope: role.data_scope,
                max_discount_bp: role.max_discount_bp,
            },
        )
        .await
        .expect("update the role");
    }

    /// `GET path`.
    pub async fn get(&self, path: &str, bearer: Option<&str>) -> TestResponse {
        self.request(Method::GET, path, None, bearer).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value, bearer: Option<&str>) -> TestResponse {
        let bytes = serde_json::to_vec(body).expect("json");
        self.request(Method::POST, path, Some(bytes), bearer).await
    }

    /// `POST /api/v1/auth/login`.
    pub async fn login_raw(&self, username: &str, password: &str) -> TestResponse {
        self.post(
            "/api/v1/auth/login",
            &json!({ "username": username, "password": password, "device_name": "test phone" }),
            None,
        )
        .await
    }

    /// Logs in and returns the tokens, asserting success.
    pub async fn login(&self, username: &str, password: &str) -> Session {
        let r = self.login_raw(username, password).await;
        assert_eq!(r.status, StatusCode::OK, "login {username}: {:?}", r.body);
        Session {
            access_token: r.body["access_token"].as_str().expect("access").to_owned(),
            refresh_token: r.body["refresh_token"]
                .as_str()
                .expect("refresh")
                .to_owned(),
            device_id: r.body["device_id"].as_str().expect("device").to_owned(),
            user_id: r.body["user"]["id"].as_str().expect("user").to_owned(),
        }
    }

    /// `POST /api/v1/auth/refresh`.
    pub async fn refresh(&self, refresh_token: &str) -> TestResponse {
        self.post(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": refresh_token }),
            None,
        )
        .await
    }
}

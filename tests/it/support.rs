//! A `TestApp`: the real server on ephemeral ports over a fresh database of
//! either backend, with HTTP and gRPC clients.

use std::path::PathBuf;
use std::time::Duration;

use csapi::app::{App, RateLimits, WebhookOptions};
use csapi::domain::webhook::{Reach, RetrySchedule};
use csapi::grpc::pb::account_service_client::AccountServiceClient;
use csapi::grpc::pb::api_key_service_client::ApiKeyServiceClient;
use csapi::http::HttpOptions;
use csapi::server::{ConnectionLimits, ServeOptions, Server};
use csapi::store::{Store, StoreConfig};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use reqwest::{Method, RequestBuilder};
use serde_json::Value;
use tokio::net::TcpListener;
use tonic::transport::Channel;
use uuid::Uuid;

pub const ADMIN_KEY: &str = "csk_test_admin_key_0123456789";

/// Connection limits of the test servers: a short header timeout, room for
/// every test's parallel requests.
pub const TEST_LIMITS: ConnectionLimits = ConnectionLimits {
    header_timeout: Duration::from_secs(2),
    max_connections: 256,
};

/// Webhooks as the webhook tests run them: to this host, looked for every
/// 50 ms, retried twice after 150 ms.
pub fn test_webhooks() -> WebhookOptions {
    WebhookOptions {
        reach: Reach::Private,
        retries: RetrySchedule(vec![Duration::from_millis(150); 2]),
        poll: Duration::from_millis(50),
        ..WebhookOptions::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    /// The database this server runs on.
    url: String,
    pub http: String,
    pub grpc_addr: String,
    pub app: App,
    client: reqwest::Client,
    server: Server,
    cleanup: Cleanup,
}

enum Cleanup {
    File(PathBuf),
    Database(String),
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn with_database(url: &str, db: &str) -> String {
    match url.rfind('/') {
        Some(i) if url[..i].contains('@') || url[..i].matches('/').count() > 2 => {
            format!("{}/{db}", &url[..i])
        }
        _ => format!("{url}/{db}"),
    }
}

/// A fresh PostgreSQL database, or `None` when no server answers outside CI.
pub async fn fresh_postgres_database() -> Option<(String, String)> {
    let admin = postgres_admin_url();
    let mut conn = match AsyncPgConnection::establish(&admin).await {
        Ok(c) => c,
        Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but PostgreSQL at {admin} is unreachable: {e}")
        }
        Err(e) => {
            // Written to the process's stderr, past the test harness's
            // capture, so the run's output shows every test that did not run.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr().lock(),
                "SKIPPED (not run): a PostgreSQL test; {admin} is unreachable ({e}); set TEST_DATABASE_URL"
            );
            return None;
        }
    };
    let name = format!("csapi_test_{}", Uuid::new_v4().simple());
    conn.batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("creating a test database");
    Some((name.clone(), with_database(&admin, &name)))
}

async fn drop_postgres_database(name: &str) {
    if let Ok(mut conn) = AsyncPgConnection::establish(&postgres_admin_url()).await {
        let _ = conn
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
    }
}

impl TestApp {
    /// Starts a server on a fresh database; `None` when PostgreSQL is absent outside CI.
    pub async fn start(backend: Backend) -> Option<TestApp> {
        Self::start_limited(backend, TEST_LIMITS).await
    }

    /// Like [`TestApp::start`], with these connection limits.
    pub async fn start_limited(backend: Backend, limits: ConnectionLimits) -> Option<TestApp> {
        Self::start_with(
            backend,
            limits,
            RateLimits::default(),
            WebhookOptions::default(),
        )
        .await
    }

    /// Like [`TestApp::start`], counting requests against these rate limits.
    pub async fn start_rate_limited(backend: Backend, rates: RateLimits) -> Option<TestApp> {
        Self::start_with(backend, TEST_LIMITS, rates, WebhookOptions::default()).await
    }

    /// Like [`TestApp::start`], delivering webhooks to receivers on this
    /// host at once, retrying after 150 ms twice.
    pub async fn start_webhooks(backend: Backend) -> Option<TestApp> {
        Self::start_with(backend, TEST_LIMITS, RateLimits::default(), test_webhooks()).await
    }

    /// Like [`TestApp::start_webhooks`], disabling a webhook once its
    /// deliveries have failed for 200 ms.
    pub async fn start_webhooks_disabling(backend: Backend) -> Option<TestApp> {
        let options = WebhookOptions {
            disable_after: Duration::from_millis(200),
            ..test_webhooks()
        };
        Self::start_with(backend, TEST_LIMITS, RateLimits::default(), options).await
    }

    async fn start_with(
        backend: Backend,
        limits: ConnectionLimits,
        rates: RateLimits,
        webhooks: WebhookOptions,
    ) -> Option<TestApp> {
        let (url, cleanup) = match backend {
            Backend::Sqlite => {
                let path =
                    std::env::temp_dir().join(format!("csapi-test-{}.db", Uuid::new_v4().simple()));
                (format!("sqlite://{}", path.display()), Cleanup::File(path))
            }
            Backend::Postgres => {
                let (name, url) = fresh_postgres_database().await?;
                (url, Cleanup::Database(name))
            }
        };
        Some(Self::start_on(&url, cleanup, limits, rates, webhooks).await)
    }

    /// Starts a server on `url`, which tests may route through a proxy.
    pub async fn start_on_url(url: &str, database: String) -> TestApp {
        Self::start_on(
            url,
            Cleanup::Database(database),
            TEST_LIMITS,
            RateLimits::default(),
            WebhookOptions::default(),
        )
        .await
    }

    async fn start_on(
        url: &str,
        cleanup: Cleanup,
        limits: ConnectionLimits,
        rates: RateLimits,
        webhooks: WebhookOptions,
    ) -> TestApp {
        let store = Store::connect(&StoreConfig {
            url: url.to_owned(),
            pool_size: 4,
            acquire_timeout: Duration::from_secs(2),
        })
        .await
        .expect("connecting the store");
        store.migrate().await.expect("migrating");
        let app = App::new(store)
            .with_rate_limits(rates)
            .with_webhooks(webhooks);
        app.bootstrap(Some(ADMIN_KEY.to_owned()))
            .await
            .expect("bootstrap");
        let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let grpc = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let options = ServeOptions {
            http: HttpOptions {
                body_limit: 64 * 1024,
                request_timeout: Duration::from_secs(10),
                cors_origins: vec![],
            },
            connections: limits,
            shutdown_grace: Duration::from_secs(3),
        };
        let server = Server::start(app.clone(), http, grpc, options)
            .await
            .expect("starting the server");
        TestApp {
            url: url.to_owned(),
            http: format!("http://{}", server.http_addr),
            grpc_addr: format!("http://{}", server.grpc_addr),
            app,
            client: reqwest::Client::new(),
            server,
            cleanup,
        }
    }

    /// The database this server runs on.
    pub fn database_url(&self) -> &str {
        &self.url
    }

    /// Another replica's core over the same database, trusting a resolved
    /// key for `key_cache`.
    pub async fn replica(&self, key_cache: Duration) -> App {
        let store = Store::connect(&StoreConfig {
            url: self.url.clone(),
            pool_size: 2,
            acquire_timeout: Duration::from_secs(2),
        })
        .await
        .expect("connecting the replica's store");
        App::new(store).with_key_cache(key_cache)
    }

    /// Stops the server and removes its database.
    pub async fn finish(self) {
        self.server.stop();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.server.wait()).await;
        match self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Database(name) => drop_postgres_database(&name).await,
        }
    }

    /// A request with the admin key of the default workspace.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.req_as(ADMIN_KEY, method, path)
    }

    pub fn req_as(&self, key: &str, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.http))
            .bearer_auth(key)
    }

    pub fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{path}", self.http))
    }

    /// A new key of `role` in the default workspace.
    pub async fn key(&self, role: &str) -> String {
        let res = self
            .req(Method::POST, "/v1/api-keys")
            .json(&serde_json::json!({"name": format!("{role} key"), "role": role}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        res.json::<Value>().await.unwrap()["key"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The admin key of a new workspace.
    pub async fn other_workspace(&self, name: &str) -> String {
        self.app
            .create_workspace(name)
            .await
            .expect("creating a workspace")
            .1
            .secret
    }

    /// Creates an account over REST and returns its JSON.
    pub async fn account(&self, body: Value) -> Value {
        let res = self
            .req(Method::POST, "/v1/accounts")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "creating {body}");
        res.json().await.unwrap()
    }

    /// Sends a request with `key` and an optional JSON body; returns status and JSON (null when none).
    pub async fn send(
        &self,
        key: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.req_as(key, method, path);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// The feed's events of `types` (`*`: all), once there are at least `n`:
    /// on PostgreSQL an event shows once no transaction that began before it
    /// still runs, and other tests' writes on the same server can delay that.
    pub async fn settled_feed(&self, types: &str, n: usize) -> Vec<Value> {
        let path = format!("/v1/changes?types={types}&page_size=1000");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let (status, feed) = self.send(ADMIN_KEY, Method::GET, &path, None).await;
            assert_eq!(status, 200, "{feed}");
            let events = feed["events"].as_array().unwrap().clone();
            if events.len() >= n {
                return events;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "fewer than {n} events of {types}: {}",
                events.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A gRPC channel to the server.
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.grpc_addr.clone())
            .unwrap()
            .connect()
            .await
            .expect("gRPC connect")
    }

    pub async fn accounts_client(&self) -> AccountServiceClient<Channel> {
        AccountServiceClient::connect(self.grpc_addr.clone())
            .await
            .expect("gRPC connect")
    }

    pub async fn keys_client(&self) -> ApiKeyServiceClient<Channel> {
        ApiKeyServiceClient::connect(self.grpc_addr.clone())
            .await
            .expect("gRPC connect")
    }
}

/// The fields a problem names, sorted.
pub fn problem_fields(problem: &Value) -> Vec<String> {
    let mut f: Vec<String> = problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    f.sort();
    f
}

/// A gRPC request carrying `key`.
pub fn authed<T>(key: &str, msg: T) -> tonic::Request<T> {
    let mut req = tonic::Request::new(msg);
    req.metadata_mut()
        .insert("authorization", format!("Bearer {key}").parse().unwrap());
    req
}

/// Runs each scenario once on SQLite and once on PostgreSQL.
/// `start = f;` first starts each server with `TestApp::f(backend)` instead.
macro_rules! on_both_backends {
    ($(async fn $name:ident($app:ident: &TestApp) $body:block)*) => {
        $crate::support::on_both_backends! { start = start; $(async fn $name($app: &TestApp) $body)* }
    };
    (start = $start:ident; $(async fn $name:ident($app:ident: &TestApp) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn scenario($app: &$crate::support::TestApp) $body

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::support::TestApp::$start($crate::support::Backend::Sqlite).await.unwrap();
                    scenario(&app).await;
                    app.finish().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(app) = $crate::support::TestApp::$start($crate::support::Backend::Postgres).await {
                        scenario(&app).await;
                        app.finish().await;
                    }
                }
            }
        )*
    };
}
pub(crate) use on_both_backends;

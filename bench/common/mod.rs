//! What the benchmarks share: the real server in-process on a fresh database
//! of each backend, a client that loads and times it, and the setup around.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use csapi::app::App;
use csapi::http::HttpOptions;
use csapi::server::{ConnectionLimits, ServeOptions, Server};
use csapi::store::{Store, StoreConfig};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use serde_json::Value;
use tokio::net::TcpListener;

pub const KEY: &str = "csk_bench_portfolio_key_0123456789";
pub const READ_RUNS: usize = 15;

pub struct Bench {
    pub base: String,
    pub client: reqwest::Client,
}

impl Bench {
    /// POSTs `body`, expecting `status`.
    pub async fn post(&self, path: &str, body: &Value, status: u16) -> Value {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(KEY)
            .json(body)
            .send()
            .await
            .expect("request");
        let got = res.status();
        let answer: Value = res.json().await.expect("json");
        assert_eq!(got, status, "POST {path}: {answer}");
        answer
    }

    /// Sends `n` POSTs built by `body(i)` with `in_flight` in flight; returns
    /// requests per second and the answers in order.
    #[allow(dead_code, reason = "not every benchmark loads with parallel requests")]
    pub async fn load(
        self: &Arc<Self>,
        n: usize,
        in_flight: usize,
        path: &'static str,
        status: u16,
        body: impl Fn(usize) -> Value + Send + Sync + 'static,
    ) -> (f64, Vec<Value>) {
        let next = Arc::new(AtomicUsize::new(0));
        let body = Arc::new(body);
        let started = Instant::now();
        let workers: Vec<_> = (0..in_flight)
            .map(|_| {
                let (me, next, body) = (self.clone(), next.clone(), body.clone());
                tokio::spawn(async move {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            return out;
                        }
                        out.push((i, me.post(path, &body(i), status).await));
                    }
                })
            })
            .collect();
        let mut all = Vec::with_capacity(n);
        for w in workers {
            all.extend(w.await.expect("worker"));
        }
        let rate = n as f64 / started.elapsed().as_secs_f64();
        all.sort_by_key(|(i, _)| *i);
        (rate, all.into_iter().map(|(_, v)| v).collect())
    }

    /// Latencies of `runs` GETs in milliseconds, sorted, and the response size.
    #[allow(dead_code, reason = "not every benchmark times single reads")]
    pub async fn latencies(&self, path: &str, runs: usize) -> (Vec<f64>, usize) {
        let mut ms = Vec::with_capacity(runs);
        let mut size = 0;
        for _ in 0..runs {
            let started = Instant::now();
            let res = self
                .client
                .get(format!("{}{path}", self.base))
                .bearer_auth(KEY)
                .send()
                .await
                .expect("request");
            assert_eq!(res.status(), 200, "GET {path}");
            size = res.bytes().await.expect("body").len();
            ms.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        ms.sort_by(f64::total_cmp);
        (ms, size)
    }

    /// Median and worst latency of a GET, in milliseconds, and the response size.
    #[allow(dead_code, reason = "not every benchmark times single reads")]
    pub async fn time(&self, path: &str) -> (f64, f64, usize) {
        let (ms, size) = self.latencies(path, READ_RUNS).await;
        (ms[ms.len() / 2], ms[ms.len() - 1], size)
    }
}

/// Starts the server on a migrated, bootstrapped database at `url`.
pub async fn start(url: &str) -> (Server, Arc<Bench>) {
    let store = Store::connect(&StoreConfig {
        url: url.to_owned(),
        pool_size: 16,
        acquire_timeout: Duration::from_secs(30),
    })
    .await
    .expect("store");
    store.migrate().await.expect("migrate");
    let app = App::new(store);
    app.bootstrap(Some(KEY.to_owned()))
        .await
        .expect("bootstrap");
    let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let grpc = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let options = ServeOptions {
        http: HttpOptions {
            body_limit: 1 << 20,
            request_timeout: Duration::from_secs(120),
            cors_origins: vec![],
        },
        connections: ConnectionLimits {
            header_timeout: Duration::from_secs(30),
            max_connections: 1024,
        },
        shutdown_grace: Duration::from_secs(5),
    };
    let server = Server::start(app, http, grpc, options)
        .await
        .expect("server");
    let bench = Arc::new(Bench {
        base: format!("http://{}", server.http_addr),
        client: reqwest::Client::new(),
    });
    (server, bench)
}

pub async fn stop(server: Server) {
    server.stop();
    let _ = tokio::time::timeout(Duration::from_secs(10), server.wait()).await;
}

/// Gives PostgreSQL's planner statistics of the loaded tables, as autovacuum
/// would on a live database; a freshly loaded one has none, and its first
/// plans for joined reads can be quadratic. SQLite plans without statistics.
#[allow(
    dead_code,
    reason = "a bulk load over REST brings its statistics up itself"
)]
pub async fn analyze(url: &str) {
    if url.starts_with("postgres") {
        let mut c = AsyncPgConnection::establish(url).await.expect("connect");
        c.batch_execute("ANALYZE").await.expect("ANALYZE");
    }
}

/// Runs `ANALYZE` every 20 s on PostgreSQL while a load runs, as autovacuum
/// would on a live database (this machine runs with `autovacuum = off`).
/// Without it the plans a connection caches while the tables are nearly
/// empty stay in use as they grow to 100,000s of rows, and each write scans.
/// Abort the task when the load is done.
#[allow(dead_code, reason = "only the benchmarks that load at scale need it")]
pub fn autoanalyze(url: &str) -> Option<tokio::task::JoinHandle<()>> {
    let url = url.starts_with("postgres").then(|| url.to_owned())?;
    Some(tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(20)).await;
            analyze(&url).await;
        }
    }))
}

/// Runs `run(backend, url)` on a fresh SQLite file, then on a fresh
/// PostgreSQL database (TEST_DATABASE_URL's server); BENCH_KEEP=1 keeps both.
pub async fn on_each_backend<F, Fut>(run: F)
where
    F: Fn(&'static str, String) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = std::env::temp_dir().join(format!("csapi-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    if std::env::var_os("BENCH_PG_ONLY").is_none() {
        run("sqlite", format!("sqlite://{}/bench.db", dir.display())).await;
    }
    if std::env::var_os("BENCH_KEEP").is_some() {
        eprintln!(
            "kept the SQLite database {}/bench.db (BENCH_KEEP)",
            dir.display()
        );
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }

    let admin = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("csapi_bench_{}", std::process::id());
    let mut conn = AsyncPgConnection::establish(&admin)
        .await
        .expect("PostgreSQL for the benchmark");
    conn.batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create database");
    let url = format!(
        "{}/{name}",
        admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(head, _)| head)
    );
    run("postgres", url).await;
    if std::env::var_os("BENCH_KEEP").is_some() {
        eprintln!("kept the PostgreSQL database {name} (BENCH_KEEP)");
    } else {
        conn.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .await
            .expect("drop database");
    }
}

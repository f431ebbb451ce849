//! Scale benchmark of assessments and the portfolio reads, on SQLite and PostgreSQL.
//!
//!   cargo bench --bench portfolio                  # 100,000 accounts × 3 assessments per backend
//!   BENCH_ACCOUNTS=5000 cargo bench --bench portfolio
//!
//! Starts the real server in-process on a fresh database of each backend,
//! loads the accounts and their readiness assessments over REST (64 requests
//! in flight), which measures assessment-create throughput, then times each
//! read sequentially against `GET /healthz` measured in the same run. Prints a
//! markdown table; docs/benchmarks.md records a run. Set TEST_DATABASE_URL for
//! another PostgreSQL server, BENCH_KEEP=1 to keep its database for EXPLAIN.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use csapi::app::App;
use csapi::http::HttpOptions;
use csapi::server::Server;
use csapi::store::{Store, StoreConfig};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use serde_json::{Value, json};
use tokio::net::TcpListener;

const KEY: &str = "csk_bench_portfolio_key_0123456789";
const IN_FLIGHT: usize = 64;
const READ_RUNS: usize = 15;
const SEGMENTS: [&str; 3] = ["smb", "mid_market", "enterprise"];

struct Bench {
    base: String,
    client: reqwest::Client,
}

impl Bench {
    async fn post(&self, path: &str, body: &Value) -> Value {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(KEY)
            .json(body)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 201, "POST {path}");
        res.json().await.expect("json")
    }

    /// Sends `n` POSTs built by `body(i)` with IN_FLIGHT in flight; returns requests per second.
    async fn load(
        self: &Arc<Self>,
        n: usize,
        path: &'static str,
        body: impl Fn(usize) -> Value + Send + Sync + 'static,
    ) -> (f64, Vec<Value>) {
        let next = Arc::new(AtomicUsize::new(0));
        let body = Arc::new(body);
        let started = Instant::now();
        let workers: Vec<_> = (0..IN_FLIGHT)
            .map(|_| {
                let (me, next, body) = (self.clone(), next.clone(), body.clone());
                tokio::spawn(async move {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            return out;
                        }
                        out.push((i, me.post(path, &body(i)).await));
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

    /// Median and worst latency of a GET, in milliseconds, and the response size.
    async fn time(&self, path: &str) -> (f64, f64, usize) {
        let mut ms = Vec::with_capacity(READ_RUNS);
        let mut size = 0;
        for _ in 0..READ_RUNS {
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
        (ms[ms.len() / 2], ms[ms.len() - 1], size)
    }
}

/// Scores spread over the grid: a deterministic hash of (account, round).
fn score(i: usize, round: usize, salt: usize) -> f64 {
    let h = (i.wrapping_mul(2_654_435_761) ^ (round * 40_503 + salt * 7919))
        .wrapping_mul(2_246_822_519);
    1.0 + ((h >> 7) % 10) as f64
}

/// Gives PostgreSQL's planner statistics of the loaded tables, as autovacuum
/// would on a live database; a freshly loaded one has none, and its first
/// plans for joined reads can be quadratic. SQLite plans without statistics.
async fn analyze(url: &str) {
    if url.starts_with("postgres") {
        let mut c = AsyncPgConnection::establish(url).await.expect("connect");
        c.batch_execute("ANALYZE").await.expect("ANALYZE");
    }
}

async fn run(backend: &str, url: &str, accounts: usize) {
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
    let options = HttpOptions {
        body_limit: 1 << 20,
        request_timeout: Duration::from_secs(60),
        cors_origins: vec![],
    };
    let server = Server::start(app, http, grpc, options)
        .await
        .expect("server");
    let bench = Arc::new(Bench {
        base: format!("http://{}", server.http_addr),
        client: reqwest::Client::new(),
    });

    let (account_rate, created) = bench
        .load(accounts, "/v1/accounts", |i| {
            json!({"name": format!("Account {i:06}"), "segment": SEGMENTS[i % 3], "owner": format!("csm{}@example.com", i % 40)})
        })
        .await;
    let ids: Arc<Vec<String>> = Arc::new(
        created
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect(),
    );
    let n = ids.len();
    let months = ["2026-01", "2026-03", "2026-05"];
    let (assessment_rate, _) = bench
        .load(3 * n, "/v1/assessments", move |k| {
            let (i, round) = (k % n, k / n);
            json!({"account_id": ids[i], "framework": "readiness",
                   "scores": {"goal_clarity": score(i, round, 1), "priority": score(i, round, 2)},
                   "assessed_at": format!("{}-{:02}T{:02}:00:00Z", months[round], 1 + i % 28, i % 24)})
        })
        .await;
    analyze(url).await;

    let reads = [
        ("GET /healthz (baseline)", "/healthz".to_owned()),
        (
            "GET /v1/accounts/{id}",
            format!("/v1/accounts/{}", created[n / 2]["id"].as_str().unwrap()),
        ),
        (
            "portfolio, first page (now)",
            "/v1/matrices/readiness/portfolio".to_owned(),
        ),
        (
            "portfolio, first page (as of 2026-04-01, enterprise)",
            "/v1/matrices/readiness/portfolio?as_of=2026-04-01T00:00:00Z&segment=enterprise"
                .to_owned(),
        ),
        (
            "transitions 2026-02-01 → now",
            "/v1/matrices/readiness/transitions?from=2026-02-01T00:00:00Z".to_owned(),
        ),
        (
            "prioritization, first page",
            "/v1/prioritization".to_owned(),
        ),
        (
            "prioritization, one owner's book",
            "/v1/prioritization?owner=csm7@example.com".to_owned(),
        ),
        (
            "chart.svg (all accounts)",
            "/v1/matrices/readiness/chart.svg".to_owned(),
        ),
        (
            "chart.svg (one owner's book)",
            "/v1/matrices/readiness/chart.svg?owner=csm7@example.com".to_owned(),
        ),
    ];
    let mut baseline = None;
    for (label, path) in reads {
        let (median, worst, size) = bench.time(&path).await;
        let base = *baseline.get_or_insert(median);
        println!(
            "| {backend} | {label} | {median:.1} | {worst:.1} | {:.0} | {} |",
            median / base,
            size
        );
    }
    println!(
        "| {backend} | create account (POST, {IN_FLIGHT} in flight) | | | {account_rate:.0}/s | |"
    );
    println!(
        "| {backend} | create assessment (POST, {IN_FLIGHT} in flight) | | | {assessment_rate:.0}/s | |"
    );
    server.stop();
    let _ = tokio::time::timeout(Duration::from_secs(10), server.wait()).await;
}

#[tokio::main]
async fn main() {
    let accounts: usize = std::env::var("BENCH_ACCOUNTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    println!(
        "csapi portfolio benchmark: {accounts} accounts × 3 readiness assessments, reads timed {READ_RUNS}× each (median, worst), {} cores\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "| backend | operation | median ms | worst ms | ratio to /healthz (or rate) | bytes |"
    );
    println!("|---|---|---|---|---|---|");

    let dir = tempdir();
    run(
        "sqlite",
        &format!("sqlite://{}/bench.db", dir.display()),
        accounts,
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);

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
    run("postgres", &url, accounts).await;
    if std::env::var_os("BENCH_KEEP").is_some() {
        eprintln!("kept the PostgreSQL database {name} (BENCH_KEEP)");
    } else {
        conn.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .await
            .expect("drop database");
    }
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("csapi-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

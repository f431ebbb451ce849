//! Scale benchmark of observations, health and the QBR, on SQLite and PostgreSQL.
//!
//!   cargo bench --bench metrics                    # 1,000 accounts × 20 metrics × 156 weeks
//!   BENCH_ACCOUNTS=100 cargo bench --bench metrics
//!
//! Loads the accounts, then three years of weekly observations of 20 metrics
//! (the 12 observed built-ins and 8 custom ones) in batches of 10,000 rows
//! over REST (4 in flight): batch ingest in rows per second. Then times, in
//! the same run, `GET /healthz` (the baseline), one account's QBR JSON
//! (p50/p99 of 200) and the portfolio health of every account for one quarter.

mod common;

use std::sync::Arc;

use serde_json::{Value, json};

use common::{READ_RUNS, analyze, on_each_backend, start, stop};

const WEEKS: usize = 156;
const BATCH: usize = 10_000;
const IN_FLIGHT: usize = 4;
const QBR_RUNS: usize = 200;
/// Observed metrics: key and a value for (account, week) within its unit.
const BUILT_IN: [&str; 12] = [
    "renewals_count",
    "arr",
    "paid_up",
    "open_support_cases",
    "survey_nps",
    "survey_csat",
    "logins",
    "page_views",
    "reports_run",
    "active_users_pct",
    "adoption_breadth",
    "time_to_value_days",
];
const CUSTOM: usize = 8;

fn metrics() -> Vec<String> {
    BUILT_IN
        .iter()
        .map(|m| m.to_string())
        .chain((1..=CUSTOM).map(|i| format!("usage_{i}")))
        .collect()
}

/// A deterministic value for (account, week, metric) that its unit accepts.
fn value(metric: &str, account: usize, week: usize) -> f64 {
    let h = (account.wrapping_mul(2_654_435_761) ^ week.wrapping_mul(40_503))
        .wrapping_mul(2_246_822_519)
        >> 9;
    match metric {
        "paid_up" => f64::from(u8::from(!h.is_multiple_of(10))),
        "active_users_pct" | "adoption_breadth" | "survey_csat" => (h % 101) as f64,
        "survey_nps" => (h % 201) as f64 - 100.0,
        "arr" => 50_000.0 + (h % 200_000) as f64,
        _ => (h % 1000) as f64,
    }
}

async fn run(backend: &str, url: &str, accounts: usize) {
    let (server, bench) = start(url).await;
    for i in 1..=CUSTOM {
        bench
            .post(
                "/v1/metric-definitions",
                &json!({"key": format!("usage_{i}"), "name": format!("Usage {i}"),
                "unit": "count", "aggregation": "sum", "direction": "higher_is_better",
                "category": "usage", "horizon": "future"}),
                201,
            )
            .await;
    }
    let set: Vec<Value> = metrics()
        .iter()
        .map(|m| json!({"metric": m, "green_at": 600, "red_at": 200}))
        .map(|mut m| {
            if ["paid_up"].contains(&m["metric"].as_str().unwrap()) {
                m["green_at"] = json!(1);
                m["red_at"] = json!(0);
            }
            if ["open_support_cases", "time_to_value_days"].contains(&m["metric"].as_str().unwrap())
            {
                m["green_at"] = json!(200);
                m["red_at"] = json!(600);
            }
            m
        })
        .collect();
    bench
        .post(
            "/v1/metric-sets",
            &json!({"key": "bench", "label": "Bench", "metrics": set}),
            201,
        )
        .await;
    let (_, created) = bench
        .load(accounts, 32, "/v1/accounts", 201, |i| {
            json!({"name": format!("Account {i:05}"), "customer_since": "2023-01-01", "original_arr": 100000})
        })
        .await;
    let ids: Arc<Vec<String>> = Arc::new(
        created
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect(),
    );
    let names = Arc::new(metrics());
    let total = accounts * names.len() * WEEKS;
    let batches = total.div_ceil(BATCH);
    let (ids_, names_) = (ids.clone(), names.clone());
    let (batch_rate, _) = bench
        .load(batches, IN_FLIGHT, "/v1/observations", 200, move |b| {
            let rows: Vec<Value> = (b * BATCH..((b + 1) * BATCH).min(total))
                .map(|k| {
                    let (week, rest) = (k % WEEKS, k / WEEKS);
                    let (metric, account) = (rest % names_.len(), rest / names_.len());
                    // Mondays from 2023-10-02: three years up to the end of 2026-Q3.
                    let day = chrono::NaiveDate::from_ymd_opt(2023, 10, 2).unwrap()
                        + chrono::Duration::weeks(week as i64);
                    json!({"account_id": ids_[account], "metric": names_[metric],
                           "observed_at": format!("{day}T08:00:00Z"), "value": value(&names_[metric], account, week)})
                })
                .collect();
            json!({"observations": rows})
        })
        .await;
    let rows_per_s = batch_rate * BATCH as f64;
    analyze(url).await;

    let (health, _, _) = bench.time("/healthz").await;
    let qbr = format!(
        "/v1/accounts/{}/qbr?metric_set=bench&quarter=2026-Q3",
        ids[accounts / 2]
    );
    let (ms, size) = bench.latencies(&qbr, QBR_RUNS).await;
    let p = |q: f64| ms[((ms.len() as f64 * q).ceil() as usize).min(ms.len()) - 1];
    let (portfolio, worst, portfolio_size) = bench
        .time("/v1/metric-sets/bench/health?quarter=2026-Q3&page_size=50")
        .await;
    println!("| {backend} | GET /healthz (baseline, median) | {health:.2} ms | 1 | |");
    println!(
        "| {backend} | QBR JSON, one account (20 metrics × 4 quarters), p50 / p99 of {QBR_RUNS} | {:.2} / {:.2} ms | {:.0} | {size} B |",
        p(0.5),
        p(0.99),
        p(0.5) / health
    );
    println!(
        "| {backend} | portfolio health, {accounts} accounts, one quarter, median / worst of {READ_RUNS} | {portfolio:.0} / {worst:.0} ms | {:.0} | {portfolio_size} B |",
        portfolio / health
    );
    println!(
        "| {backend} | batch ingest over REST ({total} rows, {BATCH} per request, {IN_FLIGHT} in flight) | {rows_per_s:.0} rows/s | | |"
    );
    stop(server).await;
}

#[tokio::main]
async fn main() {
    let accounts: usize = std::env::var("BENCH_ACCOUNTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    println!(
        "csapi metrics benchmark: {accounts} accounts × {} metrics × {WEEKS} weekly observations, {} cores\n",
        metrics().len(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| backend | operation | time (or rate) | ratio to /healthz | size |");
    println!("|---|---|---|---|---|");
    on_each_backend(|backend, url| async move { run(backend, &url, accounts).await }).await;
}

//! Scale benchmark of assessments and the portfolio reads, on SQLite and PostgreSQL.
//!
//!   cargo bench --bench portfolio                  # 100,000 accounts × 3 assessments per backend
//!   BENCH_ACCOUNTS=5000 cargo bench --bench portfolio
//!
//! Starts the real server in-process on a fresh database of each backend,
//! loads the accounts and their readiness assessments over REST (64 requests
//! in flight; on PostgreSQL with `ANALYZE` every 20 s, as autovacuum would),
//! which measures assessment-create throughput, then times each read
//! sequentially against `GET /healthz` measured in the same run; then
//! two observations per account and a metric set, for portfolio health. Prints a
//! markdown table; docs/benchmarks.md records a run. Set TEST_DATABASE_URL for
//! another PostgreSQL server, BENCH_KEEP=1 to keep both databases (for EXPLAIN, or to
//! time a rebuilt server against them).

mod common;

use std::sync::Arc;

use serde_json::json;

use common::{READ_RUNS, analyze, autoanalyze, on_each_backend, start, stop};

const IN_FLIGHT: usize = 64;
/// Observation rows per batch.
const BATCH: usize = 10_000;
const SEGMENTS: [&str; 3] = ["smb", "mid_market", "enterprise"];

/// Scores spread over the grid: a deterministic hash of (account, round).
fn score(i: usize, round: usize, salt: usize) -> f64 {
    let h = (i.wrapping_mul(2_654_435_761) ^ (round * 40_503 + salt * 7919))
        .wrapping_mul(2_246_822_519);
    1.0 + ((h >> 7) % 10) as f64
}

async fn run(backend: &str, url: &str, accounts: usize) {
    let (server, bench) = start(url).await;
    let autovacuum = autoanalyze(url);
    let (account_rate, created) = bench
        .load(accounts, IN_FLIGHT, "/v1/accounts", 201, |i| {
            json!({"name": format!("Account {i:06}"), "segment": SEGMENTS[i % 3], "owner": format!("csm{}@example.com", i % 40),
                   "customer_since": format!("20{:02}-{:02}-01", 20 + i % 6, 1 + i % 12), "original_arr": 50_000 + 100 * (i % 500),
                   "current_arr": 40_000 + 137 * (i % 900), "renewal_date": format!("2027-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
                   "lifecycle_stage": if i % 50 == 0 { "churned" } else { "adoption" }})
        })
        .await;
    let ids: Arc<Vec<String>> = Arc::new(
        created
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect(),
    );
    let n = ids.len();
    let ids_for_observations = ids.clone();
    let months = ["2026-01", "2026-03", "2026-05"];
    let (assessment_rate, _) = bench
        .load(3 * n, IN_FLIGHT, "/v1/assessments", 201, move |k| {
            let (i, round) = (k % n, k / n);
            json!({"account_id": ids[i], "framework": "readiness",
                   "scores": {"goal_clarity": score(i, round, 1), "priority": score(i, round, 2)},
                   "assessed_at": format!("{}-{:02}T{:02}:00:00Z", months[round], 1 + i % 28, i % 24)})
        })
        .await;
    let ids_for_equations = ids_for_observations.clone();
    let (equation_rate, _) = bench
        .load(n, IN_FLIGHT, "/v1/assessments", 201, move |i| {
            let s = |salt| score(i, 3, salt);
            json!({"account_id": ids_for_equations[i], "framework": "success_equation",
                   "scores": {"product_quality": s(3), "outcome_clarity": s(4), "enablement": s(5),
                              "guidance": s(6), "relationship_trust": s(7), "business_need": s(8)},
                   "assessed_at": format!("2026-06-{:02}T{:02}:00:00Z", 1 + i % 28, i % 24)})
        })
        .await;
    bench
        .post(
            "/v1/prioritization-policies",
            &json!({"key": "mixed", "label": "Mixed",
        "matrices": [{"matrix": "readiness", "weight": 2}],
        "terms": [{"equation": "success_equation.renewal", "weight": 1},
                  {"account_field": "current_arr", "weight": 1},
                  {"account_field": "days_to_renewal", "weight": 1}],
        "tiers": [{"key": "high_touch", "min_score": 0.7}, {"key": "standard", "min_score": 0.4}]}),
            201,
        )
        .await;
    let observation_rate = load_observations(&bench, ids_for_observations).await;
    if let Some(task) = autovacuum {
        task.abort();
    }
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
            "prioritization, mixed policy (matrix, equation, ARR, renewal), first page",
            "/v1/prioritization?policy=mixed".to_owned(),
        ),
        (
            "portfolio health, 2026-Q2, all accounts (first page)",
            "/v1/metric-sets/book/health?quarter=2026-Q2".to_owned(),
        ),
        (
            "portfolio health, 2026-Q2, one owner's book",
            "/v1/metric-sets/book/health?quarter=2026-Q2&owner=csm7@example.com".to_owned(),
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
    println!(
        "| {backend} | create success_equation assessment (POST, {IN_FLIGHT} in flight) | | | {equation_rate:.0}/s | |"
    );
    println!(
        "| {backend} | observations (POST batches of {BATCH}, 4 in flight) | | | {observation_rate:.0} rows/s | |"
    );
    stop(server).await;
}

/// The `book` metric set (readiness and tenure, derived; logins and ARR,
/// observed), and for every account one logins and one ARR observation in
/// 2026-Q2: what a portfolio's health is read from. Rows per second.
async fn load_observations(bench: &Arc<common::Bench>, ids: Arc<Vec<String>>) -> f64 {
    let set = json!({"key": "book", "label": "Book", "metrics": [
        {"metric": "readiness_score", "green_at": 60, "red_at": 30},
        {"metric": "tenure_months", "green_at": 24, "red_at": 6},
        {"metric": "logins", "green_at": 500, "red_at": 100},
        {"metric": "arr", "green_at": 80000, "red_at": 40000}]});
    bench.post("/v1/metric-sets", &set, 201).await;
    let rows = 2 * ids.len();
    let (rate, _) = bench
        .load(rows.div_ceil(BATCH), 4, "/v1/observations", 200, move |b| {
            let rows: Vec<_> = (b * BATCH..((b + 1) * BATCH).min(rows))
                .map(|k| {
                    let (i, metric) = (k / 2, ["logins", "arr"][k % 2]);
                    let value = if metric == "arr" { 30_000 + 97 * (i % 1000) } else { 7 * (i % 100) };
                    json!({"account_id": ids[i], "metric": metric,
                           "observed_at": format!("2026-05-{:02}T12:00:00Z", 1 + i % 28), "value": value})
                })
                .collect();
            json!({"observations": rows})
        })
        .await;
    rate * BATCH as f64
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

    on_each_backend(|backend, url| async move { run(backend, &url, accounts).await }).await;
}

//! What an integrator's sync costs, on SQLite and PostgreSQL.
//!
//!   cargo bench --bench integration                  # 100,000 accounts
//!   BENCH_ACCOUNTS=20000 cargo bench --bench integration
//!
//! Upserts the accounts by ref over REST in batches of 10,000 (`POST
//! /v1/accounts/batch`): first creating them, then again unchanged, then
//! changing one attribute of each. The baseline, in the same run, is the same
//! number of observations written in batches of 10,000 (`POST
//! /v1/observations`), the bulk write csapi had before. Then reads the change
//! feed from its start (one `account.created` event per account, 1,000 per
//! page) against listing the same accounts (1,000 per page), each page's
//! items kept as JSON text as a typed client would; then the feed again,
//! each page also parsed into `serde_json::Value`. Last, streams
//! the same accounts again as one NDJSON body (`application/x-ndjson`), then
//! as one CSV body (`text/csv`), each changing one attribute, and reports the
//! rates and how far this process's heap (`RssAnon`: the server runs in it)
//! rose above where it started. Last, exports the book (`GET
//! /v1/exports/accounts`) as NDJSON and as CSV against listing it.

mod common;

use std::time::Instant;

use futures_util::StreamExt;
use serde_json::{Value, json};

use common::{on_each_backend, start, stop};

const BATCH: usize = 10_000;
const PAGE: usize = 1_000;

fn account(i: usize, tier: &str) -> Value {
    json!({"ref": {"system": "salesforce", "id": format!("001{i:07}")}, "name": format!("Account {i:06}"),
        "segment": if i.is_multiple_of(3) { "enterprise" } else { "smb" }, "attributes": {"tier": tier}})
}

/// Rows per second of `n` rows POSTed to `path` in batches of [`BATCH`],
/// one request at a time; each answer is checked by `check`.
async fn batches(
    bench: &common::Bench,
    path: &str,
    n: usize,
    body: impl Fn(std::ops::Range<usize>) -> Value,
    check: impl Fn(&Value),
) -> f64 {
    let started = Instant::now();
    for start in (0..n).step_by(BATCH) {
        let answer = bench
            .post(path, &body(start..(start + BATCH).min(n)), 200)
            .await;
        check(&answer);
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// How the reader takes each page: as a typed client does, keeping each
/// item's JSON as text for later (the read's own cost), or parsed whole
/// into `serde_json::Value`, a cost of the client that runs on the same two
/// cores as the server here.
#[derive(Clone, Copy)]
enum Reader {
    Typed,
    Dom,
}

/// A page of a list or of the feed, its items kept as text.
#[derive(serde::Deserialize)]
struct Page<'a> {
    #[serde(alias = "events", borrow)]
    items: Vec<&'a serde_json::value::RawValue>,
    #[serde(alias = "next_cursor")]
    next_page_token: Option<String>,
}

/// Seconds to read every page of `path` (`…?page_size=1000`, following the
/// page's next cursor into `param`), and the items read.
async fn read_all(bench: &common::Bench, path: &str, param: &str, reader: Reader) -> (f64, usize) {
    let started = Instant::now();
    let (mut read, mut cursor): (usize, Option<String>) = (0, None);
    loop {
        let after = cursor
            .as_deref()
            .map(|c| format!("&{param}={c}"))
            .unwrap_or_default();
        let res = bench
            .client
            .get(format!("{}{path}?page_size={PAGE}{after}", bench.base))
            .bearer_auth(common::KEY)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 200);
        let body = res.bytes().await.expect("body");
        let n = match reader {
            Reader::Typed => {
                let page: Page = serde_json::from_slice(&body).expect("a page");
                cursor = page.next_page_token;
                page.items.len()
            }
            Reader::Dom => {
                let page: Value = serde_json::from_slice(&body).expect("json");
                let items = page.get("events").unwrap_or(&page["items"]);
                cursor = page["next_cursor"].as_str().map(str::to_owned);
                items.as_array().expect("items").len()
            }
        };
        read += n;
        if n < PAGE || cursor.is_none() {
            return (started.elapsed().as_secs_f64(), read);
        }
    }
}

/// This process's anonymous resident memory (heap and stacks) in KiB; the
/// mapped database file is not in it.
fn heap_kib() -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Rows per second of `n` accounts streamed as one body of `media` (its
/// `head` line, then `row(i)` for each account, generated as it is sent,
/// 1,000 rows at a time), and the most the heap rose above where it was
/// while the answer was read.
async fn streamed(
    bench: &common::Bench,
    n: usize,
    media: &str,
    head: &'static str,
    row: fn(usize) -> String,
) -> (f64, i64) {
    let before = heap_kib();
    let rows = (0..n).step_by(1000).map(move |start| {
        let chunk: String = (start..(start + 1000).min(n)).map(row).collect();
        Ok::<_, std::io::Error>(chunk)
    });
    let body = futures_util::stream::iter(std::iter::once(Ok(head.to_owned())).chain(rows));
    let started = Instant::now();
    let res = bench
        .client
        .post(format!("{}/v1/accounts/batch", bench.base))
        .bearer_auth(common::KEY)
        .header("content-type", media)
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    let (mut answer, mut rise) = (res.bytes_stream(), 0);
    let mut tail = Vec::new();
    while let Some(bytes) = answer.next().await {
        tail.extend_from_slice(&bytes.expect("answer"));
        if let Some(end) = tail[..tail.len().saturating_sub(1)]
            .iter()
            .rposition(|b| *b == b'\n')
        {
            tail.drain(..=end);
        }
        rise = rise.max(heap_kib() - before);
    }
    let last: Value = serde_json::from_slice(&tail).expect("the summary line");
    assert_eq!(
        last["summary"]["updated"].as_u64(),
        Some(n as u64),
        "{last}"
    );
    (n as f64 / started.elapsed().as_secs_f64(), rise)
}

/// Seconds to export the book as `accept`, the lines read and the most the
/// heap rose above where it was while the export was read.
async fn export(bench: &common::Bench, accept: &str) -> (f64, usize, i64) {
    let before = heap_kib();
    let started = Instant::now();
    let res = bench
        .client
        .get(format!("{}/v1/exports/accounts", bench.base))
        .bearer_auth(common::KEY)
        .header("accept", accept)
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 200);
    let (mut body, mut lines, mut rise) = (res.bytes_stream(), 0, 0);
    while let Some(bytes) = body.next().await {
        lines += bytes
            .expect("export")
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        rise = rise.max(heap_kib() - before);
    }
    (started.elapsed().as_secs_f64(), lines, rise)
}

/// Account `i` as an NDJSON line, its tier silver.
fn ndjson_row(i: usize) -> String {
    format!("{}\n", account(i, "silver"))
}

/// Account `i` as a CSV row under [`CSV_HEAD`], its tier bronze.
fn csv_row(i: usize) -> String {
    let segment = if i.is_multiple_of(3) {
        "enterprise"
    } else {
        "smb"
    };
    format!("salesforce,001{i:07},Account {i:06},{segment},bronze\r\n")
}

const CSV_HEAD: &str = "ref.system,ref.id,name,segment,attributes.tier\r\n";

async fn run(backend: &str, url: &str, accounts: usize) {
    let (server, bench) = start(url).await;
    let upsert = |tier: &'static str| move |r: std::ops::Range<usize>| json!({"items": r.map(|i| account(i, tier)).collect::<Vec<_>>()});
    let expect = |status: &'static str| {
        move |answer: &Value| {
            let items = answer["items"].as_array().unwrap();
            assert!(items.iter().all(|i| i["status"] == status), "{}", &items[0]);
        }
    };
    let created = batches(
        &bench,
        "/v1/accounts/batch",
        accounts,
        upsert("gold"),
        expect("created"),
    )
    .await;
    let unchanged = batches(
        &bench,
        "/v1/accounts/batch",
        accounts,
        upsert("gold"),
        expect("unchanged"),
    )
    .await;
    let updated = batches(
        &bench,
        "/v1/accounts/batch",
        accounts,
        upsert("platinum"),
        expect("updated"),
    )
    .await;
    let some = bench
        .client
        .get(format!("{}/v1/accounts?page_size=1", bench.base))
        .bearer_auth(common::KEY)
        .send()
        .await
        .expect("request")
        .json::<Value>()
        .await
        .expect("json");
    let id = some["items"][0]["id"].as_str().unwrap().to_owned();
    let observations = batches(&bench, "/v1/observations", accounts, |r| {
        let rows: Vec<Value> = r.map(|i| json!({"account_id": id, "metric": "logins",
            "observed_at": format!("2026-01-01T00:00:{:02}.{:06}Z", i / 1_000_000 % 60, i % 1_000_000), "value": i % 1000})).collect();
        json!({"observations": rows})
    }, |a| assert_eq!(a["written"].as_u64(), Some(BATCH.min(accounts) as u64))).await;

    let (list_s, listed) = read_all(&bench, "/v1/accounts", "page_token", Reader::Typed).await;
    let (feed_s, events) = read_all(&bench, "/v1/changes", "after", Reader::Typed).await;
    let (feed_dom_s, _) = read_all(&bench, "/v1/changes", "after", Reader::Dom).await;
    assert_eq!(listed, accounts);
    // Created and updated accounts, and one event per observation batch: an unchanged run writes none.
    assert_eq!(events, 2 * accounts + accounts.div_ceil(BATCH), "events");
    let (ndjson, rise) = streamed(&bench, accounts, "application/x-ndjson", "", ndjson_row).await;
    let (csv, csv_rise) = streamed(&bench, accounts, "text/csv", CSV_HEAD, csv_row).await;
    let (export_s, exported, export_rise) = export(&bench, "application/x-ndjson").await;
    assert_eq!(exported, accounts);
    let (sheet_s, rows, sheet_rise) = export(&bench, "text/csv").await;
    assert_eq!(rows, accounts + 1, "a header and a row per account");
    let pct = |r: f64| r / observations;
    println!(
        "| {backend} | observations, {BATCH} per request (baseline) | {observations:.0} rows/s | 1.00 |"
    );
    println!(
        "| {backend} | accounts by ref, created | {created:.0} rows/s | {:.2} |",
        pct(created)
    );
    println!(
        "| {backend} | accounts by ref, unchanged (nothing written) | {unchanged:.0} rows/s | {:.2} |",
        pct(unchanged)
    );
    println!(
        "| {backend} | accounts by ref, one attribute changed | {updated:.0} rows/s | {:.2} |",
        pct(updated)
    );
    println!(
        "| {backend} | list {listed} accounts, {PAGE} per page (baseline) | {list_s:.2} s | 1.00 |"
    );
    println!(
        "| {backend} | read the feed from its start: {events} events, {PAGE} per page | {feed_s:.2} s | {:.2} |",
        feed_s / list_s
    );
    println!(
        "| {backend} | the same, each page also parsed into `serde_json::Value` | {feed_dom_s:.2} s | {:.2} |",
        feed_dom_s / list_s
    );
    println!(
        "| {backend} | accounts by ref, one NDJSON body of {accounts} lines (heap rose {:.1} MiB) | {ndjson:.0} rows/s | {:.2} |",
        rise as f64 / 1024.0,
        pct(ndjson)
    );
    println!(
        "| {backend} | accounts by ref, one CSV body of {accounts} rows (heap rose {:.1} MiB) | {csv:.0} rows/s | {:.2} |",
        csv_rise as f64 / 1024.0,
        pct(csv)
    );
    println!(
        "| {backend} | export {exported} accounts as NDJSON (heap rose {:.1} MiB) | {export_s:.2} s | {:.2} |",
        export_rise as f64 / 1024.0,
        export_s / list_s
    );
    println!(
        "| {backend} | export {accounts} accounts as CSV (heap rose {:.1} MiB) | {sheet_s:.2} s | {:.2} |",
        sheet_rise as f64 / 1024.0,
        sheet_s / list_s
    );
    stop(server).await;
}

#[tokio::main]
async fn main() {
    let accounts: usize = std::env::var("BENCH_ACCOUNTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    println!(
        "csapi integration benchmark: {accounts} accounts upserted by ref in batches of {BATCH}, {} cores\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| backend | operation | rate or time | ratio to baseline |");
    println!("|---|---|---|---|");
    on_each_backend(|backend, url| async move { run(backend, &url, accounts).await }).await;
}

//! Machines call us: retries, parallel requests and races between writes.
//! Each scenario sends its requests at once and checks what is left, on both
//! backends (the PostgreSQL runs are the ones where the races are real).

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{ADMIN_KEY, TestApp, on_both_backends};

/// Sends `n` copies of one request at once; statuses and bodies in order.
async fn at_once(
    app: &TestApp,
    n: usize,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> Vec<(u16, Value)> {
    join_all((0..n).map(|_| {
        let mut req = app.req(method.clone(), path).json(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json().await.unwrap_or(Value::Null))
        }
    }))
    .await
}

async fn account_count(app: &TestApp) -> usize {
    let (status, list) = app
        .send(ADMIN_KEY, Method::GET, "/v1/accounts?page_size=1000", None)
        .await;
    assert_eq!(status, 200);
    list["items"].as_array().unwrap().len()
}

/// How many subjects the readiness portfolio counts now.
async fn readiness_subjects(app: &TestApp) -> u64 {
    let (status, p) = app
        .send(
            ADMIN_KEY,
            Method::GET,
            "/v1/matrices/readiness/portfolio",
            None,
        )
        .await;
    assert_eq!(status, 200, "{p}");
    p["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["count"].as_u64().unwrap())
        .sum()
}

on_both_backends! {
    async fn concurrent_retries_with_one_idempotency_key_create_once(app: &TestApp) {
        let answers = at_once(app, 20, Method::POST, "/v1/accounts",
            &[("Idempotency-Key", "sync-2026-11-29")], &json!({"name": "Acme"})).await;
        let ids: Vec<&str> = answers.iter().map(|(s, b)| {
            assert_eq!(*s, 201, "{b}");
            b["id"].as_str().unwrap()
        }).collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "every answer names the one account: {ids:?}");
        assert_eq!(account_count(app).await, 1);
    }

    async fn an_idempotency_key_answers_only_the_key_that_used_it(app: &TestApp) {
        let reader = app.key("read").await;
        let body = json!({"name": "onboarding bot", "role": "write"});
        let send = |key: &str| {
            app.req_as(key, Method::POST, "/v1/api-keys")
                .header("Idempotency-Key", "onboarding-2026")
                .json(&body)
                .send()
        };
        let first = send(ADMIN_KEY).await.unwrap();
        assert_eq!(first.status(), 201);
        let first: Value = first.json().await.unwrap();
        let secret = first["key"].as_str().unwrap().to_owned();

        let stolen = send(&reader).await.unwrap();
        assert_eq!(stolen.status(), 403, "authorization comes before any replay");
        assert!(stolen.headers().get("idempotent-replayed").is_none());
        let text = stolen.text().await.unwrap();
        assert!(!text.contains(&secret) && !text.contains("csk_"), "{text}");

        let retry = send(ADMIN_KEY).await.unwrap();
        assert_eq!(retry.status(), 201);
        assert_eq!(retry.headers()["idempotent-replayed"], "true");
        let retry: Value = retry.json().await.unwrap();
        assert_eq!(retry["id"], first["id"]);
        assert_eq!(retry["key"], Value::Null, "a secret is shown once and never stored");

        // A refusal stores nothing: the admin's first use of a key the reader
        // was refused with runs afresh.
        let refused = app.req_as(&reader, Method::POST, "/v1/api-keys")
            .header("Idempotency-Key", "reader-first").json(&body).send().await.unwrap();
        assert_eq!(refused.status(), 403);
        let fresh = app.req(Method::POST, "/v1/api-keys")
            .header("Idempotency-Key", "reader-first").json(&body).send().await.unwrap();
        assert_eq!(fresh.status(), 201);
        assert!(fresh.headers().get("idempotent-replayed").is_none());
        assert!(fresh.json::<Value>().await.unwrap()["key"].as_str().unwrap().starts_with("csk_"));
    }

    async fn concurrent_upserts_of_one_new_ref_create_once_and_replace_after(app: &TestApp) {
        let answers = at_once(app, 20, Method::PUT, "/v1/accounts/by-ref/salesforce/001-ACME",
            &[], &json!({"name": "Acme"})).await;
        let mut statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
        statuses.sort();
        assert_eq!(statuses, [vec![200; 19], vec![201]].concat(), "{answers:?}");
        assert_eq!(account_count(app).await, 1);
        let ids: Vec<&Value> = answers.iter().map(|(_, b)| &b["id"]).collect();
        assert!(ids.iter().all(|id| *id == ids[0]));
    }

    async fn racing_assessment_deletes_and_creates_keep_one_current_classification(app: &TestApp) {
        let account = app.account(json!({"name": "Acme"})).await;
        let assess = |g: f64| json!({"account_id": account["id"], "framework": "readiness",
            "scores": {"goal_clarity": g, "priority": 2}});
        // A first assessment that stays: deleting the current one must hand
        // "current" back to it, or to the one created in the same instant.
        let mut first = assess(3.0);
        first["assessed_at"] = json!("2026-01-05T00:00:00Z");
        let (status, _) = app.send(ADMIN_KEY, Method::POST, "/v1/assessments", Some(first)).await;
        assert_eq!(status, 201);
        let (status, mut current) = app.send(ADMIN_KEY, Method::POST, "/v1/assessments", Some(assess(1.0))).await;
        assert_eq!(status, 201);
        for round in 0..40 {
            let old = format!("/v1/assessments/{}", current["id"].as_str().unwrap());
            let (deleted, created) = tokio::join!(
                app.send(ADMIN_KEY, Method::DELETE, &old, None),
                app.send(ADMIN_KEY, Method::POST, "/v1/assessments", Some(assess(f64::from(round % 3 + 1)))),
            );
            assert_eq!((deleted.0, created.0), (204, 201), "round {round}: {deleted:?} {created:?}");
            current = created.1;
            assert_eq!(readiness_subjects(app).await, 1, "round {round}: one current classification");
        }
    }

    async fn a_metric_deleted_while_a_plan_links_it_is_refused_or_unlinked(app: &TestApp) {
        let account = app.account(json!({"name": "Acme"})).await;
        let (status, plan) = app.send(ADMIN_KEY, Method::POST, "/v1/success-plans", Some(json!({
            "account_id": account["id"], "name": "Adoption", "start_date": "2026-01-01", "target_date": "2026-12-31"}))).await;
        assert_eq!(status, 201, "{plan}");
        let objectives = format!("/v1/success-plans/{}/objectives", plan["id"].as_str().unwrap());
        for round in 0..20 {
            let key = format!("seats_{round}");
            let (status, m) = app.send(ADMIN_KEY, Method::POST, "/v1/metric-definitions", Some(json!({
                "key": key, "name": "Seats", "unit": "count", "aggregation": "last",
                "direction": "higher_is_better", "category": "usage", "horizon": "future"}))).await;
            assert_eq!(status, 201, "{m}");
            let metric = format!("/v1/metric-definitions/{key}");
            let (deleted, linked) = tokio::join!(
                app.send(ADMIN_KEY, Method::DELETE, &metric, None),
                app.send(ADMIN_KEY, Method::POST, &objectives, Some(json!({"title": format!("Round {round}"),
                    "kpis": [{"name": "Seats", "metric_key": key, "baseline": 0, "target": 100}]}))),
            );
            assert!(matches!(deleted.0, 204 | 409), "round {round}: {deleted:?}");
            assert!(matches!(linked.0, 201 | 409 | 422), "round {round}: {linked:?}");
            assert!(!(deleted.0 == 204 && linked.0 == 201), "round {round}: a plan links a deleted metric");
            if deleted.0 == 409 {
                assert_eq!(deleted.1["type"], "https://csapi.dev/problems/in-use");
            }
        }
    }
}

on_both_backends! {
    async fn the_last_admin_key_cannot_be_revoked(app: &TestApp) {
        let (_, keys) = app.send(ADMIN_KEY, Method::GET, "/v1/api-keys", None).await;
        let admin = keys["items"][0]["id"].as_str().unwrap().to_owned();
        let (status, problem) = app.send(ADMIN_KEY, Method::DELETE, &format!("/v1/api-keys/{admin}"), None).await;
        assert_eq!((status, problem["type"].as_str()), (409, Some("https://csapi.dev/problems/in-use")), "{problem}");
        let second = app.key("admin").await;
        let (status, _) = app.send(&second, Method::DELETE, &format!("/v1/api-keys/{admin}"), None).await;
        assert_eq!(status, 204, "with another admin key, the first may go");
        let (status, _) = app.send(ADMIN_KEY, Method::GET, "/v1/accounts", None).await;
        assert_eq!(status, 401);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_start_at_once_on_a_fresh_database() {
    let Some((name, url)) = crate::support::fresh_postgres_database().await else {
        return;
    };
    let starts = (0..3).map(|_| {
        let (url, name) = (url.clone(), name.clone());
        tokio::spawn(async move { TestApp::start_on_url(&url, name).await })
    });
    let replicas: Vec<TestApp> = join_all(starts)
        .await
        .into_iter()
        .map(|r| r.expect("every replica starts"))
        .collect();
    for r in &replicas {
        let res = r.anonymous(Method::GET, "/readyz").send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    let created = replicas[0].account(json!({"name": "Acme"})).await;
    let path = format!("/v1/accounts/{}", created["id"].as_str().unwrap());
    let (status, read) = replicas[2].send(ADMIN_KEY, Method::GET, &path, None).await;
    assert_eq!((status, &read["name"]), (200, &json!("Acme")));
    for r in replicas {
        r.finish().await;
    }
}

/// Runs the `csapi` binary on `db`; its stdout.
fn csapi(db: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_csapi"))
        .args(args)
        .env("DATABASE_URL", db)
        .output()
        .expect("running csapi");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn the_cli_issues_a_key_and_serve_warns_of_an_unapplied_bootstrap_key() {
    let path = std::env::temp_dir().join(format!("csapi-cli-{}.db", uuid::Uuid::new_v4().simple()));
    let db = format!("sqlite://{}", path.display());
    csapi(&db, &["workspace", "create", "--name", "acme"]);
    let out = csapi(
        &db,
        &["api-key", "create", "--workspace", "acme", "--role", "read"],
    );
    let secret = out.lines().last().unwrap().trim().to_owned();
    assert!(secret.starts_with("csk_"), "{out}");
    let store = csapi::store::Store::connect(&csapi::store::StoreConfig {
        url: db.clone(),
        pool_size: 1,
        acquire_timeout: std::time::Duration::from_secs(2),
    })
    .await
    .unwrap();
    let who = csapi::app::App::new(store)
        .authenticate(&secret)
        .await
        .unwrap();
    assert_eq!(who.role, csapi::domain::Role::Read);

    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_csapi"))
        .arg("serve")
        .env("DATABASE_URL", &db)
        .env("CSAPI_HTTP_ADDR", "127.0.0.1:0")
        .env("CSAPI_GRPC_ADDR", "127.0.0.1:0")
        .env("CSAPI_BOOTSTRAP_KEY", "csk_a_key_no_workspace_has_0001")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = serve.stderr.take().unwrap();
    let warned = std::thread::spawn(move || {
        use std::io::BufRead;
        std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.contains("CSAPI_BOOTSTRAP_KEY was not applied"))
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !warned.is_finished() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = serve.kill();
    let _ = serve.wait();
    let line = warned
        .join()
        .unwrap()
        .expect("serve warns of the unapplied key");
    assert!(
        line.contains("csapi api-key create --workspace default --role admin"),
        "{line}"
    );
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

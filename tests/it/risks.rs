//! Renewals and risk: a red account near its renewal is at risk until its
//! health recovers or the window says the renewal is far; people raise and
//! resolve risks, once each, however many try at once.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use csapi::grpc::pb;
use reqwest::Method;
use serde_json::{Value, json};
use tonic::Code;

use crate::support::{ADMIN_KEY, TestApp, authed, on_both_backends, problem_fields};

/// The day `days` from today (UTC, the workspace's default zone).
fn in_days(days: i64) -> String {
    (Utc::now().date_naive() + Duration::days(days)).to_string()
}

/// A set that rates the NPS alone: below 0 red, from 30 green.
async fn nps_watch(app: &TestApp) {
    let set = json!({"key": "renewal_watch", "label": "Renewal watch",
        "metrics": [{"metric": "survey_nps", "green_at": 30, "red_at": 0}]});
    let (status, body) = app
        .send(ADMIN_KEY, Method::POST, "/v1/metric-sets", Some(set))
        .await;
    assert_eq!(status, 201, "{body}");
}

/// `minutes_ago`, but not before the current quarter began (UTC, calendar
/// quarters: the workspace's defaults), so that the observation counts in
/// this quarter's health at whatever time the test runs.
fn this_quarter(minutes_ago: i64) -> DateTime<Utc> {
    let now = Utc::now();
    let start = NaiveDate::from_ymd_opt(now.year(), now.month0() / 3 * 3 + 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap()
        .and_utc();
    (now - Duration::minutes(minutes_ago)).max(start)
}

async fn survey(app: &TestApp, account: &str, minutes_ago: i64, nps: f64) {
    let at = this_quarter(minutes_ago).to_rfc3339();
    let rows = json!({"observations": [{"account_id": account, "metric": "survey_nps", "observed_at": at, "value": nps}]});
    let (status, body) = app
        .send(ADMIN_KEY, Method::POST, "/v1/observations", Some(rows))
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn risks_of(app: &TestApp, account: &str) -> Value {
    let path = format!("/v1/accounts/{account}/health?metric_set=renewal_watch");
    let (status, health) = app.send(ADMIN_KEY, Method::GET, &path, None).await;
    assert_eq!(status, 200, "{health}");
    health["risks"].clone()
}

fn kinds(risks: &Value) -> Vec<&str> {
    risks["derived"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect()
}

async fn window(app: &TestApp, days: i64) {
    let (status, body) = app
        .send(
            ADMIN_KEY,
            Method::PATCH,
            "/v1/workspace/settings",
            Some(json!({"renewal_window_days": days})),
        )
        .await;
    assert_eq!(
        (status, &body["renewal_window_days"]),
        (200, &json!(days)),
        "{body}"
    );
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

on_both_backends! {
    // Acme renews in 30 days; the window is 90. An NPS of −40 (below red_at
    // 0) scores 0: health 0, red, so the renewal is at risk. A window of 20
    // days puts the renewal beyond it; back at 90 the risk returns; a later
    // NPS of 100 makes the quarter's mean (−40 + 100) / 2 = 30, at green_at:
    // it scores 100, green, and the risk clears.
    async fn red_health_within_the_renewal_window_is_a_risk_until_it_recovers(app: &TestApp) {
        nps_watch(app).await;
        let renewal = in_days(30);
        let acme = id(&app.account(json!({"name": "Acme", "renewal_date": renewal, "original_arr": 100000, "current_arr": 90000})).await);
        survey(app, &acme, 60, -40.0).await;

        let risks = risks_of(app, &acme).await;
        assert_eq!(risks["renewal"], json!({"renewal_date": renewal, "days_to_renewal": 30, "window_days": 90, "near": true}));
        assert_eq!(risks["derived"], json!([{"kind": "health_near_renewal", "subject_id": null,
            "reason": format!("health is red on renewal_watch with the renewal on {renewal} (30 days away, window 90 days)")}]));
        assert_eq!(risks["open"], json!([]));

        window(app, 20).await;
        let risks = risks_of(app, &acme).await;
        assert_eq!((&risks["renewal"]["near"], kinds(&risks)), (&json!(false), vec![]), "30 days is beyond a 20-day window");
        window(app, 90).await;
        assert_eq!(kinds(&risks_of(app, &acme).await), ["health_near_renewal"]);

        survey(app, &acme, 1, 100.0).await;
        assert_eq!(kinds(&risks_of(app, &acme).await), Vec::<&str>::new(), "green health clears it");

        // A champion who left yesterday is a risk; one leaving tomorrow is not yet.
        for (name, left_on) in [("Ann", in_days(-1)), ("Bob", in_days(1))] {
            let body = json!({"name": name, "role": "champion", "left_on": left_on});
            let (status, s) = app.send(ADMIN_KEY, Method::POST, &format!("/v1/accounts/{acme}/stakeholders"), Some(body)).await;
            assert_eq!(status, 201, "{s}");
        }
        let risks = risks_of(app, &acme).await;
        assert_eq!(kinds(&risks), ["champion_left"]);
        assert_eq!(risks["derived"][0]["reason"], json!(format!("champion Ann left on {}", in_days(-1))));

        // arr_change is 90,000 − 100,000; days_to_renewal counts to the quarter's last day.
        let (_, health) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/accounts/{acme}/health"), None).await;
        let value = |key: &str| health["metrics"].as_array().unwrap().iter().find(|m| m["metric"] == key).unwrap()["value"].clone();
        assert_eq!(value("arr_change"), json!(-10000.0));
        assert!(value("days_to_renewal").as_f64().unwrap() <= 30.0, "{health}");
    }

    async fn raised_risks_are_resolved_once(app: &TestApp) {
        let acme = id(&app.account(json!({"name": "Acme", "renewal_date": in_days(45)})).await);
        let globex = id(&app.account(json!({"name": "Globex", "renewal_date": in_days(5)})).await);
        let initech = id(&app.account(json!({"name": "Initech"})).await);
        let path = format!("/v1/accounts/{acme}/risks");
        let (status, risk) = app.send(ADMIN_KEY, Method::POST, &path, Some(json!({"kind": "budget", "reason": "The CFO froze spend"}))).await;
        assert_eq!(status, 201, "{risk}");
        assert_eq!((&risk["kind"], &risk["reason"], &risk["resolved_at"], &risk["version"]), (&json!("budget"), &json!("The CFO froze spend"), &Value::Null, &json!(1)));
        assert!(risk["raised_by"].as_str().unwrap().starts_with("api_key:"), "{risk}");
        let risk_id = id(&risk);
        let (status, got) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/risks/{risk_id}"), None).await;
        assert_eq!((status, &got), (200, &risk));

        let (_, listed) = app.send(ADMIN_KEY, Method::GET, &path, None).await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
        let (_, team) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/accounts/{acme}/qbr"), None).await;
        assert_eq!((&team["risks"]["open"][0]["id"], &team["risks"]["renewal"]["days_to_renewal"]), (&risk["id"], &json!(45)), "{team}");
        let (_, customer) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/accounts/{acme}/qbr?audience=customer"), None).await;
        assert_eq!(customer["risks"], Value::Null, "the team's working notes");
        let (_, book) = app.send(ADMIN_KEY, Method::GET, "/v1/metric-sets/qbr_traditional/health?sort=renewal", None).await;
        let rows: Vec<(String, Value, Value)> = book["items"].as_array().unwrap().iter()
            .map(|r| (r["account_id"].as_str().unwrap().to_owned(), r["renewal"]["days_to_renewal"].clone(), r["open_risks"].clone())).collect();
        assert_eq!(rows, [(globex.clone(), json!(5), json!(0)), (acme.clone(), json!(45), json!(1)), (initech, Value::Null, json!(0))]);
        let (_, near) = app.send(ADMIN_KEY, Method::GET, "/v1/metric-sets/qbr_traditional/health?renewal_within_days=30", None).await;
        assert_eq!(near["items"].as_array().unwrap().iter().map(|r| r["account_id"].as_str().unwrap()).collect::<Vec<_>>(), [globex.as_str()]);
        assert_eq!(near["counts"]["no_data"], json!(1), "counts cover the accounts shown");
        let (_, renewing) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/accounts?renewal_from={}&renewal_to={}", in_days(10), in_days(60)), None).await;
        assert_eq!(renewing["items"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect::<Vec<_>>(), [acme.as_str()]);

        // Two people close it at once: one does, the other learns it was.
        let resolve_path = format!("/v1/risks/{risk_id}/resolve");
        let resolve = |by: &'static str| app.send(ADMIN_KEY, Method::POST, &resolve_path, Some(json!({"resolved_by": by, "resolution": "Budget approved"})));
        let (a, b) = tokio::join!(resolve("ann"), resolve("bob"));
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
        let resolved = if a.0 == 200 { a.1 } else { b.1 };
        assert_eq!((&resolved["version"], &resolved["resolution"]), (&json!(2), &json!("Budget approved")));
        assert!(resolved["resolved_at"].is_string());

        let count = |status: &'static str| {
            let path = format!("{path}?status={status}");
            async move {
                let (_, listed) = app.send(ADMIN_KEY, Method::GET, &path, None).await;
                listed["items"].as_array().map_or(0, Vec::len)
            }
        };
        assert_eq!((count("open").await, count("resolved").await, count("all").await), (0, 1, 1));
        let kinds: Vec<Value> = app.settled_feed("risk.*", 2).await.iter().map(|e| e["type"].clone()).collect();
        assert_eq!(kinds, [json!("risk.created"), json!("risk.updated")]);
    }

    async fn bad_risks_change_nothing(app: &TestApp) {
        let acme = id(&app.account(json!({"name": "Acme"})).await);
        let path = format!("/v1/accounts/{acme}/risks");
        for (body, fields) in [
            (json!({"kind": "doom", "reason": "x"}), vec!["kind"]),
            (json!({"kind": "budget", "reason": " ", "raised_by": ""}), vec!["raised_by", "reason"]),
            (json!({"kind": "budget", "reason": "x", "severity": "high"}), vec!["severity"]),
        ] {
            let (status, problem) = app.send(ADMIN_KEY, Method::POST, &path, Some(body.clone())).await;
            assert_eq!((status, problem_fields(&problem)), (422, fields.iter().map(|f| f.to_string()).collect::<Vec<_>>()), "{body}: {problem}");
        }
        let stranger = uuid::Uuid::now_v7();
        let (status, _) = app.send(ADMIN_KEY, Method::POST, &format!("/v1/accounts/{stranger}/risks"), Some(json!({"kind": "budget", "reason": "x"}))).await;
        assert_eq!(status, 404);
        let (status, _) = app.send(ADMIN_KEY, Method::POST, &format!("/v1/risks/{stranger}/resolve"), Some(json!({}))).await;
        assert_eq!(status, 404);
        let reader = app.key("read").await;
        let (status, _) = app.send(&reader, Method::POST, &path, Some(json!({"kind": "budget", "reason": "x"}))).await;
        assert_eq!(status, 403);
        let (status, problem) = app.send(ADMIN_KEY, Method::GET, &format!("{path}?status=closed"), None).await;
        assert_eq!((status, problem_fields(&problem)), (422, vec!["status".to_owned()]));
        for days in [0, 731] {
            let (status, problem) = app.send(ADMIN_KEY, Method::PATCH, "/v1/workspace/settings", Some(json!({"renewal_window_days": days}))).await;
            assert_eq!((status, problem_fields(&problem)), (422, vec!["renewal_window_days".to_owned()]), "{problem}");
        }
        let (status, problem) = app.send(ADMIN_KEY, Method::GET, "/v1/metric-sets/qbr_traditional/health?renewal_within_days=731", None).await;
        assert_eq!((status, problem_fields(&problem)), (422, vec!["renewal_within_days".to_owned()]), "{problem}");
        let (_, listed) = app.send(ADMIN_KEY, Method::GET, &format!("{path}?status=all"), None).await;
        assert_eq!(listed["items"], json!([]));

        // Deleting an account takes its risks with it.
        let (status, risk) = app.send(ADMIN_KEY, Method::POST, &path, Some(json!({"kind": "support", "reason": "Ticket backlog"}))).await;
        assert_eq!(status, 201, "{risk}");
        let (status, _) = app.send(ADMIN_KEY, Method::DELETE, &format!("/v1/accounts/{acme}"), None).await;
        assert_eq!(status, 204);
        let (status, _) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/risks/{}", id(&risk)), None).await;
        assert_eq!(status, 404);
    }


    async fn risks_over_grpc(app: &TestApp) {
        let acme = id(&app.account(json!({"name": "Acme", "renewal_date": in_days(10)})).await);
        let mut accounts = app.accounts_client().await;
        let risk = accounts.raise_risk(authed(ADMIN_KEY, pb::RaiseRiskRequest { account_id: acme.clone(),
            kind: "competitor".into(), reason: "Trialling a rival".into(), raised_by: Some("jane@example.com".into()) }))
            .await.unwrap().into_inner();
        assert_eq!((risk.kind.as_str(), risk.raised_by.as_str(), risk.version), ("competitor", "jane@example.com", 1));
        let got = accounts.get_risk(authed(ADMIN_KEY, pb::GetRiskRequest { id: risk.id.clone() })).await.unwrap().into_inner();
        assert_eq!(got, risk);
        let listed = accounts.list_risks(authed(ADMIN_KEY, pb::ListRisksRequest { account_id: acme.clone(), ..Default::default() }))
            .await.unwrap().into_inner();
        assert_eq!(listed.risks, std::slice::from_ref(&risk));

        let mut qbr = pb::qbr_service_client::QbrServiceClient::new(app.channel().await);
        let health = qbr.get_account_health(authed(ADMIN_KEY, pb::GetAccountHealthRequest { account_id: acme.clone(), ..Default::default() }))
            .await.unwrap().into_inner();
        let risks = health.risks.unwrap();
        let renewal = risks.renewal.unwrap();
        assert_eq!((renewal.days_to_renewal, renewal.window_days, renewal.near), (Some(10), 90, true));
        assert_eq!(risks.open, std::slice::from_ref(&risk));

        let resolve = pb::ResolveRiskRequest { id: risk.id.clone(), resolved_by: None, resolution: Some("Renewed".into()) };
        let resolved = accounts.resolve_risk(authed(ADMIN_KEY, resolve.clone())).await.unwrap().into_inner();
        assert_eq!((resolved.version, resolved.resolution.as_deref()), (2, Some("Renewed")));
        assert!(resolved.resolved_by.unwrap().starts_with("api_key:"));
        let again = accounts.resolve_risk(authed(ADMIN_KEY, resolve)).await.unwrap_err();
        assert_eq!(again.code(), Code::Aborted, "{again:?}");

        let bad = accounts.raise_risk(authed(ADMIN_KEY, pb::RaiseRiskRequest { account_id: "x".into(),
            kind: "doom".into(), reason: " ".into(), raised_by: None })).await.unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);
        for field in ["account_id", "kind", "reason"] {
            assert!(bad.message().contains(field), "{field}: {}", bad.message());
        }
        let portfolio = qbr.get_portfolio_health(authed(ADMIN_KEY, pb::GetPortfolioHealthRequest { metric_set: "qbr_traditional".into(),
            renewal_within_days: Some(10), sort: Some("renewal".into()), ..Default::default() })).await.unwrap().into_inner();
        assert_eq!(portfolio.accounts.iter().map(|r| (r.account_id.as_str(), r.open_risks)).collect::<Vec<_>>(), [(acme.as_str(), 0)]);
        let bad_sort = qbr.get_portfolio_health(authed(ADMIN_KEY, pb::GetPortfolioHealthRequest { metric_set: "qbr_traditional".into(),
            sort: Some("best".into()), ..Default::default() })).await.unwrap_err();
        assert_eq!(bad_sort.code(), Code::InvalidArgument);
    }
}

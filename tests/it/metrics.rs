//! Metrics, observations, metric sets, health and the QBR pack over REST and
//! gRPC, on both backends, with values worked out by hand.
//!
//! Acme became a customer on 2024-07-15 with an original ARR of 100,000. The
//! reviewed quarter is 2026-Q3 (1 July – 1 October 2026); with the built-in
//! `qbr_traditional` set:
//!
//! | metric             | agg  | 2025-Q4 | 2026-Q1 | 2026-Q2       | 2026-Q3                           |
//! |--------------------|------|---------|---------|---------------|-----------------------------------|
//! | logins             | sum  | 80      | –       | 40 + 60 = 100 | 100 (07-01 00:00) + 50 + 25 = 175 |
//! | survey_nps         | avg  | –       | –       | 0             | (40 + 20) / 2 = 30                |
//! | arr                | last | –       | –       | 105,000       | 110,000 then 120,000 → 120,000    |
//! | open_support_cases | last | –       | –       | –             | 3 then 6 → 6                      |
//! | paid_up            | last | –       | –       | –             | 0                                 |
//!
//! 999 logins at 2026-10-01 00:00 belong to Q4. Hence: logins change 75 (75 %);
//! NPS change 30, change % null (previous 0), score 100 green (at green_at 30),
//! attainment 30/50 = 0.6; arr change % 15,000/105,000 × 100 = 14.285714;
//! arr_growth 20 % → green; open cases (6 − 10)/(2 − 10) × 100 = 50 amber;
//! paid_up 0 = red_at → red; tenure 26 months (previous 23);
//! health (100 + 2·0 + 50 + 100)/5 = 50 → amber.
//! Globex (paid_up 1, nps 45 in Q3) scores (2·100 + 100)/3 = 100 → green, on 2 of
//! the 4 rated metrics (coverage 50 %, just enough for a colour).

use csapi::grpc::pb;
use csapi::grpc::pb::metric_service_client::MetricServiceClient;
use csapi::grpc::pb::qbr_service_client::QbrServiceClient;
use csapi::grpc::pb::workspace_service_client::WorkspaceServiceClient;
use reqwest::Method;
use serde_json::{Value, json};
use tonic::Code;

use crate::support::{ADMIN_KEY, TestApp, authed, on_both_backends, problem_fields};

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|v| (v - expected).abs() < 1e-9)
}

fn row(account: Value, metric: &str, at: &str, value: f64) -> Value {
    let mut r = json!({"metric": metric, "observed_at": at, "value": value});
    match account {
        Value::String(id) => r["account_id"] = json!(id),
        named => r["account_ref"] = named,
    }
    r
}

/// Acme and Globex with the observations of the table above; returns their ids.
async fn seed(app: &TestApp) -> (String, String) {
    let acme = app
        .account(
            json!({"name": "Acme", "segment": "enterprise", "customer_since": "2024-07-15",
            "original_arr": 100000, "current_arr": 120000, "renewal_date": "2026-12-31",
            "external_refs": [{"system": "salesforce", "id": "001ACME"}]}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let globex = app
        .account(json!({"name": "Globex", "segment": "smb"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_ref = json!({"system": "salesforce", "id": "001ACME"});
    let a = json!(acme);
    let mut rows = vec![
        row(by_ref.clone(), "logins", "2025-11-01T12:00:00Z", 80.0),
        row(by_ref.clone(), "logins", "2026-04-01T12:00:00Z", 40.0),
        row(by_ref.clone(), "logins", "2026-06-30T23:59:59Z", 60.0),
        row(by_ref.clone(), "logins", "2026-07-01T00:00:00Z", 100.0),
        row(by_ref.clone(), "logins", "2026-08-15T12:00:00Z", 999.0),
        row(by_ref, "logins", "2026-09-30T23:59:59Z", 25.0),
        row(a.clone(), "logins", "2026-10-01T00:00:00Z", 999.0),
        row(a.clone(), "survey_nps", "2026-05-05T12:00:00Z", 0.0),
        row(a.clone(), "survey_nps", "2026-07-10T12:00:00Z", 40.0),
        row(a.clone(), "survey_nps", "2026-09-01T12:00:00Z", 20.0),
        row(a.clone(), "arr", "2026-06-30T12:00:00Z", 105000.0),
        row(a.clone(), "arr", "2026-07-01T12:00:00Z", 110000.0),
        row(a.clone(), "arr", "2026-09-15T12:00:00Z", 120000.0),
        row(a.clone(), "open_support_cases", "2026-08-01T12:00:00Z", 3.0),
        row(a.clone(), "open_support_cases", "2026-09-20T12:00:00Z", 6.0),
        row(a, "paid_up", "2026-09-01T12:00:00Z", 0.0),
    ];
    rows.push(row(json!(globex), "paid_up", "2026-08-01T12:00:00Z", 1.0));
    rows.push(row(
        json!(globex),
        "survey_nps",
        "2026-08-02T12:00:00Z",
        45.0,
    ));
    let (status, written) = app
        .send(
            ADMIN_KEY,
            Method::POST,
            "/v1/observations",
            Some(json!({"observations": rows})),
        )
        .await;
    assert_eq!(
        (status, written["written"].as_u64()),
        (200, Some(18)),
        "{written}"
    );
    // Writing the same (account, metric, instant) again replaces the value.
    let fix = vec![row(json!(acme), "logins", "2026-08-15T12:00:00Z", 50.0)];
    let (status, _) = app
        .send(
            ADMIN_KEY,
            Method::POST,
            "/v1/observations",
            Some(json!({"observations": fix})),
        )
        .await;
    assert_eq!(status, 200);
    (acme, globex)
}

fn metric<'a>(section: &'a Value, key: &str) -> &'a Value {
    section["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == key)
        .unwrap_or_else(|| panic!("{key} in {section}"))
}

/// Checks the hand-worked quarter in a QBR section, its trend labelled `quarters`.
fn check_quarter(s: &Value, quarters: [&str; 4]) {
    let logins = metric(s, "logins");
    assert_eq!(
        (logins["value"].as_f64(), logins["previous"].as_f64()),
        (Some(175.0), Some(100.0))
    );
    assert_eq!(
        (logins["change"].as_f64(), logins["change_pct"].as_f64()),
        (Some(75.0), Some(75.0))
    );
    let trend: Vec<(String, Value)> = logins["trend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["quarter"].as_str().unwrap().to_owned(),
                t["value"].clone(),
            )
        })
        .collect();
    let expected: Vec<(String, Value)> = quarters
        .iter()
        .zip([json!(80.0), Value::Null, json!(100.0), json!(175.0)])
        .map(|(q, v)| (q.to_string(), v))
        .collect();
    assert_eq!(trend, expected);
    assert_eq!(logins["rag"], Value::Null, "no thresholds, no RAG");

    let nps = metric(s, "survey_nps");
    assert_eq!(
        (nps["value"].as_f64(), nps["previous"].as_f64()),
        (Some(30.0), Some(0.0))
    );
    assert_eq!(
        (nps["change"].as_f64(), &nps["change_pct"]),
        (Some(30.0), &Value::Null)
    );
    assert_eq!(
        (nps["normalised_score"].as_f64(), nps["rag"].as_str()),
        (Some(100.0), Some("green"))
    );
    assert!(close(&nps["attainment"], 0.6));

    let arr = metric(s, "arr");
    assert_eq!(
        (arr["value"].as_f64(), arr["change"].as_f64()),
        (Some(120000.0), Some(15000.0))
    );
    assert!(close(&arr["change_pct"], 14.285_714_285_714_286));
    let growth = metric(s, "arr_growth");
    assert_eq!(
        (&growth["value"], &growth["previous"]),
        (&json!(20.0), &json!(5.0))
    );
    assert_eq!(
        (growth["rag"].as_str(), growth["attainment"].as_f64()),
        (Some("green"), Some(1.0))
    );

    let cases = metric(s, "open_support_cases");
    assert_eq!(
        (cases["value"].as_f64(), cases["normalised_score"].as_f64()),
        (Some(6.0), Some(50.0))
    );
    assert_eq!(cases["rag"], "amber");
    assert!(close(&cases["attainment"], 2.0 / 6.0));
    let paid = metric(s, "paid_up");
    assert_eq!(
        (paid["normalised_score"].as_f64(), paid["rag"].as_str()),
        (Some(0.0), Some("red"))
    );
    let tenure = metric(s, "tenure_months");
    assert_eq!(
        (tenure["value"].as_f64(), tenure["previous"].as_f64()),
        (Some(26.0), Some(23.0))
    );
    // 120,000 now against 100,000 at signing; the renewal (2026-12-31) is 92
    // days after the quarter's last day (2026-09-30), 184 after Q2's.
    assert_eq!(metric(s, "arr_change")["value"].as_f64(), Some(20000.0));
    let renewal = metric(s, "days_to_renewal");
    assert_eq!(
        (renewal["value"].as_f64(), renewal["previous"].as_f64()),
        (Some(92.0), Some(184.0))
    );

    assert_eq!(
        s["health"],
        json!({"score": 50.0, "colour": "amber", "coverage": 100.0})
    );
    let missing: Vec<&str> = s["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["metric"].as_str().unwrap())
        .collect();
    assert_eq!(
        missing,
        ["renewals_count", "survey_csat", "page_views", "reports_run"]
    );
}

on_both_backends! {
    async fn the_hand_worked_qbr_over_rest(app: &TestApp) {
        let (acme, globex) = seed(app).await;
        let get = |path: String| async move { app.send(ADMIN_KEY, Method::GET, &path, None).await };

        let (status, qbr) = get(format!("/v1/accounts/{acme}/qbr?quarter=2026-Q3")).await;
        assert_eq!(status, 200, "{qbr}");
        assert_eq!((qbr["quarter"].as_str(), qbr["previous_quarter"].as_str()), (Some("2026-Q3"), Some("2026-Q2")));
        assert_eq!(qbr["period"], json!({"start": "2026-07-01T00:00:00Z", "end": "2026-10-01T00:00:00Z"}));
        check_quarter(&qbr["sections"][0], ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]);

        // The future view: derived metrics without data say why; with no
        // success plan, outcome attainment reports no data rather than zero.
        let (_, both) = get(format!("/v1/accounts/{acme}/qbr?quarter=2026-Q3&compare=qbr_traditional,qbr_future")).await;
        let keys: Vec<&str> = both["sections"].as_array().unwrap().iter().map(|s| s["metric_set"].as_str().unwrap()).collect();
        assert_eq!(keys, ["qbr_traditional", "qbr_future"]);
        let outcome = metric(&both["sections"][1], "outcome_attainment");
        assert_eq!((&outcome["value"], outcome["rag"].as_str()), (&Value::Null, Some("no_data")));
        assert_eq!(outcome["missing_reason"], "no active success plan by the end of the period");
        // No success captured in the quarter: 0 = red_at, the one rated metric
        // with data of eight (12.5 %): too little under the score for a colour.
        let captured = metric(&both["sections"][1], "successes_captured");
        assert_eq!((captured["value"].as_f64(), captured["rag"].as_str()), (Some(0.0), Some("red")));
        assert_eq!(both["sections"][1]["health"], json!({"score": 0.0, "colour": "insufficient_data", "coverage": 12.5}));

        // CSV: a header row, then one row per metric.
        let res = app.req(Method::GET, &format!("/v1/accounts/{acme}/qbr?quarter=2026-Q3")).header("accept", "text/csv").send().await.unwrap();
        assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
        assert_eq!(res.headers()["content-disposition"].to_str().unwrap(), format!("attachment; filename=\"qbr-2026-Q3-{acme}.csv\""));
        let csv = res.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        // The same header every quarter; `quarter` says which one `this_quarter` is.
        assert_eq!(lines[0], "account_id,account_name,account_refs,quarter,metric_set,metric,name,horizon,unit,this_quarter,previous_quarter,quarter_minus_2,quarter_minus_3,change,change_pct,target,attainment,weight,normalised_score,rag,observed_at,missing_reason");
        assert_eq!(lines.len(), 14);
        let logins = format!("{acme},Acme,salesforce:001ACME,2026-Q3,qbr_traditional,logins,Logins,traditional,count,175,100,,80,75,75,,,1,,,,");
        assert!(lines.contains(&logins.as_str()), "{csv}");

        // HTML: self-contained, with the health badge and a sparkline per metric.
        let res = app.req(Method::GET, &format!("/v1/accounts/{acme}/qbr?quarter=2026-Q3")).header("accept", "text/html").send().await.unwrap();
        assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
        let html = res.text().await.unwrap();
        assert!(html.starts_with("<!DOCTYPE html>") && html.contains("Health 50 · amber"));
        assert_eq!(html.matches("<svg class=\"spark\"").count(), 9, "one per metric with data");
        for external in ["<script", "src=", "href=", "@import", "url("] {
            assert!(!html.contains(external), "{external}");
        }
        let res = app.req(Method::GET, &format!("/v1/accounts/{acme}/qbr")).header("accept", "image/png").send().await.unwrap();
        assert_eq!(res.status(), 406);

        // Health quarter to date: as of the quarter's last second, the same numbers.
        let (_, health) = get(format!("/v1/accounts/{acme}/health?as_of=2026-09-30T23:59:59Z")).await;
        assert_eq!((health["quarter"].as_str(), &health["health"]), (Some("2026-Q3"), &json!({"score": 50.0, "colour": "amber", "coverage": 100.0})));
        assert_eq!(metric(&health, "logins")["value"].as_f64(), Some(175.0));
        // Against the same span of Q2, which is all of it (Q3 runs a day longer): NPS 0 → 0,
        // arr_growth 5 % → 100; paid_up and cases without data: (0 + 100) / 2 = 50 on 2 of 4.
        assert_eq!(health["previous"], json!({"period": {"start": "2026-04-01T00:00:00Z", "end": "2026-07-01T00:00:00Z"},
            "health": {"score": 50.0, "colour": "amber", "coverage": 50.0}}));
        let (_, early) = get(format!("/v1/accounts/{acme}/health?as_of=2026-08-01T00:00:00Z")).await;
        assert_eq!(metric(&early, "logins")["value"].as_f64(), Some(100.0), "only July so far");

        // Portfolio health: worst first, counts over all accounts.
        let (_, book) = get("/v1/metric-sets/qbr_traditional/health?quarter=2026-Q3".to_owned()).await;
        assert_eq!(book["counts"], json!({"green": 1, "amber": 1, "red": 0, "no_data": 0, "insufficient_data": 0}));
        let order: Vec<&str> = book["items"].as_array().unwrap().iter().map(|r| r["account_id"].as_str().unwrap()).collect();
        assert_eq!(order, [acme.as_str(), globex.as_str()]);
        assert_eq!(book["items"][1]["health"], json!({"score": 100.0, "colour": "green", "coverage": 50.0}));
        let (_, smb) = get("/v1/metric-sets/qbr_traditional/health?quarter=2026-Q3&segment=Smb&page_size=1".to_owned()).await;
        assert_eq!((smb["items"].as_array().unwrap().len(), &smb["next_page_token"]), (1, &Value::Null));

        // The same quarter with the fiscal year starting in April is FY2027-Q2.
        let (status, settings) = app.send(ADMIN_KEY, Method::PATCH, "/v1/workspace/settings", Some(json!({"fiscal_year_start_month": 4}))).await;
        assert_eq!((status, settings["fiscal_year_start_month"].as_u64()), (200, Some(4)));
        let (_, fiscal) = get(format!("/v1/accounts/{acme}/qbr?quarter=2027-Q2")).await;
        assert_eq!(fiscal["period"]["start"], "2026-07-01T00:00:00Z");
        check_quarter(&fiscal["sections"][0], ["2026-Q3", "2026-Q4", "2027-Q1", "2027-Q2"]);

        // Observations page by (account, metric, instant).
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let path = format!("/v1/observations?account_id={acme}&metric=logins&page_size=3{}", token.as_ref().map(|t| format!("&page_token={t}")).unwrap_or_default());
            let (_, page) = get(path).await;
            seen.extend(page["items"].as_array().unwrap().iter().map(|o| o["value"].as_f64().unwrap()));
            match page["next_page_token"].as_str() {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen, [80.0, 40.0, 60.0, 100.0, 50.0, 25.0, 999.0]);
        let (_, ranged) = get(format!("/v1/observations?account_id={acme}&from=2026-07-01T00:00:00Z&to=2026-10-01T00:00:00Z&metric=logins")).await;
        assert_eq!(ranged["items"].as_array().unwrap().len(), 3);
    }

    async fn the_same_use_cases_over_grpc(app: &TestApp) {
        let (acme, _) = seed(app).await;
        let channel = app.channel().await;
        let mut metrics = MetricServiceClient::new(channel.clone());
        let mut qbrs = QbrServiceClient::new(channel.clone());
        let mut workspace = WorkspaceServiceClient::new(channel);

        let defs = metrics.list_metric_definitions(authed(ADMIN_KEY, pb::ListMetricDefinitionsRequest {})).await.unwrap().into_inner();
        assert_eq!(defs.metric_definitions.len(), 22);
        let created = metrics.create_metric_definition(authed(ADMIN_KEY, pb::CreateMetricDefinitionRequest {
            metric_definition: Some(pb::MetricDefinition { key: "api_calls".into(), name: "API calls".into(), unit: "count".into(),
                aggregation: "sum".into(), direction: "higher_is_better".into(), category: "usage".into(), horizon: "future".into(), ..Default::default() }),
        })).await.unwrap().into_inner();
        assert_eq!((created.source.as_str(), created.built_in), ("observed", false));
        let got = metrics.get_metric_definition(authed(ADMIN_KEY, pb::GetMetricDefinitionRequest { key: "arr".into() })).await.unwrap().into_inner();
        assert_eq!((got.aggregation.as_str(), got.built_in), ("last", true));

        let row = |metric: &str, at: i64, value: f64| pb::ObservationInput {
            account: Some(pb::observation_input::Account::AccountRef(pb::ExternalRef { system: "salesforce".into(), id: "001ACME".into() })),
            metric: metric.into(), observed_at: Some(prost_types::Timestamp { seconds: at, nanos: 0 }), value,
        };
        // 2026-07-02 and 2026-07-03, 00:00 UTC.
        let written = metrics.write_observations(authed(ADMIN_KEY, pb::WriteObservationsRequest {
            observations: vec![row("api_calls", 1_782_950_400, 10.0), row("api_calls", 1_783_036_800, 5.0)], atomic: None,
        })).await.unwrap().into_inner();
        assert_eq!(written.written, 2);
        let partial = metrics.write_observations(authed(ADMIN_KEY, pb::WriteObservationsRequest {
            observations: vec![row("api_calls", 1_783_036_800, 7.0), row("api_calls", 1_783_036_800, -1.0)], atomic: Some(false),
        })).await.unwrap().into_inner();
        assert_eq!((partial.written, partial.rejected.len()), (1, 1));
        assert_eq!(partial.rejected[0].errors[0].field, "observations[1].value");
        let listed = metrics.list_observations(authed(ADMIN_KEY, pb::ListObservationsRequest {
            account_id: Some(acme.clone()), metric: Some("api_calls".into()), ..Default::default()
        })).await.unwrap().into_inner();
        let values: Vec<f64> = listed.observations.iter().map(|o| o.value).collect();
        assert_eq!(values, [10.0, 7.0]);

        let set = metrics.create_metric_set(authed(ADMIN_KEY, pb::CreateMetricSetRequest { metric_set: Some(pb::MetricSet {
            key: "usage".into(), label: "Usage".into(), metrics: vec![
                pb::SetMetric { metric: "api_calls".into(), target: Some(20.0), green_at: Some(20.0), red_at: Some(10.0), ..Default::default() },
                pb::SetMetric { metric: "logins".into(), weight: Some(3.0), ..Default::default() },
            ], ..Default::default() }) })).await.unwrap().into_inner();
        assert_eq!(set.metrics[0].weight, Some(1.0));
        let sets = metrics.list_metric_sets(authed(ADMIN_KEY, pb::ListMetricSetsRequest {})).await.unwrap().into_inner();
        assert_eq!(sets.metric_sets.iter().map(|s| s.key.as_str()).collect::<Vec<_>>(), ["qbr_traditional", "qbr_future", "usage"]);

        // api_calls in Q3: 10 + 7 = 17 → (17 − 10)/(20 − 10) × 100 = 70, amber; attainment 0.85.
        let qbr = qbrs.get_qbr(authed(ADMIN_KEY, pb::GetQbrRequest { account_id: acme.clone(), metric_sets: vec!["usage".into(), "qbr_traditional".into()], quarter: Some("2026-Q3".into()), audience: None })).await.unwrap().into_inner();
        let usage = &qbr.sections[0];
        let calls = usage.metrics[0].current.as_ref().unwrap();
        assert_eq!((calls.value, calls.normalised_score, calls.rag.as_deref()), (Some(17.0), Some(70.0), Some("amber")));
        assert!((calls.attainment.unwrap() - 0.85).abs() < 1e-9);
        assert_eq!(usage.health.as_ref().unwrap().score, Some(70.0));
        let traditional = qbr.sections[1].health.as_ref().unwrap();
        assert_eq!((traditional.score, traditional.colour.as_str()), (Some(50.0), "amber"));
        let logins = &qbr.sections[1].metrics.iter().find(|m| m.current.as_ref().unwrap().metric == "logins").unwrap();
        assert_eq!((logins.previous, logins.change_pct), (Some(100.0), Some(75.0)));

        let health = qbrs.get_account_health(authed(ADMIN_KEY, pb::GetAccountHealthRequest { account_id: acme.clone(), metric_set: String::new(),
            as_of: Some(prost_types::Timestamp { seconds: 1_790_812_799, nanos: 0 }) })).await.unwrap().into_inner();
        assert_eq!((health.quarter.as_str(), health.health.unwrap().score), ("2026-Q3", Some(50.0)));
        assert_eq!((health.previous_health.unwrap().score, health.previous_end.map(|t| t.seconds)), (Some(50.0), Some(1_782_864_000)), "all of Q2");
        let book = qbrs.get_portfolio_health(authed(ADMIN_KEY, pb::GetPortfolioHealthRequest { metric_set: "qbr_traditional".into(), quarter: Some("2026-Q3".into()), ..Default::default() })).await.unwrap().into_inner();
        let counts = book.counts.unwrap();
        assert_eq!((counts.green, counts.amber, book.accounts[0].account_id.as_str()), (1, 1, acme.as_str()));

        let updated = metrics.update_metric_set(authed(ADMIN_KEY, pb::UpdateMetricSetRequest { key: "usage".into(), metric_set: Some(pb::MetricSet {
            key: "usage".into(), label: "Usage v2".into(), metrics: vec![pb::SetMetric { metric: "logins".into(), ..Default::default() }], ..Default::default() }) })).await.unwrap().into_inner();
        assert_eq!(updated.label, "Usage v2");
        metrics.delete_metric_set(authed(ADMIN_KEY, pb::DeleteMetricSetRequest { key: "usage".into(), ..Default::default() })).await.unwrap();
        metrics.delete_metric_definition(authed(ADMIN_KEY, pb::DeleteMetricDefinitionRequest { key: "api_calls".into(), ..Default::default() })).await.unwrap();
        let gone = metrics.list_observations(authed(ADMIN_KEY, pb::ListObservationsRequest { metric: Some("api_calls".into()), ..Default::default() })).await.unwrap().into_inner();
        assert!(gone.observations.is_empty(), "a deleted metric takes its observations");

        let settings = workspace.update_workspace_settings(authed(ADMIN_KEY, pb::UpdateWorkspaceSettingsRequest {
            settings: Some(pb::WorkspaceSettings { fiscal_year_start_month: 4, ..Default::default() }), update_mask: None })).await.unwrap().into_inner();
        assert_eq!(settings.fiscal_year_start_month, 4);
        let bad = workspace.update_workspace_settings(authed(ADMIN_KEY, pb::UpdateWorkspaceSettingsRequest {
            settings: Some(pb::WorkspaceSettings { fiscal_year_start_month: 13, ..Default::default() }), update_mask: None })).await.unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);
        let now = workspace.get_workspace_settings(authed(ADMIN_KEY, pb::GetWorkspaceSettingsRequest {})).await.unwrap().into_inner();
        assert_eq!(now.fiscal_year_start_month, 4);
        let fiscal = qbrs.get_qbr(authed(ADMIN_KEY, pb::GetQbrRequest { account_id: acme, metric_sets: vec![], quarter: Some("2027-Q2".into()), audience: None })).await.unwrap().into_inner();
        assert_eq!(fiscal.period_start.unwrap().seconds, 1_782_864_000, "2026-07-01");
        assert_eq!(fiscal.sections[0].health.as_ref().unwrap().score, Some(50.0));
    }

    // 2026-Q4 has no observation of a stock metric. As of 2026-11-01, Acme's
    // levels carry from Q3: arr 120,000 (2026-09-15) → arr_growth 20 % → 100;
    // paid_up 0 → 0 (weight 2); open cases 6 → 50; NPS the last survey, 20
    // (2026-09-01) → 20 / 30 × 100 = 66.67. Health (100 + 0 + 50 + 66.67) / 5
    // = 43.33, amber, on all 4 rated metrics. Logins, a flow, count Q4's own
    // 999 only. Globex answers an NPS of −40 on 2026-10-15, on its own scale
    // (−100 to 100): below red_at 0, so 0 and red; with paid_up 1 carried,
    // health (2·100 + 0) / 3 = 66.67, amber, on 2 of 4 (coverage 50).
    async fn stock_metrics_carry_their_last_level_and_nps_keeps_its_scale(app: &TestApp) {
        let (acme, globex) = seed(app).await;
        let nps = vec![row(json!(globex), "survey_nps", "2026-10-15T09:00:00Z", -40.0)];
        let (status, _) = app.send(ADMIN_KEY, Method::POST, "/v1/observations", Some(json!({"observations": nps}))).await;
        assert_eq!(status, 200);
        let beyond = vec![row(json!(globex), "survey_nps", "2026-10-16T09:00:00Z", -101.0)];
        let (status, problem) = app.send(ADMIN_KEY, Method::POST, "/v1/observations", Some(json!({"observations": beyond}))).await;
        assert_eq!((status, problem_fields(&problem)), (422, vec!["observations[0].value".to_owned()]), "{problem}");

        let (status, health) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/accounts/{acme}/health?as_of=2026-11-01"), None).await;
        assert_eq!((status, health["quarter"].as_str()), (200, Some("2026-Q4")), "{health}");
        let arr = metric(&health, "arr");
        assert_eq!((arr["value"].as_f64(), arr["observed_at"].as_str(), &arr["carried_forward"]), (Some(120000.0), Some("2026-09-15T12:00:00Z"), &json!(true)));
        let survey = metric(&health, "survey_nps");
        assert_eq!((survey["value"].as_f64(), survey["observed_at"].as_str()), (Some(20.0), Some("2026-09-01T12:00:00Z")));
        assert!(close(&survey["normalised_score"], 200.0 / 3.0));
        assert_eq!(metric(&health, "open_support_cases")["value"].as_f64(), Some(6.0));
        assert_eq!(metric(&health, "arr_growth")["value"].as_f64(), Some(20.0));
        let logins = metric(&health, "logins");
        assert_eq!((logins["value"].as_f64(), &logins["observed_at"], &logins["carried_forward"]), (Some(999.0), &Value::Null, &json!(false)));
        assert!(close(&health["health"]["score"], 130.0 / 3.0));
        assert_eq!((health["health"]["colour"].as_str(), health["health"]["coverage"].as_f64()), (Some("amber"), Some(100.0)));

        let (_, theirs) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/accounts/{globex}/health?as_of=2026-11-01"), None).await;
        let survey = metric(&theirs, "survey_nps");
        assert_eq!((survey["value"].as_f64(), survey["normalised_score"].as_f64(), survey["rag"].as_str()), (Some(-40.0), Some(0.0), Some("red")));
        assert_eq!((&survey["observed_at"], &survey["carried_forward"]), (&json!("2026-10-15T09:00:00Z"), &json!(false)));
        assert!(close(&theirs["health"]["score"], 200.0 / 3.0));

        // The book's health of the whole quarter carries the same levels.
        let (_, book) = app.send(ADMIN_KEY, Method::GET, "/v1/metric-sets/qbr_traditional/health?quarter=2026-Q4", None).await;
        assert_eq!(book["counts"], json!({"green": 0, "amber": 2, "red": 0, "no_data": 0, "insufficient_data": 0}));
        let scores: Vec<(&str, f64)> = book["items"].as_array().unwrap().iter().map(|r| (r["account_id"].as_str().unwrap(), r["health"]["score"].as_f64().unwrap())).collect();
        assert_eq!(scores.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [acme.as_str(), globex.as_str()]);
        assert!((scores[0].1 - 130.0 / 3.0).abs() < 1e-9 && (scores[1].1 - 200.0 / 3.0).abs() < 1e-9, "{scores:?}");

        // The pack says so in words: the NPS as surveyed, a carried level as last known.
        let res = app.req(Method::GET, &format!("/v1/accounts/{globex}/qbr?quarter=2026-Q4")).header("accept", "text/html").send().await.unwrap();
        let html = res.text().await.unwrap();
        assert!(html.contains("<td class=\"num\">-40</td>"), "{html}");
        assert!(html.contains("yes<br><span class=\"none\">last known, 1 Aug 2026</span>"), "{html}");

        // gRPC says the same, and a custom metric takes its aggregation's kind.
        let channel = app.channel().await;
        let mut qbrs = QbrServiceClient::new(channel.clone());
        let mut metrics = MetricServiceClient::new(channel);
        let health = qbrs.get_account_health(authed(ADMIN_KEY, pb::GetAccountHealthRequest { account_id: acme, metric_set: String::new(),
            as_of: Some(prost_types::Timestamp { seconds: 1_793_491_200, nanos: 0 }) })).await.unwrap().into_inner();
        let arr = health.metrics.iter().find(|m| m.metric == "arr").unwrap();
        assert_eq!((arr.value, arr.observed_at.as_ref().map(|t| t.seconds), arr.carried_forward), (Some(120000.0), Some(1_789_473_600), true));
        let custom = |key: &str, aggregation: &str, kind: &str| pb::CreateMetricDefinitionRequest {
            metric_definition: Some(pb::MetricDefinition { key: key.into(), name: key.into(), unit: "count".into(), aggregation: aggregation.into(),
                kind: kind.into(), direction: "higher_is_better".into(), category: "usage".into(), horizon: "future".into(), ..Default::default() }),
        };
        let seats = metrics.create_metric_definition(authed(ADMIN_KEY, custom("seats", "last", ""))).await.unwrap().into_inner();
        let peak = metrics.create_metric_definition(authed(ADMIN_KEY, custom("peak_users", "max", "stock"))).await.unwrap().into_inner();
        assert_eq!((seats.kind.as_str(), peak.kind.as_str()), ("stock", "stock"));
        let bad = metrics.create_metric_definition(authed(ADMIN_KEY, custom("calls", "sum", "level"))).await.unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);
        let (status, def) = app.send(ADMIN_KEY, Method::POST, "/v1/metric-definitions", Some(json!({"key": "api_calls", "name": "API calls",
            "unit": "count", "aggregation": "sum", "direction": "higher_is_better", "category": "usage", "horizon": "future"}))).await;
        assert_eq!((status, def["kind"].as_str()), (201, Some("flow")), "{def}");
        let (_, builtin) = app.send(ADMIN_KEY, Method::GET, "/v1/metric-definitions/survey_nps", None).await;
        assert_eq!(builtin["kind"], "stock");
    }

    // Today's quarter, whatever today is (UTC): 10 logins on its first day;
    // the previous quarter 5 on its first day and, when the quarter so far
    // is shorter than the previous one, 100 just after the same elapsed span.
    // To date: 10 against 5 (+100 %), the whole previous quarter 5 or 105.
    async fn a_running_quarter_is_compared_like_for_like_over_rest(app: &TestApp) {
        use chrono::{Datelike, Duration, NaiveDate, Utc};
        let acme = app.account(json!({"name": "Acme"})).await["id"].as_str().unwrap().to_owned();
        let today = Utc::now().date_naive();
        let first_month = (today.month0() / 3) * 3 + 1;
        let start = NaiveDate::from_ymd_opt(today.year(), first_month, 1).unwrap();
        let previous = start.checked_sub_months(chrono::Months::new(3)).unwrap();
        let tomorrow = today + Duration::days(1);
        let span_end = (previous + (tomorrow - start)).min(start);
        let noon = |d: NaiveDate| format!("{d}T12:00:00Z");
        let mut rows = vec![row(json!(acme), "logins", &noon(start), 10.0), row(json!(acme), "logins", &noon(previous), 5.0)];
        let after_span = span_end < start;
        if after_span {
            rows.push(row(json!(acme), "logins", &noon(span_end), 100.0));
        }
        let (status, _) = app.send(ADMIN_KEY, Method::POST, "/v1/observations", Some(json!({"observations": rows}))).await;
        assert_eq!(status, 200);

        let (status, qbr) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/accounts/{acme}/qbr"), None).await;
        assert_eq!(status, 200, "{qbr}");
        let midnight = |d: NaiveDate| format!("{d}T00:00:00Z");
        // On a quarter's last day it has run its course: whole against whole.
        let running = tomorrow < start.checked_add_months(chrono::Months::new(3)).unwrap();
        let basis = if running { "same_span_of_previous_quarter" } else { "previous_quarter" };
        assert_eq!(qbr["compared_with"], json!({
            "basis": basis,
            "reviewed": {"start": midnight(start), "end": midnight(tomorrow)},
            "previous": {"start": midnight(previous), "end": midnight(span_end)},
        }));
        let logins = metric(&qbr["sections"][0], "logins");
        let whole = if after_span { 105.0 } else { 5.0 };
        assert_eq!(
            (logins["value"].as_f64(), logins["previous"].as_f64(), logins["change_pct"].as_f64(), logins["previous_full_quarter"].as_f64()),
            (Some(10.0), Some(5.0), Some(100.0), Some(whole))
        );
        let res = app.req(Method::GET, &format!("/v1/accounts/{acme}/qbr")).header("accept", "text/html").send().await.unwrap();
        let html = res.text().await.unwrap();
        assert_eq!(html.contains("Quarter to date") && html.contains("Same span of previous quarter"), running, "{html}");
    }

    async fn bad_input_names_rows_and_fields_and_writes_nothing(app: &TestApp) {
        let (acme, _) = seed(app).await;
        let count = || async { app.send(ADMIN_KEY, Method::GET, "/v1/observations?page_size=1000", None).await.1["items"].as_array().unwrap().len() };
        let before = count().await;
        let a = json!(acme);
        let rows = json!([
            row(a.clone(), "active_users_pct", "2026-08-01T00:00:00Z", 101.0),
            row(a.clone(), "paid_up", "2026-08-01T00:00:00Z", 0.5),
            row(a.clone(), "logins", "2026-08-01T00:00:00Z", -3.0),
            row(a.clone(), "nope", "2026-08-01T00:00:00Z", 1.0),
            row(json!({"system": "salesforce", "id": "missing"}), "logins", "2026-08-01T00:00:00Z", 1.0),
            row(json!("0190b6f8-0000-7000-8000-000000000000"), "logins", "2026-08-01T00:00:00Z", 1.0),
            row(a.clone(), "tenure_months", "2026-08-01T00:00:00Z", 3.0),
            row(a.clone(), "logins", "2099-01-01T00:00:00Z", 1.0),
            {"account_id": acme, "account_ref": {"system": "salesforce", "id": "001ACME"}, "metric": "logins", "observed_at": "2026-08-01T00:00:00Z", "value": 1},
            {"metric": "logins", "observed_at": "yesterday", "value": "many"},
            row(a.clone(), "logins", "2026-08-02T00:00:00Z", 5.0),
            row(a.clone(), "active_users_pct", "2026-08-01T00:00:00Z", 0.82),
        ]);
        let (status, problem) = app.send(ADMIN_KEY, Method::POST, "/v1/observations", Some(json!({"observations": rows}))).await;
        assert_eq!(status, 422, "{problem}");
        let fraction = problem["errors"].as_array().unwrap().iter().find(|e| e["field"] == "observations[11].value").unwrap();
        assert_eq!(fraction["message"], "must be a percent from 0 to 100 (82 for 82 %), not a fraction from 0 to 1 (unit percent)");
        assert_eq!(problem_fields(&problem), [
            "observations[0].value", "observations[11].value", "observations[1].value", "observations[2].value", "observations[3].metric",
            "observations[4].account_ref", "observations[5].account_id", "observations[6].metric",
            "observations[7].observed_at", "observations[8].account_ref", "observations[9].account_id",
            "observations[9].observed_at", "observations[9].value",
        ]);
        assert_eq!(count().await, before, "an atomic batch with bad rows writes nothing");

        let too_many: Vec<Value> = (0..10_001).map(|i| row(a.clone(), "logins", &format!("2026-01-01T00:00:{:02}Z", i % 60), 1.0)).collect();
        let (status, problem) = app.send(ADMIN_KEY, Method::POST, "/v1/observations", Some(json!({"observations": too_many}))).await;
        assert_eq!((status, problem_fields(&problem)), (422, vec!["observations".to_owned()]));
        let (status, problem) = app.send(ADMIN_KEY, Method::POST, "/v1/observations", Some(json!({"observations": []}))).await;
        assert_eq!((status, problem_fields(&problem)), (422, vec!["observations".to_owned()]));

        let (status, partial) = app.send(ADMIN_KEY, Method::POST, "/v1/observations", Some(json!({"atomic": false, "observations": [
            row(a.clone(), "logins", "2026-08-03T00:00:00Z", 5.0), row(a.clone(), "paid_up", "2026-08-03T00:00:00Z", 2.0)]}))).await;
        assert_eq!((status, partial["written"].as_u64()), (200, Some(1)));
        assert_eq!(partial["rejected"], json!([{"row": 1, "errors": [{"field": "observations[1].value", "message": "must be 0 or 1 (unit boolean)"}]}]));

        for (path, field) in [
            (format!("/v1/accounts/{acme}/qbr?quarter=2026-Q5"), "quarter"),
            (format!("/v1/accounts/{acme}/qbr?quarter=26-Q1"), "quarter"),
            (format!("/v1/accounts/{acme}/qbr?metric_set=qbr_future&compare=qbr_future"), "compare"),
            (format!("/v1/accounts/{acme}/qbr?compare=a,b,c,d,e"), "compare"),
            ("/v1/metric-sets/qbr_future/health?quarter=2026-3".to_owned(), "quarter"),
            // Years RFC 3339 could not write a period of (with any fiscal start).
            (format!("/v1/accounts/{acme}/qbr?quarter=0000-Q1"), "quarter"),
            ("/v1/metric-sets/qbr_future/health?quarter=9999-Q4".to_owned(), "quarter"),
            (format!("/v1/accounts/{acme}/health?as_of=0500-01-01T00:00:00Z"), "as_of"),
            (format!("/v1/observations?from=2026-09-01T00:00:00Z&to=2026-08-01T00:00:00Z&account_id={acme}"), "to"),
            ("/v1/observations?page_token=abc".to_owned(), "page_token"),
        ] {
            let (status, problem) = app.send(ADMIN_KEY, Method::GET, &path, None).await;
            assert_eq!((status, problem_fields(&problem)), (422, vec![field.to_owned()]), "{path}: {problem}");
        }

        let (status, problem) = app.send(ADMIN_KEY, Method::POST, "/v1/metric-sets", Some(json!({"key": "Bad", "label": " ", "metrics": [
            {"metric": "nope"}, {"metric": "arr", "green_at": 5, "red_at": 5}, {"metric": "open_support_cases", "green_at": 10, "red_at": 2},
            {"metric": "logins", "weight": 0, "green_at": 1}]}))).await;
        assert_eq!(status, 422);
        assert_eq!(problem_fields(&problem), ["key", "label", "metrics[0].metric", "metrics[1].green_at", "metrics[2].green_at", "metrics[3].red_at", "metrics[3].weight"]);
        let (status, problem) = app.send(ADMIN_KEY, Method::POST, "/v1/metric-definitions", Some(json!({"key": "api", "name": "API",
            "unit": "litres", "aggregation": "sum", "direction": "up", "category": "usage", "horizon": "future"}))).await;
        assert_eq!((status, problem_fields(&problem)), (422, vec!["direction".to_owned(), "unit".to_owned()]));
        let (status, problem) = app.send(ADMIN_KEY, Method::POST, "/v1/metric-definitions", Some(json!({"key": "9x", "name": "",
            "description": "x".repeat(2001), "unit": "count", "aggregation": "sum", "direction": "higher_is_better",
            "category": "usage", "horizon": "future"}))).await;
        assert_eq!((status, problem_fields(&problem)), (422, vec!["description".to_owned(), "key".to_owned(), "name".to_owned()]));
        let (status, problem) = app.send(ADMIN_KEY, Method::PATCH, "/v1/workspace/settings", Some(json!({"fiscal_year_start_month": 0}))).await;
        assert_eq!((status, problem_fields(&problem)), (422, vec!["fiscal_year_start_month".to_owned()]));
        let (_, sets) = app.send(ADMIN_KEY, Method::GET, "/v1/metric-sets", None).await;
        assert_eq!(sets["items"].as_array().unwrap().len(), 2, "nothing stored");
    }

    async fn other_workspaces_see_nothing_and_roles_hold(app: &TestApp) {
        let (acme, _) = seed(app).await;
        let (status, _) = app.send(ADMIN_KEY, Method::POST, "/v1/metric-definitions", Some(json!({"key": "api_calls", "name": "API calls",
            "unit": "count", "aggregation": "sum", "direction": "higher_is_better", "category": "usage", "horizon": "future"}))).await;
        assert_eq!(status, 201);
        let (status, _) = app.send(ADMIN_KEY, Method::POST, "/v1/metric-sets", Some(json!({"key": "usage", "label": "Usage", "metrics": [{"metric": "api_calls"}]}))).await;
        assert_eq!(status, 201);
        let stranger = app.other_workspace("elsewhere").await;
        for (method, path) in [
            (Method::GET, format!("/v1/accounts/{acme}/qbr")),
            (Method::GET, format!("/v1/accounts/{acme}/health")),
            (Method::GET, "/v1/metric-definitions/api_calls".to_owned()),
            (Method::DELETE, "/v1/metric-definitions/api_calls".to_owned()),
            (Method::GET, "/v1/metric-sets/usage".to_owned()),
            (Method::DELETE, "/v1/metric-sets/usage".to_owned()),
            (Method::GET, "/v1/metric-sets/usage/health".to_owned()),
            (Method::GET, format!("/v1/observations?account_id={acme}")),
        ] {
            let (status, _) = app.send(&stranger, method.clone(), &path, None).await;
            assert_eq!(status, 404, "{method} {path}");
        }
        let (_, theirs) = app.send(&stranger, Method::GET, "/v1/observations", None).await;
        assert_eq!(theirs["items"], json!([]));
        let (_, book) = app.send(&stranger, Method::GET, "/v1/metric-sets/qbr_traditional/health", None).await;
        assert_eq!(book["counts"], json!({"green": 0, "amber": 0, "red": 0, "no_data": 0, "insufficient_data": 0}));
        let (status, problem) = app.send(&stranger, Method::POST, "/v1/observations", Some(json!({"observations": [
            row(json!(acme), "logins", "2026-08-01T00:00:00Z", 1.0), row(json!({"system": "salesforce", "id": "001ACME"}), "logins", "2026-08-01T00:00:00Z", 1.0)]}))).await;
        assert_eq!((status, problem_fields(&problem)), (422, vec!["observations[0].account_id".to_owned(), "observations[1].account_ref".to_owned()]));
        let mut grpc = QbrServiceClient::new(app.channel().await);
        let err = grpc.get_qbr(authed(&stranger, pb::GetQbrRequest { account_id: acme.clone(), ..Default::default() })).await.unwrap_err();
        assert_eq!(err.code(), Code::NotFound);

        let read = app.key("read").await;
        let write = app.key("write").await;
        let obs = json!({"observations": [row(json!(acme), "logins", "2026-08-01T00:00:00Z", 1.0)]});
        let set = json!({"key": "mine", "label": "Mine", "metrics": [{"metric": "arr"}]});
        let metric = json!({"key": "x", "name": "X", "unit": "count", "aggregation": "sum", "direction": "higher_is_better", "category": "usage", "horizon": "future"});
        for (key, method, path, body) in [
            (&read, Method::POST, "/v1/observations", obs.clone()),
            (&write, Method::POST, "/v1/metric-sets", set.clone()),
            (&write, Method::POST, "/v1/metric-definitions", metric),
            (&write, Method::PUT, "/v1/metric-sets/usage", set.clone()),
            (&write, Method::PATCH, "/v1/workspace/settings", json!({"fiscal_year_start_month": 2})),
        ] {
            let (status, _) = app.send(key, method.clone(), path, Some(body)).await;
            assert_eq!(status, 403, "{method} {path}");
        }
        let (status, _) = app.send(&write, Method::POST, "/v1/observations", Some(obs)).await;
        assert_eq!(status, 200);
        let (status, _) = app.send(&read, Method::GET, &format!("/v1/accounts/{acme}/qbr"), None).await;
        assert_eq!(status, 200);
        for (method, path) in [(Method::DELETE, "/v1/metric-sets/qbr_future"), (Method::DELETE, "/v1/metric-definitions/arr")] {
            let (status, _) = app.send(ADMIN_KEY, method, path, None).await;
            assert_eq!(status, 403, "{path}");
        }
        let (status, _) = app.send(ADMIN_KEY, Method::PUT, "/v1/metric-sets/qbr_future", Some(json!({"key": "qbr_future", "label": "X", "metrics": [{"metric": "arr"}]}))).await;
        assert_eq!(status, 403);
        let (status, _) = app.send(ADMIN_KEY, Method::DELETE, "/v1/metric-definitions/api_calls", None).await;
        assert_eq!(status, 409, "the usage set still uses it");

        // The catalogue reads and the custom lifecycle over REST.
        let (_, defs) = app.send(&read, Method::GET, "/v1/metric-definitions", None).await;
        let keys: Vec<&str> = defs["items"].as_array().unwrap().iter().map(|d| d["key"].as_str().unwrap()).collect();
        assert_eq!((keys.len(), keys[0], keys[22]), (23, "tenure_months", "api_calls"));
        let (_, arr) = app.send(&read, Method::GET, "/v1/metric-definitions/arr", None).await;
        assert_eq!((arr["aggregation"].as_str(), arr["built_in"].as_bool()), (Some("last"), Some(true)));
        let (_, sets) = app.send(&read, Method::GET, "/v1/metric-sets", None).await;
        assert_eq!(sets["items"].as_array().unwrap().len(), 3);
        let (_, future) = app.send(&read, Method::GET, "/v1/metric-sets/qbr_future", None).await;
        assert_eq!(future["metrics"].as_array().unwrap().len(), 9);
        let (status, usage) = app.send(ADMIN_KEY, Method::PUT, "/v1/metric-sets/usage", Some(json!({"key": "usage", "label": "Usage v2", "metrics": [{"metric": "logins", "weight": 2}]}))).await;
        assert_eq!((status, usage["label"].as_str(), usage["metrics"][0]["weight"].as_f64()), (200, Some("Usage v2"), Some(2.0)));
        let (_, settings) = app.send(&read, Method::GET, "/v1/workspace/settings", None).await;
        assert_eq!(settings, json!({"fiscal_year_start_month": 1, "time_zone": "UTC", "rate_limit": null,
            "influence": {"buyer_and_sponsor": 3.0, "champion": 2.0, "others": 1.0, "purchase_multiplier": 1.5}, "renewal_window_days": 90, "etag": "\"1\""}));
        for path in ["/v1/metric-definitions/api_calls", "/v1/metric-sets/usage"] {
            let (status, _) = app.send(ADMIN_KEY, Method::GET, path, None).await;
            assert_eq!(status, 200, "{path}");
        }
        let (status, _) = app.send(ADMIN_KEY, Method::DELETE, "/v1/metric-sets/usage", None).await;
        assert_eq!(status, 204);
        let (status, _) = app.send(ADMIN_KEY, Method::DELETE, "/v1/metric-definitions/api_calls", None).await;
        assert_eq!(status, 204);
        let (status, _) = app.send(ADMIN_KEY, Method::GET, "/v1/metric-definitions/api_calls", None).await;
        assert_eq!(status, 404);
    }

    async fn overlapping_batches_at_once_all_land_and_the_last_wins_every_row(app: &TestApp) {
        let mut accounts = Vec::new();
        for name in ["One", "Two", "Three"] {
            accounts.push(app.account(json!({"name": name})).await["id"].as_str().unwrap().to_owned());
        }
        // Six batches over the same 300 keys, each in its own order, each with its own value.
        let batch = |n: usize| {
            let mut rows = Vec::new();
            for day in 0..100 {
                for a in &accounts {
                    rows.push(json!({"account_id": a, "metric": "logins", "observed_at": format!("2026-01-01T{:02}:{:02}:00Z", day / 60, day % 60), "value": n as f64}));
                }
            }
            rows.rotate_left(n * 37);
            if n % 2 == 1 {
                rows.reverse();
            }
            json!({"observations": rows})
        };
        let sent = futures_util::future::join_all((1..=6).map(|n| {
            let body = batch(n);
            async move { app.send(ADMIN_KEY, Method::POST, "/v1/observations", Some(body)).await }
        }))
        .await;
        for (status, answer) in &sent {
            assert_eq!(*status, 200, "{answer}");
            assert_eq!(answer["written"], 300);
        }
        let mut values = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let path = format!("/v1/observations?metric=logins&page_size=200{}", token.as_ref().map(|t| format!("&page_token={t}")).unwrap_or_default());
            let (status, page) = app.send(ADMIN_KEY, Method::GET, &path, None).await;
            assert_eq!(status, 200);
            values.extend(page["items"].as_array().unwrap().iter().map(|o| o["value"].as_f64().unwrap()));
            match page["next_page_token"].as_str() {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        assert_eq!(values.len(), 300);
        assert!((1.0..=6.0).contains(&values[0]));
        assert!(values.iter().all(|v| *v == values[0]), "one batch committed last, over every row");
    }
}

on_both_backends! {
    // An unactivated executive sponsor (directionless, weight 3) and a
    // committed user (weight 1): alignment 1 / (3 + 1) = 25 %, not the 50 %
    // a head count gives. With the user in the purchase (1 × 1.5):
    // 1.5 / (3 + 1.5) = 33.33 %.
    async fn stakeholder_alignment_weighs_people_by_influence(app: &TestApp) {
        let acme = app.account(json!({"name": "Acme"})).await["id"].as_str().unwrap().to_owned();
        let mut ids = Vec::new();
        for (name, role, purpose) in [("Sam", "executive_sponsor", 1), ("Uma", "user", 10)] {
            let (status, s) = app
                .send(ADMIN_KEY, Method::POST, &format!("/v1/accounts/{acme}/stakeholders"), Some(json!({"name": name, "role": role})))
                .await;
            assert_eq!(status, 201, "{s}");
            let id = s["id"].as_str().unwrap().to_owned();
            let (status, a) = app
                .send(ADMIN_KEY, Method::POST, "/v1/assessments", Some(json!({"account_id": acme, "stakeholder_id": id,
                    "framework": "purpose_intent", "scores": {"purpose": purpose, "intent": 10}, "assessed_at": "2026-08-01T00:00:00Z"})))
                .await;
            assert_eq!(status, 201, "{a}");
            ids.push(id);
        }
        let alignment = || async {
            let (status, q) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/accounts/{acme}/qbr?metric_set=qbr_future&quarter=2026-Q3"), None).await;
            assert_eq!(status, 200, "{q}");
            let metrics = q["sections"][0]["metrics"].as_array().unwrap().clone();
            metrics.into_iter().find(|m| m["metric"] == "stakeholder_alignment").unwrap()["value"].as_f64().unwrap()
        };
        assert_eq!(alignment().await, 25.0);
        let (status, _) = app.send(ADMIN_KEY, Method::PATCH, &format!("/v1/stakeholders/{}", ids[1]), Some(json!({"involved_in_purchase": true}))).await;
        assert_eq!(status, 200);
        assert!((alignment().await - 100.0 / 3.0).abs() < 1e-9);
        // Prioritisation weighs the same voices: Sam at (0, 1) with 3, Uma at
        // (1, 1) with 1.5, mean ((0 + 1.5)/4.5, 1) = (1/3, 1); closeness to
        // the committed corner 1 − (2/3)/√2 = 0.528595 (a head count: 0.646447).
        let closeness = || async {
            let (_, ranked) = app.send(ADMIN_KEY, Method::GET, "/v1/prioritization", None).await;
            ranked["items"][0]["closeness"]["purpose_intent"].as_f64().unwrap()
        };
        assert!((closeness().await - (1.0 - 2.0 / 3.0 / 2f64.sqrt())).abs() < 1e-9);
        // The sponsor leaves in the quarter: from then on only Uma counts.
        let sam = format!("/v1/stakeholders/{}", ids[0]);
        let (status, s) = app.send(ADMIN_KEY, Method::PATCH, &sam, Some(json!({"left_on": "2026-09-15"}))).await;
        assert_eq!((status, &s["left_on"]), (200, &json!("2026-09-15")));
        assert_eq!(alignment().await, 100.0);
        assert_eq!(closeness().await, 1.0, "someone who left weighs nothing");
        let (status, p) = app.send(ADMIN_KEY, Method::PATCH, &sam, Some(json!({"left_on": "2026-09-31"}))).await;
        assert_eq!((status, problem_fields(&p)), (422, vec!["left_on".to_owned()]));
        let (status, s) = app.send(ADMIN_KEY, Method::PATCH, &sam, Some(json!({"left_on": null}))).await;
        assert_eq!((status, &s["left_on"]), (200, &Value::Null));
        assert!((alignment().await - 100.0 / 3.0).abs() < 1e-9);

        // The workspace weighs its sponsors as anyone (1) and purchase twice:
        // Uma 1 × 2 = 2 against Sam's 1, so 2 / 3.
        let (status, w) = app.send(ADMIN_KEY, Method::PATCH, "/v1/workspace/settings", Some(json!({"influence": {"buyer_and_sponsor": 1, "purchase_multiplier": 2}}))).await;
        assert_eq!((status, &w["influence"]), (200, &json!({"buyer_and_sponsor": 1.0, "champion": 2.0, "others": 1.0, "purchase_multiplier": 2.0})), "{w}");
        assert!((alignment().await - 200.0 / 3.0).abs() < 1e-9);
        let (status, p) = app.send(ADMIN_KEY, Method::PATCH, "/v1/workspace/settings", Some(json!({"influence": {"champion": 0, "purchase_multiplier": 0.5}}))).await;
        assert_eq!((status, problem_fields(&p)), (422, vec!["influence.champion".to_owned(), "influence.purchase_multiplier".to_owned()]), "{p}");
        let mut workspace = csapi::grpc::pb::workspace_service_client::WorkspaceServiceClient::new(app.channel().await);
        let back = pb::WorkspaceSettings { influence: Some(pb::InfluenceWeights { buyer_and_sponsor: Some(3.0), purchase_multiplier: Some(1.5), ..Default::default() }), ..Default::default() };
        let mask = prost_types::FieldMask { paths: vec!["influence".into()] };
        let got = workspace.update_workspace_settings(authed(ADMIN_KEY, pb::UpdateWorkspaceSettingsRequest { settings: Some(back), update_mask: Some(mask) })).await.unwrap().into_inner();
        assert_eq!(got.influence.and_then(|i| i.buyer_and_sponsor), Some(3.0));
        assert!((alignment().await - 100.0 / 3.0).abs() < 1e-9, "back to the built-in weights");

        let mut accounts = app.accounts_client().await;
        let left = pb::Stakeholder { id: ids[0].clone(), left_on: Some("2026-09-30".into()), ..Default::default() };
        let mask = prost_types::FieldMask { paths: vec!["left_on".into()] };
        let updated = accounts
            .update_stakeholder(authed(ADMIN_KEY, pb::UpdateStakeholderRequest { stakeholder: Some(left), update_mask: Some(mask) }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(updated.left_on.as_deref(), Some("2026-09-30"));
        assert_eq!(alignment().await, 100.0, "gone on the quarter's last day");

        let mut qbrs = QbrServiceClient::new(app.channel().await);
        let ask = pb::GetQbrRequest { account_id: acme.clone(), metric_sets: vec!["qbr_future".into()], quarter: Some("2026-Q3".into()), audience: None };
        let qbr = qbrs.get_qbr(authed(ADMIN_KEY, ask)).await.unwrap().into_inner();
        let value = qbr.sections[0].metrics.iter().map(|m| m.current.as_ref().unwrap()).find(|m| m.metric == "stakeholder_alignment").unwrap().value;
        assert_eq!(value, Some(100.0));
    }
}

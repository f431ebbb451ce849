//! A workspace's time zone draws its days: quarter edges, "today" and the day
//! a bare date names. Sydney is UTC+10 in June, so 2026-06-30T15:00Z is
//! already 1 July there, the first day of Q3 (fiscal year from January), and
//! Q3 runs from 2026-06-30T14:00Z to 2026-09-30T14:00Z.
//!
//! Acme's logins: 3 at 2026-06-30T13:59:59Z (23:59:59 on 30 June in Sydney,
//! Q2) and 7 at 2026-06-30T15:00Z (Q3). In Sydney the Q3 QBR reads 7 against
//! 3; in UTC both fall in Q2.

use csapi::grpc::pb;
use csapi::grpc::pb::qbr_service_client::QbrServiceClient;
use csapi::grpc::pb::workspace_service_client::WorkspaceServiceClient;
use reqwest::Method;
use serde_json::{Value, json};
use tonic::Code;

use crate::support::{ADMIN_KEY, TestApp, authed, on_both_backends, problem_fields};

/// 2026-06-30T15:00:00Z.
const JUNE_30_15H: i64 = 1_782_831_600;

async fn acme_with_logins(app: &TestApp) -> String {
    let acme = app.account(json!({"name": "Acme"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rows = json!({"observations": [
        {"account_id": acme, "metric": "logins", "observed_at": "2026-06-30T13:59:59Z", "value": 3},
        {"account_id": acme, "metric": "logins", "observed_at": "2026-06-30T15:00:00Z", "value": 7},
    ]});
    let (status, _) = app
        .send(ADMIN_KEY, Method::POST, "/v1/observations", Some(rows))
        .await;
    assert_eq!(status, 200);
    acme
}

fn logins(section: &Value) -> &Value {
    section["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "logins")
        .unwrap()
}

on_both_backends! {
    async fn a_sydney_workspace_turns_its_quarters_at_sydney_midnight(app: &TestApp) {
        let acme = acme_with_logins(app).await;
        let get = |path: String| async move { app.send(ADMIN_KEY, Method::GET, &path, None).await };

        let (_, utc) = get(format!("/v1/accounts/{acme}/health?as_of=2026-06-30T15:00:00Z")).await;
        assert_eq!(utc["quarter"], "2026-Q2");

        let (status, problem) = app.send(ADMIN_KEY, Method::PATCH, "/v1/workspace/settings", Some(json!({"time_zone": "Sydney"}))).await;
        assert_eq!((status, problem_fields(&problem)), (422, vec!["time_zone".to_owned()]));
        let (status, settings) = app.send(ADMIN_KEY, Method::PATCH, "/v1/workspace/settings", Some(json!({"time_zone": "Australia/Sydney"}))).await;
        assert_eq!((status, &settings["time_zone"], &settings["fiscal_year_start_month"]), (200, &json!("Australia/Sydney"), &json!(1)));

        let (status, health) = get(format!("/v1/accounts/{acme}/health?as_of=2026-06-30T15:00:00Z")).await;
        assert_eq!((status, &health["quarter"]), (200, &json!("2026-Q3")));
        assert_eq!(health["period"]["start"], "2026-06-30T14:00:00Z");
        let value = health["metrics"].as_array().unwrap().iter().find(|m| m["metric"] == "logins").unwrap()["value"].clone();
        assert_eq!(value, json!(7.0));

        // A bare date is the start of that day in Sydney.
        let (status, by_day) = get(format!("/v1/accounts/{acme}/health?as_of=2026-07-01")).await;
        assert_eq!((status, &by_day["as_of"], &by_day["quarter"]), (200, &json!("2026-06-30T14:00:00Z"), &json!("2026-Q3")));

        let (_, qbr) = get(format!("/v1/accounts/{acme}/qbr?quarter=2026-Q3")).await;
        assert_eq!((&qbr["period"]["start"], &qbr["period"]["end"]), (&json!("2026-06-30T14:00:00Z"), &json!("2026-09-30T14:00:00Z")));
        let l = logins(&qbr["sections"][0]);
        assert_eq!((&l["value"], &l["previous"]), (&json!(7.0), &json!(3.0)));

        let (_, from_july) = get(format!("/v1/observations?account_id={acme}&metric=logins&from=2026-07-01")).await;
        let values: Vec<&Value> = from_july["items"].as_array().unwrap().iter().map(|o| &o["value"]).collect();
        assert_eq!(values, [&json!(7.0)]);

        // Date parameters take a date-time too: the day it falls on in Sydney.
        let (status, _) = get("/v1/successes?as_of=2026-06-30T15:00:00Z".to_owned()).await;
        assert_eq!(status, 200);

        for bad in ["2026-07-1", "2026-06-30T15:00", "yesterday"] {
            let (status, problem) = get(format!("/v1/accounts/{acme}/health?as_of={bad}")).await;
            assert_eq!((status, problem_fields(&problem)), (422, vec!["as_of".to_owned()]), "{bad}");
            let detail = problem["errors"][0]["message"].as_str().unwrap_or_default();
            assert!(detail.contains("RFC 3339 date-time") && detail.contains("or a date (2026-09-30"), "{detail}");
        }
    }

    async fn the_time_zone_over_grpc(app: &TestApp) {
        let acme = acme_with_logins(app).await;
        let channel = app.channel().await;
        let mut workspace = WorkspaceServiceClient::new(channel.clone());
        let mut qbrs = QbrServiceClient::new(channel);
        let settings = workspace.update_workspace_settings(authed(ADMIN_KEY, pb::UpdateWorkspaceSettingsRequest {
            settings: Some(pb::WorkspaceSettings { time_zone: "Australia/Sydney".into(), ..Default::default() }), update_mask: None })).await.unwrap().into_inner();
        assert_eq!((settings.time_zone.as_str(), settings.fiscal_year_start_month), ("Australia/Sydney", 1));
        let bad = workspace.update_workspace_settings(authed(ADMIN_KEY, pb::UpdateWorkspaceSettingsRequest {
            settings: Some(pb::WorkspaceSettings { time_zone: "Mars/Olympus".into(), ..Default::default() }), update_mask: None })).await.unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);
        let health = qbrs.get_account_health(authed(ADMIN_KEY, pb::GetAccountHealthRequest { account_id: acme.clone(), metric_set: String::new(),
            as_of: Some(prost_types::Timestamp { seconds: JUNE_30_15H, nanos: 0 }) })).await.unwrap().into_inner();
        assert_eq!(health.quarter, "2026-Q3");
        let qbr = qbrs.get_qbr(authed(ADMIN_KEY, pb::GetQbrRequest { account_id: acme, metric_sets: vec![], quarter: Some("2026-Q3".into()), audience: None })).await.unwrap().into_inner();
        assert_eq!(qbr.period_start.unwrap().seconds, JUNE_30_15H - 3600, "2026-06-30T14:00Z");
    }
}

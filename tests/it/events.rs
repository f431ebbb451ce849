//! Every resource's changes in the feed: create → update → delete in order,
//! deletes as tombstones with the account's refs, and the moments a CS team
//! acts on (a subject moving cell, a plan's health turning, a success
//! captured, a batch of observations ingested).
//!
//! Readiness places (goal_clarity, priority) with cuts at 5.5: (3, 2) is
//! `wanderer`, (9, 2) `dreamer`, (8, 9) `achiever`.

use reqwest::Method;
use serde_json::{Value, json};

use csapi::grpc::pb;
use csapi::grpc::pb::assessment_service_client::AssessmentServiceClient;
use csapi::grpc::pb::change_service_client::ChangeServiceClient;

use crate::changes::next_events;
use crate::support::{ADMIN_KEY, TestApp, authed, on_both_backends};

/// The events after `cursor` until `n` have come, and the cursor after them.
async fn expect(
    app: &TestApp,
    cursor: Option<String>,
    kinds: &[&str],
) -> (Vec<Value>, Option<String>) {
    let (events, next) = next_events(app, cursor, kinds.len()).await;
    let seen: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(seen, kinds, "{events:#?}");
    (events, next)
}

async fn call(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Value {
    let (status, answer) = app.send(ADMIN_KEY, method.clone(), path, body).await;
    assert!(
        (200..300).contains(&status),
        "{method} {path} → {status} {answer}"
    );
    answer
}

fn readiness(account: &str, goal_clarity: f64, priority: f64, at: &str) -> Value {
    json!({"account_id": account, "framework": "readiness",
        "scores": {"goal_clarity": goal_clarity, "priority": priority}, "assessed_at": at})
}

fn moved(e: &Value) -> (&str, &Value, &Value) {
    (
        e["data"]["matrix"].as_str().unwrap(),
        &e["data"]["from"],
        &e["data"]["to"],
    )
}

on_both_backends! {
    async fn assessments_and_the_cells_they_move_subjects_to(app: &TestApp) {
        let refs = json!([{"system": "salesforce", "id": "001A"}]);
        let acme = app.account(json!({"name": "Acme", "external_refs": refs})).await;
        let id = acme["id"].as_str().unwrap();
        let (_, cursor) = next_events(app, None, 1).await;

        let january = call(app, Method::POST, "/v1/assessments",
            Some(readiness(id, 3.0, 2.0, "2026-01-10T00:00:00Z"))).await;
        let (events, cursor) = expect(app, cursor, &["assessment.created", "classification.changed"]).await;
        assert_eq!(events[0]["data"], january);
        assert_eq!(events[0]["resource_id"], january["id"]);
        assert_eq!(moved(&events[1]), ("readiness", &Value::Null, &json!("wanderer")));
        assert_eq!(events[1]["resource"], "classification");
        assert_eq!(events[1]["resource_id"], id, "the subject");
        assert_eq!(events[1]["data"]["assessment_id"], january["id"]);

        let march = call(app, Method::POST, "/v1/assessments",
            Some(readiness(id, 8.0, 9.0, "2026-03-10T00:00:00Z"))).await;
        let (events, cursor) = expect(app, cursor, &["assessment.created", "classification.changed"]).await;
        assert_eq!(moved(&events[1]), ("readiness", &json!("wanderer"), &json!("achiever")));

        // A backdated assessment slots into history: the current cell stays.
        call(app, Method::POST, "/v1/assessments", Some(readiness(id, 9.0, 2.0, "2026-02-10T00:00:00Z"))).await;
        let (_, cursor) = expect(app, cursor, &["assessment.created"]).await;

        // Deleting March makes February current again.
        let march_id = march["id"].as_str().unwrap();
        call(app, Method::DELETE, &format!("/v1/assessments/{march_id}"), None).await;
        let (events, _) = expect(app, cursor, &["assessment.deleted", "classification.changed"]).await;
        assert_eq!(events[0]["data"], json!({"id": march_id, "account_id": id, "stakeholder_id": null}));
        assert_eq!(moved(&events[1]), ("readiness", &json!("achiever"), &json!("dreamer")));
        let (all, _) = next_events(app, None, 8).await;
        for e in &all[1..] {
            assert_eq!((&e["account_id"], &e["account_refs"]), (&json!(id), &refs), "{e}");
        }
    }

    async fn plans_templates_and_successes_with_health_and_captures(app: &TestApp) {
        let acme = app.account(json!({"name": "Acme"})).await;
        let account = acme["id"].as_str().unwrap();
        let (_, cursor) = next_events(app, None, 1).await;

        let template = call(app, Method::POST, "/v1/success-plan-templates",
            Some(json!({"name": "Onboarding", "duration_days": 30}))).await;
        let t = template["id"].as_str().unwrap();
        let renamed = call(app, Method::PATCH, &format!("/v1/success-plan-templates/{t}"),
            Some(json!({"name": "Onboarding v2"}))).await;
        call(app, Method::DELETE, &format!("/v1/success-plan-templates/{t}"), None).await;
        let (events, cursor) = expect(app, cursor, &["success_plan_template.created",
            "success_plan_template.updated", "success_plan_template.deleted"]).await;
        assert_eq!((&events[0]["data"], &events[1]["data"]), (&template, &renamed));
        assert_eq!(events[2]["data"], json!({"id": t}));
        assert_eq!(events[0]["account_id"], Value::Null, "a template concerns no account");

        // A plan that ended in 2025 expects everything done: with nothing
        // done it is off track (progress 0 against 1).
        let plan = call(app, Method::POST, "/v1/success-plans", Some(json!({"account_id": account,
            "name": "Rollout", "start_date": "2025-01-01", "target_date": "2025-12-31"}))).await;
        let id = plan["id"].as_str().unwrap();
        assert_eq!(plan["progress"]["health"], "off_track");
        let (events, cursor) = expect(app, cursor, &["success_plan.created"]).await;
        assert_eq!(events[0]["data"], plan);
        // An objective whose one KPI is met (10 of 10): progress 1, on track.
        let added = call(app, Method::POST, &format!("/v1/success-plans/{id}/objectives"),
            Some(json!({"title": "Go live", "kpis": [{"name": "Seats", "baseline": 0, "target": 10, "current": 10}]}))).await;
        assert_eq!(added["progress"]["health"], "on_track");
        let (events, cursor) = expect(app, cursor, &["success_plan.updated", "success_plan.health_changed"]).await;
        let now = call(app, Method::GET, &format!("/v1/success-plans/{id}"), None).await;
        assert_eq!(events[0]["data"], now);
        let turned = &events[1]["data"];
        assert_eq!((&turned["from"], &turned["to"]), (&json!("off_track"), &json!("on_track")));
        assert_eq!((&turned["plan_id"], &turned["progress"], &turned["expected_progress"]),
            (&json!(id), &json!(1.0), &json!(1.0)));
        // A change that leaves health as it was is only an update.
        let owned = call(app, Method::PATCH, &format!("/v1/success-plans/{id}"),
            Some(json!({"owner": "jane@vendor.example"}))).await;
        let (events, cursor) = expect(app, cursor, &["success_plan.updated"]).await;
        assert_eq!(events[0]["data"], owned);

        let win = call(app, Method::POST, "/v1/successes", Some(json!({"account_id": account,
            "title": "Live in a month", "plan_id": id, "achieved_on": "2025-06-01"}))).await;
        let w = win["id"].as_str().unwrap();
        let told = call(app, Method::PATCH, &format!("/v1/successes/{w}"),
            Some(json!({"story": "How Acme went live"}))).await;
        call(app, Method::DELETE, &format!("/v1/successes/{w}"), None).await;
        call(app, Method::DELETE, &format!("/v1/success-plans/{id}"), None).await;
        let (events, _) = expect(app, cursor, &["success.created", "success.captured",
            "success.updated", "success.deleted", "success_plan.deleted"]).await;
        assert_eq!((&events[0]["data"], &events[1]["data"], &events[2]["data"]), (&win, &win, &told));
        assert_eq!(events[3]["data"], json!({"id": w, "account_id": account}));
        assert_eq!(events[4]["data"], json!({"id": id, "account_id": account}));
        for e in &events {
            assert_eq!(e["account_id"], account);
        }
    }

    async fn definitions_keys_and_observation_batches(app: &TestApp) {
        let acme = app.account(json!({"name": "Acme", "external_refs": [{"system": "hubspot", "id": "9"}]})).await;
        let account = acme["id"].as_str().unwrap();
        let (_, cursor) = next_events(app, None, 1).await;

        let metric = call(app, Method::POST, "/v1/metric-definitions", Some(json!({"key": "api_calls",
            "name": "API calls", "unit": "count", "aggregation": "sum", "direction": "higher_is_better",
            "category": "usage", "horizon": "future"}))).await;
        let set = call(app, Method::POST, "/v1/metric-sets",
            Some(json!({"key": "usage", "label": "Usage", "metrics": [{"metric": "api_calls"}]}))).await;
        let relabelled = call(app, Method::PUT, "/v1/metric-sets/usage",
            Some(json!({"key": "usage", "label": "Product usage", "metrics": [{"metric": "api_calls"}]}))).await;
        call(app, Method::DELETE, "/v1/metric-sets/usage", None).await;
        let (events, cursor) = expect(app, cursor, &["metric_definition.created", "metric_set.created",
            "metric_set.updated", "metric_set.deleted"]).await;
        assert_eq!((&events[0]["data"], &events[1]["data"], &events[2]["data"]), (&metric, &set, &relabelled));
        assert_eq!((&events[0]["resource_id"], &events[3]["resource_id"]), (&json!("api_calls"), &json!("usage")));
        assert_eq!(events[3]["data"], json!({"key": "usage"}));

        // One event per batch, about its account when it touched only one.
        call(app, Method::POST, "/v1/observations", Some(json!({"observations": [
            {"account_id": account, "metric": "api_calls", "observed_at": "2026-03-02T00:00:00Z", "value": 5},
            {"account_id": account, "metric": "api_calls", "observed_at": "2026-03-01T00:00:00Z", "value": 4}]}))).await;
        call(app, Method::DELETE, "/v1/metric-definitions/api_calls", None).await;
        let (events, cursor) = expect(app, cursor, &["observations.ingested", "metric_definition.deleted"]).await;
        assert_eq!(events[0]["data"], json!({"observations": 2, "accounts": [account], "metrics": ["api_calls"],
            "from": "2026-03-01T00:00:00Z", "to": "2026-03-02T00:00:00Z"}));
        assert_eq!((&events[0]["account_id"], &events[0]["account_refs"]),
            (&json!(account), &json!([{"system": "hubspot", "id": "9"}])));

        let policy = call(app, Method::POST, "/v1/prioritization-policies", Some(json!({"key": "mine",
            "label": "Mine", "matrices": [{"matrix": "readiness", "weight": 1}], "tiers": []}))).await;
        let framework = call(app, Method::POST, "/v1/frameworks/readiness/clone",
            Some(json!({"key": "my_readiness", "name": "Our readiness"}))).await;
        let mut next = framework.clone();
        for field in ["version", "built_in", "etag"] {
            next.as_object_mut().unwrap().remove(field);
        }
        next["name"] = json!("Our readiness, v2");
        let v2 = call(app, Method::PUT, "/v1/frameworks/my_readiness", Some(next)).await;
        call(app, Method::DELETE, "/v1/prioritization-policies/mine", None).await;
        let (events, cursor) = expect(app, cursor, &["prioritization_policy.created", "framework.created",
            "framework.updated", "prioritization_policy.deleted"]).await;
        assert_eq!((&events[0]["data"], &events[1]["data"], &events[2]["data"]), (&policy, &framework, &v2));
        assert_eq!(events[2]["data"]["version"], 2);

        let (status, key) = app.send(ADMIN_KEY, Method::POST, "/v1/api-keys",
            Some(json!({"name": "sync", "role": "write"}))).await;
        assert_eq!(status, 201, "{key}");
        let key_id = key["id"].as_str().unwrap();
        call(app, Method::DELETE, &format!("/v1/api-keys/{key_id}"), None).await;
        let (events, _) = expect(app, cursor, &["api_key.created", "api_key.deleted"]).await;
        for e in &events {
            assert_eq!(e["resource_id"], key_id);
            assert_eq!(e["data"]["name"], "sync");
            assert!(!e["data"].to_string().contains(key["key"].as_str().unwrap()), "no secret: {e}");
        }
        assert_eq!(events[0]["data"]["revoked_at"], Value::Null);
        assert!(events[1]["data"]["revoked_at"].is_string());
    }

    async fn assessments_over_grpc_show_in_the_grpc_feed(app: &TestApp) {
        let acme = app.account(json!({"name": "Acme"})).await;
        let account = acme["id"].as_str().unwrap().to_owned();
        let (_, cursor) = next_events(app, None, 1).await;
        let mut assessments = AssessmentServiceClient::new(app.channel().await);
        let made = assessments
            .create_assessment(authed(ADMIN_KEY, pb::CreateAssessmentRequest {
                account_ref: None,
                stakeholder_ref: None,
                assessment: Some(pb::Assessment {
                    account_id: account.clone(),
                    framework: "readiness".into(),
                    scores: [("goal_clarity".to_owned(), 9.0), ("priority".to_owned(), 9.0)].into(),
                    ..Default::default()
                }),
            }))
            .await
            .unwrap()
            .into_inner();
        assessments
            .delete_assessment(authed(ADMIN_KEY, pb::DeleteAssessmentRequest { id: made.id.clone() }))
            .await
            .unwrap();
        let (rest, _) = expect(app, cursor.clone(), &["assessment.created", "classification.changed",
            "assessment.deleted", "classification.changed"]).await;
        let mut feed = ChangeServiceClient::new(app.channel().await);
        let page = feed
            .list_changes(authed(ADMIN_KEY, pb::ListChangesRequest {
                after: cursor.unwrap(),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        let kinds: Vec<&str> = page.events.iter().map(|e| e.r#type.as_str()).collect();
        assert_eq!(kinds, ["assessment.created", "classification.changed", "assessment.deleted",
            "classification.changed"]);
        for (g, r) in page.events.iter().zip(&rest) {
            assert_eq!(g.id, r["id"].as_str().unwrap());
            assert_eq!(serde_json::from_str::<Value>(&g.data_json).unwrap(), r["data"]);
        }
        assert_eq!(page.events[0].resource_id, made.id);
        let to: Value = serde_json::from_str(&page.events[1].data_json).unwrap();
        assert_eq!(to["to"], "achiever");
        let back: Value = serde_json::from_str(&page.events[3].data_json).unwrap();
        assert_eq!((&back["from"], &back["to"]), (&json!("achiever"), &Value::Null));
    }
}

//! Optimistic concurrency on every mutable resource: reads carry an ETag, a
//! write naming a version that is no longer current is refused (REST 412,
//! gRPC ABORTED) and changes nothing; a write naming the current one moves it.

use csapi::grpc::pb;
use csapi::grpc::pb::framework_service_client::FrameworkServiceClient;
use csapi::grpc::pb::metric_service_client::MetricServiceClient;
use csapi::grpc::pb::prioritization_service_client::PrioritizationServiceClient;
use csapi::grpc::pb::workspace_service_client::WorkspaceServiceClient;
use reqwest::Method;
use serde_json::{Value, json};
use tonic::Code;

use crate::support::{ADMIN_KEY, TestApp, authed, on_both_backends};

/// Sends `body` to `path` with `If-Match: "<version>"`; status and ETag.
async fn write_at(
    app: &TestApp,
    method: Method,
    path: &str,
    version: i64,
    body: Option<Value>,
) -> (u16, Option<String>) {
    let mut req = app
        .req(method, path)
        .header("If-Match", format!("\"{version}\""));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let etag = res
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_owned());
    (res.status().as_u16(), etag)
}

async fn etag_of(app: &TestApp, path: &str) -> String {
    let res = app.req(Method::GET, path).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    res.headers()["etag"].to_str().unwrap().to_owned()
}

fn without_service_fields(mut v: Value) -> Value {
    for k in ["version", "built_in", "etag"] {
        v.as_object_mut().unwrap().remove(k);
    }
    v
}

on_both_backends! {
    async fn stale_rest_writes_are_refused_on_every_resource(app: &TestApp) {
        // Metric definitions: created at "1", deleted only at their version.
        let (status, _) = app.send(ADMIN_KEY, Method::POST, "/v1/metric-definitions", Some(json!({"key": "seats", "name": "Seats",
            "unit": "count", "aggregation": "last", "direction": "higher_is_better", "category": "usage", "horizon": "future"}))).await;
        assert_eq!(status, 201);
        assert_eq!(etag_of(app, "/v1/metric-definitions/seats").await, "\"1\"");
        assert_eq!(write_at(app, Method::DELETE, "/v1/metric-definitions/seats", 2, None).await.0, 412);
        assert_eq!(write_at(app, Method::DELETE, "/v1/metric-definitions/seats", 1, None).await.0, 204);

        // Metric sets and policies: replace at "1" gives "2"; "1" is then stale.
        let set = json!({"key": "usage_x", "label": "Usage X", "metrics": [{"metric": "logins"}]});
        let policy = json!({"key": "p1", "label": "P1", "matrices": [{"matrix": "readiness", "weight": 1}],
            "tiers": [{"min": 0.5, "tier": "high_touch"}]});
        for (collection, body) in [("/v1/metric-sets", set), ("/v1/prioritization-policies", policy)] {
            let res = app.req(Method::POST, collection).json(&body).send().await.unwrap();
            assert_eq!((res.status().as_u16(), res.headers()["etag"].to_str().unwrap()), (201, "\"1\""), "{collection}");
            let path = format!("{collection}/{}", body["key"].as_str().unwrap());
            let mut changed = body.clone();
            changed["label"] = json!("Changed");
            assert_eq!(write_at(app, Method::PUT, &path, 1, Some(changed.clone())).await, (200, Some("\"2\"".into())), "{path}");
            assert_eq!(write_at(app, Method::PUT, &path, 1, Some(body.clone())).await.0, 412, "{path}");
            assert_eq!(write_at(app, Method::DELETE, &path, 1, None).await.0, 412, "{path}");
            let (_, now) = app.send(ADMIN_KEY, Method::GET, &path, None).await;
            assert_eq!((now["label"].as_str(), now["etag"].as_str()), (Some("Changed"), Some("\"2\"")), "{path}");
            assert_eq!(write_at(app, Method::DELETE, &path, 2, None).await.0, 204, "{path}");
        }

        // Workspace settings.
        assert_eq!(etag_of(app, "/v1/workspace/settings").await, "\"1\"");
        let april = json!({"fiscal_year_start_month": 4});
        assert_eq!(write_at(app, Method::PATCH, "/v1/workspace/settings", 1, Some(april)).await, (200, Some("\"2\"".into())));
        let (status, _) = write_at(app, Method::PATCH, "/v1/workspace/settings", 1, Some(json!({"fiscal_year_start_month": 7}))).await;
        assert_eq!(status, 412);
        let (_, settings) = app.send(ADMIN_KEY, Method::GET, "/v1/workspace/settings", None).await;
        assert_eq!(settings["fiscal_year_start_month"], 4);

        // Frameworks: a change is the next version and must build on the current one.
        let (status, _) = app.send(ADMIN_KEY, Method::POST, "/v1/frameworks/readiness/clone", Some(json!({"key": "my_readiness"}))).await;
        assert_eq!(status, 201);
        let (_, current) = app.send(ADMIN_KEY, Method::GET, "/v1/frameworks/my_readiness", None).await;
        assert_eq!(current["etag"], "\"1\"");
        let definition = without_service_fields(current);
        let path = "/v1/frameworks/my_readiness";
        assert_eq!(write_at(app, Method::PUT, path, 1, Some(definition.clone())).await, (200, Some("\"2\"".into())));
        assert_eq!(write_at(app, Method::PUT, path, 1, Some(definition)).await.0, 412);
        assert_eq!(etag_of(app, path).await, "\"2\"");
    }

    async fn stale_grpc_writes_are_aborted_on_every_resource(app: &TestApp) {
        let channel = app.channel().await;
        let mut metrics = MetricServiceClient::new(channel.clone());
        let metric = pb::MetricDefinition { key: "seats".into(), name: "Seats".into(), unit: "count".into(),
            aggregation: "last".into(), direction: "higher_is_better".into(), category: "usage".into(),
            horizon: "future".into(), ..Default::default() };
        let created = metrics.create_metric_definition(authed(ADMIN_KEY, pb::CreateMetricDefinitionRequest {
            metric_definition: Some(metric) })).await.unwrap().into_inner();
        assert_eq!(created.etag, "\"1\"");
        let stale = metrics.delete_metric_definition(authed(ADMIN_KEY, pb::DeleteMetricDefinitionRequest {
            key: "seats".into(), etag: "\"9\"".into() })).await.unwrap_err();
        assert_eq!(stale.code(), Code::Aborted);

        let set = pb::MetricSet { key: "usage_x".into(), label: "Usage X".into(),
            metrics: vec![pb::SetMetric { metric: "logins".into(), ..Default::default() }], ..Default::default() };
        let created = metrics.create_metric_set(authed(ADMIN_KEY, pb::CreateMetricSetRequest { metric_set: Some(set.clone()) }))
            .await.unwrap().into_inner();
        assert_eq!(created.etag, "\"1\"");
        let changed = metrics.update_metric_set(authed(ADMIN_KEY, pb::UpdateMetricSetRequest { key: "usage_x".into(),
            metric_set: Some(pb::MetricSet { label: "Changed".into(), etag: "\"1\"".into(), ..set.clone() }) }))
            .await.unwrap().into_inner();
        assert_eq!(changed.etag, "\"2\"");
        let stale = metrics.update_metric_set(authed(ADMIN_KEY, pb::UpdateMetricSetRequest { key: "usage_x".into(),
            metric_set: Some(pb::MetricSet { etag: "\"1\"".into(), ..set }) })).await.unwrap_err();
        assert_eq!(stale.code(), Code::Aborted);

        let mut priorities = PrioritizationServiceClient::new(channel.clone());
        let policy = pb::Policy { key: "p1".into(), label: "P1".into(),
            matrices: vec![pb::WeightedMatrix { matrix: "readiness".into(), weight: 1.0 }],
            tiers: vec![pb::TierCut { min_score: 0.5, key: "high_touch".into(), label: None }], ..Default::default() };
        priorities.create_policy(authed(ADMIN_KEY, pb::CreatePolicyRequest { policy: Some(policy.clone()) })).await.unwrap();
        let stale = priorities.update_policy(authed(ADMIN_KEY, pb::UpdatePolicyRequest { key: "p1".into(),
            policy: Some(pb::Policy { etag: "\"2\"".into(), ..policy }) })).await.unwrap_err();
        assert_eq!(stale.code(), Code::Aborted);
        let stale = priorities.delete_policy(authed(ADMIN_KEY, pb::DeletePolicyRequest { key: "p1".into(), etag: "\"2\"".into() }))
            .await.unwrap_err();
        assert_eq!(stale.code(), Code::Aborted);

        let mut workspace = WorkspaceServiceClient::new(channel.clone());
        let stale = workspace.update_workspace_settings(authed(ADMIN_KEY, pb::UpdateWorkspaceSettingsRequest {
            settings: Some(pb::WorkspaceSettings { fiscal_year_start_month: 4, etag: "\"3\"".into(), rate_limit: None, time_zone: String::new(), influence: None, renewal_window_days: 0 }), update_mask: None }))
            .await.unwrap_err();
        assert_eq!(stale.code(), Code::Aborted);

        let mut frameworks = FrameworkServiceClient::new(channel);
        let clone = frameworks.clone_framework(authed(ADMIN_KEY, pb::CloneFrameworkRequest { key: "readiness".into(),
            new_key: "my_readiness".into(), ..Default::default() })).await.unwrap().into_inner();
        assert_eq!(clone.etag, "\"1\"");
        let stale = frameworks.update_framework(authed(ADMIN_KEY, pb::UpdateFrameworkRequest { key: "my_readiness".into(),
            framework: Some(pb::Framework { etag: "\"5\"".into(), ..clone }) })).await.unwrap_err();
        assert_eq!(stale.code(), Code::Aborted);

        let mut accounts = app.accounts_client().await;
        let acme = accounts.create_account(authed(ADMIN_KEY, pb::CreateAccountRequest {
            account: Some(pb::Account { name: "Acme".into(), ..Default::default() }) })).await.unwrap().into_inner();
        let s = accounts.create_stakeholder(authed(ADMIN_KEY, pb::CreateStakeholderRequest { account_id: acme.id.clone(),
            stakeholder: Some(pb::Stakeholder { name: "Jane".into(), ..Default::default() }) })).await.unwrap().into_inner();
        let stale = accounts.update_stakeholder(authed(ADMIN_KEY, pb::UpdateStakeholderRequest {
            stakeholder: Some(pb::Stakeholder { id: s.id, name: "Janet".into(), etag: "\"7\"".into(), ..Default::default() }),
            update_mask: None })).await.unwrap_err();
        assert_eq!(stale.code(), Code::Aborted);
    }
}

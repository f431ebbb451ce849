//! Contracts stay in sync: the committed OpenAPI document is what the code
//! generates, and every REST operation has its gRPC twin.

use std::collections::BTreeSet;

use prost::Message;

/// (REST operationId, gRPC method): one use case, two doors.
const PARITY: &[(&str, &str)] = &[
    ("create_account", "csapi.v1.AccountService/CreateAccount"),
    ("get_account", "csapi.v1.AccountService/GetAccount"),
    ("list_accounts", "csapi.v1.AccountService/ListAccounts"),
    ("export_accounts", "csapi.v1.AccountService/ExportAccounts"),
    ("raise_risk", "csapi.v1.AccountService/RaiseRisk"),
    ("get_risk", "csapi.v1.AccountService/GetRisk"),
    ("list_risks", "csapi.v1.AccountService/ListRisks"),
    ("resolve_risk", "csapi.v1.AccountService/ResolveRisk"),
    ("update_account", "csapi.v1.AccountService/UpdateAccount"),
    ("delete_account", "csapi.v1.AccountService/DeleteAccount"),
    (
        "get_account_by_ref",
        "csapi.v1.AccountService/GetAccountByRef",
    ),
    (
        "upsert_account_by_ref",
        "csapi.v1.AccountService/UpsertAccountByRef",
    ),
    (
        "merge_account_by_ref",
        "csapi.v1.AccountService/MergeAccountByRef",
    ),
    ("upsert_accounts", "csapi.v1.AccountService/ImportAccounts"),
    (
        "upsert_stakeholders",
        "csapi.v1.AccountService/ImportStakeholders",
    ),
    (
        "upsert_assessments",
        "csapi.v1.AssessmentService/ImportAssessments",
    ),
    (
        "get_stakeholder_by_ref",
        "csapi.v1.AccountService/GetStakeholderByRef",
    ),
    (
        "upsert_stakeholder_by_ref",
        "csapi.v1.AccountService/UpsertStakeholderByRef",
    ),
    (
        "merge_stakeholder_by_ref",
        "csapi.v1.AccountService/MergeStakeholderByRef",
    ),
    (
        "create_stakeholder",
        "csapi.v1.AccountService/CreateStakeholder",
    ),
    ("get_stakeholder", "csapi.v1.AccountService/GetStakeholder"),
    (
        "list_stakeholders",
        "csapi.v1.AccountService/ListStakeholders",
    ),
    (
        "update_stakeholder",
        "csapi.v1.AccountService/UpdateStakeholder",
    ),
    (
        "delete_stakeholder",
        "csapi.v1.AccountService/DeleteStakeholder",
    ),
    ("create_api_key", "csapi.v1.ApiKeyService/CreateApiKey"),
    ("list_api_keys", "csapi.v1.ApiKeyService/ListApiKeys"),
    ("revoke_api_key", "csapi.v1.ApiKeyService/RevokeApiKey"),
    ("create_webhook", "csapi.v1.WebhookService/CreateWebhook"),
    ("list_webhooks", "csapi.v1.WebhookService/ListWebhooks"),
    ("get_webhook", "csapi.v1.WebhookService/GetWebhook"),
    ("update_webhook", "csapi.v1.WebhookService/UpdateWebhook"),
    ("delete_webhook", "csapi.v1.WebhookService/DeleteWebhook"),
    ("test_webhook", "csapi.v1.WebhookService/TestWebhook"),
    (
        "list_webhook_deliveries",
        "csapi.v1.WebhookService/ListWebhookDeliveries",
    ),
    (
        "redeliver_webhook_delivery",
        "csapi.v1.WebhookService/RedeliverWebhookDelivery",
    ),
    ("list_changes", "csapi.v1.ChangeService/ListChanges"),
    // REST's long poll (`wait`) is the watch's twin.
    ("list_changes", "csapi.v1.ChangeService/WatchChanges"),
    (
        "list_frameworks",
        "csapi.v1.FrameworkService/ListFrameworks",
    ),
    ("get_framework", "csapi.v1.FrameworkService/GetFramework"),
    (
        "get_framework_version",
        "csapi.v1.FrameworkService/GetFrameworkVersion",
    ),
    (
        "create_framework",
        "csapi.v1.FrameworkService/CreateFramework",
    ),
    (
        "update_framework",
        "csapi.v1.FrameworkService/UpdateFramework",
    ),
    (
        "clone_framework",
        "csapi.v1.FrameworkService/CloneFramework",
    ),
    (
        "evaluate_framework",
        "csapi.v1.FrameworkService/EvaluateFramework",
    ),
    (
        "get_framework_portfolio",
        "csapi.v1.FrameworkService/GetFrameworkPortfolio",
    ),
    ("list_matrices", "csapi.v1.MatrixService/ListMatrices"),
    ("get_matrix", "csapi.v1.MatrixService/GetMatrix"),
    ("classify", "csapi.v1.MatrixService/Classify"),
    (
        "list_account_classifications",
        "csapi.v1.MatrixService/ListAccountClassifications",
    ),
    ("get_portfolio", "csapi.v1.MatrixService/GetPortfolio"),
    ("get_transitions", "csapi.v1.MatrixService/GetTransitions"),
    ("list_movements", "csapi.v1.MatrixService/ListMovements"),
    (
        "get_portfolio_chart",
        "csapi.v1.MatrixService/GetPortfolioChart",
    ),
    (
        "create_assessment",
        "csapi.v1.AssessmentService/CreateAssessment",
    ),
    ("get_assessment", "csapi.v1.AssessmentService/GetAssessment"),
    (
        "list_assessments",
        "csapi.v1.AssessmentService/ListAssessments",
    ),
    (
        "delete_assessment",
        "csapi.v1.AssessmentService/DeleteAssessment",
    ),
    ("prioritize", "csapi.v1.PrioritizationService/Prioritize"),
    (
        "list_policies",
        "csapi.v1.PrioritizationService/ListPolicies",
    ),
    ("get_policy", "csapi.v1.PrioritizationService/GetPolicy"),
    (
        "create_policy",
        "csapi.v1.PrioritizationService/CreatePolicy",
    ),
    (
        "update_policy",
        "csapi.v1.PrioritizationService/UpdatePolicy",
    ),
    (
        "delete_policy",
        "csapi.v1.PrioritizationService/DeletePolicy",
    ),
    (
        "list_metric_definitions",
        "csapi.v1.MetricService/ListMetricDefinitions",
    ),
    (
        "get_metric_definition",
        "csapi.v1.MetricService/GetMetricDefinition",
    ),
    (
        "create_metric_definition",
        "csapi.v1.MetricService/CreateMetricDefinition",
    ),
    (
        "delete_metric_definition",
        "csapi.v1.MetricService/DeleteMetricDefinition",
    ),
    (
        "write_observations",
        "csapi.v1.MetricService/WriteObservations",
    ),
    (
        "list_observations",
        "csapi.v1.MetricService/ListObservations",
    ),
    ("list_metric_sets", "csapi.v1.MetricService/ListMetricSets"),
    ("get_metric_set", "csapi.v1.MetricService/GetMetricSet"),
    (
        "create_metric_set",
        "csapi.v1.MetricService/CreateMetricSet",
    ),
    (
        "update_metric_set",
        "csapi.v1.MetricService/UpdateMetricSet",
    ),
    (
        "delete_metric_set",
        "csapi.v1.MetricService/DeleteMetricSet",
    ),
    ("get_qbr", "csapi.v1.QbrService/GetQbr"),
    ("share_qbr", "csapi.v1.QbrService/ShareQbr"),
    ("list_qbr_links", "csapi.v1.QbrService/ListQbrLinks"),
    ("revoke_qbr_link", "csapi.v1.QbrService/RevokeQbrLink"),
    ("get_account_health", "csapi.v1.QbrService/GetAccountHealth"),
    (
        "get_portfolio_health",
        "csapi.v1.QbrService/GetPortfolioHealth",
    ),
    (
        "get_workspace_settings",
        "csapi.v1.WorkspaceService/GetWorkspaceSettings",
    ),
    (
        "update_workspace_settings",
        "csapi.v1.WorkspaceService/UpdateWorkspaceSettings",
    ),
    (
        "create_success_plan_template",
        "csapi.v1.SuccessPlanService/CreateSuccessPlanTemplate",
    ),
    (
        "get_success_plan_template",
        "csapi.v1.SuccessPlanService/GetSuccessPlanTemplate",
    ),
    (
        "list_success_plan_templates",
        "csapi.v1.SuccessPlanService/ListSuccessPlanTemplates",
    ),
    (
        "update_success_plan_template",
        "csapi.v1.SuccessPlanService/UpdateSuccessPlanTemplate",
    ),
    (
        "delete_success_plan_template",
        "csapi.v1.SuccessPlanService/DeleteSuccessPlanTemplate",
    ),
    (
        "create_success_plan",
        "csapi.v1.SuccessPlanService/CreateSuccessPlan",
    ),
    (
        "get_success_plan",
        "csapi.v1.SuccessPlanService/GetSuccessPlan",
    ),
    (
        "list_success_plans",
        "csapi.v1.SuccessPlanService/ListSuccessPlans",
    ),
    (
        "update_success_plan",
        "csapi.v1.SuccessPlanService/UpdateSuccessPlan",
    ),
    (
        "delete_success_plan",
        "csapi.v1.SuccessPlanService/DeleteSuccessPlan",
    ),
    (
        "get_success_plan_progress",
        "csapi.v1.SuccessPlanService/GetSuccessPlanProgress",
    ),
    (
        "create_objective",
        "csapi.v1.SuccessPlanService/CreateObjective",
    ),
    ("get_objective", "csapi.v1.SuccessPlanService/GetObjective"),
    (
        "update_objective",
        "csapi.v1.SuccessPlanService/UpdateObjective",
    ),
    (
        "delete_objective",
        "csapi.v1.SuccessPlanService/DeleteObjective",
    ),
    ("create_kpi", "csapi.v1.SuccessPlanService/CreateKpi"),
    ("get_kpi", "csapi.v1.SuccessPlanService/GetKpi"),
    ("update_kpi", "csapi.v1.SuccessPlanService/UpdateKpi"),
    ("delete_kpi", "csapi.v1.SuccessPlanService/DeleteKpi"),
    (
        "create_milestone",
        "csapi.v1.SuccessPlanService/CreateMilestone",
    ),
    ("get_milestone", "csapi.v1.SuccessPlanService/GetMilestone"),
    (
        "update_milestone",
        "csapi.v1.SuccessPlanService/UpdateMilestone",
    ),
    (
        "delete_milestone",
        "csapi.v1.SuccessPlanService/DeleteMilestone",
    ),
    (
        "create_success",
        "csapi.v1.SuccessPlanService/CreateSuccess",
    ),
    ("get_success", "csapi.v1.SuccessPlanService/GetSuccess"),
    (
        "list_successes",
        "csapi.v1.SuccessPlanService/ListSuccesses",
    ),
    (
        "update_success",
        "csapi.v1.SuccessPlanService/UpdateSuccess",
    ),
    (
        "delete_success",
        "csapi.v1.SuccessPlanService/DeleteSuccess",
    ),
    (
        "record_success_reuse",
        "csapi.v1.SuccessPlanService/RecordSuccessReuse",
    ),
    (
        "list_success_reuses",
        "csapi.v1.SuccessPlanService/ListSuccessReuses",
    ),
    (
        "delete_success_reuse",
        "csapi.v1.SuccessPlanService/DeleteSuccessReuse",
    ),
];

/// Operational endpoints with no gRPC twin (gRPC has its own health service).
/// Operational routes, and the shared QBR page a browser opens.
const REST_ONLY: &[&str] = &["healthz", "readyz", "metrics", "open_shared_qbr"];

fn assert_committed(file: &str, generated: &str, command: &str) {
    let path = format!("{}/openapi/{file}", env!("CARGO_MANIFEST_DIR"));
    let committed = std::fs::read_to_string(path).expect("the document is committed");
    assert!(
        committed.trim_end() == generated.trim_end(),
        "openapi/{file} is stale: run `{command} > openapi/{file}` and review the diff"
    );
}

#[test]
fn committed_openapi_matches_the_code() {
    let generated = csapi::http::openapi().to_pretty_json().unwrap();
    assert_committed("openapi.json", &generated, "cargo run -- openapi");
    let generated = serde_json::to_string_pretty(&csapi::http::openapi_3_0()).unwrap();
    assert_committed(
        "openapi-3.0.json",
        &generated,
        "cargo run -- openapi --version 3.0",
    );
}

/// A schema only a query parameter uses is not registered by utoipa: a
/// reference to it would dangle and break every generated client.
#[test]
fn every_schema_reference_resolves_in_both_editions() {
    let editions = [
        serde_json::to_value(csapi::http::openapi()).unwrap(),
        serde_json::to_value(csapi::http::openapi_3_0()).unwrap(),
    ];
    for doc in editions {
        let text = doc.to_string();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        let dangling: Vec<&str> = text
            .split("\"#/components/schemas/")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .filter(|name| !schemas.contains_key(*name))
            .collect();
        assert!(dangling.is_empty(), "{dangling:?}");
    }
}

#[test]
fn errors_are_one_problem_shared_by_every_operation() {
    let api = serde_json::to_value(csapi::http::openapi()).unwrap();
    let mut shared = 0;
    for (path, item) in api["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, answer) in op["responses"].as_object().unwrap() {
                if !status.starts_with(['4', '5']) {
                    continue;
                }
                let named = answer["$ref"]
                    .as_str()
                    .map(|r| r.starts_with("#/components/responses/"));
                let inline = answer.pointer("/content/application~1problem+json/schema/$ref");
                assert!(
                    named == Some(true) || inline == Some(&"#/components/schemas/Problem".into()),
                    "{method} {path} {status} is neither a shared answer nor a Problem"
                );
                shared += usize::from(named == Some(true));
            }
        }
    }
    assert!(shared > 800, "{shared} shared answers");
    let responses = api["components"]["responses"].as_object().unwrap();
    assert_eq!(
        responses["UnprocessableEntity"]["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );
    let scores = &api["components"]["schemas"]["AssessmentInput"]["properties"]["scores"];
    assert_eq!(scores["additionalProperties"]["type"], "number");
    for open in ["/healthz", "/readyz", "/metrics"] {
        assert_eq!(
            api["paths"][open]["get"]["security"],
            serde_json::json!([]),
            "{open}"
        );
    }
}

#[test]
fn every_use_case_has_both_doors() {
    let api = serde_json::to_value(csapi::http::openapi()).unwrap();
    let mut rest = BTreeSet::new();
    for item in api["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            if let Some(id) = op.get("operationId").and_then(|v| v.as_str()) {
                rest.insert(id.to_owned());
            }
        }
    }
    let expected_rest: BTreeSet<String> = PARITY
        .iter()
        .map(|(r, _)| r.to_string())
        .chain(REST_ONLY.iter().map(|s| s.to_string()))
        .collect();
    assert_eq!(rest, expected_rest);

    let fds = prost_types::FileDescriptorSet::decode(csapi::grpc::pb::FILE_DESCRIPTOR_SET).unwrap();
    let grpc: BTreeSet<String> = fds
        .file
        .iter()
        .filter(|f| f.package() == "csapi.v1")
        .flat_map(|f| {
            f.service.iter().flat_map(|s| {
                s.method
                    .iter()
                    .map(move |m| format!("csapi.v1.{}/{}", s.name(), m.name()))
            })
        })
        .collect();
    let expected_grpc: BTreeSet<String> = PARITY.iter().map(|(_, g)| g.to_string()).collect();
    assert_eq!(grpc, expected_grpc);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_editions_are_served_without_a_key() {
    use crate::support::{Backend, TestApp};
    let app = TestApp::start(Backend::Sqlite).await.unwrap();
    for (path, version) in [("/openapi.json", "3.1.0"), ("/openapi-3.0.json", "3.0.3")] {
        let res = app
            .anonymous(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let doc: serde_json::Value = res.json().await.unwrap();
        assert_eq!(doc["openapi"], version, "{path}");
        assert!(doc["paths"]["/v1/accounts"]["post"].is_object(), "{path}");
        assert_eq!(
            doc,
            served_as_committed(version),
            "{path} is the committed document"
        );
    }
    let docs = app
        .anonymous(reqwest::Method::GET, "/docs/swagger-initializer.js")
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
    assert!(
        docs.text()
            .await
            .unwrap()
            .contains("\"url\": \"/openapi.json\""),
        "the docs page reads the served document"
    );
    app.finish().await;
}

fn served_as_committed(version: &str) -> serde_json::Value {
    let file = if version == "3.1.0" {
        "openapi.json"
    } else {
        "openapi-3.0.json"
    };
    let text =
        std::fs::read_to_string(format!("{}/openapi/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// What Salesforce External Services needs of the 3.0 edition: JSON only,
/// Apex-identifier names, every parameter named, descriptions it keeps whole.
#[test]
fn the_3_0_edition_fits_salesforce_external_services() {
    fn walk(v: &serde_json::Value, at: &str, check: &mut dyn FnMut(&str, &serde_json::Value)) {
        check(at, v);
        match v {
            serde_json::Value::Object(o) => o
                .iter()
                .for_each(|(k, c)| walk(c, &format!("{at}/{k}"), check)),
            serde_json::Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, c)| walk(c, &format!("{at}/{i}"), check)),
            _ => {}
        }
    }
    let doc = csapi::http::openapi_3_0();
    let apex = |name: &str| {
        name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.contains("__")
            && !name.ends_with('_')
    };
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        assert!(apex(name), "schema {name} is not an Apex identifier");
    }
    walk(&doc, "", &mut |at, v| {
        if let Some(o) = v.as_object() {
            if at.ends_with("/content") {
                for media in o.keys() {
                    assert!(
                        media == "application/json" || media == "application/problem+json",
                        "{at}: {media}"
                    );
                }
            }
            if let Some(d) = o.get("description").and_then(|d| d.as_str()) {
                assert!(
                    d.chars().count() <= 1333,
                    "{at}: a description of {} characters",
                    d.chars().count()
                );
            }
            if at.contains("/parameters/") && o.contains_key("in") {
                assert!(
                    o.get("name")
                        .and_then(|n| n.as_str())
                        .is_some_and(|n| !n.is_empty()),
                    "{at}"
                );
            }
        }
    });
}

#[test]
fn every_operation_is_summarised_described_and_exemplified() {
    let api = serde_json::to_value(csapi::http::openapi()).unwrap();
    for (path, item) in api["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for field in ["summary", "description"] {
                assert!(
                    op[field].as_str().is_some_and(|s| !s.is_empty()),
                    "{method} {path} has no {field}"
                );
            }
            if let Some(body) = op.get("requestBody") {
                assert!(
                    body["content"]["application/json"]["example"].is_object(),
                    "{method} {path} has no request example"
                );
            }
        }
    }
}

//! Frameworks and matrices: the built-in catalogue, stateless evaluation and
//! classification, over REST and gRPC.

use csapi::grpc::pb;
use csapi::grpc::pb::framework_service_client::FrameworkServiceClient;
use csapi::grpc::pb::matrix_service_client::MatrixServiceClient;
use reqwest::Method;
use serde_json::{Value, json};
use tonic::Code;
use tonic_types::StatusExt;

use crate::support::{ADMIN_KEY, authed, on_both_backends, problem_fields};

fn round4(v: &Value) -> f64 {
    (v.as_f64().unwrap() * 1e4).round() / 1e4
}

on_both_backends! {
    async fn catalogue_evaluate_and_classify_over_rest(app: &TestApp) {
        let read = app.key("read").await;
        let list: Value = app.req_as(&read, Method::GET, "/v1/frameworks").send().await.unwrap().json().await.unwrap();
        let keys: Vec<&str> = list["items"].as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap()).collect();
        assert_eq!(keys, ["readiness", "purpose_intent", "people", "process", "technology", "success_equation", "org_hierarchy"]);

        let readiness: Value = app.req_as(&read, Method::GET, "/v1/frameworks/readiness").send().await.unwrap().json().await.unwrap();
        assert_eq!(readiness["version"], 1);
        assert_eq!(readiness["built_in"], true);
        assert_eq!(readiness["subject"], "account");
        assert_eq!(readiness["matrices"][0]["cells"][3]["key"], "achiever");
        let missing = app.req_as(&read, Method::GET, "/v1/frameworks/nope").send().await.unwrap();
        assert_eq!(missing.status(), 404);

        let scores = json!({"product_quality": 8, "outcome_clarity": 9, "enablement": 7, "guidance": 6,
                            "relationship_trust": 3, "business_need": 8});
        let (status, e) = app.send(&read, Method::POST, "/v1/frameworks/success_equation/evaluate", Some(json!({"scores": scores}))).await;
        assert_eq!(status, 200);
        let eqs = e["equations"].as_array().unwrap();
        assert_eq!((eqs[0]["key"].as_str(), round4(&eqs[0]["value"])), (Some("adoption"), 0.7222));
        assert_eq!((eqs[1]["key"].as_str(), round4(&eqs[1]["value"])), (Some("renewal"), 0.2222));
        assert_eq!(eqs[1]["blocked_by"], json!(["relationship_trust"]));
        assert_eq!(round4(&eqs[1]["terms"][0]["value"]), 0.7222);
        assert_eq!((eqs[2]["key"].as_str(), round4(&eqs[2]["value"])), (Some("expansion"), 0.2222));
        assert_eq!(e["hierarchy"], Value::Null);

        let levels = json!({"business_model": 7, "technology_and_space": 8, "culture": 4,
                            "performance_and_learning": 9, "creativity_and_innovation": 9});
        let (_, h) = app.send(&read, Method::POST, "/v1/frameworks/org_hierarchy/evaluate", Some(json!({"scores": levels}))).await;
        assert_eq!(h["hierarchy"]["attained_level"], 2);
        assert_eq!(h["hierarchy"]["next_focus"], "culture");

        let (status, bad) = app.send(&read, Method::POST, "/v1/frameworks/readiness/evaluate", Some(json!({"scores": {"goal_clarity": 11, "colour": 3}}))).await;
        assert_eq!(status, 422);
        assert_eq!(problem_fields(&bad), ["scores.colour", "scores.goal_clarity", "scores.priority"]);

        let (status, c) = app.send(&read, Method::POST, "/v1/matrices/technology/classify", Some(json!({"x": 2, "y": 2}))).await;
        assert_eq!(status, 200);
        assert_eq!(c["cell"]["key"], "quick_win");
        assert_eq!(round4(&c["closeness"]), 0.8889);
        assert!(c["cell"]["play"].as_str().unwrap().len() > 10, "a CSM reads what to do");
        let (_, edge) = app.send(&read, Method::POST, "/v1/matrices/readiness/classify", Some(json!({"x": 5.5, "y": 5}))).await;
        assert_eq!(edge["cell"]["key"], "dreamer");
        let (status, bad) = app.send(&read, Method::POST, "/v1/matrices/readiness/classify", Some(json!({"x": 0, "y": 12}))).await;
        assert_eq!(status, 422);
        assert_eq!(problem_fields(&bad), ["x", "y"]);

        let matrices: Value = app.req_as(&read, Method::GET, "/v1/matrices").send().await.unwrap().json().await.unwrap();
        assert_eq!(matrices["items"].as_array().unwrap().len(), 5);
        let pi: Value = app.req_as(&read, Method::GET, "/v1/matrices/purpose_intent").send().await.unwrap().json().await.unwrap();
        assert_eq!(pi["framework"], "purpose_intent");
        assert_eq!(pi["x_dimension"]["key"], "purpose");
        assert_eq!(app.req_as(&read, Method::GET, "/v1/matrices/nope").send().await.unwrap().status(), 404);
    }

    async fn catalogue_evaluate_and_classify_over_grpc(app: &TestApp) {
        let channel = tonic::transport::Channel::from_shared(app.grpc_addr.clone()).unwrap().connect().await.unwrap();
        let mut f = FrameworkServiceClient::new(channel.clone());
        let mut m = MatrixServiceClient::new(channel);
        let all = f.list_frameworks(authed(ADMIN_KEY, pb::ListFrameworksRequest {})).await.unwrap().into_inner();
        assert_eq!(all.frameworks.len(), 7);
        let got = f.get_framework(authed(ADMIN_KEY, pb::GetFrameworkRequest { key: "success_equation".into() })).await.unwrap().into_inner();
        assert_eq!(got.equations.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(), ["adoption", "renewal", "expansion"]);
        let missing = f.get_framework(authed(ADMIN_KEY, pb::GetFrameworkRequest { key: "nope".into() })).await.unwrap_err();
        assert_eq!(missing.code(), Code::NotFound);

        let scores = [("goal_clarity", 9.0), ("priority", 2.0)].map(|(k, v)| (k.to_owned(), v)).into();
        let e = f
            .evaluate_framework(authed(ADMIN_KEY, pb::EvaluateFrameworkRequest { key: "readiness".into(), scores }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(e.classifications[0].cell.as_ref().unwrap().key, "dreamer");
        let bad = f
            .evaluate_framework(authed(ADMIN_KEY, pb::EvaluateFrameworkRequest { key: "readiness".into(), scores: Default::default() }))
            .await
            .unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);
        let mut violations: Vec<String> = bad.get_details_bad_request().unwrap().field_violations.into_iter().map(|v| v.field).collect();
        violations.sort();
        assert_eq!(violations, ["scores.goal_clarity", "scores.priority"]);

        let c = m.classify(authed(ADMIN_KEY, pb::ClassifyRequest { key: "technology".into(), x: 2.0, y: 2.0 })).await.unwrap().into_inner();
        assert_eq!(c.cell.unwrap().key, "quick_win");
        assert!((c.closeness - 0.8889).abs() < 1e-4);
        let listed = m.list_matrices(authed(ADMIN_KEY, pb::ListMatricesRequest {})).await.unwrap().into_inner();
        assert_eq!(listed.matrices.len(), 5);
        let tech = m.get_matrix(authed(ADMIN_KEY, pb::GetMatrixRequest { key: "technology".into() })).await.unwrap().into_inner();
        assert_eq!((tech.optimal_x.as_str(), tech.optimal_y.as_str()), ("low", "low"));
        let anonymous = m.list_matrices(tonic::Request::new(pb::ListMatricesRequest {})).await.unwrap_err();
        assert_eq!(anonymous.code(), Code::Unauthenticated);
    }
}

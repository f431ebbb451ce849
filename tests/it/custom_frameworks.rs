//! Custom frameworks: created and versioned by admins, cloned from built-ins,
//! validated rule by rule, private to their workspace; over REST and gRPC.

use csapi::grpc::pb;
use csapi::grpc::pb::framework_service_client::FrameworkServiceClient;
use reqwest::Method;
use serde_json::{Value, json};
use tonic::Code;
use tonic_types::StatusExt;

use crate::support::{ADMIN_KEY, authed, on_both_backends, problem_fields};

/// A 3×3 grid over value and engagement, and a weighted, gated equation.
fn health_grid() -> Value {
    let dim = |k: &str| json!({"key": k, "label": k, "question": format!("How much {k}?"), "scale": {"min": 1, "max": 10}});
    let cells: Vec<Value> = (0..9).map(|i| json!({"key": format!("c{i}"), "label": format!("Cell {i}"), "description": "", "play": ""})).collect();
    json!({
        "key": "health_grid", "name": "Health grid", "description": "Value against engagement", "subject": "account",
        "dimensions": [dim("value"), dim("engagement")],
        "matrices": [{"key": "health", "label": "Health", "x": "value", "y": "engagement",
                      "x_cuts": [4, 7], "y_cuts": [4, 7], "cells": cells, "optimal": {"x": "high", "y": "high"}}],
        "equations": [{"key": "stickiness", "label": "Stickiness", "terms": [
            {"source": {"kind": "dimension", "key": "value"}, "weight": 3, "floor": 0.5},
            {"source": {"kind": "dimension", "key": "engagement"}, "weight": 1, "floor": 0.2}]}]
    })
}

on_both_backends! {
    async fn custom_frameworks_are_versioned_and_evaluated(app: &TestApp) {
        let res = app.req(Method::POST, "/v1/frameworks").json(&health_grid()).send().await.unwrap();
        assert_eq!(res.status(), 201);
        assert_eq!(res.headers()["location"], "/v1/frameworks/health_grid");
        let created: Value = res.json().await.unwrap();
        assert_eq!((created["version"].as_i64(), created["built_in"].as_bool()), (Some(1), Some(false)));

        let (_, list) = app.send(ADMIN_KEY, Method::GET, "/v1/frameworks", None).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 8);

        let (status, e) = app.send(ADMIN_KEY, Method::POST, "/v1/frameworks/health_grid/evaluate", Some(json!({"scores": {"value": 5, "engagement": 8}}))).await;
        assert_eq!(status, 200);
        assert_eq!(e["classifications"][0]["cell"]["key"], "c7");
        assert_eq!((e["classifications"][0]["column"].as_i64(), e["classifications"][0]["row"].as_i64()), (Some(1), Some(2)));
        // (3·4/9 + 7/9)/4 = 19/36, capped by value 4/9 < its floor 0.5.
        assert!((e["equations"][0]["value"].as_f64().unwrap() - 4.0 / 9.0).abs() < 1e-9);
        assert_eq!(e["equations"][0]["blocked_by"], json!(["value"]));
        let (_, c) = app.send(ADMIN_KEY, Method::POST, "/v1/matrices/health/classify", Some(json!({"x": 9, "y": 1}))).await;
        assert_eq!(c["cell"]["key"], "c2");

        let mut v2 = health_grid();
        v2["name"] = json!("Health grid, revised");
        v2["matrices"][0]["x_cuts"] = json!([3, 6]);
        let (status, updated) = app.send(ADMIN_KEY, Method::PUT, "/v1/frameworks/health_grid", Some(v2)).await;
        assert_eq!(status, 200);
        assert_eq!(updated["version"], 2);
        let (_, latest) = app.send(ADMIN_KEY, Method::GET, "/v1/frameworks/health_grid", None).await;
        assert_eq!((latest["version"].as_i64(), latest["name"].as_str()), (Some(2), Some("Health grid, revised")));
        let (_, first) = app.send(ADMIN_KEY, Method::GET, "/v1/frameworks/health_grid/versions/1", None).await;
        assert_eq!((first["version"].as_i64(), first["name"].as_str()), (Some(1), Some("Health grid")));
        let (status, _) = app.send(ADMIN_KEY, Method::GET, "/v1/frameworks/health_grid/versions/3", None).await;
        assert_eq!(status, 404);
        let (status, _) = app.send(ADMIN_KEY, Method::GET, "/v1/frameworks/readiness/versions/1", None).await;
        assert_eq!(status, 200);

        let (status, clone) = app.send(ADMIN_KEY, Method::POST, "/v1/frameworks/readiness/clone", Some(json!({"key": "my_readiness", "name": "Our readiness"}))).await;
        assert_eq!(status, 201);
        assert_eq!((clone["name"].as_str(), clone["matrices"][0]["key"].as_str()), (Some("Our readiness"), Some("my_readiness")));
        let (_, c) = app.send(ADMIN_KEY, Method::POST, "/v1/matrices/my_readiness/classify", Some(json!({"x": 9, "y": 9}))).await;
        assert_eq!(c["cell"]["key"], "achiever");
    }

    async fn custom_framework_rules_roles_and_isolation(app: &TestApp) {
        let (status, _) = app.send(ADMIN_KEY, Method::POST, "/v1/frameworks", Some(health_grid())).await;
        assert_eq!(status, 201);
        let bad = |edit: fn(&mut Value)| {
            let mut f = health_grid();
            f["key"] = json!("other_grid");
            f["matrices"][0]["key"] = json!("other_health");
            f["equations"][0]["key"] = json!("other_stickiness");
            edit(&mut f);
            f
        };
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (bad(|f| f["dimensions"][1]["key"] = json!("value")), vec!["dimensions[1].key", "equations[0].terms[1]", "matrices[0].y"]),
            (bad(|f| f["dimensions"][0]["scale"] = json!({"min": 10, "max": 1})), vec!["dimensions[0].scale", "matrices[0].x_cuts"]),
            (bad(|f| f["matrices"][0]["x"] = json!("nps")), vec!["matrices[0].x"]),
            (bad(|f| f["matrices"][0]["y_cuts"] = json!([7, 4])), vec!["matrices[0].y_cuts"]),
            (bad(|f| f["matrices"][0]["x_cuts"] = json!([4, 11])), vec!["matrices[0].x_cuts"]),
            (bad(|f| { f["matrices"][0]["cells"].as_array_mut().unwrap().pop(); }), vec!["matrices[0].cells"]),
            (bad(|f| f["equations"][0]["terms"][0]["source"] = json!({"kind": "equation", "key": "loyalty"})), vec!["equations[0].terms[0]"]),
            (bad(|f| f["equations"][0]["terms"][0]["source"] = json!({"kind": "equation", "key": "other_stickiness"})), vec!["equations[0].terms"]),
            (bad(|f| f["hierarchy"] = json!({"key": "h", "label": "H", "levels": ["value", "vision"], "cut": 5.5})), vec!["hierarchy.levels[1]"]),
            (bad(|f| f["matrices"][0]["key"] = json!("readiness")), vec!["matrices[0].key"]),
        ];
        for (body, expected) in cases {
            let (status, problem) = app.send(ADMIN_KEY, Method::POST, "/v1/frameworks", Some(body.clone())).await;
            assert_eq!(status, 422, "{body}");
            assert_eq!(problem_fields(&problem), expected, "{problem}");
        }
        let (_, list) = app.send(ADMIN_KEY, Method::GET, "/v1/frameworks", None).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 8, "nothing stored");

        let (status, _) = app.send(ADMIN_KEY, Method::POST, "/v1/frameworks", Some(health_grid())).await;
        assert_eq!(status, 409, "a key exists");
        let mut builtin_key = health_grid();
        builtin_key["key"] = json!("readiness");
        builtin_key["matrices"][0]["key"] = json!("x_health");
        let (status, _) = app.send(ADMIN_KEY, Method::POST, "/v1/frameworks", Some(builtin_key)).await;
        assert_eq!(status, 409);
        let (_, readiness) = app.send(ADMIN_KEY, Method::GET, "/v1/frameworks/readiness", None).await;
        let mut definition = readiness.clone();
        for k in ["version", "built_in", "etag"] {
            definition.as_object_mut().unwrap().remove(k);
        }
        let (status, _) = app.send(ADMIN_KEY, Method::PUT, "/v1/frameworks/readiness", Some(definition)).await;
        assert_eq!(status, 403, "built-ins are read-only");

        let write = app.key("write").await;
        let read = app.key("read").await;
        for key in [&write, &read] {
            let (status, _) = app.send(key, Method::PUT, "/v1/frameworks/health_grid", Some(health_grid())).await;
            assert_eq!(status, 403);
            let (status, _) = app.send(key, Method::POST, "/v1/frameworks/health_grid/clone", Some(json!({"key": "copy"}))).await;
            assert_eq!(status, 403);
        }
        let (status, _) = app.send(&read, Method::POST, "/v1/frameworks/health_grid/evaluate", Some(json!({"scores": {"value": 1, "engagement": 1}}))).await;
        assert_eq!(status, 200, "reading and evaluating need only read");

        let other = app.other_workspace("elsewhere").await;
        for (method, path, body) in [
            (Method::GET, "/v1/frameworks/health_grid", None),
            (Method::GET, "/v1/frameworks/health_grid/versions/1", None),
            (Method::PUT, "/v1/frameworks/health_grid", Some(health_grid())),
            (Method::POST, "/v1/frameworks/health_grid/evaluate", Some(json!({"scores": {"value": 1, "engagement": 1}}))),
            (Method::POST, "/v1/frameworks/health_grid/clone", Some(json!({"key": "copy"}))),
            (Method::GET, "/v1/matrices/health", None),
            (Method::POST, "/v1/matrices/health/classify", Some(json!({"x": 1, "y": 1}))),
        ] {
            let what = format!("{method} {path}");
            assert_eq!(app.send(&other, method, path, body).await.0, 404, "{what}");
        }
        let (status, _) = app.send(&other, Method::POST, "/v1/frameworks", Some(health_grid())).await;
        assert_eq!(status, 201, "keys are per workspace");
    }

    async fn custom_frameworks_over_grpc(app: &TestApp) {
        let channel = tonic::transport::Channel::from_shared(app.grpc_addr.clone()).unwrap().connect().await.unwrap();
        let mut f = FrameworkServiceClient::new(channel);
        let readiness = f.get_framework(authed(ADMIN_KEY, pb::GetFrameworkRequest { key: "readiness".into() })).await.unwrap().into_inner();
        let clone = f
            .clone_framework(authed(ADMIN_KEY, pb::CloneFrameworkRequest { key: "readiness".into(), new_key: "ready2".into(), name: None }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((clone.version, clone.built_in, clone.matrices[0].key.as_str()), (1, false, "ready2"));

        let mut changed = clone.clone();
        changed.name = "Ready, revised".into();
        changed.matrices[0].x_cuts = vec![6.0];
        let v2 = f
            .update_framework(authed(ADMIN_KEY, pb::UpdateFrameworkRequest { key: "ready2".into(), framework: Some(changed) }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((v2.version, v2.name.as_str()), (2, "Ready, revised"));
        let v1 = f
            .get_framework_version(authed(ADMIN_KEY, pb::GetFrameworkVersionRequest { key: "ready2".into(), version: 1 }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(v1.matrices[0].x_cuts, [5.5]);

        let mut bad = readiness.clone();
        bad.key = "broken".into();
        bad.matrices[0].key = "broken".into();
        bad.matrices[0].x = "nps".into();
        bad.matrices[0].optimal_y = "up".into();
        let err = f.create_framework(authed(ADMIN_KEY, pb::CreateFrameworkRequest { framework: Some(bad) })).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        let violations: Vec<String> = err.get_details_bad_request().unwrap().field_violations.into_iter().map(|v| v.field).collect();
        assert_eq!(violations, ["framework.matrices[0].optimal_y"]);

        let denied = f
            .update_framework(authed(ADMIN_KEY, pb::UpdateFrameworkRequest { key: "readiness".into(), framework: Some(readiness) }))
            .await
            .unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied);
        let listed = f.list_frameworks(authed(ADMIN_KEY, pb::ListFrameworksRequest {})).await.unwrap().into_inner();
        assert_eq!(listed.frameworks.len(), 8);
    }
}

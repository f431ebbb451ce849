//! Assessments and what they feed: account classifications with history, the
//! portfolio as of a date, transitions, the chart, prioritisation and
//! policies; over REST and gRPC, with values worked out by hand.
//!
//! The book used throughout (scores on 1–10, norm(v) = (v − 1)/9):
//! - Acme (enterprise, jane): readiness (3, 2) on 2026-01-10 → wanderer;
//!   (8, 9) on 2026-03-10 → achiever, closeness 1 − |(7/9, 8/9) − (1, 1)|/√2
//!   = 0.824318; technology (2, 2) → quick_win, 0.888889; stakeholders Raj
//!   (purpose 10, intent 10 → committed) and Mia (1, 10 → directionless), mean
//!   point (0.5, 1), purpose_intent closeness 1 − 0.5/√2 = 0.646447.
//! - Globex (smb, raj): readiness (9, 2) on 2026-02-10 → dreamer, closeness
//!   1 − √65/9/√2 = 0.366569.
//! - Initech (enterprise, jane): never assessed.
//!
//! Default policy (readiness 2, purpose_intent 1, people 1, process 1,
//! technology 1): Acme (2·0.824318 + 0.646447 + 0.888889)/4 = 0.795993,
//! coverage 3/5 = 0.6, high_touch; Globex 0.366569, coverage 0.2, low_touch;
//! Initech unassessed.

use csapi::grpc::pb;
use csapi::grpc::pb::assessment_service_client::AssessmentServiceClient;
use csapi::grpc::pb::matrix_service_client::MatrixServiceClient;
use csapi::grpc::pb::prioritization_service_client::PrioritizationServiceClient;
use reqwest::Method;
use serde_json::{Value, json};
use tonic::Code;

use crate::support::{ADMIN_KEY, TestApp, authed, on_both_backends, problem_fields};

const ACME_READINESS: f64 = 0.824_317_907_768_423_4;
const GLOBEX_READINESS: f64 = 0.366_569_208_278_256_8;
const ACME_DEFAULT: f64 = 0.795_992_828_458_115_5;

fn close(v: &Value, expected: f64) -> bool {
    (v.as_f64().unwrap() - expected).abs() < 1e-6
}

/// Ids of the seeded book.
struct Book {
    acme: String,
    globex: String,
    initech: String,
    raj: String,
    mia: String,
    acme_march_readiness: String,
}

async fn assess(app: &TestApp, body: Value) -> Value {
    let (status, a) = app
        .send(
            ADMIN_KEY,
            Method::POST,
            "/v1/assessments",
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, 201, "{body} → {a}");
    a
}

async fn seed(app: &TestApp) -> Book {
    let account = |name: &str, segment: &str, owner: &str| json!({"name": name, "segment": segment, "owner": owner});
    let acme = app
        .account(account("Acme", "enterprise", "jane@example.com"))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let globex = app
        .account(account("Globex", "smb", "raj@example.com"))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let initech = app
        .account(account("Initech", "enterprise", "jane@example.com"))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut people = Vec::new();
    for name in ["Raj", "Mia"] {
        let (status, s) = app
            .send(
                ADMIN_KEY,
                Method::POST,
                &format!("/v1/accounts/{acme}/stakeholders"),
                Some(json!({"name": name})),
            )
            .await;
        assert_eq!(status, 201);
        people.push(s["id"].as_str().unwrap().to_owned());
    }
    let readiness = |account: &str, g: f64, p: f64, at: &str| json!({"account_id": account, "framework": "readiness", "scores": {"goal_clarity": g, "priority": p}, "assessed_at": at});
    assess(app, readiness(&acme, 3.0, 2.0, "2026-01-10T00:00:00Z")).await;
    assess(app, readiness(&globex, 9.0, 2.0, "2026-02-10T00:00:00Z")).await;
    let march = assess(app, readiness(&acme, 8.0, 9.0, "2026-03-10T00:00:00Z")).await;
    assert_eq!(
        march["results"]["classifications"][0]["cell"]["key"],
        "achiever"
    );
    assess(app, json!({"account_id": acme, "framework": "technology", "scores": {"effort": 2, "complexity": 2},
        "assessed_at": "2026-03-10T00:00:00Z", "assessor": "jane@example.com", "notes": {"effort": "one SSO hook"}})).await;
    for (person, purpose) in [(&people[0], 10), (&people[1], 1)] {
        assess(
            app,
            json!({"account_id": acme, "stakeholder_id": person, "framework": "purpose_intent",
            "scores": {"purpose": purpose, "intent": 10}, "assessed_at": "2026-03-11T00:00:00Z"}),
        )
        .await;
    }
    Book {
        acme,
        globex,
        initech,
        raj: people[0].clone(),
        mia: people[1].clone(),
        acme_march_readiness: march["id"].as_str().unwrap().to_owned(),
    }
}

fn counts(portfolio: &Value) -> Vec<(String, u64)> {
    portfolio["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["cell"]["key"].as_str().unwrap().to_owned(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn cells(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
    pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

on_both_backends! {
    async fn assessments_feed_classifications_portfolio_and_transitions(app: &TestApp) {
        let b = seed(app).await;
        let get = |path: String| async move { app.send(ADMIN_KEY, Method::GET, &path, None).await };

        let (_, listed) = get(format!("/v1/assessments?account_id={}&framework=readiness", b.acme)).await;
        let scores: Vec<f64> = listed["items"].as_array().unwrap().iter().map(|a| a["scores"]["goal_clarity"].as_f64().unwrap()).collect();
        assert_eq!(scores, [3.0, 8.0]);
        let (_, ranged) = get("/v1/assessments?from=2026-02-01T00:00:00Z&to=2026-03-10T00:00:00Z".to_owned()).await;
        assert_eq!(ranged["items"].as_array().unwrap().len(), 1, "only Globex's, on 2026-02-10");
        let (_, by_person) = get(format!("/v1/assessments?stakeholder_id={}", b.mia)).await;
        assert_eq!(by_person["items"][0]["results"]["classifications"][0]["cell"]["key"], "directionless");
        let (_, paged) = get("/v1/assessments?page_size=4".to_owned()).await;
        let token = paged["next_page_token"].as_str().unwrap();
        let (_, rest) = get(format!("/v1/assessments?page_size=4&page_token={token}")).await;
        assert_eq!((paged["items"].as_array().unwrap().len(), rest["items"].as_array().unwrap().len()), (4, 2));
        assert_eq!(rest["next_page_token"], Value::Null);

        let (status, one) = get(format!("/v1/assessments/{}", b.acme_march_readiness)).await;
        assert_eq!(status, 200);
        assert_eq!((one["framework"].as_str(), one["framework_version"].as_i64()), (Some("readiness"), Some(1)));
        assert!(close(&one["results"]["classifications"][0]["closeness"], ACME_READINESS));

        let (_, history) = get(format!("/v1/accounts/{}/classifications", b.acme)).await;
        let items = history["items"].as_array().unwrap();
        let matrices: Vec<&str> = items.iter().map(|i| i["matrix"].as_str().unwrap()).collect();
        assert_eq!(matrices, ["purpose_intent", "purpose_intent", "readiness", "technology"]);
        let readiness = &items[2];
        assert_eq!(readiness["latest"]["cell"]["key"], "achiever");
        assert_eq!(readiness["latest"]["cell"]["label"], "Achiever");
        let cells_over_time: Vec<&str> = readiness["history"].as_array().unwrap().iter().map(|h| h["cell"]["key"].as_str().unwrap()).collect();
        assert_eq!(cells_over_time, ["achiever", "wanderer"]);
        let people: Vec<(&str, &str)> = items[..2].iter().map(|i| (i["latest"]["subject_name"].as_str().unwrap(), i["latest"]["cell"]["key"].as_str().unwrap())).collect();
        assert!(people.contains(&("Raj", "committed")) && people.contains(&("Mia", "directionless")));

        let (_, now) = get("/v1/matrices/readiness/portfolio".to_owned()).await;
        assert_eq!(counts(&now), cells(&[("wanderer", 0), ("dreamer", 1), ("soldier", 0), ("achiever", 1)]));
        assert_eq!(now["total"], 2);
        let (_, february) = get("/v1/matrices/readiness/portfolio?as_of=2026-02-01T00:00:00Z".to_owned()).await;
        assert_eq!(counts(&february), cells(&[("wanderer", 1), ("dreamer", 0), ("soldier", 0), ("achiever", 0)]));
        assert_eq!(february["items"][0]["account_name"], "Acme");
        let (_, smb) = get("/v1/matrices/readiness/portfolio?segment=SMB".to_owned()).await;
        assert_eq!(smb["total"], 1);
        assert_eq!(smb["items"][0]["cell"]["key"], "dreamer");
        let (_, first) = get("/v1/matrices/readiness/portfolio?page_size=1".to_owned()).await;
        let token = first["next_page_token"].as_str().unwrap();
        let (_, second) = get(format!("/v1/matrices/readiness/portfolio?page_size=1&page_token={token}")).await;
        let mut names = vec![first["items"][0]["account_name"].as_str().unwrap(), second["items"][0]["account_name"].as_str().unwrap()];
        names.sort();
        assert_eq!(names, ["Acme", "Globex"]);
        assert_eq!(second["next_page_token"], Value::Null);
        let (_, stakeholders) = get("/v1/matrices/purpose_intent/portfolio?owner=jane@example.com".to_owned()).await;
        assert_eq!(stakeholders["total"], 2);

        let (_, moved) = get("/v1/matrices/readiness/transitions?from=2026-02-01T00:00:00Z".to_owned()).await;
        assert_eq!(moved["items"], json!([{"from": null, "to": "dreamer", "count": 1}, {"from": "wanderer", "to": "achiever", "count": 1}]));
        let (_, early) = get("/v1/matrices/readiness/transitions?from=2026-01-01T00:00:00Z&to=2026-01-31T00:00:00Z".to_owned()).await;
        assert_eq!(early["items"], json!([{"from": null, "to": "wanderer", "count": 1}]));

        let res = app.req(Method::GET, "/v1/matrices/readiness/chart.svg").send().await.unwrap();
        assert_eq!(res.headers()["content-type"], "image/svg+xml");
        let svg = res.text().await.unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title>Acme: achiever</title>") && svg.contains("<title>Globex: dreamer</title>"));
        assert!(svg.contains("2 accounts as of") && svg.contains("Goal clarity (1 to 10)"));

        // Deleting Acme's March assessment makes January's current again.
        let (status, _) = app.send(ADMIN_KEY, Method::DELETE, &format!("/v1/assessments/{}", b.acme_march_readiness), None).await;
        assert_eq!(status, 204);
        let (status, _) = get(format!("/v1/assessments/{}", b.acme_march_readiness)).await;
        assert_eq!(status, 404);
        let (_, after) = get("/v1/matrices/readiness/portfolio".to_owned()).await;
        assert_eq!(counts(&after), cells(&[("wanderer", 1), ("dreamer", 1), ("soldier", 0), ("achiever", 0)]));
        let (_, moved) = get("/v1/matrices/readiness/transitions?from=2026-02-01T00:00:00Z".to_owned()).await;
        assert_eq!(moved["items"], json!([{"from": null, "to": "dreamer", "count": 1}, {"from": "wanderer", "to": "wanderer", "count": 1}]));
    }

    async fn prioritization_ranks_by_weighted_closeness(app: &TestApp) {
        let b = seed(app).await;
        let (status, ranked) = app.send(ADMIN_KEY, Method::GET, "/v1/prioritization", None).await;
        assert_eq!(status, 200);
        let items = ranked["items"].as_array().unwrap();
        let names: Vec<&str> = items.iter().map(|i| i["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Acme", "Globex", "Initech"]);
        assert!(close(&items[0]["score"], ACME_DEFAULT));
        assert_eq!((items[0]["coverage"].as_f64(), items[0]["tier"].as_str()), (Some(0.6), Some("high_touch")));
        let parts: Vec<(&str, Option<f64>)> = items[0]["contributions"].as_array().unwrap().iter()
            .map(|c| (c["term"].as_str().unwrap(), c["value"].as_f64())).collect();
        assert_eq!(parts.iter().map(|(t, _)| *t).collect::<Vec<_>>(), ["readiness", "purpose_intent", "people", "process", "technology"]);
        assert_eq!((parts[2].1, parts[3].1), (None, None), "no people or process assessment");
        let sum: f64 = items[0]["contributions"].as_array().unwrap().iter().map(|c| c["contribution"].as_f64().unwrap()).sum();
        assert!((sum - ACME_DEFAULT).abs() < 1e-9, "the contributions add up to the score");
        assert!(close(&items[0]["closeness"]["purpose_intent"], 1.0 - 0.5 / 2f64.sqrt()));
        assert!(close(&items[0]["closeness"]["technology"], 8.0 / 9.0));
        assert!(close(&items[1]["score"], GLOBEX_READINESS));
        assert_eq!(items[1]["tier"], "low_touch");
        assert_eq!((items[2]["score"].clone(), items[2]["tier"].as_str()), (Value::Null, Some("unassessed")));

        let (_, page1) = app.send(ADMIN_KEY, Method::GET, "/v1/prioritization?page_size=2", None).await;
        let token = page1["next_page_token"].as_str().unwrap().to_owned();
        let (_, page2) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/prioritization?page_size=2&page_token={token}"), None).await;
        assert_eq!(page2["items"][0]["account_id"].as_str(), Some(b.initech.as_str()));
        assert_eq!(page2["next_page_token"], Value::Null);
        let beyond = format!("/v1/prioritization?page_token={}", "f".repeat(32));
        let (status, past_the_end) = app.send(ADMIN_KEY, Method::GET, &beyond, None).await;
        assert_eq!((status, past_the_end["items"].clone()), (200, json!([])));
        let (_, low) = app.send(ADMIN_KEY, Method::GET, "/v1/prioritization?tier=low_touch", None).await;
        assert_eq!(low["items"].as_array().unwrap().len(), 1);
        let (_, jane) = app.send(ADMIN_KEY, Method::GET, "/v1/prioritization?owner=jane@example.com", None).await;
        assert_eq!(jane["items"].as_array().unwrap().len(), 2);

        // A custom policy: technology 3, readiness 1; high_touch ≥ 0.8, standard ≥ 0.5.
        // Acme (3·8/9 + 0.824318)/4 = 0.872746; Globex 0.366569 → low_touch.
        // Its tiers use the names policies had before tiers had labels (min, tier).
        let policy = json!({"key": "tech_first", "label": "Tech first",
            "matrices": [{"matrix": "technology", "weight": 3}, {"matrix": "readiness", "weight": 1}],
            "tiers": [{"min": 0.8, "tier": "high_touch"}, {"min": 0.5, "tier": "standard"}]});
        let (status, created) = app.send(ADMIN_KEY, Method::POST, "/v1/prioritization-policies", Some(policy.clone())).await;
        assert_eq!((status, created["built_in"].as_bool()), (201, Some(false)));
        assert_eq!(created["tiers"][0], json!({"key": "high_touch", "min_score": 0.8}));
        let (status, _) = app.send(ADMIN_KEY, Method::POST, "/v1/prioritization-policies", Some(policy.clone())).await;
        assert_eq!(status, 409);
        let (_, ranked) = app.send(ADMIN_KEY, Method::GET, "/v1/prioritization?policy=tech_first", None).await;
        assert!(close(&ranked["items"][0]["score"], 0.872_746_143_608_772_6));
        assert_eq!((ranked["items"][0]["coverage"].as_f64(), ranked["items"][1]["coverage"].as_f64()), (Some(1.0), Some(0.5)));
        let mut changed = policy.clone();
        changed["tiers"] = json!([{"min": 0.9, "tier": "high_touch"}]);
        let (status, _) = app.send(ADMIN_KEY, Method::PUT, "/v1/prioritization-policies/tech_first", Some(changed)).await;
        assert_eq!(status, 200);
        let (_, ranked) = app.send(ADMIN_KEY, Method::GET, "/v1/prioritization?policy=tech_first", None).await;
        assert_eq!(ranked["items"][0]["tier"], "low_touch");
        let (_, all) = app.send(ADMIN_KEY, Method::GET, "/v1/prioritization-policies", None).await;
        let keys: Vec<&str> = all["items"].as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap()).collect();
        assert_eq!(keys, ["default", "tech_first"]);
        let (status, _) = app.send(ADMIN_KEY, Method::DELETE, "/v1/prioritization-policies/tech_first", None).await;
        assert_eq!(status, 204);
        let (status, _) = app.send(ADMIN_KEY, Method::GET, "/v1/prioritization?policy=tech_first", None).await;
        assert_eq!(status, 404);
        for method in [Method::PUT, Method::DELETE] {
            let (status, _) = app.send(ADMIN_KEY, method, "/v1/prioritization-policies/default", Some(policy.clone())).await;
            assert_eq!(status, 403, "built-ins are read-only");
        }
    }

    async fn a_custom_three_by_three_grid_is_assessed_and_charted(app: &TestApp) {
        let dim = |k: &str| json!({"key": k, "label": k, "question": "", "scale": {"min": 1, "max": 10}});
        let grid: Vec<Value> = (0..9).map(|i| json!({"key": format!("c{i}"), "label": format!("Cell {i}"), "description": "", "play": ""})).collect();
        let framework = json!({"key": "health_grid", "name": "Health grid", "description": "", "subject": "account",
            "dimensions": [dim("value"), dim("engagement")],
            "matrices": [{"key": "health", "label": "Health", "x": "value", "y": "engagement",
                "x_cuts": [4, 7], "y_cuts": [4, 7], "cells": grid, "optimal": {"x": "high", "y": "high"}}],
            "equations": [{"key": "stickiness", "label": "Stickiness", "terms": [
                {"source": {"kind": "dimension", "key": "value"}, "weight": 3, "floor": 0.5},
                {"source": {"kind": "dimension", "key": "engagement"}, "weight": 1, "floor": 0.2}]}]});
        let (status, _) = app.send(ADMIN_KEY, Method::POST, "/v1/frameworks", Some(framework.clone())).await;
        assert_eq!(status, 201);
        let acme = app.account(json!({"name": "Acme"})).await["id"].as_str().unwrap().to_owned();
        let a = assess(app, json!({"account_id": acme, "framework": "health_grid", "scores": {"value": 5, "engagement": 8}})).await;
        // value 5 is past cut 4 (column 1), engagement 8 past 7 (row 2): c7.
        // stickiness: (3·4/9 + 7/9)/4 = 19/36, capped by value 4/9 below its floor 0.5.
        assert_eq!(a["results"]["classifications"][0]["cell"]["key"], "c7");
        assert!(close(&a["results"]["equations"][0]["value"], 4.0 / 9.0));
        assert_eq!(a["results"]["equations"][0]["blocked_by"], json!(["value"]));

        // A new version changes the cuts; the assessment keeps version 1.
        let mut v2 = framework;
        v2["matrices"][0]["x_cuts"] = json!([6, 8]);
        let (status, _) = app.send(ADMIN_KEY, Method::PUT, "/v1/frameworks/health_grid", Some(v2)).await;
        assert_eq!(status, 200);
        let b = assess(app, json!({"account_id": acme, "framework": "health_grid", "scores": {"value": 5, "engagement": 8}})).await;
        assert_eq!((b["framework_version"].as_i64(), b["results"]["classifications"][0]["cell"]["key"].as_str()), (Some(2), Some("c6")));
        let (_, first) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/assessments/{}", a["id"].as_str().unwrap()), None).await;
        assert_eq!((first["framework_version"].as_i64(), first["results"]["classifications"][0]["cell"]["key"].as_str()), (Some(1), Some("c7")));

        let (_, portfolio) = app.send(ADMIN_KEY, Method::GET, "/v1/matrices/health/portfolio", None).await;
        let expected: Vec<(String, u64)> = (0..9).map(|i| (format!("c{i}"), u64::from(i == 6))).collect();
        assert_eq!(counts(&portfolio), expected);
        let svg = app.req(Method::GET, "/v1/matrices/health/chart.svg").send().await.unwrap().text().await.unwrap();
        assert_eq!(svg.matches("stroke-dasharray").count(), 4, "two cut lines per axis");
        assert!(svg.contains("Cell 8") && svg.contains("<title>Acme: c6</title>"));
    }

    async fn the_same_use_cases_over_grpc(app: &TestApp) {
        let b = seed(app).await;
        let channel = app.channel().await;
        let mut assessments = AssessmentServiceClient::new(channel.clone());
        let mut matrices = MatrixServiceClient::new(channel.clone());
        let mut priorities = PrioritizationServiceClient::new(channel);

        let created = assessments
            .create_assessment(authed(ADMIN_KEY, pb::CreateAssessmentRequest { account_ref: None, stakeholder_ref: None, assessment: Some(pb::Assessment {
                account_id: b.globex.clone(),
                framework: "readiness".into(),
                scores: [("goal_clarity".to_owned(), 9.0), ("priority".to_owned(), 9.0)].into(),
                ..Default::default()
            }) }))
            .await
            .unwrap()
            .into_inner();
        let results = created.results.unwrap();
        assert_eq!(results.classifications[0].cell.as_ref().unwrap().key, "achiever");
        let got = assessments.get_assessment(authed(ADMIN_KEY, pb::GetAssessmentRequest { id: created.id.clone() })).await.unwrap().into_inner();
        assert_eq!(got.scores["priority"], 9.0);
        let listed = assessments
            .list_assessments(authed(ADMIN_KEY, pb::ListAssessmentsRequest { account_id: Some(b.globex.clone()), ..Default::default() }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed.assessments.len(), 2);

        let bad = assessments
            .create_assessment(authed(ADMIN_KEY, pb::CreateAssessmentRequest { account_ref: None, stakeholder_ref: None, assessment: Some(pb::Assessment {
                account_id: b.acme.clone(),
                framework: "purpose_intent".into(),
                scores: [("purpose".to_owned(), 0.0)].into(),
                ..Default::default()
            }) }))
            .await
            .unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);
        let mut fields: Vec<String> = tonic_types::StatusExt::get_details_bad_request(&bad).unwrap().field_violations.into_iter().map(|v| v.field).collect();
        fields.sort();
        assert_eq!(fields, ["scores.intent", "scores.purpose", "stakeholder_id"]);

        let history = matrices
            .list_account_classifications(authed(ADMIN_KEY, pb::ListAccountClassificationsRequest { account_id: b.globex.clone() }))
            .await
            .unwrap()
            .into_inner();
        let over_time: Vec<String> = history.items[0].history.iter().map(|h| h.cell.as_ref().unwrap().key.clone()).collect();
        assert_eq!(over_time, ["achiever", "dreamer"]);
        let portfolio = matrices
            .get_portfolio(authed(ADMIN_KEY, pb::GetPortfolioRequest { key: "readiness".into(), ..Default::default() }))
            .await
            .unwrap()
            .into_inner();
        let counts: Vec<(String, u64)> = portfolio.cells.iter().map(|c| (c.cell.as_ref().unwrap().key.clone(), c.count)).collect();
        assert_eq!(counts, cells(&[("wanderer", 0), ("dreamer", 0), ("soldier", 0), ("achiever", 2)]));
        let from = prost_types::Timestamp { seconds: 1_769_904_000, nanos: 0 }; // 2026-02-01
        let moved = matrices
            .get_transitions(authed(ADMIN_KEY, pb::GetTransitionsRequest { key: "readiness".into(), from: Some(from), ..Default::default() }))
            .await
            .unwrap()
            .into_inner();
        let moves: Vec<(Option<String>, String, u64)> = moved.items.into_iter().map(|t| (t.from, t.to, t.count)).collect();
        assert_eq!(moves, [(None, "achiever".to_owned(), 1), (Some("wanderer".to_owned()), "achiever".to_owned(), 1)]);
        let chart = matrices
            .get_portfolio_chart(authed(ADMIN_KEY, pb::GetPortfolioChartRequest { key: "readiness".into(), ..Default::default() }))
            .await
            .unwrap()
            .into_inner();
        assert!(chart.svg.contains("<title>Globex: achiever</title>"));
        let missing = matrices
            .get_transitions(authed(ADMIN_KEY, pb::GetTransitionsRequest { key: "readiness".into(), ..Default::default() }))
            .await
            .unwrap_err();
        assert_eq!(missing.code(), Code::InvalidArgument);

        // Globex is an achiever at (9, 9) now: closeness 1 − (√2/9)/√2 = 8/9, above Acme's 0.795993.
        let ranked = priorities.prioritize(authed(ADMIN_KEY, pb::PrioritizeRequest::default())).await.unwrap().into_inner();
        assert_eq!(ranked.policy, "default");
        assert_eq!((ranked.accounts[0].account_id.as_str(), ranked.accounts[1].account_id.as_str()), (b.globex.as_str(), b.acme.as_str()));
        assert!((ranked.accounts[0].score.unwrap() - 8.0 / 9.0).abs() < 1e-6);
        assert!((ranked.accounts[1].score.unwrap() - ACME_DEFAULT).abs() < 1e-6);
        assert_eq!(ranked.accounts[2].score, None);
        let policy = pb::Policy {
            key: "readiness_only".into(),
            label: "Readiness only".into(),
            matrices: vec![pb::WeightedMatrix { matrix: "readiness".into(), weight: 1.0 }],
            tiers: vec![pb::TierCut { min_score: 0.5, key: "high_touch".into(), label: None }],
            built_in: false,
            etag: String::new(),
            terms: Vec::new(),
            exclude: None,
        };
        priorities.create_policy(authed(ADMIN_KEY, pb::CreatePolicyRequest { policy: Some(policy.clone()) })).await.unwrap();
        let got = priorities.get_policy(authed(ADMIN_KEY, pb::GetPolicyRequest { key: "readiness_only".into() })).await.unwrap().into_inner();
        assert_eq!(got.tiers[0].key, "high_touch");
        let mut renamed = policy.clone();
        renamed.label = "Readiness, only".into();
        let updated = priorities
            .update_policy(authed(ADMIN_KEY, pb::UpdatePolicyRequest { key: "readiness_only".into(), policy: Some(renamed) }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(updated.label, "Readiness, only");
        let all = priorities.list_policies(authed(ADMIN_KEY, pb::ListPoliciesRequest {})).await.unwrap().into_inner();
        assert_eq!(all.policies.len(), 2);
        let ranked = priorities
            .prioritize(authed(ADMIN_KEY, pb::PrioritizeRequest { policy: "readiness_only".into(), tier: Some("high_touch".into()), ..Default::default() }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(ranked.accounts.len(), 2, "Acme and Globex, both achievers now");
        priorities.delete_policy(authed(ADMIN_KEY, pb::DeletePolicyRequest { key: "readiness_only".into(), ..Default::default() })).await.unwrap();
        let builtin = priorities.delete_policy(authed(ADMIN_KEY, pb::DeletePolicyRequest { key: "default".into(), ..Default::default() })).await.unwrap_err();
        assert_eq!(builtin.code(), Code::PermissionDenied);

        assessments.delete_assessment(authed(ADMIN_KEY, pb::DeleteAssessmentRequest { id: created.id.clone() })).await.unwrap();
        let gone = assessments.get_assessment(authed(ADMIN_KEY, pb::GetAssessmentRequest { id: created.id })).await.unwrap_err();
        assert_eq!(gone.code(), Code::NotFound);
    }

    async fn bad_assessments_and_policies_name_every_field_and_store_nothing(app: &TestApp) {
        let b = seed(app).await;
        let other = app.account(json!({"name": "Other"})).await["id"].as_str().unwrap().to_owned();
        let before = app.send(ADMIN_KEY, Method::GET, "/v1/assessments?page_size=1000", None).await.1;
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (json!({"account_id": b.acme, "framework": "readiness", "scores": {"goal_clarity": 0, "priority": 10.5}}),
             vec!["scores.goal_clarity", "scores.priority"]),
            (json!({"account_id": b.acme, "framework": "readiness", "scores": {"goal_clarity": 5, "mood": 3}}),
             vec!["scores.mood", "scores.priority"]),
            (json!({"account_id": b.acme, "framework": "purpose_intent", "scores": {"purpose": 5, "intent": 5}}),
             vec!["stakeholder_id"]),
            (json!({"account_id": other, "stakeholder_id": b.raj, "framework": "purpose_intent", "scores": {"purpose": 5, "intent": 5}}),
             vec!["stakeholder_id"]),
            (json!({"account_id": b.acme, "stakeholder_id": b.raj, "framework": "readiness", "scores": {"goal_clarity": 5, "priority": 5},
                    "notes": {"vibe": "x"}, "assessed_at": "2999-01-01T00:00:00Z", "assessor": ""}),
             vec!["assessed_at", "assessor", "notes.vibe", "stakeholder_id"]),
            (json!({"account_id": "not-a-uuid", "framework": 7, "scores": [], "extra": 1}),
             vec!["account_id", "extra", "framework", "scores"]),
        ];
        for (body, expected) in cases {
            let (status, problem) = app.send(ADMIN_KEY, Method::POST, "/v1/assessments", Some(body.clone())).await;
            assert_eq!(status, 422, "{body}");
            assert_eq!(problem_fields(&problem), expected, "{body}");
        }
        let (status, _) = app.send(ADMIN_KEY, Method::POST, "/v1/assessments",
            Some(json!({"account_id": b.acme, "framework": "nope", "scores": {}}))).await;
        assert_eq!(status, 404);
        let after = app.send(ADMIN_KEY, Method::GET, "/v1/assessments?page_size=1000", None).await.1;
        assert_eq!(before, after, "nothing was stored");

        for (query, field) in [
            ("/v1/matrices/readiness/transitions?from=2026-03-01T00:00:00Z&to=2026-02-01T00:00:00Z", "to"),
            ("/v1/matrices/readiness/transitions", "from"),
            ("/v1/matrices/readiness/portfolio?as_of=yesterday", "as_of"),
            ("/v1/prioritization?tier=vip", "tier"),
            ("/v1/prioritization?policy=", "policy"),
            ("/v1/assessments?framework=", "framework"),
            ("/v1/assessments?from=2026-03-01T00:00:00Z&to=2026-03-01T00:00:00Z", "to"),
        ] {
            let (status, problem) = app.send(ADMIN_KEY, Method::GET, query, None).await;
            assert_eq!((status, problem_fields(&problem)), (422, vec![field.to_owned()]), "{query}");
        }

        let bad_policy = json!({"key": "Bad", "label": " ", "matrices": [{"matrix": "nope", "weight": -1}],
            "tiers": [{"min_score": 0.3, "key": "standard"}, {"min_score": 0.6, "key": "unassessed"}]});
        let (status, problem) = app.send(ADMIN_KEY, Method::POST, "/v1/prioritization-policies", Some(bad_policy)).await;
        assert_eq!(status, 422);
        assert_eq!(problem_fields(&problem), ["key", "label", "matrices[0].matrix", "matrices[0].weight", "tiers", "tiers[1].key"]);
        let (_, policies) = app.send(ADMIN_KEY, Method::GET, "/v1/prioritization-policies", None).await;
        assert_eq!(policies["items"].as_array().unwrap().len(), 1);
    }

    async fn other_workspaces_see_nothing_and_roles_hold(app: &TestApp) {
        let b = seed(app).await;
        let stranger = app.other_workspace("elsewhere").await;
        let (_, policy) = app.send(ADMIN_KEY, Method::POST, "/v1/prioritization-policies", Some(json!({"key": "mine", "label": "Mine",
            "matrices": [{"matrix": "readiness", "weight": 1}], "tiers": []}))).await;
        assert_eq!(policy["key"], "mine");
        let assessment = &b.acme_march_readiness;
        for (method, path, body) in [
            (Method::GET, format!("/v1/assessments/{assessment}"), None),
            (Method::DELETE, format!("/v1/assessments/{assessment}"), None),
            (Method::GET, format!("/v1/assessments?account_id={}", b.acme), None),
            (Method::GET, format!("/v1/assessments?stakeholder_id={}", b.raj), None),
            (Method::GET, format!("/v1/accounts/{}/classifications", b.acme), None),
            (Method::POST, "/v1/assessments".to_owned(), Some(json!({"account_id": b.acme, "framework": "readiness", "scores": {"goal_clarity": 5, "priority": 5}}))),
            (Method::GET, "/v1/prioritization-policies/mine".to_owned(), None),
            (Method::PUT, "/v1/prioritization-policies/mine".to_owned(), Some(json!({"key": "mine", "label": "Mine", "matrices": [{"matrix": "readiness", "weight": 1}], "tiers": []}))),
            (Method::DELETE, "/v1/prioritization-policies/mine".to_owned(), None),
            (Method::GET, "/v1/prioritization?policy=mine".to_owned(), None),
        ] {
            let (status, _) = app.send(&stranger, method.clone(), &path, body).await;
            assert_eq!(status, 404, "{method} {path}");
        }
        let (_, theirs) = app.send(&stranger, Method::GET, "/v1/matrices/readiness/portfolio", None).await;
        assert_eq!(theirs["total"], 0);
        let (_, ranked) = app.send(&stranger, Method::GET, "/v1/prioritization", None).await;
        assert_eq!(ranked["items"], json!([]));
        let svg = app.req_as(&stranger, Method::GET, "/v1/matrices/readiness/chart.svg").send().await.unwrap().text().await.unwrap();
        assert!(!svg.contains("Acme") && svg.contains("0 accounts"));

        let read = app.key("read").await;
        let write = app.key("write").await;
        for (method, path, body) in [
            (Method::POST, "/v1/assessments".to_owned(), Some(json!({"account_id": b.acme, "framework": "readiness", "scores": {"goal_clarity": 5, "priority": 5}}))),
            (Method::DELETE, format!("/v1/assessments/{assessment}"), None),
            (Method::POST, "/v1/prioritization-policies".to_owned(), Some(json!({"key": "x", "label": "X", "matrices": [{"matrix": "readiness", "weight": 1}], "tiers": []}))),
            (Method::DELETE, "/v1/prioritization-policies/mine".to_owned(), None),
        ] {
            let (status, _) = app.send(&read, method.clone(), &path, body.clone()).await;
            assert_eq!(status, 403, "read key: {method} {path}");
        }
        let (status, _) = app.send(&write, Method::DELETE, "/v1/prioritization-policies/mine", None).await;
        assert_eq!(status, 403, "policies are for admins");
        let (status, _) = app.send(&read, Method::GET, "/v1/prioritization", None).await;
        assert_eq!(status, 200);

        let mut grpc = AssessmentServiceClient::new(app.channel().await);
        let hidden = grpc.get_assessment(authed(&stranger, pb::GetAssessmentRequest { id: assessment.clone() })).await.unwrap_err();
        assert_eq!(hidden.code(), Code::NotFound);
        let denied = grpc.delete_assessment(authed(&read, pb::DeleteAssessmentRequest { id: assessment.clone() })).await.unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied);
        let mut matrices = MatrixServiceClient::new(app.channel().await);
        let hidden = matrices
            .list_account_classifications(authed(&stranger, pb::ListAccountClassificationsRequest { account_id: b.acme.clone() }))
            .await
            .unwrap_err();
        assert_eq!(hidden.code(), Code::NotFound);
        let mut priorities = PrioritizationServiceClient::new(app.channel().await);
        let hidden = priorities.get_policy(authed(&stranger, pb::GetPolicyRequest { key: "mine".into() })).await.unwrap_err();
        assert_eq!(hidden.code(), Code::NotFound);
    }

    async fn concurrent_assessments_keep_one_history(app: &TestApp) {
        let acme = app.account(json!({"name": "Acme"})).await["id"].as_str().unwrap().to_owned();
        // Day d (1..=12) scores goal_clarity high on even days: dreamer/achiever alternate with wanderer/soldier.
        let cell_on = |d: u32| match (d.is_multiple_of(2), d.is_multiple_of(3)) {
            (false, false) => "wanderer",
            (true, false) => "dreamer",
            (false, true) => "soldier",
            (true, true) => "achiever",
        };
        let days = [7u32, 2, 11, 5, 12, 1, 9, 4, 10, 3, 8, 6];
        let sends = days.iter().map(|d| {
            let body = json!({"account_id": acme, "framework": "readiness",
                "scores": {"goal_clarity": if d.is_multiple_of(2) { 9 } else { 2 }, "priority": if d.is_multiple_of(3) { 9 } else { 2 }},
                "assessed_at": format!("2026-01-{d:02}T12:00:00Z")});
            app.send(ADMIN_KEY, Method::POST, "/v1/assessments", Some(body))
        });
        for (status, _) in futures_util::future::join_all(sends).await {
            assert_eq!(status, 201);
        }
        for d in 1..=12u32 {
            let (_, p) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/matrices/readiness/portfolio?as_of=2026-01-{d:02}T18:00:00Z"), None).await;
            assert_eq!(p["total"], 1, "day {d}");
            assert_eq!(p["items"][0]["cell"]["key"], cell_on(d), "day {d}");
        }
        let (_, history) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/accounts/{acme}/classifications"), None).await;
        assert_eq!(history["items"][0]["latest"]["cell"]["key"], cell_on(12));
        assert_eq!(history["items"][0]["history"].as_array().unwrap().len(), 12);
    }
}

on_both_backends! {
    async fn assessments_name_accounts_and_stakeholders_by_crm_ref(app: &TestApp) {
        let account = app
            .account(json!({"name": "Acme", "external_refs": [{"system": "salesforce", "id": "001A"}]}))
            .await;
        let id = account["id"].as_str().unwrap();
        let (status, raj) = app
            .send(
                ADMIN_KEY,
                Method::POST,
                &format!("/v1/accounts/{id}/stakeholders"),
                Some(json!({"name": "Raj", "external_refs": [{"system": "hubspot", "id": "c-7"}]})),
            )
            .await;
        assert_eq!(status, 201, "{raj}");

        // Readiness (8, 9) by the account's Salesforce id: achiever, as by its csapi id.
        let a = assess(app, json!({"account_ref": {"system": "salesforce", "id": "001A"},
            "framework": "readiness", "scores": {"goal_clarity": 8, "priority": 9}})).await;
        assert_eq!(a["account_id"], account["id"]);
        assert_eq!(a["results"]["classifications"][0]["cell"]["key"], "achiever");
        // Purpose and intent of a stakeholder named by its HubSpot id.
        let s = assess(app, json!({"account_ref": {"system": "salesforce", "id": "001A"},
            "stakeholder_ref": {"system": "hubspot", "id": "c-7"},
            "framework": "purpose_intent", "scores": {"purpose": 10, "intent": 10}})).await;
        assert_eq!(s["stakeholder_id"], raj["id"]);

        // Unknown refs are 404; both or neither a 422 naming the field; nothing is stored.
        let (status, _) = app
            .send(ADMIN_KEY, Method::POST, "/v1/assessments", Some(json!({
                "account_ref": {"system": "salesforce", "id": "nope"},
                "framework": "readiness", "scores": {"goal_clarity": 8, "priority": 9}})))
            .await;
        assert_eq!(status, 404);
        let (status, problem) = app
            .send(ADMIN_KEY, Method::POST, "/v1/assessments", Some(json!({
                "account_id": id, "account_ref": {"system": "salesforce", "id": "001A"},
                "stakeholder_ref": {"system": "Bad System", "id": "x"},
                "framework": "readiness", "scores": {"goal_clarity": 8, "priority": 9}})))
            .await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem_fields(&problem), ["account_ref", "stakeholder_ref.system"]);
        let (status, problem) = app
            .send(ADMIN_KEY, Method::POST, "/v1/assessments", Some(json!({
                "framework": "readiness", "scores": {"goal_clarity": 8, "priority": 9}})))
            .await;
        assert_eq!(status, 422);
        assert_eq!(problem_fields(&problem), ["account_ref"]);
        let (_, listed) = app
            .send(ADMIN_KEY, Method::GET, &format!("/v1/assessments?account_id={id}"), None)
            .await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 2);

        // gRPC: the ref beside the message.
        let mut assessments = AssessmentServiceClient::new(app.channel().await);
        let created = assessments
            .create_assessment(authed(ADMIN_KEY, pb::CreateAssessmentRequest {
                account_ref: Some(pb::ExternalRef { system: "salesforce".into(), id: "001A".into() }),
                stakeholder_ref: None,
                assessment: Some(pb::Assessment {
                    framework: "readiness".into(),
                    scores: [("goal_clarity".to_owned(), 3.0), ("priority".to_owned(), 2.0)].into(),
                    ..Default::default()
                }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(created.account_id, id);
        assert_eq!(created.results.unwrap().classifications[0].cell.as_ref().unwrap().key, "wanderer");
    }
}

on_both_backends! {
    // From the book above: Acme wanderer (01-10) → achiever (03-10); Globex
    // first assessed 02-10 as dreamer; Raj and Mia first placed 03-11.
    async fn movements_list_exactly_the_subjects_that_moved(app: &TestApp) {
        let b = seed(app).await;
        let moves = |q: &str| {
            let path = format!("/v1/matrices/{q}");
            async move {
                let (status, m) = app.send(ADMIN_KEY, Method::GET, &path, None).await;
                assert_eq!(status, 200, "{path}: {m}");
                m
            }
        };
        let summary = |m: &Value| -> Vec<(String, Value, String)> {
            m["items"].as_array().unwrap().iter()
                .map(|i| (i["to"]["subject_name"].as_str().unwrap().to_owned(), i["from"]["key"].clone(), i["to"]["cell"]["key"].as_str().unwrap().to_owned()))
                .collect()
        };
        let row = |who: &str, from: Option<&str>, to: &str| (who.to_owned(), from.map_or(Value::Null, |f| json!(f)), to.to_owned());

        let spring = moves("readiness/movements?from=2026-02-01&to=2026-04-01T00:00:00Z").await;
        assert_eq!(summary(&spring), [row("Acme", Some("wanderer"), "achiever"), row("Globex", None, "dreamer")]);
        let acme = &spring["items"][0];
        assert_eq!((&acme["from"]["label"], &acme["to"]["account_id"], &acme["to"]["assessed_at"]), (&json!("Wanderer"), &json!(b.acme), &json!("2026-03-10T00:00:00Z")));
        assert_eq!(acme["to"]["assessment_id"], b.acme_march_readiness);
        assert_eq!((spring["from"].as_str(), spring["to"].as_str(), &spring["next_page_token"]), (Some("2026-02-01T00:00:00Z"), Some("2026-04-01T00:00:00Z"), &Value::Null));
        assert_eq!(summary(&moves("readiness/movements?from=2026-02-15").await), [row("Acme", Some("wanderer"), "achiever")], "Globex stayed a dreamer");
        assert_eq!(summary(&moves("readiness/movements?from=2026-01-01&to=2026-02-01").await), [row("Acme", None, "wanderer")]);
        assert!(summary(&moves("readiness/movements?from=2026-04-01").await).is_empty(), "nobody moved since");
        assert_eq!(summary(&moves("readiness/movements?from=2026-02-01&from_cell=wanderer").await), [row("Acme", Some("wanderer"), "achiever")]);
        assert_eq!(summary(&moves("readiness/movements?from=2026-02-01&to_cell=dreamer").await), [row("Globex", None, "dreamer")]);
        assert!(summary(&moves("readiness/movements?from=2026-02-01&from_cell=achiever").await).is_empty());
        assert_eq!(summary(&moves("readiness/movements?from=2026-02-01&segment=SMB").await), [row("Globex", None, "dreamer")]);
        let first = moves("readiness/movements?from=2026-02-01&page_size=1").await;
        assert_eq!(summary(&first), [row("Acme", Some("wanderer"), "achiever")]);
        let token = first["next_page_token"].as_str().unwrap();
        let second = moves(&format!("readiness/movements?from=2026-02-01&page_size=1&page_token={token}")).await;
        assert_eq!((summary(&second), &second["next_page_token"]), (vec![row("Globex", None, "dreamer")], &Value::Null));

        let people = moves("purpose_intent/movements?from=2026-03-01").await;
        let mut who: Vec<_> = summary(&people);
        who.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(who, [row("Mia", None, "directionless"), row("Raj", None, "committed")]);
        let raj = moves("purpose_intent/movements?from=2026-03-01&to_cell=committed").await;
        assert_eq!((&raj["items"][0]["to"]["stakeholder_id"], &raj["items"][0]["to"]["account_name"]), (&json!(b.raj), &json!("Acme")));
        assert_eq!(raj["items"].as_array().unwrap().len(), 1);

        let (status, p) = app.send(ADMIN_KEY, Method::GET, "/v1/matrices/readiness/movements?from=2026-04-01&to=2026-02-01&from_cell=star&page_size=0", None).await;
        assert_eq!((status, problem_fields(&p)), (422, vec!["from_cell".to_owned(), "page_size".to_owned(), "to".to_owned()]), "{p}");
        let (status, p) = app.send(ADMIN_KEY, Method::GET, "/v1/matrices/readiness/movements?to=2026-02-01", None).await;
        assert_eq!((status, problem_fields(&p)), (422, vec!["from".to_owned()]), "{p}");
        let (status, _) = app.send(ADMIN_KEY, Method::GET, "/v1/matrices/nope/movements?from=2026-02-01", None).await;
        assert_eq!(status, 404);

        // gRPC: the same moves.
        let mut c = MatrixServiceClient::new(app.channel().await);
        let at = |s: &str| Some(prost_types::Timestamp { seconds: chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp(), nanos: 0 });
        let ask = pb::ListMovementsRequest { key: "readiness".into(), from: at("2026-02-01T00:00:00Z"), to: at("2026-04-01T00:00:00Z"), ..Default::default() };
        let got = c.list_movements(authed(ADMIN_KEY, ask)).await.unwrap().into_inner();
        let moved: Vec<(Option<String>, String, String)> = got.items.iter()
            .map(|m| (m.from.as_ref().map(|c| c.key.clone()), m.to.as_ref().unwrap().cell.as_ref().unwrap().key.clone(), m.to.as_ref().unwrap().account_id.clone()))
            .collect();
        assert_eq!(moved, [(Some("wanderer".to_owned()), "achiever".to_owned(), b.acme.clone()), (None, "dreamer".to_owned(), b.globex.clone())]);
        let ask = pb::ListMovementsRequest { key: "readiness".into(), from: at("2026-02-01T00:00:00Z"), to_cell: Some("star".into()), ..Default::default() };
        let bad = c.list_movements(authed(ADMIN_KEY, ask)).await.unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);
        assert!(bad.message().contains("to_cell"), "{}", bad.message());
        let bad = c.list_movements(authed(ADMIN_KEY, pb::ListMovementsRequest { key: "readiness".into(), ..Default::default() })).await.unwrap_err();
        assert!(bad.message().contains("from: is required"), "{}", bad.message());
    }
}

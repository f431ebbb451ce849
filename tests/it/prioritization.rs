//! Prioritisation over every kind of term, worked by hand.
//!
//! Scores are 1–10, norm(v) = (v − 1)/9. A policy weighs readiness 2, the
//! success equation's renewal 1, current ARR 1 and days to renewal 1:
//! - Alpha: readiness (10, 10) → closeness 1; equation dimensions all 10 →
//!   renewal 1; ARR 100k; renewal in 90 days.
//! - Bravo: readiness (7, 7) → point (2/3, 2/3), closeness 1 − (√2/3)/√2 =
//!   2/3; adoption dimensions 7 → adoption 2/3, trust 7 → 2/3, renewal 2/3;
//!   ARR 300k; renewal in 30 days.
//! - Charlie: readiness (4, 4) → closeness 1/3; adoption 1, trust 4 → 1/3,
//!   below its 0.5 floor, so renewal is capped at 1/3; ARR 200k; 60 days.
//! - Delta: churned, the best on everything (ARR 1M, renewing tomorrow): the
//!   policy excludes it, so it neither ranks nor moves the others' fields.
//!
//! ARR over Alpha, Bravo, Charlie (100k–300k) scores 0, 1, 0.5; days to
//! renewal (30–90, nearest highest) 0, 1, 0.5. Scores over weights 5:
//! Bravo (2·2/3 + 2/3 + 1 + 1)/5 = 0.8; Alpha (2 + 1 + 0 + 0)/5 = 0.6;
//! Charlie (2/3 + 1/3 + 0.5 + 0.5)/5 = 0.4. Tiers strategic ≥ 0.75,
//! pooled ≥ 0.5, digital ≥ 0.

use chrono::{Duration, Utc};
use csapi::grpc::pb;
use csapi::grpc::pb::prioritization_service_client::PrioritizationServiceClient;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{ADMIN_KEY, TestApp, authed, on_both_backends, problem_fields};

fn in_days(days: i64) -> String {
    (Utc::now().date_naive() + Duration::days(days)).to_string()
}

async fn assess(app: &TestApp, account: &str, framework: &str, scores: Value) {
    let body = json!({"account_id": account, "framework": framework, "assessed_at": "2026-11-02T09:00:00Z", "scores": scores});
    let (status, a) = app
        .send(ADMIN_KEY, Method::POST, "/v1/assessments", Some(body))
        .await;
    assert_eq!(status, 201, "{a}");
}

/// Adoption dimensions at `adoption`, trust at `trust`.
fn equation_scores(adoption: u32, trust: u32) -> Value {
    json!({"product_quality": adoption, "outcome_clarity": adoption, "enablement": adoption,
        "guidance": adoption, "relationship_trust": trust, "business_need": 10})
}

struct Book {
    alpha: String,
    bravo: String,
    charlie: String,
    delta: String,
}

async fn book(app: &TestApp) -> Book {
    let mut ids = Vec::new();
    for (name, stage, arr, days, readiness, (adoption, trust)) in [
        ("Alpha", "adoption", 100_000, 90, 10, (10, 10)),
        ("Bravo", "adoption", 300_000, 30, 7, (7, 7)),
        ("Charlie", "renewal", 200_000, 60, 4, (10, 4)),
        ("Delta", "churned", 1_000_000, 1, 10, (10, 10)),
    ] {
        let a = app.account(json!({"name": name, "lifecycle_stage": stage, "current_arr": arr, "renewal_date": in_days(days)})).await;
        let id = a["id"].as_str().unwrap().to_owned();
        assess(
            app,
            &id,
            "readiness",
            json!({"goal_clarity": readiness, "priority": readiness}),
        )
        .await;
        assess(
            app,
            &id,
            "success_equation",
            equation_scores(adoption, trust),
        )
        .await;
        ids.push(id);
    }
    Book {
        alpha: ids[0].clone(),
        bravo: ids[1].clone(),
        charlie: ids[2].clone(),
        delta: ids[3].clone(),
    }
}

fn policy() -> Value {
    json!({"key": "renewal_focus", "label": "Renewal focus",
        "matrices": [{"matrix": "readiness", "weight": 2}],
        "terms": [{"equation": "success_equation.renewal", "weight": 1},
                  {"account_field": "current_arr", "weight": 1},
                  {"account_field": "days_to_renewal", "weight": 1}],
        "tiers": [{"key": "strategic", "label": "Strategic", "min_score": 0.75},
                  {"key": "pooled", "label": "Pooled CSM", "min_score": 0.5},
                  {"key": "digital", "label": "Digital only", "min_score": 0}]})
}

fn close(v: &Value, want: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - want).abs() < 1e-9)
}

on_both_backends! {
    async fn a_policy_weighs_matrices_equations_and_account_fields(app: &TestApp) {
        let b = book(app).await;
        let (status, created) = app.send(ADMIN_KEY, Method::POST, "/v1/prioritization-policies", Some(policy())).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["exclude"], json!({"lifecycle_stages": ["churned"]}), "churned by default");

        let (status, ranked) = app.send(ADMIN_KEY, Method::GET, "/v1/prioritization?policy=renewal_focus", None).await;
        assert_eq!(status, 200, "{ranked}");
        let items = ranked["items"].as_array().unwrap();
        let order: Vec<&str> = items.iter().map(|i| i["account_id"].as_str().unwrap()).collect();
        assert_eq!(order, [b.bravo.as_str(), b.alpha.as_str(), b.charlie.as_str(), b.delta.as_str()]);
        for (item, score, tier, label) in [(&items[0], 0.8, "strategic", "Strategic"), (&items[1], 0.6, "pooled", "Pooled CSM"), (&items[2], 0.4, "digital", "Digital only")] {
            assert!(close(&item["score"], score), "{item}");
            assert_eq!((item["tier"].as_str(), item["tier_label"].as_str(), item["coverage"].as_f64()), (Some(tier), Some(label), Some(1.0)));
        }
        let bravo: Vec<(&str, &str, f64, f64)> = items[0]["contributions"].as_array().unwrap().iter()
            .map(|c| (c["kind"].as_str().unwrap(), c["term"].as_str().unwrap(), c["value"].as_f64().unwrap(), c["contribution"].as_f64().unwrap())).collect();
        let want = [("matrix", "readiness", 2.0 / 3.0, 4.0 / 15.0), ("equation", "success_equation.renewal", 2.0 / 3.0, 2.0 / 15.0),
            ("account_field", "current_arr", 1.0, 0.2), ("account_field", "days_to_renewal", 1.0, 0.2)];
        for (got, want) in bravo.iter().zip(want) {
            assert_eq!((got.0, got.1), (want.0, want.1));
            assert!((got.2 - want.2).abs() < 1e-9 && (got.3 - want.3).abs() < 1e-9, "{got:?} against {want:?}");
        }
        let charlie = &items[2]["contributions"];
        assert!(close(&charlie[1]["value"], 1.0 / 3.0), "renewal capped at the trust term: {charlie}");
        assert_eq!((&items[3]["score"], items[3]["tier"].as_str(), items[3]["tier_label"].as_str()), (&Value::Null, Some("no_proactive_support"), Some("No proactive support")));

        let (_, pooled) = app.send(ADMIN_KEY, Method::GET, "/v1/prioritization?policy=renewal_focus&tier=pooled", None).await;
        assert_eq!(pooled["items"].as_array().unwrap().iter().map(|i| i["account_id"].as_str().unwrap()).collect::<Vec<_>>(), [b.alpha.as_str()]);
        let (_, dropped) = app.send(ADMIN_KEY, Method::GET, "/v1/prioritization?tier=no_proactive_support", None).await;
        assert_eq!(dropped["items"].as_array().unwrap().iter().map(|i| i["account_id"].as_str().unwrap()).collect::<Vec<_>>(), [b.delta.as_str()], "the default policy drops churned accounts too");
        let (status, problem) = app.send(ADMIN_KEY, Method::GET, "/v1/prioritization?policy=renewal_focus&tier=high_touch", None).await;
        assert_eq!((status, problem_fields(&problem)), (422, vec!["tier".to_owned()]), "{problem}");

        // Excluding nobody: Delta ranks, first, and stretches ARR and days for the others.
        let mut everyone = policy();
        everyone["exclude"] = json!({"lifecycle_stages": []});
        let (status, _) = app.send(ADMIN_KEY, Method::PUT, "/v1/prioritization-policies/renewal_focus", Some(everyone)).await;
        assert_eq!(status, 200);
        let (_, ranked) = app.send(ADMIN_KEY, Method::GET, "/v1/prioritization?policy=renewal_focus", None).await;
        assert_eq!(ranked["items"][0]["account_id"].as_str(), Some(b.delta.as_str()));
        assert!(close(&ranked["items"][0]["score"], 1.0));

        // The same over gRPC.
        let mut grpc = PrioritizationServiceClient::new(app.channel().await);
        let listed = grpc.prioritize(authed(ADMIN_KEY, pb::PrioritizeRequest { policy: "default".into(), tier: Some("no_proactive_support".into()), ..Default::default() }))
            .await.unwrap().into_inner();
        assert_eq!(listed.accounts.iter().map(|a| a.account_id.as_str()).collect::<Vec<_>>(), [b.delta.as_str()]);
        let mut p = pb::Policy { key: "grpc_focus".into(), label: "gRPC focus".into(), ..Default::default() };
        p.terms = vec![
            pb::PolicyTerm { equation: Some("success_equation.renewal".into()), weight: 1.0, ..Default::default() },
            pb::PolicyTerm { account_field: Some("current_arr".into()), weight: 1.0, ..Default::default() },
        ];
        p.tiers = vec![pb::TierCut { key: "top".into(), label: Some("Top".into()), min_score: 0.5 }];
        grpc.create_policy(authed(ADMIN_KEY, pb::CreatePolicyRequest { policy: Some(p) })).await.unwrap();
        let ranked = grpc.prioritize(authed(ADMIN_KEY, pb::PrioritizeRequest { policy: "grpc_focus".into(), ..Default::default() }))
            .await.unwrap().into_inner();
        // Bravo (2/3 + 1)/2 = 5/6; Alpha (1 + 0)/2 = 0.5; Charlie (1/3 + 0.5)/2 = 5/12 → low_touch.
        let got: Vec<(&str, &str)> = ranked.accounts.iter().map(|a| (a.account_id.as_str(), a.tier.as_str())).collect();
        assert_eq!(got, [(b.bravo.as_str(), "top"), (b.alpha.as_str(), "top"), (b.charlie.as_str(), "low_touch"), (b.delta.as_str(), "no_proactive_support")]);
        assert!((ranked.accounts[0].score.unwrap() - 5.0 / 6.0).abs() < 1e-9);
        assert_eq!(ranked.accounts[0].contributions.iter().map(|c| c.term.as_str()).collect::<Vec<_>>(), ["success_equation.renewal", "current_arr"]);
        let bad = grpc.create_policy(authed(ADMIN_KEY, pb::CreatePolicyRequest { policy: Some(pb::Policy { key: "bad".into(), label: "Bad".into(),
            terms: vec![pb::PolicyTerm { account_field: Some("headcount".into()), weight: 1.0, ..Default::default() }], ..Default::default() }) }))
            .await.unwrap_err();
        assert!(bad.message().contains("policy.terms[0].account_field"), "{}", bad.message());
    }

    async fn a_policy_weighs_the_hierarchy_level_attained(app: &TestApp) {
        // org_hierarchy's five levels, each met at 5.5 or more, from the base:
        // Alpha (7, 8, 4, 9, 9) reaches level 2 of 5 → 0.4; Bravo (6 on all)
        // reaches 5 → 1; Charlie (5, 9, 9, 9, 9) misses the base → 0; Dana
        // has no assessment and is unassessed.
        let mut ids = Vec::new();
        for (name, scores) in [("Alpha", Some([7, 8, 4, 9, 9])), ("Bravo", Some([6; 5])), ("Charlie", Some([5, 9, 9, 9, 9])), ("Dana", None)] {
            let id = app.account(json!({"name": name})).await["id"].as_str().unwrap().to_owned();
            if let Some([a, b, c, d, e]) = scores {
                assess(app, &id, "org_hierarchy", json!({"business_model": a, "technology_and_space": b, "culture": c,
                    "performance_and_learning": d, "creativity_and_innovation": e})).await;
            }
            ids.push(id);
        }
        let maturity = json!({"key": "maturity", "label": "Maturity", "terms": [{"hierarchy": "org_hierarchy", "weight": 1}],
            "tiers": [{"key": "mature", "min_score": 0.5}]});
        let (status, created) = app.send(ADMIN_KEY, Method::POST, "/v1/prioritization-policies", Some(maturity)).await;
        assert_eq!(status, 201, "{created}");
        let (status, ranked) = app.send(ADMIN_KEY, Method::GET, "/v1/prioritization?policy=maturity", None).await;
        assert_eq!(status, 200, "{ranked}");
        let got: Vec<(&str, Option<f64>, &str)> = ranked["items"].as_array().unwrap().iter()
            .map(|i| (i["account_id"].as_str().unwrap(), i["score"].as_f64(), i["tier"].as_str().unwrap())).collect();
        assert_eq!(got, [(ids[1].as_str(), Some(1.0), "mature"), (ids[0].as_str(), Some(0.4), "low_touch"),
            (ids[2].as_str(), Some(0.0), "low_touch"), (ids[3].as_str(), None, "unassessed")]);
        let alpha = &ranked["items"][1]["contributions"][0];
        assert_eq!((alpha["kind"].as_str(), alpha["term"].as_str()), (Some("hierarchy"), Some("org_hierarchy")));
        assert!(close(&alpha["value"], 0.4) && close(&alpha["contribution"], 0.4), "{alpha}");

        let mut grpc = PrioritizationServiceClient::new(app.channel().await);
        let listed = grpc.prioritize(authed(ADMIN_KEY, pb::PrioritizeRequest { policy: "maturity".into(), ..Default::default() }))
            .await.unwrap().into_inner();
        let got: Vec<(&str, Option<f64>)> = listed.accounts.iter().map(|a| (a.account_id.as_str(), a.score)).collect();
        assert_eq!(got, [(ids[1].as_str(), Some(1.0)), (ids[0].as_str(), Some(0.4)), (ids[2].as_str(), Some(0.0)), (ids[3].as_str(), None)]);
    }

    async fn bad_terms_and_tiers_are_named(app: &TestApp) {
        let bad = json!({"key": "bad", "label": "Bad",
            "terms": [{"equation": "success_equation.nope", "weight": 1},
                      {"hierarchy": "readiness", "weight": 1},
                      {"matrix": "readiness", "account_field": "current_arr", "weight": 1},
                      {"account_field": "current_arr", "weight": 0}],
            "tiers": [{"key": "no_proactive_support", "min_score": 0.5}, {"key": "x", "min_score": 0.7}],
            "exclude": {"lifecycle_stages": ["gone"]}});
        let (status, problem) = app.send(ADMIN_KEY, Method::POST, "/v1/prioritization-policies", Some(bad)).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem_fields(&problem), ["exclude.lifecycle_stages[0]"], "an unknown stage is refused as the body is read");
        let bad = json!({"key": "bad", "label": "Bad",
            "terms": [{"equation": "success_equation.nope", "weight": 1},
                      {"hierarchy": "readiness", "weight": 1},
                      {"matrix": "readiness", "account_field": "current_arr", "weight": 1},
                      {"account_field": "current_arr", "weight": 0}],
            "tiers": [{"key": "no_proactive_support", "min_score": 0.5}, {"key": "x", "min_score": 0.7}]});
        let (status, problem) = app.send(ADMIN_KEY, Method::POST, "/v1/prioritization-policies", Some(bad)).await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem_fields(&problem), ["terms[0].equation", "terms[1].hierarchy", "terms[2]", "terms[3].weight", "tiers", "tiers[0].key"]);
        let (_, policies) = app.send(ADMIN_KEY, Method::GET, "/v1/prioritization-policies", None).await;
        assert_eq!(policies["items"].as_array().unwrap().len(), 1, "nothing was stored");
    }
}

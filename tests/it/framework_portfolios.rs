//! `/v1/frameworks/{key}/portfolio` and `FrameworkService/GetFrameworkPortfolio`
//! against a book built by hand.
//!
//! Success equation (scores 1–10, norm(v) = (v − 1)/9, floors 0.5):
//! - Acme (enterprise): all ones on 2026-01-10, then 8, 9, 7, 6, trust 3,
//!   need 8 on 2026-03-10 (DESIGN §3.3): adoption 0.7222 (band 3); renewal
//!   and expansion blocked by relationship_trust at 0.2222 (band 1).
//! - Globex (enterprise): all tens on 2026-02-10: every value 1 (band 4).
//! - Initech (smb): all ones on 2026-02-10: every term 0, so adoption 0
//!   blocked by its four terms; renewal 0 blocked by adoption and trust;
//!   expansion 0 blocked by adoption, trust and need (band 0).
//! - Umbrella: never assessed.
//!
//! Org hierarchy (met at ≥ 5.5): Acme 8, 7, 2, 9, 9 stands on level 2
//! (technology_and_space), works on culture; Globex all sixes is at the apex;
//! Initech 3, 9, 9, 9, 9 stands on level 0, works on business_model.

use csapi::grpc::pb;
use csapi::grpc::pb::framework_service_client::FrameworkServiceClient;
use reqwest::Method;
use serde_json::{Value, json};
use tonic::Code;

use crate::support::{ADMIN_KEY, TestApp, authed, on_both_backends, problem_fields};

const SUCCESS: [&str; 6] = [
    "product_quality",
    "outcome_clarity",
    "enablement",
    "guidance",
    "relationship_trust",
    "business_need",
];
const LEVELS: [&str; 5] = [
    "business_model",
    "technology_and_space",
    "culture",
    "performance_and_learning",
    "creativity_and_innovation",
];

async fn assess(app: &TestApp, account: &str, framework: &str, scores: Value, at: &str) {
    let body =
        json!({"account_id": account, "framework": framework, "scores": scores, "assessed_at": at});
    let (status, a) = app
        .send(ADMIN_KEY, Method::POST, "/v1/assessments", Some(body))
        .await;
    assert_eq!(status, 201, "{a}");
}

fn scores(keys: &[&str], values: &[f64]) -> Value {
    keys.iter()
        .zip(values)
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect()
}

async fn seed(app: &TestApp) -> [String; 3] {
    let mut ids = Vec::new();
    for (name, segment) in [
        ("Acme", "enterprise"),
        ("Globex", "enterprise"),
        ("Initech", "smb"),
        ("Umbrella", "smb"),
    ] {
        let a = app.account(json!({"name": name, "segment": segment})).await;
        ids.push(a["id"].as_str().unwrap().to_owned());
    }
    let (acme, globex, initech) = (&ids[0], &ids[1], &ids[2]);
    let success = |v: [f64; 6]| scores(&SUCCESS, &v);
    assess(
        app,
        acme,
        "success_equation",
        success([1.0; 6]),
        "2026-01-10T00:00:00Z",
    )
    .await;
    assess(
        app,
        acme,
        "success_equation",
        success([8.0, 9.0, 7.0, 6.0, 3.0, 8.0]),
        "2026-03-10T00:00:00Z",
    )
    .await;
    assess(
        app,
        globex,
        "success_equation",
        success([10.0; 6]),
        "2026-02-10T00:00:00Z",
    )
    .await;
    assess(
        app,
        initech,
        "success_equation",
        success([1.0; 6]),
        "2026-02-10T00:00:00Z",
    )
    .await;
    let org = |v: [f64; 5]| scores(&LEVELS, &v);
    assess(
        app,
        acme,
        "org_hierarchy",
        org([8.0, 7.0, 2.0, 9.0, 9.0]),
        "2026-03-10T00:00:00Z",
    )
    .await;
    assess(
        app,
        globex,
        "org_hierarchy",
        org([6.0; 5]),
        "2026-03-10T00:00:00Z",
    )
    .await;
    assess(
        app,
        initech,
        "org_hierarchy",
        org([3.0, 9.0, 9.0, 9.0, 9.0]),
        "2026-03-10T00:00:00Z",
    )
    .await;
    [ids[0].clone(), ids[1].clone(), ids[2].clone()]
}

async fn portfolio(app: &TestApp, query: &str) -> Value {
    let path = format!("/v1/frameworks/{query}");
    let (status, p) = app.send(ADMIN_KEY, Method::GET, &path, None).await;
    assert_eq!(status, 200, "{path}: {p}");
    p
}

fn bands(equation: &Value) -> Vec<u64> {
    equation["bands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .collect()
}

fn blocking(equation: &Value) -> Vec<(String, u64)> {
    equation["blocked_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["term"].as_str().unwrap().to_owned(),
                b["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn pairs(p: &[(&str, u64)]) -> Vec<(String, u64)> {
    p.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

on_both_backends! {
    async fn equation_portfolio_counts_bands_and_blocking_terms_of_a_hand_built_book(app: &TestApp) {
        seed(app).await;
        let p = portfolio(app, "success_equation/portfolio").await;
        assert_eq!((&p["framework"], &p["version"], &p["total"]), (&json!("success_equation"), &json!(1), &json!(3)), "Umbrella has no assessment");
        assert_eq!((&p["matrices"], &p["hierarchy"]), (&json!([]), &Value::Null));
        let [adoption, renewal, expansion] = [&p["equations"][0], &p["equations"][1], &p["equations"][2]];
        assert_eq!((&adoption["key"], &renewal["key"], &expansion["key"]), (&json!("adoption"), &json!("renewal"), &json!("expansion")));
        assert_eq!(adoption["bands"][1], json!({"from": 0.2, "to": 0.4, "count": 0}));
        assert_eq!((bands(adoption), &adoption["assessed"], &adoption["blocked"]), (vec![1, 0, 0, 1, 1], &json!(3), &json!(1)));
        // (26/36 + 1 + 0) / 3
        assert!((adoption["mean"].as_f64().unwrap() - 62.0 / 108.0).abs() < 1e-9, "{adoption}");
        assert_eq!(blocking(adoption), pairs(&[("enablement", 1), ("guidance", 1), ("outcome_clarity", 1), ("product_quality", 1)]));
        assert_eq!((bands(renewal), &renewal["blocked"]), (vec![1, 1, 0, 0, 1], &json!(2)));
        assert_eq!(blocking(renewal), pairs(&[("relationship_trust", 2), ("adoption", 1)]));
        assert_eq!((bands(expansion), &expansion["blocked"]), (vec![1, 1, 0, 0, 1], &json!(2)));
        assert_eq!(blocking(expansion), pairs(&[("relationship_trust", 2), ("adoption", 1), ("business_need", 1)]));

        // Mid-February Acme's latest is still all ones, like Initech.
        let feb = portfolio(app, "success_equation/portfolio?as_of=2026-02-15").await;
        assert_eq!((bands(&feb["equations"][0]), &feb["equations"][0]["blocked"]), (vec![2, 0, 0, 0, 1], &json!(2)));
        assert_eq!(feb["as_of"], "2026-02-15T00:00:00Z");
        let jan = portfolio(app, "success_equation/portfolio?as_of=2026-01-01").await;
        assert_eq!((&jan["total"], &jan["equations"][0]["mean"], bands(&jan["equations"][0])), (&json!(0), &Value::Null, vec![0, 0, 0, 0, 0]));
        let smb = portfolio(app, "success_equation/portfolio?segment=SMB").await;
        assert_eq!((&smb["total"], bands(&smb["equations"][2])), (&json!(1), vec![1, 0, 0, 0, 0]));

        // gRPC: the same counts.
        let mut c = FrameworkServiceClient::new(app.channel().await);
        let got = c.get_framework_portfolio(authed(ADMIN_KEY, pb::GetFrameworkPortfolioRequest { key: "success_equation".into(), ..Default::default() })).await.unwrap().into_inner();
        assert_eq!(got.total, 3);
        let renewal = &got.equations[1];
        assert_eq!(renewal.bands.iter().map(|b| b.count).collect::<Vec<_>>(), [1, 1, 0, 0, 1]);
        assert_eq!(renewal.blocked_by.iter().map(|b| (b.term.clone(), b.count)).collect::<Vec<_>>(), pairs(&[("relationship_trust", 2), ("adoption", 1)]));
        assert!((got.equations[0].mean.unwrap() - 62.0 / 108.0).abs() < 1e-9);
    }
}

on_both_backends! {
    async fn hierarchy_portfolio_counts_levels_and_next_focus_of_a_hand_built_book(app: &TestApp) {
        seed(app).await;
        let p = portfolio(app, "org_hierarchy/portfolio").await;
        let h = &p["hierarchy"];
        assert_eq!((&p["total"], &h["key"], &h["assessed"], &h["at_apex"]), (&json!(3), &json!("org_hierarchy"), &json!(3), &json!(1)));
        let levels: Vec<(Value, u64, u64)> = h["levels"].as_array().unwrap().iter()
            .map(|l| (l["key"].clone(), l["attained"].as_u64().unwrap(), l["next_focus"].as_u64().unwrap()))
            .collect();
        assert_eq!(levels, [
            (Value::Null, 1, 0),
            (json!("business_model"), 0, 1),
            (json!("technology_and_space"), 1, 0),
            (json!("culture"), 0, 1),
            (json!("performance_and_learning"), 0, 0),
            (json!("creativity_and_innovation"), 1, 0),
        ]);
        assert_eq!((&h["levels"][0]["label"], &h["levels"][0]["level"]), (&json!("No level met"), &json!(0)));
        assert_eq!(p["equations"], json!([]));

        let mut c = FrameworkServiceClient::new(app.channel().await);
        let got = c.get_framework_portfolio(authed(ADMIN_KEY, pb::GetFrameworkPortfolioRequest { key: "org_hierarchy".into(), segment: Some("Enterprise".into()), ..Default::default() })).await.unwrap().into_inner();
        let h = got.hierarchy.unwrap();
        assert_eq!((got.total, h.at_apex), (2, 1));
        assert_eq!(h.levels.iter().map(|l| (l.attained, l.next_focus)).collect::<Vec<_>>(), [(0, 0), (0, 0), (1, 0), (0, 1), (0, 0), (1, 0)]);
    }
}

on_both_backends! {
    async fn framework_portfolio_counts_matrix_cells_and_refuses_bad_input(app: &TestApp) {
        let [acme, globex, _] = seed(app).await;
        let readiness = |g: f64, p: f64| json!({"goal_clarity": g, "priority": p});
        assess(app, &acme, "readiness", readiness(9.0, 9.0), "2026-03-10T00:00:00Z").await;
        assess(app, &globex, "readiness", readiness(9.0, 2.0), "2026-03-10T00:00:00Z").await;
        let p = portfolio(app, "readiness/portfolio").await;
        let cells: Vec<(String, u64)> = p["matrices"][0]["cells"].as_array().unwrap().iter()
            .map(|c| (c["cell"]["key"].as_str().unwrap().to_owned(), c["count"].as_u64().unwrap()))
            .collect();
        assert_eq!((&p["matrices"][0]["matrix"], cells), (&json!("readiness"), pairs(&[("wanderer", 0), ("dreamer", 1), ("soldier", 0), ("achiever", 1)])));
        assert_eq!(p["matrices"][0]["cells"][3]["cell"]["label"], "Achiever");

        let (status, _) = app.send(ADMIN_KEY, Method::GET, "/v1/frameworks/nope/portfolio", None).await;
        assert_eq!(status, 404);
        for (query, field) in [("as_of=yesterday", "as_of"), ("region=EMEA", "region")] {
            let (status, e) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/frameworks/readiness/portfolio?{query}"), None).await;
            assert_eq!((status, problem_fields(&e)), (422, vec![field.to_owned()]), "{e}");
        }
        let mut c = FrameworkServiceClient::new(app.channel().await);
        let bad = c.get_framework_portfolio(authed(ADMIN_KEY, pb::GetFrameworkPortfolioRequest { key: "nope".into(), ..Default::default() })).await.unwrap_err();
        assert_eq!(bad.code(), Code::NotFound);
    }
}

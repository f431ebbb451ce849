//! Success plans, templates and successes over REST and gRPC, on both
//! backends, with values worked out by hand.
//!
//! Template "Onboarding" lasts 90 days:
//! - "Go live" (weight 3, due start + 60): KPI "Weekly logins" reads
//!   `logins`, 0 → 200; milestones "Kick-off" (+7) and "Training" (+30).
//! - "Cut support load" (weight 1): KPI "Open cases", 10 → 4 (lower is better).
//!
//! A plan from it starting 2026-01-01 targets 2026-04-01; "Go live" is due
//! 2026-03-02, its milestones 2026-01-08 and 2026-01-31. With Kick-off done
//! and Open cases at 7 (attainment (7 − 10)/(4 − 10) = 0.5), logins observed
//! 50 on 02-01 and 150 on 02-15:
//!
//! | as_of      | expected    | logins | Go live             | plan                          | health    |
//! |------------|-------------|--------|---------------------|-------------------------------|-----------|
//! | 2026-02-10 | 40/90       | 50     | (0.25 + 0.5)/2      | (3·0.375 + 0.5)/4 = 0.40625   | on_track  |
//! | 2026-03-20 | 78/90       | 150    | (0.75 + 0.5)/2      | (3·0.625 + 0.5)/4 = 0.59375   | off_track |
//! | 2026-03-20 | after 200 on 03-10 | 200 | (1 + 0.5)/2    | (3·0.75 + 0.5)/4 = 0.6875     | at_risk   |
//!
//! (78/90 − 0.25 = 0.6167: 0.59375 is below it, 0.6875 above; 78/90 − 0.10 = 0.7667.)
//!
//! The QBR of 2026-Q1 judges the plan at 2026-03-31 with nothing done but
//! logins at 150: Go live (0.75 + 0/2)/2 = 0.375, Cut support 0, plan
//! (3·0.375 + 0)/4 = 0.28125, so `outcome_attainment` is 28.125 (none in
//! 2025-Q4, before the plan began); expected 89/90, so off track.
//! Successes on 02-01 and 03-31 count in Q1, one on 04-01 does not.

use csapi::grpc::pb;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{ADMIN_KEY, TestApp, authed, on_both_backends, problem_fields};

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|v| (v - expected).abs() < 1e-9)
}

fn template_body() -> Value {
    json!({
        "name": "Onboarding",
        "duration_days": 90,
        "objectives": [
            {"title": "Go live", "weight": 3, "due_offset_days": 60,
             "kpis": [{"name": "Weekly logins", "metric_key": "logins", "baseline": 0, "target": 200}],
             "milestones": [{"title": "Kick-off", "due_offset_days": 7}, {"title": "Training", "due_offset_days": 30}]},
            {"title": "Cut support load",
             "kpis": [{"name": "Open cases", "baseline": 10, "target": 4}]}
        ]
    })
}

async fn observe(app: &TestApp, account: &str, at: &str, value: f64) {
    let rows = json!({"observations": [{"account_id": account, "metric": "logins", "observed_at": at, "value": value}]});
    let (status, body) = app
        .send(ADMIN_KEY, Method::POST, "/v1/observations", Some(rows))
        .await;
    assert_eq!((status, body["written"].as_u64()), (200, Some(1)), "{body}");
}

async fn progress(app: &TestApp, plan: &str, as_of: &str) -> Value {
    let (status, p) = app
        .send(
            ADMIN_KEY,
            Method::GET,
            &format!("/v1/success-plans/{plan}/progress?as_of={as_of}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{p}");
    p
}

/// Creates Acme, the template and a plan from it; returns (account, template, plan).
async fn seed(app: &TestApp) -> (String, String, Value) {
    let acme = app.account(json!({"name": "Acme"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, t) = app
        .send(
            ADMIN_KEY,
            Method::POST,
            "/v1/success-plan-templates",
            Some(template_body()),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    let template = t["id"].as_str().unwrap().to_owned();
    let (status, plan) = app
        .send(
            ADMIN_KEY,
            Method::POST,
            "/v1/success-plans",
            Some(json!({"account_id": acme, "template_id": template,
                "start_date": "2026-01-01", "status": "active", "owner": "jane@vendor.example"})),
        )
        .await;
    assert_eq!(status, 201, "{plan}");
    (acme, template, plan)
}

on_both_backends! {
    async fn plans_from_templates_and_their_progress(app: &TestApp) {
        let (acme, template, plan) = seed(app).await;
        let id = plan["id"].as_str().unwrap().to_owned();
        assert_eq!(
            (plan["name"].as_str(), plan["target_date"].as_str(), plan["status"].as_str()),
            (Some("Onboarding"), Some("2026-04-01"), Some("active"))
        );
        let go_live = &plan["objectives"][0];
        assert_eq!(go_live["due_date"], "2026-03-02");
        assert_eq!(go_live["weight"], 3.0);
        assert_eq!(go_live["kpis"][0]["unit"], "count", "the metric's unit");
        let due: Vec<&str> = go_live["milestones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["due_date"].as_str().unwrap())
            .collect();
        assert_eq!(due, ["2026-01-08", "2026-01-31"]);
        assert_eq!(plan["objectives"][1]["due_date"], Value::Null);
        for (owner, found) in [("JANE@Vendor.example", 1), ("raj@vendor.example", 0)] {
            let (status, page) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/success-plans?owner={owner}"), None).await;
            assert_eq!((status, page["items"].as_array().unwrap().len()), (200, found), "owner={owner}");
        }

        // Editing the template later leaves the plan as it was made.
        let (status, _) = app
            .send(
                ADMIN_KEY,
                Method::PATCH,
                &format!("/v1/success-plan-templates/{template}"),
                Some(json!({"name": "Onboarding v2", "duration_days": 30, "objectives": []})),
            )
            .await;
        assert_eq!(status, 200);
        let (_, again) = app
            .send(ADMIN_KEY, Method::GET, &format!("/v1/success-plans/{id}"), None)
            .await;
        assert_eq!(again["objectives"], plan["objectives"]);
        assert_eq!((again["name"].as_str(), again["target_date"].as_str()), (Some("Onboarding"), Some("2026-04-01")));

        observe(app, &acme, "2026-02-01T12:00:00Z", 50.0).await;
        observe(app, &acme, "2026-02-15T12:00:00Z", 150.0).await;
        let go_live_id = go_live["id"].as_str().unwrap();
        let kick_off = go_live["milestones"][0]["id"].as_str().unwrap();
        let (status, done) = app
            .send(
                ADMIN_KEY,
                Method::PATCH,
                &format!("/v1/success-plans/{id}/objectives/{go_live_id}/milestones/{kick_off}"),
                Some(json!({"done": true, "done_on": "2026-01-08"})),
            )
            .await;
        assert_eq!(status, 200, "{done}");
        assert_eq!((&done["item"]["done"], &done["item"]["done_on"]), (&json!(true), &json!("2026-01-08")));
        assert_eq!(done["progress"]["objectives"][0]["milestones_done"], 1);
        let support = plan["objectives"][1]["id"].as_str().unwrap();
        let cases = plan["objectives"][1]["kpis"][0]["id"].as_str().unwrap();
        let (status, kpi) = app
            .send(
                ADMIN_KEY,
                Method::PATCH,
                &format!("/v1/success-plans/{id}/objectives/{support}/kpis/{cases}"),
                Some(json!({"current": 7})),
            )
            .await;
        assert_eq!(status, 200, "{kpi}");
        assert!(close(&kpi["progress"]["objectives"][1]["kpis"][0]["attainment"], 0.5));

        let feb = progress(app, &id, "2026-02-10").await;
        assert!(close(&feb["expected_progress"], 40.0 / 90.0));
        assert_eq!(feb["objectives"][0]["kpis"][0]["current"], 50.0);
        assert_eq!(feb["objectives"][0]["kpis"][0]["observed_at"], "2026-02-01T12:00:00Z");
        assert!(close(&feb["objectives"][0]["kpis"][0]["attainment"], 0.25));
        assert!(close(&feb["objectives"][0]["progress"], 0.375));
        assert!(close(&feb["objectives"][1]["progress"], 0.5));
        assert!(close(&feb["progress"], 0.40625));
        assert_eq!(feb["health"], "on_track");

        // The plan and its progress agree on the linked KPI: the latest logins, 150.
        let (_, now) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/success-plans/{id}/progress"), None).await;
        let (_, whole) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/success-plans/{id}"), None).await;
        assert_eq!((&now["objectives"][0]["kpis"][0]["current"], &whole["objectives"][0]["kpis"][0]["current"]), (&json!(150.0), &json!(150.0)));
        // A value typed by hand is kept with when it was typed; parts say when they were added.
        let typed = &whole["objectives"][1]["kpis"][0];
        assert_eq!(typed["history"].as_array().map(|h| (h.len(), h[0]["value"].clone())), Some((1, json!(7.0))), "{typed}");
        assert!(typed["history"][0]["at"].is_string() && typed["created_at"].is_string() && whole["objectives"][0]["created_at"].is_string(), "{whole}");

        let march = progress(app, &id, "2026-03-20").await;
        assert!(close(&march["expected_progress"], 78.0 / 90.0));
        assert!(close(&march["progress"], 0.59375));
        assert_eq!(march["health"], "off_track");
        // A KPI linked to a metric follows a new observation.
        observe(app, &acme, "2026-03-10T09:00:00Z", 200.0).await;
        let march = progress(app, &id, "2026-03-20").await;
        assert!(close(&march["progress"], 0.6875));
        assert_eq!(march["health"], "at_risk");

        // Achieved only with every objective done, or with a reason.
        let path = format!("/v1/success-plans/{id}");
        let (status, problem) = app
            .send(ADMIN_KEY, Method::PATCH, &path, Some(json!({"status": "achieved"})))
            .await;
        assert_eq!((status, problem_fields(&problem)), (422, vec!["status".to_owned()]));
        for o in [go_live_id, support] {
            let (status, _) = app
                .send(
                    ADMIN_KEY,
                    Method::PATCH,
                    &format!("/v1/success-plans/{id}/objectives/{o}"),
                    Some(json!({"status": "done"})),
                )
                .await;
            assert_eq!(status, 200);
        }
        let (status, achieved) = app
            .send(ADMIN_KEY, Method::PATCH, &path, Some(json!({"status": "achieved"})))
            .await;
        assert_eq!((status, achieved["status"].as_str()), (200, Some("achieved")));
        let (status, abandoned) = app
            .send(ADMIN_KEY, Method::PATCH, &path, Some(json!({"status": "abandoned", "status_reason": "champion left"})))
            .await;
        assert_eq!(status, 200);
        assert_eq!(abandoned["objectives"], achieved["objectives"], "abandoned keeps history");

        // Lists filter by account, status, owner and health (judged today: the
        // plan's target is past and its progress below 0.9, so it is off track).
        let list = |q: String| async move {
            let (status, l) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/success-plans?{q}"), None).await;
            assert_eq!(status, 200, "{l}");
            l["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        };
        assert_eq!(list(format!("account_id={acme}")).await, [id.as_str()]);
        assert_eq!(list("status=abandoned&owner=jane@vendor.example".into()).await, [id.as_str()]);
        assert!(list("status=active".into()).await.is_empty());
        assert_eq!(list("health=off_track".into()).await, [id.as_str()]);
        assert!(list("health=on_track".into()).await.is_empty());

        let tpath = format!("/v1/success-plan-templates/{template}");
        let (status, t) = app.send(ADMIN_KEY, Method::GET, &tpath, None).await;
        assert_eq!((status, t["name"].as_str(), t["duration_days"].as_u64()), (200, Some("Onboarding v2"), Some(30)));
        let (status, l) = app.send(ADMIN_KEY, Method::GET, "/v1/success-plan-templates?page_size=1", None).await;
        assert_eq!((status, l["items"][0]["id"].as_str()), (200, Some(template.as_str())));
        let (status, _) = app.send(ADMIN_KEY, Method::DELETE, &tpath, None).await;
        assert_eq!(status, 204);
        let (status, _) = app.send(ADMIN_KEY, Method::GET, &tpath, None).await;
        assert_eq!(status, 404);
        let (_, kept) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/success-plans/{id}"), None).await;
        assert_eq!(kept["template_id"].as_str(), Some(template.as_str()), "the plan keeps its record");
    }

    async fn parts_of_a_plan(app: &TestApp) {
        let (acme, _, plan) = seed(app).await;
        let id = plan["id"].as_str().unwrap().to_owned();
        let etag = plan["etag"].as_str().unwrap().to_owned();
        // Add an objective with a milestone; the answer carries the plan's progress.
        let res = app
            .req(Method::POST, &format!("/v1/success-plans/{id}/objectives"))
            .header("If-Match", &etag)
            .json(&json!({"title": "Executive sponsor", "weight": 2, "milestones": [{"title": "QBR held"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        let added: Value = res.json().await.unwrap();
        let objective = added["item"]["id"].as_str().unwrap().to_owned();
        assert_eq!(location, format!("/v1/success-plans/{id}/objectives/{objective}"));
        assert_eq!(added["progress"]["objectives"].as_array().unwrap().len(), 3);
        assert_eq!(added["progress"]["etag"], "\"2\"");
        // The old ETag is stale now.
        let res = app
            .req(Method::POST, &format!("/v1/success-plans/{id}/objectives"))
            .header("If-Match", &etag)
            .json(&json!({"title": "Late"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 412);

        let base = format!("/v1/success-plans/{id}/objectives/{objective}");
        let (status, got) = app.send(ADMIN_KEY, Method::GET, &base, None).await;
        assert_eq!((status, got["title"].as_str()), (200, Some("Executive sponsor")));
        let (status, kpi) = app
            .send(ADMIN_KEY, Method::POST, &format!("{base}/kpis"),
                Some(json!({"name": "Sponsor NPS", "baseline": 0, "target": 50, "current": 25, "unit": "score"})))
            .await;
        assert_eq!(status, 201, "{kpi}");
        let kpi_id = kpi["item"]["id"].as_str().unwrap().to_owned();
        // (0.5 + 0) / 2 for the new objective.
        assert!(close(&kpi["progress"]["objectives"][2]["progress"], 0.25));
        let (status, got) = app.send(ADMIN_KEY, Method::GET, &format!("{base}/kpis/{kpi_id}"), None).await;
        assert_eq!((status, got["current"].as_f64()), (200, Some(25.0)));
        let (status, ms) = app
            .send(ADMIN_KEY, Method::POST, &format!("{base}/milestones"), Some(json!({"title": "Sponsor named", "done": true, "due_date": "2026-02-01"})))
            .await;
        assert_eq!(status, 201, "{ms}");
        let ms_id = ms["item"]["id"].as_str().unwrap().to_owned();
        assert!(close(&ms["progress"]["objectives"][2]["progress"], 0.5), "(0.5 + 1/2) / 2");
        let (status, got) = app.send(ADMIN_KEY, Method::GET, &format!("{base}/milestones/{ms_id}"), None).await;
        assert_eq!((status, got["done"].as_bool()), (200, Some(true)));
        let (status, removed) = app.send(ADMIN_KEY, Method::DELETE, &format!("{base}/milestones/{ms_id}"), None).await;
        assert_eq!(status, 200);
        assert!(close(&removed["objectives"][2]["progress"], 0.25));
        let (status, removed) = app.send(ADMIN_KEY, Method::DELETE, &format!("{base}/kpis/{kpi_id}"), None).await;
        assert_eq!(status, 200);
        assert!(close(&removed["objectives"][2]["progress"], 0.0), "one milestone, not done");
        let (status, _) = app.send(ADMIN_KEY, Method::GET, &format!("{base}/kpis/{kpi_id}"), None).await;
        assert_eq!(status, 404);

        // A part of another plan is not found through this one.
        let (status, other) = app
            .send(ADMIN_KEY, Method::POST, "/v1/success-plans",
                Some(json!({"account_id": acme, "name": "Renewal", "start_date": "2026-01-01", "target_date": "2026-12-31"})))
            .await;
        assert_eq!((status, other["status"].as_str(), other["objectives"].as_array().map(Vec::len)), (201, Some("draft"), Some(0)));
        let other_id = other["id"].as_str().unwrap();
        let (status, _) = app
            .send(ADMIN_KEY, Method::PATCH, &format!("/v1/success-plans/{other_id}/objectives/{objective}"), Some(json!({"title": "x"})))
            .await;
        assert_eq!(status, 404);

        // Successes: the anatomy at as_of; permanence needs 90 days.
        let full = json!({"account_id": acme, "title": "Finance closes in 6 days", "plan_id": id,
            "objective_id": objective, "achieved_on": "2026-01-10",
            "outcome": {"description": "Month-end close from 10 to 6 days", "purposeful": true},
            "story": "How finance got its Fridays back",
            "reuse": [{"scope": "department", "description": "Procurement runs the same close"}],
            "measurable": {"metric": "close_days", "baseline": 10, "result": 6, "target": 5},
            "permanence": {"behaviour_change": "close runs on the new flow", "sustained_since": "2026-01-15"}});
        let (status, win) = app.send(ADMIN_KEY, Method::POST, "/v1/successes", Some(full)).await;
        assert_eq!(status, 201, "{win}");
        let win_id = win["id"].as_str().unwrap().to_owned();
        let at = |d: &str| format!("/v1/successes/{win_id}?as_of={d}");
        let (_, w) = app.send(ADMIN_KEY, Method::GET, &at("2026-04-14"), None).await;
        assert_eq!((w["anatomy_score"].as_u64(), w["missing"].clone()), (Some(4), json!(["permanence"])), "89 days");
        let (_, w) = app.send(ADMIN_KEY, Method::GET, &at("2026-04-15"), None).await;
        assert_eq!((w["anatomy_score"].as_u64(), w["missing"].clone()), (Some(5), json!([])), "90 days");
        let (status, bare) = app
            .send(ADMIN_KEY, Method::POST, "/v1/successes",
                Some(json!({"account_id": acme, "title": "Adoption up", "achieved_on": "2026-02-01",
                    "outcome": {"description": "Weekly logins doubled", "purposeful": false}})))
            .await;
        assert_eq!(status, 201);
        assert_eq!(bare["missing"], json!(["story", "reuse", "measurable", "permanence"]));
        let (status, patched) = app
            .send(ADMIN_KEY, Method::PATCH, &format!("/v1/successes/{}", bare["id"].as_str().unwrap()),
                Some(json!({"story": "Told at the user group", "reuse": [{"scope": "customer", "description": "Case study"}]})))
            .await;
        assert_eq!((status, patched["anatomy_score"].as_u64()), (200, Some(3)));
        let (status, patched) = app
            .send(ADMIN_KEY, Method::PATCH, &format!("/v1/successes/{}", bare["id"].as_str().unwrap()),
                Some(json!({"story": null, "reuse": []})))
            .await;
        assert_eq!((status, patched["missing"].clone()), (200, json!(["story", "reuse", "measurable", "permanence"])));
        let bare_id = bare["id"].as_str().unwrap().to_owned();
        let ids = |q: &'static str| async move {
            let (status, l) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/successes?{q}"), None).await;
            assert_eq!(status, 200, "{l}");
            l["items"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        };
        assert_eq!(ids("missing=story").await, [bare_id.as_str()]);
        assert_eq!(ids("reusable_in=department").await, [win_id.as_str()]);
        assert!(ids("reusable_in=company").await.is_empty());
        assert_eq!(ids("min_score=5&as_of=2026-04-15").await, [win_id.as_str()]);
        assert!(ids("min_score=5&as_of=2026-04-14").await.is_empty());
        assert_eq!(ids("min_score=1&page_size=1").await.len(), 1);

        // Removing the objective detaches its success; deleting the plan, the rest.
        let (status, _) = app.send(ADMIN_KEY, Method::DELETE, &base, None).await;
        assert_eq!(status, 200);
        let (_, w) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/successes/{win_id}"), None).await;
        assert_eq!((w["plan_id"].as_str(), &w["objective_id"]), (Some(id.as_str()), &Value::Null));
        assert_eq!(w["etag"], "\"2\"");
        let (status, _) = app.send(ADMIN_KEY, Method::DELETE, &format!("/v1/success-plans/{id}"), None).await;
        assert_eq!(status, 204);
        let (_, w) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/successes/{win_id}"), None).await;
        assert_eq!(w["plan_id"], Value::Null);
        let (status, _) = app.send(ADMIN_KEY, Method::DELETE, &format!("/v1/successes/{bare_id}"), None).await;
        assert_eq!(status, 204);
    }

    async fn bad_input_isolation_and_roles(app: &TestApp) {
        let (acme, template, plan) = seed(app).await;
        let id = plan["id"].as_str().unwrap().to_owned();
        let objective = plan["objectives"][0]["id"].as_str().unwrap().to_owned();
        let count = || async {
            let (_, l) = app.send(ADMIN_KEY, Method::GET, "/v1/success-plans", None).await;
            l["items"].as_array().unwrap().len()
        };
        let before = count().await;
        let (status, p) = app
            .send(ADMIN_KEY, Method::POST, "/v1/success-plans",
                Some(json!({"account_id": acme, "name": " ", "start_date": "2026-05-01", "target_date": "2026-04-01"})))
            .await;
        assert_eq!((status, problem_fields(&p)), (422, vec!["name".to_owned(), "target_date".to_owned()]), "{p}");
        let (status, p) = app
            .send(ADMIN_KEY, Method::POST, "/v1/success-plans", Some(json!({"account_id": acme})))
            .await;
        assert_eq!((status, problem_fields(&p)), (422, vec!["name".to_owned(), "target_date".to_owned()]));
        assert_eq!(count().await, before, "nothing written");
        let (status, p) = app
            .send(ADMIN_KEY, Method::POST, &format!("/v1/success-plans/{id}/objectives"),
                Some(json!({"title": "x", "weight": -1, "due_date": "2025-12-31",
                    "kpis": [{"name": "k", "metric_key": "no_such_metric", "baseline": 1, "target": 1}],
                    "milestones": [{"title": "m", "due_date": "2025-12-01"}]})))
            .await;
        assert_eq!(
            (status, problem_fields(&p)),
            (422, ["due_date", "kpis[0].metric_key", "kpis[0].target", "milestones[0].due_date", "weight"].map(String::from).to_vec()),
            "{p}"
        );
        let (status, p) = app
            .send(ADMIN_KEY, Method::POST, &format!("/v1/success-plans/{id}/objectives/{objective}/kpis"),
                Some(json!({"name": "Tenure", "metric_key": "tenure_months", "baseline": 1, "target": 12})))
            .await;
        assert_eq!((status, problem_fields(&p)), (422, vec!["metric_key".to_owned()]), "derived metrics are not linked");
        let (_, after) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/success-plans/{id}"), None).await;
        assert_eq!(after["etag"], plan["etag"], "refused writes change nothing");
        let (status, p) = app
            .send(ADMIN_KEY, Method::PATCH, &format!("/v1/success-plans/{id}"), Some(json!({"start_date": "2026-02-01"})))
            .await;
        assert_eq!((status, problem_fields(&p)), (422, vec!["start_date".to_owned()]), "milestones due before it");
        let (status, p) = app
            .send(ADMIN_KEY, Method::POST, "/v1/success-plan-templates",
                Some(json!({"name": "T", "duration_days": 10, "objectives": [{"title": "o", "due_offset_days": 11,
                    "kpis": [{"name": "k", "metric_key": "nope", "baseline": 0, "target": 1}]}]})))
            .await;
        assert_eq!(
            (status, problem_fields(&p)),
            (422, vec!["objectives[0].due_offset_days".to_owned(), "objectives[0].kpis[0].metric_key".to_owned()])
        );
        let (status, p) = app
            .send(ADMIN_KEY, Method::POST, "/v1/successes",
                Some(json!({"account_id": acme, "title": "t", "achieved_on": "2999-01-01",
                    "reuse": [{"scope": "galaxy", "description": "d"}]})))
            .await;
        assert_eq!((status, problem_fields(&p)), (422, vec!["reuse[0].scope".to_owned()]), "{p}");
        let (status, p) = app
            .send(ADMIN_KEY, Method::POST, "/v1/successes",
                Some(json!({"account_id": acme, "title": "t", "achieved_on": "2999-01-01", "objective_id": objective})))
            .await;
        assert_eq!((status, problem_fields(&p)), (422, vec!["achieved_on".to_owned(), "plan_id".to_owned()]));
        // An objective of another plan, a plan of another account.
        let globex = app.account(json!({"name": "Globex"})).await["id"].as_str().unwrap().to_owned();
        let (_, other) = app
            .send(ADMIN_KEY, Method::POST, "/v1/success-plans",
                Some(json!({"account_id": globex, "template_id": template, "start_date": "2026-01-01"})))
            .await;
        let other_objective = other["objectives"][0]["id"].as_str().unwrap();
        let (status, p) = app
            .send(ADMIN_KEY, Method::POST, "/v1/successes",
                Some(json!({"account_id": acme, "title": "t", "plan_id": id, "objective_id": other_objective})))
            .await;
        assert_eq!((status, problem_fields(&p)), (422, vec!["objective_id".to_owned()]));
        let (status, p) = app
            .send(ADMIN_KEY, Method::POST, "/v1/successes",
                Some(json!({"account_id": acme, "title": "t", "plan_id": other["id"]})))
            .await;
        assert_eq!((status, problem_fields(&p)), (422, vec!["plan_id".to_owned()]));
        let (status, p) = app
            .send(ADMIN_KEY, Method::GET, "/v1/successes?min_score=6", None)
            .await;
        assert_eq!((status, problem_fields(&p)), (422, vec!["min_score".to_owned()]));

        // A metric read by a plan's KPI cannot be deleted.
        let (status, _) = app
            .send(ADMIN_KEY, Method::POST, "/v1/metric-definitions",
                Some(json!({"key": "adoption_hours", "name": "Adoption hours", "unit": "count", "aggregation": "sum",
                    "direction": "higher_is_better", "category": "usage", "horizon": "future"})))
            .await;
        assert_eq!(status, 201);
        let (status, _) = app
            .send(ADMIN_KEY, Method::POST, &format!("/v1/success-plans/{id}/objectives/{objective}/kpis"),
                Some(json!({"name": "Hours", "metric_key": "adoption_hours", "baseline": 0, "target": 100})))
            .await;
        assert_eq!(status, 201);
        let (status, _) = app.send(ADMIN_KEY, Method::DELETE, "/v1/metric-definitions/adoption_hours", None).await;
        assert_eq!(status, 409);

        // Isolation and roles, operation by operation: another workspace's
        // key finds nothing, a read key may change nothing; nothing changes.
        let (_, s) = app
            .send(ADMIN_KEY, Method::POST, "/v1/successes", Some(json!({"account_id": acme, "title": "Win"})))
            .await;
        let success = s["id"].as_str().unwrap().to_owned();
        let kpi = plan["objectives"][1]["kpis"][0]["id"].as_str().unwrap();
        let milestone = plan["objectives"][0]["milestones"][0]["id"].as_str().unwrap();
        let o = format!("/v1/success-plans/{id}/objectives/{objective}");
        let writes = [
            (Method::PATCH, format!("/v1/success-plan-templates/{template}"), json!({"name": "x"})),
            (Method::DELETE, format!("/v1/success-plan-templates/{template}"), Value::Null),
            (Method::PATCH, format!("/v1/success-plans/{id}"), json!({"name": "x"})),
            (Method::DELETE, format!("/v1/success-plans/{id}"), Value::Null),
            (Method::POST, format!("/v1/success-plans/{id}/objectives"), json!({"title": "x"})),
            (Method::PATCH, o.clone(), json!({"title": "x"})),
            (Method::DELETE, o.clone(), Value::Null),
            (Method::POST, format!("{o}/kpis"), json!({"name": "k", "baseline": 0, "target": 1})),
            (Method::PATCH, format!("/v1/success-plans/{id}/objectives/{}/kpis/{kpi}", plan["objectives"][1]["id"].as_str().unwrap()), json!({"current": 1})),
            (Method::DELETE, format!("/v1/success-plans/{id}/objectives/{}/kpis/{kpi}", plan["objectives"][1]["id"].as_str().unwrap()), Value::Null),
            (Method::POST, format!("{o}/milestones"), json!({"title": "m"})),
            (Method::PATCH, format!("{o}/milestones/{milestone}"), json!({"done": true})),
            (Method::DELETE, format!("{o}/milestones/{milestone}"), Value::Null),
            (Method::PATCH, format!("/v1/successes/{success}"), json!({"title": "x"})),
            (Method::DELETE, format!("/v1/successes/{success}"), Value::Null),
        ];
        let reader = app.key("read").await;
        let creates = [
            (Method::POST, "/v1/success-plan-templates".to_owned(), template_body()),
            (Method::POST, "/v1/success-plans".to_owned(), json!({"account_id": acme, "name": "x", "target_date": "2030-01-01"})),
            (Method::POST, "/v1/successes".to_owned(), json!({"account_id": acme, "title": "t"})),
        ];
        for (method, path, body) in creates.iter().chain(&writes) {
            let body = (!body.is_null()).then(|| body.clone());
            let (status, _) = app.send(&reader, method.clone(), path, body).await;
            assert_eq!(status, 403, "read key: {method} {path}");
        }
        let stranger = app.other_workspace("Initech").await;
        for (method, path, body) in &writes {
            let body = (!body.is_null()).then(|| body.clone());
            let (status, _) = app.send(&stranger, method.clone(), path, body).await;
            assert_eq!(status, 404, "another workspace: {method} {path}");
        }
        for path in [
            format!("/v1/success-plans/{id}"),
            format!("/v1/success-plans/{id}/progress"),
            o.clone(),
            format!("{o}/milestones/{milestone}"),
            format!("/v1/success-plans/{id}/objectives/{}/kpis/{kpi}", plan["objectives"][1]["id"].as_str().unwrap()),
            format!("/v1/success-plan-templates/{template}"),
            format!("/v1/successes/{success}"),
            format!("/v1/success-plans?account_id={acme}"),
            format!("/v1/successes?account_id={acme}"),
        ] {
            let (status, _) = app.send(&stranger, Method::GET, &path, None).await;
            assert_eq!(status, 404, "{path}");
            let (status, _) = app.send(&reader, Method::GET, &path, None).await;
            assert_eq!(status, 200, "a read key reads {path}");
        }
        for path in ["/v1/success-plans", "/v1/successes", "/v1/success-plan-templates"] {
            let (status, l) = app.send(&stranger, Method::GET, path, None).await;
            assert_eq!((status, l["items"].as_array().map(Vec::len)), (200, Some(0)), "{path}");
        }
        let (status, _) = app
            .send(&stranger, Method::POST, "/v1/success-plans",
                Some(json!({"account_id": acme, "name": "x", "target_date": "2030-01-01"})))
            .await;
        assert_eq!(status, 404, "another workspace's account");
        let (status, _) = app
            .send(&stranger, Method::POST, "/v1/successes", Some(json!({"account_id": acme, "title": "x"})))
            .await;
        assert_eq!(status, 404, "another workspace's account");
        let (_, mine) = app
            .send(&stranger, Method::POST, "/v1/accounts", Some(json!({"name": "Mine"})))
            .await;
        let (status, p) = app
            .send(&stranger, Method::POST, "/v1/success-plans",
                Some(json!({"account_id": mine["id"], "template_id": template})))
            .await;
        assert_eq!((status, problem_fields(&p)), (422, vec!["template_id".to_owned()]), "another workspace's template");
        let (status, p) = app
            .send(&stranger, Method::POST, "/v1/successes",
                Some(json!({"account_id": mine["id"], "title": "x", "plan_id": id})))
            .await;
        assert_eq!((status, problem_fields(&p)), (422, vec!["plan_id".to_owned()]), "another workspace's plan");
        for (path, etag) in [
            (format!("/v1/success-plans/{id}"), "\"2\""),
            (format!("/v1/success-plan-templates/{template}"), "\"1\""),
            (format!("/v1/successes/{success}"), "\"1\""),
        ] {
            let (status, now) = app.send(ADMIN_KEY, Method::GET, &path, None).await;
            assert_eq!((status, now["etag"].as_str()), (200, Some(etag)), "{path} unchanged");
        }
    }

    async fn qbr_shows_plans_and_successes(app: &TestApp) {
        let (acme, _, plan) = seed(app).await;
        observe(app, &acme, "2026-02-01T12:00:00Z", 50.0).await;
        observe(app, &acme, "2026-02-15T12:00:00Z", 150.0).await;
        for (title, on) in [("Kick-off done", "2026-02-01"), ("First report", "2026-03-31"), ("Go-live", "2026-04-01")] {
            let (status, _) = app
                .send(ADMIN_KEY, Method::POST, "/v1/successes",
                    Some(json!({"account_id": acme, "title": title, "achieved_on": on, "story": "told"})))
                .await;
            assert_eq!(status, 201);
        }
        let path = format!("/v1/accounts/{acme}/qbr?metric_set=qbr_future&quarter=2026-Q1");
        let (status, q) = app.send(ADMIN_KEY, Method::GET, &path, None).await;
        assert_eq!(status, 200, "{q}");
        let metric = |key: &str| {
            q["sections"][0]["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["metric"] == key)
                .unwrap()
                .clone()
        };
        let outcome = metric("outcome_attainment");
        assert!(close(&outcome["value"], 28.125), "{outcome}");
        assert_eq!(outcome["previous"], Value::Null);
        let captured = metric("successes_captured");
        assert_eq!((captured["value"].as_f64(), captured["previous"].as_f64()), (Some(2.0), Some(0.0)));
        assert_eq!(q["as_of"], "2026-03-31");
        let plans = q["plans"].as_array().unwrap();
        assert_eq!(plans.len(), 1);
        assert_eq!(plans[0]["id"], plan["id"]);
        assert!(close(&plans[0]["progress"]["progress"], 0.28125));
        assert!(close(&plans[0]["progress"]["expected_progress"], 89.0 / 90.0));
        assert_eq!(plans[0]["progress"]["health"], "off_track");
        let titles: Vec<&str> = q["successes"].as_array().unwrap().iter().map(|s| s["title"].as_str().unwrap()).collect();
        assert_eq!(titles, ["Kick-off done", "First report"]);
        assert_eq!(q["successes"][0]["anatomy_score"], 1);

        let html = app
            .req(Method::GET, &path)
            .header("Accept", "text/html")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for part in ["<h2>Success plans</h2>", "Onboarding", "28 %", "Off track", "<h2>Successes this quarter</h2>", "First report", "1 / 5"] {
            assert!(html.contains(part), "{part} in the report");
        }
        assert!(!html.contains("Go-live"), "achieved after the quarter");

        let mut qbr = csapi::grpc::pb::qbr_service_client::QbrServiceClient::new(app.channel().await);
        let pack = qbr
            .get_qbr(authed(ADMIN_KEY, pb::GetQbrRequest {
                account_id: acme.clone(),
                metric_sets: vec!["qbr_future".into()],
                quarter: Some("2026-Q1".into()),
                audience: None,
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((pack.plans.len(), pack.successes.len(), pack.as_of.as_str()), (1, 2, "2026-03-31"));
        assert!((pack.plans[0].progress.as_ref().unwrap().progress - 0.28125).abs() < 1e-9);

        // The portfolio reads the same metrics for every account at once:
        // Acme has both, Globex (no plan, no success) no outcome attainment.
        let globex = app.account(json!({"name": "Globex", "segment": "smb"})).await["id"].clone();
        let (status, h) = app
            .send(ADMIN_KEY, Method::GET, "/v1/metric-sets/qbr_future/health?quarter=2026-Q1", None)
            .await;
        assert_eq!(status, 200, "{h}");
        let acme_row = h["items"].as_array().unwrap().iter().find(|r| r["account_id"] == acme).unwrap();
        assert_eq!(acme_row["health"], q["sections"][0]["health"], "the book says what the QBR says");
        let missing = |id: &Value| {
            let row = h["items"].as_array().unwrap().iter().find(|r| &r["account_id"] == id).unwrap();
            row["missing"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_owned()).collect::<Vec<_>>()
        };
        let (acme_missing, globex_missing) = (missing(&json!(acme)), missing(&globex));
        assert!(!acme_missing.iter().any(|m| m == "outcome_attainment" || m == "successes_captured"), "{acme_missing:?}");
        assert!(globex_missing.iter().any(|m| m == "outcome_attainment"), "{globex_missing:?}");
        assert!(!globex_missing.iter().any(|m| m == "successes_captured"), "a count of none is 0");

        // A scope is read in SQL: the smb segment holds Globex alone; once
        // Acme is enterprise, its scoped row still has its plan, KPIs and successes.
        let scoped = |segment: &'static str| async move {
            let path = format!("/v1/metric-sets/qbr_future/health?quarter=2026-Q1&segment={segment}");
            app.send(ADMIN_KEY, Method::GET, &path, None).await.1
        };
        let smb = scoped("smb").await;
        let ids: Vec<&Value> = smb["items"].as_array().unwrap().iter().map(|r| &r["account_id"]).collect();
        assert_eq!(ids, [&globex]);
        assert_eq!(smb["counts"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum::<u64>(), 1);
        let (status, _) = app.send(ADMIN_KEY, Method::PATCH, &format!("/v1/accounts/{acme}"), Some(json!({"segment": "enterprise"}))).await;
        assert_eq!(status, 200);
        let enterprise = scoped("enterprise").await;
        assert_eq!(enterprise["items"].as_array().unwrap().len(), 1);
        assert_eq!(enterprise["items"][0]["account_id"], acme);
        assert_eq!(enterprise["items"][0]["health"], acme_row["health"]);
        assert_eq!(enterprise["items"][0]["missing"], acme_row["missing"]);
    }
}

on_both_backends! {
    async fn a_win_counts_as_measured_only_when_it_moved_against_an_aim(app: &TestApp) {
        let (acme, _, plan) = seed(app).await;
        let (plan_id, go_live) = (plan["id"].as_str().unwrap(), &plan["objectives"][0]);
        let logins = go_live["kpis"][0]["id"].as_str().unwrap();
        let cases = plan["objectives"][1]["kpis"][0]["id"].as_str().unwrap();
        let win = |extra: Value| {
            let mut w = json!({"account_id": acme, "title": "Logins up", "plan_id": plan_id,
                "objective_id": go_live["id"], "achieved_on": "2026-02-01"});
            w.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            w
        };
        let list = || async { app.send(ADMIN_KEY, Method::GET, "/v1/successes", None).await.1["items"].as_array().unwrap().len() };
        let refused = [
            (json!({"measurable": {"metric": "logins", "baseline": 40, "result": 40, "target": 200}}), vec!["measurable.result"]),
            (json!({"measurable": {"metric": "logins", "baseline": 40, "result": 90}}), vec!["measurable.target"]),
            (json!({"measurable": {"metric": "cases", "baseline": 10, "result": 6, "kpi_id": cases}}), vec!["measurable.kpi_id"]),
            (json!({"objective_id": null, "measurable": {"metric": "logins", "baseline": 40, "result": 90, "kpi_id": logins}}), vec!["measurable.kpi_id"]),
            (json!({"permanence": {"behaviour_change": "daily stand-up on the dashboard", "sustained_since": "2026-01-31"}}), vec!["permanence.sustained_since"]),
        ];
        for (extra, fields) in refused {
            let (status, p) = app.send(ADMIN_KEY, Method::POST, "/v1/successes", Some(win(extra.clone()))).await;
            assert_eq!((status, problem_fields(&p)), (422, fields.iter().map(|f| f.to_string()).collect()), "{extra}: {p}");
        }
        assert_eq!(list().await, 0, "nothing written");

        // The objective's own KPI is an aim; so is a target; permanence may start the day of the win.
        let (status, w) = app
            .send(ADMIN_KEY, Method::POST, "/v1/successes", Some(win(json!({
                "measurable": {"metric": "logins", "baseline": 40, "result": 90, "kpi_id": logins},
                "permanence": {"behaviour_change": "daily stand-up on the dashboard", "sustained_since": "2026-02-01"}}))))
            .await;
        assert_eq!(status, 201, "{w}");
        assert_eq!(w["measurable"], json!({"metric": "logins", "baseline": 40.0, "result": 90.0, "kpi_id": logins}));
        assert_eq!(w["missing"], json!(["outcome", "story", "reuse"]), "permanence counts from 2026-05-02 on; today is later");
        let id = w["id"].as_str().unwrap();
        let (status, p) = app
            .send(ADMIN_KEY, Method::PATCH, &format!("/v1/successes/{id}"), Some(json!({"achieved_on": "2026-02-02"})))
            .await;
        assert_eq!((status, problem_fields(&p)), (422, vec!["permanence.sustained_since".to_owned()]), "{p}");
        let (_, now) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/successes/{id}"), None).await;
        assert_eq!(now["etag"], w["etag"], "a refused patch changes nothing");

        // gRPC: the same rules, named under the message.
        let mut c = csapi::grpc::pb::success_plan_service_client::SuccessPlanServiceClient::new(app.channel().await);
        let draft = |m: pb::SuccessMeasurable| pb::CreateSuccessRequest {
            success: Some(pb::Success {
                account_id: acme.clone(), title: "Cases down".into(), plan_id: Some(plan_id.into()),
                objective_id: plan["objectives"][1]["id"].as_str().map(String::from),
                achieved_on: Some("2026-02-01".into()), measurable: Some(m), ..Default::default()
            }),
        };
        let unmoved = pb::SuccessMeasurable { metric: "cases".into(), baseline: 10.0, result: 10.0, ..Default::default() };
        let bad = c.create_success(authed(ADMIN_KEY, draft(unmoved))).await.unwrap_err();
        assert_eq!(bad.code(), tonic::Code::InvalidArgument);
        for field in ["success.measurable.result", "success.measurable.target"] {
            assert!(bad.message().contains(field), "{field} in {}", bad.message());
        }
        let measured = pb::SuccessMeasurable { metric: "cases".into(), baseline: 10.0, result: 6.0, kpi_id: Some(cases.into()), ..Default::default() };
        let made = c.create_success(authed(ADMIN_KEY, draft(measured))).await.unwrap().into_inner();
        assert_eq!(made.measurable.and_then(|m| m.kpi_id).as_deref(), Some(cases));
        assert_eq!(list().await, 2);
    }
}

on_both_backends! {
    // Acme's win of 2026-02-01 is reapplied at Globex (named by its Salesforce
    // id) on 2026-03-15 and at Acme itself, for its plan's first objective, on
    // 2026-04-02: two reuses, one in Q1 and one in Q2, so successes_reused is
    // 1 in each quarter, and the recorded reuse fills the anatomy's reuse part.
    async fn reuses_of_a_win_are_recorded_counted_and_checked(app: &TestApp) {
        let (acme, _, plan) = seed(app).await;
        let globex = app.account(json!({"name": "Globex", "external_refs": [{"system": "salesforce", "id": "001G"}]})).await;
        let globex = globex["id"].as_str().unwrap();
        let (status, w) = app.send(ADMIN_KEY, Method::POST, "/v1/successes", Some(json!({"account_id": acme, "title": "Live in 40 days", "achieved_on": "2026-02-01"}))).await;
        assert_eq!(status, 201, "{w}");
        assert_eq!((&w["reuse_count"], &w["reuses"], &w["missing"][2]), (&json!(0), &json!([]), &json!("reuse")));
        let id = w["id"].as_str().unwrap();
        let reuses = format!("/v1/successes/{id}/reuses");
        let at_globex = json!({"account_ref": {"system": "salesforce", "id": "001G"}, "applied_on": "2026-03-15",
            "outcome": "APAC live in 35 days", "result": {"baseline": 60, "target": 40, "value": 35}});
        let res = app.req(Method::POST, &reuses).json(&at_globex).send().await.unwrap();
        assert_eq!(res.status(), 201);
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        let first: Value = res.json().await.unwrap();
        assert_eq!(location, format!("{reuses}/{}", first["id"].as_str().unwrap()));
        assert_eq!((&first["account_id"], &first["applied_on"], &first["result"]), (&json!(globex), &json!("2026-03-15"), &json!({"baseline": 60.0, "target": 40.0, "value": 35.0})));
        let objective = &plan["objectives"][0]["id"];
        let (status, second) = app.send(ADMIN_KEY, Method::POST, &reuses, Some(json!({"account_id": acme, "plan_id": plan["id"], "objective_id": objective,
            "applied_on": "2026-04-02", "outcome": "Finance team onboarded the same way"}))).await;
        assert_eq!(status, 201, "{second}");
        assert_eq!((&second["plan_id"], &second["result"]), (&plan["id"], &Value::Null));

        let (_, s) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/successes/{id}?as_of=2026-03-20"), None).await;
        assert_eq!((&s["reuse_count"], &s["reuses"][0]["id"], &s["reuses"][1]["id"], &s["etag"]), (&json!(2), &first["id"], &second["id"], &json!("\"3\"")));
        assert!(!s["missing"].as_array().unwrap().contains(&json!("reuse")), "{s}");
        let (_, before) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/successes/{id}?as_of=2026-03-01"), None).await;
        assert!(before["missing"].as_array().unwrap().contains(&json!("reuse")), "not yet reused then");

        let (_, page) = app.send(ADMIN_KEY, Method::GET, &format!("{reuses}?page_size=1"), None).await;
        assert_eq!(page["items"][0]["id"], first["id"]);
        let token = page["next_page_token"].as_str().unwrap();
        let (_, rest) = app.send(ADMIN_KEY, Method::GET, &format!("{reuses}?page_size=1&page_token={token}"), None).await;
        assert_eq!((&rest["items"][0]["id"], &rest["next_page_token"]), (&second["id"], &Value::Null));

        for (quarter, reused) in [("2026-Q1", 1.0), ("2026-Q2", 1.0), ("2025-Q4", 0.0)] {
            let (_, q) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/accounts/{acme}/qbr?metric_set=qbr_future&quarter={quarter}"), None).await;
            let m = q["sections"][0]["metrics"].as_array().unwrap().iter().find(|m| m["metric"] == "successes_reused").unwrap().clone();
            assert_eq!(m["value"].as_f64(), Some(reused), "{quarter}: {m}");
        }

        // Bad reuses name every bad field and change nothing.
        let sorted = |p: &Value| { let mut f = problem_fields(p); f.sort(); f };
        let (status, p) = app.send(ADMIN_KEY, Method::POST, &reuses, Some(json!({"account_ref": {"system": "salesforce", "id": "nope"},
            "objective_id": objective, "applied_on": "2026-01-31", "outcome": " "}))).await;
        assert_eq!((status, sorted(&p)), (422, vec!["account_ref".to_owned(), "applied_on".into(), "outcome".into(), "plan_id".into()]), "{p}");
        let (status, p) = app.send(ADMIN_KEY, Method::POST, &reuses, Some(json!({"account_id": globex, "plan_id": plan["id"], "outcome": "x", "applied_on": "2099-01-01"}))).await;
        assert_eq!((status, sorted(&p)), (422, vec!["applied_on".to_owned(), "plan_id".into()]), "{p}");
        let (status, p) = app.send(ADMIN_KEY, Method::POST, &reuses, Some(json!({"account_id": globex, "account_ref": {"system": "salesforce", "id": "001G"}, "outcome": "x"}))).await;
        assert_eq!((status, problem_fields(&p)), (422, vec!["account_ref".to_owned()]), "{p}");
        let (status, _) = app.send(ADMIN_KEY, Method::POST, &format!("/v1/successes/{}/reuses", uuid::Uuid::now_v7()), Some(json!({"account_id": globex, "outcome": "x"}))).await;
        assert_eq!(status, 404);
        let (_, s) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/successes/{id}"), None).await;
        assert_eq!((&s["reuse_count"], &s["etag"]), (&json!(2), &json!("\"3\"")));

        // gRPC: record, list, delete.
        let mut c = csapi::grpc::pb::success_plan_service_client::SuccessPlanServiceClient::new(app.channel().await);
        let made = c.record_success_reuse(authed(ADMIN_KEY, pb::RecordSuccessReuseRequest {
            success_id: id.into(),
            reuse: Some(pb::RecordedReuse { applied_on: Some("2026-05-01".into()), outcome: "EMEA too".into(), ..Default::default() }),
            account_ref: Some(pb::ExternalRef { system: "salesforce".into(), id: "001G".into() }),
        })).await.unwrap().into_inner();
        assert_eq!((made.account_id.as_str(), made.applied_on.as_deref()), (globex, Some("2026-05-01")));
        let bad = c.record_success_reuse(authed(ADMIN_KEY, pb::RecordSuccessReuseRequest {
            success_id: id.into(),
            reuse: Some(pb::RecordedReuse { account_id: globex.into(), applied_on: Some("2026-01-01".into()), ..Default::default() }),
            account_ref: None,
        })).await.unwrap_err();
        assert_eq!(bad.code(), tonic::Code::InvalidArgument);
        for field in ["reuse.applied_on", "reuse.outcome"] {
            assert!(bad.message().contains(field), "{field} in {}", bad.message());
        }
        let listed = c.list_success_reuses(authed(ADMIN_KEY, pb::ListSuccessReusesRequest { success_id: id.into(), ..Default::default() })).await.unwrap().into_inner();
        assert_eq!(listed.items.iter().map(|r| r.outcome.as_str()).collect::<Vec<_>>(), ["APAC live in 35 days", "Finance team onboarded the same way", "EMEA too"]);
        c.delete_success_reuse(authed(ADMIN_KEY, pb::DeleteSuccessReuseRequest { success_id: id.into(), reuse_id: made.id.clone() })).await.unwrap();
        let gone = c.delete_success_reuse(authed(ADMIN_KEY, pb::DeleteSuccessReuseRequest { success_id: id.into(), reuse_id: made.id })).await.unwrap_err();
        assert_eq!(gone.code(), tonic::Code::NotFound);

        // Parallel records of reuses of one win each land, one version apiece.
        let sends = (0..6).map(|i| {
            let body = json!({"account_id": globex, "applied_on": "2026-06-01", "outcome": format!("parallel {i}")});
            let path = reuses.clone();
            async move { app.send(ADMIN_KEY, Method::POST, &path, Some(body)).await.0 }
        });
        for status in futures_util::future::join_all(sends).await {
            assert_eq!(status, 201);
        }
        let (_, s) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/successes/{id}"), None).await;
        assert_eq!((&s["reuse_count"], &s["etag"]), (&json!(8), &json!("\"11\"")), "2 + 6 reuses; 1 + 2 + 1 + 1 + 6 versions");
        let parallel: Vec<String> = s["reuses"].as_array().unwrap().iter().filter_map(|r| r["outcome"].as_str().filter(|o| o.starts_with("parallel")).map(String::from)).collect();
        assert_eq!(parallel.len(), 6);
        for r in s["reuses"].as_array().unwrap().iter().filter(|r| r["outcome"].as_str().unwrap().starts_with("parallel")) {
            let (status, _) = app.send(ADMIN_KEY, Method::DELETE, &format!("{reuses}/{}", r["id"].as_str().unwrap()), None).await;
            assert_eq!(status, 204);
        }

        // REST delete; the success shows one reuse left.
        let (status, _) = app.send(ADMIN_KEY, Method::DELETE, &format!("{reuses}/{}", first["id"].as_str().unwrap()), None).await;
        assert_eq!(status, 204);
        let (_, s) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/successes/{id}"), None).await;
        assert_eq!((&s["reuse_count"], &s["reuses"][0]["id"]), (&json!(1), &second["id"]));
        let got = c.get_success(authed(ADMIN_KEY, pb::GetSuccessRequest { id: id.into(), as_of: None })).await.unwrap().into_inner();
        assert_eq!((got.reuse_count, got.reuses[0].id.as_str()), (1, second["id"].as_str().unwrap()));
    }
}

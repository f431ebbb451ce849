//! Keys limited to some accounts (a customer's key): every operation of the
//! contract, called with it, shows the key's account and nothing of another;
//! another account's ids are not found; what reaches the whole workspace or
//! writes is refused; on both doors and both stores.

use csapi::grpc::pb;
use reqwest::Method;
use serde_json::{Value, json};
use tonic::Code;

use crate::support::{ADMIN_KEY, TestApp, authed, on_both_backends, problem_fields};

/// One account with one of every record that belongs to an account.
struct Book {
    account: String,
    reference: String,
    stakeholder: String,
    assessment: String,
    plan: String,
    objective: String,
    kpi: String,
    milestone: String,
    success: String,
}

impl Book {
    /// The ids of this book, to look for in answers that must not hold them.
    fn ids(&self) -> [&str; 8] {
        [
            &self.account,
            &self.stakeholder,
            &self.assessment,
            &self.plan,
            &self.objective,
            &self.kpi,
            &self.milestone,
            &self.success,
        ]
    }

    /// A path template of the contract with this book's ids in it.
    fn fill(&self, template: &str) -> String {
        let id = if template.starts_with("/v1/stakeholders/") {
            &self.stakeholder
        } else if template.starts_with("/v1/assessments/") {
            &self.assessment
        } else if template.starts_with("/v1/success-plans/") {
            &self.plan
        } else if template.starts_with("/v1/successes/") {
            &self.success
        } else {
            &self.account
        };
        let stakeholder_ref = format!("{}-s", self.reference);
        let external_id = if template.starts_with("/v1/stakeholders/") {
            stakeholder_ref.as_str()
        } else {
            self.reference.as_str()
        };
        template
            .replace("{id}", id)
            .replace("{objective_id}", &self.objective)
            .replace("{kpi_id}", &self.kpi)
            .replace("{milestone_id}", &self.milestone)
            .replace("{system}", "crm")
            .replace("{external_id}", external_id)
            .replace("{key}", "readiness")
            .replace("{version}", "1")
            .replace("{delivery_id}", &self.account)
    }
}

async fn created(app: &TestApp, path: &str, body: Value) -> Value {
    let (status, answer) = app.send(ADMIN_KEY, Method::POST, path, Some(body)).await;
    assert_eq!(status, 201, "{path}: {answer}");
    answer
}

async fn book(app: &TestApp, name: &str, reference: &str) -> Book {
    let account = app
        .account(json!({"name": name, "external_refs": [{"system": "crm", "id": reference}]}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stakeholder = created(
        app,
        &format!("/v1/accounts/{account}/stakeholders"),
        json!({"name": format!("{name} champion"),
               "external_refs": [{"system": "crm", "id": format!("{reference}-s")}]}),
    )
    .await;
    let assessment = created(
        app,
        "/v1/assessments",
        json!({"account_id": account, "framework": "readiness",
               "scores": {"goal_clarity": 8, "priority": 3}, "assessed_at": "2026-02-01T00:00:00Z"}),
    )
    .await;
    let plan = created(
        app,
        "/v1/success-plans",
        json!({"account_id": account, "name": format!("{name} rollout"),
               "start_date": "2026-01-01", "target_date": "2026-12-31"}),
    )
    .await;
    let plan_id = plan["id"].as_str().unwrap().to_owned();
    created(
        app,
        &format!("/v1/success-plans/{plan_id}/objectives"),
        json!({"title": "Go live",
        "kpis": [{"name": "Weekly logins", "metric_key": "logins", "baseline": 0, "target": 10}],
        "milestones": [{"title": "Kick-off"}]}),
    )
    .await;
    let (_, plan) = app
        .send(
            ADMIN_KEY,
            Method::GET,
            &format!("/v1/success-plans/{plan_id}"),
            None,
        )
        .await;
    let success = created(
        app,
        "/v1/successes",
        json!({"account_id": account, "title": format!("{name} live"), "achieved_on": "2026-03-01"}),
    )
    .await;
    let (status, _) = app
        .send(
            ADMIN_KEY,
            Method::POST,
            "/v1/observations",
            Some(
                json!({"observations": [{"account_id": account, "metric": "logins",
                "observed_at": "2026-03-02T00:00:00Z", "value": 7}]}),
            ),
        )
        .await;
    assert_eq!(status, 200);
    let objective = &plan["objectives"][0];
    Book {
        account,
        reference: reference.to_owned(),
        stakeholder: stakeholder["id"].as_str().unwrap().to_owned(),
        assessment: assessment["id"].as_str().unwrap().to_owned(),
        plan: plan["id"].as_str().unwrap().to_owned(),
        objective: objective["id"].as_str().unwrap().to_owned(),
        kpi: objective["kpis"][0]["id"].as_str().unwrap().to_owned(),
        milestone: objective["milestones"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        success: success["id"].as_str().unwrap().to_owned(),
    }
}

/// A read key limited to `accounts`; its secret.
async fn limited_key(app: &TestApp, accounts: &[&str]) -> String {
    let key = created(
        app,
        "/v1/api-keys",
        json!({"name": "customer", "role": "read", "account_ids": accounts}),
    )
    .await;
    assert_eq!(key["account_ids"], json!(accounts));
    key["key"].as_str().unwrap().to_owned()
}

/// Every operation of the committed contract under `/v1`, as (method, path template).
fn operations() -> Vec<(Method, String)> {
    let contract: Value = serde_json::from_str(include_str!("../../openapi/openapi.json")).unwrap();
    let mut ops = Vec::new();
    for (path, item) in contract["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/") {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            if let Ok(m) = method.to_uppercase().parse::<Method>() {
                ops.push((m, path.clone()));
            }
        }
    }
    assert!(ops.len() > 90, "the contract has {} operations", ops.len());
    ops
}

/// The query an operation needs to answer at all.
fn query_of(template: &str) -> &'static str {
    match template {
        "/v1/matrices/{key}/transitions" => "?from=2020-01-01T00:00:00Z",
        "/v1/metric-sets/{key}/health" => "?quarter=2026-Q1",
        _ => "",
    }
}

fn metric_set_path(template: &str) -> String {
    template.replace("{key}", "qbr_traditional")
}

/// The length of the whole feed once it shows a new account named `name`,
/// and so every write before it.
async fn feed_through_new_account(app: &TestApp, name: &str) -> usize {
    let id = app.account(json!({"name": name})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let events = app.settled_feed("*", 1).await;
        if events.iter().any(|e| e.to_string().contains(&id)) {
            return events.len();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "account {name} never showed in the feed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

on_both_backends! {
    async fn a_limited_key_sees_its_account_and_nothing_of_another_in_any_operation(app: &TestApp) {
        let ours = book(app, "Northwind", "001").await;
        let theirs = book(app, "Globex", "002").await;
        let key = limited_key(app, &[&ours.account]).await;
        let feed_before = feed_through_new_account(app, "before").await;

        for (method, template) in operations() {
            let template = if template.starts_with("/v1/metric-sets/") { metric_set_path(&template) } else { template };
            for (book, is_ours) in [(&theirs, false), (&ours, true)] {
                let path = format!("{}{}", book.fill(&template), query_of(&template));
                let mut req = app.req_as(&key, method.clone(), &path);
                if method != Method::GET && method != Method::DELETE {
                    req = req.json(&json!({}));
                }
                let res = req.send().await.unwrap();
                let status = res.status().as_u16();
                let body = res.text().await.unwrap();
                let what = format!("{method} {path} → {status}: {body:.300}");
                if method != Method::GET {
                    assert!(matches!(status, 403 | 404 | 405 | 422), "a read key changes nothing: {what}");
                    continue;
                }
                for id in theirs.ids() {
                    assert!(!body.contains(id), "another account's record shows: {what}");
                }
                assert!(!body.contains("Globex"), "another account's name shows: {what}");
                let names_other = template.contains('{') && !is_ours && !template.starts_with("/v1/frameworks/")
                    && !template.starts_with("/v1/matrices/") && !template.starts_with("/v1/metric-")
                    && !template.starts_with("/v1/prioritization-policies/");
                if names_other {
                    assert!(matches!(status, 403 | 404), "another account's id is not found: {what}");
                }
            }
        }
        let feed_after = feed_through_new_account(app, "after").await;
        assert_eq!(feed_after, feed_before + 1, "nothing was written but the second new account");
    }

    async fn a_limited_key_reads_what_its_account_holds(app: &TestApp) {
        let ours = book(app, "Northwind", "001").await;
        let _theirs = book(app, "Globex", "002").await;
        let key = limited_key(app, &[&ours.account]).await;
        let get = |path: String| {
            let key = key.clone();
            async move { app.send(&key, Method::GET, &path, None).await }
        };
        let ids = |listed: &Value, field: &str| -> Vec<String> {
            listed["items"].as_array().unwrap().iter().map(|i| i[field].as_str().unwrap().to_owned()).collect()
        };
        for path in [
            format!("/v1/accounts/{}", ours.account),
            "/v1/accounts/by-ref/crm/001".to_owned(),
            format!("/v1/accounts/{}/stakeholders", ours.account),
            format!("/v1/stakeholders/{}", ours.stakeholder),
            format!("/v1/assessments/{}", ours.assessment),
            format!("/v1/success-plans/{}", ours.plan),
            format!("/v1/success-plans/{}/progress", ours.plan),
            format!("/v1/success-plans/{}/objectives/{}/kpis/{}", ours.plan, ours.objective, ours.kpi),
            format!("/v1/successes/{}", ours.success),
            format!("/v1/accounts/{}/qbr?quarter=2026-Q1", ours.account),
            format!("/v1/accounts/{}/classifications", ours.account),
            "/v1/frameworks/readiness".to_owned(),
        ] {
            let (status, body) = get(path.clone()).await;
            assert_eq!(status, 200, "{path}: {body}");
        }
        let (_, accounts) = get("/v1/accounts".into()).await;
        assert_eq!(ids(&accounts, "id"), [ours.account.as_str()]);
        let (_, plans) = get("/v1/success-plans".into()).await;
        assert_eq!(ids(&plans, "id"), [ours.plan.as_str()]);
        let (_, wins) = get("/v1/successes".into()).await;
        assert_eq!(ids(&wins, "id"), [ours.success.as_str()]);
        let (_, assessed) = get("/v1/assessments".into()).await;
        assert_eq!(ids(&assessed, "id"), [ours.assessment.as_str()]);
        let (_, observed) = get("/v1/observations".into()).await;
        assert_eq!(ids(&observed, "account_id"), [ours.account.as_str()]);
        let (_, portfolio) = get("/v1/matrices/readiness/portfolio".into()).await;
        assert_eq!(portfolio["total"], 1, "{portfolio}");
        let (_, ranked) = get("/v1/prioritization".into()).await;
        assert_eq!(ids(&ranked, "account_id"), [ours.account.as_str()]);
        let (_, health) = get("/v1/metric-sets/qbr_traditional/health?quarter=2026-Q1".into()).await;
        assert_eq!(health["items"].as_array().unwrap().len(), 1, "{health}");

        // What reaches the whole workspace is refused, saying why.
        for path in ["/v1/changes", "/v1/workspace/settings"] {
            let (status, problem) = get(path.into()).await;
            assert_eq!(status, 403, "{path}: {problem}");
            assert!(problem["detail"].as_str().unwrap().contains("limited to some accounts"), "{problem}");
        }
    }

    async fn only_a_read_key_may_be_limited_to_accounts_of_the_workspace(app: &TestApp) {
        let acme = app.account(json!({"name": "Acme"})).await["id"].as_str().unwrap().to_owned();
        let stranger = uuid::Uuid::now_v7().to_string();
        for (body, fields) in [
            (json!({"name": "k", "role": "write", "account_ids": [acme]}), vec!["account_ids"]),
            (json!({"name": "k", "role": "read", "account_ids": []}), vec!["account_ids"]),
            (json!({"name": "k", "role": "read", "account_ids": [acme, acme]}), vec!["account_ids"]),
            (json!({"name": "", "role": "admin", "account_ids": [acme]}), vec!["account_ids", "name"]),
        ] {
            let (status, problem) = app.send(ADMIN_KEY, Method::POST, "/v1/api-keys", Some(body.clone())).await;
            assert_eq!(status, 422, "{body}: {problem}");
            assert_eq!(problem_fields(&problem), fields, "{body}");
        }
        let (status, _) = app.send(ADMIN_KEY, Method::POST, "/v1/api-keys",
            Some(json!({"name": "k", "role": "read", "account_ids": [acme, stranger]}))).await;
        assert_eq!(status, 404, "an account the workspace does not have");
        let (_, keys) = app.send(ADMIN_KEY, Method::GET, "/v1/api-keys", None).await;
        assert_eq!(keys["items"].as_array().unwrap().len(), 1, "no key was made");
    }

    async fn a_limited_key_over_grpc_sees_its_account_only(app: &TestApp) {
        let ours = book(app, "Northwind", "001").await;
        let theirs = book(app, "Globex", "002").await;
        let mut keys = app.keys_client().await;
        let created = keys
            .create_api_key(authed(ADMIN_KEY, pb::CreateApiKeyRequest {
                name: "customer".into(), role: "read".into(), account_ids: vec![ours.account.clone()] }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(created.api_key.unwrap().account_ids, [ours.account.as_str()]);
        let refused = keys
            .create_api_key(authed(ADMIN_KEY, pb::CreateApiKeyRequest {
                name: "customer".into(), role: "write".into(), account_ids: vec!["nope".into()] }))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert!(refused.message().contains("account_ids[0]"), "{}", refused.message());

        let key = created.key;
        let mut accounts = app.accounts_client().await;
        let got = accounts
            .get_account(authed(&key, pb::GetAccountRequest { id: ours.account.clone() }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got.id, ours.account);
        let hidden = accounts
            .get_account(authed(&key, pb::GetAccountRequest { id: theirs.account.clone() }))
            .await
            .unwrap_err();
        assert_eq!(hidden.code(), Code::NotFound);
        let listed = accounts
            .list_accounts(authed(&key, pb::ListAccountsRequest::default()))
            .await
            .unwrap()
            .into_inner();
        let ids: Vec<String> = listed.accounts.into_iter().map(|a| a.id).collect();
        assert_eq!(ids, [ours.account.as_str()]);
        let mut changes = pb::change_service_client::ChangeServiceClient::new(app.channel().await);
        let denied = changes
            .list_changes(authed(&key, pb::ListChangesRequest::default()))
            .await
            .unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied);
    }
}

/// The customer's HTML pack of `account` for 2026-Q1, as `key` asks for it.
async fn customer_html(app: &TestApp, key: &str, account: &str, audience: &str) -> (u16, String) {
    let res = app
        .req_as(
            key,
            Method::GET,
            &format!("/v1/accounts/{account}/qbr?quarter=2026-Q1{audience}"),
        )
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

on_both_backends! {
    async fn the_customer_pack_holds_no_working_notes(app: &TestApp) {
        let ours = book(app, "Northwind", "001").await;
        created(app, "/v1/assessments", json!({"account_id": ours.account, "stakeholder_id": ours.stakeholder,
            "framework": "purpose_intent", "scores": {"purpose": 2, "intent": 9},
            "assessed_at": "2026-02-01T00:00:00Z"})).await;
        let key = limited_key(app, &[&ours.account]).await;
        let (_, matrices) = app.send(ADMIN_KEY, Method::GET, "/v1/matrices", None).await;
        let mut internal: Vec<String> = vec!["Closeness".into(), "closeness".into(), "Still to capture".into(),
            "Recommended play".into(), "readiness".into(), "purpose_intent".into(), "on_track".into(),
            "off_track".into(), "month 1".into()];
        for m in matrices["items"].as_array().unwrap() {
            for cell in m["cells"].as_array().unwrap() {
                internal.push(cell["label"].as_str().unwrap().to_owned());
                internal.push(cell["play"].as_str().unwrap().to_owned());
            }
        }

        // The team's pack has the working notes this test looks for.
        let (status, team) = customer_html(app, ADMIN_KEY, &ours.account, "").await;
        assert_eq!(status, 200);
        for note in ["Recommended play", "Still to capture", "Dreamer", "Northwind champion"] {
            assert!(team.contains(note), "the team's pack shows {note:?}");
        }
        for (who, audience) in [(ADMIN_KEY, "&audience=customer"), (key.as_str(), "")] {
            let (status, html) = customer_html(app, who, &ours.account, audience).await;
            assert_eq!(status, 200, "{html}");
            for note in &internal {
                assert!(!html.contains(note.as_str()), "the customer's pack shows {note:?}");
            }
            for shown in ["Northwind rollout", "Go live", "Kick-off", "Northwind live", "Quarterly business review: Northwind",
                "fiscal year starting in January", "Draft"] {
                assert!(html.contains(shown), "the customer's pack shows {shown:?}");
            }
            let plans = html.find("Success plans").unwrap();
            let metrics = html.find("Traditional view").unwrap();
            assert!(plans < metrics, "plans come before the numbers");
            assert!(!html.contains("<script") && !html.contains("http"), "self-contained");
        }

        let (status, json) = app.send(&key, Method::GET, &format!("/v1/accounts/{}/qbr?quarter=2026-Q1", ours.account), None).await;
        assert_eq!(status, 200);
        assert_eq!((&json["audience"], &json["classifications"]), (&json!("customer"), &json!([])));
        assert_eq!(json["successes"][0]["missing"], json!([]));
        let (_, team) = app.send(ADMIN_KEY, Method::GET, &format!("/v1/accounts/{}/qbr?quarter=2026-Q1", ours.account), None).await;
        assert_eq!(team["audience"], "team");
        assert_eq!(team["classifications"].as_array().unwrap().len(), 2);
        assert_ne!(team["successes"][0]["missing"], json!([]));

        let (status, problem) = app.send(&key, Method::GET,
            &format!("/v1/accounts/{}/qbr?audience=team", ours.account), None).await;
        assert_eq!(status, 403, "{problem}");
        let mut qbr = pb::qbr_service_client::QbrServiceClient::new(app.channel().await);
        let refused = qbr.get_qbr(authed(&key, pb::GetQbrRequest { account_id: ours.account.clone(),
            audience: Some("team".into()), ..Default::default() })).await.unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied);
        let pack = qbr.get_qbr(authed(&key, pb::GetQbrRequest { account_id: ours.account.clone(),
            quarter: Some("2026-Q1".into()), ..Default::default() })).await.unwrap().into_inner();
        assert_eq!((pack.audience.as_str(), pack.classifications.len()), ("customer", 0));
        let bad = qbr.get_qbr(authed(ADMIN_KEY, pb::GetQbrRequest { account_id: ours.account.clone(),
            audience: Some("board".into()), ..Default::default() })).await.unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);
    }
}

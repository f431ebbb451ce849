//! The book export: every account of a scope, once, with its cells, equations, health and
//! plans, as NDJSON or CSV, a page at a time.

use reqwest::Method;
use serde_json::{Value, json};

use csapi::grpc::pb;
use csapi::grpc::pb::account_service_client::AccountServiceClient;
use futures_util::StreamExt;

use crate::support::{ADMIN_KEY, TestApp, authed, on_both_backends, problem_fields};

fn sf(id: &str) -> Value {
    json!({"system": "salesforce", "id": id})
}

/// GETs `path` with `accept`; the status, the content type and the body.
async fn export(app: &TestApp, path: &str, accept: &str) -> (u16, String, String) {
    let res = app
        .req_as(ADMIN_KEY, Method::GET, path)
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let media = res.headers()["content-type"].to_str().unwrap().to_owned();
    (status, media, res.text().await.unwrap())
}

fn lines(body: &str) -> Vec<Value> {
    body.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The quarter column of a CSV export's first row.
fn rows_quarter(sheet: &str) -> String {
    let rows: Vec<Vec<String>> = sheet.lines().map(cells).collect();
    let i = rows[0].iter().position(|c| c == "quarter").unwrap();
    rows[1][i].clone()
}

/// The cells of a CSV line whose quoted cells hold no line break.
fn cells(line: &str) -> Vec<String> {
    let (mut cells, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(std::mem::take(&mut cell)),
            (c, _) => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

async fn post(app: &TestApp, path: &str, body: Value) -> Value {
    let (status, answer) = app.send(ADMIN_KEY, Method::POST, path, Some(body)).await;
    assert!(status == 200 || status == 201, "{status} {answer}");
    answer
}

on_both_backends! {
    async fn the_export_gives_each_account_its_cells_equations_health_and_plans(app: &TestApp) {
        post(app, "/v1/accounts/batch", json!({"items": [
            {"ref": sf("001"), "name": "Acme", "segment": "enterprise"},
            {"ref": sf("002"), "name": "Globex", "segment": "smb"},
        ]})).await;
        // Readiness 3/2 in October (wanderer), then 9/8 in November (achiever): the latest counts.
        for (scores, at) in [((3, 2), "2026-10-01T09:00:00Z"), ((9, 8), "2026-11-02T09:00:00Z")] {
            post(app, "/v1/assessments", json!({"account_ref": sf("001"), "framework": "readiness",
                "scores": {"goal_clarity": scores.0, "priority": scores.1}, "assessed_at": at})).await;
        }
        // Every success-equation dimension at its top (10 of 1–10): every equation is 1.
        let top: Value = ["product_quality", "outcome_clarity", "enablement", "guidance",
            "relationship_trust", "business_need"].iter().map(|d| (d.to_string(), json!(10))).collect::<serde_json::Map<_, _>>().into();
        post(app, "/v1/assessments", json!({"account_ref": sf("001"), "framework": "success_equation",
            "scores": top, "assessed_at": "2026-11-03T09:00:00Z"})).await;
        let acme = app.send(ADMIN_KEY, Method::GET, "/v1/accounts/by-ref/salesforce/001", None).await.1;
        // An active plan over 2025 whose one objective's KPI reads adoption breadth (0 → 100 %):
        // 50 % makes it half done, while the calendar expects it all done: off track.
        let plan = post(app, "/v1/success-plans", json!({"account_id": acme["id"], "name": "Rollout", "status": "active",
            "start_date": "2025-01-01", "target_date": "2025-12-31"})).await;
        let plan_id = plan["id"].as_str().unwrap();
        post(app, &format!("/v1/success-plans/{plan_id}/objectives"), json!({"title": "Go live",
            "kpis": [{"name": "Features in use", "metric_key": "adoption_breadth", "baseline": 0, "target": 100}]})).await;
        post(app, "/v1/observations", json!({"observations": [{"account_id": acme["id"], "metric": "adoption_breadth",
            "observed_at": "2026-11-01T00:00:00Z", "value": 50}]})).await;

        let (status, media, body) = export(app, "/v1/exports/accounts?metric_sets=qbr_traditional", "application/x-ndjson").await;
        assert_eq!((status, media.as_str()), (200, "application/x-ndjson"));
        let rows = lines(&body);
        assert_eq!(rows.len(), 2);
        let (a, g) = if rows[0]["account"]["name"] == "Acme" { (&rows[0], &rows[1]) } else { (&rows[1], &rows[0]) };
        assert_eq!(a["account"]["external_refs"], json!([sf("001")]));
        assert_eq!(a["cells"], json!({"readiness": {"cell": "achiever", "assessed_at": "2026-11-02T09:00:00Z"}}));
        let one = json!({"value": 1.0, "assessed_at": "2026-11-03T09:00:00Z"});
        assert_eq!(a["equations"], json!({"success_equation.adoption": one,
            "success_equation.renewal": one, "success_equation.expansion": one}));
        assert_eq!(a["plans"][0]["id"], plan["id"]);
        assert_eq!((&a["plans"][0]["progress"]["progress"], &a["plans"][0]["progress"]["health"]), (&json!(0.5), &json!("off_track")));
        let health = &a["health"]["qbr_traditional"];
        assert_eq!((&health["score"], &health["colour"]), (&Value::Null, &json!("no_data")));
        assert_eq!(health["missing"].as_array().unwrap().len(), 13, "no metric has data");
        assert_eq!(a["health"].as_object().unwrap().len(), 1, "only the set asked for");
        assert_eq!((&g["cells"], &g["equations"], &g["plans"]), (&json!({}), &json!({}), &json!([])));

        let (status, media, body) = export(app, "/v1/exports/accounts?segment=enterprise&metric_sets=qbr_traditional", "text/csv").await;
        assert_eq!((status, media.as_str()), (200, "text/csv; charset=utf-8"));
        let sheet: Vec<Vec<String>> = body.lines().map(cells).collect();
        assert_eq!(sheet.len(), 2, "the header and Acme: Globex is not enterprise");
        let cell = |column: &str| {
            let i = sheet[0].iter().position(|c| c == column).unwrap_or_else(|| panic!("{column}"));
            sheet[1][i].as_str()
        };
        assert_eq!((cell("id"), cell("name"), cell("segment")), (acme["id"].as_str().unwrap(), "Acme", "enterprise"));
        assert_eq!(cell("external_refs"), r#"[{"system":"salesforce","id":"001"}]"#);
        assert_eq!((cell("cell.readiness"), cell("cell.people")), ("achiever", ""));
        assert_eq!(cell("equation.success_equation.renewal"), "1");
        assert_eq!((cell("health.qbr_traditional.score"), cell("health.qbr_traditional.colour")), ("", "no_data"));
        assert_eq!((cell("plans.active"), cell("plans.off_track"), cell("plans.progress")), ("1", "1", "0.5"));

        // Over gRPC: the same rows.
        let mut c = AccountServiceClient::new(app.channel().await);
        let ask = pb::ExportAccountsRequest { segment: Some("enterprise".into()), metric_sets: vec!["qbr_traditional".into()], ..Default::default() };
        let rows: Vec<pb::ExportedAccount> = c.export_accounts(authed(ADMIN_KEY, ask)).await.unwrap().into_inner()
            .map(|r| r.unwrap()).collect().await;
        assert_eq!(rows.len(), 1);
        let a = &rows[0];
        assert_eq!(a.account.as_ref().unwrap().name, "Acme");
        assert_eq!(a.quarter, rows_quarter(&body));
        assert_eq!(a.cells["readiness"].cell, "achiever");
        assert_eq!(a.equations["success_equation.adoption"].value, 1.0);
        assert_eq!((a.health["qbr_traditional"].colour.as_str(), a.health["qbr_traditional"].score), ("no_data", None));
        assert_eq!((a.plans[0].health.as_str(), a.plans[0].progress), ("off_track", 0.5));
    }

    async fn an_export_pages_through_the_book_giving_each_account_once(app: &TestApp) {
        // 1,234 accounts: three pages of 500; every third is enterprise.
        let items: Vec<Value> = (0..1234)
            .map(|i| json!({"ref": sf(&format!("{i:05}")), "name": format!("A{i}"),
                "segment": if i % 3 == 0 { "enterprise" } else { "smb" }}))
            .collect();
        post(app, "/v1/accounts/batch", json!({"items": items})).await;
        let res = app.req_as(ADMIN_KEY, Method::GET, "/v1/exports/accounts").send().await.unwrap();
        assert!(res.headers().get("etag").is_none(), "a streamed answer is not held whole to be hashed");
        assert_eq!(res.headers()["cache-control"], "private, no-cache");
        let body = res.text().await.unwrap();
        let ids: Vec<String> = lines(&body).iter().map(|r| r["account"]["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(ids.len(), 1234);
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "in id order, none twice");
        let (_, _, body) = export(app, "/v1/exports/accounts?segment=enterprise", "text/csv").await;
        assert_eq!(body.lines().count(), 1 + 412);
        let mut c = AccountServiceClient::new(app.channel().await);
        let ask = pb::ExportAccountsRequest::default();
        let streamed: Vec<String> = c.export_accounts(authed(ADMIN_KEY, ask)).await.unwrap().into_inner()
            .map(|r| r.unwrap().account.unwrap().id).collect().await;
        assert_eq!(streamed, ids, "gRPC streams the same accounts in the same order");
    }

    async fn an_export_refuses_what_it_cannot_give(app: &TestApp) {
        let (status, _, _) = export(app, "/v1/exports/accounts", "application/json").await;
        assert_eq!(status, 406);
        let (status, _, _) = export(app, "/v1/exports/accounts?metric_sets=no_such_set", "*/*").await;
        assert_eq!(status, 404, "a set that does not exist, as for a QBR");
        let (status, _, body) = export(app, "/v1/exports/accounts?metric_sets=Bad-Key", "*/*").await;
        assert_eq!(status, 422);
        assert_eq!(problem_fields(&serde_json::from_str(&body).unwrap()), ["metric_sets"]);
        let (status, _, body) = export(app, "/v1/exports/accounts?region=emea", "*/*").await;
        assert_eq!(status, 422, "{body}");
        let mut c = AccountServiceClient::new(app.channel().await);
        let ask = pb::ExportAccountsRequest { metric_sets: vec!["no_such_set".into()], ..Default::default() };
        let refused = c.export_accounts(authed(ADMIN_KEY, ask)).await.unwrap_err();
        assert_eq!(refused.code(), tonic::Code::NotFound);
    }
}

//! Accounts over REST: every operation, ETags, paging, sync and idempotency.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};

use csapi::grpc::pb;

use crate::support::{ADMIN_KEY, TestApp, authed, on_both_backends};

async fn list(app: &TestApp, query: &str) -> Value {
    let res = app
        .req(Method::GET, &format!("/v1/accounts?{query}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{query}");
    res.json().await.unwrap()
}

fn names(page: &Value) -> Vec<String> {
    let mut v: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

on_both_backends! {
    async fn create_get_patch_delete_with_etags(app: &TestApp) {
        let res = app
            .req(Method::POST, "/v1/accounts")
            .json(&json!({
                "name": "Acme", "segment": "enterprise", "owner": "jane@acme.io",
                "lifecycle_stage": "adoption", "customer_since": "2024-03-01", "original_arr": 120000.0,
                "attributes": {"tier": "gold", "nested": {"a": 1}},
                "external_refs": [{"system": "salesforce", "id": "001A"}]
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        assert_eq!(res.headers()["etag"], "\"1\"");
        let created: Value = res.json().await.unwrap();
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["currency"], "USD");
        assert_eq!(created["etag"], "\"1\"");
        assert_eq!(created["customer_since"], "2024-03-01");
        assert_eq!(created["created_at"], created["updated_at"]);

        let res = app.req(Method::GET, &format!("/v1/accounts/{id}")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["etag"], "\"1\"");
        assert_eq!(res.json::<Value>().await.unwrap(), created);

        let res = app
            .req(Method::PATCH, &format!("/v1/accounts/{id}"))
            .header("If-Match", "\"1\"")
            .json(&json!({"segment": null, "attributes": {"tier": null, "nested": {"b": 2}}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let patched: Value = res.json().await.unwrap();
        assert_eq!(patched["segment"], Value::Null);
        assert_eq!(patched["owner"], "jane@acme.io");
        assert_eq!(patched["attributes"], json!({"nested": {"a": 1, "b": 2}}));
        assert_eq!(patched["etag"], "\"2\"");

        let stale = app
            .req(Method::PATCH, &format!("/v1/accounts/{id}"))
            .header("If-Match", "\"1\"")
            .json(&json!({"name": "Lost update"}))
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), 412);
        assert_eq!(stale.headers()["content-type"], "application/problem+json");
        let now: Value = app.req(Method::GET, &format!("/v1/accounts/{id}")).send().await.unwrap().json().await.unwrap();
        assert_eq!(now["name"], "Acme");

        let by_ref: Value = app.req(Method::GET, "/v1/accounts/by-ref/salesforce/001A").send().await.unwrap().json().await.unwrap();
        assert_eq!(by_ref["id"], id.as_str());

        let stale = app.req(Method::DELETE, &format!("/v1/accounts/{id}")).header("If-Match", "\"1\"").send().await.unwrap();
        assert_eq!(stale.status(), 412);
        let res = app.req(Method::DELETE, &format!("/v1/accounts/{id}")).header("If-Match", "\"2\"").send().await.unwrap();
        assert_eq!(res.status(), 204);
        let res = app.req(Method::GET, &format!("/v1/accounts/{id}")).send().await.unwrap();
        assert_eq!(res.status(), 404);
        let res = app.req(Method::GET, "/v1/accounts/by-ref/salesforce/001A").send().await.unwrap();
        assert_eq!(res.status(), 404);
    }

    async fn upsert_by_ref_creates_then_replaces(app: &TestApp) {
        let first = app
            .req(Method::PUT, "/v1/accounts/by-ref/salesforce/0015000000XyZ")
            .json(&json!({"name": "Globex", "attributes": {"plan": "pro"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(first.status(), 201);
        let location = first.headers()["location"].to_str().unwrap().to_owned();
        let created: Value = first.json().await.unwrap();
        assert_eq!(location, format!("/v1/accounts/{}", created["id"].as_str().unwrap()));
        assert_eq!(created["external_refs"], json!([{"system": "salesforce", "id": "0015000000XyZ"}]));

        let second = app
            .req(Method::PUT, "/v1/accounts/by-ref/salesforce/0015000000XyZ")
            .json(&json!({"name": "Globex Corp", "segment": "smb", "external_refs": [{"system": "gainsight", "id": "g-9"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(second.status(), 200);
        let replaced: Value = second.json().await.unwrap();
        assert_eq!(replaced["id"], created["id"]);
        assert_eq!(replaced["name"], "Globex Corp");
        assert_eq!(replaced["segment"], "smb");
        assert_eq!(replaced["attributes"], json!({}));
        assert_eq!(replaced["etag"], "\"2\"");
        assert_eq!(
            replaced["external_refs"],
            json!([{"system": "gainsight", "id": "g-9"}, {"system": "salesforce", "id": "0015000000XyZ"}])
        );
        assert_eq!(list(app, "").await["items"].as_array().unwrap().len(), 1);
        let by_gainsight = app.req(Method::GET, "/v1/accounts/by-ref/gainsight/g-9").send().await.unwrap();
        assert_eq!(by_gainsight.status(), 200);

        let taken = app
            .req(Method::POST, "/v1/accounts")
            .json(&json!({"name": "Impostor", "external_refs": [{"system": "gainsight", "id": "g-9"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(taken.status(), 409);
        assert_eq!(list(app, "").await["items"].as_array().unwrap().len(), 1);
    }

    async fn paging_visits_every_row_exactly_once(app: &TestApp) {
        let mut created = HashSet::new();
        for i in 0..7 {
            let a = app.account(json!({"name": format!("Account {i}")})).await;
            created.insert(a["id"].as_str().unwrap().to_owned());
        }
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut sizes = Vec::new();
        loop {
            let query = match &token {
                Some(t) => format!("page_size=3&page_token={t}"),
                None => "page_size=3".to_owned(),
            };
            let page = list(app, &query).await;
            let items = page["items"].as_array().unwrap();
            sizes.push(items.len());
            seen.extend(items.iter().map(|a| a["id"].as_str().unwrap().to_owned()));
            match page["next_page_token"].as_str() {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        assert_eq!(sizes, [3, 3, 1]);
        assert_eq!(seen.len(), 7);
        assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), created);
    }

    async fn list_filters(app: &TestApp) {
        app.account(json!({"name": "ACME Corp", "segment": "enterprise", "owner": "jane@cs.io", "lifecycle_stage": "renewal"})).await;
        app.account(json!({"name": "Acme Labs", "segment": "smb", "owner": "jane@cs.io"})).await;
        app.account(json!({"name": "Globex", "segment": "enterprise", "owner": "raj@cs.io", "lifecycle_stage": "at_risk"})).await;
        app.account(json!({"name": "100% Initech"})).await;
        assert_eq!(names(&list(app, "segment=enterprise").await), ["ACME Corp", "Globex"]);
        assert_eq!(names(&list(app, "owner=jane@cs.io").await), ["ACME Corp", "Acme Labs"]);
        assert_eq!(names(&list(app, "lifecycle_stage=at_risk").await), ["Globex"]);
        assert_eq!(names(&list(app, "q=acm").await), ["ACME Corp", "Acme Labs"]);
        assert_eq!(names(&list(app, "q=%25").await), ["100% Initech"]);
        assert_eq!(names(&list(app, "q=acme&segment=smb").await), ["Acme Labs"]);
    }

    async fn segment_and_owner_match_in_any_case(app: &TestApp) {
        app.account(json!({"name": "ACME Corp", "segment": "enterprise", "owner": "jane@cs.io"})).await;
        app.account(json!({"name": "Acme Labs", "segment": "Enterprise Plus", "owner": "Jane@CS.io"})).await;
        app.account(json!({"name": "Globex", "segment": "smb", "owner": "raj@cs.io"})).await;
        assert_eq!(names(&list(app, "segment=Enterprise").await), ["ACME Corp"]);
        assert_eq!(names(&list(app, "segment=ENTERPRISE%20plus").await), ["Acme Labs"]);
        assert_eq!(names(&list(app, "owner=JANE@cs.io").await), ["ACME Corp", "Acme Labs"]);

        let mut c = app.accounts_client().await;
        let ask = pb::ListAccountsRequest { segment: Some("EnterPrise".into()), owner: Some("jane@CS.IO".into()), ..Default::default() };
        let page = c.list_accounts(authed(ADMIN_KEY, ask)).await.unwrap().into_inner();
        let names: Vec<&str> = page.accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["ACME Corp"]);
    }

    async fn updated_since_returns_exactly_later_changes(app: &TestApp) {
        let a = app.account(json!({"name": "A"})).await;
        let b = app.account(json!({"name": "B"})).await;
        let since = b["updated_at"].as_str().unwrap().to_owned();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let res = app
            .req(Method::PATCH, &format!("/v1/accounts/{}", a["id"].as_str().unwrap()))
            .json(&json!({"segment": "smb"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        app.account(json!({"name": "C"})).await;
        let query = format!("updated_since={}", since.replace('+', "%2B"));
        assert_eq!(names(&list(app, &query).await), ["A", "C"]);
    }

    async fn idempotency_key_replays_the_first_answer(app: &TestApp) {
        let send = |body: Value, key: &'static str| {
            app.req(Method::POST, "/v1/accounts").header("Idempotency-Key", key).json(&body).send()
        };
        let first = send(json!({"name": "Once"}), "key-1").await.unwrap();
        assert_eq!(first.status(), 201);
        let location = first.headers()["location"].clone();
        let first: Value = first.json().await.unwrap();
        let again = send(json!({"name": "Once"}), "key-1").await.unwrap();
        assert_eq!(again.status(), 201);
        assert_eq!(again.headers()["location"], location);
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        assert_eq!(again.json::<Value>().await.unwrap(), first);
        assert_eq!(list(app, "").await["items"].as_array().unwrap().len(), 1);

        let other = send(json!({"name": "Twice"}), "key-1").await.unwrap();
        assert_eq!(other.status(), 409);
        assert_eq!(list(app, "").await["items"].as_array().unwrap().len(), 1);

        assert_eq!(other.json::<Value>().await.unwrap()["type"], "https://csapi.dev/problems/idempotency-key-reused");

        let id = first["id"].as_str().unwrap();
        let res = app.req(Method::DELETE, &format!("/v1/accounts/{id}")).send().await.unwrap();
        assert_eq!(res.status(), 204);
        let anew = send(json!({"name": "Once"}), "key-1").await.unwrap();
        assert_eq!(anew.status(), 201, "a deleted record's key is forgotten");
        assert!(anew.headers().get("idempotent-replayed").is_none());

        let elsewhere = app.other_workspace("elsewhere").await;
        let res = app
            .req_as(&elsewhere, Method::POST, "/v1/accounts")
            .header("Idempotency-Key", "key-1")
            .json(&json!({"name": "Twice"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "keys are scoped per workspace");
    }
}

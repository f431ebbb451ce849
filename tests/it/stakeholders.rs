//! Stakeholders over REST, and what deleting their account does to them.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::on_both_backends;

on_both_backends! {
    async fn stakeholder_lifecycle_and_cascade(app: &TestApp) {
        let account = app.account(json!({"name": "Acme"})).await;
        let account_id = account["id"].as_str().unwrap();
        let res = app
            .req(Method::POST, &format!("/v1/accounts/{account_id}/stakeholders"))
            .json(&json!({
                "name": "Jane Doe", "email": "jane@acme.io", "title": "VP Success",
                "role": "champion", "involved_in_purchase": true,
                "external_refs": [{"system": "salesforce", "id": "003X"}]
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        let jane: Value = res.json().await.unwrap();
        let jane_id = jane["id"].as_str().unwrap().to_owned();
        assert_eq!(location, format!("/v1/stakeholders/{jane_id}"));
        assert_eq!(jane["account_id"], account_id);
        assert_eq!(jane["role"], "champion");
        assert_eq!(jane["involved_in_purchase"], true);

        let second = app
            .req(Method::POST, &format!("/v1/accounts/{account_id}/stakeholders"))
            .json(&json!({"name": "Raj"}))
            .send()
            .await
            .unwrap();
        assert_eq!(second.status(), 201);
        let raj: Value = second.json().await.unwrap();
        assert_eq!(raj["involved_in_purchase"], false);
        assert_eq!(raj["role"], Value::Null);

        let page: Value = app
            .req(Method::GET, &format!("/v1/accounts/{account_id}/stakeholders?page_size=1"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(page["items"][0]["name"], "Jane Doe");
        let token = page["next_page_token"].as_str().unwrap();
        let page2: Value = app
            .req(Method::GET, &format!("/v1/accounts/{account_id}/stakeholders?page_size=1&page_token={token}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(page2["items"][0]["name"], "Raj");
        assert_eq!(page2["next_page_token"], Value::Null);

        let res = app
            .req(Method::PATCH, &format!("/v1/stakeholders/{jane_id}"))
            .header("If-Match", "\"1\"")
            .json(&json!({"role": "executive_sponsor", "title": null}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let patched: Value = res.json().await.unwrap();
        assert_eq!(patched["role"], "executive_sponsor");
        assert_eq!(patched["title"], Value::Null);
        assert_eq!(patched["email"], "jane@acme.io");
        let stale = app
            .req(Method::PATCH, &format!("/v1/stakeholders/{jane_id}"))
            .header("If-Match", "\"1\"")
            .json(&json!({"name": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), 412);

        let res = app.req(Method::DELETE, &format!("/v1/stakeholders/{}", raj["id"].as_str().unwrap())).send().await.unwrap();
        assert_eq!(res.status(), 204);

        let res = app.req(Method::DELETE, &format!("/v1/accounts/{account_id}")).send().await.unwrap();
        assert_eq!(res.status(), 204);
        let gone = app.req(Method::GET, &format!("/v1/stakeholders/{jane_id}")).send().await.unwrap();
        assert_eq!(gone.status(), 404, "deleting an account deletes its stakeholders");
        let list = app.req(Method::GET, &format!("/v1/accounts/{account_id}/stakeholders")).send().await.unwrap();
        assert_eq!(list.status(), 404);

        let other = app.account(json!({"name": "Globex"})).await;
        let reuse = app
            .req(Method::POST, &format!("/v1/accounts/{}/stakeholders", other["id"].as_str().unwrap()))
            .json(&json!({"name": "Jane again", "external_refs": [{"system": "salesforce", "id": "003X"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(reuse.status(), 201, "the deleted stakeholder's ref is free again");
    }
}

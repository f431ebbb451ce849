//! HTTP caching: a client holding the current representation of a read gets
//! 304 and no body; one holding an older one gets the new one and its ETag.

use reqwest::{Method, StatusCode, header};
use serde_json::json;

use crate::support::{TestApp, on_both_backends};

/// GETs `path`; then again with its ETag (304, empty) and with another (200).
async fn revalidates(app: &TestApp, path: &str) -> String {
    let first = app.req(Method::GET, path).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK, "{path}");
    let etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
    assert_eq!(
        first.headers()[header::CACHE_CONTROL],
        "private, no-cache",
        "{path}"
    );
    let again = app
        .req(Method::GET, path)
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    assert_eq!(
        again.headers()[header::ETAG].to_str().unwrap(),
        etag,
        "{path}"
    );
    assert!(
        again.bytes().await.unwrap().is_empty(),
        "{path}: a 304 has no body"
    );
    let other = app
        .req(Method::GET, path)
        .header(header::IF_NONE_MATCH, "\"not-this-one\", W/\"nor-this\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK, "{path}");
    etag
}

on_both_backends! {
    async fn reads_answer_304_to_the_current_etag(app: &TestApp) {
        let account = app.account(json!({"name": "Acme"})).await["id"].as_str().unwrap().to_owned();
        let (status, plan) = app
            .send(crate::support::ADMIN_KEY, Method::POST, "/v1/success-plans", Some(json!({
                "account_id": account, "name": "Adoption", "start_date": "2026-01-01", "target_date": "2026-06-30"
            })))
            .await;
        assert_eq!(status, 201);
        let (status, _) = app
            .send(crate::support::ADMIN_KEY, Method::POST, "/v1/assessments", Some(json!({
                "account_id": account, "framework": "readiness", "scores": {"goal_clarity": 8, "priority": 9}
            })))
            .await;
        assert_eq!(status, 201);

        // A versioned record: its ETag is its version.
        assert_eq!(revalidates(app, &format!("/v1/accounts/{account}")).await, "\"1\"");
        revalidates(app, &format!("/v1/success-plans/{}", plan["id"].as_str().unwrap())).await;
        // Computed reads: the ETag follows the content.
        let qbr = format!("/v1/accounts/{account}/qbr");
        let before = revalidates(app, &qbr).await;
        let chart = revalidates(app, "/v1/matrices/readiness/chart.svg").await;

        // A change moves both: the old ETag now gets the new representation.
        let (status, _) = app
            .send(crate::support::ADMIN_KEY, Method::POST, "/v1/assessments", Some(json!({
                "account_id": account, "framework": "readiness", "scores": {"goal_clarity": 2, "priority": 3}
            })))
            .await;
        assert_eq!(status, 201);
        for (path, old) in [(qbr.as_str(), before), ("/v1/matrices/readiness/chart.svg", chart)] {
            let res = app.req(Method::GET, path).header(header::IF_NONE_MATCH, &old).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            assert_ne!(res.headers()[header::ETAG].to_str().unwrap(), old, "{path}");
        }
    }
}

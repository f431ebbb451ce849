//! Rate limits: a 60/min key gets 60 requests, then 429 with `Retry-After`
//! and the IETF `RateLimit` headers, over REST; `RESOURCE_EXHAUSTED` with
//! `RetryInfo` over gRPC. Another key keeps its own allowance.

use std::time::Duration;

use csapi::app::RateLimits;
use csapi::grpc::pb;
use reqwest::{Method, StatusCode, header};
use tonic::Code;
use tonic_types::StatusExt;

use crate::support::{ADMIN_KEY, Backend, TestApp, authed};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_61st_request_of_a_60_per_minute_key_is_refused() {
    let rates = RateLimits {
        per_key: Some("60/min".parse().unwrap()),
        per_workspace: None,
    };
    let app = TestApp::start_rate_limited(Backend::Sqlite, rates)
        .await
        .unwrap();
    // The admin key's first request issues a second key.
    let reader = app.key("read").await;
    for n in 2..=60u32 {
        let res = app.req(Method::GET, "/v1/accounts").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "request {n}");
        assert_eq!(res.headers()["ratelimit-policy"], "\"key\";q=60;w=60");
        let now = res.headers()["ratelimit"].to_str().unwrap().to_owned();
        assert!(
            now.starts_with(&format!("\"key\";r={};t=", 60 - n)),
            "request {n}: {now}"
        );
    }
    let refused = app.req(Method::GET, "/v1/accounts").send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()[header::RETRY_AFTER], "1");
    assert_eq!(refused.headers()["ratelimit"], "\"key\";r=0;t=60");
    let problem: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(problem["type"], "https://csapi.dev/problems/rate-limited");

    // gRPC counts against the same bucket.
    let mut accounts = app.accounts_client().await;
    let status = accounts
        .list_accounts(authed(ADMIN_KEY, pb::ListAccountsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
    let retry = status.get_details_retry_info().expect("RetryInfo");
    assert_eq!(retry.retry_delay, Some(Duration::from_secs(1)));

    // Another key has its own bucket; a second later the first has a token again.
    let res = app
        .req_as(&reader, Method::GET, "/v1/accounts")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let res = app.req(Method::GET, "/v1/accounts").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app.finish().await;
}

crate::support::on_both_backends! {
    async fn a_workspace_sets_its_own_limit(app: &TestApp) {
        use csapi::grpc::pb::workspace_service_client::WorkspaceServiceClient;
        use serde_json::json;

        let (status, problem) = app
            .send(ADMIN_KEY, Method::PATCH, "/v1/workspace/settings", Some(json!({"rate_limit": "3/fortnight"})))
            .await;
        assert_eq!(status, 422);
        assert_eq!(crate::support::problem_fields(&problem), ["rate_limit"]);

        // Over gRPC, as the mask names it.
        let mut ws = WorkspaceServiceClient::new(app.channel().await);
        let set = ws
            .update_workspace_settings(authed(ADMIN_KEY, pb::UpdateWorkspaceSettingsRequest {
                settings: Some(pb::WorkspaceSettings { rate_limit: Some("3/minute".into()), ..Default::default() }),
                update_mask: Some(prost_types::FieldMask { paths: vec!["rate_limit".into()] }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((set.rate_limit.as_deref(), set.fiscal_year_start_month), (Some("3/min"), 1));

        // From the next request on, the workspace's keys share 3 a minute.
        for n in 1..=3u32 {
            let res = app.req(Method::GET, "/v1/workspace/settings").send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "request {n}");
            assert_eq!(res.headers()["ratelimit-policy"], "\"workspace\";q=3;w=60");
        }
        let refused = app.req(Method::GET, "/v1/accounts").send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.headers().contains_key(header::RETRY_AFTER));
    }
}

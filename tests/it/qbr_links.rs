//! Share links: a customer opens their QBR without a key until the link
//! expires or is revoked; every open counts, even many at once.

use csapi::grpc::pb;
use diesel::Connection;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use reqwest::Method;
use serde_json::{Value, json};
use tonic::Code;

use crate::support::{ADMIN_KEY, TestApp, authed, on_both_backends, problem_fields};

async fn share(app: &TestApp, account: &str, body: Value) -> Value {
    let (status, link) = app
        .send(
            ADMIN_KEY,
            Method::POST,
            &format!("/v1/accounts/{account}/qbr-links"),
            Some(body),
        )
        .await;
    assert_eq!(status, 201, "{link}");
    link
}

async fn links(app: &TestApp, account: &str) -> Vec<Value> {
    let (status, listed) = app
        .send(
            ADMIN_KEY,
            Method::GET,
            &format!("/v1/accounts/{account}/qbr-links"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{listed}");
    listed["items"].as_array().unwrap().clone()
}

async fn open(app: &TestApp, url: &str) -> (u16, String) {
    let res = app.anonymous(Method::GET, url).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// Moves a link's expiry into the past, as time would.
async fn expire(app: &TestApp, id: &str) {
    let sql = format!("UPDATE qbr_links SET expires_at = 0 WHERE id = '{id}'");
    match app.database_url().strip_prefix("sqlite://") {
        Some(path) => {
            let mut db = diesel::SqliteConnection::establish(path).unwrap();
            diesel::RunQueryDsl::execute(diesel::sql_query(sql), &mut db).unwrap();
        }
        None => {
            let mut db = AsyncPgConnection::establish(app.database_url())
                .await
                .unwrap();
            diesel::sql_query(sql).execute(&mut db).await.unwrap();
        }
    }
}

on_both_backends! {
    async fn a_link_shows_the_customer_pack_without_a_key_until_revoked_or_expired(app: &TestApp) {
        let acme = app.account(json!({"name": "Acme"})).await["id"].as_str().unwrap().to_owned();
        created_plan(app, &acme).await;
        let link = share(app, &acme, json!({"expires_in_days": 7})).await;
        let url = link["url"].as_str().unwrap().to_owned();
        assert!(url.starts_with("/share/qbr/csq_") && url.len() == "/share/qbr/csq_".len() + 43, "{url}");
        assert_eq!((&link["metric_set"], &link["open_count"]), (&json!("qbr_traditional"), &json!(0)));
        let made = chrono::DateTime::parse_from_rfc3339(link["created_at"].as_str().unwrap()).unwrap();
        let ends = chrono::DateTime::parse_from_rfc3339(link["expires_at"].as_str().unwrap()).unwrap();
        assert_eq!(ends - made, chrono::Duration::days(7));

        let res = app.anonymous(Method::GET, &url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
        assert_eq!((&res.headers()["cache-control"], &res.headers()["referrer-policy"]), (&"no-store".parse().unwrap(), &"no-referrer".parse().unwrap()));
        let html = res.text().await.unwrap();
        assert!(html.contains("Quarterly business review: Acme") && html.contains("Acme rollout"), "{html:.400}");
        assert!(!html.contains("Recommended play") && !html.contains("Still to capture"), "the customer's pack");
        let (status, _) = open(app, &url).await;
        assert_eq!(status, 200);

        let listed = links(app, &acme).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["open_count"], 2);
        assert!(listed[0]["last_opened_at"].is_string());
        assert!(listed[0].get("url").is_none(), "the address is shown once");

        let id = link["id"].as_str().unwrap();
        let (status, _) = app.send(ADMIN_KEY, Method::DELETE, &format!("/v1/qbr-links/{id}"), None).await;
        assert_eq!(status, 204);
        let (status, problem) = open(app, &url).await;
        assert_eq!(status, 404, "{problem}");
        let (status, _) = app.send(ADMIN_KEY, Method::DELETE, &format!("/v1/qbr-links/{id}"), None).await;
        assert_eq!(status, 204, "revoking twice is harmless");
        assert_eq!(links(app, &acme).await[0]["open_count"], 2, "a refused open does not count");

        let other = share(app, &acme, json!({})).await;
        let other_url = other["url"].as_str().unwrap();
        assert_eq!(open(app, other_url).await.0, 200);
        expire(app, other["id"].as_str().unwrap()).await;
        assert_eq!(open(app, other_url).await.0, 404, "expired");
        for unknown in ["/share/qbr/csq_nothing", "/share/qbr/csk_test_admin_key_0123456789", "/share/qbr/x"] {
            assert_eq!(open(app, unknown).await.0, 404, "{unknown}");
        }

        // On PostgreSQL the feed holds back events while older transactions run (other tests').
        let mut feed = Value::Null;
        for _ in 0..50 {
            feed = app.send(ADMIN_KEY, Method::GET, "/v1/changes", None).await.1;
            if feed.to_string().matches("qbr_link.").count() == 3 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let kinds: Vec<&str> = feed["events"].as_array().unwrap().iter().filter_map(|e| e["type"].as_str())
            .filter(|t| t.starts_with("qbr_link.")).collect();
        assert_eq!(kinds, ["qbr_link.created", "qbr_link.deleted", "qbr_link.created"]);
        assert!(!feed.to_string().contains(&url[11..]), "the token is in no event");
    }

    async fn sharing_is_for_writers_and_checks_what_it_is_given(app: &TestApp) {
        let acme = app.account(json!({"name": "Acme"})).await["id"].as_str().unwrap().to_owned();
        let reader = app.key("read").await;
        let (status, _) = app.send(&reader, Method::POST, &format!("/v1/accounts/{acme}/qbr-links"), Some(json!({}))).await;
        assert_eq!(status, 403);
        let (status, _) = app.send(&reader, Method::GET, &format!("/v1/accounts/{acme}/qbr-links"), None).await;
        assert_eq!(status, 200, "a reader sees the links, never their addresses");
        for (body, fields) in [
            (json!({"expires_in_days": 0}), vec!["expires_in_days"]),
            (json!({"expires_in_days": 366, "metric_set": "Bad Key"}), vec!["expires_in_days", "metric_set"]),
            (json!({"audience": "team"}), vec!["audience"]),
        ] {
            let (status, problem) = app.send(ADMIN_KEY, Method::POST, &format!("/v1/accounts/{acme}/qbr-links"), Some(body.clone())).await;
            assert_eq!(status, 422, "{body}: {problem}");
            assert_eq!(problem_fields(&problem), fields, "{body}");
        }
        let (status, _) = app.send(ADMIN_KEY, Method::POST, &format!("/v1/accounts/{acme}/qbr-links"), Some(json!({"metric_set": "nope"}))).await;
        assert_eq!(status, 404, "an unknown set");
        let (status, link) = app.send(ADMIN_KEY, Method::POST, &format!("/v1/accounts/{acme}/qbr-links"), Some(json!({"expires_in_days": 93.0}))).await;
        assert_eq!((status, &link["open_count"]), (201, &json!(0)), "93.0 is a whole number: {link}");
        let (status, _) = app.send(ADMIN_KEY, Method::DELETE, &format!("/v1/qbr-links/{}", link["id"].as_str().unwrap()), None).await;
        assert_eq!(status, 204);
        let stranger = uuid::Uuid::now_v7();
        let (status, _) = app.send(ADMIN_KEY, Method::POST, &format!("/v1/accounts/{stranger}/qbr-links"), Some(json!({}))).await;
        assert_eq!(status, 404);
        assert_eq!(links(app, &acme).await.len(), 1, "nothing else was made");
    }

    async fn opens_at_once_all_count(app: &TestApp) {
        let acme = app.account(json!({"name": "Acme"})).await["id"].as_str().unwrap().to_owned();
        let url = share(app, &acme, json!({})).await["url"].as_str().unwrap().to_owned();
        let opens = (0..16).map(|_| open(app, &url));
        let statuses: Vec<u16> = futures_util::future::join_all(opens).await.into_iter().map(|(s, _)| s).collect();
        assert_eq!(statuses, vec![200; 16]);
        assert_eq!(links(app, &acme).await[0]["open_count"], 16);
    }

    async fn links_over_grpc(app: &TestApp) {
        let acme = app.account(json!({"name": "Acme"})).await["id"].as_str().unwrap().to_owned();
        let mut qbr = pb::qbr_service_client::QbrServiceClient::new(app.channel().await);
        let shared = qbr.share_qbr(authed(ADMIN_KEY, pb::ShareQbrRequest { account_id: acme.clone(),
            metric_set: Some("qbr_future".into()), expires_in_days: Some(3) })).await.unwrap().into_inner();
        let link = shared.link.unwrap();
        assert_eq!(link.metric_set, "qbr_future");
        assert_eq!(open(app, &shared.url).await.0, 200);
        let listed = qbr.list_qbr_links(authed(ADMIN_KEY, pb::ListQbrLinksRequest { account_id: acme.clone(), ..Default::default() }))
            .await.unwrap().into_inner();
        assert_eq!((listed.links.len(), listed.links[0].open_count), (1, 1));
        qbr.revoke_qbr_link(authed(ADMIN_KEY, pb::RevokeQbrLinkRequest { id: link.id.clone() })).await.unwrap();
        assert_eq!(open(app, &shared.url).await.0, 404);
        let bad = qbr.share_qbr(authed(ADMIN_KEY, pb::ShareQbrRequest { account_id: "x".into(),
            metric_set: None, expires_in_days: Some(0) })).await.unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);
        assert!(bad.message().contains("account_id") && bad.message().contains("expires_in_days"), "{}", bad.message());
    }
}

/// A plan the customer's pack shows.
async fn created_plan(app: &TestApp, account: &str) {
    let (status, plan) = app
        .send(
            ADMIN_KEY,
            Method::POST,
            "/v1/success-plans",
            Some(json!({"account_id": account,
            "name": "Acme rollout", "start_date": "2026-01-01", "target_date": "2027-12-31"})),
        )
        .await;
    assert_eq!(status, 201, "{plan}");
}

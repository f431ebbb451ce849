//! API keys over REST: created with a secret shown once, listed without it, revoked for good.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::on_both_backends;

on_both_backends! {
    async fn keys_are_created_listed_and_revoked(app: &TestApp) {
        let res = app.req(Method::POST, "/v1/api-keys").json(&json!({"name": "connector", "role": "read"})).send().await.unwrap();
        assert_eq!(res.status(), 201);
        let created: Value = res.json().await.unwrap();
        let secret = created["key"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("csk_") && secret.len() == 47);
        assert!(secret.starts_with(created["prefix"].as_str().unwrap()));
        assert_eq!(created["role"], "read");

        let listed: Value = app.req(Method::GET, "/v1/api-keys").send().await.unwrap().json().await.unwrap();
        let items = listed["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert!(items.iter().all(|k| k.get("key").is_none()), "secrets are never listed");
        assert!(!listed.to_string().contains(&secret));

        let as_reader = app.req_as(&secret, Method::GET, "/v1/accounts").send().await.unwrap();
        assert_eq!(as_reader.status(), 200);
        let id = created["id"].as_str().unwrap();
        let res = app.req(Method::DELETE, &format!("/v1/api-keys/{id}")).send().await.unwrap();
        assert_eq!(res.status(), 204);
        let revoked = app.req_as(&secret, Method::GET, "/v1/accounts").send().await.unwrap();
        assert_eq!(revoked.status(), 401);
        assert_eq!(revoked.headers()["www-authenticate"], "Bearer");
        let listed: Value = app.req(Method::GET, "/v1/api-keys").send().await.unwrap().json().await.unwrap();
        let revoked_at = listed["items"].as_array().unwrap().iter().find(|k| k["id"] == id).unwrap()["revoked_at"].clone();
        assert!(revoked_at.is_string());
        let unknown = app.req(Method::DELETE, &format!("/v1/api-keys/{}", uuid::Uuid::now_v7())).send().await.unwrap();
        assert_eq!(unknown.status(), 404);
    }

    async fn a_revoked_key_is_refused_at_once_here_and_within_the_key_cache_ttl_elsewhere(app: &TestApp) {
        let ttl = std::time::Duration::from_millis(400);
        let other = app.replica(ttl).await;
        let created: Value = app.req(Method::POST, "/v1/api-keys").json(&json!({"name": "sync", "role": "read"})).send().await.unwrap().json().await.unwrap();
        let secret = created["key"].as_str().unwrap();
        assert_eq!(app.req_as(secret, Method::GET, "/v1/accounts").send().await.unwrap().status(), 200);
        assert_eq!(other.authenticate(secret).await.unwrap().role, csapi::domain::Role::Read);

        let revoked_at = std::time::Instant::now();
        let res = app.req(Method::DELETE, &format!("/v1/api-keys/{}", created["id"].as_str().unwrap())).send().await.unwrap();
        assert_eq!(res.status(), 204);
        assert_eq!(app.req_as(secret, Method::GET, "/v1/accounts").send().await.unwrap().status(), 401, "this replica forgets the key at once");
        let elsewhere = other.authenticate(secret).await;
        if revoked_at.elapsed() < ttl / 2 {
            assert!(elsewhere.is_ok(), "another replica trusts its copy until the TTL ends");
        }
        tokio::time::sleep(ttl).await;
        assert!(matches!(other.authenticate(secret).await, Err(csapi::app::AppError::Unauthenticated)), "and no longer");
    }
}

//! Tenancy and roles: another workspace's ids are unknown (404 / NOT_FOUND),
//! and a read key can change nothing (403 / PERMISSION_DENIED), on both doors.

use csapi::grpc::pb;
use reqwest::Method;
use serde_json::{Value, json};
use tonic::Code;

use crate::support::{TestApp, authed, on_both_backends};

/// Every REST operation that names an existing record, with a harmless body.
fn id_taking(
    account: &str,
    stakeholder: &str,
    key_id: &str,
) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, format!("/v1/accounts/{account}"), None),
        (
            Method::PATCH,
            format!("/v1/accounts/{account}"),
            Some(json!({"segment": "x"})),
        ),
        (Method::DELETE, format!("/v1/accounts/{account}"), None),
        (
            Method::GET,
            format!("/v1/accounts/{account}/stakeholders"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/accounts/{account}/stakeholders"),
            Some(json!({"name": "x"})),
        ),
        (Method::GET, format!("/v1/stakeholders/{stakeholder}"), None),
        (
            Method::PATCH,
            format!("/v1/stakeholders/{stakeholder}"),
            Some(json!({"name": "x"})),
        ),
        (
            Method::DELETE,
            format!("/v1/stakeholders/{stakeholder}"),
            None,
        ),
        (
            Method::GET,
            "/v1/accounts/by-ref/salesforce/001".into(),
            None,
        ),
        (Method::DELETE, format!("/v1/api-keys/{key_id}"), None),
    ]
}

/// Every REST write, for the role checks.
fn writes(account: &str, stakeholder: &str, key_id: &str) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (
            Method::POST,
            "/v1/accounts".into(),
            Some(json!({"name": "x"})),
        ),
        (
            Method::PATCH,
            format!("/v1/accounts/{account}"),
            Some(json!({"segment": "x"})),
        ),
        (Method::DELETE, format!("/v1/accounts/{account}"), None),
        (
            Method::PUT,
            "/v1/accounts/by-ref/salesforce/001".into(),
            Some(json!({"name": "x"})),
        ),
        (
            Method::POST,
            format!("/v1/accounts/{account}/stakeholders"),
            Some(json!({"name": "x"})),
        ),
        (
            Method::PATCH,
            format!("/v1/stakeholders/{stakeholder}"),
            Some(json!({"name": "x"})),
        ),
        (
            Method::DELETE,
            format!("/v1/stakeholders/{stakeholder}"),
            None,
        ),
        (
            Method::POST,
            "/v1/api-keys".into(),
            Some(json!({"name": "k", "role": "read"})),
        ),
        (Method::DELETE, format!("/v1/api-keys/{key_id}"), None),
    ]
}

struct Seed {
    account: String,
    stakeholder: String,
    key_id: String,
}

async fn seed(app: &TestApp) -> Seed {
    let account = app
        .account(json!({"name": "Acme", "external_refs": [{"system": "salesforce", "id": "001"}]}))
        .await;
    let account = account["id"].as_str().unwrap().to_owned();
    let s: Value = app
        .req(
            Method::POST,
            &format!("/v1/accounts/{account}/stakeholders"),
        )
        .json(&json!({"name": "Jane"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys: Value = app
        .req(Method::GET, "/v1/api-keys")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Seed {
        account,
        stakeholder: s["id"].as_str().unwrap().to_owned(),
        key_id: keys["items"][0]["id"].as_str().unwrap().to_owned(),
    }
}

async fn unchanged(app: &TestApp, seed: &Seed) {
    let a: Value = app
        .req(Method::GET, &format!("/v1/accounts/{}", seed.account))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (a["name"].as_str(), a["etag"].as_str()),
        (Some("Acme"), Some("\"1\""))
    );
    let s: Value = app
        .req(
            Method::GET,
            &format!("/v1/stakeholders/{}", seed.stakeholder),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (s["name"].as_str(), s["etag"].as_str()),
        (Some("Jane"), Some("\"1\""))
    );
    let accounts: Value = app
        .req(Method::GET, "/v1/accounts")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(accounts["items"].as_array().unwrap().len(), 1);
}

async fn send(
    app: &TestApp,
    key: &str,
    (method, path, body): (Method, String, Option<Value>),
) -> u16 {
    let mut req = app.req_as(key, method, &path);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap().status().as_u16()
}

/// The gRPC calls naming the seed's records, each yielding its status code.
async fn grpc_codes(app: &TestApp, key: &str, seed: &Seed) -> Vec<(&'static str, Code)> {
    let mut c = app.accounts_client().await;
    let mut k = app.keys_client().await;
    let code = |r: Result<(), tonic::Status>| r.err().map_or(Code::Ok, |s| s.code());
    let account = pb::Account {
        id: seed.account.clone(),
        segment: Some("x".into()),
        ..Default::default()
    };
    let stakeholder = pb::Stakeholder {
        id: seed.stakeholder.clone(),
        name: "x".into(),
        ..Default::default()
    };
    vec![
        (
            "GetAccount",
            code(
                c.get_account(authed(
                    key,
                    pb::GetAccountRequest {
                        id: seed.account.clone(),
                    },
                ))
                .await
                .map(drop),
            ),
        ),
        (
            "UpdateAccount",
            code(
                c.update_account(authed(
                    key,
                    pb::UpdateAccountRequest {
                        account: Some(account),
                        update_mask: None,
                    },
                ))
                .await
                .map(drop),
            ),
        ),
        (
            "DeleteAccount",
            code(
                c.delete_account(authed(
                    key,
                    pb::DeleteAccountRequest {
                        id: seed.account.clone(),
                        etag: String::new(),
                    },
                ))
                .await
                .map(drop),
            ),
        ),
        (
            "GetAccountByRef",
            code(
                c.get_account_by_ref(authed(
                    key,
                    pb::GetAccountByRefRequest {
                        system: "salesforce".into(),
                        external_id: "001".into(),
                    },
                ))
                .await
                .map(drop),
            ),
        ),
        (
            "ListStakeholders",
            code(
                c.list_stakeholders(authed(
                    key,
                    pb::ListStakeholdersRequest {
                        account_id: seed.account.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .map(drop),
            ),
        ),
        (
            "CreateStakeholder",
            code(
                c.create_stakeholder(authed(
                    key,
                    pb::CreateStakeholderRequest {
                        account_id: seed.account.clone(),
                        stakeholder: Some(pb::Stakeholder {
                            name: "x".into(),
                            ..Default::default()
                        }),
                    },
                ))
                .await
                .map(drop),
            ),
        ),
        (
            "GetStakeholder",
            code(
                c.get_stakeholder(authed(
                    key,
                    pb::GetStakeholderRequest {
                        id: seed.stakeholder.clone(),
                    },
                ))
                .await
                .map(drop),
            ),
        ),
        (
            "UpdateStakeholder",
            code(
                c.update_stakeholder(authed(
                    key,
                    pb::UpdateStakeholderRequest {
                        stakeholder: Some(stakeholder),
                        update_mask: None,
                    },
                ))
                .await
                .map(drop),
            ),
        ),
        (
            "DeleteStakeholder",
            code(
                c.delete_stakeholder(authed(
                    key,
                    pb::DeleteStakeholderRequest {
                        id: seed.stakeholder.clone(),
                        etag: String::new(),
                    },
                ))
                .await
                .map(drop),
            ),
        ),
        (
            "RevokeApiKey",
            code(
                k.revoke_api_key(authed(
                    key,
                    pb::RevokeApiKeyRequest {
                        id: seed.key_id.clone(),
                    },
                ))
                .await
                .map(drop),
            ),
        ),
    ]
}

on_both_backends! {
    async fn another_workspace_sees_nothing(app: &TestApp) {
        let seed = seed(app).await;
        let other = app.other_workspace("globex").await;
        for op in id_taking(&seed.account, &seed.stakeholder, &seed.key_id) {
            let what = format!("{} {}", op.0, op.1);
            assert_eq!(send(app, &other, op).await, 404, "{what}");
        }
        for (method, code) in grpc_codes(app, &other, &seed).await {
            assert_eq!(code, Code::NotFound, "{method}");
        }
        let listed: Value = app.req_as(&other, Method::GET, "/v1/accounts").send().await.unwrap().json().await.unwrap();
        assert_eq!(listed["items"], json!([]));
        let own = app
            .req_as(&other, Method::PUT, "/v1/accounts/by-ref/salesforce/001")
            .json(&json!({"name": "Globex's own"}))
            .send()
            .await
            .unwrap();
        assert_eq!(own.status(), 201, "refs are per workspace");
        unchanged(app, &seed).await;
    }

    async fn read_keys_cannot_write_and_only_admins_manage_keys(app: &TestApp) {
        let seed = seed(app).await;
        let read = app.key("read").await;
        for op in writes(&seed.account, &seed.stakeholder, &seed.key_id) {
            let what = format!("{} {}", op.0, op.1);
            assert_eq!(send(app, &read, op).await, 403, "{what}");
        }
        for (method, code) in grpc_codes(app, &read, &seed).await {
            let expected = if method.starts_with("Get") || method.starts_with("List") { Code::Ok } else { Code::PermissionDenied };
            assert_eq!(code, expected, "{method}");
        }
        let write = app.key("write").await;
        assert_eq!(send(app, &write, (Method::GET, "/v1/api-keys".into(), None)).await, 403);
        assert_eq!(send(app, &write, (Method::POST, "/v1/api-keys".into(), Some(json!({"name": "k", "role": "admin"})))).await, 403);
        let mut k = app.keys_client().await;
        let denied = k.create_api_key(authed(&write, pb::CreateApiKeyRequest { name: "k".into(), role: "admin".into(), account_ids: vec![] })).await;
        assert_eq!(denied.unwrap_err().code(), Code::PermissionDenied);
        unchanged(app, &seed).await;
        let res = app
            .req_as(&write, Method::PATCH, &format!("/v1/accounts/{}", seed.account))
            .json(&json!({"segment": "smb"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "write keys write");
    }
}

//! The same use cases over gRPC: accounts, stakeholders, keys, errors with
//! field violations, health and reflection.

use csapi::grpc::pb;
use prost_types::FieldMask;
use tonic::Code;
use tonic_types::StatusExt;

use crate::support::{ADMIN_KEY, authed, on_both_backends};

fn account(name: &str) -> pb::Account {
    pb::Account {
        name: name.into(),
        ..Default::default()
    }
}

on_both_backends! {
    async fn accounts_and_stakeholders_over_grpc(app: &TestApp) {
        let mut c = app.accounts_client().await;
        let created = c
            .create_account(authed(ADMIN_KEY, pb::CreateAccountRequest {
                account: Some(pb::Account {
                    name: "Acme".into(),
                    segment: Some("enterprise".into()),
                    owner: Some("jane@acme.io".into()),
                    lifecycle_stage: Some("adoption".into()),
                    customer_since: Some("2024-03-01".into()),
                    original_arr: Some(120000.0),
                    external_refs: vec![pb::ExternalRef { system: "salesforce".into(), id: "001A".into() }],
                    ..Default::default()
                }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(created.currency, "USD");
        assert_eq!(created.etag, "\"1\"");
        let id = created.id.clone();

        let got = c.get_account(authed(ADMIN_KEY, pb::GetAccountRequest { id: id.clone() })).await.unwrap().into_inner();
        assert_eq!(got, created);
        let by_ref = c
            .get_account_by_ref(authed(ADMIN_KEY, pb::GetAccountByRefRequest { system: "salesforce".into(), external_id: "001A".into() }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(by_ref.id, id);

        let updated = c
            .update_account(authed(ADMIN_KEY, pb::UpdateAccountRequest {
                account: Some(pb::Account { id: id.clone(), segment: None, lifecycle_stage: Some("renewal".into()), etag: "\"1\"".into(), ..Default::default() }),
                update_mask: Some(FieldMask { paths: vec!["segment".into(), "lifecycle_stage".into()] }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(updated.segment, None);
        assert_eq!(updated.lifecycle_stage.as_deref(), Some("renewal"));
        assert_eq!(updated.owner.as_deref(), Some("jane@acme.io"));
        assert_eq!(updated.etag, "\"2\"");
        let stale = c
            .update_account(authed(ADMIN_KEY, pb::UpdateAccountRequest {
                account: Some(pb::Account { id: id.clone(), name: "Lost".into(), etag: "\"1\"".into(), ..Default::default() }),
                update_mask: None,
            }))
            .await
            .unwrap_err();
        assert_eq!(stale.code(), Code::Aborted);

        let up = c
            .upsert_account_by_ref(authed(ADMIN_KEY, pb::UpsertAccountByRefRequest {
                system: "salesforce".into(), external_id: "002B".into(), account: Some(account("Globex")),
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(up.created);
        let again = c
            .upsert_account_by_ref(authed(ADMIN_KEY, pb::UpsertAccountByRefRequest {
                system: "salesforce".into(), external_id: "002B".into(), account: Some(account("Globex Corp")),
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(!again.created);
        assert_eq!(again.account.as_ref().unwrap().id, up.account.as_ref().unwrap().id);
        assert_eq!(again.account.unwrap().name, "Globex Corp");

        let page = c
            .list_accounts(authed(ADMIN_KEY, pb::ListAccountsRequest { page_size: 1, ..Default::default() }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.accounts.len(), 1);
        let rest = c
            .list_accounts(authed(ADMIN_KEY, pb::ListAccountsRequest { page_size: 1, page_token: page.next_page_token.clone(), ..Default::default() }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(rest.accounts.len(), 1);
        assert_eq!(rest.next_page_token, "");
        assert_ne!(page.accounts[0].id, rest.accounts[0].id);
        let filtered = c
            .list_accounts(authed(ADMIN_KEY, pb::ListAccountsRequest { q: Some("glob".into()), ..Default::default() }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(filtered.accounts.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["Globex Corp"]);

        let s = c
            .create_stakeholder(authed(ADMIN_KEY, pb::CreateStakeholderRequest {
                account_id: id.clone(),
                stakeholder: Some(pb::Stakeholder { name: "Jane".into(), role: Some("champion".into()), involved_in_purchase: true, ..Default::default() }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(s.account_id, id);
        let listed = c
            .list_stakeholders(authed(ADMIN_KEY, pb::ListStakeholdersRequest { account_id: id.clone(), ..Default::default() }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed.stakeholders, vec![s.clone()]);
        let changed = c
            .update_stakeholder(authed(ADMIN_KEY, pb::UpdateStakeholderRequest {
                stakeholder: Some(pb::Stakeholder { id: s.id.clone(), email: Some("jane@acme.io".into()), ..Default::default() }),
                update_mask: Some(FieldMask { paths: vec!["email".into()] }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(changed.email.as_deref(), Some("jane@acme.io"));
        assert_eq!(changed.role.as_deref(), Some("champion"));

        c.delete_account(authed(ADMIN_KEY, pb::DeleteAccountRequest { id: id.clone(), etag: String::new() })).await.unwrap();
        let gone = c.get_stakeholder(authed(ADMIN_KEY, pb::GetStakeholderRequest { id: s.id.clone() })).await.unwrap_err();
        assert_eq!(gone.code(), Code::NotFound);
        let gone = c.get_account(authed(ADMIN_KEY, pb::GetAccountRequest { id })).await.unwrap_err();
        assert_eq!(gone.code(), Code::NotFound);
    }

    async fn grpc_errors_name_every_bad_field(app: &TestApp) {
        let mut c = app.accounts_client().await;
        let bad = c
            .create_account(authed(ADMIN_KEY, pb::CreateAccountRequest {
                account: Some(pb::Account {
                    owner: Some("jane".into()),
                    currency: "usd".into(),
                    lifecycle_stage: Some("dormant".into()),
                    ..Default::default()
                }),
            }))
            .await
            .unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);
        let mut fields: Vec<String> =
            bad.get_details_bad_request().unwrap().field_violations.into_iter().map(|v| v.field).collect();
        fields.sort();
        assert_eq!(fields, ["account.lifecycle_stage"]);
        let bad = c
            .create_account(authed(ADMIN_KEY, pb::CreateAccountRequest {
                account: Some(pb::Account { owner: Some("jane".into()), currency: "usd".into(), ..Default::default() }),
            }))
            .await
            .unwrap_err();
        let mut fields: Vec<String> =
            bad.get_details_bad_request().unwrap().field_violations.into_iter().map(|v| v.field).collect();
        fields.sort();
        assert_eq!(fields, ["currency", "name", "owner"]);
        let bad_id = c.get_account(authed(ADMIN_KEY, pb::GetAccountRequest { id: "nope".into() })).await.unwrap_err();
        assert_eq!(bad_id.code(), Code::InvalidArgument);
        let no_key = c.get_account(tonic::Request::new(pb::GetAccountRequest { id: uuid::Uuid::now_v7().to_string() })).await.unwrap_err();
        assert_eq!(no_key.code(), Code::Unauthenticated);
        let listed = c.list_accounts(authed(ADMIN_KEY, pb::ListAccountsRequest::default())).await.unwrap().into_inner();
        assert!(listed.accounts.is_empty(), "nothing was stored");
    }

    async fn api_keys_over_grpc(app: &TestApp) {
        let mut k = app.keys_client().await;
        let created = k
            .create_api_key(authed(ADMIN_KEY, pb::CreateApiKeyRequest { name: "connector".into(), role: "write".into(), account_ids: vec![] }))
            .await
            .unwrap()
            .into_inner();
        let key = created.api_key.unwrap();
        assert_eq!(key.role, "write");
        assert!(created.key.starts_with(&key.prefix));
        let listed = k.list_api_keys(authed(ADMIN_KEY, pb::ListApiKeysRequest::default())).await.unwrap().into_inner();
        assert_eq!(listed.api_keys.len(), 2);
        let mut c = app.accounts_client().await;
        c.create_account(authed(&created.key, pb::CreateAccountRequest { account: Some(account("Via key")) })).await.unwrap();
        k.revoke_api_key(authed(ADMIN_KEY, pb::RevokeApiKeyRequest { id: key.id })).await.unwrap();
        let revoked = c.list_accounts(authed(&created.key, pb::ListAccountsRequest::default())).await.unwrap_err();
        assert_eq!(revoked.code(), Code::Unauthenticated);
    }

    async fn health_and_reflection_are_served(app: &TestApp) {
        use tonic_health::pb::health_client::HealthClient;
        use tonic_health::pb::HealthCheckRequest;
        use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
        use tonic_reflection::pb::v1::ServerReflectionRequest;

        let channel = tonic::transport::Channel::from_shared(app.grpc_addr.clone()).unwrap().connect().await.unwrap();
        let mut health = HealthClient::new(channel.clone());
        let status = health
            .check(HealthCheckRequest { service: "csapi.v1.AccountService".into() })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);

        let mut reflection = ServerReflectionClient::new(channel.clone());
        let request = ServerReflectionRequest { host: String::new(), message_request: Some(MessageRequest::ListServices(String::new())) };
        let mut responses = reflection.server_reflection_info(tokio_stream::iter(vec![request])).await.unwrap().into_inner();
        let response = responses.message().await.unwrap().unwrap();
        let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
            panic!("unexpected reflection answer");
        };
        let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
        names.sort();
        assert!(names.contains(&"csapi.v1.AccountService".to_owned()), "{names:?}");
        assert!(names.contains(&"csapi.v1.ApiKeyService".to_owned()), "{names:?}");
        assert!(names.contains(&"grpc.health.v1.Health".to_owned()), "{names:?}");

        // Older clients ask v1alpha, and get the same answer.
        use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient as AlphaClient;
        use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest as AlphaRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse as AlphaResponse;
        let mut alpha = AlphaClient::new(channel);
        let request = tonic_reflection::pb::v1alpha::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(AlphaRequest::ListServices(String::new())),
        };
        let mut responses = alpha.server_reflection_info(tokio_stream::iter(vec![request])).await.unwrap().into_inner();
        let Some(AlphaResponse::ListServicesResponse(list)) = responses.message().await.unwrap().unwrap().message_response else {
            panic!("unexpected v1alpha reflection answer");
        };
        assert!(list.service.iter().any(|s| s.name == "csapi.v1.AccountService"));
    }
}

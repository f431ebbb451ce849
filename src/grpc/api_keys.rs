//! `csapi.v1.ApiKeyService`: the workspace's keys (admin only).

use tonic::{Request, Response, Status};

use super::convert::{self, timestamp};
use super::pb::api_key_service_server::ApiKeyService;
use super::pb::*;
use super::{GrpcState, call, status_of};
use crate::domain::{ApiKey as Key, Invalid, Role};

pub struct ApiKeyGrpc(pub GrpcState);

fn key_to_pb(k: Key) -> ApiKey {
    ApiKey {
        id: k.id.to_string(),
        name: k.name,
        role: k.role.as_str().to_owned(),
        prefix: k.prefix,
        created_at: Some(timestamp(k.created_at)),
        revoked_at: k.revoked_at.map(timestamp),
        account_ids: k
            .reach
            .accounts()
            .map(|ids| ids.iter().map(ToString::to_string).collect())
            .unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl ApiKeyService for ApiKeyGrpc {
    async fn create_api_key(
        &self,
        req: Request<CreateApiKeyRequest>,
    ) -> Result<Response<CreateApiKeyResponse>, Status> {
        call!(self.0, "CreateApiKey", req, |p, m| {
            let mut bad = Invalid::default();
            let role = m.role.parse::<Role>().unwrap_or_else(|()| {
                bad.push("role", "must be admin, write or read");
                Role::Read
            });
            let accounts: Vec<_> = m
                .account_ids
                .iter()
                .enumerate()
                .map(|(i, raw)| convert::parse_id(&mut bad, &format!("account_ids[{i}]"), raw))
                .collect();
            bad.into_result().map_err(super::status::invalid_argument)?;
            let accounts = (!accounts.is_empty()).then_some(accounts);
            let created = self
                .0
                .app
                .create_api_key(&p, &m.name, role, accounts)
                .await
                .map_err(status_of)?;
            Ok::<_, Status>(CreateApiKeyResponse {
                api_key: Some(key_to_pb(created.key)),
                key: created.secret,
            })
        })
    }

    async fn list_api_keys(
        &self,
        req: Request<ListApiKeysRequest>,
    ) -> Result<Response<ListApiKeysResponse>, Status> {
        call!(self.0, "ListApiKeys", req, |p, m| {
            let listed = self
                .0
                .app
                .api_keys(&p, &convert::page(m.page_size, m.page_token))
                .await;
            listed.map_err(status_of).map(|l| ListApiKeysResponse {
                api_keys: l.items.into_iter().map(key_to_pb).collect(),
                next_page_token: l.next_page_token.unwrap_or_default(),
            })
        })
    }

    async fn revoke_api_key(
        &self,
        req: Request<RevokeApiKeyRequest>,
    ) -> Result<Response<()>, Status> {
        call!(self.0, "RevokeApiKey", req, |p, m| {
            let id = convert::id("id", &m.id).map_err(super::status::invalid_argument)?;
            self.0.app.revoke_api_key(&p, id).await.map_err(status_of)
        })
    }
}

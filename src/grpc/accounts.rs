//! `csapi.v1.AccountService`: accounts and stakeholders.

use tonic::{Request, Response, Status};

use super::convert::{self, account_to_pb, stakeholder_to_pb};
use super::pb::account_service_server::AccountService;
use super::pb::{self, *};
use super::{GrpcState, call, exports, imports, status_of};
use crate::app::{IfMatch, Upsert, Upserted, UpsertedStakeholder};
use crate::domain::filter::{AccountFilter, AccountScope, RiskStatus};
use crate::domain::import::{AccountUpsert, StakeholderUpsert};
use crate::domain::observation::AccountKey;
use crate::domain::risk::{ResolutionDraft, RiskDraft, RiskKind};
use crate::domain::{ExternalRef, Invalid, RecordKey};

pub struct AccountGrpc(pub GrpcState);

fn invalid(e: Invalid) -> Status {
    super::status::invalid_argument(e)
}

#[tonic::async_trait]
impl AccountService for AccountGrpc {
    async fn create_account(
        &self,
        req: Request<CreateAccountRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        call!(self.0, "CreateAccount", req, |p, m| {
            let fields = convert::account_fields("account", m.account.unwrap_or_default())
                .map_err(invalid)?;
            self.0
                .app
                .create_account(&p, fields)
                .await
                .map(account_to_pb)
                .map_err(status_of)
        })
    }

    async fn get_account(
        &self,
        req: Request<GetAccountRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        call!(self.0, "GetAccount", req, |p, m| {
            let id = convert::id("id", &m.id).map_err(invalid)?;
            self.0
                .app
                .account(&p, id)
                .await
                .map(account_to_pb)
                .map_err(status_of)
        })
    }

    async fn list_accounts(
        &self,
        req: Request<ListAccountsRequest>,
    ) -> Result<Response<ListAccountsResponse>, Status> {
        call!(self.0, "ListAccounts", req, |p, m| {
            let mut e = Invalid::default();
            let lifecycle_stage = match m.lifecycle_stage {
                Some(s) => s.parse().map(Some).unwrap_or_else(|()| {
                    e.push("lifecycle_stage", "must be a lifecycle stage");
                    None
                }),
                None => None,
            };
            let updated_since = convert::parse_timestamp(&mut e, "updated_since", m.updated_since);
            let renewal_from = convert::parse_date(&mut e, "renewal_from", m.renewal_from);
            let renewal_to = convert::parse_date(&mut e, "renewal_to", m.renewal_to);
            e.into_result().map_err(invalid)?;
            let filter = AccountFilter {
                segment: m.segment,
                owner: m.owner,
                lifecycle_stage,
                q: m.q,
                updated_since,
                renewal_from,
                renewal_to,
                within: None,
            };
            let listed = self
                .0
                .app
                .accounts(&p, &filter, &convert::page(m.page_size, m.page_token))
                .await;
            listed.map_err(status_of).map(|l| ListAccountsResponse {
                accounts: l.items.into_iter().map(account_to_pb).collect(),
                next_page_token: l.next_page_token.unwrap_or_default(),
            })
        })
    }

    async fn update_account(
        &self,
        req: Request<UpdateAccountRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        call!(self.0, "UpdateAccount", req, |p, m| {
            let account = m.account.unwrap_or_default();
            let etag = convert::if_match(account.etag.clone());
            let id = convert::id("account.id", &account.id).map_err(invalid)?;
            let patch = convert::account_patch(account, m.update_mask).map_err(invalid)?;
            let updated = self.0.app.update_account(&p, id, patch, &etag).await;
            updated.map(account_to_pb).map_err(status_of)
        })
    }

    async fn delete_account(
        &self,
        req: Request<DeleteAccountRequest>,
    ) -> Result<Response<()>, Status> {
        call!(self.0, "DeleteAccount", req, |p, m| {
            let id = convert::id("id", &m.id).map_err(invalid)?;
            self.0
                .app
                .delete_account(&p, id, &convert::if_match(m.etag))
                .await
                .map_err(status_of)
        })
    }

    async fn get_account_by_ref(
        &self,
        req: Request<GetAccountByRefRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        call!(self.0, "GetAccountByRef", req, |p, m| {
            let found = self
                .0
                .app
                .account_by_ref(&p, &m.system, &m.external_id)
                .await;
            found.map(account_to_pb).map_err(status_of)
        })
    }

    async fn upsert_account_by_ref(
        &self,
        req: Request<UpsertAccountByRefRequest>,
    ) -> Result<Response<UpsertAccountByRefResponse>, Status> {
        call!(self.0, "UpsertAccountByRef", req, |p, m| {
            let fields = convert::account_fields("account", m.account.unwrap_or_default())
                .map_err(invalid)?;
            let reference = ExternalRef::new(m.system, m.external_id);
            let up = self
                .0
                .app
                .upsert_account_by_ref(&p, reference, fields, &IfMatch(None))
                .await;
            up.map(upserted_to_pb).map_err(status_of)
        })
    }

    async fn merge_account_by_ref(
        &self,
        req: Request<MergeAccountByRefRequest>,
    ) -> Result<Response<UpsertAccountByRefResponse>, Status> {
        call!(self.0, "MergeAccountByRef", req, |p, m| {
            let account = m.account.unwrap_or_default();
            let etag = convert::if_match(account.etag.clone());
            let patch = convert::account_patch(account, m.update_mask).map_err(invalid)?;
            let reference = ExternalRef::new(m.system, m.external_id);
            let up = self
                .0
                .app
                .merge_account_by_ref(&p, reference, patch, &etag)
                .await;
            up.map(upserted_to_pb).map_err(status_of)
        })
    }

    type ExportAccountsStream = exports::ExportStream;

    async fn export_accounts(
        &self,
        req: Request<ExportAccountsRequest>,
    ) -> Result<Response<exports::ExportStream>, Status> {
        let app = self.0.app.clone();
        call!(self.0, "ExportAccounts", req, |p, m| {
            let scope = AccountScope::of(m.segment, m.owner);
            let plan = app.export_plan(&p, scope, &m.metric_sets).await;
            Ok::<_, Status>(exports::stream(app, p, plan.map_err(status_of)?))
        })
    }

    async fn import_accounts(
        &self,
        req: Request<tonic::Streaming<AccountImportItem>>,
    ) -> Result<Response<ImportResponse>, Status> {
        call!(self.0, "ImportAccounts", req, |p, m| {
            imports::run(
                m,
                |i| i.atomic,
                account_item,
                |items, atomic| self.0.app.import_accounts(&p, items, atomic),
            )
            .await
        })
    }

    async fn import_stakeholders(
        &self,
        req: Request<tonic::Streaming<StakeholderImportItem>>,
    ) -> Result<Response<ImportResponse>, Status> {
        call!(self.0, "ImportStakeholders", req, |p, m| {
            imports::run(
                m,
                |i| i.atomic,
                stakeholder_item,
                |items, atomic| self.0.app.import_stakeholders(&p, items, atomic),
            )
            .await
        })
    }

    async fn create_stakeholder(
        &self,
        req: Request<CreateStakeholderRequest>,
    ) -> Result<Response<pb::Stakeholder>, Status> {
        call!(self.0, "CreateStakeholder", req, |p, m| {
            let account_id = convert::id("account_id", &m.account_id).map_err(invalid)?;
            let fields =
                convert::stakeholder_fields("stakeholder", m.stakeholder.unwrap_or_default())
                    .map_err(invalid)?;
            let created = self.0.app.create_stakeholder(&p, account_id, fields).await;
            created.map(stakeholder_to_pb).map_err(status_of)
        })
    }

    async fn get_stakeholder(
        &self,
        req: Request<GetStakeholderRequest>,
    ) -> Result<Response<pb::Stakeholder>, Status> {
        call!(self.0, "GetStakeholder", req, |p, m| {
            let id = convert::id("id", &m.id).map_err(invalid)?;
            self.0
                .app
                .stakeholder(&p, id)
                .await
                .map(stakeholder_to_pb)
                .map_err(status_of)
        })
    }

    async fn list_stakeholders(
        &self,
        req: Request<ListStakeholdersRequest>,
    ) -> Result<Response<ListStakeholdersResponse>, Status> {
        call!(self.0, "ListStakeholders", req, |p, m| {
            let mut e = Invalid::default();
            let account_id = convert::parse_id(&mut e, "account_id", &m.account_id);
            let updated_since = convert::parse_timestamp(&mut e, "updated_since", m.updated_since);
            e.into_result().map_err(invalid)?;
            let page = convert::page(m.page_size, m.page_token);
            let listed = self
                .0
                .app
                .stakeholders(&p, account_id, updated_since, &page)
                .await;
            listed.map_err(status_of).map(|l| ListStakeholdersResponse {
                stakeholders: l.items.into_iter().map(stakeholder_to_pb).collect(),
                next_page_token: l.next_page_token.unwrap_or_default(),
            })
        })
    }

    async fn get_stakeholder_by_ref(
        &self,
        req: Request<GetStakeholderByRefRequest>,
    ) -> Result<Response<pb::Stakeholder>, Status> {
        call!(self.0, "GetStakeholderByRef", req, |p, m| {
            let reference = ExternalRef::new(m.system, m.external_id);
            let found = self.0.app.stakeholder_by_ref(&p, &reference).await;
            found.map(stakeholder_to_pb).map_err(status_of)
        })
    }

    async fn upsert_stakeholder_by_ref(
        &self,
        req: Request<UpsertStakeholderByRefRequest>,
    ) -> Result<Response<UpsertStakeholderByRefResponse>, Status> {
        call!(self.0, "UpsertStakeholderByRef", req, |p, m| {
            let s = m.stakeholder.unwrap_or_default();
            let etag = convert::if_match(s.etag.clone());
            let account = stakeholder_account(&s, m.account_ref).map_err(invalid)?;
            let fields = convert::stakeholder_fields("stakeholder", s).map_err(invalid)?;
            let reference = ExternalRef::new(m.system, m.external_id);
            let up = self
                .0
                .app
                .upsert_stakeholder_by_ref(&p, reference, account, fields, &etag)
                .await;
            up.map(stakeholder_upserted_to_pb).map_err(status_of)
        })
    }

    async fn merge_stakeholder_by_ref(
        &self,
        req: Request<MergeStakeholderByRefRequest>,
    ) -> Result<Response<UpsertStakeholderByRefResponse>, Status> {
        call!(self.0, "MergeStakeholderByRef", req, |p, m| {
            let s = m.stakeholder.unwrap_or_default();
            let etag = convert::if_match(s.etag.clone());
            let account = stakeholder_account(&s, m.account_ref).map_err(invalid)?;
            let patch = convert::stakeholder_patch(s, m.update_mask).map_err(invalid)?;
            let reference = ExternalRef::new(m.system, m.external_id);
            let up = self
                .0
                .app
                .merge_stakeholder_by_ref(&p, reference, account, patch, &etag)
                .await;
            up.map(stakeholder_upserted_to_pb).map_err(status_of)
        })
    }

    async fn update_stakeholder(
        &self,
        req: Request<UpdateStakeholderRequest>,
    ) -> Result<Response<pb::Stakeholder>, Status> {
        call!(self.0, "UpdateStakeholder", req, |p, m| {
            let s = m.stakeholder.unwrap_or_default();
            let etag = convert::if_match(s.etag.clone());
            let id = convert::id("stakeholder.id", &s.id).map_err(invalid)?;
            let patch = convert::stakeholder_patch(s, m.update_mask).map_err(invalid)?;
            let updated = self.0.app.update_stakeholder(&p, id, patch, &etag).await;
            updated.map(stakeholder_to_pb).map_err(status_of)
        })
    }

    async fn delete_stakeholder(
        &self,
        req: Request<DeleteStakeholderRequest>,
    ) -> Result<Response<()>, Status> {
        call!(self.0, "DeleteStakeholder", req, |p, m| {
            let id = convert::id("id", &m.id).map_err(invalid)?;
            self.0
                .app
                .delete_stakeholder(&p, id, &convert::if_match(m.etag))
                .await
                .map_err(status_of)
        })
    }

    async fn raise_risk(
        &self,
        req: Request<RaiseRiskRequest>,
    ) -> Result<Response<pb::Risk>, Status> {
        call!(self.0, "RaiseRisk", req, |p, m| {
            let mut e = Invalid::default();
            let account_id = convert::parse_id(&mut e, "account_id", &m.account_id);
            let kind = convert::parse_opt(&mut e, "kind", Some(m.kind), "a risk kind");
            let draft = RiskDraft {
                kind: kind.unwrap_or(RiskKind::Other),
                reason: m.reason,
                raised_by: m.raised_by,
            };
            if let Err(more) = draft.validate() {
                e.0.extend(more.0);
            }
            e.into_result().map_err(invalid)?;
            let raised = self.0.app.raise_risk(&p, account_id, draft).await;
            raised.map(convert::risk_to_pb).map_err(status_of)
        })
    }

    async fn get_risk(&self, req: Request<GetRiskRequest>) -> Result<Response<pb::Risk>, Status> {
        call!(self.0, "GetRisk", req, |p, m| {
            let mut e = Invalid::default();
            let id = convert::parse_id(&mut e, "id", &m.id);
            e.into_result().map_err(invalid)?;
            let found = self.0.app.risk(&p, id).await;
            found.map(convert::risk_to_pb).map_err(status_of)
        })
    }

    async fn list_risks(
        &self,
        req: Request<ListRisksRequest>,
    ) -> Result<Response<ListRisksResponse>, Status> {
        call!(self.0, "ListRisks", req, |p, m| {
            let mut e = Invalid::default();
            let account_id = convert::parse_id(&mut e, "account_id", &m.account_id);
            let status = convert::parse_opt(&mut e, "status", m.status, "open, resolved or all");
            e.into_result().map_err(invalid)?;
            let page = convert::page(m.page_size, m.page_token);
            let status = status.unwrap_or(RiskStatus::Open);
            let listed = self.0.app.risks(&p, account_id, status, &page).await;
            listed.map_err(status_of).map(|l| ListRisksResponse {
                risks: l.items.into_iter().map(convert::risk_to_pb).collect(),
                next_page_token: l.next_page_token.unwrap_or_default(),
            })
        })
    }

    async fn resolve_risk(
        &self,
        req: Request<ResolveRiskRequest>,
    ) -> Result<Response<pb::Risk>, Status> {
        call!(self.0, "ResolveRisk", req, |p, m| {
            let mut e = Invalid::default();
            let id = convert::parse_id(&mut e, "id", &m.id);
            e.into_result().map_err(invalid)?;
            let draft = ResolutionDraft {
                by: m.resolved_by,
                note: m.resolution,
            };
            let resolved = self.0.app.resolve_risk(&p, id, draft).await;
            resolved.map(convert::risk_to_pb).map_err(status_of)
        })
    }
}

/// The account a stakeholder upsert names: by `account_ref` or `stakeholder.account_id`.
fn stakeholder_account(
    s: &pb::Stakeholder,
    reference: Option<pb::ExternalRef>,
) -> Result<Option<RecordKey>, Invalid> {
    let id = (!s.account_id.is_empty())
        .then(|| convert::id("stakeholder.account_id", &s.account_id))
        .transpose()?;
    RecordKey::optional_one_of(
        reference.map(convert::ref_from_pb),
        id,
        ("account_ref", "stakeholder.account_id"),
    )
}

fn stakeholder_upserted_to_pb(u: UpsertedStakeholder) -> UpsertStakeholderByRefResponse {
    UpsertStakeholderByRefResponse {
        created: u.outcome == Upsert::Created,
        stakeholder: Some(stakeholder_to_pb(u.stakeholder)),
    }
}

fn upserted_to_pb(u: Upserted) -> UpsertAccountByRefResponse {
    UpsertAccountByRefResponse {
        created: u.outcome == Upsert::Created,
        status: u.outcome.as_str().to_owned(),
        account: Some(account_to_pb(u.account)),
    }
}

fn account_item(item: AccountImportItem) -> Result<AccountUpsert, Invalid> {
    let reference = item.r#ref.map(convert::ref_from_pb);
    let key = imports::optional_id("id", &item.id).and_then(|id| AccountKey::either(reference, id));
    let patch = convert::account_patch(item.account.unwrap_or_default(), item.update_mask);
    let (key, patch) = imports::both(key, patch)?;
    Ok(AccountUpsert { key, patch })
}

fn stakeholder_item(item: StakeholderImportItem) -> Result<StakeholderUpsert, Invalid> {
    let s = item.stakeholder.unwrap_or_default();
    let reference = item.r#ref.map(convert::ref_from_pb);
    let key = imports::optional_id("id", &item.id).and_then(|id| RecordKey::either(reference, id));
    let account = stakeholder_account(&s, item.account_ref);
    let patch = convert::stakeholder_patch(s, item.update_mask);
    let ((key, account), patch) = imports::both(imports::both(key, account), patch)?;
    Ok(StakeholderUpsert {
        key,
        account,
        patch,
    })
}

//! `csapi.v1.PrioritizationService`.

use tonic::{Request, Response, Status};

use super::convert;
use super::pb::prioritization_service_server::PrioritizationService;
use super::pb::{self, *};
use super::status::invalid_argument as invalid;
use super::{GrpcState, call, status_of};
use crate::app::{Published, RankedAccount as AppRanked, etag_of};
use crate::domain::Invalid;
use crate::domain::filter::AccountScope;
use crate::domain::prioritization::{
    Exclude as DomainExclude, Policy as DomainPolicy, PolicyTerm as DomainTerm,
    TierCut as DomainTierCut, WeightedMatrix as DomainWeighted,
};

pub struct PrioritizationGrpc(pub GrpcState);

fn policy_to_pb(p: Published<DomainPolicy>) -> pb::Policy {
    let d = p.definition;
    pb::Policy {
        key: d.key,
        label: d.label,
        matrices: d
            .matrices
            .into_iter()
            .map(|m| WeightedMatrix {
                matrix: m.matrix,
                weight: m.weight,
            })
            .collect(),
        terms: d
            .terms
            .into_iter()
            .map(|t| PolicyTerm {
                matrix: t.matrix,
                equation: t.equation,
                hierarchy: t.hierarchy,
                account_field: t.account_field.map(|f| f.as_str().to_owned()),
                weight: t.weight,
            })
            .collect(),
        tiers: d
            .tiers
            .into_iter()
            .map(|t| TierCut {
                min_score: t.min_score,
                key: t.key,
                label: t.label,
            })
            .collect(),
        exclude: Some(Exclude {
            lifecycle_stages: d
                .exclude
                .lifecycle_stages
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
        }),
        built_in: p.built_in,
        etag: etag_of(p.version),
    }
}

/// A policy from a message, field errors named under `policy.`.
fn policy_from_pb(p: pb::Policy) -> Result<DomainPolicy, Invalid> {
    let mut e = Invalid::default();
    let terms = p
        .terms
        .into_iter()
        .enumerate()
        .map(|(i, t)| DomainTerm {
            account_field: convert::parse_opt(
                &mut e,
                &format!("policy.terms[{i}].account_field"),
                t.account_field,
                "current_arr, original_arr or days_to_renewal",
            ),
            matrix: t.matrix,
            equation: t.equation,
            hierarchy: t.hierarchy,
            weight: t.weight,
        })
        .collect();
    let exclude = match p.exclude {
        None => DomainExclude::default(),
        Some(x) => DomainExclude {
            lifecycle_stages: x
                .lifecycle_stages
                .into_iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    let field = format!("policy.exclude.lifecycle_stages[{i}]");
                    convert::parse_opt(&mut e, &field, Some(s), "a lifecycle stage")
                })
                .collect(),
        },
    };
    let policy = DomainPolicy {
        key: p.key,
        label: p.label,
        matrices: p
            .matrices
            .into_iter()
            .map(|m| DomainWeighted {
                matrix: m.matrix,
                weight: m.weight,
            })
            .collect(),
        terms,
        tiers: p
            .tiers
            .into_iter()
            .map(|t| DomainTierCut {
                key: t.key,
                label: t.label,
                min_score: t.min_score,
            })
            .collect(),
        exclude,
    };
    e.into_result().map(|()| policy)
}

fn ranked_to_pb(r: AppRanked) -> RankedAccount {
    RankedAccount {
        account_id: r.account_id.to_string(),
        name: r.name,
        score: r.priority.score,
        coverage: r.priority.coverage,
        tier: r.priority.tier,
        tier_label: r.priority.tier_label,
        closeness: r.priority.closeness.into_iter().collect(),
        contributions: r
            .priority
            .contributions
            .into_iter()
            .map(|c| Contribution {
                kind: c.term.kind().to_owned(),
                term: c.term.name(),
                weight: c.weight,
                value: c.value,
                contribution: c.contribution,
            })
            .collect(),
    }
}

#[tonic::async_trait]
impl PrioritizationService for PrioritizationGrpc {
    async fn prioritize(
        &self,
        req: Request<PrioritizeRequest>,
    ) -> Result<Response<PrioritizeResponse>, Status> {
        call!(self.0, "Prioritize", req, |p, m| {
            let policy = if m.policy.is_empty() {
                "default".to_owned()
            } else {
                m.policy
            };
            let scope = AccountScope::of(m.segment, m.owner);
            let listed = self
                .0
                .app
                .prioritization(
                    &p,
                    &policy,
                    &scope,
                    m.tier.as_deref(),
                    &convert::page(m.page_size, m.page_token),
                )
                .await
                .map_err(status_of)?;
            Ok::<_, Status>(PrioritizeResponse {
                policy,
                accounts: listed.items.into_iter().map(ranked_to_pb).collect(),
                next_page_token: listed.next_page_token.unwrap_or_default(),
            })
        })
    }

    async fn list_policies(
        &self,
        req: Request<ListPoliciesRequest>,
    ) -> Result<Response<ListPoliciesResponse>, Status> {
        call!(self.0, "ListPolicies", req, |p, _m| {
            let all = self.0.app.policies(&p).await.map_err(status_of)?;
            Ok::<_, Status>(ListPoliciesResponse {
                policies: all.into_iter().map(policy_to_pb).collect(),
            })
        })
    }

    async fn get_policy(
        &self,
        req: Request<GetPolicyRequest>,
    ) -> Result<Response<pb::Policy>, Status> {
        call!(self.0, "GetPolicy", req, |p, m| {
            self.0
                .app
                .policy(&p, &m.key)
                .await
                .map(policy_to_pb)
                .map_err(status_of)
        })
    }

    async fn create_policy(
        &self,
        req: Request<CreatePolicyRequest>,
    ) -> Result<Response<pb::Policy>, Status> {
        call!(self.0, "CreatePolicy", req, |p, m| {
            let policy = policy_from_pb(m.policy.unwrap_or_default()).map_err(invalid)?;
            self.0
                .app
                .create_policy(&p, policy)
                .await
                .map(policy_to_pb)
                .map_err(status_of)
        })
    }

    async fn update_policy(
        &self,
        req: Request<UpdatePolicyRequest>,
    ) -> Result<Response<pb::Policy>, Status> {
        call!(self.0, "UpdatePolicy", req, |p, m| {
            let policy = m.policy.unwrap_or_default();
            let etag = convert::if_match(policy.etag.clone());
            let policy = policy_from_pb(policy).map_err(invalid)?;
            self.0
                .app
                .update_policy(&p, &m.key, policy, &etag)
                .await
                .map(policy_to_pb)
                .map_err(status_of)
        })
    }

    async fn delete_policy(
        &self,
        req: Request<DeletePolicyRequest>,
    ) -> Result<Response<()>, Status> {
        call!(self.0, "DeletePolicy", req, |p, m| {
            self.0
                .app
                .delete_policy(&p, &m.key, &convert::if_match(m.etag))
                .await
                .map_err(status_of)
        })
    }
}

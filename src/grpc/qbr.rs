//! `csapi.v1.QbrService`: the QBR pack and health scores as structured messages.

use tonic::{Request, Response, Status};

use super::convert::{self, parse_timestamp, timestamp};
use super::matrices::placement_to_pb;
use super::pb::qbr_service_server::QbrService;
use super::pb::{self, *};
use super::status::invalid_argument as invalid;
use super::success_plans::{plan_to_pb, success_to_pb};
use super::{GrpcState, call, status_of};
use crate::app::{
    AccountHealth as AppHealth, AccountRisks, DEFAULT_METRIC_SET, PortfolioHealth as AppPortfolio,
    Qbr as AppQbr, SHARE_PATH,
};
use crate::domain::Invalid;
use crate::domain::filter::{AccountScope, HealthOrder, HealthRows};
use crate::domain::metric_set::{Health as DomainHealth, Rag};
use crate::domain::qbr::{MetricReview, SetReview};
use crate::domain::qbr_link::{QbrLink as QbrLinkRecord, ShareRequest};
use crate::domain::risk::Renewal;

pub struct QbrGrpc(pub GrpcState);

fn link_to_pb(l: QbrLinkRecord) -> pb::QbrLink {
    pb::QbrLink {
        id: l.id.to_string(),
        account_id: l.account_id.to_string(),
        metric_set: l.metric_set,
        created_at: Some(timestamp(l.created_at)),
        expires_at: Some(timestamp(l.expires_at)),
        revoked_at: l.revoked_at.map(timestamp),
        last_opened_at: l.last_opened_at.map(timestamp),
        open_count: l.open_count,
    }
}

fn health_to_pb(h: DomainHealth) -> pb::Health {
    pb::Health {
        score: h.score,
        colour: h.colour.as_str().to_owned(),
        coverage: h.coverage,
    }
}

fn score_to_pb(m: &MetricReview) -> MetricScore {
    MetricScore {
        metric: m.metric.key.clone(),
        name: m.metric.name.clone(),
        unit: m.metric.unit.as_str().to_owned(),
        category: m.metric.category.as_str().to_owned(),
        horizon: m.metric.horizon.as_str().to_owned(),
        direction: m.metric.direction.as_str().to_owned(),
        value: m.reading.ok(),
        missing_reason: m.reading.err().map(|why| why.to_string()),
        observed_at: m.last_observed.map(|o| timestamp(o.at)),
        carried_forward: m.last_observed.is_some_and(|o| o.carried_forward),
        target: m.setting.target,
        attainment: m.attainment,
        weight: m.setting.weight,
        green_at: m.setting.green_at,
        red_at: m.setting.red_at,
        normalised_score: m.rating.map(|r| r.score),
        rag: m.rag().map(|r| r.as_str().to_owned()),
    }
}

fn missing_to_pb(r: &SetReview) -> Vec<MissingMetric> {
    r.missing()
        .map(|(metric, why)| MissingMetric {
            metric: metric.to_owned(),
            reason: why.to_string(),
        })
        .collect()
}

fn section_to_pb(s: &SetReview) -> QbrSection {
    QbrSection {
        metric_set: s.set.key.clone(),
        label: s.set.label.clone(),
        health: Some(health_to_pb(s.health)),
        metrics: s
            .metrics
            .iter()
            .map(|m| QbrMetric {
                current: Some(score_to_pb(m)),
                previous: m.previous,
                previous_full_quarter: m.previous_full_quarter,
                change: m.change,
                change_pct: m.change_pct,
                trend: m
                    .trend
                    .iter()
                    .map(|(q, v)| TrendPoint {
                        quarter: q.to_string(),
                        value: *v,
                    })
                    .collect(),
            })
            .collect(),
        missing: missing_to_pb(s),
    }
}

fn qbr_to_pb(q: AppQbr) -> pb::Qbr {
    pb::Qbr {
        account_id: q.account.id.to_string(),
        account_name: q.account.fields.name.clone(),
        currency: q.account.fields.currency.clone(),
        quarter: q.quarter.to_string(),
        previous_quarter: q.quarter.previous().to_string(),
        period_start: Some(timestamp(q.period.start)),
        period_end: Some(timestamp(q.period.end)),
        fiscal_year_start_month: q.fiscal_year_start_month as i32,
        audience: q.audience.as_str().to_owned(),
        comparison: q.comparison.basis().to_owned(),
        reviewed_end: Some(timestamp(q.reviewed.end)),
        previous_start: Some(timestamp(q.compared_with.start)),
        previous_end: Some(timestamp(q.compared_with.end)),
        sections: q.sections.iter().map(section_to_pb).collect(),
        classifications: q.classifications.into_iter().map(placement_to_pb).collect(),
        as_of: q.as_of.to_string(),
        plans: q.plans.into_iter().map(plan_to_pb).collect(),
        successes: q.successes.into_iter().map(success_to_pb).collect(),
        risks: q.risks.map(risks_to_pb),
    }
}

fn renewal_to_pb(r: Renewal) -> pb::Renewal {
    pb::Renewal {
        renewal_date: r.date.map(|d| d.to_string()),
        days_to_renewal: r.days,
        window_days: r.window_days,
        near: r.near,
    }
}

fn risks_to_pb(r: AccountRisks) -> pb::AccountRisks {
    pb::AccountRisks {
        renewal: Some(renewal_to_pb(r.renewal)),
        open: r.raised.into_iter().map(convert::risk_to_pb).collect(),
        derived: r
            .derived
            .into_iter()
            .map(|d| pb::DerivedRisk {
                kind: d.kind.as_str().to_owned(),
                reason: d.reason,
                subject_id: d.subject_id.map(|id| id.to_string()),
            })
            .collect(),
    }
}

fn health_view_to_pb(h: AppHealth) -> pb::AccountHealth {
    pb::AccountHealth {
        account_id: h.account.id.to_string(),
        account_name: h.account.fields.name.clone(),
        metric_set: h.review.set.key.clone(),
        as_of: Some(timestamp(h.as_of)),
        quarter: h.quarter.to_string(),
        period_start: Some(timestamp(h.period.start)),
        period_end: Some(timestamp(h.period.end)),
        health: Some(health_to_pb(h.review.health)),
        metrics: h.review.metrics.iter().map(score_to_pb).collect(),
        missing: missing_to_pb(&h.review),
        previous_health: Some(health_to_pb(h.previous_health)),
        previous_start: Some(timestamp(h.compared_with.start)),
        previous_end: Some(timestamp(h.compared_with.end)),
        risks: Some(risks_to_pb(h.risks)),
    }
}

fn portfolio_to_pb(h: AppPortfolio) -> pb::PortfolioHealth {
    let count = |c: Rag| h.count(c);
    pb::PortfolioHealth {
        metric_set: h.metric_set.key.clone(),
        quarter: h.quarter.to_string(),
        period_start: Some(timestamp(h.period.start)),
        period_end: Some(timestamp(h.period.end)),
        counts: Some(HealthCounts {
            green: count(Rag::Green),
            amber: count(Rag::Amber),
            red: count(Rag::Red),
            no_data: count(Rag::NoData),
            insufficient_data: count(Rag::InsufficientData),
        }),
        accounts: h
            .accounts
            .items
            .into_iter()
            .map(|r| AccountHealthRow {
                account_id: r.account_id.to_string(),
                name: r.name,
                health: Some(health_to_pb(r.health)),
                missing: r.missing,
                renewal: Some(renewal_to_pb(r.renewal)),
                open_risks: r.open_risks,
            })
            .collect(),
        next_page_token: h.accounts.next_page_token.unwrap_or_default(),
    }
}

fn set_or_default(key: String) -> String {
    if key.is_empty() {
        DEFAULT_METRIC_SET.to_owned()
    } else {
        key
    }
}

#[tonic::async_trait]
impl QbrService for QbrGrpc {
    async fn get_qbr(&self, req: Request<GetQbrRequest>) -> Result<Response<pb::Qbr>, Status> {
        call!(self.0, "GetQbr", req, |p, m| {
            let mut e = Invalid::default();
            let id = convert::parse_id(&mut e, "account_id", &m.account_id);
            let audience = convert::parse_opt(&mut e, "audience", m.audience, "team or customer");
            e.into_result().map_err(invalid)?;
            let sets = if m.metric_sets.is_empty() {
                vec![DEFAULT_METRIC_SET.to_owned()]
            } else {
                m.metric_sets
            };
            self.0
                .app
                .qbr(&p, id, &sets, m.quarter.as_deref(), audience)
                .await
                .map(qbr_to_pb)
                .map_err(status_of)
        })
    }

    async fn get_account_health(
        &self,
        req: Request<GetAccountHealthRequest>,
    ) -> Result<Response<pb::AccountHealth>, Status> {
        call!(self.0, "GetAccountHealth", req, |p, m| {
            let mut e = Invalid::default();
            let id = convert::parse_id(&mut e, "account_id", &m.account_id);
            let as_of = parse_timestamp(&mut e, "as_of", m.as_of);
            e.into_result().map_err(invalid)?;
            self.0
                .app
                .account_health(&p, id, &set_or_default(m.metric_set), as_of)
                .await
                .map(health_view_to_pb)
                .map_err(status_of)
        })
    }

    async fn get_portfolio_health(
        &self,
        req: Request<GetPortfolioHealthRequest>,
    ) -> Result<Response<pb::PortfolioHealth>, Status> {
        call!(self.0, "GetPortfolioHealth", req, |p, m| {
            let mut e = Invalid::default();
            let order = convert::parse_opt(&mut e, "sort", m.sort, "worst_first or renewal");
            e.into_result().map_err(invalid)?;
            let scope = AccountScope::of(m.segment, m.owner);
            let view = HealthRows {
                renewal_within_days: m.renewal_within_days,
                order: order.unwrap_or(HealthOrder::WorstFirst),
            };
            self.0
                .app
                .portfolio_health(
                    &p,
                    &m.metric_set,
                    m.quarter.as_deref(),
                    (&scope, view),
                    &convert::page(m.page_size, m.page_token),
                )
                .await
                .map(portfolio_to_pb)
                .map_err(status_of)
        })
    }

    async fn share_qbr(
        &self,
        req: Request<ShareQbrRequest>,
    ) -> Result<Response<ShareQbrResponse>, Status> {
        call!(self.0, "ShareQbr", req, |p, m| {
            let mut e = Invalid::default();
            let account = convert::parse_id(&mut e, "account_id", &m.account_id);
            let set = set_or_default(m.metric_set.unwrap_or_default());
            let request = ShareRequest::new(set, m.expires_in_days);
            let request = match (e.into_result(), request) {
                (Ok(()), Ok(r)) => r,
                (Err(mut e), Err(more)) => {
                    e.0.extend(more.0);
                    return Err(invalid(e));
                }
                (Err(e), _) | (_, Err(e)) => return Err(invalid(e)),
            };
            let shared = self
                .0
                .app
                .share_qbr(&p, account, request)
                .await
                .map_err(status_of)?;
            Ok::<_, Status>(ShareQbrResponse {
                url: format!("{SHARE_PATH}{}", shared.token),
                link: Some(link_to_pb(shared.link)),
            })
        })
    }

    async fn list_qbr_links(
        &self,
        req: Request<ListQbrLinksRequest>,
    ) -> Result<Response<ListQbrLinksResponse>, Status> {
        call!(self.0, "ListQbrLinks", req, |p, m| {
            let account = convert::id("account_id", &m.account_id).map_err(invalid)?;
            let page = convert::page(m.page_size, m.page_token);
            let listed = self.0.app.qbr_links(&p, account, &page).await;
            listed.map_err(status_of).map(|l| ListQbrLinksResponse {
                links: l.items.into_iter().map(link_to_pb).collect(),
                next_page_token: l.next_page_token.unwrap_or_default(),
            })
        })
    }

    async fn revoke_qbr_link(
        &self,
        req: Request<RevokeQbrLinkRequest>,
    ) -> Result<Response<()>, Status> {
        call!(self.0, "RevokeQbrLink", req, |p, m| {
            let id = convert::id("id", &m.id).map_err(invalid)?;
            self.0.app.revoke_qbr_link(&p, id).await.map_err(status_of)
        })
    }
}

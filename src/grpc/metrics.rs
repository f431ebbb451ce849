//! `csapi.v1.MetricService` and `csapi.v1.WorkspaceService`.

use std::str::FromStr;

use tonic::{Request, Response, Status};

use super::convert::{self, if_match, mask_paths, parse_timestamp, timestamp, unknown_path};
use super::pb::metric_service_server::MetricService;
use super::pb::workspace_service_server::WorkspaceService;
use super::pb::{self, *};
use super::status::invalid_argument as invalid;
use super::{GrpcState, call, status_of};
use crate::app::{
    BatchOutcome, ObservationBatch, Published, SettingsChange, WorkspaceSettings as AppSettings,
    etag_of,
};
use crate::domain::filter::ObservationFilter;
use crate::domain::metric::{
    Aggregation, Category, Direction, Horizon, MetricDefinition as DomainMetric, MetricKind,
    NewMetric, Unit,
};
use crate::domain::metric_set::{MetricSet as DomainSet, SetMetric as DomainSetMetric};
use crate::domain::observation::{AccountKey, ObservationDraft, check_metric_key};
use crate::domain::stakeholder::InfluenceChange;
use crate::domain::{ExternalRef, Invalid};

pub struct MetricGrpc(pub GrpcState);
pub struct WorkspaceGrpc(pub GrpcState);

fn metric_to_pb(p: Published<DomainMetric>) -> pb::MetricDefinition {
    let m = p.definition;
    pb::MetricDefinition {
        key: m.key,
        name: m.name,
        description: m.description,
        unit: m.unit.as_str().to_owned(),
        aggregation: m.aggregation.as_str().to_owned(),
        kind: m.kind.as_str().to_owned(),
        direction: m.direction.as_str().to_owned(),
        category: m.category.as_str().to_owned(),
        horizon: m.horizon.as_str().to_owned(),
        source: m.source.as_str().to_owned(),
        built_in: p.built_in,
        etag: etag_of(p.version),
    }
}

/// One of an enum's spellings, or an error naming them all.
fn choice<T: FromStr<Err = ()>>(
    e: &mut Invalid,
    field: &str,
    raw: &str,
    names: impl Iterator<Item = &'static str>,
) -> Option<T> {
    let parsed = raw.parse().ok();
    if parsed.is_none() {
        let names: Vec<&str> = names.collect();
        e.push(field, format!("must be one of {}", names.join(", ")));
    }
    parsed
}

fn new_metric_from_pb(m: pb::MetricDefinition) -> Result<NewMetric, Invalid> {
    let mut e = Invalid::default();
    let at = |f: &str| format!("metric_definition.{f}");
    let unit = choice(
        &mut e,
        &at("unit"),
        &m.unit,
        Unit::ALL.iter().map(|v| v.as_str()),
    );
    let aggregation = choice(
        &mut e,
        &at("aggregation"),
        &m.aggregation,
        Aggregation::ALL.iter().map(|v| v.as_str()),
    );
    let direction = choice(
        &mut e,
        &at("direction"),
        &m.direction,
        Direction::ALL.iter().map(|v| v.as_str()),
    );
    let category = choice(
        &mut e,
        &at("category"),
        &m.category,
        Category::ALL.iter().map(|v| v.as_str()),
    );
    let horizon = choice(
        &mut e,
        &at("horizon"),
        &m.horizon,
        Horizon::ALL.iter().map(|v| v.as_str()),
    );
    let kind = match m.kind.as_str() {
        "" => Some(None),
        raw => choice(
            &mut e,
            &at("kind"),
            raw,
            MetricKind::ALL.iter().map(|v| v.as_str()),
        )
        .map(Some),
    };
    match (unit, aggregation, kind, direction, category, horizon) {
        (
            Some(unit),
            Some(aggregation),
            Some(kind),
            Some(direction),
            Some(category),
            Some(horizon),
        ) => {
            let metric = NewMetric {
                key: m.key,
                name: m.name,
                description: m.description,
                unit,
                aggregation,
                kind,
                direction,
                category,
                horizon,
            };
            if let Err(more) = metric.check() {
                e.0.extend(more.0);
            }
            e.into_result().map(|()| metric)
        }
        _ => Err(e),
    }
}

fn set_to_pb(p: Published<DomainSet>) -> pb::MetricSet {
    let s = p.definition;
    pb::MetricSet {
        key: s.key,
        label: s.label,
        description: s.description,
        metrics: s
            .metrics
            .into_iter()
            .map(|m| pb::SetMetric {
                metric: m.metric,
                target: m.target,
                weight: Some(m.weight),
                green_at: m.green_at,
                red_at: m.red_at,
            })
            .collect(),
        built_in: p.built_in,
        etag: etag_of(p.version),
    }
}

fn set_from_pb(s: pb::MetricSet) -> DomainSet {
    DomainSet {
        key: s.key,
        label: s.label,
        description: s.description,
        metrics: s
            .metrics
            .into_iter()
            .map(|m| DomainSetMetric {
                metric: m.metric,
                target: m.target,
                weight: m.weight.unwrap_or(1.0),
                green_at: m.green_at,
                red_at: m.red_at,
            })
            .collect(),
    }
}

/// A row as the use case takes it; a row that cannot parse carries its errors.
fn draft_from_pb(row: pb::ObservationInput) -> Result<ObservationDraft, Invalid> {
    let mut e = Invalid::default();
    check_metric_key(&mut e, &row.metric);
    let account = match row.account {
        Some(observation_input::Account::AccountId(id)) => {
            Some(AccountKey::Id(convert::parse_id(&mut e, "account_id", &id)))
        }
        Some(observation_input::Account::AccountRef(r)) => {
            let r = ExternalRef::new(r.system, r.id);
            if let Err(bad) = r.check() {
                e.extend_under("account_ref", bad);
            }
            Some(AccountKey::Ref(r))
        }
        None => {
            e.push("account_id", "give account_id or account_ref");
            None
        }
    };
    let observed_at = match row.observed_at {
        None => {
            e.push("observed_at", "is required");
            None
        }
        t => parse_timestamp(&mut e, "observed_at", t),
    };
    match (account, observed_at) {
        (Some(account), Some(observed_at)) if e.0.is_empty() => Ok(ObservationDraft {
            account,
            metric: row.metric,
            observed_at,
            value: row.value,
        }),
        _ => Err(e),
    }
}

fn outcome_to_pb(o: BatchOutcome) -> WriteObservationsResponse {
    WriteObservationsResponse {
        written: i32::try_from(o.written).unwrap_or(i32::MAX),
        rejected: o
            .rejected
            .into_iter()
            .map(|(row, e)| RejectedRow {
                row: i32::try_from(row).unwrap_or(i32::MAX),
                errors: e
                    .0
                    .into_iter()
                    .map(|f| FieldError {
                        field: f.field,
                        message: f.message,
                    })
                    .collect(),
            })
            .collect(),
    }
}

#[tonic::async_trait]
impl MetricService for MetricGrpc {
    async fn list_metric_definitions(
        &self,
        req: Request<ListMetricDefinitionsRequest>,
    ) -> Result<Response<ListMetricDefinitionsResponse>, Status> {
        call!(self.0, "ListMetricDefinitions", req, |p, _m| {
            let all = self.0.app.metric_definitions(&p).await.map_err(status_of)?;
            Ok::<_, Status>(ListMetricDefinitionsResponse {
                metric_definitions: all.into_iter().map(metric_to_pb).collect(),
            })
        })
    }

    async fn get_metric_definition(
        &self,
        req: Request<GetMetricDefinitionRequest>,
    ) -> Result<Response<pb::MetricDefinition>, Status> {
        call!(self.0, "GetMetricDefinition", req, |p, m| {
            self.0
                .app
                .metric_definition(&p, &m.key)
                .await
                .map(metric_to_pb)
                .map_err(status_of)
        })
    }

    async fn create_metric_definition(
        &self,
        req: Request<CreateMetricDefinitionRequest>,
    ) -> Result<Response<pb::MetricDefinition>, Status> {
        call!(self.0, "CreateMetricDefinition", req, |p, m| {
            let metric =
                new_metric_from_pb(m.metric_definition.unwrap_or_default()).map_err(invalid)?;
            self.0
                .app
                .create_metric(&p, metric)
                .await
                .map(metric_to_pb)
                .map_err(status_of)
        })
    }

    async fn delete_metric_definition(
        &self,
        req: Request<DeleteMetricDefinitionRequest>,
    ) -> Result<Response<()>, Status> {
        call!(self.0, "DeleteMetricDefinition", req, |p, m| {
            self.0
                .app
                .delete_metric(&p, &m.key, &if_match(m.etag))
                .await
                .map_err(status_of)
        })
    }

    async fn write_observations(
        &self,
        req: Request<WriteObservationsRequest>,
    ) -> Result<Response<WriteObservationsResponse>, Status> {
        call!(self.0, "WriteObservations", req, |p, m| {
            let batch = ObservationBatch {
                rows: m.observations.into_iter().map(draft_from_pb).collect(),
                atomic: m.atomic.unwrap_or(true),
            };
            self.0
                .app
                .write_observations(&p, batch)
                .await
                .map(outcome_to_pb)
                .map_err(status_of)
        })
    }

    async fn list_observations(
        &self,
        req: Request<ListObservationsRequest>,
    ) -> Result<Response<ListObservationsResponse>, Status> {
        call!(self.0, "ListObservations", req, |p, m| {
            let mut e = Invalid::default();
            let account_id = m
                .account_id
                .as_deref()
                .map(|id| convert::parse_id(&mut e, "account_id", id));
            let filter = ObservationFilter {
                account_id,
                metric: m.metric,
                from: parse_timestamp(&mut e, "from", m.from),
                to: parse_timestamp(&mut e, "to", m.to),
                within: None,
            };
            e.into_result().map_err(invalid)?;
            let page = convert::page(m.page_size, String::new());
            let token = (!m.page_token.is_empty()).then_some(m.page_token.as_str());
            let listed = self
                .0
                .app
                .observations(&p, &filter, page.page_size, token)
                .await
                .map_err(status_of)?;
            Ok::<_, Status>(ListObservationsResponse {
                observations: listed
                    .items
                    .into_iter()
                    .map(|o| pb::Observation {
                        account_id: o.account_id.to_string(),
                        metric: o.metric,
                        observed_at: Some(timestamp(o.observed_at)),
                        value: o.value,
                    })
                    .collect(),
                next_page_token: listed.next_page_token.unwrap_or_default(),
            })
        })
    }

    async fn list_metric_sets(
        &self,
        req: Request<ListMetricSetsRequest>,
    ) -> Result<Response<ListMetricSetsResponse>, Status> {
        call!(self.0, "ListMetricSets", req, |p, _m| {
            let all = self.0.app.metric_sets(&p).await.map_err(status_of)?;
            Ok::<_, Status>(ListMetricSetsResponse {
                metric_sets: all.into_iter().map(set_to_pb).collect(),
            })
        })
    }

    async fn get_metric_set(
        &self,
        req: Request<GetMetricSetRequest>,
    ) -> Result<Response<pb::MetricSet>, Status> {
        call!(self.0, "GetMetricSet", req, |p, m| {
            self.0
                .app
                .metric_set(&p, &m.key)
                .await
                .map(set_to_pb)
                .map_err(status_of)
        })
    }

    async fn create_metric_set(
        &self,
        req: Request<CreateMetricSetRequest>,
    ) -> Result<Response<pb::MetricSet>, Status> {
        call!(self.0, "CreateMetricSet", req, |p, m| {
            let set = set_from_pb(m.metric_set.unwrap_or_default());
            self.0
                .app
                .create_metric_set(&p, set)
                .await
                .map(set_to_pb)
                .map_err(status_of)
        })
    }

    async fn update_metric_set(
        &self,
        req: Request<UpdateMetricSetRequest>,
    ) -> Result<Response<pb::MetricSet>, Status> {
        call!(self.0, "UpdateMetricSet", req, |p, m| {
            let set = m.metric_set.unwrap_or_default();
            let etag = if_match(set.etag.clone());
            self.0
                .app
                .update_metric_set(&p, &m.key, set_from_pb(set), &etag)
                .await
                .map(set_to_pb)
                .map_err(status_of)
        })
    }

    async fn delete_metric_set(
        &self,
        req: Request<DeleteMetricSetRequest>,
    ) -> Result<Response<()>, Status> {
        call!(self.0, "DeleteMetricSet", req, |p, m| {
            self.0
                .app
                .delete_metric_set(&p, &m.key, &if_match(m.etag))
                .await
                .map_err(status_of)
        })
    }
}

fn settings_to_pb(s: AppSettings) -> pb::WorkspaceSettings {
    pb::WorkspaceSettings {
        fiscal_year_start_month: s.fiscal_year_start_month as i32,
        rate_limit: s.rate_limit.map(|l| l.to_string()),
        time_zone: s.time_zone.to_string(),
        etag: etag_of(s.version),
        influence: Some(pb::InfluenceWeights {
            buyer_and_sponsor: Some(s.influence.buyer_and_sponsor),
            champion: Some(s.influence.champion),
            others: Some(s.influence.others),
            purchase_multiplier: Some(s.influence.purchase_multiplier),
        }),
        renewal_window_days: s.renewal_window_days as i32,
    }
}

#[tonic::async_trait]
impl WorkspaceService for WorkspaceGrpc {
    async fn get_workspace_settings(
        &self,
        req: Request<GetWorkspaceSettingsRequest>,
    ) -> Result<Response<pb::WorkspaceSettings>, Status> {
        call!(self.0, "GetWorkspaceSettings", req, |p, _m| {
            self.0
                .app
                .workspace_settings(&p)
                .await
                .map(settings_to_pb)
                .map_err(status_of)
        })
    }

    async fn update_workspace_settings(
        &self,
        req: Request<UpdateWorkspaceSettingsRequest>,
    ) -> Result<Response<pb::WorkspaceSettings>, Status> {
        call!(self.0, "UpdateWorkspaceSettings", req, |p, m| {
            let settings = m.settings.unwrap_or_default();
            let etag = if_match(settings.etag.clone());
            let mut e = Invalid::default();
            let mut change = SettingsChange::default();
            let paths = mask_paths(
                m.update_mask,
                vec![
                    (
                        "fiscal_year_start_month",
                        settings.fiscal_year_start_month != 0,
                    ),
                    ("rate_limit", settings.rate_limit.is_some()),
                    ("time_zone", !settings.time_zone.is_empty()),
                    ("influence", settings.influence.is_some()),
                    ("renewal_window_days", settings.renewal_window_days != 0),
                ],
            );
            for path in paths {
                match path.as_str() {
                    "fiscal_year_start_month" => {
                        change.fiscal_year_start_month =
                            Some(i64::from(settings.fiscal_year_start_month))
                    }
                    "rate_limit" => change.rate_limit = Some(settings.rate_limit.clone()),
                    "time_zone" => change.time_zone = Some(settings.time_zone.clone()),
                    "influence" => {
                        let w = settings.influence.unwrap_or_default();
                        change.influence = InfluenceChange {
                            buyer_and_sponsor: w.buyer_and_sponsor,
                            champion: w.champion,
                            others: w.others,
                            purchase_multiplier: w.purchase_multiplier,
                        };
                    }
                    "renewal_window_days" => {
                        change.renewal_window_days = Some(i64::from(settings.renewal_window_days))
                    }
                    other => unknown_path(&mut e, other, "WorkspaceSettings"),
                }
            }
            e.into_result().map_err(invalid)?;
            self.0
                .app
                .update_workspace_settings(&p, change, &etag)
                .await
                .map(settings_to_pb)
                .map_err(status_of)
        })
    }
}

//! `csapi.v1.SuccessPlanService`: templates, plans and their parts, and
//! captured successes.
//!
//! Inputs are turned into the JSON the REST door takes and parsed by the
//! same domain types, so both doors accept and refuse exactly the same
//! things and name bad fields the same way (here under the request field
//! that carries them, e.g. `objective.weight`).

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::convert::{self, parse_timestamp, timestamp};
use super::pb::success_plan_service_server::SuccessPlanService;
use super::pb::{self, *};
use super::status::invalid_argument as invalid;
use super::{GrpcState, call, status_of};
use crate::app::{
    AppError, AssessedPlan, AssessedSuccess, PlanChange, PlanQuery, SuccessQuery, etag_of,
};
use crate::domain::Invalid;
use crate::domain::filter::PlanFilter;
use crate::domain::success_plan::{
    Kpi as DomainKpi, KpiDraft, KpiPatch, Milestone as DomainMilestone, MilestoneDraft,
    MilestonePatch, Objective as DomainObjective, PlanTemplate, TemplateFields,
};
use crate::domain::validation::{Checked, parse_value};

pub struct SuccessPlanGrpc(pub GrpcState);

/// A JSON number, or (for NaN and infinities, which JSON lacks) a string
/// the parser then refuses as not a number.
fn num(v: f64) -> Value {
    serde_json::Number::from_f64(v).map_or_else(|| Value::String(v.to_string()), Value::Number)
}

/// A JSON object of the fields that are set.
#[derive(Default)]
struct Obj(Map<String, Value>);

impl Obj {
    fn put(mut self, key: &str, v: impl Into<Value>) -> Self {
        self.0.insert(key.to_owned(), v.into());
        self
    }

    fn opt(self, key: &str, v: Option<impl Into<Value>>) -> Self {
        match v {
            Some(v) => self.put(key, v),
            None => self,
        }
    }

    fn num(self, key: &str, v: Option<f64>) -> Self {
        self.opt(key, v.map(num))
    }

    fn list<T>(self, key: &str, items: Vec<T>, f: impl Fn(T) -> Obj) -> Self {
        let items: Vec<Value> = items.into_iter().map(|i| Value::Object(f(i).0)).collect();
        self.put(key, items)
    }
}

/// Parses `json` as the REST door would, naming errors under `prefix`.
fn parse<T: DeserializeOwned + Checked>(prefix: &str, json: Obj) -> Result<T, Status> {
    parse_value(Value::Object(json.0)).map_err(|e| invalid(under(prefix, e)))
}

/// A use case's error, its bad fields named under the request field that carried them.
fn status_under(prefix: &'static str) -> impl Fn(AppError) -> Status {
    move |e| match e {
        AppError::Invalid(bad) => invalid(under(prefix, bad)),
        other => status_of(other),
    }
}

fn under(prefix: &str, e: Invalid) -> Invalid {
    if prefix.is_empty() {
        return e;
    }
    let mut out = Invalid::default();
    out.extend_under(prefix, e);
    out
}

/// The fields an update changes: the mask's (an absent one is cleared), or
/// (AIP-134) every populated one of `changeable` when the mask is empty.
fn masked(
    json: Obj,
    mask: Option<prost_types::FieldMask>,
    changeable: &[&str],
    message: &str,
) -> Result<Obj, Status> {
    let mut all = json.0;
    let mut out = Map::new();
    let mut e = Invalid::default();
    match mask.filter(|m| !m.paths.is_empty()) {
        Some(m) => {
            for path in m.paths {
                if changeable.contains(&path.as_str()) {
                    let v = all.remove(&path).unwrap_or(Value::Null);
                    out.insert(path, v);
                } else {
                    e.push(
                        "update_mask",
                        format!("{path:?} is not a field of {message} that can change"),
                    );
                }
            }
        }
        None => {
            for key in changeable {
                if let Some(v) = all.remove(*key).filter(populated) {
                    out.insert((*key).to_owned(), v);
                }
            }
        }
    }
    e.into_result().map_err(invalid)?;
    Ok(Obj(out))
}

fn populated(v: &Value) -> bool {
    match v {
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Null => false,
        _ => true,
    }
}

fn id(field: &str, raw: &str) -> Result<Uuid, Status> {
    convert::id(field, raw).map_err(invalid)
}

fn ids<const N: usize>(fields: [(&str, &str); N]) -> Result<[Uuid; N], Status> {
    let mut e = Invalid::default();
    let ids = fields.map(|(field, raw)| convert::parse_id(&mut e, field, raw));
    e.into_result().map_err(invalid)?;
    Ok(ids)
}

fn date(d: chrono::NaiveDate) -> String {
    d.to_string()
}

fn kpi_json(k: pb::Kpi) -> Obj {
    Obj::default()
        .put("name", k.name)
        .opt("metric_key", k.metric_key)
        .opt("unit", k.unit)
        .num("baseline", k.baseline)
        .num("target", k.target)
        .num("current", k.current)
}

fn milestone_json(m: pb::Milestone) -> Obj {
    Obj::default()
        .put("title", m.title)
        .opt("owner", m.owner)
        .opt("due_date", m.due_date)
        .opt("done", m.done)
        .opt("done_on", m.done_on)
}

fn objective_json(o: pb::Objective) -> Obj {
    Obj::default()
        .put("title", o.title)
        .opt("outcome", o.outcome)
        .num("weight", o.weight)
        .opt("due_date", o.due_date)
        .opt("status", o.status)
        .list("kpis", o.kpis, kpi_json)
        .list("milestones", o.milestones, milestone_json)
}

fn template_json(t: pb::SuccessPlanTemplate) -> Obj {
    Obj::default()
        .put("name", t.name)
        .opt("description", t.description)
        .put("duration_days", t.duration_days)
        .list("objectives", t.objectives, |o| {
            Obj::default()
                .put("title", o.title)
                .opt("outcome", o.outcome)
                .num("weight", o.weight)
                .opt("due_offset_days", o.due_offset_days)
                .list("kpis", o.kpis, |k| {
                    Obj::default()
                        .put("name", k.name)
                        .opt("metric_key", k.metric_key)
                        .opt("unit", k.unit)
                        .num("baseline", k.baseline)
                        .num("target", k.target)
                })
                .list("milestones", o.milestones, |m| {
                    Obj::default()
                        .put("title", m.title)
                        .opt("owner", m.owner)
                        .opt("due_offset_days", m.due_offset_days)
                })
        })
}

fn success_json(s: pb::Success) -> Obj {
    Obj::default()
        .put("account_id", s.account_id)
        .put("title", s.title)
        .opt("plan_id", s.plan_id)
        .opt("objective_id", s.objective_id)
        .opt("achieved_on", s.achieved_on)
        .opt(
            "outcome",
            s.outcome.map(|o| {
                Value::Object(
                    Obj::default()
                        .put("description", o.description)
                        .put("purposeful", o.purposeful)
                        .0,
                )
            }),
        )
        .opt("story", s.story)
        .list("reuse", s.reuse, |r| {
            Obj::default()
                .put("scope", r.scope)
                .put("description", r.description)
        })
        .opt(
            "measurable",
            s.measurable.map(|m| {
                Value::Object(
                    Obj::default()
                        .put("metric", m.metric)
                        .put("baseline", num(m.baseline))
                        .put("result", num(m.result))
                        .0,
                )
            }),
        )
        .opt(
            "permanence",
            s.permanence.map(|p| {
                Value::Object(
                    Obj::default()
                        .put("behaviour_change", p.behaviour_change)
                        .put("sustained_since", p.sustained_since)
                        .0,
                )
            }),
        )
}

fn kpi_to_pb(k: DomainKpi) -> pb::Kpi {
    pb::Kpi {
        id: k.id.to_string(),
        name: k.name,
        metric_key: k.metric_key,
        unit: k.unit.map(|u| u.as_str().to_owned()),
        baseline: Some(k.baseline),
        target: Some(k.target),
        current: k.current,
    }
}

fn milestone_to_pb(m: DomainMilestone) -> pb::Milestone {
    pb::Milestone {
        id: m.id.to_string(),
        title: m.title,
        owner: m.owner,
        due_date: m.due_date.map(date),
        done: Some(m.done),
        done_on: m.done_on.map(date),
    }
}

fn objective_to_pb(o: DomainObjective) -> pb::Objective {
    pb::Objective {
        id: o.id.to_string(),
        title: o.title,
        outcome: o.outcome,
        weight: Some(o.weight),
        due_date: o.due_date.map(date),
        status: Some(o.status.as_str().to_owned()),
        kpis: o.kpis.into_iter().map(kpi_to_pb).collect(),
        milestones: o.milestones.into_iter().map(milestone_to_pb).collect(),
    }
}

fn template_to_pb(t: PlanTemplate) -> pb::SuccessPlanTemplate {
    let f: TemplateFields = t.fields;
    pb::SuccessPlanTemplate {
        id: t.id.to_string(),
        name: f.name,
        description: f.description,
        duration_days: f.duration_days,
        objectives: f
            .objectives
            .into_iter()
            .map(|o| pb::TemplateObjective {
                title: o.title,
                outcome: o.outcome,
                weight: o.weight,
                due_offset_days: o.due_offset_days,
                kpis: o
                    .kpis
                    .into_iter()
                    .map(|k| pb::TemplateKpi {
                        name: k.name,
                        metric_key: k.metric_key,
                        unit: k.unit.map(|u| u.as_str().to_owned()),
                        baseline: Some(k.baseline),
                        target: Some(k.target),
                    })
                    .collect(),
                milestones: o
                    .milestones
                    .into_iter()
                    .map(|m| pb::TemplateMilestone {
                        title: m.title,
                        owner: m.owner,
                        due_offset_days: m.due_offset_days,
                    })
                    .collect(),
            })
            .collect(),
        created_at: Some(timestamp(t.created_at)),
        updated_at: Some(timestamp(t.updated_at)),
        etag: etag_of(t.version),
    }
}

fn summary_to_pb(a: &AssessedPlan) -> pb::ProgressSummary {
    let p = &a.progress;
    pb::ProgressSummary {
        as_of: date(p.as_of),
        progress: p.progress,
        expected_progress: p.expected,
        health: p.health.as_str().to_owned(),
    }
}

pub(super) fn plan_to_pb(a: AssessedPlan) -> pb::SuccessPlan {
    let progress = summary_to_pb(&a);
    let plan = a.plan;
    let f = plan.fields;
    pb::SuccessPlan {
        id: plan.id.to_string(),
        account_id: plan.account_id.to_string(),
        name: f.name,
        owner: f.owner,
        status: f.status.as_str().to_owned(),
        status_reason: f.status_reason,
        start_date: date(f.start_date),
        target_date: date(f.target_date),
        template_id: f.template_id.map(|t| t.to_string()),
        objectives: plan.objectives.into_iter().map(objective_to_pb).collect(),
        progress: Some(progress),
        created_at: Some(timestamp(plan.created_at)),
        updated_at: Some(timestamp(plan.updated_at)),
        etag: etag_of(plan.version),
    }
}

fn progress_to_pb(a: &AssessedPlan) -> pb::PlanProgress {
    let objectives = a
        .plan
        .objectives
        .iter()
        .zip(&a.progress.objectives)
        .map(|(o, op)| pb::ObjectiveProgress {
            objective_id: o.id.to_string(),
            title: o.title.clone(),
            weight: o.weight,
            progress: op.progress,
            kpis: o
                .kpis
                .iter()
                .zip(&op.kpis)
                .map(|(k, kp)| pb::KpiProgress {
                    kpi_id: k.id.to_string(),
                    name: k.name.clone(),
                    metric_key: k.metric_key.clone(),
                    baseline: k.baseline,
                    target: k.target,
                    current: kp.current,
                    observed_at: kp.observed_at.map(timestamp),
                    attainment: kp.attainment,
                })
                .collect(),
            milestones_done: u32::try_from(op.milestones_done).unwrap_or(u32::MAX),
            milestones_total: u32::try_from(op.milestones_total).unwrap_or(u32::MAX),
        })
        .collect();
    pb::PlanProgress {
        plan_id: a.plan.id.to_string(),
        summary: Some(summary_to_pb(a)),
        objectives,
        etag: etag_of(a.plan.version),
    }
}

pub(super) fn success_to_pb(a: AssessedSuccess) -> pb::Success {
    let s = a.success;
    let f = s.fields;
    let anatomy = f.anatomy;
    pb::Success {
        id: s.id.to_string(),
        account_id: s.account_id.to_string(),
        title: f.title,
        plan_id: f.plan_id.map(|i| i.to_string()),
        objective_id: f.objective_id.map(|i| i.to_string()),
        achieved_on: Some(date(f.achieved_on)),
        outcome: anatomy.outcome.map(|o| pb::SuccessOutcome {
            description: o.description,
            purposeful: o.purposeful,
        }),
        story: anatomy.story,
        reuse: anatomy
            .reuse
            .into_iter()
            .map(|r| pb::SuccessReuse {
                scope: r.scope.as_str().to_owned(),
                description: r.description,
            })
            .collect(),
        measurable: anatomy.measurable.map(|m| pb::SuccessMeasurable {
            metric: m.metric,
            baseline: m.baseline,
            result: m.result,
        }),
        permanence: anatomy.permanence.map(|p| pb::SuccessPermanence {
            behaviour_change: p.behaviour_change,
            sustained_since: date(p.sustained_since),
        }),
        anatomy_score: u32::from(a.anatomy_score),
        missing: a.missing.iter().map(|p| p.as_str().to_owned()).collect(),
        as_of: date(a.as_of),
        created_at: Some(timestamp(s.created_at)),
        updated_at: Some(timestamp(s.updated_at)),
        etag: etag_of(s.version),
    }
}

fn change<T, U>(c: PlanChange<T>, f: impl FnOnce(T) -> U) -> (U, pb::PlanProgress) {
    (f(c.item), progress_to_pb(&c.plan))
}

const OBJECTIVE_FIELDS: &[&str] = &["title", "outcome", "weight", "due_date", "status"];
const KPI_FIELDS: &[&str] = &[
    "name",
    "metric_key",
    "unit",
    "baseline",
    "target",
    "current",
];
const MILESTONE_FIELDS: &[&str] = &["title", "owner", "due_date", "done", "done_on"];
const TEMPLATE_FIELDS: &[&str] = &["name", "description", "duration_days", "objectives"];
const PLAN_FIELDS: &[&str] = &[
    "name",
    "owner",
    "status",
    "status_reason",
    "start_date",
    "target_date",
];
const SUCCESS_FIELDS: &[&str] = &[
    "title",
    "plan_id",
    "objective_id",
    "achieved_on",
    "outcome",
    "story",
    "reuse",
    "measurable",
    "permanence",
];

#[tonic::async_trait]
impl SuccessPlanService for SuccessPlanGrpc {
    async fn create_success_plan_template(
        &self,
        req: Request<CreateSuccessPlanTemplateRequest>,
    ) -> Result<Response<pb::SuccessPlanTemplate>, Status> {
        call!(self.0, "CreateSuccessPlanTemplate", req, |p, m| {
            let fields = parse("template", template_json(m.template.unwrap_or_default()))?;
            let t = self.0.app.create_template(&p, fields).await;
            t.map(template_to_pb).map_err(status_under("template"))
        })
    }

    async fn get_success_plan_template(
        &self,
        req: Request<GetSuccessPlanTemplateRequest>,
    ) -> Result<Response<pb::SuccessPlanTemplate>, Status> {
        call!(self.0, "GetSuccessPlanTemplate", req, |p, m| {
            let id = id("id", &m.id)?;
            let t = self.0.app.template(&p, id).await;
            t.map(template_to_pb).map_err(status_of)
        })
    }

    async fn list_success_plan_templates(
        &self,
        req: Request<ListSuccessPlanTemplatesRequest>,
    ) -> Result<Response<ListSuccessPlanTemplatesResponse>, Status> {
        call!(self.0, "ListSuccessPlanTemplates", req, |p, m| {
            let mut e = Invalid::default();
            let since = parse_timestamp(&mut e, "updated_since", m.updated_since);
            e.into_result().map_err(invalid)?;
            let page = convert::page(m.page_size, m.page_token);
            let listed = self.0.app.templates(&p, since, &page).await;
            listed
                .map(|l| ListSuccessPlanTemplatesResponse {
                    templates: l.items.into_iter().map(template_to_pb).collect(),
                    next_page_token: l.next_page_token.unwrap_or_default(),
                })
                .map_err(status_of)
        })
    }

    async fn update_success_plan_template(
        &self,
        req: Request<UpdateSuccessPlanTemplateRequest>,
    ) -> Result<Response<pb::SuccessPlanTemplate>, Status> {
        call!(self.0, "UpdateSuccessPlanTemplate", req, |p, m| {
            let t = m.template.unwrap_or_default();
            let id = id("template.id", &t.id)?;
            let etag = convert::if_match(t.etag.clone());
            let json = masked(
                template_json(t),
                m.update_mask,
                TEMPLATE_FIELDS,
                "SuccessPlanTemplate",
            )?;
            let patch = parse("template", json)?;
            let t = self.0.app.update_template(&p, id, patch, &etag).await;
            t.map(template_to_pb).map_err(status_under("template"))
        })
    }

    async fn delete_success_plan_template(
        &self,
        req: Request<DeleteSuccessPlanTemplateRequest>,
    ) -> Result<Response<()>, Status> {
        call!(self.0, "DeleteSuccessPlanTemplate", req, |p, m| {
            let id = id("id", &m.id)?;
            let done = self
                .0
                .app
                .delete_template(&p, id, &convert::if_match(m.etag))
                .await;
            done.map_err(status_of)
        })
    }

    async fn create_success_plan(
        &self,
        req: Request<CreateSuccessPlanRequest>,
    ) -> Result<Response<pb::SuccessPlan>, Status> {
        call!(self.0, "CreateSuccessPlan", req, |p, m| {
            let json = Obj::default()
                .put("account_id", m.account_id)
                .opt("name", m.name)
                .opt("owner", m.owner)
                .opt("status", m.status)
                .opt("status_reason", m.status_reason)
                .opt("start_date", m.start_date)
                .opt("target_date", m.target_date)
                .opt("template_id", m.template_id);
            let new = parse("", json)?;
            let plan = self.0.app.create_plan(&p, new).await;
            plan.map(plan_to_pb).map_err(status_under(""))
        })
    }

    async fn get_success_plan(
        &self,
        req: Request<GetSuccessPlanRequest>,
    ) -> Result<Response<pb::SuccessPlan>, Status> {
        call!(self.0, "GetSuccessPlan", req, |p, m| {
            let id = id("id", &m.id)?;
            self.0
                .app
                .plan(&p, id)
                .await
                .map(plan_to_pb)
                .map_err(status_of)
        })
    }

    async fn list_success_plans(
        &self,
        req: Request<ListSuccessPlansRequest>,
    ) -> Result<Response<ListSuccessPlansResponse>, Status> {
        call!(self.0, "ListSuccessPlans", req, |p, m| {
            let mut e = Invalid::default();
            let account_id = m
                .account_id
                .map(|a| convert::parse_id(&mut e, "account_id", &a));
            let query = PlanQuery {
                filter: PlanFilter {
                    account_id,
                    status: convert::parse_opt(&mut e, "status", m.status, "a plan status"),
                    owner: m.owner,
                    updated_since: parse_timestamp(&mut e, "updated_since", m.updated_since),
                },
                health: convert::parse_opt(
                    &mut e,
                    "health",
                    m.health,
                    "on_track, at_risk or off_track",
                ),
            };
            e.into_result().map_err(invalid)?;
            let page = convert::page(m.page_size, m.page_token);
            let listed = self.0.app.plans(&p, &query, &page).await;
            listed
                .map(|l| ListSuccessPlansResponse {
                    plans: l.items.into_iter().map(plan_to_pb).collect(),
                    next_page_token: l.next_page_token.unwrap_or_default(),
                })
                .map_err(status_of)
        })
    }

    async fn update_success_plan(
        &self,
        req: Request<UpdateSuccessPlanRequest>,
    ) -> Result<Response<pb::SuccessPlan>, Status> {
        call!(self.0, "UpdateSuccessPlan", req, |p, m| {
            let plan = m.plan.unwrap_or_default();
            let id = id("plan.id", &plan.id)?;
            let etag = convert::if_match(plan.etag.clone());
            let json = Obj::default()
                .put("name", plan.name)
                .opt("owner", plan.owner)
                .put("status", plan.status)
                .opt("status_reason", plan.status_reason)
                .put("start_date", plan.start_date)
                .put("target_date", plan.target_date);
            let patch = parse(
                "plan",
                masked(json, m.update_mask, PLAN_FIELDS, "SuccessPlan")?,
            )?;
            let plan = self.0.app.update_plan(&p, id, patch, &etag).await;
            plan.map(plan_to_pb).map_err(status_of)
        })
    }

    async fn delete_success_plan(
        &self,
        req: Request<DeleteSuccessPlanRequest>,
    ) -> Result<Response<()>, Status> {
        call!(self.0, "DeleteSuccessPlan", req, |p, m| {
            let id = id("id", &m.id)?;
            let done = self
                .0
                .app
                .delete_plan(&p, id, &convert::if_match(m.etag))
                .await;
            done.map_err(status_of)
        })
    }

    async fn get_success_plan_progress(
        &self,
        req: Request<GetSuccessPlanProgressRequest>,
    ) -> Result<Response<pb::PlanProgress>, Status> {
        call!(self.0, "GetSuccessPlanProgress", req, |p, m| {
            let id = id("id", &m.id)?;
            let mut e = Invalid::default();
            let as_of = convert::parse_date(&mut e, "as_of", m.as_of);
            e.into_result().map_err(invalid)?;
            let a = self.0.app.plan_progress(&p, id, as_of).await;
            a.map(|a| progress_to_pb(&a)).map_err(status_of)
        })
    }

    async fn create_objective(
        &self,
        req: Request<CreateObjectiveRequest>,
    ) -> Result<Response<ObjectiveChange>, Status> {
        call!(self.0, "CreateObjective", req, |p, m| {
            let plan_id = id("plan_id", &m.plan_id)?;
            let draft = parse("objective", objective_json(m.objective.unwrap_or_default()))?;
            let c = self
                .0
                .app
                .add_objective(&p, plan_id, draft, &convert::if_match(m.etag))
                .await;
            c.map(|c| {
                let (objective, progress) = change(c, objective_to_pb);
                ObjectiveChange {
                    objective: Some(objective),
                    progress: Some(progress),
                }
            })
            .map_err(status_under("objective"))
        })
    }

    async fn get_objective(
        &self,
        req: Request<GetObjectiveRequest>,
    ) -> Result<Response<pb::Objective>, Status> {
        call!(self.0, "GetObjective", req, |p, m| {
            let [plan_id, objective_id] =
                ids([("plan_id", &m.plan_id), ("objective_id", &m.objective_id)])?;
            let o = self.0.app.objective(&p, plan_id, objective_id).await;
            o.map(|(o, _)| objective_to_pb(o)).map_err(status_of)
        })
    }

    async fn update_objective(
        &self,
        req: Request<UpdateObjectiveRequest>,
    ) -> Result<Response<ObjectiveChange>, Status> {
        call!(self.0, "UpdateObjective", req, |p, m| {
            let o = m.objective.unwrap_or_default();
            let [plan_id, objective_id] = ids([("plan_id", &m.plan_id), ("objective.id", &o.id)])?;
            let json = masked(
                objective_json(o),
                m.update_mask,
                OBJECTIVE_FIELDS,
                "Objective",
            )?;
            let patch = parse("objective", json)?;
            let c = self
                .0
                .app
                .update_objective(&p, plan_id, objective_id, patch, &convert::if_match(m.etag))
                .await;
            c.map(|c| {
                let (objective, progress) = change(c, objective_to_pb);
                ObjectiveChange {
                    objective: Some(objective),
                    progress: Some(progress),
                }
            })
            .map_err(status_under("objective"))
        })
    }

    async fn delete_objective(
        &self,
        req: Request<DeleteObjectiveRequest>,
    ) -> Result<Response<pb::PlanProgress>, Status> {
        call!(self.0, "DeleteObjective", req, |p, m| {
            let [plan_id, objective_id] =
                ids([("plan_id", &m.plan_id), ("objective_id", &m.objective_id)])?;
            let a = self
                .0
                .app
                .remove_objective(&p, plan_id, objective_id, &convert::if_match(m.etag))
                .await;
            a.map(|a| progress_to_pb(&a)).map_err(status_of)
        })
    }

    async fn create_kpi(
        &self,
        req: Request<CreateKpiRequest>,
    ) -> Result<Response<KpiChange>, Status> {
        call!(self.0, "CreateKpi", req, |p, m| {
            let [plan_id, objective_id] =
                ids([("plan_id", &m.plan_id), ("objective_id", &m.objective_id)])?;
            let draft: KpiDraft = parse("kpi", kpi_json(m.kpi.unwrap_or_default()))?;
            let c = self
                .0
                .app
                .add_part(
                    &p,
                    plan_id,
                    objective_id,
                    draft.into_kpi(),
                    &convert::if_match(m.etag),
                )
                .await;
            c.map(|c| {
                let (kpi, progress) = change(c, kpi_to_pb);
                KpiChange {
                    kpi: Some(kpi),
                    progress: Some(progress),
                }
            })
            .map_err(status_under("kpi"))
        })
    }

    async fn get_kpi(&self, req: Request<GetKpiRequest>) -> Result<Response<pb::Kpi>, Status> {
        call!(self.0, "GetKpi", req, |p, m| {
            let [plan_id, objective_id, kpi_id] = ids([
                ("plan_id", &m.plan_id),
                ("objective_id", &m.objective_id),
                ("kpi_id", &m.kpi_id),
            ])?;
            let k = self
                .0
                .app
                .part::<DomainKpi>(&p, plan_id, objective_id, kpi_id)
                .await;
            k.map(|(k, _)| kpi_to_pb(k)).map_err(status_of)
        })
    }

    async fn update_kpi(
        &self,
        req: Request<UpdateKpiRequest>,
    ) -> Result<Response<KpiChange>, Status> {
        call!(self.0, "UpdateKpi", req, |p, m| {
            let k = m.kpi.unwrap_or_default();
            let [plan_id, objective_id, kpi_id] = ids([
                ("plan_id", &m.plan_id),
                ("objective_id", &m.objective_id),
                ("kpi.id", &k.id),
            ])?;
            let patch: KpiPatch = parse(
                "kpi",
                masked(kpi_json(k), m.update_mask, KPI_FIELDS, "Kpi")?,
            )?;
            let c = self
                .0
                .app
                .update_part(
                    &p,
                    plan_id,
                    objective_id,
                    kpi_id,
                    patch,
                    &convert::if_match(m.etag),
                )
                .await;
            c.map(|c| {
                let (kpi, progress) = change(c, kpi_to_pb);
                KpiChange {
                    kpi: Some(kpi),
                    progress: Some(progress),
                }
            })
            .map_err(status_of)
        })
    }

    async fn delete_kpi(
        &self,
        req: Request<DeleteKpiRequest>,
    ) -> Result<Response<pb::PlanProgress>, Status> {
        call!(self.0, "DeleteKpi", req, |p, m| {
            let [plan_id, objective_id, kpi_id] = ids([
                ("plan_id", &m.plan_id),
                ("objective_id", &m.objective_id),
                ("kpi_id", &m.kpi_id),
            ])?;
            let a = self
                .0
                .app
                .remove_part::<DomainKpi>(
                    &p,
                    plan_id,
                    objective_id,
                    kpi_id,
                    &convert::if_match(m.etag),
                )
                .await;
            a.map(|a| progress_to_pb(&a)).map_err(status_of)
        })
    }

    async fn create_milestone(
        &self,
        req: Request<CreateMilestoneRequest>,
    ) -> Result<Response<MilestoneChange>, Status> {
        call!(self.0, "CreateMilestone", req, |p, m| {
            let [plan_id, objective_id] =
                ids([("plan_id", &m.plan_id), ("objective_id", &m.objective_id)])?;
            let draft: MilestoneDraft =
                parse("milestone", milestone_json(m.milestone.unwrap_or_default()))?;
            let c = self
                .0
                .app
                .add_part(
                    &p,
                    plan_id,
                    objective_id,
                    draft.into_milestone(),
                    &convert::if_match(m.etag),
                )
                .await;
            c.map(|c| {
                let (milestone, progress) = change(c, milestone_to_pb);
                MilestoneChange {
                    milestone: Some(milestone),
                    progress: Some(progress),
                }
            })
            .map_err(status_under("milestone"))
        })
    }

    async fn get_milestone(
        &self,
        req: Request<GetMilestoneRequest>,
    ) -> Result<Response<pb::Milestone>, Status> {
        call!(self.0, "GetMilestone", req, |p, m| {
            let [plan_id, objective_id, milestone_id] = ids([
                ("plan_id", &m.plan_id),
                ("objective_id", &m.objective_id),
                ("milestone_id", &m.milestone_id),
            ])?;
            let ms = self
                .0
                .app
                .part::<DomainMilestone>(&p, plan_id, objective_id, milestone_id)
                .await;
            ms.map(|(ms, _)| milestone_to_pb(ms)).map_err(status_of)
        })
    }

    async fn update_milestone(
        &self,
        req: Request<UpdateMilestoneRequest>,
    ) -> Result<Response<MilestoneChange>, Status> {
        call!(self.0, "UpdateMilestone", req, |p, m| {
            let ms = m.milestone.unwrap_or_default();
            let [plan_id, objective_id, milestone_id] = ids([
                ("plan_id", &m.plan_id),
                ("objective_id", &m.objective_id),
                ("milestone.id", &ms.id),
            ])?;
            let json = masked(
                milestone_json(ms),
                m.update_mask,
                MILESTONE_FIELDS,
                "Milestone",
            )?;
            let patch: MilestonePatch = parse("milestone", json)?;
            let c = self
                .0
                .app
                .update_part(
                    &p,
                    plan_id,
                    objective_id,
                    milestone_id,
                    patch,
                    &convert::if_match(m.etag),
                )
                .await;
            c.map(|c| {
                let (milestone, progress) = change(c, milestone_to_pb);
                MilestoneChange {
                    milestone: Some(milestone),
                    progress: Some(progress),
                }
            })
            .map_err(status_under("milestone"))
        })
    }

    async fn delete_milestone(
        &self,
        req: Request<DeleteMilestoneRequest>,
    ) -> Result<Response<pb::PlanProgress>, Status> {
        call!(self.0, "DeleteMilestone", req, |p, m| {
            let [plan_id, objective_id, milestone_id] = ids([
                ("plan_id", &m.plan_id),
                ("objective_id", &m.objective_id),
                ("milestone_id", &m.milestone_id),
            ])?;
            let a = self
                .0
                .app
                .remove_part::<DomainMilestone>(
                    &p,
                    plan_id,
                    objective_id,
                    milestone_id,
                    &convert::if_match(m.etag),
                )
                .await;
            a.map(|a| progress_to_pb(&a)).map_err(status_of)
        })
    }

    async fn create_success(
        &self,
        req: Request<CreateSuccessRequest>,
    ) -> Result<Response<pb::Success>, Status> {
        call!(self.0, "CreateSuccess", req, |p, m| {
            let draft = parse("success", success_json(m.success.unwrap_or_default()))?;
            let s = self.0.app.create_success(&p, draft).await;
            s.map(success_to_pb).map_err(status_under("success"))
        })
    }

    async fn get_success(
        &self,
        req: Request<GetSuccessRequest>,
    ) -> Result<Response<pb::Success>, Status> {
        call!(self.0, "GetSuccess", req, |p, m| {
            let id = id("id", &m.id)?;
            let mut e = Invalid::default();
            let as_of = convert::parse_date(&mut e, "as_of", m.as_of);
            e.into_result().map_err(invalid)?;
            let s = self.0.app.success(&p, id, as_of).await;
            s.map(success_to_pb).map_err(status_of)
        })
    }

    async fn list_successes(
        &self,
        req: Request<ListSuccessesRequest>,
    ) -> Result<Response<ListSuccessesResponse>, Status> {
        call!(self.0, "ListSuccesses", req, |p, m| {
            let mut e = Invalid::default();
            let account_id = m
                .account_id
                .map(|a| convert::parse_id(&mut e, "account_id", &a));
            let query = SuccessQuery {
                account_id,
                min_score: m.min_score.map(i64::from),
                missing: convert::parse_opt(&mut e, "missing", m.missing, "a part of a success"),
                reusable_in: convert::parse_opt(
                    &mut e,
                    "reusable_in",
                    m.reusable_in,
                    "a reuse scope",
                ),
                as_of: convert::parse_date(&mut e, "as_of", m.as_of),
                updated_since: parse_timestamp(&mut e, "updated_since", m.updated_since),
            };
            e.into_result().map_err(invalid)?;
            let page = convert::page(m.page_size, m.page_token);
            let listed = self.0.app.successes(&p, &query, &page).await;
            listed
                .map(|l| ListSuccessesResponse {
                    successes: l.items.into_iter().map(success_to_pb).collect(),
                    next_page_token: l.next_page_token.unwrap_or_default(),
                })
                .map_err(status_of)
        })
    }

    async fn update_success(
        &self,
        req: Request<UpdateSuccessRequest>,
    ) -> Result<Response<pb::Success>, Status> {
        call!(self.0, "UpdateSuccess", req, |p, m| {
            let s = m.success.unwrap_or_default();
            let id = id("success.id", &s.id)?;
            let etag = convert::if_match(s.etag.clone());
            let json = masked(success_json(s), m.update_mask, SUCCESS_FIELDS, "Success")?;
            let patch = parse("success", json)?;
            let s = self.0.app.update_success(&p, id, patch, &etag).await;
            s.map(success_to_pb).map_err(status_under("success"))
        })
    }

    async fn delete_success(
        &self,
        req: Request<DeleteSuccessRequest>,
    ) -> Result<Response<()>, Status> {
        call!(self.0, "DeleteSuccess", req, |p, m| {
            let id = id("id", &m.id)?;
            let done = self
                .0
                .app
                .delete_success(&p, id, &convert::if_match(m.etag))
                .await;
            done.map_err(status_of)
        })
    }
}

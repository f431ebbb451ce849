//! From the use cases' results to the service's messages, and the ids and
//! errors every method shares.

use tonic::Status;
use uuid::Uuid;

use super::super::convert::{self, timestamp};
use super::super::pb::{self};
use super::super::status::invalid_argument as invalid;
use super::super::status_of;
use crate::app::{AppError, AssessedPlan, AssessedSuccess, PlanChange, etag_of};
use crate::domain::Invalid;
use crate::domain::success_plan::{
    Kpi as DomainKpi, Milestone as DomainMilestone, Objective as DomainObjective, PlanTemplate,
    TemplateFields,
};
use crate::domain::success_reuse::RecordedReuse;

/// A use case's error, its bad fields named under the request field that carried them.
pub(super) fn status_under(prefix: &'static str) -> impl Fn(AppError) -> Status {
    move |e| match e {
        AppError::Invalid(bad) => invalid(under(prefix, bad)),
        other => status_of(other),
    }
}

pub(super) fn under(prefix: &str, e: Invalid) -> Invalid {
    if prefix.is_empty() {
        return e;
    }
    let mut out = Invalid::default();
    out.extend_under(prefix, e);
    out
}

pub(super) fn id(field: &str, raw: &str) -> Result<Uuid, Status> {
    convert::id(field, raw).map_err(invalid)
}

pub(super) fn ids<const N: usize>(fields: [(&str, &str); N]) -> Result<[Uuid; N], Status> {
    let mut e = Invalid::default();
    let ids = fields.map(|(field, raw)| convert::parse_id(&mut e, field, raw));
    e.into_result().map_err(invalid)?;
    Ok(ids)
}

pub(super) fn date(d: chrono::NaiveDate) -> String {
    d.to_string()
}

pub(super) fn kpi_to_pb(k: DomainKpi) -> pb::Kpi {
    pb::Kpi {
        id: k.id.to_string(),
        name: k.name,
        metric_key: k.metric_key,
        unit: k.unit.map(|u| u.as_str().to_owned()),
        baseline: Some(k.baseline),
        target: Some(k.target),
        current: k.current,
        created_at: k.created_at.map(timestamp),
        history: k
            .history
            .into_iter()
            .map(|v| pb::KpiValue {
                value: v.value,
                at: Some(timestamp(v.at)),
            })
            .collect(),
    }
}

pub(super) fn milestone_to_pb(m: DomainMilestone) -> pb::Milestone {
    pb::Milestone {
        id: m.id.to_string(),
        title: m.title,
        owner: m.owner,
        due_date: m.due_date.map(date),
        done: Some(m.done),
        done_on: m.done_on.map(date),
        created_at: m.created_at.map(timestamp),
    }
}

pub(super) fn objective_to_pb(o: DomainObjective) -> pb::Objective {
    pb::Objective {
        id: o.id.to_string(),
        title: o.title,
        outcome: o.outcome,
        weight: Some(o.weight),
        due_date: o.due_date.map(date),
        status: Some(o.status.as_str().to_owned()),
        kpis: o.kpis.into_iter().map(kpi_to_pb).collect(),
        milestones: o.milestones.into_iter().map(milestone_to_pb).collect(),
        created_at: o.created_at.map(timestamp),
    }
}

pub(super) fn template_to_pb(t: PlanTemplate) -> pb::SuccessPlanTemplate {
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

pub(super) fn summary_to_pb(a: &AssessedPlan) -> pb::ProgressSummary {
    let p = &a.progress;
    pb::ProgressSummary {
        as_of: date(p.as_of),
        progress: p.progress,
        expected_progress: p.expected,
        health: p.health.as_str().to_owned(),
    }
}

pub(in crate::grpc) fn plan_to_pb(a: AssessedPlan) -> pb::SuccessPlan {
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

pub(super) fn progress_to_pb(a: &AssessedPlan) -> pb::PlanProgress {
    let objectives = a
        .progress
        .objectives_of(&a.plan)
        .map(|(o, op)| pb::ObjectiveProgress {
            objective_id: o.id.to_string(),
            title: o.title.clone(),
            weight: o.weight,
            progress: op.progress,
            kpis: op
                .kpis_of(o)
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

pub(in crate::grpc) fn success_to_pb(a: AssessedSuccess) -> pb::Success {
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
            target: m.target,
            kpi_id: m.kpi_id.map(|k| k.to_string()),
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
        reuse_count: u32::try_from(s.reuses.len()).unwrap_or(u32::MAX),
        reuses: s.reuses.into_iter().map(recorded_reuse_to_pb).collect(),
    }
}

pub(super) fn recorded_reuse_to_pb(r: RecordedReuse) -> pb::RecordedReuse {
    pb::RecordedReuse {
        id: r.id.to_string(),
        account_id: r.account_id.to_string(),
        plan_id: r.plan_id.map(|i| i.to_string()),
        objective_id: r.objective_id.map(|i| i.to_string()),
        applied_on: Some(date(r.applied_on)),
        outcome: r.outcome,
        result: r.result.map(|x| pb::ReuseResult {
            baseline: x.baseline,
            target: x.target,
            value: x.value,
        }),
        recorded_at: Some(timestamp(r.recorded_at)),
    }
}

/// A reuse's field errors as the request carries them: under `reuse.`, but
/// for the account ref beside it and the success itself.
pub(super) fn reuse_status(e: AppError) -> Status {
    match e {
        AppError::Invalid(bad) => {
            let mut out = Invalid::default();
            for f in bad.0 {
                let beside = f.field.starts_with("account_ref") || f.field == "success";
                let field = if beside {
                    f.field
                } else {
                    format!("reuse.{}", f.field)
                };
                out.push(field, f.message);
            }
            invalid(out)
        }
        other => status_of(other),
    }
}

pub(super) fn change<T, U>(c: PlanChange<T>, f: impl FnOnce(T) -> U) -> (U, pb::PlanProgress) {
    (f(c.item), progress_to_pb(&c.plan))
}

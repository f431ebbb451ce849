//! From the service's messages to the domain's drafts and patches, field by
//! field. Every bad field is named under the request field that carried it
//! (`objective.kpis[0].unit`) and all are answered at once; what the fields
//! mean together is then the use case's check, the same one REST meets.

use std::mem::take;

use chrono::NaiveDate;
use tonic::Status;
use uuid::Uuid;

use super::super::convert::{
    mask_paths, parse_date, parse_id, parse_opt, ref_from_pb, unknown_path,
};
use super::super::pb;
use super::super::status::invalid_argument as invalid;
use crate::domain::success::{
    Measurable, Outcome, Permanence, Reuse, ReuseScope, SuccessDraft, SuccessPatch,
};
use crate::domain::success_plan::{
    KpiDraft, KpiPatch, MilestoneDraft, MilestonePatch, NewPlan, ObjectiveDraft, ObjectivePatch,
    PlanPatch, TemplateFields, TemplateKpi, TemplateMilestone, TemplateObjective, TemplatePatch,
};
use crate::domain::success_reuse::{ReuseDraft, ReuseResult};
use crate::domain::{Invalid, RecordKey};

/// Why a required field was left out, or cleared through a mask.
const REQUIRED: &str = "is required";
const NOT_CLEARABLE: &str = "is required and cannot be cleared: leave it out to keep it";

/// Reads a request's fields with `read`; any bad one refuses the request.
pub(super) fn read<T>(read: impl FnOnce(&mut Invalid) -> T) -> Result<T, Status> {
    let mut e = Invalid::default();
    let v = read(&mut e);
    e.into_result().map_err(invalid)?;
    Ok(v)
}

/// `field` of the message at `at`.
fn at(at: &str, field: &str) -> String {
    if at.is_empty() {
        field.to_owned()
    } else {
        format!("{at}.{field}")
    }
}

/// A required value; a stand-in (never used: the request is refused) when absent.
fn required<T: Default>(e: &mut Invalid, field: String, v: Option<T>) -> T {
    v.unwrap_or_else(|| {
        e.push(field, REQUIRED);
        T::default()
    })
}

fn date(e: &mut Invalid, field: String, raw: Option<String>) -> Option<NaiveDate> {
    parse_date(e, &field, raw)
}

fn opt_id(e: &mut Invalid, field: String, raw: Option<String>) -> Option<Uuid> {
    raw.map(|r| parse_id(e, &field, &r))
}

fn unit(
    e: &mut Invalid,
    field: String,
    raw: Option<String>,
) -> Option<crate::domain::metric::Unit> {
    parse_opt(e, &field, raw, "a unit")
}

fn each<M, T>(
    e: &mut Invalid,
    field: String,
    items: Vec<M>,
    f: impl Fn(&mut Invalid, &str, M) -> T,
) -> Vec<T> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, m)| f(e, &format!("{field}[{i}]"), m))
        .collect()
}

/// A proto3 string left at its default is absent.
fn nonempty(s: String) -> Option<String> {
    Some(s).filter(|s| !s.is_empty())
}

/// A masked field that may be left out of a patch but not cleared.
fn kept<T>(e: &mut Invalid, field: &str, v: Option<T>) -> Option<T> {
    if v.is_none() {
        e.push(field, NOT_CLEARABLE);
    }
    v
}

pub(super) fn kpi_draft(e: &mut Invalid, here: &str, k: pb::Kpi) -> KpiDraft {
    KpiDraft {
        name: k.name,
        metric_key: k.metric_key,
        unit: unit(e, at(here, "unit"), k.unit),
        baseline: required(e, at(here, "baseline"), k.baseline),
        target: required(e, at(here, "target"), k.target),
        current: k.current,
    }
}

pub(super) fn milestone_draft(e: &mut Invalid, here: &str, m: pb::Milestone) -> MilestoneDraft {
    MilestoneDraft {
        title: m.title,
        owner: m.owner,
        due_date: date(e, at(here, "due_date"), m.due_date),
        done: m.done,
        done_on: date(e, at(here, "done_on"), m.done_on),
    }
}

pub(super) fn objective_draft(e: &mut Invalid, here: &str, o: pb::Objective) -> ObjectiveDraft {
    ObjectiveDraft {
        title: o.title,
        outcome: o.outcome,
        weight: o.weight,
        due_date: date(e, at(here, "due_date"), o.due_date),
        status: parse_opt(e, &at(here, "status"), o.status, "an objective status"),
        kpis: Some(each(e, at(here, "kpis"), o.kpis, kpi_draft)),
        milestones: Some(each(
            e,
            at(here, "milestones"),
            o.milestones,
            milestone_draft,
        )),
    }
}

pub(super) fn template_fields(
    e: &mut Invalid,
    here: &str,
    t: pb::SuccessPlanTemplate,
) -> TemplateFields {
    TemplateFields {
        name: t.name,
        description: t.description,
        duration_days: t.duration_days,
        objectives: each(e, at(here, "objectives"), t.objectives, template_objective),
    }
}

fn template_objective(e: &mut Invalid, here: &str, o: pb::TemplateObjective) -> TemplateObjective {
    TemplateObjective {
        title: o.title,
        outcome: o.outcome,
        weight: o.weight,
        due_offset_days: o.due_offset_days,
        kpis: each(e, at(here, "kpis"), o.kpis, |e, here, k| TemplateKpi {
            name: k.name,
            metric_key: k.metric_key,
            unit: unit(e, at(here, "unit"), k.unit),
            baseline: required(e, at(here, "baseline"), k.baseline),
            target: required(e, at(here, "target"), k.target),
        }),
        milestones: o
            .milestones
            .into_iter()
            .map(|m| TemplateMilestone {
                title: m.title,
                owner: m.owner,
                due_offset_days: m.due_offset_days,
            })
            .collect(),
    }
}

pub(super) fn new_plan(e: &mut Invalid, m: pb::CreateSuccessPlanRequest) -> NewPlan {
    NewPlan {
        account_id: parse_id(e, "account_id", &m.account_id),
        name: m.name,
        owner: m.owner,
        status: parse_opt(e, "status", m.status, "a plan status"),
        status_reason: m.status_reason,
        start_date: date(e, "start_date".into(), m.start_date),
        target_date: date(e, "target_date".into(), m.target_date),
        template_id: opt_id(e, "template_id".into(), m.template_id),
    }
}

pub(super) fn success_draft(e: &mut Invalid, here: &str, s: pb::Success) -> SuccessDraft {
    SuccessDraft {
        account_id: parse_id(e, &at(here, "account_id"), &s.account_id),
        title: s.title,
        plan_id: opt_id(e, at(here, "plan_id"), s.plan_id),
        objective_id: opt_id(e, at(here, "objective_id"), s.objective_id),
        achieved_on: date(e, at(here, "achieved_on"), s.achieved_on),
        outcome: s.outcome.map(outcome),
        story: s.story,
        reuse: Some(each(e, at(here, "reuse"), s.reuse, reuse)),
        measurable: s.measurable.map(|m| measurable(e, here, m)),
        permanence: s.permanence.map(|p| permanence(e, here, p)),
    }
}

/// A reuse from a request: the account by `reuse.account_id` or `account_ref`.
pub(super) fn reuse_draft(e: &mut Invalid, m: pb::RecordSuccessReuseRequest) -> ReuseDraft {
    let r = m.reuse.unwrap_or_default();
    let account_id = (!r.account_id.is_empty() || m.account_ref.is_none())
        .then(|| parse_id(e, "reuse.account_id", &r.account_id));
    let account = RecordKey::one_of(
        m.account_ref.map(ref_from_pb),
        account_id,
        ("account_ref", "reuse.account_id"),
    )
    .unwrap_or_else(|bad| {
        e.0.extend(bad.0);
        RecordKey::Id(Uuid::nil())
    });
    ReuseDraft {
        account,
        plan_id: opt_id(e, "reuse.plan_id".into(), r.plan_id),
        objective_id: opt_id(e, "reuse.objective_id".into(), r.objective_id),
        applied_on: date(e, "reuse.applied_on".into(), r.applied_on),
        outcome: r.outcome,
        result: r.result.map(|x| ReuseResult {
            baseline: x.baseline,
            target: x.target,
            value: x.value,
        }),
    }
}

fn outcome(o: pb::SuccessOutcome) -> Outcome {
    Outcome {
        description: o.description,
        purposeful: o.purposeful,
    }
}

fn reuse(e: &mut Invalid, here: &str, r: pb::SuccessReuse) -> Reuse {
    let scope = parse_opt(e, &at(here, "scope"), Some(r.scope), "a reuse scope");
    Reuse {
        // A stand-in only while the request is refused for the bad scope.
        scope: scope.unwrap_or(ReuseScope::Team),
        description: r.description,
    }
}

fn measurable(e: &mut Invalid, here: &str, m: pb::SuccessMeasurable) -> Measurable {
    Measurable {
        metric: m.metric,
        baseline: m.baseline,
        result: m.result,
        target: m.target,
        kpi_id: opt_id(e, at(here, "measurable.kpi_id"), m.kpi_id),
    }
}

fn permanence(e: &mut Invalid, here: &str, p: pb::SuccessPermanence) -> Permanence {
    let field = at(here, "permanence.sustained_since");
    let since = required(e, field.clone(), nonempty(p.sustained_since));
    Permanence {
        behaviour_change: p.behaviour_change,
        sustained_since: date(e, field, Some(since)).unwrap_or_default(),
    }
}

/// A plan's changes: the mask's fields, or every one the message sets.
pub(super) fn plan_patch(
    e: &mut Invalid,
    mut p: pb::SuccessPlan,
    mask: Option<prost_types::FieldMask>,
) -> PlanPatch {
    let paths = mask_paths(
        mask,
        vec![
            ("name", !p.name.is_empty()),
            ("owner", p.owner.is_some()),
            ("status", !p.status.is_empty()),
            ("status_reason", p.status_reason.is_some()),
            ("start_date", !p.start_date.is_empty()),
            ("target_date", !p.target_date.is_empty()),
        ],
    );
    let mut patch = PlanPatch::default();
    for path in paths {
        match path.as_str() {
            "name" => patch.name = Some(take(&mut p.name)),
            "owner" => patch.owner = Some(p.owner.take()),
            "status" => {
                let raw = kept(e, "plan.status", nonempty(take(&mut p.status)));
                patch.status = parse_opt(e, "plan.status", raw, "a plan status");
            }
            "status_reason" => patch.status_reason = Some(p.status_reason.take()),
            "start_date" => {
                let raw = kept(e, "plan.start_date", nonempty(take(&mut p.start_date)));
                patch.start_date = date(e, "plan.start_date".into(), raw);
            }
            "target_date" => {
                let raw = kept(e, "plan.target_date", nonempty(take(&mut p.target_date)));
                patch.target_date = date(e, "plan.target_date".into(), raw);
            }
            other => unknown_path(e, other, "SuccessPlan"),
        }
    }
    patch
}

pub(super) fn template_patch(
    e: &mut Invalid,
    mut t: pb::SuccessPlanTemplate,
    mask: Option<prost_types::FieldMask>,
) -> TemplatePatch {
    let paths = mask_paths(
        mask,
        vec![
            ("name", !t.name.is_empty()),
            ("description", t.description.is_some()),
            ("duration_days", t.duration_days != 0),
            ("objectives", !t.objectives.is_empty()),
        ],
    );
    let mut patch = TemplatePatch::default();
    for path in paths {
        match path.as_str() {
            "name" => patch.name = Some(take(&mut t.name)),
            "description" => patch.description = Some(t.description.take()),
            "duration_days" => patch.duration_days = Some(t.duration_days),
            "objectives" => {
                let objectives = take(&mut t.objectives);
                patch.objectives = Some(each(
                    e,
                    "template.objectives".into(),
                    objectives,
                    template_objective,
                ));
            }
            other => unknown_path(e, other, "SuccessPlanTemplate"),
        }
    }
    patch
}

pub(super) fn objective_patch(
    e: &mut Invalid,
    mut o: pb::Objective,
    mask: Option<prost_types::FieldMask>,
) -> ObjectivePatch {
    let paths = mask_paths(
        mask,
        vec![
            ("title", !o.title.is_empty()),
            ("outcome", o.outcome.is_some()),
            ("weight", o.weight.is_some()),
            ("due_date", o.due_date.is_some()),
            ("status", o.status.is_some()),
        ],
    );
    let mut patch = ObjectivePatch::default();
    for path in paths {
        match path.as_str() {
            "title" => patch.title = Some(take(&mut o.title)),
            "outcome" => patch.outcome = Some(o.outcome.take()),
            "weight" => patch.weight = kept(e, "objective.weight", o.weight),
            "due_date" => {
                patch.due_date = Some(date(e, "objective.due_date".into(), o.due_date.take()))
            }
            "status" => {
                let raw = kept(e, "objective.status", o.status.take());
                patch.status = parse_opt(e, "objective.status", raw, "an objective status");
            }
            other => unknown_path(e, other, "Objective"),
        }
    }
    patch
}

pub(super) fn kpi_patch(
    e: &mut Invalid,
    mut k: pb::Kpi,
    mask: Option<prost_types::FieldMask>,
) -> KpiPatch {
    let paths = mask_paths(
        mask,
        vec![
            ("name", !k.name.is_empty()),
            ("metric_key", k.metric_key.is_some()),
            ("unit", k.unit.is_some()),
            ("baseline", k.baseline.is_some()),
            ("target", k.target.is_some()),
            ("current", k.current.is_some()),
        ],
    );
    let mut patch = KpiPatch::default();
    for path in paths {
        match path.as_str() {
            "name" => patch.name = Some(take(&mut k.name)),
            "metric_key" => patch.metric_key = Some(k.metric_key.take()),
            "unit" => patch.unit = Some(unit(e, "kpi.unit".into(), k.unit.take())),
            "baseline" => patch.baseline = kept(e, "kpi.baseline", k.baseline),
            "target" => patch.target = kept(e, "kpi.target", k.target),
            "current" => patch.current = Some(k.current),
            other => unknown_path(e, other, "Kpi"),
        }
    }
    patch
}

pub(super) fn milestone_patch(
    e: &mut Invalid,
    mut m: pb::Milestone,
    mask: Option<prost_types::FieldMask>,
) -> MilestonePatch {
    let paths = mask_paths(
        mask,
        vec![
            ("title", !m.title.is_empty()),
            ("owner", m.owner.is_some()),
            ("due_date", m.due_date.is_some()),
            ("done", m.done.is_some()),
            ("done_on", m.done_on.is_some()),
        ],
    );
    let mut patch = MilestonePatch::default();
    for path in paths {
        match path.as_str() {
            "title" => patch.title = Some(take(&mut m.title)),
            "owner" => patch.owner = Some(m.owner.take()),
            "due_date" => {
                patch.due_date = Some(date(e, "milestone.due_date".into(), m.due_date.take()))
            }
            "done" => patch.done = kept(e, "milestone.done", m.done),
            "done_on" => {
                patch.done_on = Some(date(e, "milestone.done_on".into(), m.done_on.take()))
            }
            other => unknown_path(e, other, "Milestone"),
        }
    }
    patch
}

pub(super) fn success_patch(
    e: &mut Invalid,
    mut s: pb::Success,
    mask: Option<prost_types::FieldMask>,
) -> SuccessPatch {
    let paths = mask_paths(
        mask,
        vec![
            ("title", !s.title.is_empty()),
            ("plan_id", s.plan_id.is_some()),
            ("objective_id", s.objective_id.is_some()),
            ("achieved_on", s.achieved_on.is_some()),
            ("outcome", s.outcome.is_some()),
            ("story", s.story.is_some()),
            ("reuse", !s.reuse.is_empty()),
            ("measurable", s.measurable.is_some()),
            ("permanence", s.permanence.is_some()),
        ],
    );
    let mut patch = SuccessPatch::default();
    for path in paths {
        match path.as_str() {
            "title" => patch.title = Some(take(&mut s.title)),
            "plan_id" => {
                patch.plan_id = Some(opt_id(e, "success.plan_id".into(), s.plan_id.take()))
            }
            "objective_id" => {
                patch.objective_id = Some(opt_id(
                    e,
                    "success.objective_id".into(),
                    s.objective_id.take(),
                ))
            }
            "achieved_on" => {
                let raw = kept(e, "success.achieved_on", s.achieved_on.take());
                patch.achieved_on = date(e, "success.achieved_on".into(), raw);
            }
            "outcome" => patch.outcome = Some(s.outcome.take().map(outcome)),
            "story" => patch.story = Some(s.story.take()),
            "reuse" => {
                patch.reuse = Some(each(e, "success.reuse".into(), take(&mut s.reuse), reuse))
            }
            "measurable" => {
                patch.measurable = Some(s.measurable.take().map(|m| measurable(e, "success", m)))
            }
            "permanence" => {
                patch.permanence = Some(s.permanence.take().map(|p| permanence(e, "success", p)))
            }
            other => unknown_path(e, other, "Success"),
        }
    }
    patch
}

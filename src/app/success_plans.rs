//! Success-plan use cases: templates, plans, and the objectives, KPIs and
//! milestones inside a plan. A plan changes as a whole: every write to one
//! of its parts loads it, applies the change, checks the whole, saves it at
//! the version read (If-Match names the plan's version) and returns the
//! plan's recomputed progress.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::accounts::{hold_account, written};
use super::catalogue::hold;
use super::changes::{data_of, record, record_about};
use super::page::{paginate, scan};
use super::views::{PlanView, TemplateView};
use super::{App, AppError, IfMatch, Listed, PageRequest, Principal, next_change_time, now};
use crate::domain::event::{Change, NewEvent, Resource};
use crate::domain::filter::{Accounts, PlanFilter};
use crate::domain::metric::MetricDefinition;
use crate::domain::observation::Observation;
use crate::domain::success_plan::{
    NewPlan, Objective, ObjectiveDraft, ObjectivePart, ObjectivePatch, Patch, PlanHealth,
    PlanPatch, PlanProgress, PlanStatus, PlanTemplate, SuccessPlan, TemplateFields, TemplatePatch,
};
use crate::domain::time::Zone;
use crate::domain::validation::all_of as merged;
use crate::domain::{Invalid, Role};
use crate::store::Tx;
use crate::store::observations::Holders;

const PLAN: &str = "success plan";
const TEMPLATE: &str = "success plan template";
const OBJECTIVE: &str = "objective";

/// A plan with its progress at a date.
#[derive(Debug, Clone)]
pub struct AssessedPlan {
    pub plan: SuccessPlan,
    pub progress: PlanProgress,
}

impl AssessedPlan {
    /// The plan with its progress, its linked KPIs showing the values the
    /// progress read.
    pub fn new(mut plan: SuccessPlan, progress: PlanProgress) -> Self {
        progress.show_linked_values(&mut plan);
        Self { plan, progress }
    }
}

/// What adding or changing a part of a plan returns: the part as it now is
/// and the plan with its recomputed progress.
#[derive(Debug, Clone)]
pub struct PlanChange<T> {
    pub item: T,
    pub plan: AssessedPlan,
}

/// Which plans a list shows; `health` is judged today.
#[derive(Debug, Clone, Default)]
pub struct PlanQuery {
    pub filter: PlanFilter,
    pub health: Option<PlanHealth>,
}

/// Today in the workspace's time zone: the default date of progress and of
/// new plans.
pub(super) fn today(zone: Zone) -> NaiveDate {
    zone.day_of(now())
}

/// Whether a removal found what it was to remove.
fn removed(before: usize, after: usize, noun: &'static str) -> Result<(), AppError> {
    if after < before {
        Ok(())
    } else {
        Err(AppError::NotFound(noun))
    }
}

impl App {
    pub async fn create_template(
        &self,
        p: &Principal,
        mut fields: TemplateFields,
    ) -> Result<PlanTemplate, AppError> {
        p.require(Role::Write)?;
        let metrics = self.metrics_by_key(p).await?;
        merged([fields.check(), fields.link(&metrics)])?;
        let at = now();
        let t = PlanTemplate {
            id: Uuid::now_v7(),
            fields,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        let mut work = self.begin(p).await?;
        let result = async {
            work.insert_template(&t).await?;
            record_template(&mut work, &t, Change::Created).await
        }
        .await;
        work.finish(result).await?;
        Ok(t)
    }

    pub async fn template(&self, p: &Principal, id: Uuid) -> Result<PlanTemplate, AppError> {
        p.require_within_reach(Role::Read)?;
        self.store
            .template(p.workspace_id, id)
            .await?
            .ok_or(AppError::NotFound(TEMPLATE))
    }

    pub async fn templates(
        &self,
        p: &Principal,
        updated_since: Option<DateTime<Utc>>,
        page: &PageRequest,
    ) -> Result<Listed<PlanTemplate>, AppError> {
        p.require_within_reach(Role::Read)?;
        let (page, size) = page.resolve()?;
        let rows = self
            .store
            .templates(p.workspace_id, updated_since, page)
            .await?;
        Ok(paginate(rows, size, |t| t.id))
    }

    /// Changes a template; plans made from it keep what they copied.
    pub async fn update_template(
        &self,
        p: &Principal,
        id: Uuid,
        patch: TemplatePatch,
        if_match: &IfMatch,
    ) -> Result<PlanTemplate, AppError> {
        p.require(Role::Write)?;
        let metrics = self.metrics_by_key(p).await?;
        let mut work = self.begin(p).await?;
        let result = async {
            let found = work.template(id).await?;
            let current = found.ok_or(AppError::NotFound(TEMPLATE))?;
            let mut fields = current.fields.clone();
            patch.apply_to(&mut fields);
            merged([fields.check(), fields.link(&metrics)])?;
            if_match.check(TEMPLATE, current.version)?;
            let next = PlanTemplate {
                fields,
                version: current.version + 1,
                updated_at: next_change_time(current.updated_at),
                ..current
            };
            let took = work.update_template(&next, current.version).await?;
            let next = written(took, next)?;
            record_template(&mut work, &next, Change::Updated).await?;
            Ok(next)
        }
        .await;
        work.finish(result).await
    }

    pub async fn delete_template(
        &self,
        p: &Principal,
        id: Uuid,
        if_match: &IfMatch,
    ) -> Result<(), AppError> {
        p.require(Role::Write)?;
        let mut work = self.begin(p).await?;
        let result = async {
            let found = work.template(id).await?;
            let current = found.ok_or(AppError::NotFound(TEMPLATE))?;
            if_match.check(TEMPLATE, current.version)?;
            written(work.delete_template(id, current.version).await?, ())?;
            let tombstone = serde_json::json!({ "id": id });
            let event = NewEvent::new(
                Resource::PlanTemplate,
                Change::Deleted,
                id,
                now(),
                tombstone.to_string(),
            );
            record(&mut work, event).await
        }
        .await;
        work.finish(result).await
    }

    /// A new plan for an account, blank or with a template's objectives,
    /// KPIs and milestones copied in (due dates at start + offset).
    pub async fn create_plan(&self, p: &Principal, new: NewPlan) -> Result<AssessedPlan, AppError> {
        p.require(Role::Write)?;
        let template =
            match new.template_id {
                None => None,
                Some(id) => Some(self.store.template(p.workspace_id, id).await?.ok_or_else(
                    || Invalid::single("template_id", "is not a template of this workspace"),
                )?),
            };
        let mut template = template.map(|t| t.fields);
        let (account_id, fields) = new.into_fields(today(p.zone), template.as_ref())?;
        let mut objectives = match &mut template {
            Some(t) => {
                t.link(&self.metrics_by_key(p).await?).map_err(|_| {
                    Invalid::single(
                        "template_id",
                        "its KPIs read a metric this workspace no longer has; fix the template first",
                    )
                })?;
                t.instantiate(fields.start_date)
            }
            None => Vec::new(),
        };
        let at = now();
        for o in &mut objectives {
            o.enter(at, p.zone);
        }
        let plan = SuccessPlan {
            id: Uuid::now_v7(),
            account_id,
            fields,
            objectives,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        merged([plan.check(), plan.check_achieved()])?;
        let mut work = self.begin(p).await?;
        let result = async {
            hold_account(&mut work, account_id).await?;
            let linked = plan.linked_metrics();
            hold::<MetricDefinition>(&mut work, linked.iter().map(String::as_str)).await?;
            work.insert_plan(&plan).await?;
            let observed = observed_in(&mut work, &plan, &plan, p.zone).await?;
            let created = assessed(plan, today(p.zone), p.zone, &observed);
            record_plan(&mut work, &created, Change::Created).await?;
            Ok(created)
        }
        .await;
        work.finish(result).await
    }

    async fn stored_plan(&self, p: &Principal, id: Uuid) -> Result<SuccessPlan, AppError> {
        p.require_within_reach(Role::Read)?;
        let found = self.store.plan(p.workspace_id, id).await?;
        p.reveal(found, |plan| plan.account_id, PLAN)
    }

    /// The plan's progress at `as_of`, its linked KPIs read from the
    /// account's latest observations by the end of that day.
    pub(super) async fn assess(
        &self,
        p: &Principal,
        plan: SuccessPlan,
        as_of: NaiveDate,
    ) -> Result<AssessedPlan, AppError> {
        let metrics = plan.linked_metrics();
        let observed = if metrics.is_empty() {
            Vec::new()
        } else {
            let one = Accounts::One(plan.account_id);
            self.store
                .latest_observations(
                    p.workspace_id,
                    one,
                    Holders::Every,
                    &metrics,
                    p.zone.end_of(as_of),
                )
                .await?
        };
        Ok(assessed(plan, as_of, p.zone, &observed))
    }

    /// A plan with its progress today.
    pub async fn plan(&self, p: &Principal, id: Uuid) -> Result<AssessedPlan, AppError> {
        let plan = self.stored_plan(p, id).await?;
        self.assess(p, plan, today(p.zone)).await
    }

    /// A plan's progress at `as_of` (default today).
    pub async fn plan_progress(
        &self,
        p: &Principal,
        id: Uuid,
        as_of: Option<NaiveDate>,
    ) -> Result<AssessedPlan, AppError> {
        let plan = self.stored_plan(p, id).await?;
        self.assess(p, plan, as_of.unwrap_or_else(|| today(p.zone)))
            .await
    }

    pub async fn plans(
        &self,
        p: &Principal,
        query: &PlanQuery,
        page: &PageRequest,
    ) -> Result<Listed<AssessedPlan>, AppError> {
        p.require_within_reach(Role::Read)?;
        let (page, size) = page.resolve()?;
        if let Some(a) = query.filter.account_id {
            self.account(p, a).await?;
        }
        let filter = PlanFilter {
            accounts: p.narrow(query.filter.accounts.clone()),
            ..query.filter.clone()
        };
        let day = today(p.zone);
        let rows = scan(
            page,
            query.health.is_some(),
            async |page| {
                let mut assessed = Vec::new();
                for plan in self.store.plans(p.workspace_id, &filter, page).await? {
                    assessed.push(self.assess(p, plan, day).await?);
                }
                Ok(assessed)
            },
            |a: &AssessedPlan| query.health.is_none_or(|h| a.progress.health == h),
            |a| a.plan.id,
        )
        .await?;
        Ok(paginate(rows, size, |a| a.plan.id))
    }

    pub async fn update_plan(
        &self,
        p: &Principal,
        id: Uuid,
        patch: PlanPatch,
        if_match: &IfMatch,
    ) -> Result<AssessedPlan, AppError> {
        p.require(Role::Write)?;
        let becomes_achieved = patch.status == Some(PlanStatus::Achieved);
        let change = self
            .change_plan(p, id, if_match, |plan| {
                let was_achieved = plan.fields.status == PlanStatus::Achieved;
                patch.apply_to(&mut plan.fields);
                let achieved_rule = if becomes_achieved && !was_achieved {
                    plan.check_achieved()
                } else {
                    Ok(())
                };
                Ok(merged([plan.check(), achieved_rule])?)
            })
            .await?;
        Ok(change.plan)
    }

    /// Deletes a plan; successes that proved it stay, detached from it.
    pub async fn delete_plan(
        &self,
        p: &Principal,
        id: Uuid,
        if_match: &IfMatch,
    ) -> Result<(), AppError> {
        p.require(Role::Write)?;
        let mut work = self.begin(p).await?;
        let result = async {
            let current = locked_plan(&mut work, id).await?;
            if_match.check(PLAN, current.version)?;
            written(work.delete_plan(id, current.version, now()).await?, ())?;
            let tombstone = serde_json::json!({ "id": id, "account_id": current.account_id });
            let event = NewEvent::new(
                Resource::SuccessPlan,
                Change::Deleted,
                id,
                now(),
                tombstone.to_string(),
            );
            record_about(&mut work, current.account_id, event).await
        }
        .await;
        work.finish(result).await
    }

    /// Loads a plan, applies `f`, saves it at the version read and
    /// reassesses it today. `f` returns the changed part, or why not.
    async fn change_plan<T>(
        &self,
        p: &Principal,
        id: Uuid,
        if_match: &IfMatch,
        f: impl FnOnce(&mut SuccessPlan) -> Result<T, AppError>,
    ) -> Result<PlanChange<T>, AppError> {
        self.change_plan_dropping(p, id, if_match, None, f).await
    }

    async fn change_plan_dropping<T>(
        &self,
        p: &Principal,
        id: Uuid,
        if_match: &IfMatch,
        dropped_objective: Option<Uuid>,
        f: impl FnOnce(&mut SuccessPlan) -> Result<T, AppError>,
    ) -> Result<PlanChange<T>, AppError> {
        p.require(Role::Read)?;
        let mut work = self.begin(p).await?;
        let result = async {
            let current = locked_plan(&mut work, id).await?;
            let mut next = current.clone();
            let item = f(&mut next)?;
            if_match.check(PLAN, current.version)?;
            next.version = current.version + 1;
            next.updated_at = next_change_time(current.updated_at);
            let linked = next.linked_metrics();
            hold::<MetricDefinition>(&mut work, linked.iter().map(String::as_str)).await?;
            let saved = match dropped_objective {
                None => work.update_plan(&next, current.version).await?,
                Some(o) => work.update_plan_dropping(&next, current.version, o).await?,
            };
            let next = written(saved, next)?;
            let observed = observed_in(&mut work, &current, &next, p.zone).await?;
            let (before, after) = (
                assessed(current, today(p.zone), p.zone, &observed),
                assessed(next, today(p.zone), p.zone, &observed),
            );
            record_plan(&mut work, &after, Change::Updated).await?;
            record_health_change(&mut work, &before, &after).await?;
            Ok(PlanChange { item, plan: after })
        }
        .await;
        work.finish(result).await
    }

    pub async fn objective(
        &self,
        p: &Principal,
        plan_id: Uuid,
        objective_id: Uuid,
    ) -> Result<(Objective, i64), AppError> {
        let plan = self.stored_plan(p, plan_id).await?;
        let o = plan
            .objective(objective_id)
            .cloned()
            .ok_or(AppError::NotFound(OBJECTIVE))?;
        Ok((o, plan.version))
    }

    pub async fn add_objective(
        &self,
        p: &Principal,
        plan_id: Uuid,
        draft: ObjectiveDraft,
        if_match: &IfMatch,
    ) -> Result<PlanChange<Objective>, AppError> {
        p.require(Role::Write)?;
        let metrics = self.metrics_by_key(p).await?;
        self.change_plan(p, plan_id, if_match, |plan| {
            let mut o = draft.into_objective();
            o.enter(now(), p.zone);
            o.check_in(plan.fields.start_date, &metrics)?;
            plan.objectives.push(o.clone());
            plan.check()?;
            Ok(o)
        })
        .await
    }

    pub async fn update_objective(
        &self,
        p: &Principal,
        plan_id: Uuid,
        objective_id: Uuid,
        patch: ObjectivePatch,
        if_match: &IfMatch,
    ) -> Result<PlanChange<Objective>, AppError> {
        p.require(Role::Write)?;
        let metrics = self.metrics_by_key(p).await?;
        self.change_plan(p, plan_id, if_match, |plan| {
            let start = plan.fields.start_date;
            let o = plan
                .objective_mut(objective_id)
                .ok_or(AppError::NotFound(OBJECTIVE))?;
            patch.apply_to(o);
            o.settle(now(), p.zone);
            o.check_in(start, &metrics)?;
            Ok(o.clone())
        })
        .await
    }

    /// Removes an objective with its KPIs and milestones; its successes stay, detached.
    pub async fn remove_objective(
        &self,
        p: &Principal,
        plan_id: Uuid,
        objective_id: Uuid,
        if_match: &IfMatch,
    ) -> Result<AssessedPlan, AppError> {
        p.require(Role::Write)?;
        let change = self.change_plan_dropping(p, plan_id, if_match, Some(objective_id), |plan| {
            let before = plan.objectives.len();
            plan.objectives.retain(|o| o.id != objective_id);
            removed(before, plan.objectives.len(), OBJECTIVE)
        });
        Ok(change.await?.plan)
    }

    /// A KPI or milestone of an objective, with the plan's version.
    pub async fn part<T: ObjectivePart>(
        &self,
        p: &Principal,
        plan_id: Uuid,
        objective_id: Uuid,
        id: Uuid,
    ) -> Result<(T, i64), AppError> {
        let (o, version) = self.objective(p, plan_id, objective_id).await?;
        let part = T::of(&o)
            .iter()
            .find(|x| x.id() == id)
            .cloned()
            .ok_or(AppError::NotFound(T::NOUN))?;
        Ok((part, version))
    }

    /// Adds a KPI or milestone to an objective.
    pub async fn add_part<T: ObjectivePart>(
        &self,
        p: &Principal,
        plan_id: Uuid,
        objective_id: Uuid,
        mut part: T,
        if_match: &IfMatch,
    ) -> Result<PlanChange<T>, AppError> {
        p.require(Role::Write)?;
        let metrics = self.metrics_by_key(p).await?;
        self.change_plan(p, plan_id, if_match, |plan| {
            let start = plan.fields.start_date;
            let parts = T::of_mut(objective_of(plan, objective_id)?);
            part.enter(now(), p.zone);
            part.check_in(start, &metrics)?;
            if parts.len() >= T::MAX {
                return Err(AppError::Duplicate(format!(
                    "the objective already holds {} {}s, the most it can",
                    T::MAX,
                    T::NOUN
                )));
            }
            parts.push(part.clone());
            Ok(part)
        })
        .await
    }

    /// Changes a KPI or milestone of an objective.
    pub async fn update_part<T: ObjectivePart>(
        &self,
        p: &Principal,
        plan_id: Uuid,
        objective_id: Uuid,
        id: Uuid,
        patch: impl Patch<T>,
        if_match: &IfMatch,
    ) -> Result<PlanChange<T>, AppError> {
        p.require(Role::Write)?;
        let metrics = self.metrics_by_key(p).await?;
        self.change_plan(p, plan_id, if_match, |plan| {
            let start = plan.fields.start_date;
            let part = T::of_mut(objective_of(plan, objective_id)?)
                .iter_mut()
                .find(|x| x.id() == id)
                .ok_or(AppError::NotFound(T::NOUN))?;
            patch.apply_to(part);
            part.settle(now(), p.zone);
            part.check_in(start, &metrics)?;
            Ok(part.clone())
        })
        .await
    }

    /// Removes a KPI or milestone from an objective.
    pub async fn remove_part<T: ObjectivePart>(
        &self,
        p: &Principal,
        plan_id: Uuid,
        objective_id: Uuid,
        id: Uuid,
        if_match: &IfMatch,
    ) -> Result<AssessedPlan, AppError> {
        p.require(Role::Write)?;
        let change = self.change_plan(p, plan_id, if_match, |plan| {
            let parts = T::of_mut(objective_of(plan, objective_id)?);
            let before = parts.len();
            parts.retain(|x| x.id() != id);
            removed(before, parts.len(), T::NOUN)
        });
        Ok(change.await?.plan)
    }
}

/// The plan with its progress at the end of `as_of` in `zone`, its linked
/// KPIs read from `observed`.
fn assessed(
    plan: SuccessPlan,
    as_of: NaiveDate,
    zone: Zone,
    observed: &[Observation],
) -> AssessedPlan {
    let latest: HashMap<&str, (f64, DateTime<Utc>)> = observed
        .iter()
        .map(|o| (o.metric.as_str(), (o.value, o.observed_at)))
        .collect();
    let progress = plan.progress(as_of, zone, |m| latest.get(m).copied());
    AssessedPlan::new(plan, progress)
}

/// The latest observations of every metric either version of a plan links,
/// as of today, read in the unit of work.
async fn observed_in(
    tx: &mut Tx,
    before: &SuccessPlan,
    after: &SuccessPlan,
    zone: Zone,
) -> Result<Vec<Observation>, AppError> {
    let mut metrics = before.linked_metrics();
    metrics.extend(after.linked_metrics());
    metrics.sort();
    metrics.dedup();
    if metrics.is_empty() {
        return Ok(Vec::new());
    }
    let one = Accounts::One(after.account_id);
    Ok(tx
        .latest_observations(one, &metrics, zone.end_of(today(zone)))
        .await?)
}

/// Records that a plan was created or changed, as a GET now returns it.
async fn record_plan(tx: &mut Tx, plan: &AssessedPlan, change: Change) -> Result<(), AppError> {
    let data = data_of(&PlanView::from(plan.clone()))?;
    let p = &plan.plan;
    let event = NewEvent::new(Resource::SuccessPlan, change, p.id, p.updated_at, data);
    record_about(tx, p.account_id, event).await
}

/// Records `success_plan.health_changed` when a write moved the plan's health.
async fn record_health_change(
    tx: &mut Tx,
    before: &AssessedPlan,
    after: &AssessedPlan,
) -> Result<(), AppError> {
    let (from, to) = (before.progress.health, after.progress.health);
    if from == to {
        return Ok(());
    }
    let p = &after.plan;
    let data = serde_json::json!({
        "plan_id": p.id,
        "account_id": p.account_id,
        "from": from,
        "to": to,
        "as_of": after.progress.as_of,
        "progress": after.progress.progress,
        "expected_progress": after.progress.expected,
    });
    let event = NewEvent::new(
        Resource::SuccessPlan,
        Change::HealthChanged,
        p.id,
        p.updated_at,
        data.to_string(),
    );
    record_about(tx, p.account_id, event).await
}

/// Records that a template was created or changed, as a GET now returns it.
async fn record_template(tx: &mut Tx, t: &PlanTemplate, change: Change) -> Result<(), AppError> {
    let data = data_of(&TemplateView::from(t.clone()))?;
    record(
        tx,
        NewEvent::new(Resource::PlanTemplate, change, t.id, t.updated_at, data),
    )
    .await
}

fn objective_of(plan: &mut SuccessPlan, id: Uuid) -> Result<&mut Objective, AppError> {
    plan.objective_mut(id).ok_or(AppError::NotFound(OBJECTIVE))
}

/// The plan, locked until the unit of work ends: its writes queue instead
/// of failing on each other's version.
async fn locked_plan(tx: &mut Tx, id: Uuid) -> Result<SuccessPlan, AppError> {
    if !tx.lock_plan(id).await? {
        return Err(AppError::NotFound(PLAN));
    }
    tx.plan(id).await?.ok_or(AppError::NotFound(PLAN))
}

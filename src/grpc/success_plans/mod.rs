//! `csapi.v1.SuccessPlanService`: templates, plans and their parts, and
//! captured successes.
//!
//! Inputs become the same domain drafts and patches the REST door parses,
//! checked by the same use cases, so both doors accept and refuse the same
//! things; bad fields are named under the request field that carries them
//! (`objective.weight`).

use tonic::{Request, Response, Status};

use super::convert::{self, parse_timestamp};
use super::pb::success_plan_service_server::SuccessPlanService;
use super::pb::{self, *};
use super::status::invalid_argument as invalid;
use super::{GrpcState, call, status_of};
use crate::app::{PlanQuery, SuccessQuery};
use crate::domain::Invalid;
use crate::domain::filter::PlanFilter;
use crate::domain::success_plan::{Kpi as DomainKpi, Milestone as DomainMilestone};

mod inputs;
mod messages;

use inputs::*;
use messages::*;

pub(super) use messages::{plan_to_pb, success_to_pb};

pub struct SuccessPlanGrpc(pub GrpcState);

#[tonic::async_trait]
impl SuccessPlanService for SuccessPlanGrpc {
    async fn create_success_plan_template(
        &self,
        req: Request<CreateSuccessPlanTemplateRequest>,
    ) -> Result<Response<pb::SuccessPlanTemplate>, Status> {
        call!(self.0, "CreateSuccessPlanTemplate", req, |p, m| {
            let t = m.template.unwrap_or_default();
            let fields = read(|e| template_fields(e, "template", t))?;
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
            let patch = read(|e| template_patch(e, t, m.update_mask))?;
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
            let new = read(|e| new_plan(e, m))?;
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
                    ..PlanFilter::default()
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
            let patch = read(|e| plan_patch(e, plan, m.update_mask))?;
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
            let o = m.objective.unwrap_or_default();
            let draft = read(|e| objective_draft(e, "objective", o))?;
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
            let patch = read(|e| objective_patch(e, o, m.update_mask))?;
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
            let k = m.kpi.unwrap_or_default();
            let draft = read(|e| kpi_draft(e, "kpi", k))?;
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
            let patch = read(|e| kpi_patch(e, k, m.update_mask))?;
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
            let ms = m.milestone.unwrap_or_default();
            let draft = read(|e| milestone_draft(e, "milestone", ms))?;
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
            let patch = read(|e| milestone_patch(e, ms, m.update_mask))?;
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
            let s = m.success.unwrap_or_default();
            let draft = read(|e| success_draft(e, "success", s))?;
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
            let patch = read(|e| success_patch(e, s, m.update_mask))?;
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

    async fn record_success_reuse(
        &self,
        req: Request<RecordSuccessReuseRequest>,
    ) -> Result<Response<pb::RecordedReuse>, Status> {
        call!(self.0, "RecordSuccessReuse", req, |p, m| {
            let success = id("success_id", &m.success_id)?;
            let draft = read(|e| reuse_draft(e, m))?;
            let r = self.0.app.record_reuse(&p, success, draft).await;
            r.map(recorded_reuse_to_pb).map_err(reuse_status)
        })
    }

    async fn list_success_reuses(
        &self,
        req: Request<ListSuccessReusesRequest>,
    ) -> Result<Response<ListSuccessReusesResponse>, Status> {
        call!(self.0, "ListSuccessReuses", req, |p, m| {
            let success = id("success_id", &m.success_id)?;
            let page = convert::page(m.page_size, m.page_token);
            let listed = self.0.app.success_reuses(&p, success, &page).await;
            listed
                .map(|l| ListSuccessReusesResponse {
                    items: l.items.into_iter().map(recorded_reuse_to_pb).collect(),
                    next_page_token: l.next_page_token.unwrap_or_default(),
                })
                .map_err(status_of)
        })
    }

    async fn delete_success_reuse(
        &self,
        req: Request<DeleteSuccessReuseRequest>,
    ) -> Result<Response<()>, Status> {
        call!(self.0, "DeleteSuccessReuse", req, |p, m| {
            let [success, reuse] = ids([("success_id", &m.success_id), ("reuse_id", &m.reuse_id)])?;
            let done = self.0.app.delete_reuse(&p, success, reuse).await;
            done.map_err(status_of)
        })
    }
}

//! Success plans, templates, parts and successes over gRPC: the same
//! scenario as over REST (see `success_plans.rs` for the numbers).

use csapi::grpc::pb;
use csapi::grpc::pb::success_plan_service_client::SuccessPlanServiceClient;
use serde_json::json;
use tonic::Code;

use crate::support::{ADMIN_KEY, authed, on_both_backends};

on_both_backends! {
    async fn the_same_over_grpc(app: &TestApp) {
        let acme = app.account(json!({"name": "Acme"})).await["id"].as_str().unwrap().to_owned();
        let mut c = SuccessPlanServiceClient::new(app.channel().await);
        let t = c
            .create_success_plan_template(authed(ADMIN_KEY, pb::CreateSuccessPlanTemplateRequest {
                template: Some(pb::SuccessPlanTemplate {
                    name: "Onboarding".into(),
                    duration_days: 90,
                    objectives: vec![pb::TemplateObjective {
                        title: "Go live".into(),
                        due_offset_days: Some(60),
                        milestones: vec![pb::TemplateMilestone { title: "Kick-off".into(), owner: None, due_offset_days: Some(7) }],
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            }))
            .await
            .unwrap()
            .into_inner();
        let plan = c
            .create_success_plan(authed(ADMIN_KEY, pb::CreateSuccessPlanRequest {
                account_id: acme.clone(),
                template_id: Some(t.id.clone()),
                start_date: Some("2026-01-01".into()),
                status: Some("active".into()),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((plan.target_date.as_str(), plan.objectives[0].due_date.as_deref()), ("2026-04-01", Some("2026-03-02")));
        let objective = plan.objectives[0].id.clone();
        let added = c
            .create_kpi(authed(ADMIN_KEY, pb::CreateKpiRequest {
                plan_id: plan.id.clone(),
                objective_id: objective.clone(),
                kpi: Some(pb::Kpi { name: "Open cases".into(), baseline: Some(10.0), target: Some(4.0), current: Some(7.0), ..Default::default() }),
                etag: plan.etag.clone(),
            }))
            .await
            .unwrap()
            .into_inner();
        let kpi = added.kpi.unwrap();
        // (0.5 + 0/1) / 2 = 0.25.
        assert_eq!(added.progress.unwrap().objectives[0].progress, 0.25);
        let changed = c
            .update_kpi(authed(ADMIN_KEY, pb::UpdateKpiRequest {
                plan_id: plan.id.clone(),
                objective_id: objective.clone(),
                kpi: Some(pb::Kpi { id: kpi.id.clone(), current: Some(4.0), ..Default::default() }),
                update_mask: Some(prost_types::FieldMask { paths: vec!["current".into()] }),
                etag: String::new(),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(changed.kpi.unwrap().current, Some(4.0));
        let k = c
            .get_kpi(authed(ADMIN_KEY, pb::GetKpiRequest { plan_id: plan.id.clone(), objective_id: objective.clone(), kpi_id: kpi.id.clone() }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((k.name.as_str(), k.current), ("Open cases", Some(4.0)));
        let ms = &plan.objectives[0].milestones[0];
        let done = c
            .update_milestone(authed(ADMIN_KEY, pb::UpdateMilestoneRequest {
                plan_id: plan.id.clone(),
                objective_id: objective.clone(),
                milestone: Some(pb::Milestone { id: ms.id.clone(), done: Some(true), done_on: Some("2026-01-08".into()), ..Default::default() }),
                update_mask: None,
                etag: String::new(),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(done.milestone.unwrap().title, "Kick-off", "an empty mask changes only what is set");
        let progress = c
            .get_success_plan_progress(authed(ADMIN_KEY, pb::GetSuccessPlanProgressRequest { id: plan.id.clone(), as_of: Some("2026-02-15".into()) }))
            .await
            .unwrap()
            .into_inner();
        let summary = progress.summary.unwrap();
        assert_eq!((summary.progress, summary.health.as_str()), (1.0, "on_track"));
        assert!((summary.expected_progress - 45.0 / 90.0).abs() < 1e-9);
        let listed = c
            .list_success_plans(authed(ADMIN_KEY, pb::ListSuccessPlansRequest { account_id: Some(acme.clone()), ..Default::default() }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed.plans.len(), 1);
        let o = c
            .create_objective(authed(ADMIN_KEY, pb::CreateObjectiveRequest {
                plan_id: plan.id.clone(),
                objective: Some(pb::Objective { title: "Sponsor".into(), weight: Some(-1.0), due_date: Some("2025-01-01".into()), ..Default::default() }),
                etag: String::new(),
            }))
            .await
            .unwrap_err();
        assert_eq!(o.code(), Code::InvalidArgument);
        assert!(o.message().contains("objective.weight") && o.message().contains("objective.due_date"), "{}", o.message());
        let err = c
            .update_success_plan(authed(ADMIN_KEY, pb::UpdateSuccessPlanRequest {
                plan: Some(pb::SuccessPlan { id: plan.id.clone(), status: "achieved".into(), ..Default::default() }),
                update_mask: Some(prost_types::FieldMask { paths: vec!["status".into()] }),
            }))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        let updated = c
            .update_objective(authed(ADMIN_KEY, pb::UpdateObjectiveRequest {
                plan_id: plan.id.clone(),
                objective: Some(pb::Objective { id: objective.clone(), status: Some("done".into()), ..Default::default() }),
                update_mask: Some(prost_types::FieldMask { paths: vec!["status".into()] }),
                etag: String::new(),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(updated.objective.unwrap().status.as_deref(), Some("done"));
        let achieved = c
            .update_success_plan(authed(ADMIN_KEY, pb::UpdateSuccessPlanRequest {
                plan: Some(pb::SuccessPlan { id: plan.id.clone(), status: "achieved".into(), ..Default::default() }),
                update_mask: Some(prost_types::FieldMask { paths: vec!["status".into()] }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(achieved.status, "achieved");

        let s = c
            .create_success(authed(ADMIN_KEY, pb::CreateSuccessRequest {
                success: Some(pb::Success {
                    account_id: acme.clone(),
                    title: "Live in 50 days".into(),
                    plan_id: Some(plan.id.clone()),
                    objective_id: Some(objective.clone()),
                    achieved_on: Some("2026-02-20".into()),
                    story: Some("Went live ahead of plan".into()),
                    reuse: vec![pb::SuccessReuse { scope: "team".into(), description: "EMEA onboarding".into() }],
                    ..Default::default()
                }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((s.anatomy_score, s.missing.clone()), (2, vec!["outcome".to_owned(), "measurable".into(), "permanence".into()]));
        let bad = c
            .create_success(authed(ADMIN_KEY, pb::CreateSuccessRequest {
                success: Some(pb::Success {
                    account_id: acme.clone(),
                    title: "x".into(),
                    reuse: vec![pb::SuccessReuse { scope: "galaxy".into(), description: "d".into() }],
                    ..Default::default()
                }),
            }))
            .await
            .unwrap_err();
        assert!(bad.message().contains("success.reuse[0].scope"), "{}", bad.message());
        let found = c
            .list_successes(authed(ADMIN_KEY, pb::ListSuccessesRequest { missing: Some("outcome".into()), reusable_in: Some("team".into()), ..Default::default() }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(found.successes.len(), 1);
        let patched = c
            .update_success(authed(ADMIN_KEY, pb::UpdateSuccessRequest {
                success: Some(pb::Success {
                    id: s.id.clone(),
                    outcome: Some(pb::SuccessOutcome { description: "Go-live in 50 days".into(), purposeful: true }),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask { paths: vec!["outcome".into()] }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((patched.anatomy_score, patched.story.as_deref()), (3, Some("Went live ahead of plan")));
        let got = c
            .get_success(authed(ADMIN_KEY, pb::GetSuccessRequest { id: s.id.clone(), as_of: None }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got.etag, "\"2\"");
        c.delete_success(authed(ADMIN_KEY, pb::DeleteSuccessRequest { id: s.id.clone(), etag: got.etag }))
            .await
            .unwrap();
        let gone = c
            .get_objective(authed(ADMIN_KEY, pb::GetObjectiveRequest { plan_id: plan.id.clone(), objective_id: s.id.clone() }))
            .await
            .unwrap_err();
        assert_eq!(gone.code(), Code::NotFound);
        let after = c
            .delete_kpi(authed(ADMIN_KEY, pb::DeleteKpiRequest { plan_id: plan.id.clone(), objective_id: objective.clone(), kpi_id: kpi.id, etag: String::new() }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(after.objectives[0].progress, 1.0, "only the done milestone is left");
        let got = c
            .get_success_plan_template(authed(ADMIN_KEY, pb::GetSuccessPlanTemplateRequest { id: t.id.clone() }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got.objectives[0].milestones[0].due_offset_days, Some(7));
        let renamed = c
            .update_success_plan_template(authed(ADMIN_KEY, pb::UpdateSuccessPlanTemplateRequest {
                template: Some(pb::SuccessPlanTemplate { id: t.id.clone(), name: "Onboarding v2".into(), etag: got.etag, ..Default::default() }),
                update_mask: Some(prost_types::FieldMask { paths: vec!["name".into()] }),
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((renamed.name.as_str(), renamed.duration_days, renamed.objectives.len()), ("Onboarding v2", 90, 1));
        let added = c
            .create_objective(authed(ADMIN_KEY, pb::CreateObjectiveRequest {
                plan_id: plan.id.clone(),
                objective: Some(pb::Objective { title: "Sponsor".into(), weight: Some(2.0), ..Default::default() }),
                etag: String::new(),
            }))
            .await
            .unwrap()
            .into_inner();
        let sponsor = added.objective.unwrap().id;
        let ms = c
            .create_milestone(authed(ADMIN_KEY, pb::CreateMilestoneRequest {
                plan_id: plan.id.clone(),
                objective_id: sponsor.clone(),
                milestone: Some(pb::Milestone { title: "Sponsor named".into(), done: Some(true), ..Default::default() }),
                etag: String::new(),
            }))
            .await
            .unwrap()
            .into_inner();
        // Objectives: Go live 1.0 (weight 1), Sponsor 1.0 (weight 2).
        assert_eq!(ms.progress.unwrap().summary.unwrap().progress, 1.0);
        let ms_id = ms.milestone.unwrap().id;
        let got = c
            .get_milestone(authed(ADMIN_KEY, pb::GetMilestoneRequest { plan_id: plan.id.clone(), objective_id: sponsor.clone(), milestone_id: ms_id.clone() }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got.done, Some(true));
        let after = c
            .delete_milestone(authed(ADMIN_KEY, pb::DeleteMilestoneRequest { plan_id: plan.id.clone(), objective_id: sponsor.clone(), milestone_id: ms_id, etag: String::new() }))
            .await
            .unwrap()
            .into_inner();
        // Sponsor has nothing left (0): (1 · 1.0 + 2 · 0) / 3.
        assert!((after.summary.unwrap().progress - 1.0 / 3.0).abs() < 1e-9);
        let after = c
            .delete_objective(authed(ADMIN_KEY, pb::DeleteObjectiveRequest { plan_id: plan.id.clone(), objective_id: sponsor, etag: String::new() }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(after.objectives.len(), 1);
        let templates = c
            .list_success_plan_templates(authed(ADMIN_KEY, pb::ListSuccessPlanTemplatesRequest::default()))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(templates.templates.len(), 1);
        c.delete_success_plan_template(authed(ADMIN_KEY, pb::DeleteSuccessPlanTemplateRequest { id: t.id, etag: String::new() }))
            .await
            .unwrap();
        c.delete_success_plan(authed(ADMIN_KEY, pb::DeleteSuccessPlanRequest { id: plan.id.clone(), etag: String::new() }))
            .await
            .unwrap();
        let stranger = app.other_workspace("Initech").await;
        let err = c
            .get_success_plan(authed(&stranger, pb::GetSuccessPlanRequest { id: plan.id }))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound);
    }
}

on_both_backends! {
    async fn messages_are_read_field_by_field(app: &TestApp) {
        let acme = app.account(json!({"name": "Acme"})).await["id"].as_str().unwrap().to_owned();
        let mut c = SuccessPlanServiceClient::new(app.channel().await);
        let plan = c
            .create_success_plan(authed(ADMIN_KEY, pb::CreateSuccessPlanRequest {
                account_id: acme.clone(),
                name: Some("Adoption".into()),
                start_date: Some("2026-01-01".into()),
                target_date: Some("2026-06-30".into()),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        // Every bad field of a nested draft at once, each under its path.
        let bad = c
            .create_objective(authed(ADMIN_KEY, pb::CreateObjectiveRequest {
                plan_id: plan.id.clone(),
                objective: Some(pb::Objective {
                    title: "Roll out".into(),
                    due_date: Some("+10000-01-01".into()),
                    status: Some("finished".into()),
                    kpis: vec![pb::Kpi { name: "Seats".into(), unit: Some("parsecs".into()), target: Some(50.0), ..Default::default() }],
                    ..Default::default()
                }),
                etag: String::new(),
            }))
            .await
            .unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument);
        for field in ["objective.due_date", "objective.status", "objective.kpis[0].unit", "objective.kpis[0].baseline"] {
            assert!(bad.message().contains(field), "{field} in {}", bad.message());
        }
        assert!(bad.message().contains("years 0000-9999"), "{}", bad.message());
        // A masked required field cannot be cleared; an unknown path is named.
        let bad = c
            .update_success_plan(authed(ADMIN_KEY, pb::UpdateSuccessPlanRequest {
                plan: Some(pb::SuccessPlan { id: plan.id.clone(), ..Default::default() }),
                update_mask: Some(prost_types::FieldMask { paths: vec!["start_date".into(), "colour".into()] }),
            }))
            .await
            .unwrap_err();
        assert!(bad.message().contains("plan.start_date") && bad.message().contains("cannot be cleared"), "{}", bad.message());
        assert!(bad.message().contains("\"colour\" is not a field of SuccessPlan"), "{}", bad.message());
        // Text the domain refuses is refused here too, named under the message.
        let bad = c
            .create_success(authed(ADMIN_KEY, pb::CreateSuccessRequest {
                success: Some(pb::Success {
                    account_id: acme.clone(),
                    title: "Live\u{0}".into(),
                    permanence: Some(pb::SuccessPermanence { behaviour_change: "Weekly review".into(), sustained_since: String::new() }),
                    ..Default::default()
                }),
            }))
            .await
            .unwrap_err();
        assert!(bad.message().contains("success.permanence.sustained_since: is required"), "{}", bad.message());
        // Without a mask, only the fields a message sets change: the owner
        // is set, the name (left empty) is kept.
        let owned = c
            .update_success_plan(authed(ADMIN_KEY, pb::UpdateSuccessPlanRequest {
                plan: Some(pb::SuccessPlan { id: plan.id.clone(), owner: Some("Mei".into()), ..Default::default() }),
                update_mask: None,
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((owned.name.as_str(), owned.owner.as_deref(), owned.target_date.as_str()), ("Adoption", Some("Mei"), "2026-06-30"));
        let bad = c
            .create_success(authed(ADMIN_KEY, pb::CreateSuccessRequest {
                success: Some(pb::Success { account_id: acme, title: "Live\u{0}".into(), ..Default::default() }),
            }))
            .await
            .unwrap_err();
        assert!(bad.message().contains("success.title") && bad.message().contains("control characters"), "{}", bad.message());
    }
}

//! A request example for every operation that takes a body, as the spec
//! shows them (and generated clients, Swagger UI and schemathesis use them).
//! Each is held to its request type: a test parses it exactly as the
//! operation would, so an example cannot drift into one the API refuses.

use serde_json::{Value, json};

/// Declares the examples, and the test that parses each as its type.
macro_rules! examples {
    ($($op:literal: $ty:ty = $example:tt),+ $(,)?) => {
        /// The request example of the operation `op`, if it takes a body.
        pub fn request_example(op: &str) -> Option<Value> {
            match op {
                $($op => Some(json!($example)),)+
                _ => None,
            }
        }

        #[cfg(test)]
        mod tests {
            use super::*;
            use crate::http::body::parse_value;

            #[test]
            fn every_example_is_a_request_the_operation_takes() {
                $(
                    if let Err(e) = parse_value::<$ty>(json!($example)) {
                        panic!("the example of {} is refused: {e}", $op);
                    }
                )+
            }
        }
    };
}

const ACCOUNT: &str = "01a22954-3526-7175-80f5-c757566a279c";
const PLAN: &str = "01a22954-4c29-7461-a191-ab12cb4e71d3";
const OBJECTIVE: &str = "01a22954-4c29-7461-a191-ab0c1235d551";

examples! {
    "create_account": crate::http::accounts::AccountInput = {
        "name": "Acme Corp", "segment": "enterprise", "owner": "jane@example.com",
        "lifecycle_stage": "adoption", "customer_since": "2024-03-01", "original_arr": 120000,
        "renewal_date": "2027-03-01", "contract_end": "2027-02-28", "current_arr": 150000,
        "currency": "USD", "attributes": {"region": "EMEA"},
        "external_refs": [{"system": "salesforce", "id": "0015g00000XyZ"}]
    },
    "upsert_account_by_ref": crate::http::accounts::AccountInput = {
        "name": "Globex Corporation", "segment": "mid_market", "owner": "raj@example.com"
    },
    "merge_account_by_ref": crate::http::accounts::AccountPatchInput = {
        "name": "Globex Corporation", "segment": "mid_market",
        "attributes": {"crm_tier": "gold", "legacy_id": null}
    },
    "upsert_accounts": crate::http::imports::AccountBatchInput = {
        "atomic": false,
        "items": [
            {"ref": {"system": "salesforce", "id": "0015g00000XyZ"}, "name": "Globex Corporation",
             "segment": "mid_market", "attributes": {"crm_tier": "gold"}},
            {"ref": {"system": "salesforce", "id": "0015g00000AbC"}, "name": "Initech"},
            {"id": "01a22954-3526-7175-80f5-c757566a279c", "owner": "jane@example.com"}
        ]
    },
    "upsert_stakeholders": crate::http::imports::StakeholderBatchInput = {
        "items": [
            {"ref": {"system": "hubspot", "id": "5101"}, "account_ref": {"system": "salesforce", "id": "0015g00000XyZ"},
             "name": "Mei Tanaka", "role": "champion", "attributes": {"persona": "ops"}},
            {"ref": {"system": "hubspot", "id": "5102"}, "title": "VP Finance"}
        ]
    },
    "upsert_assessments": crate::http::imports::AssessmentBatchInput = {
        "atomic": false,
        "items": [
            {"ref": {"system": "gainsight", "id": "scorecard-88121"},
             "account_ref": {"system": "salesforce", "id": "0015g00000XyZ"}, "framework": "readiness",
             "scores": {"goal_clarity": 8, "priority": 9}, "assessed_at": "2026-11-02T09:00:00Z"},
            {"ref": {"system": "gainsight", "id": "scorecard-88122"},
             "account_ref": {"system": "salesforce", "id": "0015g00000AbC"}, "framework": "readiness",
             "scores": {"goal_clarity": 3, "priority": 2}, "assessed_at": "2026-11-02T09:30:00Z"}
        ]
    },
    "update_account": crate::http::accounts::AccountPatchInput = {
        "segment": "strategic", "owner": null, "lifecycle_stage": "renewal"
    },
    "create_stakeholder": crate::http::stakeholders::StakeholderInput = {
        "name": "Raj Patel", "email": "raj@acme.example", "role": "champion",
        "involved_in_purchase": true
    },
    "upsert_stakeholder_by_ref": crate::http::stakeholders::StakeholderReplaceInput = {
        "account_ref": {"system": "salesforce", "id": "0015g00000XyZ"},
        "name": "Raj Patel", "email": "raj@acme.example", "role": "champion"
    },
    "merge_stakeholder_by_ref": crate::http::stakeholders::StakeholderMergeInput = {
        "account_ref": {"system": "salesforce", "id": "0015g00000XyZ"},
        "name": "Raj Patel", "role": "champion", "attributes": {"persona": "technical"}
    },
    "update_stakeholder": crate::http::stakeholders::StakeholderPatchInput = {
        "role": "executive_sponsor"
    },
    "create_api_key": crate::http::api_keys::ApiKeyInput = {"name": "salesforce-sync", "role": "write"},
    "share_qbr": crate::http::qbr_links::ShareInput = {"metric_set": "qbr_future", "expires_in_days": 14},
    "raise_risk": crate::http::risks::RiskInput = {
        "kind": "budget", "reason": "The CFO froze software spend until Q2", "raised_by": "jane@example.com"
    },
    "resolve_risk": crate::http::risks::ResolutionInput = {
        "resolved_by": "jane@example.com", "resolution": "Budget approved at the March board"
    },
    "create_webhook": crate::http::webhooks::WebhookInput = {
        "url": "https://hooks.example.com/csapi", "event_types": ["account.*", "classification.changed"],
        "description": "Salesforce sync"
    },
    "update_webhook": crate::http::webhooks::WebhookPatchInput = {"enabled": true, "rotate_secret": true},
    "create_assessment": crate::http::assessments::AssessmentInput = {
        "account_id": ACCOUNT, "framework": "readiness", "assessed_at": "2026-04-15T00:00:00Z",
        "scores": {"goal_clarity": 8, "priority": 9},
        "notes": {"priority": "Board-level initiative this year"}, "assessor": "Jane Doe"
    },
    "create_framework": crate::domain::framework::Framework = {
        "key": "onboarding_fit", "name": "Onboarding fit",
        "description": "Whether a new customer is set up to adopt: its sponsor and its data.",
        "subject": "account",
        "dimensions": [
            {"key": "sponsor", "label": "Sponsor", "question": "How engaged is the sponsor?",
             "scale": {"min": 1, "max": 10}},
            {"key": "data_ready", "label": "Data ready", "question": "How ready is their data?",
             "scale": {"min": 1, "max": 10}}
        ],
        "matrices": [{
            "key": "onboarding_fit", "label": "Onboarding fit", "x": "sponsor", "y": "data_ready",
            "x_cuts": [6], "y_cuts": [6],
            "cells": [
                {"key": "stalled", "label": "Stalled", "description": "Neither", "play": "Find a sponsor first"},
                {"key": "pushing", "label": "Pushing", "description": "Sponsor, no data", "play": "Fund a data sprint"},
                {"key": "waiting", "label": "Waiting", "description": "Data, no sponsor", "play": "Win a sponsor"},
                {"key": "ready", "label": "Ready", "description": "Both", "play": "Go live"}
            ],
            "optimal": {"x": "high", "y": "high"}
        }]
    },
    "update_framework": crate::domain::framework::Framework = {
        "key": "onboarding_fit", "name": "Onboarding fit",
        "description": "Whether a new customer is set up to adopt.",
        "subject": "account",
        "dimensions": [
            {"key": "sponsor", "label": "Sponsor", "question": "How engaged is the sponsor?",
             "scale": {"min": 1, "max": 10}}
        ]
    },
    "clone_framework": crate::http::frameworks::CloneInput = {"key": "our_readiness", "name": "Our readiness"},
    "evaluate_framework": crate::http::frameworks::EvaluateInput = {
        "scores": {"product_quality": 8, "outcome_clarity": 9, "enablement": 7, "guidance": 6,
                   "relationship_trust": 3, "business_need": 8}
    },
    "classify": crate::http::frameworks::ClassifyInput = {"x": 8, "y": 3},
    "create_metric_definition": crate::domain::metric::NewMetric = {
        "key": "weekly_active_users", "name": "Weekly active users",
        "description": "Distinct users active in the week", "unit": "count", "aggregation": "avg",
        "direction": "higher_is_better", "category": "usage", "horizon": "traditional"
    },
    "create_metric_set": crate::domain::metric_set::MetricSet = {
        "key": "exec_review", "label": "Executive review",
        "metrics": [
            {"metric": "logins", "weight": 2, "green_at": 500, "red_at": 100},
            {"metric": "survey_nps", "target": 50}
        ]
    },
    "update_metric_set": crate::domain::metric_set::MetricSet = {
        "key": "exec_review", "label": "Executive review",
        "metrics": [{"metric": "logins", "weight": 1, "green_at": 600, "red_at": 150}]
    },
    "write_observations": crate::http::observations::ObservationBatchInput = {
        "observations": [
            {"account_id": ACCOUNT, "metric": "logins", "observed_at": "2026-07-06T00:00:00Z", "value": 412},
            {"account_ref": {"system": "salesforce", "id": "0015g00000XyZ"}, "metric": "survey_nps",
             "observed_at": "2026-08-14T00:00:00Z", "value": 38}
        ]
    },
    "create_policy": crate::domain::prioritization::Policy = {
        "key": "enterprise_focus", "label": "Enterprise focus",
        "matrices": [{"matrix": "readiness", "weight": 2}],
        "terms": [{"equation": "success_equation.renewal", "weight": 1},
                  {"account_field": "current_arr", "weight": 1},
                  {"account_field": "days_to_renewal", "weight": 1}],
        "tiers": [{"key": "high_touch", "label": "High touch", "min_score": 0.6},
                  {"key": "pooled", "label": "Pooled CSM", "min_score": 0.3},
                  {"key": "digital", "label": "Digital only", "min_score": 0}],
        "exclude": {"lifecycle_stages": ["churned"]}
    },
    "update_policy": crate::domain::prioritization::Policy = {
        "key": "enterprise_focus", "label": "Enterprise focus",
        "matrices": [{"matrix": "readiness", "weight": 1}],
        "terms": [{"hierarchy": "org_hierarchy", "weight": 1}],
        "tiers": [{"key": "high_touch", "min_score": 0.5}]
    },
    "create_success_plan_template": crate::domain::success_plan::TemplateFields = {
        "name": "Onboarding", "duration_days": 90,
        "objectives": [{
            "title": "Go live", "weight": 2, "due_offset_days": 60,
            "kpis": [{"name": "Weekly logins", "metric_key": "logins", "baseline": 0, "target": 600}],
            "milestones": [{"title": "Kick-off", "due_offset_days": 7}]
        }]
    },
    "update_success_plan_template": crate::domain::success_plan::TemplatePatch = {
        "name": "Onboarding v2", "duration_days": 120
    },
    "create_success_plan": crate::domain::success_plan::NewPlan = {
        "account_id": ACCOUNT, "name": "Adoption 2026", "owner": "jane@example.com",
        "status": "active", "start_date": "2026-07-01", "target_date": "2026-12-31"
    },
    "update_success_plan": crate::domain::success_plan::PlanPatch = {
        "status": "abandoned", "status_reason": "The customer paused the rollout"
    },
    "create_objective": crate::domain::success_plan::ObjectiveDraft = {
        "title": "Cut support load", "outcome": "Fewer escalations to the vendor", "weight": 1,
        "due_date": "2026-10-31",
        "kpis": [{"name": "Open cases", "baseline": 10, "target": 4, "current": 7}]
    },
    "update_objective": crate::domain::success_plan::ObjectivePatch = {"status": "in_progress"},
    "create_kpi": crate::domain::success_plan::KpiDraft = {
        "name": "Weekly logins", "metric_key": "logins", "baseline": 0, "target": 600
    },
    "update_kpi": crate::domain::success_plan::KpiPatch = {"target": 800},
    "create_milestone": crate::domain::success_plan::MilestoneDraft = {
        "title": "Admins trained", "owner": "Raj Patel", "due_date": "2026-08-01"
    },
    "update_milestone": crate::domain::success_plan::MilestonePatch = {"done": true, "done_on": "2026-07-28"},
    "create_success": crate::domain::success::SuccessDraft = {
        "account_id": ACCOUNT, "title": "Live in 40 days", "plan_id": PLAN, "objective_id": OBJECTIVE,
        "achieved_on": "2026-08-10",
        "outcome": {"description": "Onboarding done three weeks early", "purposeful": true},
        "measurable": {"metric": "days to go live", "baseline": 60, "result": 40, "target": 30}
    },
    "update_success": crate::domain::success::SuccessPatch = {
        "story": "The admins trained their own teams, so go-live came three weeks early.",
        "reuse": [{"scope": "company", "description": "The same rollout for the APAC teams"}]
    },
    "record_success_reuse": crate::http::successes::ReuseInput = {
        "account_ref": {"system": "salesforce", "id": "0015g00000AbC"}, "applied_on": "2026-09-15",
        "outcome": "The APAC rollout went live in 35 days",
        "result": {"baseline": 60, "target": 40, "value": 35}
    },
    "update_workspace_settings": crate::http::metrics::SettingsPatch = {"fiscal_year_start_month": 4},
}

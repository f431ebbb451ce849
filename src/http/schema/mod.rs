//! The OpenAPI schemas of the domain types the REST door carries as they are.
//!
//! The domain knows nothing of OpenAPI, so each such type has a twin here: a
//! schema-only declaration of its JSON shape (fields, their limits and docs),
//! never built nor parsed. `twin!` lends the twin's schema to the domain type,
//! so handlers and DTOs name the domain type. Enums that travel as strings get
//! their schema from their own variants (`ALL`) and doc comment (`ABOUT`).
//! A twin that drifts from its type shows in the spec drift test and in the
//! schemathesis run, which checks every answer against the schema.

#![allow(
    dead_code,
    reason = "twins exist for their derived schemas only; no value of them is ever made"
)]

mod frameworks;
mod metrics;
mod plans;
mod successes;

use std::borrow::Cow;

use serde::Deserialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::{
    account, api_key, equation, filter, framework, hierarchy, matrix, metric, metric_set,
    prioritization, qbr, risk, scale, stakeholder, success, success_plan, success_reuse,
};

/// Gives each domain type (left) the schema and name of its twin (right).
macro_rules! twin {
    ($($domain:path => $twin:ty),+ $(,)?) => {$(
        impl PartialSchema for $domain {
            fn schema() -> RefOr<Schema> {
                <$twin as PartialSchema>::schema()
            }
        }

        impl ToSchema for $domain {
            fn name() -> Cow<'static, str> {
                <$twin as ToSchema>::name()
            }

            fn schemas(out: &mut Vec<(String, RefOr<Schema>)>) {
                <$twin as ToSchema>::schemas(out)
            }
        }
    )+};
}

/// The schema of each `str_enum!` type: a string of one of its variants.
macro_rules! str_enum_schema {
    ($($ty:path),+ $(,)?) => {$(
        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                one_of_strings(<$ty>::ABOUT, <$ty>::ALL.iter().map(|v| v.as_str()))
            }
        }

        impl ToSchema for $ty {}
    )+};
}

/// A string schema allowing `values`, described by doc-comment lines.
fn one_of_strings(about: &[&str], values: impl Iterator<Item = &'static str>) -> RefOr<Schema> {
    let description = (!about.is_empty()).then(|| {
        about
            .iter()
            .map(|line| line.strip_prefix(' ').unwrap_or(line))
            .collect::<Vec<_>>()
            .join("\n")
    });
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(description)
        .enum_values(Some(values))
        .into()
}

str_enum_schema!(
    account::LifecycleStage,
    framework::Subject,
    metric::Unit,
    metric::Aggregation,
    metric::MetricKind,
    metric::Direction,
    metric::Category,
    metric::Horizon,
    metric::Source,
    metric_set::Rag,
    prioritization::AccountField,
    qbr::Audience,
    risk::RiskKind,
    filter::RiskStatus,
    filter::HealthOrder,
    stakeholder::StakeholderRole,
    success::Part,
    success::ReuseScope,
    success_plan::PlanStatus,
    success_plan::PlanHealth,
    success_plan::ObjectiveStatus,
);

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum Role {
    Read,
    Write,
    Admin,
}

twin!(
    api_key::Role => Role,
    equation::TermSource => frameworks::TermSource,
    equation::Term => frameworks::Term,
    equation::Equation => frameworks::Equation,
    framework::Dimension => frameworks::Dimension,
    framework::Framework => frameworks::Framework,
    hierarchy::Hierarchy => frameworks::Hierarchy,
    matrix::End => frameworks::End,
    matrix::Corner => frameworks::Corner,
    matrix::Cell => frameworks::Cell,
    matrix::Matrix => frameworks::Matrix,
    scale::Scale => frameworks::Scale,
    prioritization::WeightedMatrix => frameworks::WeightedMatrix,
    prioritization::TierCut => frameworks::TierCut,
    prioritization::PolicyTerm => frameworks::PolicyTerm,
    prioritization::Exclude => frameworks::Exclude,
    prioritization::Policy => frameworks::Policy,
    metric::NewMetric => metrics::NewMetric,
    metric_set::SetMetric => metrics::SetMetric,
    metric_set::MetricSet => metrics::MetricSet,
    success_plan::KpiDraft => plans::KpiDraft,
    success_plan::KpiPatch => plans::KpiPatch,
    success_plan::MilestoneDraft => plans::MilestoneDraft,
    success_plan::MilestonePatch => plans::MilestonePatch,
    success_plan::ObjectiveDraft => plans::ObjectiveDraft,
    success_plan::ObjectivePatch => plans::ObjectivePatch,
    success_plan::PlanPatch => plans::PlanPatch,
    success_plan::NewPlan => plans::NewPlan,
    success_plan::Kpi => plans::Kpi,
    success_plan::Milestone => plans::Milestone,
    success_plan::Objective => plans::Objective,
    success_plan::TemplateFields => plans::TemplateFields,
    success_plan::TemplateObjective => plans::TemplateObjective,
    success_plan::TemplateKpi => plans::TemplateKpi,
    success_plan::TemplateMilestone => plans::TemplateMilestone,
    success_plan::TemplatePatch => plans::TemplatePatch,
    success::Outcome => successes::Outcome,
    success::Reuse => successes::Reuse,
    success::Measurable => successes::Measurable,
    success::Permanence => successes::Permanence,
    success::SuccessDraft => successes::SuccessDraft,
    success::SuccessPatch => successes::SuccessPatch,
    success_reuse::ReuseResult => successes::ReuseResult,
);

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::{self, Deserializer, Visitor};
    use utoipa::openapi::schema::Schema as S;

    /// The field names serde reads for `T`, caught as `T` asks for a struct.
    fn serde_fields<'de, T: Deserialize<'de>>() -> Vec<&'static str> {
        struct Catch(Option<&'static [&'static str]>);
        #[derive(Debug)]
        struct Caught;
        impl std::fmt::Display for Caught {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("caught")
            }
        }
        impl std::error::Error for Caught {}
        impl de::Error for Caught {
            fn custom<M: std::fmt::Display>(_: M) -> Self {
                Caught
            }
        }
        impl<'de> Deserializer<'de> for &mut Catch {
            type Error = Caught;
            fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Caught> {
                Err(Caught)
            }
            fn deserialize_struct<V: Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Caught> {
                self.0 = Some(fields);
                Err(Caught)
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
                bytes byte_buf option unit unit_struct newtype_struct seq tuple
                tuple_struct map enum identifier ignored_any
            }
        }
        let mut catch = Catch(None);
        let _ = T::deserialize(&mut catch);
        catch.0.expect("a struct").to_vec()
    }

    fn schema_fields<T: PartialSchema>() -> Vec<String> {
        match T::schema() {
            RefOr::T(S::Object(o)) => o.properties.keys().cloned().collect(),
            _ => panic!("not an object schema"),
        }
    }

    macro_rules! same_fields {
        ($($ty:path),+ $(,)?) => {$(
            assert_eq!(
                schema_fields::<$ty>(),
                serde_fields::<$ty>(),
                "the twin of {} lists other fields than the type",
                stringify!($ty)
            );
        )+};
    }

    #[test]
    fn tier_cuts_read_their_old_names_but_show_the_new() {
        use crate::domain::prioritization::TierCut;
        assert_eq!(schema_fields::<TierCut>(), ["key", "label", "min_score"]);
        assert_eq!(
            serde_fields::<TierCut>(),
            ["key", "tier", "label", "min", "min_score"]
        );
    }

    #[test]
    fn every_twin_has_its_types_fields_in_order() {
        same_fields!(
            equation::Term,
            equation::Equation,
            framework::Dimension,
            framework::Framework,
            hierarchy::Hierarchy,
            matrix::Corner,
            matrix::Cell,
            matrix::Matrix,
            scale::Scale,
            prioritization::WeightedMatrix,
            prioritization::PolicyTerm,
            prioritization::Exclude,
            prioritization::Policy,
            metric::NewMetric,
            metric_set::SetMetric,
            metric_set::MetricSet,
            success_plan::KpiDraft,
            success_plan::KpiPatch,
            success_plan::MilestoneDraft,
            success_plan::MilestonePatch,
            success_plan::ObjectiveDraft,
            success_plan::ObjectivePatch,
            success_plan::PlanPatch,
            success_plan::NewPlan,
            success_plan::Kpi,
            success_plan::Milestone,
            success_plan::Objective,
            success_plan::TemplateFields,
            success_plan::TemplateObjective,
            success_plan::TemplateKpi,
            success_plan::TemplateMilestone,
            success_plan::TemplatePatch,
            success::Outcome,
            success::Reuse,
            success::Measurable,
            success::Permanence,
            success::SuccessDraft,
            success::SuccessPatch,
            success_reuse::ReuseResult,
        );
    }

    #[test]
    fn string_enums_list_what_serde_writes() {
        for unit in metric::Unit::ALL {
            let json = serde_json::to_value(unit).unwrap();
            assert_eq!(json, unit.as_str());
        }
        let RefOr::T(S::Object(o)) = metric::Unit::schema() else {
            panic!("Unit is an object schema")
        };
        let listed: Vec<_> = o.enum_values.unwrap().into_iter().collect();
        assert_eq!(listed.len(), 7);
        assert_eq!(listed[0], "count");
        let description = o.description.unwrap_or_default();
        assert!(
            description.starts_with("What a value measures, which bounds the values it accepts."),
            "{description}"
        );
    }
}

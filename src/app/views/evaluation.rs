//! Frameworks and what they conclude from scores: the shape an evaluation
//! and an assessment have in answers and in events.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::super::{PublishedFramework, etag_of};
use super::ExternalRefDto;
use crate::domain::assessment::Assessment;
use crate::domain::equation::{Equation, EquationResult};
use crate::domain::framework::{Dimension, Evaluation, Scores, Subject};
use crate::domain::hierarchy::{Hierarchy, HierarchyResult};
use crate::domain::matrix::{Cell, Classification, Matrix};

/// A framework at one version: its definition (as created) with the
/// version and whether it is a built-in.
#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkView {
    pub key: String,
    pub name: String,
    pub description: String,
    pub subject: Subject,
    pub version: i32,
    /// Built-ins are read-only.
    pub built_in: bool,
    /// Send back in `If-Match` to change this version only.
    pub etag: String,
    pub dimensions: Vec<Dimension>,
    pub matrices: Vec<Matrix>,
    pub equations: Vec<Equation>,
    pub hierarchy: Option<Hierarchy>,
}

impl From<PublishedFramework> for FrameworkView {
    fn from(p: PublishedFramework) -> Self {
        let f = p.framework;
        Self {
            key: f.key,
            name: f.name,
            description: f.description,
            subject: f.subject,
            version: p.version,
            built_in: p.built_in,
            etag: etag_of(i64::from(p.version)),
            dimensions: f.dimensions,
            matrices: f.matrices,
            equations: f.equations,
            hierarchy: f.hierarchy,
        }
    }
}

/// A normalised point in [0, 1]².
#[derive(Debug, Serialize, ToSchema)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// Where a subject sits on a matrix, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClassificationView {
    pub matrix: String,
    pub cell: Cell,
    /// Column and row of the cell, from the low end (0-based).
    pub column: usize,
    pub row: usize,
    pub point: Point,
    /// 1 at the optimal corner, 0 at the opposite one.
    pub closeness: f64,
}

impl ClassificationView {
    pub fn new(matrix: String, c: Classification) -> Self {
        Self {
            matrix,
            cell: c.cell,
            column: c.column,
            row: c.row,
            point: Point {
                x: c.point.0,
                y: c.point.1,
            },
            closeness: c.closeness,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TermValueView {
    pub key: String,
    pub value: f64,
    pub weight: f64,
    pub floor: f64,
}

/// An equation's value, what blocks it (weakest first) and each term's part.
#[derive(Debug, Serialize, ToSchema)]
pub struct EquationResultView {
    pub key: String,
    pub value: f64,
    pub blocked_by: Vec<String>,
    pub terms: Vec<TermValueView>,
}

impl From<EquationResult> for EquationResultView {
    fn from(r: EquationResult) -> Self {
        Self {
            key: r.key,
            value: r.value,
            blocked_by: r.blocked_by,
            terms: r
                .terms
                .into_iter()
                .map(|t| TermValueView {
                    key: t.key,
                    value: t.value,
                    weight: t.weight,
                    floor: t.floor,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LevelView {
    pub key: String,
    pub met: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HierarchyResultView {
    /// Levels met from the base up without a gap (0 = none).
    pub attained_level: usize,
    /// The first unmet level from the base.
    pub next_focus: Option<String>,
    pub levels: Vec<LevelView>,
}

impl From<HierarchyResult> for HierarchyResultView {
    fn from(h: HierarchyResult) -> Self {
        Self {
            attained_level: h.attained_level,
            next_focus: h.next_focus,
            levels: h
                .levels
                .into_iter()
                .map(|l| LevelView {
                    key: l.key,
                    met: l.met,
                })
                .collect(),
        }
    }
}

/// Every model of a framework computed from one set of scores.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationView {
    pub framework: String,
    pub version: i32,
    pub classifications: Vec<ClassificationView>,
    pub equations: Vec<EquationResultView>,
    pub hierarchy: Option<HierarchyResultView>,
}

impl EvaluationView {
    pub fn new(framework: String, version: i32, e: Evaluation) -> Self {
        Self {
            framework,
            version,
            classifications: e
                .classifications
                .into_iter()
                .map(|(k, c)| ClassificationView::new(k, c))
                .collect(),
            equations: e.equations.into_iter().map(Into::into).collect(),
            hierarchy: e.hierarchy.map(Into::into),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentView {
    pub id: Uuid,
    pub account_id: Uuid,
    /// Set when the framework scores stakeholders.
    pub stakeholder_id: Option<Uuid>,
    pub framework: String,
    /// The framework version the assessment was made with.
    pub framework_version: i32,
    #[schema(value_type = BTreeMap<String, f64>)]
    pub scores: Scores,
    pub notes: BTreeMap<String, String>,
    pub assessor: Option<String>,
    pub assessed_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// What the framework concluded when the assessment was made.
    pub results: EvaluationView,
    /// Its id in the system it came from, if it was given one.
    pub external_ref: Option<ExternalRefDto>,
}

impl From<Assessment> for AssessmentView {
    fn from(a: Assessment) -> Self {
        Self {
            results: EvaluationView::new(a.framework.clone(), a.framework_version, a.results),
            id: a.id,
            account_id: a.account_id,
            stakeholder_id: a.stakeholder_id,
            framework: a.framework,
            framework_version: a.framework_version,
            scores: a.scores,
            notes: a.notes,
            assessor: a.assessor,
            external_ref: a.external_ref.map(ExternalRefDto::from),
            assessed_at: a.assessed_at,
            created_at: a.created_at,
        }
    }
}

//! The workspace's definitions (metrics, metric sets, policies) and its API
//! keys, as returned.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::super::{Published, etag_of};
use crate::domain::metric::{
    Aggregation, Category, Direction, Horizon, MetricDefinition, MetricKind, Source, Unit,
};
use crate::domain::metric_set::{MetricSet, SetMetric};
use crate::domain::prioritization::{Exclude, Policy, PolicyTerm, TierCut, WeightedMatrix};
use crate::domain::{ApiKey, Role};

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricDefinitionView {
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    pub unit: Unit,
    /// How a quarter's observations become its value.
    pub aggregation: Aggregation,
    pub kind: MetricKind,
    pub direction: Direction,
    pub category: Category,
    /// `traditional` (lagging) or `future` (leading).
    pub horizon: Horizon,
    /// `derived` metrics are computed by csapi and cannot be observed.
    pub source: Source,
    /// Built-ins are read-only.
    pub built_in: bool,
    /// Send back in `If-Match` to change this version only.
    pub etag: String,
}

impl From<Published<MetricDefinition>> for MetricDefinitionView {
    fn from(p: Published<MetricDefinition>) -> Self {
        let m = p.definition;
        Self {
            key: m.key,
            name: m.name,
            description: m.description,
            unit: m.unit,
            aggregation: m.aggregation,
            kind: m.kind,
            direction: m.direction,
            category: m.category,
            horizon: m.horizon,
            source: m.source,
            built_in: p.built_in,
            etag: etag_of(p.version),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricSetView {
    pub key: String,
    pub label: String,
    pub description: Option<String>,
    /// In review order.
    pub metrics: Vec<SetMetric>,
    /// Built-ins are read-only.
    pub built_in: bool,
    /// Send back in `If-Match` to change this version only.
    pub etag: String,
}

impl From<Published<MetricSet>> for MetricSetView {
    fn from(p: Published<MetricSet>) -> Self {
        let s = p.definition;
        Self {
            key: s.key,
            label: s.label,
            description: s.description,
            metrics: s.metrics,
            built_in: p.built_in,
            etag: etag_of(p.version),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    pub key: String,
    pub label: String,
    pub matrices: Vec<WeightedMatrix>,
    /// Equations, hierarchies and account fields it weighs.
    pub terms: Vec<PolicyTerm>,
    /// Highest first; below every cut is `low_touch`.
    pub tiers: Vec<TierCut>,
    /// Accounts given no proactive support whatever their score.
    pub exclude: Exclude,
    /// Built-ins are read-only.
    pub built_in: bool,
    /// Send back in `If-Match` to change this version only.
    pub etag: String,
}

impl From<Published<Policy>> for PolicyView {
    fn from(p: Published<Policy>) -> Self {
        Self {
            key: p.definition.key,
            label: p.definition.label,
            matrices: p.definition.matrices,
            terms: p.definition.terms,
            tiers: p.definition.tiers,
            exclude: p.definition.exclude,
            built_in: p.built_in,
            etag: etag_of(p.version),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    /// The key's first characters, to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The only accounts the key reaches; absent for a key of the whole workspace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_ids: Option<Vec<Uuid>>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id,
            name: k.name,
            role: k.role,
            prefix: k.prefix,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
            account_ids: k.reach.accounts().map(|ids| ids.to_vec()),
        }
    }
}

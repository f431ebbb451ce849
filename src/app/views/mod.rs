//! Resources as the API returns them: the JSON both a REST answer and a
//! change event carry, so the feed shows a record exactly as a GET does.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

mod definitions;
mod evaluation;
mod events;
mod exports;
mod plans;
mod qbr_links;
mod risks;
mod successes;

pub use definitions::{ApiKeyView, MetricDefinitionView, MetricSetView, PolicyView};
pub use evaluation::{
    AssessmentView, ClassificationView, EquationResultView, EvaluationView, FrameworkView,
    HierarchyResultView, LevelView, Point, TermValueView,
};
pub use events::{DeliveryView, EventView, WebhookView};
pub use exports::{
    ExportCellView, ExportEquationView, ExportHealthView, ExportPlanView, ExportedAccountView,
};
pub use plans::{PlanView, ProgressSummary, TemplateView};
pub use qbr_links::QbrLinkView;
pub use risks::{AccountRisksView, DerivedRiskView, RenewalView, RiskView};
pub use successes::{RecordedReuseView, SuccessView};

use super::etag_of;
use crate::domain::attributes::Attributes as Object;
use crate::domain::{Account, ExternalRef, LifecycleStage, Stakeholder, StakeholderRole};

/// The same record in another system.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalRefDto {
    /// The other system, e.g. `salesforce`, `gainsight`.
    #[schema(pattern = "^[a-z0-9_-]{1,64}$")]
    pub system: String,
    /// Its id there.
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub id: String,
}

impl From<ExternalRefDto> for ExternalRef {
    fn from(d: ExternalRefDto) -> Self {
        ExternalRef::new(d.system, d.id)
    }
}

pub fn refs_from(dtos: Vec<ExternalRefDto>) -> Vec<ExternalRef> {
    dtos.into_iter().map(ExternalRef::from).collect()
}

impl From<ExternalRef> for ExternalRefDto {
    fn from(r: ExternalRef) -> Self {
        Self {
            system: r.system,
            id: r.id,
        }
    }
}

pub fn refs_to(refs: Vec<ExternalRef>) -> Vec<ExternalRefDto> {
    refs.into_iter().map(ExternalRefDto::from).collect()
}

/// An account as returned.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: Uuid,
    pub name: String,
    pub segment: Option<String>,
    /// The owning CSM's email.
    pub owner: Option<String>,
    pub lifecycle_stage: Option<LifecycleStage>,
    pub customer_since: Option<NaiveDate>,
    pub original_arr: Option<f64>,
    /// When the customer next decides whether to renew.
    pub renewal_date: Option<NaiveDate>,
    /// When the current contract ends.
    pub contract_end: Option<NaiveDate>,
    /// What the customer pays a year now, in `currency`.
    pub current_arr: Option<f64>,
    pub currency: String,
    #[schema(value_type = BTreeMap<String, serde_json::Value>)]
    pub attributes: Object,
    pub external_refs: Vec<ExternalRefDto>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Send back in `If-Match` to change this version only.
    pub etag: String,
}

impl From<Account> for AccountView {
    fn from(a: Account) -> Self {
        let f = a.fields;
        Self {
            id: a.id,
            name: f.name,
            segment: f.segment,
            owner: f.owner,
            lifecycle_stage: f.lifecycle_stage,
            customer_since: f.customer_since,
            original_arr: f.original_arr,
            renewal_date: f.renewal_date,
            contract_end: f.contract_end,
            current_arr: f.current_arr,
            currency: f.currency,
            attributes: f.attributes,
            external_refs: refs_to(f.external_refs),
            created_at: a.created_at,
            updated_at: a.updated_at,
            etag: etag_of(a.version),
        }
    }
}

/// A stakeholder as returned.
#[derive(Debug, Serialize, ToSchema)]
pub struct StakeholderView {
    pub id: Uuid,
    pub account_id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub title: Option<String>,
    pub role: Option<StakeholderRole>,
    pub involved_in_purchase: bool,
    /// The day they left the customer.
    pub left_on: Option<NaiveDate>,
    #[schema(value_type = BTreeMap<String, serde_json::Value>)]
    pub attributes: Object,
    pub external_refs: Vec<ExternalRefDto>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub etag: String,
}

impl From<Stakeholder> for StakeholderView {
    fn from(s: Stakeholder) -> Self {
        let f = s.fields;
        Self {
            id: s.id,
            account_id: s.account_id,
            name: f.name,
            email: f.email,
            title: f.title,
            role: f.role,
            involved_in_purchase: f.involved_in_purchase,
            left_on: f.left_on,
            attributes: f.attributes,
            external_refs: refs_to(f.external_refs),
            created_at: s.created_at,
            updated_at: s.updated_at,
            etag: etag_of(s.version),
        }
    }
}

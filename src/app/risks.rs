//! Risks people raise against an account's renewal and resolve once dealt
//! with. Raising or resolving one is a change to its account, under the
//! account's lock, with a change event like any other.

use chrono::NaiveDate;
use uuid::Uuid;

use super::changes::{data_of, record_about};
use super::metrics::Reading;
use super::page::paginate;
use super::views::RiskView;
use super::{App, AppError, Listed, PageRequest, Principal, now};
use crate::domain::event::{Change, NewEvent, Resource};
use crate::domain::filter::RiskStatus;
use crate::domain::metric_set::Health;
use crate::domain::qbr::AccountRecord;
use crate::domain::risk::{
    DepartedChampion, DerivedRisk, PlanSignal, Renewal, Resolution, ResolutionDraft, Risk,
    RiskDraft, RiskSignals,
};
use crate::domain::success_plan::{PlanHealth, PlanStatus};
use crate::domain::{Account, Role, StakeholderRole};
use crate::store::{Page, Tx};

const RISK: &str = "risk";

/// What threatens one account's renewal on a day: how near it is, the risks
/// people raised and not yet resolved, and those its records show.
#[derive(Debug, Clone)]
pub struct AccountRisks {
    pub renewal: Renewal,
    pub raised: Vec<Risk>,
    pub derived: Vec<DerivedRisk>,
}

impl App {
    /// Raises a risk against `account_id` (write role).
    pub async fn raise_risk(
        &self,
        p: &Principal,
        account_id: Uuid,
        draft: RiskDraft,
    ) -> Result<Risk, AppError> {
        p.require(Role::Write)?;
        draft.validate()?;
        let risk = Risk {
            id: Uuid::now_v7(),
            account_id,
            kind: draft.kind,
            reason: draft.reason,
            raised_at: now(),
            raised_by: draft.raised_by.unwrap_or_else(|| key_name(p)),
            resolution: None,
            version: 1,
        };
        let mut work = self.begin(p).await?;
        let result = async {
            if !work.lock_account(account_id).await? {
                return Err(AppError::NotFound("account"));
            }
            work.insert_risk(&risk).await?;
            record_risk(&mut work, &risk, Change::Created).await?;
            Ok(risk)
        }
        .await;
        work.finish(result).await
    }

    /// An account's raised risks, open ones unless `status` says otherwise.
    pub async fn risks(
        &self,
        p: &Principal,
        account_id: Uuid,
        status: RiskStatus,
        page: &PageRequest,
    ) -> Result<Listed<Risk>, AppError> {
        let (page, size) = page.resolve()?;
        self.account(p, account_id).await?;
        let rows = self
            .store
            .risks(p.workspace_id, account_id, status, page)
            .await?;
        Ok(paginate(rows, size, |r| r.id))
    }

    pub async fn risk(&self, p: &Principal, id: Uuid) -> Result<Risk, AppError> {
        p.require_within_reach(Role::Read)?;
        let found = self.store.risk(p.workspace_id, id).await?;
        p.reveal(found, |r| r.account_id, RISK)
    }

    /// Resolves an open risk; a resolved one is a conflict, so two people
    /// closing the same risk at once learn that one of them did.
    pub async fn resolve_risk(
        &self,
        p: &Principal,
        id: Uuid,
        draft: ResolutionDraft,
    ) -> Result<Risk, AppError> {
        p.require(Role::Write)?;
        draft.validate()?;
        let mut work = self.begin(p).await?;
        let result = async {
            let current = work.risk(id).await?.ok_or(AppError::NotFound(RISK))?;
            work.lock_account(current.account_id).await?;
            let resolved = resolved(current, draft, p)?;
            if !work.resolve_risk(&resolved, resolved.version - 1).await? {
                return Err(already_resolved());
            }
            record_risk(&mut work, &resolved, Change::Updated).await?;
            Ok(resolved)
        }
        .await;
        work.finish(result).await
    }
}

impl App {
    /// The risks of `account` on `as_of`, its `record` holding its plans and
    /// `health` its health on the set read.
    pub(super) async fn account_risks(
        &self,
        p: &Principal,
        account: &Account,
        record: &AccountRecord,
        health: Option<(String, Health)>,
        as_of: NaiveDate,
        reading: Reading,
    ) -> Result<AccountRisks, AppError> {
        let ws = p.workspace_id;
        let raised = self
            .store
            .risks(ws, account.id, RiskStatus::Open, Page::all())
            .await?;
        let departed = self
            .store
            .stakeholders(ws, account.id, None, Page::all())
            .await?
            .into_iter()
            .filter(|s| s.fields.role == Some(StakeholderRole::Champion))
            .filter_map(|s| {
                s.fields.left_on.map(|left_on| DepartedChampion {
                    id: s.id,
                    name: s.fields.name,
                    left_on,
                })
            })
            .collect();
        let zone = reading.calendar.zone();
        let plans = record
            .plans
            .iter()
            .filter(|plan| {
                plan.fields.status == PlanStatus::Active && plan.fields.start_date <= as_of
            })
            .map(|plan| PlanSignal {
                id: plan.id,
                name: plan.fields.name.clone(),
                off_track: record.plan_progress(plan, as_of, zone).health == PlanHealth::OffTrack,
            })
            .collect();
        let signals = RiskSignals {
            as_of,
            renewal_date: account.fields.renewal_date,
            window_days: reading.renewal_window_days,
            health,
            plans,
            departed,
        };
        Ok(AccountRisks {
            renewal: Renewal::at(signals.renewal_date, as_of, signals.window_days),
            raised,
            derived: signals.derived(),
        })
    }
}

/// `current` closed by `draft`, one version on; a conflict if already closed.
fn resolved(current: Risk, draft: ResolutionDraft, p: &Principal) -> Result<Risk, AppError> {
    if !current.is_open() {
        return Err(already_resolved());
    }
    Ok(Risk {
        resolution: Some(Resolution {
            at: now(),
            by: draft.by.unwrap_or_else(|| key_name(p)),
            note: draft.note,
        }),
        version: current.version + 1,
        ..current
    })
}

fn already_resolved() -> AppError {
    AppError::Concurrent("the risk is already resolved".into())
}

/// Who acted, when the request does not say: the API key.
fn key_name(p: &Principal) -> String {
    format!("api_key:{}", p.key_id)
}

async fn record_risk(tx: &mut Tx, risk: &Risk, change: Change) -> Result<(), AppError> {
    let data = data_of(&RiskView::from(risk.clone()))?;
    let at = risk.resolution.as_ref().map_or(risk.raised_at, |r| r.at);
    let event = NewEvent::new(Resource::Risk, change, risk.id, at, data);
    record_about(tx, risk.account_id, event).await
}

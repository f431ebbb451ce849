//! Captured-success use cases: record a win against an account (and, when
//! it proves one, a plan's objective), and find the wins worth telling,
//! measuring, reusing or making last.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::accounts::{hold_account, written};
use super::changes::{account_refs, data_of, record_about};
use super::page::{paginate, scan};
use super::success_plans::today;
use super::views::SuccessView;
use super::{App, AppError, IfMatch, Listed, PageRequest, Principal, next_change_time, now};
use crate::domain::event::{Change, NewEvent, Resource};
use crate::domain::filter::{AccountScope, SuccessFilter};
use crate::domain::success::{
    Part, ReuseScope, Success, SuccessDraft, SuccessFields, SuccessPatch,
};
use crate::domain::{Invalid, Role};
use crate::store::Tx;

const SUCCESS: &str = "success";

/// A success with its anatomy judged at a date.
#[derive(Debug, Clone)]
pub struct AssessedSuccess {
    pub success: Success,
    pub as_of: NaiveDate,
    pub anatomy_score: u8,
    pub missing: Vec<Part>,
}

impl AssessedSuccess {
    pub fn at(success: Success, as_of: NaiveDate) -> Self {
        let (anatomy_score, missing) = success.score(as_of);
        Self {
            success,
            as_of,
            anatomy_score,
            missing,
        }
    }
}

/// Which successes a list shows; the anatomy filters judge at `as_of`.
#[derive(Debug, Clone, Default)]
pub struct SuccessQuery {
    pub account_id: Option<Uuid>,
    pub min_score: Option<i64>,
    pub missing: Option<Part>,
    pub reusable_in: Option<ReuseScope>,
    /// Default today.
    pub as_of: Option<NaiveDate>,
    pub updated_since: Option<DateTime<Utc>>,
}

impl SuccessQuery {
    fn keeps(&self, s: &AssessedSuccess) -> bool {
        self.min_score
            .is_none_or(|m| i64::from(s.anatomy_score) >= m)
            && self.missing.is_none_or(|part| s.missing.contains(&part))
            && self
                .reusable_in
                .is_none_or(|scope| s.success.fields.anatomy.reusable_in(scope))
    }

    fn filters_anatomy(&self) -> bool {
        self.min_score.is_some() || self.missing.is_some() || self.reusable_in.is_some()
    }
}

impl App {
    pub async fn create_success(
        &self,
        p: &Principal,
        draft: SuccessDraft,
    ) -> Result<AssessedSuccess, AppError> {
        p.require(Role::Write)?;
        let (account_id, fields) = draft.into_fields(today(p.zone));
        let mut work = self.begin(p).await?;
        let result = async {
            hold_account(&mut work, account_id).await?;
            checked(&mut work, account_id, &fields, today(p.zone)).await?;
            let at = now();
            let s = Success {
                id: Uuid::now_v7(),
                account_id,
                fields,
                reuses: Vec::new(),
                version: 1,
                created_at: at,
                updated_at: at,
            };
            work.insert_success(&s).await?;
            let created = AssessedSuccess::at(s, today(p.zone));
            record_success(&mut work, &created, &[Change::Created, Change::Captured]).await?;
            Ok(created)
        }
        .await;
        work.finish(result).await
    }

    pub(super) async fn stored_success(
        &self,
        p: &Principal,
        id: Uuid,
    ) -> Result<Success, AppError> {
        p.require_within_reach(Role::Read)?;
        let found = self.store.success(p.workspace_id, id).await?;
        p.reveal(found, |s| s.account_id, SUCCESS)
    }

    /// A success, its anatomy judged at `as_of` (default today).
    pub async fn success(
        &self,
        p: &Principal,
        id: Uuid,
        as_of: Option<NaiveDate>,
    ) -> Result<AssessedSuccess, AppError> {
        let s = self.stored_success(p, id).await?;
        Ok(AssessedSuccess::at(
            s,
            as_of.unwrap_or_else(|| today(p.zone)),
        ))
    }

    pub async fn successes(
        &self,
        p: &Principal,
        query: &SuccessQuery,
        page: &PageRequest,
    ) -> Result<Listed<AssessedSuccess>, AppError> {
        p.require_within_reach(Role::Read)?;
        let (page, size) = page.resolve()?;
        if query.min_score.is_some_and(|m| !(0..=5).contains(&m)) {
            return Err(Invalid::single("min_score", "must be 0 to 5").into());
        }
        if let Some(a) = query.account_id {
            self.account(p, a).await?;
        }
        let as_of = query.as_of.unwrap_or_else(|| today(p.zone));
        let filter = SuccessFilter {
            account_id: query.account_id,
            updated_since: query.updated_since,
            accounts: p.narrow(AccountScope::default()),
            ..SuccessFilter::default()
        };
        let filter = &filter;
        let rows = scan(
            page,
            query.filters_anatomy(),
            |page| async move {
                let rows = self.store.successes(p.workspace_id, filter, page).await?;
                Ok(rows
                    .into_iter()
                    .map(|s| AssessedSuccess::at(s, as_of))
                    .collect())
            },
            |s| query.keeps(s),
            |s| s.success.id,
        )
        .await?;
        Ok(paginate(rows, size, |s| s.success.id))
    }

    pub async fn update_success(
        &self,
        p: &Principal,
        id: Uuid,
        patch: SuccessPatch,
        if_match: &IfMatch,
    ) -> Result<AssessedSuccess, AppError> {
        p.require(Role::Write)?;
        let mut work = self.begin(p).await?;
        let result = async {
            let current = locked_success(&mut work, id).await?;
            let mut fields = current.fields.clone();
            patch.apply_to(&mut fields);
            checked(&mut work, current.account_id, &fields, today(p.zone)).await?;
            if_match.check(SUCCESS, current.version)?;
            let next = Success {
                fields,
                version: current.version + 1,
                updated_at: next_change_time(current.updated_at),
                ..current
            };
            let took = work.update_success(&next, current.version).await?;
            let next = written(took, AssessedSuccess::at(next, today(p.zone)))?;
            record_success(&mut work, &next, &[Change::Updated]).await?;
            Ok(next)
        }
        .await;
        work.finish(result).await
    }

    pub async fn delete_success(
        &self,
        p: &Principal,
        id: Uuid,
        if_match: &IfMatch,
    ) -> Result<(), AppError> {
        p.require(Role::Write)?;
        let mut work = self.begin(p).await?;
        let result = async {
            let current = locked_success(&mut work, id).await?;
            if_match.check(SUCCESS, current.version)?;
            written(work.delete_success(id, current.version).await?, ())?;
            let tombstone = serde_json::json!({ "id": id, "account_id": current.account_id });
            let event = NewEvent::new(
                Resource::Success,
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
}

/// Records that a success was created (and captured) or changed, as a GET
/// now returns it.
pub(super) async fn record_success(
    tx: &mut Tx,
    a: &AssessedSuccess,
    changes: &[Change],
) -> Result<(), AppError> {
    let data = data_of(&SuccessView::from(a.clone()))?;
    let s = &a.success;
    let refs = account_refs(tx, s.account_id).await?;
    let events: Vec<NewEvent> = changes
        .iter()
        .map(|c| NewEvent::new(Resource::Success, *c, s.id, s.updated_at, data.clone()))
        .map(|e| e.about(s.account_id, &refs))
        .collect();
    Ok(tx.append_events(&events).await?)
}

/// The success, with its account locked until the unit of work ends.
pub(super) async fn locked_success(tx: &mut Tx, id: Uuid) -> Result<Success, AppError> {
    let found = tx.success(id).await?;
    let current = found.ok_or(AppError::NotFound(SUCCESS))?;
    hold_account(tx, current.account_id).await?;
    tx.success(id).await?.ok_or(AppError::NotFound(SUCCESS))
}

/// Checks the fields and what they name, every error in one answer. The
/// plan a success proves is locked, so it cannot go before the success is saved.
async fn checked(
    tx: &mut Tx,
    account_id: Uuid,
    f: &SuccessFields,
    today: NaiveDate,
) -> Result<(), AppError> {
    let mut e = f.check(today).err().unwrap_or_default();
    if let Some(plan_id) = f.plan_id {
        let plan = match tx.lock_plan(plan_id).await? {
            true => tx.plan(plan_id).await?,
            false => None,
        };
        match plan {
            None => e.push("plan_id", "is not a success plan of this workspace"),
            Some(plan) if plan.account_id != account_id => {
                e.push("plan_id", "is a plan of another account")
            }
            Some(plan) => match f.objective_id.map(|o| plan.objective(o)) {
                Some(None) => e.push("objective_id", "is not an objective of plan_id"),
                Some(Some(objective)) => {
                    let kpi = f.anatomy.measurable.as_ref().and_then(|m| m.kpi_id);
                    if kpi.is_some_and(|k| !objective.kpis.iter().any(|x| x.id == k)) {
                        e.push("measurable.kpi_id", "is not a KPI of objective_id");
                    }
                }
                None => {}
            },
        }
    }
    Ok(e.into_result()?)
}

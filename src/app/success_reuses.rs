//! Reuses of a captured win: where it was reapplied and with what result,
//! kept with the success so one read shows how often and where it travelled.
//! Recording or removing one changes the success (a new version and a
//! change event), under its account's lock like any other change to it.

use uuid::Uuid;

use super::accounts::written;
use super::page::paginate;
use super::success_plans::today;
use super::successes::{AssessedSuccess, locked_success, record_success};
use super::{App, AppError, Listed, PageRequest, Principal, next_change_time, now};
use crate::domain::event::Change;
use crate::domain::success::Success;
use crate::domain::success_reuse::{RecordedReuse, ReuseDraft};
use crate::domain::{Invalid, RecordKey, Role};
use crate::store::Tx;

const REUSE: &str = "reuse";

impl App {
    /// Records that a success was reapplied at an account (this one or
    /// another), optionally for a plan objective there.
    pub async fn record_reuse(
        &self,
        p: &Principal,
        success_id: Uuid,
        draft: ReuseDraft,
    ) -> Result<RecordedReuse, AppError> {
        p.require(Role::Write)?;
        let today = today(p.zone);
        let mut work = self.begin(p).await?;
        let result = async {
            let current = locked_success(&mut work, success_id).await?;
            let mut e = draft.check(&current, today).err().unwrap_or_default();
            let account_id = applied_at(&mut work, &draft, &mut e).await?;
            e.into_result()?;
            let reuse = draft.into_reuse(account_id, today, now());
            let mut next = current.clone();
            next.reuses.push(reuse.clone());
            save(&mut work, current, next, p).await?;
            Ok(reuse)
        }
        .await;
        work.finish(result).await
    }

    /// A success's reuses in the order recorded, a page at a time.
    pub async fn success_reuses(
        &self,
        p: &Principal,
        success_id: Uuid,
        page: &PageRequest,
    ) -> Result<Listed<RecordedReuse>, AppError> {
        let (page, size) = page.resolve()?;
        let s = self.stored_success(p, success_id).await?;
        let rows: Vec<RecordedReuse> = s
            .reuses
            .into_iter()
            .filter(|r| page.after.is_none_or(|after| r.id > after))
            .take(page.limit)
            .collect();
        Ok(paginate(rows, size, |r| r.id))
    }

    pub async fn delete_reuse(
        &self,
        p: &Principal,
        success_id: Uuid,
        reuse_id: Uuid,
    ) -> Result<(), AppError> {
        p.require(Role::Write)?;
        let mut work = self.begin(p).await?;
        let result = async {
            let current = locked_success(&mut work, success_id).await?;
            let mut next = current.clone();
            next.reuses.retain(|r| r.id != reuse_id);
            if next.reuses.len() == current.reuses.len() {
                return Err(AppError::NotFound(REUSE));
            }
            save(&mut work, current, next, p).await
        }
        .await;
        work.finish(result).await
    }
}

/// The account a reuse names, which must exist; a plan and objective it
/// names must be that account's. Bad names join `e`.
async fn applied_at(tx: &mut Tx, d: &ReuseDraft, e: &mut Invalid) -> Result<Uuid, AppError> {
    let found = match &d.account {
        RecordKey::Id(id) => tx.account(*id).await?.map(|a| a.id),
        RecordKey::Ref(r) => tx.account_named(r).await?,
    };
    let Some(account_id) = found else {
        e.push(
            d.account.field("account"),
            "names no account of this workspace",
        );
        return Ok(Uuid::nil());
    };
    if let Some(plan_id) = d.plan_id {
        match tx.plan(plan_id).await? {
            Some(plan) if plan.account_id == account_id => {
                if d.objective_id.is_some_and(|o| plan.objective(o).is_none()) {
                    e.push("objective_id", "is not an objective of plan_id");
                }
            }
            Some(_) => e.push("plan_id", "is a plan of another account"),
            None => e.push("plan_id", "is not a success plan of this workspace"),
        }
    }
    Ok(account_id)
}

/// Stores `next` over `current` as its next version and records the change.
async fn save(tx: &mut Tx, current: Success, next: Success, p: &Principal) -> Result<(), AppError> {
    let next = Success {
        version: current.version + 1,
        updated_at: next_change_time(current.updated_at),
        ..next
    };
    let took = tx.update_success(&next, current.version).await?;
    let next = written(took, AssessedSuccess::at(next, today(p.zone)))?;
    record_success(tx, &next, &[Change::Updated]).await
}

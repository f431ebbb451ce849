//! Stakeholder use cases. A stakeholder lives under an account of the same workspace.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::accounts::{hold_account, written};
use super::changes::{data_of, record_about};
use super::page::paginate;
use super::views::{StakeholderView, refs_to};
use super::{App, AppError, IfMatch, Listed, PageRequest, Principal, next_change_time, now};
use crate::domain::event::{Change, NewEvent, Resource};
use crate::domain::{RecordKey, Role, Stakeholder, StakeholderFields, StakeholderPatch};
use crate::store::Tx;

const STAKEHOLDER: &str = "stakeholder";

impl App {
    pub async fn create_stakeholder(
        &self,
        p: &Principal,
        account_id: Uuid,
        fields: StakeholderFields,
    ) -> Result<Stakeholder, AppError> {
        p.require(Role::Write)?;
        let fields = fields.prepared()?;
        let mut work = self.begin(p).await?;
        let result = async {
            hold_account(&mut work, account_id).await?;
            let at = now();
            let s = Stakeholder {
                id: Uuid::now_v7(),
                account_id,
                fields,
                version: 1,
                created_at: at,
                updated_at: at,
            };
            work.insert_stakeholder(&s).await?;
            record_change(&mut work, &s, Change::Created).await?;
            Ok(s)
        }
        .await;
        work.finish(result).await
    }

    pub async fn stakeholder(&self, p: &Principal, id: Uuid) -> Result<Stakeholder, AppError> {
        p.require(Role::Read)?;
        self.store
            .stakeholder(p.workspace_id, id)
            .await?
            .ok_or(AppError::NotFound(STAKEHOLDER))
    }

    pub async fn stakeholders(
        &self,
        p: &Principal,
        account_id: Uuid,
        updated_since: Option<DateTime<Utc>>,
        page: &PageRequest,
    ) -> Result<Listed<Stakeholder>, AppError> {
        p.require(Role::Read)?;
        let (page, size) = page.resolve()?;
        self.account(p, account_id).await?;
        let rows = self
            .store
            .stakeholders(p.workspace_id, account_id, updated_since, page)
            .await?;
        Ok(paginate(rows, size, |s| s.id))
    }

    pub async fn update_stakeholder(
        &self,
        p: &Principal,
        id: Uuid,
        patch: StakeholderPatch,
        if_match: &IfMatch,
    ) -> Result<Stakeholder, AppError> {
        p.require(Role::Write)?;
        let mut work = self.begin(p).await?;
        let result = async {
            let current = locked_stakeholder(&mut work, id).await?;
            let mut fields = current.fields.clone();
            patch.apply_to(&mut fields);
            let fields = fields.prepared()?;
            if_match.check(STAKEHOLDER, current.version)?;
            let next = Stakeholder {
                fields,
                version: current.version + 1,
                updated_at: next_change_time(current.updated_at),
                ..current
            };
            let took = work.update_stakeholder(&next, current.version).await?;
            let next = written(took, next)?;
            record_change(&mut work, &next, Change::Updated).await?;
            Ok(next)
        }
        .await;
        work.finish(result).await
    }

    pub async fn delete_stakeholder(
        &self,
        p: &Principal,
        id: Uuid,
        if_match: &IfMatch,
    ) -> Result<(), AppError> {
        p.require(Role::Write)?;
        let mut work = self.begin(p).await?;
        let result = async {
            let current = locked_stakeholder(&mut work, id).await?;
            if_match.check(STAKEHOLDER, current.version)?;
            written(work.delete_stakeholder(id, current.version).await?, ())?;
            let refs = refs_to(current.fields.external_refs.clone());
            let tombstone = serde_json::json!({"id": id, "account_id": current.account_id, "external_refs": refs});
            let event = NewEvent::new(Resource::Stakeholder, Change::Deleted, id, now(), tombstone);
            record_about(&mut work, current.account_id, event).await
        }
        .await;
        work.finish(result).await
    }
}

/// Records that `s` was created or changed, as a GET now returns it.
async fn record_change(tx: &mut Tx, s: &Stakeholder, change: Change) -> Result<(), AppError> {
    let data = data_of(&StakeholderView::from(s.clone()))?;
    let event = NewEvent::new(Resource::Stakeholder, change, s.id, s.updated_at, data);
    record_about(tx, s.account_id, event).await
}

/// The stakeholder, with its account locked until the unit of work ends (the
/// lock every write to an account's people and history takes).
async fn locked_stakeholder(tx: &mut Tx, id: Uuid) -> Result<Stakeholder, AppError> {
    let found = tx.stakeholder(id).await?;
    let current = found.ok_or(AppError::NotFound(STAKEHOLDER))?;
    hold_account(tx, current.account_id).await?;
    tx.stakeholder(id)
        .await?
        .ok_or(AppError::NotFound(STAKEHOLDER))
}

/// The stakeholder `key` names, by id or by ref (404 for none).
pub(super) async fn stakeholder_named(
    tx: &mut Tx,
    key: &RecordKey,
) -> Result<Stakeholder, AppError> {
    let id = match key {
        RecordKey::Id(id) => Some(*id),
        RecordKey::Ref(r) => tx.stakeholder_named(r).await?,
    };
    let found = match id {
        Some(id) => tx.stakeholder(id).await?,
        None => None,
    };
    found.ok_or(AppError::NotFound("stakeholder"))
}

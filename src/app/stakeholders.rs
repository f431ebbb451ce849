//! Stakeholder use cases. A stakeholder lives under an account of the same workspace.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::accounts::{Upsert, account_named, hold_account, written};
use super::changes::{data_of, record_about};
use super::page::paginate;
use super::views::{StakeholderView, refs_to};
use super::{App, AppError, IfMatch, Listed, PageRequest, Principal, next_change_time, now};
use crate::domain::event::{Change, NewEvent, Resource};
use crate::domain::{
    ExternalRef, Invalid, RecordKey, Role, Stakeholder, StakeholderFields, StakeholderPatch,
    external_ref,
};
use crate::store::Tx;

const STAKEHOLDER: &str = "stakeholder";

/// The lock a batch of stakeholders holds over the workspace's stakeholder
/// refs; an upsert of one ref holds it shared, so the two never create a
/// ref twice.
pub(super) const STAKEHOLDER_REFS: &str = "stakeholder-refs";

/// A stakeholder upserted by ref, and what the upsert did.
#[derive(Debug, Clone)]
pub struct UpsertedStakeholder {
    pub stakeholder: Stakeholder,
    pub outcome: Upsert,
}

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
        let result = insert_stakeholder(&mut work, account_id, fields).await;
        work.finish(result).await
    }

    pub async fn stakeholder(&self, p: &Principal, id: Uuid) -> Result<Stakeholder, AppError> {
        p.require_within_reach(Role::Read)?;
        let found = self.store.stakeholder(p.workspace_id, id).await?;
        p.reveal(found, |s| s.account_id, STAKEHOLDER)
    }

    pub async fn stakeholder_by_ref(
        &self,
        p: &Principal,
        reference: &ExternalRef,
    ) -> Result<Stakeholder, AppError> {
        p.require_within_reach(Role::Read)?;
        let found = self
            .store
            .stakeholder_by_ref(p.workspace_id, reference)
            .await?;
        p.reveal(found, |s| s.account_id, STAKEHOLDER)
    }

    /// PUT by ref: replaces the stakeholder holding the ref, or creates one
    /// with it under `account`.
    pub async fn upsert_stakeholder_by_ref(
        &self,
        p: &Principal,
        reference: ExternalRef,
        account: Option<RecordKey>,
        fields: StakeholderFields,
        if_match: &IfMatch,
    ) -> Result<UpsertedStakeholder, AppError> {
        self.upsert_stakeholder(p, reference, account, if_match, |_| Ok(fields))
            .await
    }

    /// PATCH by ref: merges into the stakeholder holding the ref (fields the
    /// patch leaves out stay, attributes merge key by key), or creates one
    /// from the patch under `account` (which a create must name).
    pub async fn merge_stakeholder_by_ref(
        &self,
        p: &Principal,
        reference: ExternalRef,
        account: Option<RecordKey>,
        patch: StakeholderPatch,
        if_match: &IfMatch,
    ) -> Result<UpsertedStakeholder, AppError> {
        self.upsert_stakeholder(p, reference, account, if_match, |current| {
            Ok(patch.merged_into(current)?)
        })
        .await
    }

    /// Writes what `next` makes of the stakeholder holding `reference`
    /// (none when nobody has it), keeping the ref on them. Concurrent
    /// upserts of one ref queue on a lock named after it (and hold the
    /// workspace's stakeholder refs shared, which a batch takes alone), so
    /// the first creates and the rest change what it made.
    async fn upsert_stakeholder(
        &self,
        p: &Principal,
        reference: ExternalRef,
        account: Option<RecordKey>,
        if_match: &IfMatch,
        next: impl FnOnce(Option<&StakeholderFields>) -> Result<StakeholderFields, AppError>,
    ) -> Result<UpsertedStakeholder, AppError> {
        p.require(Role::Write)?;
        external_ref::check_addressing(&reference)?;
        let mut work = self.begin(p).await?;
        let result = async {
            work.lock_name_shared(STAKEHOLDER_REFS).await?;
            work.lock_name(&format!(
                "stakeholder-ref:{}:{}",
                reference.system, reference.id
            ))
            .await?;
            let key = RecordKey::Ref(reference);
            upsert_stakeholder_in(&mut work, &key, account.as_ref(), if_match, next).await
        }
        .await;
        work.finish(result).await
    }

    pub async fn stakeholders(
        &self,
        p: &Principal,
        account_id: Uuid,
        updated_since: Option<DateTime<Utc>>,
        page: &PageRequest,
    ) -> Result<Listed<Stakeholder>, AppError> {
        p.require_within_reach(Role::Read)?;
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
            replace_stakeholder(&mut work, current, fields).await
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
            let event = NewEvent::new(Resource::Stakeholder, Change::Deleted, id, now(), tombstone.to_string());
            record_about(&mut work, current.account_id, event).await
        }
        .await;
        work.finish(result).await
    }
}

/// Writes what `next` makes of the stakeholder `key` names: by ref, created
/// under `account` when nobody has the ref (which stays on them); by id, one
/// that must exist. Nothing is written when nothing changes; a ref another
/// stakeholder holds is refused before anything is written.
pub(super) async fn upsert_stakeholder_in(
    tx: &mut Tx,
    key: &RecordKey,
    account: Option<&RecordKey>,
    if_match: &IfMatch,
    next: impl FnOnce(Option<&StakeholderFields>) -> Result<StakeholderFields, AppError>,
) -> Result<UpsertedStakeholder, AppError> {
    let current = match key {
        RecordKey::Id(id) => Some(locked_stakeholder(tx, *id).await?),
        RecordKey::Ref(r) => match tx.stakeholder_named(r).await? {
            Some(id) => Some(locked_stakeholder(tx, id).await?),
            None => None,
        },
    };
    let account_id = match account {
        Some(key) => Some(account_named(tx, key).await?),
        None => None,
    };
    let mut fields = next(current.as_ref().map(|c| &c.fields))?;
    if let RecordKey::Ref(r) = key {
        fields.ensure_ref(r.clone());
    }
    let fields = fields.prepared()?;
    check_refs_free(tx, &fields, current.as_ref()).await?;
    let Some(current) = current else {
        let account_id = account_id.ok_or_else(|| {
            Invalid::single(
                "account_ref",
                "give account_ref or account_id to create a stakeholder",
            )
        })?;
        let stakeholder = insert_stakeholder(tx, account_id, fields).await?;
        let outcome = Upsert::Created;
        return Ok(UpsertedStakeholder {
            stakeholder,
            outcome,
        });
    };
    if let (Some(key), Some(id)) = (account, account_id)
        && id != current.account_id
    {
        return Err(Invalid::single(
            key.field("account"),
            "is not this stakeholder's account: stakeholders do not move between accounts",
        )
        .into());
    }
    if_match.check(STAKEHOLDER, current.version)?;
    if fields == current.fields {
        let outcome = Upsert::Unchanged;
        return Ok(UpsertedStakeholder {
            stakeholder: current,
            outcome,
        });
    }
    let stakeholder = replace_stakeholder(tx, current, fields).await?;
    let outcome = Upsert::Updated;
    Ok(UpsertedStakeholder {
        stakeholder,
        outcome,
    })
}

/// Refuses refs that another stakeholder than `current` holds (422 on
/// `external_refs`), so a batch can report the item instead of failing on
/// the database's refusal.
async fn check_refs_free(
    tx: &mut Tx,
    fields: &StakeholderFields,
    current: Option<&Stakeholder>,
) -> Result<(), AppError> {
    let held = current
        .map(|c| c.fields.external_refs.as_slice())
        .unwrap_or_default();
    let mut e = Invalid::default();
    for r in fields.external_refs.iter().filter(|r| !held.contains(r)) {
        if let Some(other) = tx.stakeholder_named(r).await?
            && Some(other) != current.map(|c| c.id)
        {
            e.push(
                "external_refs",
                format!(
                    "{}/{} is already used by another stakeholder",
                    r.system, r.id
                ),
            );
        }
    }
    Ok(e.into_result()?)
}

/// A stakeholder with `fields` under account `account_id`, which is held
/// until the unit of work ends.
async fn insert_stakeholder(
    tx: &mut Tx,
    account_id: Uuid,
    fields: StakeholderFields,
) -> Result<Stakeholder, AppError> {
    hold_account(tx, account_id).await?;
    let at = now();
    let s = Stakeholder {
        id: Uuid::now_v7(),
        account_id,
        fields,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    tx.insert_stakeholder(&s).await?;
    record_change(tx, &s, Change::Created).await?;
    Ok(s)
}

/// Writes `fields` over `current` (read and locked in this unit of work).
async fn replace_stakeholder(
    tx: &mut Tx,
    current: Stakeholder,
    fields: StakeholderFields,
) -> Result<Stakeholder, AppError> {
    let next = Stakeholder {
        fields,
        version: current.version + 1,
        updated_at: next_change_time(current.updated_at),
        ..current
    };
    let took = tx.update_stakeholder(&next, current.version).await?;
    let next = written(took, next)?;
    record_change(tx, &next, Change::Updated).await?;
    Ok(next)
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

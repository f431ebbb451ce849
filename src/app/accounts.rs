//! Account use cases.

use uuid::Uuid;

use super::changes::{data_of, record};
use super::page::paginate;
use super::views::{AccountView, refs_to};
use super::{App, AppError, IfMatch, Listed, PageRequest, Principal, next_change_time, now};
use crate::domain::event::{Change, NewEvent, Resource};
use crate::domain::external_ref;
use crate::domain::filter::AccountFilter;
use crate::domain::{Account, AccountFields, AccountPatch, ExternalRef, RecordKey, Role};
use crate::store::Tx;

const ACCOUNT: &str = "account";

/// The lock a bulk upsert holds over the workspace's account refs; an
/// upsert of one ref holds it shared, so the two never create a ref twice.
pub(super) const ACCOUNT_REFS: &str = "account-refs";

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    /// Nothing had the ref: the record was created.
    Created,
    Updated,
    /// The record already was as asked: nothing was written.
    Unchanged,
}

impl Upsert {
    pub fn as_str(self) -> &'static str {
        match self {
            Upsert::Created => "created",
            Upsert::Updated => "updated",
            Upsert::Unchanged => "unchanged",
        }
    }
}

/// The result of an upsert by external ref.
#[derive(Debug, Clone)]
pub struct Upserted {
    pub account: Account,
    pub outcome: Upsert,
}

impl App {
    pub async fn create_account(
        &self,
        p: &Principal,
        fields: AccountFields,
    ) -> Result<Account, AppError> {
        p.require(Role::Write)?;
        let fields = fields.prepared()?;
        let mut work = self.begin(p).await?;
        let result = insert_account(&mut work, fields).await;
        work.finish(result).await
    }

    pub async fn account(&self, p: &Principal, id: Uuid) -> Result<Account, AppError> {
        p.require_within_reach(Role::Read)?;
        let found = self.store.account(p.workspace_id, id).await?;
        p.reveal(found, |a| a.id, ACCOUNT)
    }

    pub async fn account_by_ref(
        &self,
        p: &Principal,
        system: &str,
        external_id: &str,
    ) -> Result<Account, AppError> {
        p.require_within_reach(Role::Read)?;
        let found = self
            .store
            .account_by_ref(p.workspace_id, system, external_id)
            .await?;
        p.reveal(found, |a| a.id, ACCOUNT)
    }

    pub async fn accounts(
        &self,
        p: &Principal,
        filter: &AccountFilter,
        page: &PageRequest,
    ) -> Result<Listed<Account>, AppError> {
        p.require_within_reach(Role::Read)?;
        let (page, size) = page.resolve()?;
        let filter = AccountFilter {
            within: p.reach.accounts().cloned(),
            ..filter.clone()
        };
        let rows = self.store.accounts(p.workspace_id, &filter, page).await?;
        Ok(paginate(rows, size, |a| a.id))
    }

    pub async fn update_account(
        &self,
        p: &Principal,
        id: Uuid,
        patch: AccountPatch,
        if_match: &IfMatch,
    ) -> Result<Account, AppError> {
        p.require(Role::Write)?;
        let mut work = self.begin(p).await?;
        let result = async {
            let current = locked_account(&mut work, id).await?;
            let mut fields = current.fields.clone();
            patch.apply_to(&mut fields);
            let fields = fields.prepared()?;
            if_match.check(ACCOUNT, current.version)?;
            replace_account(&mut work, current, fields).await
        }
        .await;
        work.finish(result).await
    }

    /// PUT by ref: replaces the account holding the ref, or creates one with
    /// it.
    pub async fn upsert_account_by_ref(
        &self,
        p: &Principal,
        reference: ExternalRef,
        fields: AccountFields,
        if_match: &IfMatch,
    ) -> Result<Upserted, AppError> {
        let fields = fields.prepared()?;
        self.upsert_by_ref(p, reference, if_match, |_| Ok(fields))
            .await
    }

    /// PATCH by ref: merges into the account holding the ref (fields the
    /// patch leaves out stay, attributes merge key by key), or creates one
    /// from the patch.
    pub async fn merge_account_by_ref(
        &self,
        p: &Principal,
        reference: ExternalRef,
        patch: AccountPatch,
        if_match: &IfMatch,
    ) -> Result<Upserted, AppError> {
        self.upsert_by_ref(p, reference, if_match, |current| {
            Ok(patch.merged_into(current)?.prepared()?)
        })
        .await
    }

    /// Writes what `next` makes of the account holding `reference` (none
    /// when no account has it), keeping the ref on it. Concurrent upserts of
    /// one ref queue on a lock named after the ref, so the first creates and
    /// the rest change what it made. Writes nothing when nothing changes.
    async fn upsert_by_ref(
        &self,
        p: &Principal,
        reference: ExternalRef,
        if_match: &IfMatch,
        next: impl FnOnce(Option<&AccountFields>) -> Result<AccountFields, AppError>,
    ) -> Result<Upserted, AppError> {
        p.require(Role::Write)?;
        external_ref::check_addressing(&reference)?;
        let mut work = self.begin(p).await?;
        let result = async {
            work.lock_name_shared(ACCOUNT_REFS).await?;
            work.lock_name(&format!("ref:{}:{}", reference.system, reference.id))
                .await?;
            let current = match work
                .account_by_ref(&reference.system, &reference.id)
                .await?
            {
                Some(found) => Some(locked_account(&mut work, found.id).await?),
                None => None,
            };
            let mut fields = next(current.as_ref().map(|c| &c.fields))?;
            fields.ensure_ref(reference.clone());
            let Some(current) = current else {
                let account = insert_account(&mut work, fields).await?;
                let outcome = Upsert::Created;
                return Ok(Upserted { account, outcome });
            };
            if_match.check(ACCOUNT, current.version)?;
            if fields == current.fields {
                let outcome = Upsert::Unchanged;
                return Ok(Upserted {
                    account: current,
                    outcome,
                });
            }
            let account = replace_account(&mut work, current, fields).await?;
            let outcome = Upsert::Updated;
            Ok(Upserted { account, outcome })
        }
        .await;
        work.finish(result).await
    }

    pub async fn delete_account(
        &self,
        p: &Principal,
        id: Uuid,
        if_match: &IfMatch,
    ) -> Result<(), AppError> {
        p.require(Role::Write)?;
        let mut work = self.begin(p).await?;
        let result = async {
            let current = locked_account(&mut work, id).await?;
            if_match.check(ACCOUNT, current.version)?;
            written(work.delete_account(id, current.version).await?, ())?;
            let refs = &current.fields.external_refs;
            let tombstone = serde_json::json!({"id": id, "external_refs": refs_to(refs.clone())});
            let event = NewEvent::new(
                Resource::Account,
                Change::Deleted,
                id,
                now(),
                tombstone.to_string(),
            );
            record(&mut work, event.about(id, refs)).await
        }
        .await;
        work.finish(result).await
    }
}

async fn insert_account(tx: &mut Tx, fields: AccountFields) -> Result<Account, AppError> {
    let at = now();
    let account = Account {
        id: Uuid::now_v7(),
        fields,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    tx.insert_account(&account).await?;
    record_change(tx, &account, Change::Created).await?;
    Ok(account)
}

/// Locks the account until the unit of work ends: the lock every write to
/// the account or what hangs off it takes. 404 when there is no such account.
pub(super) async fn hold_account(tx: &mut Tx, id: Uuid) -> Result<(), AppError> {
    if tx.lock_account(id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound(ACCOUNT))
    }
}

/// The account `key` names: its id, or the account its ref names (404 for none).
pub(super) async fn account_named(tx: &mut Tx, key: &RecordKey) -> Result<Uuid, AppError> {
    match key {
        RecordKey::Id(id) => Ok(*id),
        RecordKey::Ref(r) => tx
            .account_named(r)
            .await?
            .ok_or(AppError::NotFound(ACCOUNT)),
    }
}

/// The account, locked until the unit of work ends.
async fn locked_account(tx: &mut Tx, id: Uuid) -> Result<Account, AppError> {
    hold_account(tx, id).await?;
    tx.account(id).await?.ok_or_else(gone)
}

fn gone() -> AppError {
    AppError::Concurrent("the account was deleted during this request".into())
}

async fn replace_account(
    tx: &mut Tx,
    current: Account,
    fields: AccountFields,
) -> Result<Account, AppError> {
    let (read, refs_before) = (current.version, current.fields.external_refs.clone());
    let next = Account {
        fields,
        version: read + 1,
        updated_at: next_change_time(current.updated_at),
        ..current
    };
    let took = tx.update_account(&next, read, &refs_before).await?;
    let next = written(took, next)?;
    record_change(tx, &next, Change::Updated).await?;
    Ok(next)
}

/// Records that `account` was created or changed, as a GET now returns it.
async fn record_change(tx: &mut Tx, account: &Account, change: Change) -> Result<(), AppError> {
    record(tx, change_of(account, change)?).await
}

/// The event of `account`'s creation or change: the account as a GET now
/// returns it, about itself.
pub(super) fn change_of(account: &Account, change: Change) -> Result<NewEvent, AppError> {
    let data = data_of(&AccountView::from(account.clone()))?;
    let event = NewEvent::new(
        Resource::Account,
        change,
        account.id,
        account.updated_at,
        data,
    );
    Ok(event.about(account.id, &account.fields.external_refs))
}

/// `value` when a write conditional on the version read took; a conflict
/// when another writer got there first between our read and our write.
pub(super) fn written<T>(took: bool, value: T) -> Result<T, AppError> {
    if took {
        Ok(value)
    } else {
        Err(AppError::Concurrent(
            "the record changed during this request; read it again and retry".into(),
        ))
    }
}

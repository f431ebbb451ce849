//! Bulk upsert by reference: a CRM sync's batch of accounts or
//! stakeholders, each merged into the record its ref (or id) names, or
//! created, in one transaction.

use std::collections::{BTreeSet, HashMap, HashSet};

use uuid::Uuid;

use super::accounts::{ACCOUNT_REFS, Upsert, change_of, written};
use super::stakeholders::{STAKEHOLDER_REFS, upsert_stakeholder_in};
use super::{App, AppError, IfMatch, Principal, now};
use crate::domain::event::Change;
use crate::domain::import::{
    self, AccountUpsert, Book, ImportPlan, ItemOutcome, ItemStatus, Outcomes, StakeholderUpsert,
};
use crate::domain::observation::AccountKey;
use crate::domain::{ExternalRef, Invalid, RecordKey, Role};
use crate::store::Tx;

impl App {
    /// Merges each item into the account it names, or creates one. Atomic:
    /// one bad item refuses the batch (422 naming every bad item and field);
    /// otherwise refused items are reported and the rest written (a
    /// malformed item still refuses the batch). Batches queue
    /// on the workspace's refs, so two never create one ref twice.
    pub async fn import_accounts(
        &self,
        p: &Principal,
        items: Vec<Result<AccountUpsert, Invalid>>,
        atomic: bool,
    ) -> Result<Outcomes, AppError> {
        p.require(Role::Write)?;
        import::check_size(items.len())?;
        self.charge_rows(p, items.len())?;
        let mut work = self.begin(p).await?;
        let result = async {
            work.lock_name(ACCOUNT_REFS).await?;
            // A malformed item fails any batch; only well-formed items that
            // are refused (unknown id, a ref another account holds …) can be
            // skipped.
            let malformed = items.iter().any(Result::is_err);
            let book = book_of(&mut work, &items).await?;
            let plan = import::plan(items, book, now(), Uuid::now_v7);
            plan.outcomes.settle(atomic, malformed)?;
            write(&mut work, &plan).await?;
            Ok(plan.outcomes)
        }
        .await;
        work.finish(result).await
    }

    /// Merges each item into the stakeholder it names, or creates one under
    /// the account it names, item by item in one transaction; atomic as
    /// [`App::import_accounts`] is. The batch holds the workspace's
    /// stakeholder refs alone, and locks the accounts it may touch in id
    /// order before writing, so it neither races an upsert of one ref nor
    /// deadlocks with another batch.
    pub async fn import_stakeholders(
        &self,
        p: &Principal,
        items: Vec<Result<StakeholderUpsert, Invalid>>,
        atomic: bool,
    ) -> Result<Outcomes, AppError> {
        p.require(Role::Write)?;
        import::check_size(items.len())?;
        self.charge_rows(p, items.len())?;
        let mut work = self.begin(p).await?;
        let result = async {
            work.lock_name(STAKEHOLDER_REFS).await?;
            hold_accounts_of(&mut work, &items).await?;
            let malformed = items.iter().any(Result::is_err);
            let mut outcomes = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                let done = match item {
                    Ok(item) => upsert_stakeholder_item(&mut work, item).await?,
                    Err(bad) => Err(bad),
                };
                outcomes.push(ItemOutcome::of(index, done));
            }
            let outcomes = Outcomes(outcomes);
            outcomes.settle(atomic, malformed)?;
            Ok(outcomes)
        }
        .await;
        work.finish(result).await
    }
}

/// One stakeholder item, merged: what it wrote, or why it was refused (a
/// refusal writes nothing); a store failure fails the batch.
async fn upsert_stakeholder_item(
    tx: &mut Tx,
    item: StakeholderUpsert,
) -> Result<Result<(Uuid, ItemStatus), Invalid>, AppError> {
    let StakeholderUpsert {
        key,
        account,
        patch,
    } = item;
    let done = upsert_stakeholder_in(tx, &key, account.as_ref(), &IfMatch::default(), |current| {
        Ok(patch.merged_into(current)?)
    })
    .await;
    match done {
        Ok(up) => Ok(Ok((up.stakeholder.id, status_of(up.outcome)))),
        Err(AppError::Invalid(bad)) => Ok(Err(bad)),
        Err(AppError::NotFound("stakeholder")) => Ok(Err(Invalid::single(
            "id",
            "is not a stakeholder of this workspace",
        ))),
        Err(AppError::NotFound("account")) => {
            let field = account.map_or_else(|| "account_id".into(), |k| k.field("account"));
            Ok(Err(Invalid::single(
                field,
                "is not an account of this workspace",
            )))
        }
        Err(other) => Err(other),
    }
}

fn status_of(upsert: Upsert) -> ItemStatus {
    match upsert {
        Upsert::Created => ItemStatus::Created,
        Upsert::Updated => ItemStatus::Updated,
        Upsert::Unchanged => ItemStatus::Unchanged,
    }
}

/// Locks, in id order, every account the items may write under: the
/// accounts they name and those of the stakeholders they name.
async fn hold_accounts_of(
    tx: &mut Tx,
    items: &[Result<StakeholderUpsert, Invalid>],
) -> Result<(), AppError> {
    let mut ids = BTreeSet::new();
    for item in items.iter().flatten() {
        let stakeholder = match &item.key {
            RecordKey::Id(id) => Some(*id),
            RecordKey::Ref(r) => tx.stakeholder_named(r).await?,
        };
        if let Some(id) = stakeholder
            && let Some(s) = tx.stakeholder(id).await?
        {
            ids.insert(s.account_id);
        }
        match &item.account {
            Some(RecordKey::Id(id)) => {
                ids.insert(*id);
            }
            Some(RecordKey::Ref(r)) => ids.extend(tx.account_named(r).await?),
            None => {}
        }
    }
    let ids: Vec<Uuid> = ids.into_iter().collect();
    tx.lock_accounts(&ids).await?;
    Ok(())
}

/// The accounts the items name (locked until the unit of work ends) and the
/// owner of every ref they mention.
async fn book_of(tx: &mut Tx, items: &[Result<AccountUpsert, Invalid>]) -> Result<Book, AppError> {
    let mut refs: HashSet<&ExternalRef> = HashSet::new();
    let mut ids: HashSet<Uuid> = HashSet::new();
    for item in items.iter().flatten() {
        match &item.key {
            AccountKey::Id(id) => {
                ids.insert(*id);
            }
            AccountKey::Ref(r) => {
                refs.insert(r);
            }
        }
        refs.extend(item.patch.external_refs.iter().flatten());
    }
    let pairs: Vec<(String, String)> = refs
        .iter()
        .map(|r| (r.system.clone(), r.id.clone()))
        .collect();
    let found = tx.accounts_by_ref(&pairs).await?;
    let owners: HashMap<ExternalRef, Uuid> = found
        .into_iter()
        .map(|((system, id), account)| (ExternalRef::new(system, id), account))
        .collect();
    ids.extend(owners.values());
    let mut ids: Vec<Uuid> = ids.into_iter().collect();
    ids.sort_unstable();
    let accounts = tx.lock_accounts(&ids).await?;
    let mut book = Book {
        accounts: accounts.into_iter().map(|a| (a.id, a)).collect(),
        owners: HashMap::new(),
    };
    // Refs of the accounts read, and the ones looked up (other systems'
    // refs with the same ids were read too, and are harmless).
    for a in book.accounts.values() {
        for r in &a.fields.external_refs {
            book.owners.insert(r.clone(), a.id);
        }
    }
    book.owners.extend(owners);
    Ok(book)
}

/// Writes what the plan creates and changes, with an event for each.
async fn write(tx: &mut Tx, plan: &ImportPlan) -> Result<(), AppError> {
    tx.insert_accounts(&plan.created).await?;
    for c in &plan.updated {
        let took = tx
            .update_account(&c.account, c.read, &c.refs_before)
            .await?;
        written(took, ())?;
    }
    let mut events = Vec::with_capacity(plan.created.len() + plan.updated.len());
    for a in &plan.created {
        events.push(change_of(a, Change::Created)?);
    }
    for c in &plan.updated {
        events.push(change_of(&c.account, Change::Updated)?);
    }
    Ok(tx.append_events(&events).await?)
}

//! Bulk upsert by reference: a CRM sync's batch of accounts, each merged
//! into the account its ref (or id) names, or created, in one transaction.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::accounts::{ACCOUNT_REFS, change_of, written};
use super::{App, AppError, Principal, now};
use crate::domain::event::Change;
use crate::domain::import::{self, AccountUpsert, Book, ImportPlan};
use crate::domain::observation::{AccountKey, MAX_BATCH};
use crate::domain::{ExternalRef, Invalid, Role};
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
    ) -> Result<ImportPlan, AppError> {
        p.require(Role::Write)?;
        if items.is_empty() || items.len() > MAX_BATCH {
            let why = format!("must hold 1 to {MAX_BATCH} items");
            return Err(Invalid::single("items", why).into());
        }
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
            if (atomic || malformed) && plan.failed() {
                return Err(plan.errors().into());
            }
            write(&mut work, &plan).await?;
            Ok(plan)
        }
        .await;
        work.finish(result).await
    }
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

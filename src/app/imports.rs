//! Bulk upsert by reference: a CRM sync's batch of accounts or
//! stakeholders, each merged into the record its ref (or id) names, or
//! created, or of assessments, each recorded unless already recorded; one
//! transaction per batch.

use std::collections::{BTreeSet, HashMap, HashSet};

use uuid::Uuid;

use super::accounts::{ACCOUNT_REFS, Upsert, change_of, written};
use super::assessments::{ASSESSMENT_REFS, record_assessment, subject_named};
use super::stakeholders::{STAKEHOLDER_REFS, upsert_stakeholder_in};
use super::{App, AppError, IfMatch, Principal, PublishedFramework, now};
use crate::domain::event::Change;
use crate::domain::import::{
    self, AccountUpsert, AssessmentUpsert, Book, ImportPlan, ItemOutcome, ItemStatus, Outcomes,
    StakeholderUpsert,
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
        self.after_bulk_write(work.finish(result).await)
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
            hold_stakeholder_accounts(&mut work, &items).await?;
            one_by_one(&mut work, items, atomic, upsert_stakeholder_item).await
        }
        .await;
        self.after_bulk_write(work.finish(result).await)
    }

    /// Records each item's assessment unless the assessment its ref (or id)
    /// names already records it, item by item in one transaction; atomic as
    /// [`App::import_accounts`] is. An assessment a key names that records
    /// something else fails its item: assessments do not change. The batch
    /// holds the workspace's assessment refs alone and locks the accounts
    /// it names in id order before writing.
    pub async fn import_assessments(
        &self,
        p: &Principal,
        items: Vec<Result<AssessmentUpsert, Invalid>>,
        atomic: bool,
    ) -> Result<Outcomes, AppError> {
        p.require(Role::Write)?;
        import::check_size(items.len())?;
        self.charge_rows(p, items.len())?;
        let frameworks = self.frameworks_of(p, &items).await?;
        let mut work = self.begin(p).await?;
        let result = async {
            work.lock_name(ASSESSMENT_REFS).await?;
            let accounts: Vec<&RecordKey> =
                items.iter().flatten().map(|i| &i.draft.account).collect();
            hold_accounts(&mut work, accounts).await?;
            let items = items
                .into_iter()
                .map(|i| i.map(|i| (i, &frameworks)))
                .collect();
            one_by_one(&mut work, items, atomic, record_assessment_item).await
        }
        .await;
        self.after_bulk_write(work.finish(result).await)
    }

    /// The frameworks the items name, each read once (an unknown key is left
    /// out: its items fail).
    async fn frameworks_of(
        &self,
        p: &Principal,
        items: &[Result<AssessmentUpsert, Invalid>],
    ) -> Result<HashMap<String, PublishedFramework>, AppError> {
        let keys: BTreeSet<&str> = items
            .iter()
            .flatten()
            .map(|i| i.draft.framework.as_str())
            .collect();
        let mut found = HashMap::new();
        for key in keys {
            match self.framework(p, key).await {
                Ok(f) => {
                    found.insert(key.to_owned(), f);
                }
                Err(AppError::NotFound(_) | AppError::Invalid(_)) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(found)
    }
}

/// Applies the items one after another in `tx`, each to its outcome, and
/// settles the batch as [`Outcomes::settle`] says (a malformed item, or a
/// refused one in an atomic batch, refuses it all).
async fn one_by_one<T>(
    tx: &mut Tx,
    items: Vec<Result<T, Invalid>>,
    atomic: bool,
    mut apply: impl AsyncFnMut(&mut Tx, T) -> Result<Result<(Uuid, ItemStatus), Invalid>, AppError>,
) -> Result<Outcomes, AppError> {
    let malformed = items.iter().any(Result::is_err);
    let mut outcomes = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let done = match item {
            Ok(item) => apply(tx, item).await?,
            Err(bad) => Err(bad),
        };
        outcomes.push(ItemOutcome::of(index, done));
    }
    let outcomes = Outcomes(outcomes);
    outcomes.settle(atomic, malformed)?;
    Ok(outcomes)
}

/// One assessment item: recorded, found already recorded, or refused (a
/// refusal writes nothing); a store failure fails the batch.
async fn record_assessment_item(
    tx: &mut Tx,
    (item, frameworks): (AssessmentUpsert, &HashMap<String, PublishedFramework>),
) -> Result<Result<(Uuid, ItemStatus), Invalid>, AppError> {
    let AssessmentUpsert { key, mut draft } = item;
    let existing = match &key {
        None => None,
        Some(RecordKey::Id(id)) => match tx.assessment(*id).await? {
            Some(found) => Some(found),
            None => {
                return Ok(Err(Invalid::single(
                    "id",
                    "is not an assessment of this workspace",
                )));
            }
        },
        Some(RecordKey::Ref(r)) => {
            draft.external_ref = Some(r.clone());
            tx.assessment_by_ref(r).await?
        }
    };
    let subject = match subject_named(tx, &draft).await {
        Ok(subject) => subject,
        Err(AppError::NotFound(kind @ ("account" | "stakeholder"))) => {
            let named = if kind == "account" {
                Some(&draft.account)
            } else {
                draft.stakeholder.as_ref()
            };
            let field = named.map_or_else(|| format!("{kind}_id"), |k| k.field(kind));
            return Ok(Err(Invalid::single(
                field,
                format!("is not a {kind} of this workspace"),
            )));
        }
        Err(other) => return Err(other),
    };
    if let Some(existing) = existing {
        let stakeholder_id = subject.1.as_ref().map(|s| s.id);
        if draft.is_recorded_by(&existing, subject.0, stakeholder_id) {
            return Ok(Ok((existing.id, ItemStatus::Unchanged)));
        }
        let field = if matches!(key, Some(RecordKey::Id(_))) {
            "id"
        } else {
            "ref"
        };
        return Ok(Err(Invalid::single(
            field,
            format!(
                "names assessment {}, which records other scores, subject or time: assessments \
                 do not change (delete it to record it anew)",
                existing.id
            ),
        )));
    }
    let Some(framework) = frameworks.get(&draft.framework) else {
        return Ok(Err(Invalid::single(
            "framework",
            "is not a framework of this workspace",
        )));
    };
    match record_assessment(tx, framework, draft, subject).await {
        Ok(recorded) => Ok(Ok((recorded.id, ItemStatus::Created))),
        Err(AppError::Invalid(bad)) => Ok(Err(bad)),
        Err(other) => Err(other),
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

/// Locks, in id order, every account the stakeholder items may write
/// under: the accounts they name and those of the stakeholders they name.
async fn hold_stakeholder_accounts(
    tx: &mut Tx,
    items: &[Result<StakeholderUpsert, Invalid>],
) -> Result<(), AppError> {
    let mut theirs = Vec::new();
    for item in items.iter().flatten() {
        let stakeholder = match &item.key {
            RecordKey::Id(id) => Some(*id),
            RecordKey::Ref(r) => tx.stakeholder_named(r).await?,
        };
        if let Some(id) = stakeholder
            && let Some(s) = tx.stakeholder(id).await?
        {
            theirs.push(RecordKey::Id(s.account_id));
        }
    }
    let mut named: Vec<&RecordKey> = items
        .iter()
        .flatten()
        .filter_map(|i| i.account.as_ref())
        .collect();
    named.extend(&theirs);
    hold_accounts(tx, named).await
}

/// Locks the accounts `keys` name (those that exist), in id order, so that
/// batches touching the same accounts queue instead of deadlocking.
async fn hold_accounts(tx: &mut Tx, keys: Vec<&RecordKey>) -> Result<(), AppError> {
    let mut ids = BTreeSet::new();
    for key in keys {
        match key {
            RecordKey::Id(id) => {
                ids.insert(*id);
            }
            RecordKey::Ref(r) => ids.extend(tx.account_named(r).await?),
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

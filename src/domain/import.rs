//! Bulk upsert by reference: what a batch of items does to the records it
//! names, each item's outcome, and (for accounts, worked out before anything
//! is written) the plan. Each item is a merge (fields it leaves out stay,
//! attributes merge key by key) into the record its key names, or a new
//! record when none does; later items see what earlier ones did.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::assessment::AssessmentDraft;
use super::observation::{AccountKey, MAX_BATCH};
use super::{
    Account, AccountFields, AccountPatch, ExternalRef, Invalid, RecordKey, StakeholderPatch,
};

/// One item of a batch: the account it names and what to merge into it.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountUpsert {
    pub key: AccountKey,
    pub patch: AccountPatch,
}

/// One stakeholder of a batch: the stakeholder it names, the account a new
/// one goes under (needed only to create), and what to merge into it.
#[derive(Debug, Clone, PartialEq)]
pub struct StakeholderUpsert {
    pub key: RecordKey,
    pub account: Option<RecordKey>,
    pub patch: StakeholderPatch,
}

/// One assessment of a batch: recorded unless the assessment its key names
/// already records it (assessments do not change). Without a key, each
/// send records a new one.
#[derive(Debug, Clone, PartialEq)]
pub struct AssessmentUpsert {
    pub key: Option<RecordKey>,
    pub draft: AssessmentDraft,
}

/// Refuses a batch that is empty or larger than one call may carry.
pub fn check_size(len: usize) -> Result<(), Invalid> {
    if len == 0 || len > MAX_BATCH {
        return Err(Invalid::single(
            "items",
            format!("must hold 1 to {MAX_BATCH} items"),
        ));
    }
    Ok(())
}

/// What an item did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    Created,
    Updated,
    /// The account already was as the item asked.
    Unchanged,
    Failed,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Created => "created",
            ItemStatus::Updated => "updated",
            ItemStatus::Unchanged => "unchanged",
            ItemStatus::Failed => "failed",
        }
    }
}

/// An item's result: the account it wrote, or every bad field (named
/// `items[i].field`).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemOutcome {
    pub index: usize,
    pub status: ItemStatus,
    pub id: Option<Uuid>,
    pub errors: Invalid,
}

impl ItemOutcome {
    /// The outcome of item `index`: the record it wrote and how, or its bad
    /// fields, put under `items[index]`.
    pub fn of(index: usize, done: Result<(Uuid, ItemStatus), Invalid>) -> Self {
        match done {
            Ok((id, status)) => ItemOutcome {
                index,
                status,
                id: Some(id),
                errors: Invalid::default(),
            },
            Err(bad) => {
                let mut errors = Invalid::default();
                errors.extend_under(&format!("items[{index}]"), bad);
                ItemOutcome {
                    index,
                    status: ItemStatus::Failed,
                    id: None,
                    errors,
                }
            }
        }
    }
}

/// The outcome of every item of a batch, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcomes(pub Vec<ItemOutcome>);

impl Outcomes {
    pub fn failed(&self) -> bool {
        self.count(ItemStatus::Failed) > 0
    }

    /// How many items ended as `status`.
    pub fn count(&self, status: ItemStatus) -> usize {
        self.0.iter().filter(|o| o.status == status).count()
    }

    /// Every bad field of every failed item.
    pub fn errors(&self) -> Invalid {
        Invalid(
            self.0
                .iter()
                .flat_map(|o| o.errors.0.iter().cloned())
                .collect(),
        )
    }

    /// Whether the batch may be written: an atomic batch, or one with a
    /// malformed item, is refused (naming every bad field) when any item
    /// failed; otherwise the good items stand and the failed ones are
    /// reported.
    pub fn settle(&self, atomic: bool, malformed: bool) -> Result<(), Invalid> {
        if (atomic || malformed) && self.failed() {
            return Err(self.errors());
        }
        Ok(())
    }
}

/// A stored account a batch changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Changed {
    pub account: Account,
    /// The version it was read at: the write takes only if it still is.
    pub read: i64,
    /// Its refs as stored, so that unchanged refs are not written again.
    pub refs_before: Vec<ExternalRef>,
}

/// What a batch writes: new accounts and changed ones, with each item's
/// outcome.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportPlan {
    pub outcomes: Outcomes,
    pub created: Vec<Account>,
    pub updated: Vec<Changed>,
}

/// The stored accounts a batch may touch, and which account holds each ref
/// the batch mentions.
#[derive(Debug, Clone, Default)]
pub struct Book {
    pub accounts: HashMap<Uuid, Account>,
    pub owners: HashMap<ExternalRef, Uuid>,
}

/// An account as the batch leaves it so far.
struct Working {
    fields: AccountFields,
    stored: Option<Account>,
}

/// Works out what `items` do to `book`. `now` stamps what changes; `new_id`
/// names each new account.
pub fn plan(
    items: Vec<Result<AccountUpsert, Invalid>>,
    book: Book,
    now: DateTime<Utc>,
    mut new_id: impl FnMut() -> Uuid,
) -> ImportPlan {
    let Book {
        accounts,
        mut owners,
    } = book;
    let mut working: HashMap<Uuid, Working> = accounts
        .into_iter()
        .map(|(id, a)| {
            (
                id,
                Working {
                    fields: a.fields.clone(),
                    stored: Some(a),
                },
            )
        })
        .collect();
    let mut order: Vec<Uuid> = Vec::new();
    let mut seen: HashSet<Uuid> = HashSet::new();
    let mut outcomes = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        let applied = item.and_then(|item| apply(item, &mut working, &mut owners, &mut new_id));
        if let Ok((id, _)) = applied
            && seen.insert(id)
        {
            order.push(id);
        }
        outcomes.push(ItemOutcome::of(index, applied));
    }
    let mut plan = ImportPlan {
        outcomes: Outcomes(outcomes),
        ..ImportPlan::default()
    };
    for id in order {
        let Some(w) = working.remove(&id) else {
            continue;
        };
        match w.stored {
            None => plan.created.push(Account {
                id,
                fields: w.fields,
                version: 1,
                created_at: now,
                updated_at: now,
            }),
            Some(stored) if stored.fields != w.fields => {
                let (read, refs_before) = (stored.version, stored.fields.external_refs.clone());
                let account = Account {
                    fields: w.fields,
                    version: read + 1,
                    updated_at: now.max(stored.updated_at + chrono::Duration::microseconds(1)),
                    ..stored
                };
                plan.updated.push(Changed {
                    account,
                    read,
                    refs_before,
                });
            }
            Some(_) => {}
        }
    }
    plan
}

/// Applies one item: the account it wrote and how.
fn apply(
    item: AccountUpsert,
    working: &mut HashMap<Uuid, Working>,
    owners: &mut HashMap<ExternalRef, Uuid>,
    new_id: &mut impl FnMut() -> Uuid,
) -> Result<(Uuid, ItemStatus), Invalid> {
    let target = match &item.key {
        AccountKey::Id(id) if working.contains_key(id) => Some(*id),
        AccountKey::Id(_) => {
            return Err(Invalid::single("id", "is not an account of this workspace"));
        }
        AccountKey::Ref(r) => owners.get(r).copied(),
    };
    let before = target.and_then(|id| working.get(&id)).map(|w| &w.fields);
    let mut fields = item.patch.merged_into(before)?.prepared()?;
    if let AccountKey::Ref(r) = &item.key {
        fields.ensure_ref(r.clone());
    }
    let mut e = Invalid::default();
    for r in &fields.external_refs {
        if owners.get(r).is_some_and(|o| Some(*o) != target) {
            e.push(
                "external_refs",
                format!("{}/{} is already used by another account", r.system, r.id),
            );
        }
    }
    e.into_result()?;
    let (id, status) = match target {
        None => (new_id(), ItemStatus::Created),
        Some(id) if before == Some(&fields) => (id, ItemStatus::Unchanged),
        Some(id) => (id, ItemStatus::Updated),
    };
    let previous = working.remove(&id);
    for r in previous.iter().flat_map(|w| &w.fields.external_refs) {
        owners.remove(r);
    }
    for r in &fields.external_refs {
        owners.insert(r.clone(), id);
    }
    let stored = previous.and_then(|w| w.stored);
    working.insert(id, Working { fields, stored });
    Ok((id, status))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::attributes::Attributes;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn sf(id: &str) -> ExternalRef {
        ExternalRef::new("salesforce", id)
    }

    fn attributes(v: serde_json::Value) -> Attributes {
        serde_json::from_value(v).unwrap()
    }

    fn by_ref(id: &str, patch: AccountPatch) -> Result<AccountUpsert, Invalid> {
        Ok(AccountUpsert {
            key: AccountKey::Ref(sf(id)),
            patch,
        })
    }

    fn named(name: &str) -> AccountPatch {
        AccountPatch {
            name: Some(name.into()),
            ..AccountPatch::default()
        }
    }

    /// Acme, stored at version 3 with ref salesforce/001 and a CS note.
    fn book() -> (Book, Uuid) {
        let id = Uuid::from_u128(7);
        let mut fields = AccountFields::named("Acme");
        fields.external_refs = vec![sf("001")];
        fields.attributes = attributes(serde_json::json!({"csm_note": "sponsor left"}));
        let acme = Account {
            id,
            fields,
            version: 3,
            created_at: at("2026-01-01T00:00:00Z"),
            updated_at: at("2026-02-01T00:00:00Z"),
        };
        let owners = [(sf("001"), id)].into();
        (
            Book {
                accounts: [(id, acme)].into(),
                owners,
            },
            id,
        )
    }

    #[test]
    fn creates_merges_and_leaves_alone() {
        let (book, acme) = book();
        let now = at("2026-03-01T00:00:00Z");
        let mut ids = (100..).map(Uuid::from_u128);
        let plan = plan(
            vec![
                by_ref("002", named("Globex")),
                by_ref(
                    "001",
                    AccountPatch {
                        attributes: Some(attributes(serde_json::json!({"plan": "pro"}))),
                        ..AccountPatch::default()
                    },
                ),
                by_ref("002", named("Globex")),
                by_ref("003", AccountPatch::default()),
                Err(Invalid::single("name", "must be text")),
                Ok(AccountUpsert {
                    key: AccountKey::Id(Uuid::from_u128(9)),
                    patch: named("X"),
                }),
            ],
            book,
            now,
            || ids.next().unwrap(),
        );
        let statuses: Vec<ItemStatus> = plan.outcomes.0.iter().map(|o| o.status).collect();
        use ItemStatus::*;
        assert_eq!(
            statuses,
            [Created, Updated, Unchanged, Failed, Failed, Failed]
        );
        let globex = Uuid::from_u128(100);
        assert_eq!(plan.outcomes.0[0].id, Some(globex));
        assert_eq!(
            plan.outcomes.0[2].id,
            Some(globex),
            "the second item finds the first's account"
        );
        let failed: Vec<String> = plan
            .outcomes
            .errors()
            .0
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(failed, ["items[3].name", "items[4].name", "items[5].id"]);
        assert_eq!(plan.created.len(), 1);
        assert_eq!(plan.created[0].fields.external_refs, vec![sf("002")]);
        assert_eq!(
            (plan.created[0].version, plan.created[0].created_at),
            (1, now)
        );
        let Changed {
            account: updated,
            read,
            refs_before,
        } = &plan.updated[0];
        assert_eq!((updated.id, updated.version, *read), (acme, 4, 3));
        assert_eq!(refs_before, &vec![sf("001")]);
        assert_eq!(
            serde_json::to_value(&updated.fields.attributes).unwrap(),
            serde_json::json!({"csm_note": "sponsor left", "plan": "pro"})
        );
        assert_eq!(updated.updated_at, now);
    }

    #[test]
    fn a_ref_another_account_holds_fails_the_item() {
        let (book, _) = book();
        let patch = AccountPatch {
            external_refs: Some(vec![sf("001")]),
            ..named("Globex")
        };
        let plan = plan(
            vec![by_ref("002", patch)],
            book,
            at("2026-03-01T00:00:00Z"),
            Uuid::now_v7,
        );
        assert_eq!(plan.outcomes.0[0].status, ItemStatus::Failed);
        assert_eq!(plan.outcomes.errors().0[0].field, "items[0].external_refs");
        assert!(plan.created.is_empty());
    }

    #[test]
    fn an_unchanged_batch_writes_nothing() {
        let (book, _) = book();
        let patch = AccountPatch {
            attributes: Some(attributes(serde_json::json!({"csm_note": "sponsor left"}))),
            ..named("Acme")
        };
        let plan = plan(
            vec![by_ref("001", patch)],
            book,
            at("2026-03-01T00:00:00Z"),
            Uuid::now_v7,
        );
        assert_eq!(plan.outcomes.0[0].status, ItemStatus::Unchanged);
        assert!(plan.created.is_empty() && plan.updated.is_empty());
    }
}

//! Accounts and their external refs.

use chrono::NaiveDate;
use diesel::{
    BoolExpressionMethods, EscapeExpressionMethods, ExpressionMethods, JoinOnDsl,
    NullableExpressionMethods, QueryDsl, SelectableHelper, TextExpressionMethods,
};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::bulk::{AccountRow, InsertMany};
use super::external_refs::{Entity, joined};
use super::schema::{accounts as t, external_refs as r, stakeholders as s};
use super::tx::in_tx;
use super::{
    CHUNK, Page, Store, StoreError, Tx, from_micros, like_escaped, lower, parse_id, run_read,
    same_text, to_micros,
};
use crate::domain::filter::AccountFilter;
use crate::domain::{Account, AccountFields, ExternalRef};

impl AccountRow {
    fn new(ws: Uuid, a: &Account) -> Result<Self, StoreError> {
        let f = &a.fields;
        Ok(Self {
            workspace_id: ws.to_string(),
            id: a.id.to_string(),
            name: f.name.clone(),
            segment: f.segment.clone(),
            owner: f.owner.clone(),
            lifecycle_stage: f.lifecycle_stage.map(|s| s.as_str().to_owned()),
            customer_since: f.customer_since.map(|d| d.to_string()),
            original_arr: f.original_arr,
            currency: f.currency.clone(),
            attributes: serde_json::to_string(&f.attributes)?,
            version: a.version,
            created_at: to_micros(a.created_at),
            updated_at: to_micros(a.updated_at),
            renewal_date: f.renewal_date.map(|d| d.to_string()),
            contract_end: f.contract_end.map(|d| d.to_string()),
            current_arr: f.current_arr,
        })
    }

    fn into_account(self, external_refs: Vec<ExternalRef>) -> Result<Account, StoreError> {
        let bad =
            |what: &str| StoreError::Internal(format!("stored account {}: bad {what}", self.id));
        let lifecycle_stage = match &self.lifecycle_stage {
            Some(s) => Some(s.parse().map_err(|()| bad("lifecycle_stage"))?),
            None => None,
        };
        let day = |d: &Option<String>, what: &str| match d {
            Some(d) => d.parse::<NaiveDate>().map(Some).map_err(|_| bad(what)),
            None => Ok(None),
        };
        let customer_since = day(&self.customer_since, "customer_since")?;
        let renewal_date = day(&self.renewal_date, "renewal_date")?;
        let contract_end = day(&self.contract_end, "contract_end")?;
        Ok(Account {
            id: parse_id(&self.id)?,
            fields: AccountFields {
                name: self.name,
                segment: self.segment,
                owner: self.owner,
                lifecycle_stage,
                customer_since,
                original_arr: self.original_arr,
                renewal_date,
                contract_end,
                current_arr: self.current_arr,
                currency: self.currency,
                attributes: serde_json::from_str(&self.attributes)?,
                external_refs,
            },
            version: self.version,
            created_at: from_micros(self.created_at),
            updated_at: from_micros(self.updated_at),
        })
    }
}

/// A case-insensitive substring pattern in which `%`, `_` and `\` match themselves.
fn like_pattern(q: &str) -> String {
    format!("%{}%", like_escaped(&q.to_lowercase()))
}

super::for_each_backend! {
    @uses [external_refs]

    pub(crate) async fn insert(c: &mut Conn, ws: Uuid, a: &Account) -> Result<(), StoreError> {
        let row = AccountRow::new(ws, a)?;
        diesel::insert_into(t::table).values(row).execute(c).await?;
        external_refs::replace(c, ws, Entity::Account, a.id, &a.fields.external_refs).await
    }

    /// Locks the account's row until the transaction ends (a no-op update,
    /// the same lock on both backends); `false` when there is no such account.
    pub(crate) async fn lock(c: &mut Conn, ws: Uuid, id: Uuid) -> Result<bool, StoreError> {
        let n = diesel::update(t::table.filter(t::workspace_id.eq(ws.to_string())).filter(t::id.eq(id.to_string())))
            .set(t::version.eq(t::version))
            .execute(c)
            .await?;
        Ok(n == 1)
    }

    /// The account with its refs, in one statement.
    pub(crate) async fn get(c: &mut Conn, ws: Uuid, id: Uuid) -> Result<Option<Account>, StoreError> {
        let rows: Vec<(AccountRow, Option<(String, String)>)> = t::table
            .left_join(
                r::table.on(r::workspace_id
                    .eq(t::workspace_id)
                    .and(r::entity.eq(Entity::Account.as_str()))
                    .and(r::entity_id.eq(t::id))),
            )
            .filter(t::workspace_id.eq(ws.to_string()))
            .filter(t::id.eq(id.to_string()))
            .select((AccountRow::as_select(), (r::system, r::external_id).nullable()))
            .order_by((r::system, r::external_id))
            .load(c)
            .await?;
        joined(rows).map(|(row, refs)| row.into_account(refs)).transpose()
    }

    pub(crate) async fn get_by_ref(
        c: &mut Conn,
        ws: Uuid,
        system: &str,
        external_id: &str,
    ) -> Result<Option<Account>, StoreError> {
        match external_refs::find(c, ws, Entity::Account, system, external_id).await? {
            Some(id) => get(c, ws, id).await,
            None => Ok(None),
        }
    }

    pub(crate) async fn list(
        c: &mut Conn,
        ws: Uuid,
        filter: &AccountFilter,
        page: Page,
    ) -> Result<Vec<Account>, StoreError> {
        let mut q = t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .select(AccountRow::as_select())
            .into_boxed();
        if let Some(after) = page.after {
            q = q.filter(t::id.gt(after.to_string()));
        }
        if let Some(v) = &filter.segment {
            q = q.filter(same_text(t::segment, v));
        }
        if let Some(v) = &filter.owner {
            q = q.filter(same_text(t::owner, v));
        }
        if let Some(v) = filter.lifecycle_stage {
            q = q.filter(t::lifecycle_stage.eq(v.as_str()));
        }
        if let Some(v) = &filter.q {
            q = q.filter(lower(t::name).like(like_pattern(v)).escape('\\'));
        }
        if let Some(v) = filter.updated_since {
            q = q.filter(t::updated_at.gt(to_micros(v)));
        }
        if let Some(day) = filter.renewal_from {
            q = q.filter(t::renewal_date.ge(day.to_string()));
        }
        if let Some(day) = filter.renewal_to {
            q = q.filter(t::renewal_date.le(day.to_string()));
        }
        if let Some(ids) = &filter.within {
            q = q.filter(t::id.eq_any(crate::store::id_texts(ids)));
        }
        let rows: Vec<AccountRow> = q
            .order_by(t::id)
            .limit(i64::try_from(page.limit).unwrap_or(i64::MAX))
            .load(c)
            .await?;
        let ids = rows.iter().map(|r| parse_id(&r.id)).collect::<Result<Vec<_>, _>>()?;
        let mut refs = external_refs::load(c, ws, Entity::Account, &ids).await?;
        rows.into_iter()
            .zip(ids)
            .map(|(row, id)| row.into_account(refs.remove(&id).unwrap_or_default()))
            .collect()
    }

    /// Stores new accounts with their refs, a statement per chunk.
    pub(crate) async fn insert_many(c: &mut Conn, ws: Uuid, accounts: &[Account]) -> Result<(), StoreError> {
        let rows = accounts.iter().map(|a| AccountRow::new(ws, a)).collect::<Result<Vec<_>, _>>()?;
        c.insert_many(rows).await?;
        let refs: Vec<(Uuid, &ExternalRef)> = accounts
            .iter()
            .flat_map(|a| a.fields.external_refs.iter().map(move |r| (a.id, r)))
            .collect();
        external_refs::insert_many(c, ws, Entity::Account, &refs).await
    }

    /// Locks the accounts among `ids` until the transaction ends and reads
    /// them with their refs; ids of no account are left out.
    pub(crate) async fn lock_many(c: &mut Conn, ws: Uuid, ids: &[Uuid]) -> Result<Vec<Account>, StoreError> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let keys: Vec<String> = chunk.iter().map(Uuid::to_string).collect();
            let mine = t::table.filter(t::workspace_id.eq(ws.to_string())).filter(t::id.eq_any(keys));
            diesel::update(mine.clone()).set(t::version.eq(t::version)).execute(c).await?;
            let rows: Vec<AccountRow> = mine.select(AccountRow::as_select()).load(c).await?;
            let ids = rows.iter().map(|r| parse_id(&r.id)).collect::<Result<Vec<_>, _>>()?;
            let mut refs = external_refs::load(c, ws, Entity::Account, &ids).await?;
            for (row, id) in rows.into_iter().zip(ids) {
                found.push(row.into_account(refs.remove(&id).unwrap_or_default())?);
            }
        }
        Ok(found)
    }

    /// Writes `a` over the stored account if it is still at `expected_version`
    /// (its refs too when `refs_changed`); `false` when it changed (or went)
    /// meanwhile.
    pub(crate) async fn update(
        c: &mut Conn,
        ws: Uuid,
        a: &Account,
        expected_version: i64,
        refs_changed: bool,
    ) -> Result<bool, StoreError> {
        let row = AccountRow::new(ws, a)?;
        let n = diesel::update(
            t::table
                .filter(t::workspace_id.eq(ws.to_string()))
                .filter(t::id.eq(a.id.to_string()))
                .filter(t::version.eq(expected_version)),
        )
        .set((
            t::name.eq(row.name),
            t::segment.eq(row.segment),
            t::owner.eq(row.owner),
            t::lifecycle_stage.eq(row.lifecycle_stage),
            t::customer_since.eq(row.customer_since),
            t::original_arr.eq(row.original_arr),
            t::renewal_date.eq(row.renewal_date),
            t::contract_end.eq(row.contract_end),
            t::current_arr.eq(row.current_arr),
            t::currency.eq(row.currency),
            t::attributes.eq(row.attributes),
            t::version.eq(row.version),
            t::updated_at.eq(row.updated_at),
        ))
        .execute(c)
        .await?;
        if n == 1 && refs_changed {
            external_refs::replace(c, ws, Entity::Account, a.id, &a.fields.external_refs).await?;
        }
        Ok(n == 1)
    }

    /// Deletes the account, its stakeholders and every ref of either, if it is
    /// still at `expected_version`.
    pub(crate) async fn delete(
        c: &mut Conn,
        ws: Uuid,
        id: Uuid,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let stakeholder_ids: Vec<String> = s::table
            .filter(s::workspace_id.eq(ws.to_string()))
            .filter(s::account_id.eq(id.to_string()))
            .select(s::id)
            .load(c)
            .await?;
        let n = diesel::delete(
            t::table
                .filter(t::workspace_id.eq(ws.to_string()))
                .filter(t::id.eq(id.to_string()))
                .filter(t::version.eq(expected_version)),
        )
        .execute(c)
        .await?;
        if n == 1 {
            let stakeholder_ids = stakeholder_ids.iter().map(|s| parse_id(s)).collect::<Result<Vec<_>, _>>()?;
            external_refs::remove(c, ws, Entity::Stakeholder, &stakeholder_ids).await?;
            external_refs::remove(c, ws, Entity::Account, &[id]).await?;
        }
        Ok(n == 1)
    }
}

impl Store {
    pub async fn account(&self, ws: Uuid, id: Uuid) -> Result<Option<Account>, StoreError> {
        run_read!(self, get(ws, id))
    }

    pub async fn account_by_ref(
        &self,
        ws: Uuid,
        system: &str,
        external_id: &str,
    ) -> Result<Option<Account>, StoreError> {
        run_read!(self, get_by_ref(ws, system, external_id))
    }

    pub async fn accounts(
        &self,
        ws: Uuid,
        filter: &AccountFilter,
        page: Page,
    ) -> Result<Vec<Account>, StoreError> {
        run_read!(self, list(ws, filter, page))
    }
}

impl Tx {
    pub async fn insert_account(&mut self, a: &Account) -> Result<(), StoreError> {
        in_tx!(self, insert(a))
    }

    /// Locks the account until commit: every write that changes an account or
    /// what hangs off it (history, plans) takes this lock first.
    pub async fn insert_accounts(&mut self, accounts: &[Account]) -> Result<(), StoreError> {
        in_tx!(self, insert_many(accounts))
    }

    /// Locks and reads the accounts among `ids`.
    pub async fn lock_accounts(&mut self, ids: &[Uuid]) -> Result<Vec<Account>, StoreError> {
        in_tx!(self, lock_many(ids))
    }

    pub async fn lock_account(&mut self, id: Uuid) -> Result<bool, StoreError> {
        in_tx!(self, lock(id))
    }

    pub async fn account(&mut self, id: Uuid) -> Result<Option<Account>, StoreError> {
        in_tx!(self, get(id))
    }

    pub async fn account_by_ref(
        &mut self,
        system: &str,
        external_id: &str,
    ) -> Result<Option<Account>, StoreError> {
        in_tx!(self, get_by_ref(system, external_id))
    }

    /// `false` when the account is no longer at `expected_version`.
    /// Writes `a` over the account read at `expected_version`; its refs
    /// only when they differ from `refs_before`.
    pub async fn update_account(
        &mut self,
        a: &Account,
        expected_version: i64,
        refs_before: &[ExternalRef],
    ) -> Result<bool, StoreError> {
        let refs_changed = a.fields.external_refs != refs_before;
        in_tx!(self, update(a, expected_version, refs_changed))
    }

    pub async fn delete_account(
        &mut self,
        id: Uuid,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        in_tx!(self, delete(id, expected_version))
    }
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_pattern("Ac_me%"), "%ac\\_me\\%%");
    }
}

//! External refs of accounts and stakeholders, in one table keyed by
//! (workspace, entity, system, external id) so a ref names one record at most.

use std::collections::HashMap;

use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::bulk::{InsertMany, RefRow};
use super::schema::external_refs as t;
use super::{StoreError, parse_id};
use crate::domain::ExternalRef;

/// Which kind of record a ref points at.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Entity {
    Account,
    Stakeholder,
}

impl Entity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Entity::Account => "account",
            Entity::Stakeholder => "stakeholder",
        }
    }
}

/// A record read with its refs in one statement (a left join, a row per
/// ref, ordered by system): the record and its refs, or `None` for no rows.
pub(crate) fn joined<R>(rows: Vec<(R, Option<(String, String)>)>) -> Option<(R, Vec<ExternalRef>)> {
    let mut rows = rows.into_iter();
    let (record, first) = rows.next()?;
    let refs = first
        .into_iter()
        .chain(rows.filter_map(|(_, r)| r))
        .map(|(system, id)| ExternalRef::new(system, id))
        .collect();
    Some((record, refs))
}

super::for_each_backend! {
    /// Replaces the refs of one record. A ref held by another record is a conflict.
    pub(crate) async fn replace(
        c: &mut Conn,
        ws: Uuid,
        entity: Entity,
        id: Uuid,
        refs: &[ExternalRef],
    ) -> Result<(), StoreError> {
        remove(c, ws, entity, &[id]).await?;
        for r in refs {
            diesel::insert_into(t::table)
                .values((
                    t::workspace_id.eq(ws.to_string()),
                    t::entity.eq(entity.as_str()),
                    t::system.eq(&r.system),
                    t::external_id.eq(&r.id),
                    t::entity_id.eq(id.to_string()),
                ))
                .execute(c)
                .await
                .map_err(|e| match StoreError::from(e) {
                    StoreError::Conflict(_) => StoreError::Conflict(format!(
                        "external ref {}/{} is already used by another {}",
                        r.system,
                        r.id,
                        entity.as_str()
                    )),
                    other => other,
                })?;
        }
        Ok(())
    }

    /// Adds the refs of many new records at once.
    pub(crate) async fn insert_many(
        c: &mut Conn,
        ws: Uuid,
        entity: Entity,
        refs: &[(Uuid, &ExternalRef)],
    ) -> Result<(), StoreError> {
        let wss = ws.to_string();
        let rows: Vec<RefRow> = refs
            .iter()
            .map(|(id, r)| RefRow {
                workspace_id: wss.clone(),
                entity: entity.as_str(),
                system: r.system.clone(),
                external_id: r.id.clone(),
                entity_id: id.to_string(),
            })
            .collect();
        InsertMany::insert_many(c, rows).await
    }

    pub(crate) async fn remove(
        c: &mut Conn,
        ws: Uuid,
        entity: Entity,
        ids: &[Uuid],
    ) -> Result<(), StoreError> {
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        diesel::delete(
            t::table
                .filter(t::workspace_id.eq(ws.to_string()))
                .filter(t::entity.eq(entity.as_str()))
                .filter(t::entity_id.eq_any(ids)),
        )
        .execute(c)
        .await?;
        Ok(())
    }

    /// The refs of each of `ids`, sorted by system.
    pub(crate) async fn load(
        c: &mut Conn,
        ws: Uuid,
        entity: Entity,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<ExternalRef>>, StoreError> {
        let keys: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        let rows: Vec<(String, String, String)> = t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .filter(t::entity.eq(entity.as_str()))
            .filter(t::entity_id.eq_any(keys))
            .select((t::entity_id, t::system, t::external_id))
            .order_by((t::entity_id, t::system, t::external_id))
            .load(c)
            .await?;
        let mut out: HashMap<Uuid, Vec<ExternalRef>> = HashMap::new();
        for (id, system, external_id) in rows {
            let id = parse_id(&id)?;
            out.entry(id).or_default().push(ExternalRef::new(system, external_id));
        }
        Ok(out)
    }

    /// The record a ref names, if any.
    pub(crate) async fn find(
        c: &mut Conn,
        ws: Uuid,
        entity: Entity,
        system: &str,
        external_id: &str,
    ) -> Result<Option<Uuid>, StoreError> {
        use diesel::OptionalExtension;
        let id: Option<String> = t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .filter(t::entity.eq(entity.as_str()))
            .filter(t::system.eq(system))
            .filter(t::external_id.eq(external_id))
            .select(t::entity_id)
            .first(c)
            .await
            .optional()?;
        id.as_deref().map(parse_id).transpose()
    }
}

impl super::Tx {
    /// The account a ref names, if any.
    pub async fn account_named(&mut self, r: &ExternalRef) -> Result<Option<Uuid>, StoreError> {
        super::tx::in_tx!(self, find(Entity::Account, &r.system, &r.id))
    }

    /// The stakeholder a ref names, if any.
    pub async fn stakeholder_named(&mut self, r: &ExternalRef) -> Result<Option<Uuid>, StoreError> {
        super::tx::in_tx!(self, find(Entity::Stakeholder, &r.system, &r.id))
    }
}

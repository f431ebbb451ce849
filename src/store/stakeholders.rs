//! Stakeholders of an account and their external refs.

use chrono::{DateTime, Utc};
use diesel::{
    BoolExpressionMethods, ExpressionMethods, JoinOnDsl, NullableExpressionMethods, QueryDsl,
    SelectableHelper,
};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::external_refs::{Entity, joined};
use super::schema::{external_refs as r, stakeholders as t};
use super::tx::in_tx;
use super::{Page, Store, StoreError, Tx, from_micros, parse_id, run_read, to_micros};
use crate::domain::{ExternalRef, Stakeholder, StakeholderFields};

#[derive(diesel::Queryable, diesel::Selectable, diesel::Insertable)]
#[diesel(table_name = t)]
struct StakeholderRow {
    workspace_id: String,
    id: String,
    account_id: String,
    name: String,
    email: Option<String>,
    title: Option<String>,
    role: Option<String>,
    involved_in_purchase: bool,
    attributes: String,
    version: i64,
    created_at: i64,
    updated_at: i64,
    left_on: Option<String>,
}

impl StakeholderRow {
    fn new(ws: Uuid, s: &Stakeholder) -> Result<Self, StoreError> {
        let f = &s.fields;
        Ok(Self {
            workspace_id: ws.to_string(),
            id: s.id.to_string(),
            account_id: s.account_id.to_string(),
            name: f.name.clone(),
            email: f.email.clone(),
            title: f.title.clone(),
            role: f.role.map(|r| r.as_str().to_owned()),
            involved_in_purchase: f.involved_in_purchase,
            attributes: serde_json::to_string(&f.attributes)?,
            version: s.version,
            created_at: to_micros(s.created_at),
            updated_at: to_micros(s.updated_at),
            left_on: f.left_on.map(|d| d.to_string()),
        })
    }

    fn into_stakeholder(self, external_refs: Vec<ExternalRef>) -> Result<Stakeholder, StoreError> {
        let role = match &self.role {
            Some(r) => Some(r.parse().map_err(|()| {
                StoreError::Internal(format!("stored stakeholder {}: bad role", self.id))
            })?),
            None => None,
        };
        let left_on = match &self.left_on {
            Some(d) => Some(d.parse().map_err(|_| {
                StoreError::Internal(format!("stored stakeholder {}: bad left_on", self.id))
            })?),
            None => None,
        };
        Ok(Stakeholder {
            id: parse_id(&self.id)?,
            account_id: parse_id(&self.account_id)?,
            fields: StakeholderFields {
                name: self.name,
                email: self.email,
                title: self.title,
                role,
                involved_in_purchase: self.involved_in_purchase,
                left_on,
                attributes: serde_json::from_str(&self.attributes)?,
                external_refs,
            },
            version: self.version,
            created_at: from_micros(self.created_at),
            updated_at: from_micros(self.updated_at),
        })
    }
}

super::for_each_backend! {
    @uses [external_refs]

    pub(crate) async fn insert(c: &mut Conn, ws: Uuid, s: &Stakeholder) -> Result<(), StoreError> {
        let row = StakeholderRow::new(ws, s)?;
        diesel::insert_into(t::table).values(row).execute(c).await?;
        external_refs::replace(c, ws, Entity::Stakeholder, s.id, &s.fields.external_refs).await
    }

    pub(crate) async fn get_by_ref(
        c: &mut Conn,
        ws: Uuid,
        r: &ExternalRef,
    ) -> Result<Option<Stakeholder>, StoreError> {
        match external_refs::find(c, ws, Entity::Stakeholder, &r.system, &r.id).await? {
            Some(id) => get(c, ws, id).await,
            None => Ok(None),
        }
    }

    /// The stakeholder with its refs, in one statement.
    pub(crate) async fn get(c: &mut Conn, ws: Uuid, id: Uuid) -> Result<Option<Stakeholder>, StoreError> {
        let rows: Vec<(StakeholderRow, Option<(String, String)>)> = t::table
            .left_join(
                r::table.on(r::workspace_id
                    .eq(t::workspace_id)
                    .and(r::entity.eq(Entity::Stakeholder.as_str()))
                    .and(r::entity_id.eq(t::id))),
            )
            .filter(t::workspace_id.eq(ws.to_string()))
            .filter(t::id.eq(id.to_string()))
            .select((StakeholderRow::as_select(), (r::system, r::external_id).nullable()))
            .order_by((r::system, r::external_id))
            .load(c)
            .await?;
        joined(rows).map(|(row, refs)| row.into_stakeholder(refs)).transpose()
    }

    pub(crate) async fn list(
        c: &mut Conn,
        ws: Uuid,
        account_id: Uuid,
        updated_since: Option<DateTime<Utc>>,
        page: Page,
    ) -> Result<Vec<Stakeholder>, StoreError> {
        let mut q = t::table
            .filter(t::workspace_id.eq(ws.to_string()))
            .filter(t::account_id.eq(account_id.to_string()))
            .select(StakeholderRow::as_select())
            .into_boxed();
        if let Some(after) = page.after {
            q = q.filter(t::id.gt(after.to_string()));
        }
        if let Some(v) = updated_since {
            q = q.filter(t::updated_at.gt(to_micros(v)));
        }
        let rows: Vec<StakeholderRow> = q
            .order_by(t::id)
            .limit(i64::try_from(page.limit).unwrap_or(i64::MAX))
            .load(c)
            .await?;
        let ids = rows.iter().map(|r| parse_id(&r.id)).collect::<Result<Vec<_>, _>>()?;
        let mut refs = external_refs::load(c, ws, Entity::Stakeholder, &ids).await?;
        rows.into_iter()
            .zip(ids)
            .map(|(row, id)| row.into_stakeholder(refs.remove(&id).unwrap_or_default()))
            .collect()
    }

    pub(crate) async fn update(
        c: &mut Conn,
        ws: Uuid,
        s: &Stakeholder,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let row = StakeholderRow::new(ws, s)?;
        let n = diesel::update(
            t::table
                .filter(t::workspace_id.eq(ws.to_string()))
                .filter(t::id.eq(s.id.to_string()))
                .filter(t::version.eq(expected_version)),
        )
        .set((
            t::name.eq(row.name),
            t::email.eq(row.email),
            t::title.eq(row.title),
            t::role.eq(row.role),
            t::involved_in_purchase.eq(row.involved_in_purchase),
            t::left_on.eq(row.left_on),
            t::attributes.eq(row.attributes),
            t::version.eq(row.version),
            t::updated_at.eq(row.updated_at),
        ))
        .execute(c)
        .await?;
        if n == 1 {
            external_refs::replace(c, ws, Entity::Stakeholder, s.id, &s.fields.external_refs).await?;
        }
        Ok(n == 1)
    }

    pub(crate) async fn delete(
        c: &mut Conn,
        ws: Uuid,
        id: Uuid,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        let n = diesel::delete(
            t::table
                .filter(t::workspace_id.eq(ws.to_string()))
                .filter(t::id.eq(id.to_string()))
                .filter(t::version.eq(expected_version)),
        )
        .execute(c)
        .await?;
        if n == 1 {
            external_refs::remove(c, ws, Entity::Stakeholder, &[id]).await?;
        }
        Ok(n == 1)
    }
}

impl Store {
    pub async fn stakeholder(&self, ws: Uuid, id: Uuid) -> Result<Option<Stakeholder>, StoreError> {
        run_read!(self, get(ws, id))
    }

    pub async fn stakeholder_by_ref(
        &self,
        ws: Uuid,
        r: &ExternalRef,
    ) -> Result<Option<Stakeholder>, StoreError> {
        run_read!(self, get_by_ref(ws, r))
    }

    pub async fn stakeholders(
        &self,
        ws: Uuid,
        account_id: Uuid,
        updated_since: Option<DateTime<Utc>>,
        page: Page,
    ) -> Result<Vec<Stakeholder>, StoreError> {
        run_read!(self, list(ws, account_id, updated_since, page))
    }
}

impl Tx {
    pub async fn stakeholder(&mut self, id: Uuid) -> Result<Option<Stakeholder>, StoreError> {
        in_tx!(self, get(id))
    }

    pub async fn insert_stakeholder(&mut self, s: &Stakeholder) -> Result<(), StoreError> {
        in_tx!(self, insert(s))
    }

    pub async fn update_stakeholder(
        &mut self,
        s: &Stakeholder,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        in_tx!(self, update(s, expected_version))
    }

    pub async fn delete_stakeholder(
        &mut self,
        id: Uuid,
        expected_version: i64,
    ) -> Result<bool, StoreError> {
        in_tx!(self, delete(id, expected_version))
    }
}

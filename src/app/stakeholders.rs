//! Stakeholder use cases. A stakeholder lives under an account of the same workspace.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::accounts::written;
use super::page::paginate;
use super::{App, AppError, IfMatch, Listed, PageRequest, Principal, next_change_time, now};
use crate::domain::{Role, Stakeholder, StakeholderFields, StakeholderPatch};

const STAKEHOLDER: &str = "stakeholder";

impl App {
    pub async fn create_stakeholder(
        &self,
        p: &Principal,
        account_id: Uuid,
        fields: StakeholderFields,
    ) -> Result<Stakeholder, AppError> {
        p.require(Role::Write)?;
        self.account(p, account_id).await?;
        let fields = fields.prepared()?;
        let at = now();
        let s = Stakeholder {
            id: Uuid::now_v7(),
            account_id,
            fields,
            version: 1,
            created_at: at,
            updated_at: at,
        };
        self.store.insert_stakeholder(p.workspace_id, &s).await?;
        Ok(s)
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
        let current = self.stakeholder(p, id).await?;
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
        written(
            self.store
                .update_stakeholder(p.workspace_id, &next, current.version)
                .await?,
            next,
        )
    }

    pub async fn delete_stakeholder(
        &self,
        p: &Principal,
        id: Uuid,
        if_match: &IfMatch,
    ) -> Result<(), AppError> {
        p.require(Role::Write)?;
        let current = self.stakeholder(p, id).await?;
        if_match.check(STAKEHOLDER, current.version)?;
        written(
            self.store
                .delete_stakeholder(p.workspace_id, id, current.version)
                .await?,
            (),
        )
    }
}

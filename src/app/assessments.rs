//! Assessment use cases: record a subject's scores on a framework, with the
//! results and classifications computed at that moment.

use uuid::Uuid;

use super::accounts::hold_account;
use super::page::paginate;
use super::portfolio::check_range;
use super::{App, AppError, Listed, PageRequest, Principal, now};
use crate::domain::assessment::{Assessment, AssessmentDraft};
use crate::domain::filter::AssessmentFilter;
use crate::domain::framework::is_key;
use crate::domain::{Invalid, Role};

const ASSESSMENT: &str = "assessment";

impl App {
    /// Validates against the framework's latest version, evaluates, and
    /// stores the assessment with its results; the version is kept with it.
    pub async fn create_assessment(
        &self,
        p: &Principal,
        draft: AssessmentDraft,
    ) -> Result<Assessment, AppError> {
        p.require(Role::Write)?;
        let framework = self.framework(p, &draft.framework).await?;
        let mut work = self.begin(p).await?;
        let result = async {
            hold_account(&mut work, draft.account_id).await?;
            let stakeholder_account = match draft.stakeholder_id {
                Some(id) => Some(
                    work.stakeholder(id)
                        .await?
                        .ok_or(AppError::NotFound("stakeholder"))?
                        .account_id,
                ),
                None => None,
            };
            let at = now();
            draft.check(&framework.framework, stakeholder_account, at)?;
            let results = framework.framework.evaluate(&draft.scores)?;
            let assessment = Assessment {
                id: Uuid::now_v7(),
                account_id: draft.account_id,
                stakeholder_id: draft.stakeholder_id,
                framework: draft.framework,
                framework_version: framework.version,
                scores: draft.scores,
                notes: draft.notes,
                assessor: draft.assessor,
                assessed_at: draft.assessed_at.unwrap_or(at),
                results,
                created_at: at,
            };
            work.insert_assessment(&assessment).await?;
            Ok(assessment)
        }
        .await;
        work.finish(result).await
    }

    pub async fn assessment(&self, p: &Principal, id: Uuid) -> Result<Assessment, AppError> {
        p.require(Role::Read)?;
        self.store
            .assessment(p.workspace_id, id)
            .await?
            .ok_or(AppError::NotFound(ASSESSMENT))
    }

    /// Assessments by creation, filtered; an account or stakeholder filter must exist.
    pub async fn assessments(
        &self,
        p: &Principal,
        filter: &AssessmentFilter,
        page: &PageRequest,
    ) -> Result<Listed<Assessment>, AppError> {
        p.require(Role::Read)?;
        let (page, size) = page.resolve()?;
        let mut e = Invalid::default();
        if filter.framework.as_deref().is_some_and(|f| !is_key(f)) {
            e.push("framework", "must be a framework key");
        }
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && let Err(backwards) = check_range(from, to)
        {
            e.0.extend(backwards.0);
        }
        e.into_result()?;
        if let Some(id) = filter.account_id {
            self.account(p, id).await?;
        }
        if let Some(id) = filter.stakeholder_id {
            self.stakeholder(p, id).await?;
        }
        let rows = self.store.assessments(p.workspace_id, filter, page).await?;
        Ok(paginate(rows, size, |a| a.id))
    }

    /// Removes an assessment; the subject's previous classification becomes current again.
    pub async fn delete_assessment(&self, p: &Principal, id: Uuid) -> Result<(), AppError> {
        p.require(Role::Write)?;
        let mut work = self.begin(p).await?;
        let result = async {
            let found = work.assessment(id).await?;
            let x = found.ok_or(AppError::NotFound(ASSESSMENT))?;
            // The lock every change to the account's history takes, as on create.
            hold_account(&mut work, x.account_id).await?;
            if work.delete_assessment(id).await? {
                Ok(())
            } else {
                Err(AppError::NotFound(ASSESSMENT))
            }
        }
        .await;
        work.finish(result).await
    }
}

//! Assessment use cases: record a subject's scores on a framework, with the
//! results and classifications computed at that moment.

use uuid::Uuid;

use super::accounts::{account_named, hold_account};
use super::changes::{account_refs, data_of, record};
use super::page::paginate;
use super::portfolio::check_range;
use super::stakeholders::stakeholder_named;
use super::views::AssessmentView;
use super::{App, AppError, Listed, PageRequest, Principal, PublishedFramework, now};
use crate::domain::assessment::{Assessment, AssessmentDraft, cell_moves};
use crate::domain::event::{Change, NewEvent, Resource};
use crate::domain::filter::AssessmentFilter;
use crate::domain::framework::is_key;
use crate::domain::{ExternalRef, Invalid, Role, Stakeholder};
use crate::store::Tx;

const ASSESSMENT: &str = "assessment";

/// The lock a batch of assessments holds over the workspace's assessment
/// refs; a create with a ref holds it shared, so the two never record one
/// ref twice.
pub(super) const ASSESSMENT_REFS: &str = "assessment-refs";

impl App {
    /// Validates against the framework's latest version, evaluates, and
    /// stores the assessment with its results; the version is kept with it.
    /// An `external_ref` another assessment carries is a conflict.
    pub async fn create_assessment(
        &self,
        p: &Principal,
        draft: AssessmentDraft,
    ) -> Result<Assessment, AppError> {
        p.require(Role::Write)?;
        let framework = self.framework(p, &draft.framework).await?;
        let mut work = self.begin(p).await?;
        let result = async {
            if let Some(r) = &draft.external_ref {
                work.lock_name_shared(ASSESSMENT_REFS).await?;
                if let Some(held) = work.assessment_by_ref(r).await? {
                    return Err(AppError::Duplicate(format!(
                        "external_ref {}/{} is already used by assessment {}",
                        r.system, r.id, held.id
                    )));
                }
            }
            let subject = subject_named(&mut work, &draft).await?;
            record_assessment(&mut work, &framework, draft, subject).await
        }
        .await;
        work.finish(result).await
    }

    pub async fn assessment(&self, p: &Principal, id: Uuid) -> Result<Assessment, AppError> {
        p.require_within_reach(Role::Read)?;
        let found = self.store.assessment(p.workspace_id, id).await?;
        p.reveal(found, |a| a.account_id, ASSESSMENT)
    }

    /// Assessments by creation, filtered; an account or stakeholder filter must exist.
    pub async fn assessments(
        &self,
        p: &Principal,
        filter: &AssessmentFilter,
        page: &PageRequest,
    ) -> Result<Listed<Assessment>, AppError> {
        p.require_within_reach(Role::Read)?;
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
        let filter = AssessmentFilter {
            within: p.reach.accounts().cloned(),
            ..filter.clone()
        };
        let rows = self
            .store
            .assessments(p.workspace_id, &filter, page)
            .await?;
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
            let before = work.current_cells(x.subject_id(), &x.matrices()).await?;
            if !work.delete_assessment(id).await? {
                return Err(AppError::NotFound(ASSESSMENT));
            }
            let tombstone = serde_json::json!({
                "id": id, "account_id": x.account_id, "stakeholder_id": x.stakeholder_id,
            });
            let event = NewEvent::new(
                Resource::Assessment,
                Change::Deleted,
                id,
                now(),
                tombstone.to_string(),
            );
            let refs = account_refs(&mut work, x.account_id).await?;
            record(&mut work, event.about(x.account_id, &refs)).await?;
            record_moves(&mut work, &x, &before, &refs).await
        }
        .await;
        work.finish(result).await
    }
}

/// The account and stakeholder a draft names: the account locked until the
/// unit of work ends (the lock every change to its history takes).
pub(super) async fn subject_named(
    tx: &mut Tx,
    draft: &AssessmentDraft,
) -> Result<(Uuid, Option<Stakeholder>), AppError> {
    let account_id = account_named(tx, &draft.account).await?;
    hold_account(tx, account_id).await?;
    let stakeholder = match &draft.stakeholder {
        Some(key) => Some(stakeholder_named(tx, key).await?),
        None => None,
    };
    Ok((account_id, stakeholder))
}

/// Checks `draft` against `framework`, evaluates it, and stores it for the
/// subject [`subject_named`] found, with its events.
pub(super) async fn record_assessment(
    tx: &mut Tx,
    framework: &PublishedFramework,
    draft: AssessmentDraft,
    (account_id, stakeholder): (Uuid, Option<Stakeholder>),
) -> Result<Assessment, AppError> {
    let at = now();
    let stakeholder_account = stakeholder.as_ref().map(|s| s.account_id);
    draft.check(&framework.framework, account_id, stakeholder_account, at)?;
    let results = framework.framework.evaluate(&draft.scores)?;
    let assessment = Assessment {
        id: Uuid::now_v7(),
        account_id,
        stakeholder_id: stakeholder.map(|s| s.id),
        framework: draft.framework,
        framework_version: framework.version,
        scores: draft.scores,
        notes: draft.notes,
        assessor: draft.assessor,
        assessed_at: draft.assessed_at.unwrap_or(at),
        results,
        created_at: at,
        external_ref: draft.external_ref,
    };
    let (subject, matrices) = (assessment.subject_id(), assessment.matrices());
    let before = tx.current_cells(subject, &matrices).await?;
    tx.insert_assessment(&assessment).await?;
    let refs = account_refs(tx, assessment.account_id).await?;
    let data = data_of(&AssessmentView::from(assessment.clone()))?;
    let event = NewEvent::new(
        Resource::Assessment,
        Change::Created,
        assessment.id,
        at,
        data,
    );
    record(tx, event.about(assessment.account_id, &refs)).await?;
    record_moves(tx, &assessment, &before, &refs).await?;
    Ok(assessment)
}

/// Records `classification.changed` for every matrix on which adding or
/// removing `x` moved its subject's current cell from where `before` had it.
async fn record_moves(
    tx: &mut Tx,
    x: &Assessment,
    before: &[(String, String)],
    refs: &[ExternalRef],
) -> Result<(), AppError> {
    let subject = x.subject_id();
    let after = tx.current_cells(subject, &x.matrices()).await?;
    for m in cell_moves(before, &after) {
        let data = serde_json::json!({
            "matrix": m.matrix, "from": m.from, "to": m.to,
            "subject_id": subject, "account_id": x.account_id,
            "stakeholder_id": x.stakeholder_id, "assessment_id": x.id,
        });
        let event = NewEvent::new(
            Resource::Classification,
            Change::Moved,
            subject,
            now(),
            data.to_string(),
        );
        record(tx, event.about(x.account_id, refs)).await?;
    }
    Ok(())
}

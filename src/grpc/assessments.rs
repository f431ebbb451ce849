//! `csapi.v1.AssessmentService`.

use tonic::{Request, Response, Status};

use super::convert::{self, parse_id, parse_timestamp, ref_from_pb, timestamp};
use super::frameworks::evaluation_to_pb;
use super::pb::assessment_service_server::AssessmentService;
use super::pb::{self, *};
use super::status::invalid_argument as invalid;
use super::{GrpcState, call, imports, status_of};
use crate::domain::assessment::{Assessment as DomainAssessment, AssessmentDraft};
use crate::domain::filter::AssessmentFilter;
use crate::domain::import::AssessmentUpsert;
use crate::domain::{Invalid, RecordKey};

pub struct AssessmentGrpc(pub GrpcState);

fn assessment_to_pb(a: DomainAssessment) -> pb::Assessment {
    pb::Assessment {
        results: Some(evaluation_to_pb(
            a.framework.clone(),
            a.framework_version,
            a.results,
        )),
        id: a.id.to_string(),
        account_id: a.account_id.to_string(),
        stakeholder_id: a.stakeholder_id.map(|s| s.to_string()),
        framework: a.framework,
        framework_version: a.framework_version,
        scores: a.scores.into_iter().collect(),
        notes: a.notes.into_iter().collect(),
        assessor: a.assessor,
        assessed_at: Some(timestamp(a.assessed_at)),
        created_at: Some(timestamp(a.created_at)),
        external_ref: a.external_ref.map(convert::ref_to_pb),
    }
}

/// A draft from a request, field errors named under `assessment.` but for
/// the refs beside it.
fn draft_from_pb(m: CreateAssessmentRequest) -> Result<AssessmentDraft, Invalid> {
    let mut e = Invalid::default();
    let a = m.assessment.unwrap_or_default();
    let account_id = (!a.account_id.is_empty() || m.account_ref.is_none())
        .then(|| parse_id(&mut e, "assessment.account_id", &a.account_id));
    let stakeholder_id = a
        .stakeholder_id
        .map(|s| parse_id(&mut e, "assessment.stakeholder_id", &s));
    let account = RecordKey::one_of(
        m.account_ref.map(ref_from_pb),
        account_id,
        ("account_ref", "assessment.account_id"),
    );
    let stakeholder = RecordKey::optional_one_of(
        m.stakeholder_ref.map(ref_from_pb),
        stakeholder_id,
        ("stakeholder_ref", "assessment.stakeholder_id"),
    );
    let (account, stakeholder) = match (account, stakeholder) {
        (Ok(a), Ok(s)) => (Some(a), s),
        (a, s) => {
            e.0.extend(a.err().into_iter().chain(s.err()).flat_map(|b| b.0));
            (None, None)
        }
    };
    let draft = AssessmentDraft {
        account: account.unwrap_or(RecordKey::Id(uuid::Uuid::nil())),
        stakeholder,
        framework: a.framework,
        scores: a.scores.into_iter().collect(),
        notes: a.notes.into_iter().collect(),
        assessor: a.assessor,
        assessed_at: parse_timestamp(&mut e, "assessment.assessed_at", a.assessed_at),
        external_ref: a.external_ref.map(ref_from_pb),
    };
    e.into_result().map(|()| draft)
}

fn assessment_item(item: AssessmentImportItem) -> Result<AssessmentUpsert, Invalid> {
    let reference = item.r#ref.map(ref_from_pb);
    let id = imports::optional_id("id", &item.id);
    let key = id.and_then(|id| RecordKey::optional_one_of(reference, id, ("ref", "id")));
    let draft = draft_from_pb(item.assessment.unwrap_or_default());
    let (key, draft) = imports::both(key, draft)?;
    Ok(AssessmentUpsert { key, draft })
}

#[tonic::async_trait]
impl AssessmentService for AssessmentGrpc {
    async fn import_assessments(
        &self,
        req: Request<tonic::Streaming<AssessmentImportItem>>,
    ) -> Result<Response<ImportResponse>, Status> {
        call!(self.0, "ImportAssessments", req, |p, m| {
            imports::run(
                m,
                |i| i.atomic,
                assessment_item,
                |items, atomic| self.0.app.import_assessments(&p, items, atomic),
            )
            .await
        })
    }

    async fn create_assessment(
        &self,
        req: Request<CreateAssessmentRequest>,
    ) -> Result<Response<pb::Assessment>, Status> {
        call!(self.0, "CreateAssessment", req, |p, m| {
            let draft = draft_from_pb(m).map_err(invalid)?;
            self.0
                .app
                .create_assessment(&p, draft)
                .await
                .map(assessment_to_pb)
                .map_err(status_of)
        })
    }

    async fn get_assessment(
        &self,
        req: Request<GetAssessmentRequest>,
    ) -> Result<Response<pb::Assessment>, Status> {
        call!(self.0, "GetAssessment", req, |p, m| {
            let id = convert::id("id", &m.id).map_err(invalid)?;
            self.0
                .app
                .assessment(&p, id)
                .await
                .map(assessment_to_pb)
                .map_err(status_of)
        })
    }

    async fn list_assessments(
        &self,
        req: Request<ListAssessmentsRequest>,
    ) -> Result<Response<ListAssessmentsResponse>, Status> {
        call!(self.0, "ListAssessments", req, |p, m| {
            let mut e = Invalid::default();
            let filter = AssessmentFilter {
                account_id: m.account_id.map(|s| parse_id(&mut e, "account_id", &s)),
                stakeholder_id: m
                    .stakeholder_id
                    .map(|s| parse_id(&mut e, "stakeholder_id", &s)),
                framework: m.framework,
                from: parse_timestamp(&mut e, "from", m.from),
                to: parse_timestamp(&mut e, "to", m.to),
                within: None,
            };
            e.into_result().map_err(invalid)?;
            let listed = self
                .0
                .app
                .assessments(&p, &filter, &convert::page(m.page_size, m.page_token))
                .await
                .map_err(status_of)?;
            Ok::<_, Status>(ListAssessmentsResponse {
                assessments: listed.items.into_iter().map(assessment_to_pb).collect(),
                next_page_token: listed.next_page_token.unwrap_or_default(),
            })
        })
    }

    async fn delete_assessment(
        &self,
        req: Request<DeleteAssessmentRequest>,
    ) -> Result<Response<()>, Status> {
        call!(self.0, "DeleteAssessment", req, |p, m| {
            let id = convert::id("id", &m.id).map_err(invalid)?;
            self.0
                .app
                .delete_assessment(&p, id)
                .await
                .map_err(status_of)
        })
    }
}

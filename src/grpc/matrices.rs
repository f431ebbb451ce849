//! `csapi.v1.MatrixService`: the matrix catalogue, stateless classification,
//! and the book of business through a matrix.

use chrono::{DateTime, Utc};
use tonic::{Request, Response, Status};

use super::convert::{self, parse_timestamp, timestamp};
use super::frameworks::{cell, cell_count, classification_to_pb, matrix_to_pb};
use super::pb::matrix_service_server::MatrixService;
use super::pb::{self, *};
use super::status::invalid_argument as invalid;
use super::{GrpcState, call, status_of};
use crate::app::{Placed, Portfolio as AppPortfolio, SubjectHistory as AppHistory};
use crate::domain::Invalid;
use crate::domain::filter::AccountScope;
use crate::domain::portfolio::MoveFilter;

pub struct MatrixGrpc(pub GrpcState);

pub(super) fn placement_to_pb(p: Placed) -> pb::Placement {
    let s = p.placement;
    pb::Placement {
        matrix: s.matrix,
        subject_id: s.subject_id.to_string(),
        account_id: s.account_id.to_string(),
        stakeholder_id: s.stakeholder_id.map(|i| i.to_string()),
        subject_name: s.subject_name,
        account_name: s.account_name,
        cell: Some(cell(p.cell)),
        x: s.point.0,
        y: s.point.1,
        closeness: s.closeness,
        assessed_at: Some(timestamp(s.assessed_at)),
        assessment_id: s.assessment_id.to_string(),
    }
}

/// A required `from` and an optional `to`, each a valid timestamp.
fn range(
    from: Option<prost_types::Timestamp>,
    to: Option<prost_types::Timestamp>,
) -> Result<(DateTime<Utc>, Option<DateTime<Utc>>), Invalid> {
    let mut e = Invalid::default();
    if from.is_none() {
        e.push("from", "is required");
    }
    let from = parse_timestamp(&mut e, "from", from);
    let to = parse_timestamp(&mut e, "to", to);
    e.into_result()?;
    Ok((from.unwrap_or_default(), to))
}

fn history_to_pb(h: AppHistory) -> pb::SubjectHistory {
    pb::SubjectHistory {
        matrix: h.latest.placement.matrix.clone(),
        subject_id: h.latest.placement.subject_id.to_string(),
        latest: Some(placement_to_pb(h.latest)),
        history: h.history.into_iter().map(placement_to_pb).collect(),
    }
}

fn portfolio_to_pb(p: AppPortfolio) -> pb::Portfolio {
    pb::Portfolio {
        matrix: p.matrix.matrix.key,
        framework: p.matrix.framework,
        as_of: Some(timestamp(p.as_of)),
        total: p.total,
        cells: p.counts.into_iter().map(cell_count).collect(),
        subjects: p.subjects.items.into_iter().map(placement_to_pb).collect(),
        next_page_token: p.subjects.next_page_token.unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl MatrixService for MatrixGrpc {
    async fn list_matrices(
        &self,
        req: Request<ListMatricesRequest>,
    ) -> Result<Response<ListMatricesResponse>, Status> {
        call!(self.0, "ListMatrices", req, |p, _m| {
            let all = self.0.app.matrices(&p).await.map_err(status_of)?;
            Ok::<_, Status>(ListMatricesResponse {
                matrices: all.into_iter().map(matrix_to_pb).collect(),
            })
        })
    }

    async fn get_matrix(
        &self,
        req: Request<GetMatrixRequest>,
    ) -> Result<Response<pb::Matrix>, Status> {
        call!(self.0, "GetMatrix", req, |p, m| {
            self.0
                .app
                .matrix(&p, &m.key)
                .await
                .map(matrix_to_pb)
                .map_err(status_of)
        })
    }

    async fn classify(
        &self,
        req: Request<ClassifyRequest>,
    ) -> Result<Response<pb::Classification>, Status> {
        call!(self.0, "Classify", req, |p, m| {
            let c = self
                .0
                .app
                .classify(&p, &m.key, m.x, m.y)
                .await
                .map_err(status_of)?;
            Ok::<_, Status>(classification_to_pb(m.key, c))
        })
    }

    async fn list_account_classifications(
        &self,
        req: Request<ListAccountClassificationsRequest>,
    ) -> Result<Response<ListAccountClassificationsResponse>, Status> {
        call!(self.0, "ListAccountClassifications", req, |p, m| {
            let id = convert::id("account_id", &m.account_id).map_err(invalid)?;
            let items = self
                .0
                .app
                .account_classifications(&p, id)
                .await
                .map_err(status_of)?;
            Ok::<_, Status>(ListAccountClassificationsResponse {
                items: items.into_iter().map(history_to_pb).collect(),
            })
        })
    }

    async fn get_portfolio(
        &self,
        req: Request<GetPortfolioRequest>,
    ) -> Result<Response<pb::Portfolio>, Status> {
        call!(self.0, "GetPortfolio", req, |p, m| {
            let mut e = Invalid::default();
            let as_of = parse_timestamp(&mut e, "as_of", m.as_of);
            e.into_result().map_err(invalid)?;
            let scope = AccountScope::of(m.segment, m.owner);
            self.0
                .app
                .portfolio(
                    &p,
                    &m.key,
                    as_of,
                    &scope,
                    &convert::page(m.page_size, m.page_token),
                )
                .await
                .map(portfolio_to_pb)
                .map_err(status_of)
        })
    }

    async fn get_transitions(
        &self,
        req: Request<GetTransitionsRequest>,
    ) -> Result<Response<pb::Transitions>, Status> {
        call!(self.0, "GetTransitions", req, |p, m| {
            let (from, to) = range(m.from, m.to).map_err(invalid)?;
            let scope = AccountScope::of(m.segment, m.owner);
            let t = self
                .0
                .app
                .transitions(&p, &m.key, from, to, &scope)
                .await
                .map_err(status_of)?;
            Ok::<_, Status>(pb::Transitions {
                matrix: t.matrix,
                from: Some(timestamp(t.from)),
                to: Some(timestamp(t.to)),
                items: t
                    .items
                    .into_iter()
                    .map(|i| Transition {
                        from: i.from,
                        to: i.to,
                        count: i.count,
                    })
                    .collect(),
            })
        })
    }

    async fn list_movements(
        &self,
        req: Request<ListMovementsRequest>,
    ) -> Result<Response<ListMovementsResponse>, Status> {
        call!(self.0, "ListMovements", req, |p, m| {
            let range = range(m.from, m.to).map_err(invalid)?;
            let filter = MoveFilter {
                from_cell: m.from_cell,
                to_cell: m.to_cell,
            };
            let scope = AccountScope::of(m.segment, m.owner);
            let page = convert::page(m.page_size, m.page_token);
            let moved = self
                .0
                .app
                .movements(&p, &m.key, range, &filter, &scope, &page)
                .await
                .map_err(status_of)?;
            Ok::<_, Status>(ListMovementsResponse {
                matrix: moved.matrix,
                from: Some(timestamp(moved.from)),
                to: Some(timestamp(moved.to)),
                items: moved
                    .moves
                    .items
                    .into_iter()
                    .map(|mv| pb::Movement {
                        from: mv.from.map(cell),
                        to: Some(placement_to_pb(mv.to)),
                    })
                    .collect(),
                next_page_token: moved.moves.next_page_token.unwrap_or_default(),
            })
        })
    }

    async fn get_portfolio_chart(
        &self,
        req: Request<GetPortfolioChartRequest>,
    ) -> Result<Response<PortfolioChart>, Status> {
        call!(self.0, "GetPortfolioChart", req, |p, m| {
            let mut e = Invalid::default();
            let as_of = parse_timestamp(&mut e, "as_of", m.as_of);
            e.into_result().map_err(invalid)?;
            let scope = AccountScope::of(m.segment, m.owner);
            let chart = self
                .0
                .app
                .portfolio_chart(&p, &m.key, as_of, &scope)
                .await
                .map_err(status_of)?;
            Ok::<_, Status>(PortfolioChart {
                svg: crate::present::chart::svg(&chart),
            })
        })
    }
}

//! `csapi.v1.FrameworkService`, and the framework and matrix messages the other services share.

use tonic::{Request, Response, Status};

use super::convert::{parse_timestamp, timestamp};
use super::pb::framework_service_server::FrameworkService;
use super::pb::{self, *};
use super::status::invalid_argument;
use super::{GrpcState, call, status_of};
use crate::app::{FrameworkPortfolio, PublishedFramework, PublishedMatrix};
use crate::domain::Invalid;
use crate::domain::equation::{Equation as DomainEquation, Term, TermSource};
use crate::domain::filter::AccountScope;
use crate::domain::framework::{
    Dimension as DomainDimension, Evaluation, Framework as DomainFramework, Subject,
};
use crate::domain::framework_portfolio::{EquationSpread, HierarchySpread};
use crate::domain::hierarchy::Hierarchy as DomainHierarchy;
use crate::domain::matrix::{self, Classification as DomainClassification, Corner, End, Matrix};
use crate::domain::scale::Scale;

pub struct FrameworkGrpc(pub GrpcState);

fn end(e: End) -> String {
    match e {
        End::Low => "low",
        End::High => "high",
    }
    .to_owned()
}

fn dimension(d: &crate::domain::framework::Dimension) -> pb::Dimension {
    pb::Dimension {
        key: d.key.clone(),
        label: d.label.clone(),
        question: d.question.clone(),
        scale: Some(pb::Scale {
            min: d.scale.min,
            max: d.scale.max,
        }),
    }
}

pub(super) fn cell_count(c: crate::app::CellCount) -> CellCount {
    CellCount {
        cell: Some(cell(c.cell)),
        count: c.count,
    }
}

pub(super) fn cell(c: matrix::Cell) -> MatrixCell {
    MatrixCell {
        key: c.key,
        label: c.label,
        description: c.description,
        play: c.play,
    }
}

pub(super) fn matrix_to_pb(m: PublishedMatrix) -> pb::Matrix {
    pb::Matrix {
        key: m.matrix.key,
        label: m.matrix.label,
        framework: m.framework,
        x: m.matrix.x,
        y: m.matrix.y,
        x_cuts: m.matrix.x_cuts,
        y_cuts: m.matrix.y_cuts,
        cells: m.matrix.cells.into_iter().map(cell).collect(),
        optimal_x: end(m.matrix.optimal.x),
        optimal_y: end(m.matrix.optimal.y),
        x_dimension: Some(dimension(&m.x)),
        y_dimension: Some(dimension(&m.y)),
    }
}

fn framework_to_pb(p: PublishedFramework) -> pb::Framework {
    let matrices = p.matrices().into_iter().map(matrix_to_pb).collect();
    let f: DomainFramework = p.framework;
    pb::Framework {
        dimensions: f.dimensions.iter().map(dimension).collect(),
        matrices,
        equations: f
            .equations
            .iter()
            .map(|e| pb::Equation {
                key: e.key.clone(),
                label: e.label.clone(),
                terms: e
                    .terms
                    .iter()
                    .map(|t| EquationTerm {
                        kind: match t.source {
                            TermSource::Dimension(_) => "dimension",
                            TermSource::Equation(_) => "equation",
                        }
                        .to_owned(),
                        key: t.source.key().to_owned(),
                        weight: t.weight,
                        floor: t.floor,
                    })
                    .collect(),
            })
            .collect(),
        hierarchy: f.hierarchy.as_ref().map(|h| pb::Hierarchy {
            key: h.key.clone(),
            label: h.label.clone(),
            levels: h.levels.clone(),
            cut: h.cut,
        }),
        key: f.key,
        name: f.name,
        description: f.description,
        subject: f.subject.as_str().to_owned(),
        version: p.version,
        built_in: p.built_in,
        etag: crate::app::etag_of(i64::from(p.version)),
    }
}

pub(super) fn classification_to_pb(matrix: String, c: DomainClassification) -> pb::Classification {
    pb::Classification {
        matrix,
        cell: Some(cell(c.cell)),
        column: c.column as i32,
        row: c.row as i32,
        x: c.point.0,
        y: c.point.1,
        closeness: c.closeness,
    }
}

pub(super) fn evaluation_to_pb(
    framework: String,
    version: i32,
    e: Evaluation,
) -> EvaluateFrameworkResponse {
    EvaluateFrameworkResponse {
        framework,
        version,
        classifications: e
            .classifications
            .into_iter()
            .map(|(k, c)| classification_to_pb(k, c))
            .collect(),
        equations: e
            .equations
            .into_iter()
            .map(|r| pb::EquationResult {
                key: r.key,
                value: r.value,
                blocked_by: r.blocked_by,
                terms: r
                    .terms
                    .into_iter()
                    .map(|t| pb::TermValue {
                        key: t.key,
                        value: t.value,
                        weight: t.weight,
                        floor: t.floor,
                    })
                    .collect(),
            })
            .collect(),
        hierarchy: e.hierarchy.map(|h| pb::HierarchyResult {
            attained_level: h.attained_level as i32,
            next_focus: h.next_focus,
            levels: h
                .levels
                .into_iter()
                .map(|l| LevelState {
                    key: l.key,
                    met: l.met,
                })
                .collect(),
        }),
    }
}

#[tonic::async_trait]
impl FrameworkService for FrameworkGrpc {
    async fn list_frameworks(
        &self,
        req: Request<ListFrameworksRequest>,
    ) -> Result<Response<ListFrameworksResponse>, Status> {
        call!(self.0, "ListFrameworks", req, |p, _m| {
            let all = self.0.app.frameworks(&p).await.map_err(status_of)?;
            Ok::<_, Status>(ListFrameworksResponse {
                frameworks: all.into_iter().map(framework_to_pb).collect(),
            })
        })
    }

    async fn get_framework(
        &self,
        req: Request<GetFrameworkRequest>,
    ) -> Result<Response<pb::Framework>, Status> {
        call!(self.0, "GetFramework", req, |p, m| {
            self.0
                .app
                .framework(&p, &m.key)
                .await
                .map(framework_to_pb)
                .map_err(status_of)
        })
    }

    async fn get_framework_version(
        &self,
        req: Request<GetFrameworkVersionRequest>,
    ) -> Result<Response<pb::Framework>, Status> {
        call!(self.0, "GetFrameworkVersion", req, |p, m| {
            self.0
                .app
                .framework_at(&p, &m.key, Some(m.version))
                .await
                .map(framework_to_pb)
                .map_err(status_of)
        })
    }

    async fn create_framework(
        &self,
        req: Request<CreateFrameworkRequest>,
    ) -> Result<Response<pb::Framework>, Status> {
        call!(self.0, "CreateFramework", req, |p, m| {
            let f = framework_from_pb(m.framework.unwrap_or_default())
                .map_err(super::status::invalid_argument)?;
            self.0
                .app
                .create_framework(&p, f)
                .await
                .map(framework_to_pb)
                .map_err(status_of)
        })
    }

    async fn update_framework(
        &self,
        req: Request<UpdateFrameworkRequest>,
    ) -> Result<Response<pb::Framework>, Status> {
        call!(self.0, "UpdateFramework", req, |p, m| {
            let f = m.framework.unwrap_or_default();
            let etag = super::convert::if_match(f.etag.clone());
            let f = framework_from_pb(f).map_err(super::status::invalid_argument)?;
            self.0
                .app
                .update_framework(&p, &m.key, f, &etag)
                .await
                .map(framework_to_pb)
                .map_err(status_of)
        })
    }

    async fn clone_framework(
        &self,
        req: Request<CloneFrameworkRequest>,
    ) -> Result<Response<pb::Framework>, Status> {
        call!(self.0, "CloneFramework", req, |p, m| {
            self.0
                .app
                .clone_framework(&p, &m.key, &m.new_key, m.name)
                .await
                .map(framework_to_pb)
                .map_err(status_of)
        })
    }

    async fn evaluate_framework(
        &self,
        req: Request<EvaluateFrameworkRequest>,
    ) -> Result<Response<EvaluateFrameworkResponse>, Status> {
        call!(self.0, "EvaluateFramework", req, |p, m| {
            let scores = m.scores.into_iter().collect();
            let (f, e) = self
                .0
                .app
                .evaluate_framework(&p, &m.key, &scores)
                .await
                .map_err(status_of)?;
            Ok::<_, Status>(evaluation_to_pb(f.framework.key, f.version, e))
        })
    }

    async fn get_framework_portfolio(
        &self,
        req: Request<GetFrameworkPortfolioRequest>,
    ) -> Result<Response<pb::FrameworkPortfolio>, Status> {
        call!(self.0, "GetFrameworkPortfolio", req, |p, m| {
            let mut e = Invalid::default();
            let as_of = parse_timestamp(&mut e, "as_of", m.as_of);
            e.into_result().map_err(invalid_argument)?;
            let scope = AccountScope::of(m.segment, m.owner);
            self.0
                .app
                .framework_portfolio(&p, &m.key, as_of, &scope)
                .await
                .map(framework_portfolio_to_pb)
                .map_err(status_of)
        })
    }
}

fn equation_spread_to_pb(e: EquationSpread) -> pb::EquationSpread {
    pb::EquationSpread {
        key: e.key,
        label: e.label,
        assessed: e.assessed,
        mean: e.mean,
        bands: e
            .bands
            .into_iter()
            .map(|b| ValueBand {
                from: b.from,
                to: b.to,
                count: b.count,
            })
            .collect(),
        blocked: e.blocked,
        blocked_by: e
            .blocked_by
            .into_iter()
            .map(|(term, count)| BlockingTerm { term, count })
            .collect(),
    }
}

fn hierarchy_spread_to_pb(h: HierarchySpread) -> pb::HierarchySpread {
    pb::HierarchySpread {
        key: h.key,
        label: h.label,
        assessed: h.assessed,
        levels: h
            .levels
            .into_iter()
            .map(|l| pb::LevelCount {
                level: l.level as u32,
                key: l.key,
                label: l.label,
                attained: l.attained,
                next_focus: l.next_focus,
            })
            .collect(),
        at_apex: h.at_apex,
    }
}

fn framework_portfolio_to_pb(p: FrameworkPortfolio) -> pb::FrameworkPortfolio {
    pb::FrameworkPortfolio {
        framework: p.framework.framework.key,
        version: p.framework.version,
        as_of: Some(timestamp(p.as_of)),
        total: p.total,
        matrices: p
            .matrices
            .into_iter()
            .map(|(matrix, cells)| MatrixCells {
                matrix,
                cells: cells.into_iter().map(cell_count).collect(),
            })
            .collect(),
        equations: p.equations.into_iter().map(equation_spread_to_pb).collect(),
        hierarchy: p.hierarchy.map(hierarchy_spread_to_pb),
    }
}

fn parse_end(e: &mut Invalid, field: &str, raw: &str) -> End {
    match raw {
        "low" => End::Low,
        "high" => End::High,
        _ => {
            e.push(field, "must be low or high");
            End::High
        }
    }
}

fn dimension_from_pb(e: &mut Invalid, at: &str, d: pb::Dimension) -> DomainDimension {
    let scale = d
        .scale
        .map(|s| Scale {
            min: s.min,
            max: s.max,
        })
        .unwrap_or_else(|| {
            e.push(format!("{at}.scale"), "is missing");
            Scale::ONE_TO_TEN
        });
    DomainDimension {
        key: d.key,
        label: d.label,
        question: d.question,
        scale,
    }
}

/// A framework definition from a message, field errors named under `framework.`.
fn framework_from_pb(f: pb::Framework) -> Result<DomainFramework, Invalid> {
    let mut e = Invalid::default();
    let subject = f.subject.parse().unwrap_or_else(|()| {
        e.push("framework.subject", "must be account or stakeholder");
        Subject::Account
    });
    let dimensions = f
        .dimensions
        .into_iter()
        .enumerate()
        .map(|(i, d)| dimension_from_pb(&mut e, &format!("framework.dimensions[{i}]"), d))
        .collect();
    let matrices = f
        .matrices
        .into_iter()
        .enumerate()
        .map(|(i, m)| Matrix {
            optimal: Corner {
                x: parse_end(
                    &mut e,
                    &format!("framework.matrices[{i}].optimal_x"),
                    &m.optimal_x,
                ),
                y: parse_end(
                    &mut e,
                    &format!("framework.matrices[{i}].optimal_y"),
                    &m.optimal_y,
                ),
            },
            key: m.key,
            label: m.label,
            x: m.x,
            y: m.y,
            x_cuts: m.x_cuts,
            y_cuts: m.y_cuts,
            cells: m
                .cells
                .into_iter()
                .map(|c| matrix::Cell {
                    key: c.key,
                    label: c.label,
                    description: c.description,
                    play: c.play,
                })
                .collect(),
        })
        .collect();
    let equations = f
        .equations
        .into_iter()
        .enumerate()
        .map(|(i, q)| DomainEquation {
            key: q.key,
            label: q.label,
            terms: q
                .terms
                .into_iter()
                .enumerate()
                .map(|(j, t)| Term {
                    source: match t.kind.as_str() {
                        "equation" => TermSource::Equation(t.key),
                        "dimension" => TermSource::Dimension(t.key),
                        _ => {
                            e.push(
                                format!("framework.equations[{i}].terms[{j}].kind"),
                                "must be dimension or equation",
                            );
                            TermSource::Dimension(t.key)
                        }
                    },
                    weight: t.weight,
                    floor: t.floor,
                })
                .collect(),
        })
        .collect();
    let framework = DomainFramework {
        key: f.key,
        name: f.name,
        description: f.description,
        subject,
        dimensions,
        matrices,
        equations,
        hierarchy: f.hierarchy.map(|h| DomainHierarchy {
            key: h.key,
            label: h.label,
            levels: h.levels,
            cut: h.cut,
        }),
    };
    e.into_result()?;
    framework.validate().map_err(|v| {
        let mut prefixed = Invalid::default();
        prefixed.extend_under("framework", v);
        prefixed
    })?;
    Ok(framework)
}

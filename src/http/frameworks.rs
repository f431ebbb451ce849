//! `/v1/frameworks` and `/v1/matrices`: the catalogue of frameworks, and
//! stateless evaluation and classification.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{Caller, Checked, IfMatchHeader, Json};
use super::problem::{Problem, ProblemResponses};
use super::reply::{self, with_etag};
pub use crate::app::views::{ClassificationView, EvaluationView, FrameworkView, Point};
use crate::app::{App, PublishedFramework, PublishedMatrix};
use crate::domain::framework::{Dimension, Framework, Scores};
use crate::domain::matrix::{Cell, Corner};

#[derive(Debug, Serialize, ToSchema)]
pub struct FrameworkList {
    pub items: Vec<FrameworkView>,
}

/// A matrix with the framework and dimensions it reads.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatrixView {
    pub key: String,
    pub label: String,
    pub framework: String,
    pub x: String,
    pub y: String,
    pub x_cuts: Vec<f64>,
    pub y_cuts: Vec<f64>,
    /// Row by row from low y, each row from low x.
    pub cells: Vec<Cell>,
    pub optimal: Corner,
    pub x_dimension: Dimension,
    pub y_dimension: Dimension,
}

impl From<PublishedMatrix> for MatrixView {
    fn from(p: PublishedMatrix) -> Self {
        let m = p.matrix;
        Self {
            key: m.key,
            label: m.label,
            framework: p.framework,
            x: m.x,
            y: m.y,
            x_cuts: m.x_cuts,
            y_cuts: m.y_cuts,
            cells: m.cells,
            optimal: m.optimal,
            x_dimension: p.x,
            y_dimension: p.y,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatrixList {
    pub items: Vec<MatrixView>,
}

/// Scores by dimension key: every dimension of the framework, each within its scale.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateInput {
    #[schema(value_type = BTreeMap<String, f64>)]
    pub scores: Scores,
}

impl Checked for EvaluateInput {}

/// A point to classify: the x and y dimensions' scores.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyInput {
    pub x: f64,
    pub y: f64,
}

impl Checked for ClassifyInput {}

/// List frameworks.
///
/// The built-in frameworks (success equation, readiness, hierarchy of needs, …) and the
/// workspace's own, each at its latest version. Any role.
#[utoipa::path(get, path = "/v1/frameworks", operation_id = "list_frameworks", tag = "frameworks",
    responses((status = 200, description = "Every framework at its latest version", body = FrameworkList), ProblemResponses),
    security(("bearer" = [])))]
pub async fn list(State(app): State<App>, Caller(p): Caller) -> Result<Response, Problem> {
    let items = app
        .frameworks(&p)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(axum::Json(FrameworkList { items }).into_response())
}

/// Get a framework at its latest version.
///
/// The framework's current definition and version, with an `ETag`. Any role.
#[utoipa::path(get, path = "/v1/frameworks/{key}", operation_id = "get_framework", tag = "frameworks",
    params(("key" = String, Path, description = "e.g. readiness")),
    responses((status = 200, description = "The framework", body = FrameworkView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
) -> Result<Response, Problem> {
    let f = app.framework(&p, &key).await?;
    Ok(with_etag(
        StatusCode::OK,
        i64::from(f.version),
        FrameworkView::from(f),
    ))
}

/// Evaluate scores on every model of a framework; stores nothing.
///
/// Every matrix cell and closeness, equation value and hierarchy level the scores would give,
/// without recording anything. Any role.
#[utoipa::path(post, path = "/v1/frameworks/{key}/evaluate", operation_id = "evaluate_framework", tag = "frameworks",
    request_body = EvaluateInput,
    params(("key" = String, Path, description = "e.g. success_equation")),
    responses((status = 200, description = "Every model's result", body = EvaluationView), ProblemResponses),
    security(("bearer" = [])))]
pub async fn evaluate(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
    Json(input): Json<EvaluateInput>,
) -> Result<Response, Problem> {
    let (f, e) = app.evaluate_framework(&p, &key, &input.scores).await?;
    Ok(axum::Json(EvaluationView::new(f.framework.key, f.version, e)).into_response())
}

/// List matrices.
///
/// Every matrix of every framework the workspace can use, with its axes, cuts and cells. Any
/// role.
#[utoipa::path(get, path = "/v1/matrices", operation_id = "list_matrices", tag = "matrices",
    responses((status = 200, description = "Every matrix", body = MatrixList), ProblemResponses),
    security(("bearer" = [])))]
pub async fn list_matrices(State(app): State<App>, Caller(p): Caller) -> Result<Response, Problem> {
    let items = app
        .matrices(&p)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(axum::Json(MatrixList { items }).into_response())
}

/// Get a matrix.
///
/// Its axes (framework dimensions), cut points, cells with their plays, and the corner where
/// success lies. Any role.
#[utoipa::path(get, path = "/v1/matrices/{key}", operation_id = "get_matrix", tag = "matrices",
    params(("key" = String, Path, description = "e.g. readiness")),
    responses((status = 200, description = "The matrix", body = MatrixView), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get_matrix(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
) -> Result<Response, Problem> {
    Ok(axum::Json(MatrixView::from(app.matrix(&p, &key).await?)).into_response())
}

/// Classify a point on a matrix; stores nothing.
///
/// The cell, recommended play and closeness to success of an (x, y) point, without recording
/// anything. Any role.
#[utoipa::path(post, path = "/v1/matrices/{key}/classify", operation_id = "classify", tag = "matrices",
    request_body = ClassifyInput,
    params(("key" = String, Path, description = "e.g. readiness")),
    responses((status = 200, description = "The cell, point and closeness", body = ClassificationView), ProblemResponses),
    security(("bearer" = [])))]
pub async fn classify(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
    Json(input): Json<ClassifyInput>,
) -> Result<Response, Problem> {
    let c = app.classify(&p, &key, input.x, input.y).await?;
    Ok(axum::Json(ClassificationView::new(key, c)).into_response())
}

impl Checked for Framework {
    fn check(&self) -> Result<(), crate::domain::Invalid> {
        self.validate()
    }
}

/// What a clone is called.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloneInput {
    /// The new framework's key.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    pub key: String,
    /// Defaults to the source's name.
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub name: Option<String>,
}

impl Checked for CloneInput {}

fn created(f: PublishedFramework) -> Response {
    let location = format!("/v1/frameworks/{}", f.framework.key);
    reply::created(location, i64::from(f.version), FrameworkView::from(f))
}

/// Create a custom framework (admin), at version 1.
///
/// Dimensions with their scales and questions, matrices with any number of cut points,
/// equations and a hierarchy over them; checked whole. Admin role.
#[utoipa::path(post, path = "/v1/frameworks", operation_id = "create_framework", tag = "frameworks",
    request_body = Framework,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 201, description = "Created", body = FrameworkView, headers(("Location" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn create(
    State(app): State<App>,
    Caller(p): Caller,
    Json(f): Json<Framework>,
) -> Result<Response, Problem> {
    Ok(created(app.create_framework(&p, f).await?))
}

/// Change a custom framework (admin): the definition becomes its next version.
///
/// The body is the whole new definition; it becomes the next version, and assessments keep the
/// version they were made with. `If-Match` guards against concurrent edits. Admin role.
#[utoipa::path(put, path = "/v1/frameworks/{key}", operation_id = "update_framework", tag = "frameworks",
    request_body = Framework,
    params(("key" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^[!-~]([ -~]{0,1022}[!-~])?$", description = "ETag of the version the change builds on")),
    responses((status = 200, description = "The new version", body = FrameworkView, headers(("ETag" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn update(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
    IfMatchHeader(if_match): IfMatchHeader,
    Json(f): Json<Framework>,
) -> Result<Response, Problem> {
    let f = app.update_framework(&p, &key, f, &if_match).await?;
    Ok(with_etag(
        StatusCode::OK,
        i64::from(f.version),
        FrameworkView::from(f),
    ))
}

/// Get a framework at one version.
///
/// Any earlier version stays readable, so an old assessment can be read with the definition it
/// was made with. Any role.
#[utoipa::path(get, path = "/v1/frameworks/{key}/versions/{version}", operation_id = "get_framework_version", tag = "frameworks",
    params(("key" = String, Path), ("version" = i32, Path, minimum = 1)),
    responses((status = 200, description = "The framework at that version", body = FrameworkView), ProblemResponses),
    security(("bearer" = [])))]
pub async fn get_version(
    State(app): State<App>,
    Caller(p): Caller,
    Path((key, version)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let version: i32 = version.parse().ok().filter(|v| *v >= 1).ok_or_else(|| {
        Problem::invalid(crate::domain::Invalid::single(
            "version",
            "must be a whole number >= 1",
        ))
    })?;
    Ok(axum::Json(FrameworkView::from(
        app.framework_at(&p, &key, Some(version)).await?,
    ))
    .into_response())
}

/// Copy a framework (built-ins included) under a new key (admin).
///
/// Start from a built-in and adapt it: the copy is a custom framework at version 1. Admin role.
#[utoipa::path(post, path = "/v1/frameworks/{key}/clone", operation_id = "clone_framework", tag = "frameworks",
    request_body = CloneInput,
    params(("key" = String, Path, description = "The framework to copy"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 201, description = "Created", body = FrameworkView, headers(("Location" = String))), ProblemResponses),
    security(("bearer" = [])))]
pub async fn clone(
    State(app): State<App>,
    Caller(p): Caller,
    Path(key): Path<String>,
    Json(input): Json<CloneInput>,
) -> Result<Response, Problem> {
    Ok(created(
        app.clone_framework(&p, &key, &input.key, input.name)
            .await?,
    ))
}

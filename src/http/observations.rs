//! `/v1/observations`: a connector's batch of metric values in, pages of
//! stored values out.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::body::parse_plain;
use super::dto::{ExternalRefDto, Listing};
use super::extract::{Caller, Checked, JsonBytes, Query, parse_json, parse_value};
use super::problem::{FieldProblem, Problem, ProblemResponses};
use crate::app::{App, BatchOutcome, ObservationBatch};
use crate::domain::filter::ObservationFilter;
use crate::domain::observation::Observation;
use crate::domain::observation::{AccountKey, ObservationDraft, check_metric_key};
use crate::domain::time::When;
use crate::domain::{ExternalRef, Invalid};

/// The largest batch body: 10,000 rows naming accounts by long external ids fit.
pub const BATCH_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// One value of one metric for one account at one instant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationInput {
    /// The account, by csapi id; or give `account_ref`.
    pub account_id: Option<Uuid>,
    /// The account, by its id in another system; or give `account_id`.
    pub account_ref: Option<ExternalRefDto>,
    /// An observed metric's key.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    pub metric: String,
    /// When the value held; not in the future.
    pub observed_at: DateTime<Utc>,
    /// Bounded by the metric's unit (`percent` 0–100, `boolean` 0/1, `count` whole ≥ 0 …).
    pub value: f64,
}

impl Checked for ObservationInput {
    fn check(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        check_metric_key(&mut e, &self.metric);
        if let Some(r) = &self.account_ref
            && let Err(bad) = ExternalRef::new(&r.system, &r.id).check()
        {
            e.extend_under("account_ref", bad);
        }
        e.into_result()
    }
}

/// Parses one row, naming every bad field: how it names its account is
/// checked on the raw JSON, so a row with other errors still hears about it.
fn parse_row(row: Value) -> Result<ObservationDraft, Invalid> {
    let named = |k: &str| row.get(k).is_some_and(|v| !v.is_null());
    let e = naming(named("account_id"), named("account_ref"));
    match parse_value::<ObservationInput>(row) {
        Ok(input) => checked_row(input, e),
        Err(more) => {
            let mut e = e;
            e.0.extend(more.0);
            Err(e)
        }
    }
}

/// A row that parsed: refused for how it names its account (`naming`), else
/// checked.
fn checked_row(input: ObservationInput, naming: Invalid) -> Result<ObservationDraft, Invalid> {
    naming.into_result()?;
    input.check()?;
    Ok(input.into_draft())
}

/// A row names its account by `account_id` or by `account_ref`, never both.
fn naming(by_id: bool, by_ref: bool) -> Invalid {
    let mut e = Invalid::default();
    match (by_id, by_ref) {
        (false, false) => e.push("account_id", "give account_id or account_ref"),
        (true, true) => e.push("account_ref", "give account_id or account_ref, not both"),
        _ => {}
    }
    e
}

/// A batch whose rows parse as they are: read straight into typed rows.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlainBatch {
    #[serde(default = "yes")]
    atomic: bool,
    observations: Vec<ObservationInput>,
}

impl Checked for PlainBatch {}

/// The rows of a batch body and whether it is atomic: typed rows straight from
/// the bytes when the body is plain, else row by row from JSON values so that
/// every bad field of every row is named.
fn parse_batch(bytes: &[u8]) -> Result<ObservationBatch, Problem> {
    if let Some(plain) = parse_plain::<PlainBatch>(bytes) {
        let rows = plain
            .observations
            .into_iter()
            .map(|r| {
                let naming = naming(r.account_id.is_some(), r.account_ref.is_some());
                checked_row(r, naming)
            })
            .collect();
        return Ok(ObservationBatch {
            rows,
            atomic: plain.atomic,
        });
    }
    let batch: ObservationBatchInput = parse_json(bytes)?;
    Ok(ObservationBatch {
        rows: batch.observations.into_iter().map(parse_row).collect(),
        atomic: batch.atomic,
    })
}

impl ObservationInput {
    fn into_draft(self) -> ObservationDraft {
        let account = match (self.account_id, self.account_ref) {
            (Some(id), _) => AccountKey::Id(id),
            (None, r) => {
                let r = r.unwrap_or(ExternalRefDto {
                    system: String::new(),
                    id: String::new(),
                });
                AccountKey::Ref(ExternalRef::new(r.system, r.id))
            }
        };
        ObservationDraft {
            account,
            metric: self.metric,
            observed_at: self.observed_at,
            value: self.value,
        }
    }
}

fn yes() -> bool {
    true
}

/// A batch of observations.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationBatchInput {
    /// `true` (default): one bad row and nothing is written (422 naming every
    /// bad row and field). `false`: the good rows are written and the refused
    /// ones (unknown account or metric, value out of range) reported; a
    /// malformed row still fails the whole batch.
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub atomic: bool,
    /// 1 to 10,000 rows; a repeated (account, metric, observed_at) replaces the value.
    #[schema(value_type = Vec<ObservationInput>, min_items = 1, max_items = 10000)]
    pub observations: Vec<Value>,
}

impl Checked for ObservationBatchInput {}

/// A row of a non-atomic batch that was not written.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedRow {
    /// Its index in `observations`.
    pub row: usize,
    pub errors: Vec<FieldProblem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    /// Distinct (account, metric, observed_at) values written.
    pub written: usize,
    pub rejected: Vec<RejectedRow>,
}

impl From<BatchOutcome> for BatchResult {
    fn from(o: BatchOutcome) -> Self {
        Self {
            written: o.written,
            rejected: o
                .rejected
                .into_iter()
                .map(|(row, e)| RejectedRow {
                    row,
                    errors: FieldProblem::all(e),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ObservationView {
    pub account_id: Uuid,
    pub metric: String,
    pub observed_at: DateTime<Utc>,
    pub value: f64,
}

impl From<Observation> for ObservationView {
    fn from(o: Observation) -> Self {
        Self {
            account_id: o.account_id,
            metric: o.metric,
            observed_at: o.observed_at,
            value: o.value,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObservationQuery {
    pub account_id: Option<Uuid>,
    #[param(pattern = "^[a-z][a-z0-9_]{0,63}$")]
    pub metric: Option<String>,
    /// Observed at or after (RFC 3339). Also a date: the start of that day in the workspace's time zone.
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<When>,
    /// Observed strictly before (RFC 3339). Also a date: the start of that day in the workspace's time zone.
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<When>,
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    #[param(pattern = "^([0-9a-f]{2}){25,89}$")]
    pub page_token: Option<String>,
}

/// Write a batch of observations (atomic unless `atomic` is false).
///
/// Up to 10,000 rows, each naming its account by id or by an external ref. Atomic by default
/// (one bad row refuses the batch, naming it); with `atomic: false` good rows are written and
/// bad ones listed. Writing the same account, metric and instant again replaces the value.
/// Write role.
#[utoipa::path(post, path = "/v1/observations", operation_id = "write_observations", tag = "metrics",
    request_body = ObservationBatchInput,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, description = "Replays the first answer to a repeated POST", pattern = "^[!-~]{1,255}$")),
    responses((status = 200, description = "What was written and, for non-atomic batches, what was not", body = BatchResult), ProblemResponses),
    security(("bearer" = [])))]
pub async fn write(
    State(app): State<App>,
    Caller(p): Caller,
    JsonBytes(body): JsonBytes,
) -> Result<Response, Problem> {
    let batch = parse_batch(&body)?;
    let outcome = app.write_observations(&p, batch).await?;
    Ok(axum::Json(BatchResult::from(outcome)).into_response())
}

/// List observations by account, metric and time.
///
/// One account's observations of one metric in a time range, oldest first, paged. Any role.
#[utoipa::path(get, path = "/v1/observations", operation_id = "list_observations", tag = "metrics",
    params(ObservationQuery),
    responses((status = 200, description = "A page of observations", body = Listing<ObservationView>), ProblemResponses),
    security(("bearer" = [])))]
pub async fn list(
    State(app): State<App>,
    Caller(p): Caller,
    Query(q): Query<ObservationQuery>,
) -> Result<Response, Problem> {
    let filter = ObservationFilter {
        account_id: q.account_id,
        metric: q.metric,
        from: q.from.map(|w| w.instant(p.zone)),
        to: q.to.map(|w| w.instant(p.zone)),
        within: None,
    };
    let listed = app
        .observations(&p, &filter, q.page_size, q.page_token.as_deref())
        .await?;
    Ok(axum::Json(Listing::from_listed(listed, ObservationView::from)).into_response())
}

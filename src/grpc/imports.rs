//! What the client-streaming imports share: reading the items of a stream,
//! and answering a result per item.

use tonic::Status;
use uuid::Uuid;

use super::convert;
use super::pb::{ImportFieldError, ImportItemResult, ImportResponse};
use super::status::status_of;
use crate::app::AppError;
use crate::domain::Invalid;
use crate::domain::import::{ItemStatus, Outcomes};
use crate::domain::observation::MAX_BATCH;

/// The items of an import stream, each parsed, and whether the import is
/// atomic (the first item says; default true). More than the largest batch
/// is refused unread.
async fn items<M, T>(
    mut stream: tonic::Streaming<M>,
    atomic: impl Fn(&M) -> Option<bool>,
    parse: impl Fn(M) -> Result<T, Invalid>,
) -> Result<(Vec<Result<T, Invalid>>, bool), Status> {
    let mut items = Vec::new();
    let mut is_atomic = true;
    while let Some(item) = stream.message().await? {
        if items.len() == MAX_BATCH {
            let why = format!("must hold 1 to {MAX_BATCH} items");
            return Err(super::status::invalid_argument(Invalid::single(
                "items", why,
            )));
        }
        if items.is_empty() {
            is_atomic = atomic(&item).unwrap_or(true);
        }
        items.push(parse(item));
    }
    Ok((items, is_atomic))
}

/// Reads an import stream and answers a result per item: `import` runs the
/// use case on the parsed items and whether the import is atomic.
pub(super) async fn run<M, T, F>(
    stream: tonic::Streaming<M>,
    atomic: impl Fn(&M) -> Option<bool>,
    parse: impl Fn(M) -> Result<T, Invalid>,
    import: impl FnOnce(Vec<Result<T, Invalid>>, bool) -> F,
) -> Result<ImportResponse, Status>
where
    F: Future<Output = Result<Outcomes, AppError>>,
{
    let (items, is_atomic) = items(stream, atomic, parse).await?;
    import(items, is_atomic)
        .await
        .map(response)
        .map_err(status_of)
}

/// An id given as text, where empty means none.
pub(super) fn optional_id(field: &str, raw: &str) -> Result<Option<Uuid>, Invalid> {
    (!raw.is_empty())
        .then(|| convert::id(field, raw))
        .transpose()
}

/// Both parts of an item, or every bad field of either.
pub(super) fn both<A, B>(a: Result<A, Invalid>, b: Result<B, Invalid>) -> Result<(A, B), Invalid> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => Err(Invalid(
            [a.err(), b.err()]
                .into_iter()
                .flatten()
                .flat_map(|e| e.0)
                .collect(),
        )),
    }
}

fn response(outcomes: Outcomes) -> ImportResponse {
    let count = |s: ItemStatus| u32::try_from(outcomes.count(s)).unwrap_or(u32::MAX);
    ImportResponse {
        created: count(ItemStatus::Created),
        updated: count(ItemStatus::Updated),
        unchanged: count(ItemStatus::Unchanged),
        failed: count(ItemStatus::Failed),
        items: outcomes
            .0
            .into_iter()
            .map(|o| ImportItemResult {
                index: u32::try_from(o.index).unwrap_or(u32::MAX),
                status: o.status.as_str().to_owned(),
                id: o.id.map(|id| id.to_string()).unwrap_or_default(),
                errors: o
                    .errors
                    .0
                    .into_iter()
                    .map(|f| ImportFieldError {
                        field: f.field,
                        message: f.message,
                    })
                    .collect(),
            })
            .collect(),
    }
}

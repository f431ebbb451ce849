//! Batches of any length as `application/x-ndjson`: one item per line, read
//! as the body arrives and written in transactions of [`CHUNK`] items, with
//! one result line per item sent back as each transaction commits. Memory
//! stays flat whatever the body's length: a chunk, a line and the lines not
//! yet read by the client are all that is held.

use std::convert::Infallible;
use std::future::Future;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::imports::ItemResultView;
use super::problem::Problem;
use crate::app::AppError;
use crate::domain::Invalid;
use crate::domain::import::{ItemOutcome, ItemStatus, Outcomes};

/// Items per transaction.
pub const CHUNK: usize = 1000;
/// The longest line taken (an item with large attributes fits).
pub const MAX_LINE: usize = 1024 * 1024;
/// The media type of a streamed batch and of its answer.
pub const NDJSON: &str = "application/x-ndjson";

/// Whether a request's body is NDJSON.
pub fn is_ndjson(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case(NDJSON))
}

/// Answers a streamed batch: each line parsed by `parse`, each chunk of
/// well-formed items written by `import` (not atomic: the good items of a
/// chunk are written and the bad reported, a malformed line among them),
/// each item's result a line of the answer, in order, then a line with the
/// counts (`{"summary": …}`). A failure that stops the batch (the store, the
/// rate limit) is a last line `{"error": <problem>}`: the items before it
/// stand, those after it were not read.
pub fn answer<T, F, Fut>(body: Body, parse: fn(Value) -> Result<T, Invalid>, import: F) -> Response
where
    T: Send + 'static,
    F: Fn(Vec<Result<T, Invalid>>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Outcomes, AppError>> + Send,
{
    let (out, lines) = mpsc::channel::<Bytes>(8);
    tokio::spawn(async move {
        let mut batch = Batch {
            parse,
            import,
            out: out.clone(),
            chunk: Vec::with_capacity(CHUNK),
            next: 0,
            totals: [0; 4],
        };
        let end = match batch.read(body).await {
            Ok(()) => summary(&batch.totals),
            Err(problem) => json!({ "error": problem }),
        };
        let _ = out.send(line_of(&end)).await;
    });
    let stream = futures_util::stream::unfold(lines, |mut lines| async move {
        lines.recv().await.map(|l| (Ok::<_, Infallible>(l), lines))
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, NDJSON)],
        Body::from_stream(stream),
    )
        .into_response()
}

struct Batch<T, F> {
    parse: fn(Value) -> Result<T, Invalid>,
    import: F,
    out: mpsc::Sender<Bytes>,
    /// The items read and not yet written, each with its index.
    chunk: Vec<(usize, Result<T, Invalid>)>,
    next: usize,
    /// Items created, updated, unchanged, failed.
    totals: [usize; 4],
}

impl<T, F, Fut> Batch<T, F>
where
    F: Fn(Vec<Result<T, Invalid>>) -> Fut,
    Fut: Future<Output = Result<Outcomes, AppError>>,
{
    async fn read(&mut self, body: Body) -> Result<(), Problem> {
        let mut data = body.into_data_stream();
        let mut line: Vec<u8> = Vec::new();
        while let Some(bytes) = data.next().await {
            let bytes = bytes.map_err(|e| {
                Problem::new(StatusCode::BAD_REQUEST, format!("reading the body: {e}"))
            })?;
            for piece in bytes.split_inclusive(|b| *b == b'\n') {
                line.extend_from_slice(piece);
                if line.len() > MAX_LINE {
                    let why = format!("line {} is longer than {MAX_LINE} bytes", self.next + 1);
                    return Err(Problem::new(StatusCode::PAYLOAD_TOO_LARGE, why));
                }
                if line.ends_with(b"\n") {
                    self.take(&line).await?;
                    line.clear();
                }
            }
        }
        self.take(&line).await?;
        self.write().await
    }

    /// Takes one line (blank lines are skipped), writing the chunk when full.
    async fn take(&mut self, line: &[u8]) -> Result<(), Problem> {
        if line.trim_ascii().is_empty() {
            return Ok(());
        }
        let item = serde_json::from_slice::<Value>(line)
            .map_err(|e| Invalid::single("line", format!("is not JSON: {e}")))
            .and_then(self.parse);
        self.chunk.push((self.next, item));
        self.next += 1;
        if self.chunk.len() == CHUNK {
            self.write().await?;
        }
        Ok(())
    }

    /// Writes the chunk's well-formed items and sends every item's result.
    async fn write(&mut self) -> Result<(), Problem> {
        let chunk = std::mem::take(&mut self.chunk);
        let mut indexes = Vec::with_capacity(chunk.len());
        let mut items = Vec::with_capacity(chunk.len());
        let mut results: Vec<Option<ItemOutcome>> = Vec::with_capacity(chunk.len());
        for (index, item) in chunk {
            match item {
                Ok(item) => {
                    indexes.push(index);
                    items.push(Ok(item));
                    results.push(None);
                }
                Err(bad) => results.push(Some(ItemOutcome::of(index, Err(bad)))),
            }
        }
        let mut written = if items.is_empty() {
            Vec::new().into_iter()
        } else {
            (self.import)(items).await?.0.into_iter()
        };
        let mut indexes = indexes.into_iter();
        for result in results {
            let outcome = match result {
                Some(failed) => failed,
                None => {
                    let (Some(done), Some(index)) = (written.next(), indexes.next()) else {
                        return Err(AppError::Internal("a result per item".into()).into());
                    };
                    renumbered(done, index)
                }
            };
            self.totals[slot(outcome.status)] += 1;
            let view = ItemResultView::from(outcome);
            if self.out.send(line_of(&view)).await.is_err() {
                return Err(Problem::new(
                    StatusCode::BAD_REQUEST,
                    "the client went away",
                ));
            }
        }
        Ok(())
    }
}

/// An outcome numbered within its chunk, numbered within the whole body.
fn renumbered(mut o: ItemOutcome, index: usize) -> ItemOutcome {
    let (from, to) = (format!("items[{}]", o.index), format!("items[{index}]"));
    for e in &mut o.errors.0 {
        if let Some(rest) = e.field.strip_prefix(&from) {
            e.field = format!("{to}{rest}");
        }
    }
    o.index = index;
    o
}

fn slot(status: ItemStatus) -> usize {
    match status {
        ItemStatus::Created => 0,
        ItemStatus::Updated => 1,
        ItemStatus::Unchanged => 2,
        ItemStatus::Failed => 3,
    }
}

fn summary(totals: &[usize; 4]) -> Value {
    json!({"summary": {
        "created": totals[0], "updated": totals[1], "unchanged": totals[2], "failed": totals[3],
    }})
}

fn line_of(value: &impl serde::Serialize) -> Bytes {
    let mut line = serde_json::to_vec(value).unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_is_renumbered_with_its_fields() {
        let o = ItemOutcome::of(2, Err(Invalid::single("name", "is required")));
        let o = renumbered(o, 1002);
        assert_eq!(o.index, 1002);
        assert_eq!(o.errors.0[0].field, "items[1002].name");
    }
}

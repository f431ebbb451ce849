//! Batches of any length, streamed: `application/x-ndjson` (one item per
//! line) or `text/csv` (a header row naming the fields, one item per row),
//! read as the body arrives and written in transactions of [`CHUNK`] items,
//! with one result line per item sent back as each transaction commits.
//! Memory stays flat whatever the body's length: a chunk, a record and the
//! lines not yet read by the client are all that is held.

use std::convert::Infallible;
use std::future::Future;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::csv_body::{CsvItems, Kinds};
use super::imports::ItemResultView;
use super::problem::Problem;
use crate::app::AppError;
use crate::domain::Invalid;
use crate::domain::import::{ItemOutcome, ItemStatus, Outcomes};

/// Items per transaction.
pub const CHUNK: usize = 1000;
/// The longest line or CSV record taken (an item with large attributes fits).
pub const MAX_LINE: usize = 1024 * 1024;
/// The media type of an NDJSON batch and of every streamed answer.
pub const NDJSON: &str = "application/x-ndjson";
/// The media type of a CSV batch.
pub const CSV: &str = "text/csv";

/// Turns a body's bytes into items as they arrive.
pub trait Items: Send {
    /// Takes the next bytes, pushing every item they complete.
    fn feed(
        &mut self,
        bytes: &[u8],
        items: &mut Vec<Result<Value, Invalid>>,
    ) -> Result<(), Problem>;
    /// The body ended: pushes the item it left unfinished, if any.
    fn end(&mut self, items: &mut Vec<Result<Value, Invalid>>) -> Result<(), Problem>;
}

/// How a streamed body is read, when its media type is one streamed.
pub fn items_of(headers: &HeaderMap, kinds: &'static Kinds) -> Option<Box<dyn Items>> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())?
        .trim();
    if media.eq_ignore_ascii_case(NDJSON) {
        Some(Box::new(Lines::default()))
    } else if media.eq_ignore_ascii_case(CSV) {
        Some(Box::new(CsvItems::new(kinds)))
    } else {
        None
    }
}

/// NDJSON: an item per line; blank lines are skipped.
#[derive(Default)]
struct Lines {
    line: Vec<u8>,
    /// Lines seen, to name one too long.
    seen: usize,
}

impl Lines {
    fn take(&mut self, items: &mut Vec<Result<Value, Invalid>>) {
        self.seen += 1;
        if !self.line.trim_ascii().is_empty() {
            items.push(
                serde_json::from_slice::<Value>(&self.line)
                    .map_err(|e| Invalid::single("line", format!("is not JSON: {e}"))),
            );
        }
        self.line.clear();
    }
}

impl Items for Lines {
    fn feed(
        &mut self,
        bytes: &[u8],
        items: &mut Vec<Result<Value, Invalid>>,
    ) -> Result<(), Problem> {
        for piece in bytes.split_inclusive(|b| *b == b'\n') {
            self.line.extend_from_slice(piece);
            if self.line.len() > MAX_LINE {
                let why = format!("line {} is longer than {MAX_LINE} bytes", self.seen + 1);
                return Err(Problem::new(StatusCode::PAYLOAD_TOO_LARGE, why));
            }
            if self.line.ends_with(b"\n") {
                self.take(items);
            }
        }
        Ok(())
    }

    fn end(&mut self, items: &mut Vec<Result<Value, Invalid>>) -> Result<(), Problem> {
        self.take(items);
        Ok(())
    }
}

/// Answers a streamed batch: each item read by `items` and parsed by
/// `parse`, each chunk of well-formed items written by `import` (not atomic:
/// the good items of a chunk are written and the bad reported, a malformed
/// one among them), each item's result a line of the answer, in order, then
/// a line with the counts (`{"summary": …}`). A failure before the first
/// result (a bad CSV header, the store down) is the answer's status and
/// problem; one later (the store, the rate limit) is a last line `{"error":
/// <problem>}`: the items before it stand, those after it were not read.
pub async fn answer<T, F, Fut>(
    items: Box<dyn Items>,
    body: Body,
    parse: fn(Value) -> Result<T, Invalid>,
    import: F,
) -> Response
where
    T: Send + 'static,
    F: Fn(Vec<Result<T, Invalid>>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Outcomes, AppError>> + Send,
{
    let (out, mut lines) = mpsc::channel::<Result<Bytes, Problem>>(8);
    tokio::spawn(async move {
        let mut batch = Batch {
            items,
            parse,
            import,
            out: out.clone(),
            chunk: Vec::with_capacity(CHUNK),
            next: 0,
            totals: [0; 4],
        };
        let end = batch
            .read(body)
            .await
            .map(|()| line_of(&summary(&batch.totals)));
        let _ = out.send(end).await;
    });
    let first = match lines.recv().await {
        Some(Ok(line)) => line,
        Some(Err(problem)) => return problem.into_response(),
        None => {
            return Problem::from(AppError::Internal("the batch stopped".into())).into_response();
        }
    };
    let rest = futures_util::stream::unfold(lines, |mut lines| async move {
        let line = lines.recv().await?;
        let line = line.unwrap_or_else(|problem| line_of(&json!({ "error": problem })));
        Some((line, lines))
    });
    let stream = futures_util::stream::iter([first])
        .chain(rest)
        .map(Ok::<_, Infallible>);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, NDJSON)],
        Body::from_stream(stream),
    )
        .into_response()
}

struct Batch<T, F> {
    items: Box<dyn Items>,
    parse: fn(Value) -> Result<T, Invalid>,
    import: F,
    out: mpsc::Sender<Result<Bytes, Problem>>,
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
        let mut ready = Vec::new();
        while let Some(bytes) = data.next().await {
            let bytes = bytes.map_err(|e| {
                Problem::new(StatusCode::BAD_REQUEST, format!("reading the body: {e}"))
            })?;
            self.items.feed(&bytes, &mut ready)?;
            self.take(&mut ready).await?;
        }
        self.items.end(&mut ready)?;
        self.take(&mut ready).await?;
        self.write().await
    }

    /// Takes the items read, writing the chunk whenever it is full.
    async fn take(&mut self, ready: &mut Vec<Result<Value, Invalid>>) -> Result<(), Problem> {
        for item in ready.drain(..) {
            self.chunk.push((self.next, item.and_then(self.parse)));
            self.next += 1;
            if self.chunk.len() == CHUNK {
                self.write().await?;
            }
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
            if self.out.send(Ok(line_of(&view))).await.is_err() {
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

/// A value as one NDJSON line.
pub(super) fn line_of(value: &impl serde::Serialize) -> Bytes {
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

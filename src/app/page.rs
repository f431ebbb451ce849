//! Keyset pagination with opaque tokens: a token is the last id of the previous
//! page, so paging visits every row exactly once even while rows are added.

use uuid::Uuid;

use super::AppError;
use crate::domain::Invalid;
use crate::store::Page;

const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 1000;

/// What a client asks of a list.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub page_size: Option<i64>,
    pub page_token: Option<String>,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub next_page_token: Option<String>,
}

impl PageRequest {
    /// The store page to read: one row more than asked, to learn whether more follow.
    pub(super) fn resolve(&self) -> Result<(Page, usize), Invalid> {
        let mut e = Invalid::default();
        let size = page_size(&mut e, self.page_size);
        let after = match self.page_token.as_deref() {
            None => None,
            Some(t) => decode(t).or_else(|| {
                e.push("page_token", "is not a token this API returned");
                None
            }),
        };
        e.into_result()?;
        Ok((
            Page {
                after,
                limit: size + 1,
            },
            size,
        ))
    }
}

/// The rows a page holds: the default when not asked, else 1 to [`MAX_PAGE_SIZE`].
pub(super) fn page_size(e: &mut Invalid, asked: Option<i64>) -> usize {
    match asked {
        None => DEFAULT_PAGE_SIZE as usize,
        Some(n) if (1..=i64::from(MAX_PAGE_SIZE)).contains(&n) => n as usize,
        Some(_) => {
            e.push(
                "page_size",
                format!("must be between 1 and {MAX_PAGE_SIZE}"),
            );
            0
        }
    }
}

/// Cuts the extra row off and turns the last id into the next token.
pub(super) fn paginate<T>(mut rows: Vec<T>, size: usize, id: impl Fn(&T) -> Uuid) -> Listed<T> {
    let next_page_token = if rows.len() > size {
        rows.truncate(size);
        rows.last().map(|last| encode(id(last)))
    } else {
        None
    };
    Listed {
        items: rows,
        next_page_token,
    }
}

/// Rows read per store page while a list filters on what only the use
/// case can judge (a plan's health, a success's anatomy).
const SCAN_BATCH: usize = 200;

/// Reads one page of a list filtered by `keep`, which the store cannot
/// apply: store pages in id order are read and filtered until `page.limit`
/// rows are kept or the rows run out. Without a filter (`filtered` false)
/// one store page of `page.limit` rows is all it reads.
pub(super) async fn scan<T, F: Future<Output = Result<Vec<T>, AppError>>>(
    page: Page,
    filtered: bool,
    mut fetch: impl FnMut(Page) -> F,
    keep: impl Fn(&T) -> bool,
    id: impl Fn(&T) -> Uuid,
) -> Result<Vec<T>, AppError> {
    let batch = if filtered {
        SCAN_BATCH.max(page.limit)
    } else {
        page.limit
    };
    let mut kept = Vec::new();
    let mut after = page.after;
    loop {
        let rows = fetch(Page {
            after,
            limit: batch,
        })
        .await?;
        let more = rows.len() == batch;
        after = rows.last().map(&id).or(after);
        kept.extend(rows.into_iter().filter(|r| keep(r)));
        if kept.len() >= page.limit || !more {
            kept.truncate(page.limit);
            return Ok(kept);
        }
    }
}

/// Pages a ranked list (which has no stable key to resume after): the token
/// is the position where the next page starts, in the same 32-hex shape as
/// every other token; any well-formed token past the end gives an empty page.
pub(super) fn paginate_ranked<T>(ranked: Vec<T>, page: Page, size: usize) -> Listed<T> {
    let start = page
        .after
        .map_or(0, |t| usize::try_from(t.as_u128()).unwrap_or(usize::MAX));
    let rows: Vec<(usize, T)> = ranked
        .into_iter()
        .enumerate()
        .skip(start)
        .take(page.limit)
        .collect();
    let listed = paginate(rows, size, |(i, _)| Uuid::from_u128(*i as u128 + 1));
    Listed {
        items: listed.items.into_iter().map(|(_, r)| r).collect(),
        next_page_token: listed.next_page_token,
    }
}

/// A token is the last id as 32 lowercase hex digits (the pattern the API schemas publish).
fn encode(id: Uuid) -> String {
    id.simple().to_string()
}

fn decode(token: &str) -> Option<Uuid> {
    let well_formed = token.len() == 32
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if well_formed {
        Uuid::try_parse(token).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_junk_is_rejected() {
        let id = Uuid::now_v7();
        assert_eq!(decode(&encode(id)), Some(id));
        assert_eq!(decode("not a token"), None);
        assert_eq!(decode("AAAA"), None);
        assert_eq!(decode(&"A".repeat(32)), None);
    }

    #[test]
    fn page_size_bounds() {
        let ok = PageRequest {
            page_size: Some(1000),
            page_token: None,
        }
        .resolve();
        assert_eq!(ok.unwrap().1, 1000);
        for bad in [0, -1, 1001] {
            let r = PageRequest {
                page_size: Some(bad),
                page_token: None,
            }
            .resolve();
            assert_eq!(r.unwrap_err().0[0].field, "page_size");
        }
    }

    #[test]
    fn paginate_emits_a_token_only_when_more_follow() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let full = paginate(ids.clone(), 2, |i| *i);
        assert_eq!(full.items, ids[..2]);
        assert_eq!(
            full.next_page_token.as_deref().and_then(decode),
            Some(ids[1])
        );
        let last = paginate(ids[..2].to_vec(), 2, |i| *i);
        assert_eq!(last.next_page_token, None);
    }
}

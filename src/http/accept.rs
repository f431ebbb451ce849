//! Content negotiation: which of the media types an answer offers the
//! client's `Accept` prefers, q-values honoured.

use axum::http::{HeaderMap, StatusCode, header};

use super::problem::Problem;

/// The offer `Accept` prefers: each media range of the header is looked up
/// in `offers` (a media type or a range such as `text/*`, each with what it
/// stands for); without the header, `default`; with none acceptable, a 406
/// saying `available`.
pub fn negotiate<F: Copy>(
    headers: &HeaderMap,
    offers: &[(&str, F)],
    default: F,
    available: &str,
) -> Result<F, Problem> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(default);
    };
    let mut best: Option<(f32, F)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let Some(&(_, offer)) = offers.iter().find(|(m, _)| *m == media) else {
            continue;
        };
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, offer));
        }
    }
    best.map(|(_, offer)| offer)
        .ok_or_else(|| Problem::new(StatusCode::NOT_ACCEPTABLE, available))
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFERS: &[(&str, char)] = &[("application/json", 'j'), ("*/*", 'j'), ("text/csv", 'c')];

    fn accept(value: &str) -> Result<char, Problem> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, value.parse().unwrap());
        negotiate(&headers, OFFERS, 'j', "json or csv")
    }

    #[test]
    fn the_highest_q_value_among_the_offers_wins() {
        assert_eq!(negotiate(&HeaderMap::new(), OFFERS, 'j', "").unwrap(), 'j');
        assert_eq!(accept("text/csv").unwrap(), 'c');
        assert_eq!(accept("text/csv;q=0.5, application/json").unwrap(), 'j');
        assert_eq!(accept("text/html, text/csv;q=0.1").unwrap(), 'c');
        assert_eq!(accept("text/csv;q=0").unwrap_err().status, 406);
        assert_eq!(accept("image/png").unwrap_err().status, 406);
    }
}

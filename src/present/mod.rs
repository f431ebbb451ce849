//! Presentation: what csapi draws for people rather than programs, beside the
//! doors and used by both. The SVG portfolio chart and the QBR as HTML and
//! CSV; the domain says what they show, this draws it.

pub mod chart;
pub mod export;
pub mod report;

/// Escapes text for HTML and SVG content and attributes: the one escaper.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

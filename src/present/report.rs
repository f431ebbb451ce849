//! The QBR as a customer can be shown it: CSV (one row per metric) and a
//! self-contained HTML report (inline CSS and SVG sparklines; no scripts,
//! fonts or links), laid out to print cleanly. The team's report leads with
//! the metrics and ends with where each person stands and what to do; the
//! customer's leads with their plans and successes and speaks in plain
//! words, with none of the team's working notes.

use std::fmt::Write;

use chrono::{DateTime, Duration, SecondsFormat, Utc};

use super::escape_html as esc;
use crate::app::Qbr;
use crate::domain::metric::{Horizon, Unit};
use crate::domain::metric_set::Rag;
use crate::domain::qbr::{Audience, Comparison, MetricReview, SetReview};
use crate::domain::quarter::Quarter;
use crate::domain::success_plan::{Objective, PlanHealth, PlanProgress};
use crate::domain::words;

/// The columns of a quarter's values, newest first: named by their place
/// from the reviewed quarter, so the sheet's header is the same every
/// quarter; the `quarter` column says which quarter `this_quarter` is.
const QUARTER_COLUMNS: [&str; 4] = [
    "this_quarter",
    "previous_quarter",
    "quarter_minus_2",
    "quarter_minus_3",
];

/// One row per metric of each section: the account, the metric, its value
/// in each of the last four quarters (newest first), target and rating.
/// Numbers are rounded to their unit's decimals ([`Unit::decimals`]).
pub fn csv(q: &Qbr) -> String {
    let mut out = String::from(
        "account_id,account_name,account_refs,quarter,metric_set,metric,name,horizon,unit",
    );
    for column in QUARTER_COLUMNS {
        let _ = write!(out, ",{column}");
    }
    out.push_str(
        ",change,change_pct,target,attainment,weight,normalised_score,rag,observed_at,missing_reason\r\n",
    );
    let account = &q.account;
    let refs: Vec<String> = account
        .fields
        .external_refs
        .iter()
        .map(|r| format!("{}:{}", r.system, r.id))
        .collect();
    let who = [
        account.id.to_string(),
        field(&account.fields.name),
        field(&refs.join(" ")),
        q.quarter.to_string(),
    ];
    for section in &q.sections {
        for m in &section.metrics {
            let unit = m.metric.unit;
            let num =
                |v: Option<f64>, decimals: usize| v.map_or(String::new(), |v| rounded(v, decimals));
            let mut cells = who.to_vec();
            cells.extend([
                field(&section.set.key),
                field(&m.metric.key),
                field(&m.metric.name),
                m.metric.horizon.as_str().to_owned(),
                unit.as_str().to_owned(),
            ]);
            cells.extend(m.trend.iter().rev().map(|(_, v)| num(*v, unit.decimals())));
            cells.extend([
                num(m.change, unit.decimals()),
                num(m.change_pct, 2),
                num(m.setting.target, unit.decimals()),
                num(m.attainment, 4),
                rounded(m.setting.weight, 4),
                num(m.rating.map(|r| r.score), 2),
                m.rating
                    .map(|r| r.rag.as_str())
                    .unwrap_or_default()
                    .to_owned(),
                m.last_observed
                    .map(|o| o.at.to_rfc3339_opts(SecondsFormat::AutoSi, true))
                    .unwrap_or_default(),
                field(&m.reading.err().map(|w| w.to_string()).unwrap_or_default()),
            ]);
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

/// `v` to at most `decimals` decimals, without trailing zeros (`-0` is `0`).
fn rounded(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// An RFC 4180 field: quoted when it holds a comma, quote or line break.
/// A leading `=`, `+`, `-` or `@` is prefixed with `'` so spreadsheets
/// do not run it as a formula.
pub(super) fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// A number with thousands separators and at most `decimals` decimals.
fn grouped(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut g = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            g.push(',');
        }
        g.push(ch);
    }
    let frac = frac.trim_end_matches('0');
    let sign = if v < 0.0 && s.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{g}")
    } else {
        format!("{sign}{g}.{frac}")
    }
}

/// A value as a reader expects it for its unit.
fn shown(v: f64, unit: Unit, currency: &str) -> String {
    match unit {
        Unit::Count => grouped(v, 0),
        Unit::Currency => format!("{currency} {}", grouped(v, 0)),
        Unit::Percent => format!("{} %", grouped(v, 1)),
        Unit::Score => grouped(v, 2),
        Unit::Boolean if v >= 0.5 => "yes".to_owned(),
        Unit::Boolean => "no".to_owned(),
        Unit::Days => format!("{} days", grouped(v, 1)),
        Unit::Months => format!("{} months", grouped(v, 0)),
    }
}

/// A 96×24 sparkline of the trend; gaps where a quarter has no value.
fn sparkline(trend: &[(Quarter, Option<f64>)]) -> String {
    let values: Vec<f64> = trend.iter().filter_map(|(_, v)| *v).collect();
    if values.is_empty() {
        return String::from("<span class=\"none\">–</span>");
    }
    let (lo, hi) = values
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let step = 88.0 / (trend.len().max(2) - 1) as f64;
    let points: Vec<(f64, f64)> = trend
        .iter()
        .enumerate()
        .filter_map(|(i, (_, v))| v.map(|v| (4.0 + i as f64 * step, 20.0 - (v - lo) / span * 16.0)))
        .collect();
    let line: Vec<String> = points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    let (lx, ly) = points[points.len() - 1];
    let title: Vec<String> = trend
        .iter()
        .map(|(q, v)| format!("{q}: {}", v.map_or("no data".to_owned(), |v| grouped(v, 2))))
        .collect();
    format!(
        "<svg class=\"spark\" width=\"96\" height=\"24\" viewBox=\"0 0 96 24\" role=\"img\"><title>{}</title>\
         <polyline points=\"{}\" fill=\"none\" stroke=\"#4b6cb7\" stroke-width=\"1.5\"/>\
         <circle cx=\"{lx:.1}\" cy=\"{ly:.1}\" r=\"2.5\" fill=\"#1f3a93\"/></svg>",
        esc(&title.join(" · ")),
        line.join(" ")
    )
}

/// A colour in plain words, for a customer.
fn rag_words(rag: Rag) -> &'static str {
    match rag {
        Rag::Green => "On track",
        Rag::Amber => "Needs attention",
        Rag::Red => "At risk",
        Rag::NoData => "No data yet",
        Rag::InsufficientData => "Not enough data yet",
    }
}

fn badge(rag: Rag, text: &str) -> String {
    format!(
        "<span class=\"badge {}\">{}</span>",
        rag.as_str(),
        esc(text)
    )
}

/// A score with the range it lies on, where it is known: "42.8 of 0 to 100".
fn on_scale(shown: String, scale: Option<(f64, f64)>) -> String {
    match scale {
        Some((lo, hi)) => format!(
            "{shown} <span class=\"none\">of {} to {}</span>",
            grouped(lo, 0),
            grouped(hi, 0)
        ),
        None => shown,
    }
}

fn metric_row(m: &MetricReview, currency: &str, audience: Audience) -> String {
    let unit = m.metric.unit;
    let value = match (m.reading, m.last_observed) {
        (Ok(v), Some(o)) if o.carried_forward => format!(
            "{}<br><span class=\"none\">last known, {}</span>",
            on_scale(shown(v, unit, currency), m.metric.scale()),
            o.at.format("%-d %b %Y")
        ),
        (Ok(v), _) => on_scale(shown(v, unit, currency), m.metric.scale()),
        (Err(why), _) => format!(
            "<span class=\"none\" title=\"{}\">no data</span>",
            esc(&why.to_string())
        ),
    };
    let mut previous = m
        .previous
        .map_or("–".to_owned(), |v| shown(v, unit, currency));
    if let Some(whole) = m.previous_full_quarter.filter(|w| Some(*w) != m.previous) {
        let _ = write!(
            previous,
            "<br><span class=\"none\">whole quarter {}</span>",
            shown(whole, unit, currency)
        );
    }
    let change = match (m.change, m.change_pct) {
        (Some(_), Some(pct)) => {
            format!("{}{} %", if pct >= 0.0 { "+" } else { "" }, grouped(pct, 1))
        }
        (Some(c), None) => format!("{}{}", if c >= 0.0 { "+" } else { "" }, grouped(c, 2)),
        _ => "–".to_owned(),
    };
    let target = m.setting.target.map_or("–".to_owned(), |t| {
        let att = m
            .attainment
            .map_or(String::new(), |a| format!(" ({} %)", grouped(a * 100.0, 0)));
        format!("{}{att}", shown(t, unit, currency))
    });
    let status = match (m.rating, m.setting.green_at.is_some()) {
        (Some(r), _) if audience == Audience::Customer => badge(r.rag, rag_words(r.rag)),
        (Some(r), _) => badge(r.rag, r.rag.as_str()),
        (None, true) => badge(Rag::NoData, "no data"),
        (None, false) => "–".to_owned(),
    };
    format!(
        "<tr><th scope=\"row\">{}</th><td class=\"num\">{value}</td><td class=\"num\">{previous}</td>\
         <td class=\"num\">{change}</td><td>{}</td><td class=\"num\">{target}</td><td>{status}</td></tr>",
        esc(&m.metric.name),
        sparkline(&m.trend)
    )
}

fn section_html(
    s: &SetReview,
    currency: &str,
    audience: Audience,
    comparison: Comparison,
) -> String {
    let (this, previous) = match comparison {
        Comparison::PreviousQuarter => ("This quarter", "Previous quarter"),
        Comparison::SameSpan(_) => ("Quarter to date", "Same span of previous quarter"),
    };
    let health = match s.health.score {
        Some(_) if audience == Audience::Customer => {
            format!("Overall: {}", rag_words(s.health.colour).to_lowercase())
        }
        Some(score) => format!(
            "Health {} · {} · {} % of metrics with data",
            grouped(score, 0),
            words(s.health.colour.as_str()).to_lowercase(),
            grouped(s.health.coverage.unwrap_or_default(), 0)
        ),
        None => "Health: no data".to_owned(),
    };
    let mut out = format!(
        "<section class=\"set\"><h2>{} {}</h2>",
        esc(&s.set.label),
        badge(s.health.colour, &health)
    );
    for (horizon, title) in [
        (Horizon::Traditional, "Traditional view: what happened"),
        (Horizon::Future, "Future-focused view: where it is heading"),
    ] {
        let rows: Vec<String> = s
            .metrics
            .iter()
            .filter(|m| m.metric.horizon == horizon)
            .map(|m| metric_row(m, currency, audience))
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "<h3>{title}</h3><table><thead><tr><th scope=\"col\">Metric</th><th scope=\"col\">{this}</th>\
             <th scope=\"col\">{previous}</th><th scope=\"col\">Change</th><th scope=\"col\">Last 4 quarters</th>\
             <th scope=\"col\">Target</th><th scope=\"col\">Status</th></tr></thead><tbody>{}</tbody></table>",
            rows.concat()
        );
    }
    out.push_str("</section>");
    out
}

/// The colour a plan's health is shown in.
fn health_rag(h: PlanHealth) -> Rag {
    match h {
        PlanHealth::OnTrack => Rag::Green,
        PlanHealth::AtRisk => Rag::Amber,
        PlanHealth::OffTrack => Rag::Red,
    }
}

fn percent(share: f64) -> String {
    format!("{} %", grouped(share * 100.0, 0))
}

/// A progress bar with a tick where the calendar says it should be.
fn progress_bar(progress: f64, expected: f64) -> String {
    format!(
        "<svg class=\"bar\" width=\"120\" height=\"10\" viewBox=\"0 0 120 10\" role=\"img\">\
         <title>{} done, {} expected</title><rect width=\"120\" height=\"10\" rx=\"3\" fill=\"#e3e6ee\"/>\
         <rect width=\"{:.1}\" height=\"10\" rx=\"3\" fill=\"#4b6cb7\"/>\
         <line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"0\" y2=\"10\" stroke=\"#1d2433\" stroke-width=\"1.5\"/></svg>",
        percent(progress),
        percent(expected),
        progress.clamp(0.0, 1.0) * 120.0,
        x = expected.clamp(0.0, 1.0) * 120.0
    )
}

fn plans_html(q: &Qbr) -> String {
    if q.plans.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "<section><h2>Success plans</h2><p class=\"meta\">Progress as of {}; the tick marks the share of \
         the plan's time gone by.</p><table><thead><tr><th scope=\"col\">Plan</th><th scope=\"col\">Status</th>\
         <th scope=\"col\">Progress</th><th scope=\"col\">Expected</th><th scope=\"col\">Health</th>\
         <th scope=\"col\">Objectives</th><th scope=\"col\">Target date</th></tr></thead><tbody>",
        q.as_of
    );
    for a in &q.plans {
        let (plan, p) = (&a.plan, &a.progress);
        let objectives: Vec<String> = p
            .objectives_of(plan)
            .map(|(o, op)| {
                format!(
                    "<li>{} · {}{}</li>",
                    esc(&o.title),
                    percent(op.progress),
                    milestones_html(o, p)
                )
            })
            .collect();
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"bar\">{} {}</td><td class=\"num\">{}</td>\
             <td>{}</td><td><ul class=\"objectives\">{}</ul></td><td>{}</td></tr>",
            esc(&plan.fields.name),
            words(plan.fields.status.as_str()),
            progress_bar(p.progress, p.expected),
            percent(p.progress),
            percent(p.expected),
            badge(health_rag(p.health), &words(p.health.as_str())),
            objectives.concat(),
            plan.fields.target_date
        );
    }
    out.push_str("</tbody></table></section>");
    out
}

/// An objective's milestones, each with its due date or the day it was done.
/// The objective's milestones as they stood at the progress's date.
fn milestones_html(o: &Objective, p: &PlanProgress) -> String {
    let items: Vec<String> = o
        .milestones
        .iter()
        .filter(|m| m.existed_by(p.known_by))
        .map(|m| {
            let when = match (m.done_by(p.as_of), m.done_on, m.due_date) {
                (true, Some(on), _) => format!("done {on}"),
                (true, None, _) => "done".to_owned(),
                (false, _, Some(due)) => format!("due {due}"),
                (false, _, None) => "to do".to_owned(),
            };
            format!(
                "<li>{} <span class=\"none\">({when})</span></li>",
                esc(&m.title)
            )
        })
        .collect();
    if items.is_empty() {
        return String::new();
    }
    format!("<ul class=\"milestones\">{}</ul>", items.concat())
}

fn successes_html(q: &Qbr) -> String {
    if q.successes.is_empty() {
        return String::new();
    }
    let notes = q.audience.sees_working_notes();
    let mut out = String::from(
        "<section><h2>Successes this quarter</h2><table><thead><tr><th scope=\"col\">Success</th>\
         <th scope=\"col\">Achieved</th><th scope=\"col\">Outcome</th>",
    );
    if notes {
        out.push_str("<th scope=\"col\">Anatomy</th><th scope=\"col\">Still to capture</th>");
    }
    out.push_str("</tr></thead><tbody>");
    for a in &q.successes {
        let f = &a.success.fields;
        let outcome = f.anatomy.outcome.as_ref().map_or("–".to_owned(), |o| {
            let planned = if o.purposeful { "planned" } else { "unplanned" };
            format!(
                "{} <span class=\"none\">({planned})</span>",
                esc(&o.description)
            )
        });
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{outcome}</td>",
            esc(&f.title),
            f.achieved_on
        );
        if notes {
            let missing: Vec<&str> = a.missing.iter().map(|p| p.as_str()).collect();
            let _ = write!(
                out,
                "<td class=\"num\">{} / 5</td><td>{}</td>",
                a.anatomy_score,
                if missing.is_empty() {
                    "–".to_owned()
                } else {
                    missing.join(", ")
                }
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></section>");
    out
}

const STYLE: &str = "body{font:14px/1.45 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1d2433;margin:32px auto;max-width:1480px;padding:0 24px}\
header{border-bottom:3px solid #1f3a93;margin-bottom:20px;padding-bottom:8px}h1{font-size:24px;margin:0}\
.meta{color:#5a6275;margin:4px 0 0}h2{font-size:18px;margin:24px 0 8px;display:flex;gap:12px;align-items:center}\
h3{font-size:14px;color:#3d4660;margin:16px 0 6px;text-transform:uppercase;letter-spacing:.04em}\
table{border-collapse:collapse;width:100%;margin-bottom:8px}th,td{padding:5px 6px;border-bottom:1px solid #e3e6ee;text-align:left;vertical-align:middle}\
thead th{font-size:12px;color:#5a6275;border-bottom:2px solid #c9cfdd}td.num{text-align:right;white-space:nowrap}\
.badge{display:inline-block;padding:2px 8px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}\
.green{background:#d8f3e0;color:#17612f}.amber{background:#fdecc8;color:#8a5300}.red{background:#fbd9d9;color:#9b1c1c}.no_data,.insufficient_data{background:#eceef3;color:#5a6275}\
.none{color:#8a91a3}.set{min-width:0;overflow-x:auto}.compare{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,640px),1fr));gap:32px}\
ul.objectives,ul.milestones{margin:0;padding-left:16px}ul.milestones{font-size:12px}svg.bar{vertical-align:middle;margin-right:6px}td.bar{white-space:nowrap}\
footer{margin-top:32px;color:#8a91a3;font-size:12px;border-top:1px solid #e3e6ee;padding-top:8px}\
@media print{body{margin:0;max-width:none;font-size:11px}.compare{grid-template-columns:1fr}section,tr{break-inside:avoid}}";

/// The report as one HTML document; `generated` is stamped in the footer.
pub fn html(q: &Qbr, generated: DateTime<Utc>) -> String {
    let name = &q.account.fields.name;
    let last_day = q.period.end - Duration::days(1);
    let mut out = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>QBR · {} · {}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{STYLE}</style></head><body>\
         <header><h1>Quarterly business review: {}</h1><p class=\"meta\">{} · {} to {}</p></header>",
        esc(name),
        q.quarter,
        esc(name),
        q.quarter,
        q.period.start.format("%-d %B %Y"),
        last_day.format("%-d %B %Y"),
    );
    match q.audience {
        // What was agreed and achieved first, then the numbers.
        Audience::Customer => {
            out.push_str(&plans_html(q));
            out.push_str(&successes_html(q));
            out.push_str(&metrics_html(q));
        }
        Audience::Team => {
            out.push_str(&risks_html(q));
            out.push_str(&metrics_html(q));
            out.push_str(&plans_html(q));
            out.push_str(&successes_html(q));
            out.push_str(&classifications_html(q));
        }
    }
    let month = chrono::Month::try_from(u8::try_from(q.fiscal_year_start_month).unwrap_or(1))
        .map_or("January", |m| m.name());
    let _ = write!(
        out,
        "<footer>Prepared with csapi on {}. Quarters follow the fiscal year starting in {month}.</footer></body></html>",
        generated.format("%Y-%m-%d %H:%M UTC"),
    );
    out
}

/// Each metric set's review, side by side when there are several.
fn metrics_html(q: &Qbr) -> String {
    let currency = &q.account.fields.currency;
    let sections: Vec<String> = q
        .sections
        .iter()
        .map(|s| section_html(s, currency, q.audience, q.comparison))
        .collect();
    let layout = if sections.len() > 1 {
        "compare"
    } else {
        "single"
    };
    format!("<div class=\"{layout}\">{}</div>", sections.concat())
}

/// How near the renewal is and what threatens it: the team's working notes.
fn risks_html(q: &Qbr) -> String {
    let Some(r) = &q.risks else {
        return String::new();
    };
    let renewal = match (r.renewal.date, r.renewal.days) {
        (Some(date), Some(days)) => {
            let rag = if r.renewal.near {
                Rag::Amber
            } else {
                Rag::Green
            };
            let when = if days < 0 {
                format!("overdue by {} days", -days)
            } else {
                format!("in {days} days")
            };
            format!(
                "{} {date} ({when}; window {} days)",
                badge(rag, "Renewal"),
                r.renewal.window_days
            )
        }
        _ => "<span class=\"none\">No renewal date recorded.</span>".to_owned(),
    };
    let mut out = format!("<section><h2>Renewal and risks</h2><p>{renewal}</p>");
    if r.raised.is_empty() && r.derived.is_empty() {
        out.push_str("<p class=\"none\">No open risks.</p></section>");
        return out;
    }
    out.push_str(
        "<table><thead><tr><th scope=\"col\">Risk</th><th scope=\"col\">Why</th>\
         <th scope=\"col\">Raised</th></tr></thead><tbody>",
    );
    for x in &r.raised {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{} by {}</td></tr>",
            words(x.kind.as_str()),
            esc(&x.reason),
            x.raised_at.format("%Y-%m-%d"),
            esc(&x.raised_by)
        );
    }
    for x in &r.derived {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td><span class=\"none\">seen by csapi</span></td></tr>",
            words(x.kind.as_str()),
            esc(&x.reason)
        );
    }
    out.push_str("</tbody></table></section>");
    out
}

/// Where the account and each person stand on every matrix, with the play
/// the team recommends: the team's working notes.
fn classifications_html(q: &Qbr) -> String {
    if q.classifications.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<section><h2>Where the account stands</h2><table><thead><tr><th scope=\"col\">Matrix</th>\
         <th scope=\"col\">Who</th><th scope=\"col\">Cell</th><th scope=\"col\">Closeness to success</th>\
         <th scope=\"col\">Assessed</th><th scope=\"col\">Recommended play</th></tr></thead><tbody>",
    );
    for c in &q.classifications {
        let p = &c.placement;
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{} %</td><td>{}</td><td>{}</td></tr>",
            esc(&p.matrix),
            esc(&p.subject_name),
            esc(&c.cell.label),
            grouped(p.closeness * 100.0, 0),
            p.assessed_at.format("%Y-%m-%d"),
            esc(&c.cell.play)
        );
    }
    out.push_str("</tbody></table></section>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_numbers_are_rounded_to_their_unit() {
        assert_eq!(
            rounded(0.06000000000000005, Unit::Percent.decimals()),
            "0.06"
        );
        assert_eq!(rounded(1234.5, Unit::Months.decimals()), "1234");
        assert_eq!(rounded(2.25, Unit::Days.decimals()), "2.2");
        assert_eq!(rounded(175.0, Unit::Count.decimals()), "175");
        assert_eq!(rounded(-0.001, 2), "0");
        assert_eq!(rounded(-12.5, 2), "-12.5");
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(grouped(1234567.0, 0), "1,234,567");
        assert_eq!(grouped(-1234.5, 1), "-1,234.5");
        assert_eq!(grouped(0.2, 2), "0.2");
        assert_eq!(grouped(-0.001, 2), "0");
        assert_eq!(shown(120000.0, Unit::Currency, "USD"), "USD 120,000");
        assert_eq!(shown(1.0, Unit::Boolean, "USD"), "yes");
    }

    #[test]
    fn text_is_escaped_and_csv_fields_quoted() {
        assert_eq!(
            esc("<b>\"A&B\"</b>"),
            "&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;"
        );
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(field("plain"), "plain");
    }

    #[test]
    fn sparkline_skips_gaps() {
        let q: Quarter = "2026-Q1".parse().unwrap();
        let s = sparkline(&[(q, Some(1.0)), (q, None), (q, Some(3.0))]);
        assert!(s.contains("points=\"4.0,20.0 92.0,4.0\""), "{s}");
        assert_eq!(sparkline(&[(q, None)]), "<span class=\"none\">–</span>");
    }
}

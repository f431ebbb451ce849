//! The book export as CSV: one row per account, one column per matrix,
//! equation and metric set the export holds, so that a sheet or a BI tool
//! loads it without unpacking JSON. Refs and attributes stay JSON cells (a
//! batch reads `external_refs` back the same way).

use crate::app::ExportPlan;
use crate::app::views::ExportedAccountView;
use crate::domain::success_plan::PlanHealth;

use super::report::field;

/// The header row.
pub fn header(plan: &ExportPlan) -> String {
    let mut columns: Vec<String> = [
        "id",
        "name",
        "segment",
        "owner",
        "lifecycle_stage",
        "customer_since",
        "original_arr",
        "renewal_date",
        "contract_end",
        "current_arr",
        "currency",
        "external_refs",
        "attributes",
        "quarter",
    ]
    .map(str::to_owned)
    .to_vec();
    columns.extend(plan.matrices.iter().map(|m| format!("cell.{m}")));
    columns.extend(
        plan.equations
            .iter()
            .map(|(f, e)| format!("equation.{f}.{e}")),
    );
    for set in &plan.sets {
        columns.push(format!("health.{}.score", set.key));
        columns.push(format!("health.{}.colour", set.key));
    }
    columns.extend(
        [
            "plans.active",
            "plans.on_track",
            "plans.at_risk",
            "plans.off_track",
            "plans.progress",
        ]
        .map(str::to_owned),
    );
    line(&columns)
}

/// An account's row, its cells in the header's order.
pub fn row(plan: &ExportPlan, a: &ExportedAccountView) -> String {
    let acc = &a.account;
    let mut cells = vec![
        acc.id.to_string(),
        field(&acc.name),
        field(acc.segment.as_deref().unwrap_or_default()),
        field(acc.owner.as_deref().unwrap_or_default()),
        acc.lifecycle_stage
            .map(|s| s.as_str())
            .unwrap_or_default()
            .to_owned(),
        acc.customer_since
            .map(|d| d.to_string())
            .unwrap_or_default(),
        acc.original_arr.map(number).unwrap_or_default(),
        acc.renewal_date.map(|d| d.to_string()).unwrap_or_default(),
        acc.contract_end.map(|d| d.to_string()).unwrap_or_default(),
        acc.current_arr.map(number).unwrap_or_default(),
        acc.currency.clone(),
        field(&json(&acc.external_refs)),
        field(&json(&acc.attributes)),
        a.quarter.clone(),
    ];
    cells.extend(
        plan.matrices
            .iter()
            .map(|m| a.cells.get(m).map(|c| field(&c.cell)).unwrap_or_default()),
    );
    cells.extend(plan.equations.iter().map(|(f, e)| {
        let value = a.equations.get(&format!("{f}.{e}"));
        value.map(|v| number(v.value)).unwrap_or_default()
    }));
    for set in &plan.sets {
        let health = a.health.get(&set.key);
        cells.push(health.and_then(|h| h.score).map(number).unwrap_or_default());
        cells.push(
            health
                .map(|h| h.colour.as_str())
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let count = |health: PlanHealth| {
        let n = a.plans.iter().filter(|p| p.progress.health == health);
        n.count().to_string()
    };
    let mean = (!a.plans.is_empty())
        .then(|| a.plans.iter().map(|p| p.progress.progress).sum::<f64>() / a.plans.len() as f64);
    cells.extend([
        a.plans.len().to_string(),
        count(PlanHealth::OnTrack),
        count(PlanHealth::AtRisk),
        count(PlanHealth::OffTrack),
        mean.map(number).unwrap_or_default(),
    ]);
    line(&cells)
}

fn line(cells: &[String]) -> String {
    let mut out = cells.join(",");
    out.push_str("\r\n");
    out
}

/// A number as a sheet reads it: at most six decimals, no float noise
/// (`0.06`, not `0.06000000000000005`).
fn number(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// A value as a JSON cell.
fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_lose_float_noise_and_trailing_zeros() {
        assert_eq!(number(0.06000000000000005), "0.06");
        assert_eq!(number(42.0), "42");
        assert_eq!(number(-0.0000001), "0");
        assert_eq!(number(1234.5678901), "1234.56789");
    }
}

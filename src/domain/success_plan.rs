//! Success plans (DESIGN §3.6): how a CSM and a customer agree what success
//! means, and how far along it they are. Objectives carry KPIs (baseline →
//! target) and milestones; progress and health follow from them and from
//! how much of the plan's time has passed.

use chrono::NaiveDate;

use super::validation::Invalid;

/// Progress within this of the expected share is on track.
pub const ON_TRACK_MARGIN: f64 = 0.10;
/// Progress within this of the expected share is at risk; beyond, off track.
pub const AT_RISK_MARGIN: f64 = 0.25;
/// Comparisons at the health edges forgive floating-point noise.
const EDGE: f64 = 1e-9;

str_enum! {
    pub enum PlanStatus {
        Draft = "draft",
        Active = "active",
        Achieved = "achieved",
        Abandoned = "abandoned",
    }
}

str_enum! {
    pub enum PlanHealth {
        OnTrack = "on_track",
        AtRisk = "at_risk",
        OffTrack = "off_track",
    }
}

/// A measure of an objective, from where the customer started to where it aims.
#[derive(Debug, Clone, PartialEq)]
pub struct Kpi {
    pub name: String,
    /// When set, `current` is the account's latest observation of this metric.
    pub metric_key: Option<String>,
    pub baseline: f64,
    pub target: f64,
    pub current: Option<f64>,
}

impl Kpi {
    /// clamp((current − baseline) / (target − baseline), 0, 1); works for KPIs
    /// that should fall (target below baseline) as for those that should rise.
    /// A KPI without a current value has attained nothing yet.
    pub fn attainment(&self) -> f64 {
        let span = self.target - self.baseline;
        match self.current {
            Some(c) if span != 0.0 => ((c - self.baseline) / span).clamp(0.0, 1.0),
            _ => 0.0,
        }
    }

    /// A KPI whose target equals its baseline measures nothing.
    pub fn check(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        for (field, v) in [("baseline", self.baseline), ("target", self.target)] {
            if !v.is_finite() {
                e.push(field, "must be a finite number");
            }
        }
        if self.target == self.baseline {
            e.push("target", "must differ from baseline");
        }
        e.into_result()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    pub title: String,
    pub due_date: Option<NaiveDate>,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    pub title: String,
    pub weight: f64,
    pub kpis: Vec<Kpi>,
    pub milestones: Vec<Milestone>,
}

impl Objective {
    /// The mean of (mean KPI attainment, share of milestones done) over the
    /// parts the objective has; 0 when it has neither.
    pub fn progress(&self) -> f64 {
        let mut parts = Vec::with_capacity(2);
        if !self.kpis.is_empty() {
            parts.push(self.kpis.iter().map(Kpi::attainment).sum::<f64>() / self.kpis.len() as f64);
        }
        if !self.milestones.is_empty() {
            let done = self.milestones.iter().filter(|m| m.done).count();
            parts.push(done as f64 / self.milestones.len() as f64);
        }
        if parts.is_empty() {
            0.0
        } else {
            parts.iter().sum::<f64>() / parts.len() as f64
        }
    }
}

/// Weight-averaged objective progress; 0 without objectives (or weight).
pub fn plan_progress(objectives: &[Objective]) -> f64 {
    let weight: f64 = objectives.iter().map(|o| o.weight).sum();
    if weight > 0.0 {
        objectives
            .iter()
            .map(|o| o.weight * o.progress())
            .sum::<f64>()
            / weight
    } else {
        0.0
    }
}

/// The share of start → target elapsed at `as_of`, within [0, 1].
pub fn expected_progress(start: NaiveDate, target: NaiveDate, as_of: NaiveDate) -> f64 {
    let span = (target - start).num_days();
    if span <= 0 {
        return 1.0;
    }
    ((as_of - start).num_days() as f64 / span as f64).clamp(0.0, 1.0)
}

/// On track within 0.10 of the expected share, at risk within 0.25, else off track.
pub fn plan_health(progress: f64, expected: f64) -> PlanHealth {
    if progress + EDGE >= expected - ON_TRACK_MARGIN {
        PlanHealth::OnTrack
    } else if progress + EDGE >= expected - AT_RISK_MARGIN {
        PlanHealth::AtRisk
    } else {
        PlanHealth::OffTrack
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kpi(baseline: f64, target: f64, current: Option<f64>) -> Kpi {
        Kpi {
            name: "k".into(),
            metric_key: None,
            baseline,
            target,
            current,
        }
    }

    fn milestones(done: usize, of: usize) -> Vec<Milestone> {
        (0..of)
            .map(|i| Milestone {
                title: format!("m{i}"),
                due_date: None,
                done: i < done,
            })
            .collect()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn kpi_attainment_both_ways_and_clamped() {
        assert_eq!(kpi(20.0, 80.0, Some(50.0)).attainment(), 0.5);
        assert_eq!(
            kpi(10.0, 4.0, Some(7.0)).attainment(),
            0.5,
            "lower is better"
        );
        assert_eq!(kpi(20.0, 80.0, Some(95.0)).attainment(), 1.0);
        assert_eq!(kpi(20.0, 80.0, Some(5.0)).attainment(), 0.0);
        assert_eq!(kpi(10.0, 4.0, Some(12.0)).attainment(), 0.0);
        assert_eq!(kpi(20.0, 80.0, None).attainment(), 0.0);
        assert_eq!(
            kpi(5.0, 5.0, Some(5.0)).check().unwrap_err().fields(),
            ["target"]
        );
        assert_eq!(kpi(5.0, 6.0, None).check(), Ok(()));
    }

    #[test]
    fn objective_progress_from_its_parts() {
        let with = |kpis: Vec<Kpi>, ms: Vec<Milestone>| Objective {
            title: "o".into(),
            weight: 1.0,
            kpis,
            milestones: ms,
        };
        let kpis = || vec![kpi(0.0, 100.0, Some(50.0)), kpi(0.0, 100.0, Some(100.0))];
        assert_eq!(with(kpis(), vec![]).progress(), 0.75, "KPIs only");
        assert_eq!(
            with(vec![], milestones(1, 4)).progress(),
            0.25,
            "milestones only"
        );
        assert_eq!(
            with(kpis(), milestones(1, 4)).progress(),
            0.5,
            "(0.75 + 0.25) / 2"
        );
        assert_eq!(with(vec![], vec![]).progress(), 0.0, "neither");
    }

    #[test]
    fn plan_progress_is_weighted() {
        let objective = |weight, done| Objective {
            title: "o".into(),
            weight,
            kpis: vec![],
            milestones: milestones(done, 4),
        };
        // (3 · 1.0 + 1 · 0.0) / 4 = 0.75
        assert_eq!(plan_progress(&[objective(3.0, 4), objective(1.0, 0)]), 0.75);
        assert_eq!(plan_progress(&[]), 0.0);
    }

    #[test]
    fn health_at_its_edges() {
        // Half of a 100-day plan elapsed: expected 0.5.
        let expected = expected_progress(date(2026, 1, 1), date(2026, 4, 11), date(2026, 2, 20));
        assert_eq!(expected, 0.5);
        assert_eq!(
            plan_health(0.40, expected),
            PlanHealth::OnTrack,
            "expected − 0.10"
        );
        assert_eq!(plan_health(0.39, expected), PlanHealth::AtRisk);
        assert_eq!(
            plan_health(0.25, expected),
            PlanHealth::AtRisk,
            "expected − 0.25"
        );
        assert_eq!(plan_health(0.24, expected), PlanHealth::OffTrack);
        assert_eq!(
            expected_progress(date(2026, 1, 1), date(2026, 4, 11), date(2025, 1, 1)),
            0.0
        );
        assert_eq!(
            expected_progress(date(2026, 1, 1), date(2026, 4, 11), date(2027, 1, 1)),
            1.0
        );
    }

    proptest! {
        #[test]
        fn attainment_is_a_share_and_monotone(b in -1e3f64..1e3, gap in 0.01f64..1e3, c1 in -3e3f64..3e3, c2 in -3e3f64..3e3) {
            let (lo, hi) = (c1.min(c2), c1.max(c2));
            let up = |c| kpi(b, b + gap, Some(c)).attainment();
            let down = |c| kpi(b, b - gap, Some(c)).attainment();
            prop_assert!((0.0..=1.0).contains(&up(lo)) && (0.0..=1.0).contains(&down(lo)));
            prop_assert!(up(lo) <= up(hi));
            prop_assert!(down(hi) <= down(lo));
        }
    }
}

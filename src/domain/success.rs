//! Captured successes (DESIGN §3.6): the proof a plan worked, in a form that
//! can be told, measured, reused and made to last. Its anatomy has five
//! parts; the score says how many it has and `missing` which it lacks.

use chrono::NaiveDate;

/// A behaviour change counts as permanent once sustained this long.
pub const PERMANENCE_DAYS: i64 = 90;

str_enum! {
    /// The five parts of a success's anatomy, in the order they are told.
    pub enum Part {
        Outcome = "outcome",
        Story = "story",
        Reuse = "reuse",
        Measurable = "measurable",
        Permanence = "permanence",
    }
}

str_enum! {
    /// How far a win can be reused.
    pub enum ReuseScope {
        Team = "team",
        Department = "department",
        Company = "company",
        Customer = "customer",
    }
}

/// What a success records of each part; absent parts are `None` or empty.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Anatomy {
    /// The achieved business outcome.
    pub outcome: Option<String>,
    pub story: Option<String>,
    pub reuse: Vec<ReuseScope>,
    /// (metric, baseline, result): present when all three are.
    pub measurable: Option<(String, f64, f64)>,
    /// The behaviour change and since when it has held.
    pub permanence: Option<(String, NaiveDate)>,
}

impl Anatomy {
    /// Whether `part` is present at `as_of`: permanence needs its change
    /// sustained for at least [`PERMANENCE_DAYS`] by then.
    pub fn has(&self, part: Part, as_of: NaiveDate) -> bool {
        let text = |t: &Option<String>| t.as_deref().is_some_and(|s| !s.trim().is_empty());
        match part {
            Part::Outcome => text(&self.outcome),
            Part::Story => text(&self.story),
            Part::Reuse => !self.reuse.is_empty(),
            Part::Measurable => self.measurable.is_some(),
            Part::Permanence => self
                .permanence
                .as_ref()
                .is_some_and(|(_, since)| (as_of - *since).num_days() >= PERMANENCE_DAYS),
        }
    }

    /// The parts present (0–5) and the missing ones, in anatomy order.
    pub fn score(&self, as_of: NaiveDate) -> (u8, Vec<Part>) {
        let missing: Vec<Part> = Part::ALL
            .iter()
            .copied()
            .filter(|p| !self.has(*p, as_of))
            .collect();
        ((Part::ALL.len() - missing.len()) as u8, missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn permanence_needs_ninety_days() {
        let a = Anatomy {
            permanence: Some((
                "weekly ops review uses the dashboard".into(),
                date(2026, 1, 1),
            )),
            ..Anatomy::default()
        };
        assert!(!a.has(Part::Permanence, date(2026, 3, 31)), "89 days");
        assert!(a.has(Part::Permanence, date(2026, 4, 1)), "90 days");
    }

    #[test]
    fn score_and_missing_for_every_part() {
        let as_of = date(2026, 9, 30);
        let empty = Anatomy::default();
        assert_eq!(empty.score(as_of), (0, Part::ALL.to_vec()));
        let full = Anatomy {
            outcome: Some("Cut month-end close from 10 to 6 days".into()),
            story: Some("How finance got its Fridays back".into()),
            reuse: vec![ReuseScope::Department],
            measurable: Some(("close_days".into(), 10.0, 6.0)),
            permanence: Some(("close runs on the new flow".into(), date(2026, 5, 1))),
        };
        assert_eq!(full.score(as_of), (5, vec![]));
        for part in Part::ALL {
            let mut one_short = full.clone();
            match part {
                Part::Outcome => one_short.outcome = Some("  ".into()),
                Part::Story => one_short.story = None,
                Part::Reuse => one_short.reuse.clear(),
                Part::Measurable => one_short.measurable = None,
                Part::Permanence => one_short.permanence = None,
            }
            assert_eq!(one_short.score(as_of), (4, vec![*part]), "{part:?}");
        }
    }
}

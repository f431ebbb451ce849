//! Captured successes (DESIGN §3.6): the proof a plan worked, in a form that
//! can be told, measured, reused and made to last. Its anatomy has five
//! parts; the score says how many it has and `missing` which it lacks.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::patch::{double_option, present, set};
use super::success_plan::{MAX_NAME_LEN, MAX_PROSE_LEN};
use super::success_reuse::RecordedReuse;
use super::validation::{Invalid, check_text};

/// A behaviour change counts as permanent once sustained this long.
pub const PERMANENCE_DAYS: i64 = 90;
pub const MAX_STORY_LEN: usize = 20_000;
pub const MAX_REUSES: usize = 20;

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

/// The achieved business outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    pub description: String,
    /// Whether it was planned (an objective's outcome) rather than a lucky side effect.
    pub purposeful: bool,
}

/// Where the win was, or can be, repeated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reuse {
    pub scope: ReuseScope,
    pub description: String,
}

/// The evidence in numbers: a change from a baseline, against what was
/// aimed for (a target, or the KPI of the objective it proves).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measurable {
    /// What was measured: a metric key or a plain name.
    pub metric: String,
    pub baseline: f64,
    pub result: f64,
    /// What was aimed for; needed unless `kpi_id` names the aim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// A KPI of the success's objective, whose target is the aim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kpi_id: Option<Uuid>,
}

impl Measurable {
    /// A number proves a win only when it moved and was measured against an
    /// aim: a result equal to its baseline, or one with nothing to reach,
    /// is an anecdote.
    fn check(&self, e: &mut Invalid) {
        check_text(e, "measurable.metric", &self.metric, MAX_NAME_LEN);
        for (field, v) in [
            ("measurable.baseline", Some(self.baseline)),
            ("measurable.result", Some(self.result)),
            ("measurable.target", self.target),
        ] {
            if v.is_some_and(|v| !v.is_finite()) {
                e.push(field, "must be a finite number");
            }
        }
        if self.result == self.baseline {
            e.push(
                "measurable.result",
                "must differ from the baseline: an unchanged number shows no win",
            );
        }
        if self.target.is_none() && self.kpi_id.is_none() {
            e.push(
                "measurable.target",
                "is needed unless measurable.kpi_id names a KPI of the objective",
            );
        }
    }
}

/// The behaviour change that makes the win last.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permanence {
    pub behaviour_change: String,
    /// Counts once at least 90 days before `as_of`.
    pub sustained_since: NaiveDate,
}

/// What a success records of each part; absent parts are `None` or empty.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Anatomy {
    pub outcome: Option<Outcome>,
    pub story: Option<String>,
    pub reuse: Vec<Reuse>,
    pub measurable: Option<Measurable>,
    pub permanence: Option<Permanence>,
}

impl Anatomy {
    /// Whether `part` is present at `as_of`: permanence needs its change
    /// sustained for at least [`PERMANENCE_DAYS`] by then.
    pub fn has(&self, part: Part, as_of: NaiveDate) -> bool {
        match part {
            Part::Outcome => self.outcome.is_some(),
            Part::Story => self.story.is_some(),
            Part::Reuse => !self.reuse.is_empty(),
            Part::Measurable => self.measurable.is_some(),
            Part::Permanence => self
                .permanence
                .as_ref()
                .is_some_and(|p| (as_of - p.sustained_since).num_days() >= PERMANENCE_DAYS),
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

    /// Whether any reuse record has this scope.
    pub fn reusable_in(&self, scope: ReuseScope) -> bool {
        self.reuse.iter().any(|r| r.scope == scope)
    }

    fn check(&self, e: &mut Invalid) {
        if let Some(o) = &self.outcome {
            check_text(e, "outcome.description", &o.description, MAX_PROSE_LEN);
        }
        if let Some(s) = &self.story {
            check_text(e, "story", s, MAX_STORY_LEN);
        }
        if self.reuse.len() > MAX_REUSES {
            e.push("reuse", format!("must hold at most {MAX_REUSES} records"));
        }
        for (i, r) in self.reuse.iter().enumerate() {
            check_text(
                e,
                &format!("reuse[{i}].description"),
                &r.description,
                MAX_PROSE_LEN,
            );
        }
        if let Some(m) = &self.measurable {
            m.check(e);
        }
        if let Some(p) = &self.permanence {
            check_text(
                e,
                "permanence.behaviour_change",
                &p.behaviour_change,
                MAX_PROSE_LEN,
            );
        }
    }
}

/// A captured success, apart from its account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuccessFields {
    pub title: String,
    /// The plan and objective it proves, if any (kept beside the stored
    /// document, so that deleting them detaches it).
    #[serde(skip)]
    pub plan_id: Option<Uuid>,
    #[serde(skip)]
    pub objective_id: Option<Uuid>,
    /// When it was achieved: the quarter it counts in.
    pub achieved_on: NaiveDate,
    pub anatomy: Anatomy,
}

impl SuccessFields {
    /// Names every bad field; dates may not lie after `today`.
    pub fn check(&self, today: NaiveDate) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        check_text(&mut e, "title", &self.title, MAX_NAME_LEN);
        if self.objective_id.is_some() && self.plan_id.is_none() {
            e.push("plan_id", "is needed with objective_id");
        }
        if self.achieved_on > today {
            e.push("achieved_on", "must not be in the future");
        }
        self.anatomy.check(&mut e);
        if let Some(p) = &self.anatomy.permanence {
            if p.sustained_since > today {
                e.push("permanence.sustained_since", "must not be in the future");
            } else if p.sustained_since < self.achieved_on {
                e.push(
                    "permanence.sustained_since",
                    "must not precede achieved_on: a change cannot last from before the win",
                );
            }
        }
        if self
            .anatomy
            .measurable
            .as_ref()
            .is_some_and(|m| m.kpi_id.is_some())
            && self.objective_id.is_none()
        {
            e.push(
                "measurable.kpi_id",
                "needs objective_id: a KPI belongs to an objective",
            );
        }
        e.into_result()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Success {
    pub id: Uuid,
    pub account_id: Uuid,
    pub fields: SuccessFields,
    /// Where it was reapplied, in the order recorded.
    #[serde(default)]
    pub reuses: Vec<RecordedReuse>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Success {
    /// Its anatomy at `as_of`, where a reuse recorded as applied by then
    /// proves the `reuse` part as a described reuse scope does.
    pub fn score(&self, as_of: NaiveDate) -> (u8, Vec<Part>) {
        let (score, mut missing) = self.fields.anatomy.score(as_of);
        let reused = self.reuses.iter().any(|r| r.applied_on <= as_of);
        if reused && missing.contains(&Part::Reuse) {
            missing.retain(|p| *p != Part::Reuse);
            return (score + 1, missing);
        }
        (score, missing)
    }
}

/// A new success, as a client writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuccessDraft {
    pub account_id: Uuid,
    pub title: String,
    /// A plan of the same account.
    pub plan_id: Option<Uuid>,
    /// An objective of `plan_id`.
    pub objective_id: Option<Uuid>,
    /// Default today.
    pub achieved_on: Option<NaiveDate>,
    pub outcome: Option<Outcome>,
    pub story: Option<String>,
    pub reuse: Option<Vec<Reuse>>,
    pub measurable: Option<Measurable>,
    pub permanence: Option<Permanence>,
}

impl SuccessDraft {
    pub fn into_fields(self, today: NaiveDate) -> (Uuid, SuccessFields) {
        let fields = SuccessFields {
            title: self.title,
            plan_id: self.plan_id,
            objective_id: self.objective_id,
            achieved_on: self.achieved_on.unwrap_or(today),
            anatomy: Anatomy {
                outcome: self.outcome,
                story: self.story,
                reuse: self.reuse.unwrap_or_default(),
                measurable: self.measurable,
                permanence: self.permanence,
            },
        };
        (self.account_id, fields)
    }
}

/// A merge patch of a success; `reuse`, when given, replaces the list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuccessPatch {
    #[serde(default, deserialize_with = "present")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub plan_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    pub objective_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    pub achieved_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "double_option")]
    pub outcome: Option<Option<Outcome>>,
    #[serde(default, deserialize_with = "double_option")]
    pub story: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub reuse: Option<Vec<Reuse>>,
    #[serde(default, deserialize_with = "double_option")]
    pub measurable: Option<Option<Measurable>>,
    #[serde(default, deserialize_with = "double_option")]
    pub permanence: Option<Option<Permanence>>,
}

impl SuccessPatch {
    pub fn apply_to(self, f: &mut SuccessFields) {
        set(&mut f.title, self.title);
        set(&mut f.plan_id, self.plan_id);
        set(&mut f.objective_id, self.objective_id);
        set(&mut f.achieved_on, self.achieved_on);
        let a = &mut f.anatomy;
        set(&mut a.outcome, self.outcome);
        set(&mut a.story, self.story);
        set(&mut a.reuse, self.reuse);
        set(&mut a.measurable, self.measurable);
        set(&mut a.permanence, self.permanence);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn permanence(since: NaiveDate) -> Permanence {
        Permanence {
            behaviour_change: "weekly ops review uses the dashboard".into(),
            sustained_since: since,
        }
    }

    #[test]
    fn permanence_needs_ninety_days() {
        let a = Anatomy {
            permanence: Some(permanence(date(2026, 1, 1))),
            ..Anatomy::default()
        };
        assert!(!a.has(Part::Permanence, date(2026, 3, 31)), "89 days");
        assert!(a.has(Part::Permanence, date(2026, 4, 1)), "90 days");
    }

    fn full() -> Anatomy {
        Anatomy {
            outcome: Some(Outcome {
                description: "Cut month-end close from 10 to 6 days".into(),
                purposeful: true,
            }),
            story: Some("How finance got its Fridays back".into()),
            reuse: vec![Reuse {
                scope: ReuseScope::Department,
                description: "Procurement runs the same close".into(),
            }],
            measurable: Some(Measurable {
                metric: "close_days".into(),
                baseline: 10.0,
                result: 6.0,
                target: Some(5.0),
                kpi_id: None,
            }),
            permanence: Some(permanence(date(2026, 5, 1))),
        }
    }

    #[test]
    fn score_and_missing_for_every_part() {
        let as_of = date(2026, 9, 30);
        assert_eq!(Anatomy::default().score(as_of), (0, Part::ALL.to_vec()));
        assert_eq!(full().score(as_of), (5, vec![]));
        for part in Part::ALL {
            let mut one_short = full();
            match part {
                Part::Outcome => one_short.outcome = None,
                Part::Story => one_short.story = None,
                Part::Reuse => one_short.reuse.clear(),
                Part::Measurable => one_short.measurable = None,
                Part::Permanence => one_short.permanence = Some(permanence(date(2026, 7, 3))),
            }
            assert_eq!(one_short.score(as_of), (4, vec![*part]), "{part:?}");
        }
    }

    #[test]
    fn bad_fields_are_named() {
        let today = date(2026, 9, 30);
        let mut a = full();
        a.outcome.as_mut().unwrap().description = " ".into();
        a.measurable.as_mut().unwrap().result = f64::NAN;
        a.permanence = Some(permanence(date(2026, 10, 1)));
        let f = SuccessFields {
            title: "".into(),
            plan_id: None,
            objective_id: Some(Uuid::nil()),
            achieved_on: date(2026, 10, 1),
            anatomy: a,
        };
        assert_eq!(
            f.check(today).unwrap_err().fields(),
            [
                "title",
                "plan_id",
                "achieved_on",
                "outcome.description",
                "measurable.result",
                "permanence.sustained_since"
            ]
        );
    }

    fn fields(anatomy: Anatomy) -> SuccessFields {
        SuccessFields {
            title: "Faster close".into(),
            plan_id: None,
            objective_id: None,
            achieved_on: date(2026, 5, 1),
            anatomy,
        }
    }

    fn problems(f: &SuccessFields) -> Vec<String> {
        f.check(date(2026, 9, 30))
            .err()
            .map(|e| e.fields().iter().map(|f| f.to_string()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn a_measurable_win_moved_and_had_an_aim() {
        assert!(problems(&fields(full())).is_empty());
        let mut unmoved = full();
        unmoved.measurable.as_mut().unwrap().result = 10.0;
        assert_eq!(problems(&fields(unmoved)), ["measurable.result"]);
        let mut aimless = full();
        aimless.measurable.as_mut().unwrap().target = None;
        assert_eq!(problems(&fields(aimless.clone())), ["measurable.target"]);
        aimless.measurable.as_mut().unwrap().kpi_id = Some(Uuid::nil());
        assert_eq!(
            problems(&fields(aimless.clone())),
            ["measurable.kpi_id"],
            "a KPI needs its objective"
        );
        let mut of_objective = fields(aimless);
        (of_objective.plan_id, of_objective.objective_id) = (Some(Uuid::nil()), Some(Uuid::nil()));
        assert!(
            problems(&of_objective).is_empty(),
            "the KPI's target is the aim"
        );
    }

    #[test]
    fn permanence_cannot_start_before_the_win() {
        let mut f = fields(full());
        f.achieved_on = date(2026, 5, 2);
        assert_eq!(problems(&f), ["permanence.sustained_since"]);
        f.achieved_on = date(2026, 5, 1);
        assert!(problems(&f).is_empty(), "the same day is fine");
    }
}

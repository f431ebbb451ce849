//! Where a win was reapplied and with what result. The anatomy post says a
//! success is worth most when it is reused: a recorded reuse is the proof,
//! so it completes the success's `reuse` part from the day it was applied,
//! and `successes_reused` counts the wins reapplied in a quarter.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::external_ref::RecordKey;
use super::success::Success;
use super::success_plan::MAX_PROSE_LEN;
use super::validation::{Invalid, check_text};

/// A success holds at most this many recorded reuses.
pub const MAX_RECORDED_REUSES: usize = 500;

/// The numbers a reuse reached where it was applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReuseResult {
    pub baseline: f64,
    /// What was aimed for there, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    pub value: f64,
}

/// A win reapplied at an account (the same one, for another team, or another customer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedReuse {
    pub id: Uuid,
    /// Where it was applied.
    pub account_id: Uuid,
    /// The plan and objective of that account it served, as recorded.
    pub plan_id: Option<Uuid>,
    pub objective_id: Option<Uuid>,
    pub applied_on: NaiveDate,
    /// What it achieved there.
    pub outcome: String,
    pub result: Option<ReuseResult>,
    pub recorded_at: DateTime<Utc>,
}

/// A reuse as a client records it.
#[derive(Debug, Clone)]
pub struct ReuseDraft {
    /// Where it was applied.
    pub account: RecordKey,
    /// A plan of that account.
    pub plan_id: Option<Uuid>,
    /// An objective of `plan_id`.
    pub objective_id: Option<Uuid>,
    /// Default today.
    pub applied_on: Option<NaiveDate>,
    pub outcome: String,
    pub result: Option<ReuseResult>,
}

impl ReuseDraft {
    /// Names every bad field of a reuse of `success`: a win cannot be
    /// reapplied before it was achieved, nor in the future.
    pub fn check(&self, success: &Success, today: NaiveDate) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        if self.objective_id.is_some() && self.plan_id.is_none() {
            e.push("plan_id", "is needed with objective_id");
        }
        let applied_on = self.applied_on.unwrap_or(today);
        if applied_on > today {
            e.push("applied_on", "must not be in the future");
        } else if applied_on < success.fields.achieved_on {
            e.push(
                "applied_on",
                "must not precede the success's achieved_on: a win is reused after it is won",
            );
        }
        check_text(&mut e, "outcome", &self.outcome, MAX_PROSE_LEN);
        if let Some(r) = &self.result {
            for (field, v) in [
                ("result.baseline", Some(r.baseline)),
                ("result.target", r.target),
                ("result.value", Some(r.value)),
            ] {
                if v.is_some_and(|v| !v.is_finite()) {
                    e.push(field, "must be a finite number");
                }
            }
        }
        if success.reuses.len() >= MAX_RECORDED_REUSES {
            e.push(
                "success",
                format!("already holds {MAX_RECORDED_REUSES} reuses, the most one may"),
            );
        }
        e.into_result()
    }

    /// The reuse, applied at `account_id`, recorded `at`.
    pub fn into_reuse(
        self,
        account_id: Uuid,
        today: NaiveDate,
        at: DateTime<Utc>,
    ) -> RecordedReuse {
        RecordedReuse {
            id: Uuid::now_v7(),
            account_id,
            plan_id: self.plan_id,
            objective_id: self.objective_id,
            applied_on: self.applied_on.unwrap_or(today),
            outcome: self.outcome,
            result: self.result,
            recorded_at: at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::success::{Anatomy, SuccessFields};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn win() -> Success {
        Success {
            id: Uuid::nil(),
            account_id: Uuid::nil(),
            fields: SuccessFields {
                title: "Faster close".into(),
                plan_id: None,
                objective_id: None,
                achieved_on: date(2026, 5, 1),
                anatomy: Anatomy::default(),
            },
            reuses: Vec::new(),
            version: 1,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    fn draft() -> ReuseDraft {
        ReuseDraft {
            account: RecordKey::Id(Uuid::nil()),
            plan_id: None,
            objective_id: None,
            applied_on: Some(date(2026, 6, 1)),
            outcome: "Procurement closes in 5 days".into(),
            result: Some(ReuseResult {
                baseline: 9.0,
                target: Some(5.0),
                value: 5.0,
            }),
        }
    }

    fn problems(d: &ReuseDraft, s: &Success) -> Vec<String> {
        d.check(s, date(2026, 9, 30))
            .err()
            .map(|e| e.fields().iter().map(|f| f.to_string()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn a_reuse_after_the_win_is_good() {
        assert_eq!(draft().check(&win(), date(2026, 9, 30)), Ok(()));
        let same_day = ReuseDraft {
            applied_on: Some(date(2026, 5, 1)),
            result: None,
            ..draft()
        };
        assert_eq!(same_day.check(&win(), date(2026, 9, 30)), Ok(()));
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut d = draft();
        d.objective_id = Some(Uuid::nil());
        d.applied_on = Some(date(2026, 4, 30));
        d.outcome = " ".into();
        d.result.as_mut().unwrap().value = f64::INFINITY;
        assert_eq!(
            problems(&d, &win()),
            ["plan_id", "applied_on", "outcome", "result.value"]
        );
        d.applied_on = Some(date(2026, 10, 1));
        assert!(problems(&d, &win()).contains(&"applied_on".to_owned()));
    }

    #[test]
    fn a_success_holds_a_bounded_number_of_reuses() {
        let mut s = win();
        let one = draft().into_reuse(Uuid::nil(), date(2026, 6, 1), DateTime::UNIX_EPOCH);
        s.reuses = vec![one; MAX_RECORDED_REUSES];
        assert_eq!(problems(&draft(), &s), ["success"]);
    }
}

//! Assessments: one subject's scores on one framework version at one time,
//! with what the framework concluded. Immutable: a newer one supersedes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::external_ref::{ExternalRef, RecordKey};
use super::framework::{Evaluation, Framework, Scores, Subject};
use super::validation::{Invalid, check_opt_text, check_text};

pub const MAX_NOTE_LEN: usize = 2000;
pub const MAX_ASSESSOR_LEN: usize = 200;

/// What a CSM submits.
#[derive(Debug, Clone, PartialEq)]
pub struct AssessmentDraft {
    /// By id or by the account's id in another system.
    pub account: RecordKey,
    /// Required when the framework scores stakeholders, absent otherwise.
    pub stakeholder: Option<RecordKey>,
    pub framework: String,
    pub scores: Scores,
    /// Optional notes by dimension key.
    pub notes: BTreeMap<String, String>,
    pub assessor: Option<String>,
    /// When the scores held; defaults to now.
    pub assessed_at: Option<DateTime<Utc>>,
    /// Its id in the system it came from, so that sending it again finds it.
    pub external_ref: Option<ExternalRef>,
}

/// A stored assessment with the results computed when it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub id: Uuid,
    pub account_id: Uuid,
    pub stakeholder_id: Option<Uuid>,
    pub framework: String,
    pub framework_version: i32,
    pub scores: Scores,
    pub notes: BTreeMap<String, String>,
    pub assessor: Option<String>,
    pub assessed_at: DateTime<Utc>,
    pub results: Evaluation,
    pub created_at: DateTime<Utc>,
    pub external_ref: Option<ExternalRef>,
}

impl Assessment {
    /// Who was assessed: the stakeholder if any, else the account.
    pub fn subject_id(&self) -> Uuid {
        self.stakeholder_id.unwrap_or(self.account_id)
    }

    /// The matrices it places its subject on.
    pub fn matrices(&self) -> Vec<String> {
        self.results
            .classifications
            .iter()
            .map(|(m, _)| m.clone())
            .collect()
    }
}

/// A subject's move on one matrix: its current cell before and after a
/// change to its history (none when it had or has no classification).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellMove {
    pub matrix: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The matrices on which the current cell differs between `before` and
/// `after` (each `(matrix, cell)`), in matrix order.
pub fn cell_moves(before: &[(String, String)], after: &[(String, String)]) -> Vec<CellMove> {
    let before: BTreeMap<&str, &str> = before
        .iter()
        .map(|(m, c)| (m.as_str(), c.as_str()))
        .collect();
    let after: BTreeMap<&str, &str> = after
        .iter()
        .map(|(m, c)| (m.as_str(), c.as_str()))
        .collect();
    let mut matrices: Vec<&str> = before.keys().chain(after.keys()).copied().collect();
    matrices.sort_unstable();
    matrices.dedup();
    matrices
        .into_iter()
        .filter(|m| before.get(m) != after.get(m))
        .map(|m| CellMove {
            matrix: m.to_owned(),
            from: before.get(m).map(|c| (*c).to_owned()),
            to: after.get(m).map(|c| (*c).to_owned()),
        })
        .collect()
}

impl AssessmentDraft {
    /// Checks the draft against its framework, naming every bad field.
    /// `account_id` is the account it names; `stakeholder_account` the
    /// account of the named stakeholder, when one was named.
    pub fn check(
        &self,
        framework: &Framework,
        account_id: Uuid,
        stakeholder_account: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<(), Invalid> {
        let mut e = framework
            .check_scores(&self.scores)
            .err()
            .unwrap_or_default();
        let field = self
            .stakeholder
            .as_ref()
            .map_or_else(|| "stakeholder_id".to_owned(), |k| k.field("stakeholder"));
        match (framework.subject, &self.stakeholder) {
            (Subject::Stakeholder, None) => e.push(
                field,
                format!(
                    "is required: framework {:?} scores stakeholders",
                    framework.key
                ),
            ),
            (Subject::Account, Some(_)) => e.push(
                field,
                format!(
                    "must be absent: framework {:?} scores accounts",
                    framework.key
                ),
            ),
            (Subject::Stakeholder, Some(_)) if stakeholder_account != Some(account_id) => {
                e.push(field, "is a stakeholder of another account")
            }
            _ => {}
        }
        for (key, note) in &self.notes {
            let field = format!("notes.{key}");
            if framework.dimension(key).is_none() {
                e.push(field, "is not a dimension of this framework");
            } else {
                check_text(&mut e, &field, note, MAX_NOTE_LEN);
            }
        }
        check_opt_text(
            &mut e,
            "assessor",
            self.assessor.as_deref(),
            MAX_ASSESSOR_LEN,
        );
        if self.assessed_at.is_some_and(|t| t > now) {
            e.push("assessed_at", "must not be in the future");
        }
        if let Some(Err(bad)) = self.external_ref.as_ref().map(ExternalRef::check) {
            e.extend_under("external_ref", bad);
        }
        e.into_result()
    }

    /// Whether `existing` already records this draft, with the account and
    /// stakeholder it names: a sync sending an assessment again changes
    /// nothing. Times compare to the microsecond, as they are stored; a
    /// draft without `assessed_at` matches any time.
    pub fn is_recorded_by(
        &self,
        existing: &Assessment,
        account_id: Uuid,
        stakeholder_id: Option<Uuid>,
    ) -> bool {
        existing.account_id == account_id
            && existing.stakeholder_id == stakeholder_id
            && existing.framework == self.framework
            && existing.scores == self.scores
            && existing.notes == self.notes
            && existing.assessor == self.assessor
            && self
                .assessed_at
                .is_none_or(|t| t.timestamp_micros() == existing.assessed_at.timestamp_micros())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_move_is_a_matrix_whose_current_cell_changed() {
        let cells = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(m, c)| ((*m).to_owned(), (*c).to_owned()))
                .collect()
        };
        let before = cells(&[("people", "champion"), ("readiness", "ready")]);
        let after = cells(&[
            ("readiness", "ready"),
            ("people", "unactivated"),
            ("value", "high"),
        ]);
        let moved = super::cell_moves(&before, &after);
        let expected = vec![
            super::CellMove {
                matrix: "people".into(),
                from: Some("champion".into()),
                to: Some("unactivated".into()),
            },
            super::CellMove {
                matrix: "value".into(),
                from: None,
                to: Some("high".into()),
            },
        ];
        assert_eq!(moved, expected);
        let gone = super::cell_moves(&after, &[]);
        assert_eq!(gone.len(), 3);
        assert!(gone.iter().all(|m| m.to.is_none()));
        assert!(super::cell_moves(&before, &before).is_empty());
    }

    use super::*;
    use crate::domain::builtin;

    fn draft(framework: &str, scores: &[(&str, f64)]) -> AssessmentDraft {
        AssessmentDraft {
            account: RecordKey::Id(Uuid::from_u128(1)),
            stakeholder: None,
            framework: framework.into(),
            scores: scores.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            notes: BTreeMap::new(),
            assessor: None,
            assessed_at: None,
            external_ref: None,
        }
    }

    #[test]
    fn a_draft_is_recorded_by_the_assessment_of_its_subject_scores_and_time() {
        let f = builtin::framework("readiness").unwrap();
        let mut d = draft("readiness", &[("goal_clarity", 3.0), ("priority", 2.0)]);
        let at: DateTime<Utc> = "2026-11-02T09:00:00.000001Z".parse().unwrap();
        let account = Uuid::from_u128(1);
        let recorded = Assessment {
            id: Uuid::from_u128(5),
            account_id: account,
            stakeholder_id: None,
            framework: "readiness".into(),
            framework_version: 1,
            scores: d.scores.clone(),
            notes: BTreeMap::new(),
            assessor: None,
            assessed_at: at,
            results: f.evaluate(&d.scores).unwrap(),
            created_at: at,
            external_ref: None,
        };
        assert!(
            d.is_recorded_by(&recorded, account, None),
            "no time matches any"
        );
        d.assessed_at = Some(at + chrono::Duration::nanoseconds(300));
        assert!(
            d.is_recorded_by(&recorded, account, None),
            "to the microsecond"
        );
        d.assessed_at = Some(at + chrono::Duration::microseconds(1));
        assert!(!d.is_recorded_by(&recorded, account, None));
        d.assessed_at = Some(at);
        assert!(!d.is_recorded_by(&recorded, Uuid::from_u128(2), None));
        assert!(!d.is_recorded_by(&recorded, account, Some(Uuid::from_u128(3))));
        d.assessor = Some("jane".into());
        assert!(!d.is_recorded_by(&recorded, account, None));
        d.assessor = None;
        d.scores.insert("priority".into(), 3.0);
        assert!(!d.is_recorded_by(&recorded, account, None));
    }

    fn fields(r: Result<(), Invalid>) -> Vec<String> {
        r.unwrap_err()
            .fields()
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn a_stakeholder_framework_needs_a_stakeholder_of_the_account() {
        let f = builtin::framework("purpose_intent").unwrap();
        let now = Utc::now();
        let mut d = draft("purpose_intent", &[("purpose", 7.0), ("intent", 3.0)]);
        let account = Uuid::from_u128(1);
        assert_eq!(fields(d.check(f, account, None, now)), ["stakeholder_id"]);
        d.stakeholder = Some(RecordKey::Id(Uuid::from_u128(9)));
        assert_eq!(
            fields(d.check(f, account, Some(Uuid::from_u128(2)), now)),
            ["stakeholder_id"]
        );
        assert_eq!(d.check(f, account, Some(account), now), Ok(()));
        // Named by its CRM id, the stakeholder is faulted under that field.
        d.stakeholder = Some(RecordKey::Ref(crate::domain::ExternalRef::new(
            "hubspot", "c-7",
        )));
        assert_eq!(
            fields(d.check(f, account, Some(Uuid::from_u128(2)), now)),
            ["stakeholder_ref"]
        );
    }

    #[test]
    fn every_bad_field_at_once() {
        let f = builtin::framework("readiness").unwrap();
        let now = Utc::now();
        let mut d = draft("readiness", &[("goal_clarity", 11.0), ("mood", 3.0)]);
        d.stakeholder = Some(RecordKey::Id(Uuid::from_u128(9)));
        d.notes.insert("priority".into(), " ".into());
        d.notes.insert("vibe".into(), "good".into());
        d.assessor = Some("x".repeat(201));
        d.assessed_at = Some(now + chrono::Duration::hours(1));
        let account = Uuid::from_u128(1);
        let mut got = fields(d.check(f, account, Some(account), now));
        got.sort();
        assert_eq!(
            got,
            [
                "assessed_at",
                "assessor",
                "notes.priority",
                "notes.vibe",
                "scores.goal_clarity",
                "scores.mood",
                "scores.priority",
                "stakeholder_id"
            ]
        );
    }
}

//! Risks to an account's renewal. People raise them (a budget cut, a
//! competitor) and resolve them; the service derives others from what it
//! already knows: a red account close to its renewal, a success plan off
//! track, a champion who left. Derived risks are worked out at every read,
//! so one clears as soon as its cause does.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::metric_set::{Health, Rag};
use super::validation::{Invalid, check_opt_text, check_text};

str_enum! {
    /// What threatens the renewal. `health_near_renewal`, `plan_off_track`
    /// and `champion_left` are also what the service derives.
    pub enum RiskKind {
        Adoption = "adoption",
        Budget = "budget",
        ChampionLeft = "champion_left",
        Competitor = "competitor",
        ExecutiveChange = "executive_change",
        HealthNearRenewal = "health_near_renewal",
        PlanOffTrack = "plan_off_track",
        ProductGap = "product_gap",
        Relationship = "relationship",
        Support = "support",
        Other = "other",
    }
}

pub const MAX_REASON_LEN: usize = 2000;
pub const MAX_BY_LEN: usize = 200;
/// The renewal window when a workspace sets none: about a quarter ahead.
pub const DEFAULT_RENEWAL_WINDOW_DAYS: u32 = 90;
/// The longest renewal window a workspace may set: two years.
pub const MAX_RENEWAL_WINDOW_DAYS: u32 = 730;

/// A risk as someone raises it.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskDraft {
    pub kind: RiskKind,
    pub reason: String,
    /// Who raised it; the key's name when absent.
    pub raised_by: Option<String>,
}

impl RiskDraft {
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        check_text(&mut e, "reason", &self.reason, MAX_REASON_LEN);
        check_opt_text(&mut e, "raised_by", self.raised_by.as_deref(), MAX_BY_LEN);
        e.into_result()
    }
}

/// How a raised risk was closed.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    pub at: DateTime<Utc>,
    pub by: String,
    pub note: Option<String>,
}

/// A resolution as someone gives it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResolutionDraft {
    /// Who resolved it; the key's name when absent.
    pub by: Option<String>,
    pub note: Option<String>,
}

impl ResolutionDraft {
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        check_opt_text(&mut e, "resolved_by", self.by.as_deref(), MAX_BY_LEN);
        check_opt_text(&mut e, "resolution", self.note.as_deref(), MAX_REASON_LEN);
        e.into_result()
    }
}

/// A risk someone raised, open until resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Risk {
    pub id: Uuid,
    pub account_id: Uuid,
    pub kind: RiskKind,
    pub reason: String,
    pub raised_at: DateTime<Utc>,
    pub raised_by: String,
    pub resolution: Option<Resolution>,
    pub version: i64,
}

impl Risk {
    pub fn is_open(&self) -> bool {
        self.resolution.is_none()
    }
}

/// A risk the service sees in an account's own records.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivedRisk {
    pub kind: RiskKind,
    pub reason: String,
    /// The plan or stakeholder it comes from, if any.
    pub subject_id: Option<Uuid>,
}

/// An active plan, as far as risk goes.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanSignal {
    pub id: Uuid,
    pub name: String,
    pub off_track: bool,
}

/// A champion who left the customer.
#[derive(Debug, Clone, PartialEq)]
pub struct DepartedChampion {
    pub id: Uuid,
    pub name: String,
    pub left_on: NaiveDate,
}

/// Everything the derived risks of one account rest on, at one day.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskSignals {
    pub as_of: NaiveDate,
    pub renewal_date: Option<NaiveDate>,
    pub window_days: u32,
    /// The account's health on the metric set read, with the set's key.
    pub health: Option<(String, Health)>,
    pub plans: Vec<PlanSignal>,
    pub departed: Vec<DepartedChampion>,
}

/// Whether a renewal on `renewal` is due within `window_days` of `as_of`
/// (an overdue one still is: nothing was renewed).
pub fn renewal_near(renewal: NaiveDate, as_of: NaiveDate, window_days: u32) -> bool {
    (renewal - as_of).num_days() <= i64::from(window_days)
}

/// How close an account's renewal is, on one day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Renewal {
    pub date: Option<NaiveDate>,
    /// Days from the day read to the renewal; negative once overdue.
    pub days: Option<i64>,
    pub window_days: u32,
    /// Due within the window, or overdue.
    pub near: bool,
}

impl Renewal {
    pub fn at(date: Option<NaiveDate>, as_of: NaiveDate, window_days: u32) -> Self {
        Self {
            date,
            days: date.map(|d| (d - as_of).num_days()),
            window_days,
            near: date.is_some_and(|d| renewal_near(d, as_of, window_days)),
        }
    }
}

impl RiskSignals {
    /// The risks these signals raise, in a fixed order: renewal first.
    pub fn derived(&self) -> Vec<DerivedRisk> {
        let mut risks = Vec::new();
        if let (Some(renewal), Some((set, health))) = (self.renewal_date, &self.health)
            && health.colour == Rag::Red
            && renewal_near(renewal, self.as_of, self.window_days)
        {
            let days = (renewal - self.as_of).num_days();
            risks.push(DerivedRisk {
                kind: RiskKind::HealthNearRenewal,
                reason: format!(
                    "health is red on {set} with the renewal on {renewal} ({days} days away, \
                     window {} days)",
                    self.window_days
                ),
                subject_id: None,
            });
        }
        risks.extend(
            self.plans
                .iter()
                .filter(|p| p.off_track)
                .map(|p| DerivedRisk {
                    kind: RiskKind::PlanOffTrack,
                    reason: format!("success plan {:?} is off track", p.name),
                    subject_id: Some(p.id),
                }),
        );
        risks.extend(
            self.departed
                .iter()
                .filter(|c| c.left_on <= self.as_of)
                .map(|c| DerivedRisk {
                    kind: RiskKind::ChampionLeft,
                    reason: format!("champion {} left on {}", c.name, c.left_on),
                    subject_id: Some(c.id),
                }),
        );
        risks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn health(colour: Rag) -> Option<(String, Health)> {
        Some((
            "qbr_traditional".into(),
            Health {
                score: Some(20.0),
                colour,
                coverage: Some(100.0),
            },
        ))
    }

    fn signals(renewal: &str, colour: Rag) -> RiskSignals {
        RiskSignals {
            as_of: day("2026-12-01"),
            renewal_date: Some(day(renewal)),
            window_days: 90,
            health: health(colour),
            plans: Vec::new(),
            departed: Vec::new(),
        }
    }

    fn kinds(s: &RiskSignals) -> Vec<RiskKind> {
        s.derived().into_iter().map(|r| r.kind).collect()
    }

    #[test]
    fn red_health_counts_only_within_the_window() {
        // 2026-12-01 + 90 days = 2027-03-01.
        assert_eq!(
            kinds(&signals("2027-03-01", Rag::Red)),
            [RiskKind::HealthNearRenewal]
        );
        assert_eq!(kinds(&signals("2027-03-02", Rag::Red)), []);
        assert_eq!(
            kinds(&signals("2026-11-01", Rag::Red)),
            [RiskKind::HealthNearRenewal],
            "an overdue renewal is still near"
        );
        assert_eq!(kinds(&signals("2027-01-01", Rag::Amber)), []);
        let mut none = signals("2027-01-01", Rag::Red);
        none.renewal_date = None;
        assert_eq!(kinds(&none), []);
    }

    #[test]
    fn the_reason_says_how_far_the_renewal_is() {
        let r = &signals("2027-01-01", Rag::Red).derived()[0];
        assert_eq!(
            r.reason,
            "health is red on qbr_traditional with the renewal on 2027-01-01 (31 days away, \
             window 90 days)"
        );
    }

    #[test]
    fn off_track_plans_and_departed_champions_raise_risks() {
        let mut s = signals("2028-01-01", Rag::Red);
        let (p1, p2, c1, c2) = (
            Uuid::nil(),
            Uuid::max(),
            Uuid::from_u128(1),
            Uuid::from_u128(2),
        );
        s.plans = vec![
            PlanSignal {
                id: p1,
                name: "Rollout".into(),
                off_track: true,
            },
            PlanSignal {
                id: p2,
                name: "Pilot".into(),
                off_track: false,
            },
        ];
        s.departed = vec![
            DepartedChampion {
                id: c1,
                name: "Ann".into(),
                left_on: day("2026-11-30"),
            },
            DepartedChampion {
                id: c2,
                name: "Bob".into(),
                left_on: day("2026-12-02"),
            },
        ];
        let risks = s.derived();
        assert_eq!(
            risks
                .iter()
                .map(|r| (r.kind, r.subject_id))
                .collect::<Vec<_>>(),
            [
                (RiskKind::PlanOffTrack, Some(p1)),
                (RiskKind::ChampionLeft, Some(c1))
            ],
            "a champion leaving tomorrow has not left yet"
        );
        assert_eq!(risks[1].reason, "champion Ann left on 2026-11-30");
    }

    #[test]
    fn drafts_name_every_bad_field() {
        let d = RiskDraft {
            kind: RiskKind::Budget,
            reason: " ".into(),
            raised_by: Some("x".repeat(201)),
        };
        let fields: Vec<String> = d
            .validate()
            .unwrap_err()
            .0
            .into_iter()
            .map(|f| f.field)
            .collect();
        assert_eq!(fields, ["reason", "raised_by"]);
        let r = ResolutionDraft {
            by: Some(String::new()),
            note: Some("y".repeat(2001)),
        };
        let fields: Vec<String> = r
            .validate()
            .unwrap_err()
            .0
            .into_iter()
            .map(|f| f.field)
            .collect();
        assert_eq!(fields, ["resolved_by", "resolution"]);
    }

    #[test]
    fn renewal_proximity_counts_days_from_the_day_read() {
        let r = Renewal::at(Some(day("2027-01-01")), day("2026-12-01"), 30);
        assert_eq!((r.days, r.near), (Some(31), false));
        let r = Renewal::at(Some(day("2026-11-29")), day("2026-12-01"), 30);
        assert_eq!((r.days, r.near), (Some(-2), true));
        let r = Renewal::at(None, day("2026-12-01"), 30);
        assert_eq!((r.days, r.near), (None, false));
    }

    proptest::proptest! {
        /// A wider window never makes a near renewal far.
        #[test]
        fn a_wider_window_keeps_near_renewals_near(days in -1000i64..1000, w in 0u32..730, more in 0u32..730) {
            let as_of = day("2026-12-01");
            let renewal = as_of + chrono::Duration::days(days);
            if renewal_near(renewal, as_of, w) {
                proptest::prop_assert!(renewal_near(renewal, as_of, w + more));
            }
            proptest::prop_assert_eq!(renewal_near(renewal, as_of, w), days <= i64::from(w));
        }
    }

    #[test]
    fn kind_strings_round_trip() {
        for k in RiskKind::ALL {
            assert_eq!(k.as_str().parse::<RiskKind>(), Ok(*k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::json!(k.as_str())
            );
        }
    }
}

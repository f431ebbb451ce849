//! The hand-worked QBR of issue 4, reviewing 2026-Q3 (1 July – 1 October
//! 2026) with the built-in `qbr_traditional` set. The account became a
//! customer on 2024-07-15 with an original ARR of 100,000.
//!
//! | metric             | agg  | 2025-Q4 | 2026-Q1 | 2026-Q2          | 2026-Q3                              |
//! |--------------------|------|---------|---------|------------------|--------------------------------------|
//! | logins             | sum  | 80      | –       | 40 + 60 = 100    | 100 (07-01 00:00) + 50 + 25 = 175    |
//! | survey_nps         | avg  | –       | –       | 0                | (40 + 20) / 2 = 30                   |
//! | arr                | last | –       | –       | 105,000          | 110,000 then 120,000 → 120,000       |
//! | open_support_cases | last | –       | –       | –                | 3 then 6 → 6                         |
//! | paid_up            | last | –       | –       | –                | 0                                    |
//!
//! 999 logins at 2026-10-01 00:00 belong to Q4, not Q3.
//! - logins: change 75, change % 75.
//! - survey_nps: change 30, change % null (previous 0); green_at 30 → 100, green
//!   (edge); target 50 → attainment 0.6.
//! - arr: change 15,000, change % 15,000 / 105,000 × 100 = 14.285714…
//! - arr_growth: Q3 (120,000 − 100,000) × 100 / 100,000 = 20 % → 100, green; Q2 5 %
//!   (the green edge).
//! - open_support_cases: (6 − 10) / (2 − 10) × 100 = 50, amber; attainment 2 / 6.
//! - paid_up: 0 = red_at → 0, red; weight 2.
//! - tenure_months: 2024-07-15 → 2026-10-01 = 26 whole months (Q2: 23).
//! - health = (1·100 + 2·0 + 1·50 + 1·100) / (1 + 2 + 1 + 1) = 50 → amber.
use super::*;
use crate::domain::builtin;
use crate::domain::quarter::FiscalCalendar;
use crate::domain::success_reuse::RecordedReuse;
use chrono::TimeZone;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, s).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    at(y, m, d, 12, 0, 0)
}

fn record() -> AccountRecord {
    let obs = |rows: &[(DateTime<Utc>, f64)]| rows.to_vec();
    AccountRecord {
        customer_since: NaiveDate::from_ymd_opt(2024, 7, 15),
        original_arr: Some(100_000.0),
        current_arr: Some(120_000.0),
        renewal_date: NaiveDate::from_ymd_opt(2026, 12, 31),
        observations: [
            (
                "logins",
                obs(&[
                    (day(2025, 11, 1), 80.0),
                    (day(2026, 4, 1), 40.0),
                    (at(2026, 6, 30, 23, 59, 59), 60.0),
                    (at(2026, 7, 1, 0, 0, 0), 100.0),
                    (day(2026, 8, 15), 50.0),
                    (at(2026, 9, 30, 23, 59, 59), 25.0),
                    (at(2026, 10, 1, 0, 0, 0), 999.0),
                ]),
            ),
            (
                "survey_nps",
                obs(&[
                    (day(2026, 5, 5), 0.0),
                    (day(2026, 7, 10), 40.0),
                    (day(2026, 9, 1), 20.0),
                ]),
            ),
            (
                "arr",
                obs(&[
                    (day(2026, 6, 30), 105_000.0),
                    (day(2026, 7, 1), 110_000.0),
                    (day(2026, 9, 15), 120_000.0),
                ]),
            ),
            (
                "open_support_cases",
                obs(&[(day(2026, 8, 1), 3.0), (day(2026, 9, 20), 6.0)]),
            ),
            ("paid_up", obs(&[(day(2026, 9, 1), 0.0)])),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
        ..AccountRecord::default()
    }
}

fn periods(cal: FiscalCalendar, reviewed: &str) -> Vec<(Quarter, Period)> {
    let q: Quarter = reviewed.parse().unwrap();
    (0..4)
        .rev()
        .map(|n| {
            let q = q.back(n);
            (
                q,
                Period {
                    start: cal.start(q),
                    end: cal.end(q),
                    zone: Zone::default(),
                },
            )
        })
        .collect()
}

fn review_of(cal: FiscalCalendar, reviewed: &str) -> SetReview {
    let defs = builtin::metrics()
        .iter()
        .map(|m| (m.key.clone(), m.clone()))
        .collect();
    let set = builtin::metric_sets()
        .iter()
        .find(|s| s.key == "qbr_traditional")
        .unwrap();
    review(
        set,
        &defs,
        &record(),
        &periods(cal, reviewed),
        Comparison::PreviousQuarter,
    )
}

#[test]
fn set_health_says_what_the_review_says() {
    let defs = builtin::metrics()
        .iter()
        .map(|m| (m.key.clone(), m.clone()))
        .collect();
    for set in builtin::metric_sets() {
        for cal in [
            FiscalCalendar::default(),
            FiscalCalendar::starting_in(4).unwrap(),
        ] {
            let periods = periods(cal, "2026-Q3");
            for record in [record(), AccountRecord::default()] {
                let full = review(set, &defs, &record, &periods, Comparison::PreviousQuarter);
                let (health, missing) =
                    set_health(set, &defs, &record, periods[periods.len() - 1].1);
                assert_eq!(health, full.health, "{}", set.key);
                assert_eq!(missing, full.missing().map(|(k, _)| k).collect::<Vec<_>>());
            }
        }
    }
}

fn line<'a>(r: &'a SetReview, key: &str) -> &'a MetricReview {
    r.metrics.iter().find(|m| m.metric.key == key).unwrap()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

fn check_q3(r: &SetReview, names: [&str; 4]) {
    let logins = line(r, "logins");
    assert_eq!(logins.reading, Ok(175.0));
    assert_eq!(
        (logins.previous, logins.change, logins.change_pct),
        (Some(100.0), Some(75.0), Some(75.0))
    );
    let trend: Vec<(String, Option<f64>)> = logins
        .trend
        .iter()
        .map(|(q, v)| (q.to_string(), *v))
        .collect();
    assert_eq!(
        trend,
        [
            (names[0].into(), Some(80.0)),
            (names[1].into(), None),
            (names[2].into(), Some(100.0)),
            (names[3].into(), Some(175.0))
        ]
    );
    assert_eq!(logins.rating, None, "no thresholds, no rating");

    let nps = line(r, "survey_nps");
    assert_eq!(
        (nps.reading, nps.previous, nps.change, nps.change_pct),
        (Ok(30.0), Some(0.0), Some(30.0), None)
    );
    assert_eq!(
        nps.rating,
        Some(Rating {
            score: 100.0,
            rag: Rag::Green
        })
    );
    assert!(close(nps.attainment, 0.6));

    let arr = line(r, "arr");
    assert_eq!((arr.reading, arr.change), (Ok(120_000.0), Some(15_000.0)));
    assert!(close(arr.change_pct, 14.285_714_285_714_286));

    let growth = line(r, "arr_growth");
    assert_eq!((growth.reading, growth.previous), (Ok(20.0), Some(5.0)));
    assert_eq!(growth.rating.map(|r| r.rag), Some(Rag::Green));
    assert_eq!(growth.attainment, Some(1.0));

    let cases = line(r, "open_support_cases");
    assert_eq!(cases.reading, Ok(6.0));
    assert_eq!(
        cases.rating,
        Some(Rating {
            score: 50.0,
            rag: Rag::Amber
        })
    );
    assert!(close(cases.attainment, 2.0 / 6.0));
    assert_eq!(cases.previous, None);
    assert_eq!(cases.change_pct, None);

    assert_eq!(
        line(r, "paid_up").rating,
        Some(Rating {
            score: 0.0,
            rag: Rag::Red
        })
    );
    let tenure = line(r, "tenure_months");
    assert_eq!((tenure.reading, tenure.previous), (Ok(26.0), Some(23.0)));
    // 120,000 now against 100,000 at signing; the renewal on 2026-12-31 is
    // 92 days after the quarter's last day, 2026-09-30 (31 + 30 + 31).
    assert_eq!(line(r, "arr_change").reading, Ok(20_000.0));
    let renewal = line(r, "days_to_renewal");
    assert_eq!((renewal.reading, renewal.previous), (Ok(92.0), Some(184.0)));

    assert_eq!(r.health.score, Some(50.0));
    assert_eq!(r.health.colour, Rag::Amber);
    let missing: Vec<&str> = r.missing().map(|(k, _)| k).collect();
    assert_eq!(
        missing,
        ["renewals_count", "survey_csat", "page_views", "reports_run"]
    );
}

#[test]
fn the_hand_worked_quarter() {
    check_q3(
        &review_of(FiscalCalendar::default(), "2026-Q3"),
        ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"],
    );
}

/// With the fiscal year starting in April, July–September 2026 is FY2027-Q2.
#[test]
fn the_same_quarter_from_april() {
    let cal = FiscalCalendar::starting_in(4).unwrap();
    check_q3(
        &review_of(cal, "2027-Q2"),
        ["2026-Q3", "2026-Q4", "2027-Q1", "2027-Q2"],
    );
    let shifted = review_of(cal, "2026-Q3");
    assert_eq!(
        line(&shifted, "logins").reading,
        Ok(80.0),
        "FY2026-Q3 is October–December 2025"
    );
}

#[test]
fn derived_from_assessments() {
    let a = Uuid::from_u128(1);
    let (s1, s2, s3) = (Uuid::from_u128(2), Uuid::from_u128(3), Uuid::from_u128(4));
    let c = |matrix: &str, subject, cell: &str, closeness, t| Classified {
        matrix: matrix.into(),
        subject_id: subject,
        cell: cell.into(),
        closeness,
        assessed_at: t,
        role: None,
        involved_in_purchase: false,
        left_on: None,
    };
    let r = AccountRecord {
        classifications: vec![
            c("readiness", a, "dreamer", 0.5, day(2026, 2, 1)),
            c("readiness", a, "achiever", 0.9, day(2026, 10, 2)),
            c("purpose_intent", s1, "committed", 1.0, day(2026, 8, 1)),
            c("purpose_intent", s2, "committed", 1.0, day(2026, 3, 1)),
            c("purpose_intent", s2, "directionless", 0.4, day(2026, 9, 1)),
            c("purpose_intent", s3, "committed", 1.0, day(2026, 9, 2)),
            c("purpose_intent", s3, "committed", 1.0, day(2026, 12, 2)),
        ],
        expansions: vec![(day(2026, 5, 1), 0.2222), (day(2026, 11, 1), 0.9)],
        ..AccountRecord::default()
    };
    let q3 = Period {
        start: day(2026, 7, 1),
        end: at(2026, 10, 1, 0, 0, 0),
        zone: Zone::default(),
    };
    let read = |key: &str| r.reading(builtin::metric(key).unwrap(), q3);
    assert_eq!(read("readiness_score"), Ok(50.0));
    assert!(close(read("stakeholder_alignment").ok(), 200.0 / 3.0));
    assert!(close(read("expansion_readiness").ok(), 22.22));
    assert_eq!(read("outcome_attainment"), Err(NoData::NoActivePlans));
    assert_eq!(read("successes_captured"), Ok(0.0));
    assert_eq!(read("tenure_months"), Err(NoData::NoCustomerSince));
    assert_eq!(read("arr_growth"), Err(NoData::NoOriginalArr));
    let early = Period {
        start: day(2025, 7, 1),
        end: day(2025, 10, 1),
        zone: Zone::default(),
    };
    assert_eq!(
        r.reading(builtin::metric("readiness_score").unwrap(), early),
        Err(NoData::NotAssessed("readiness"))
    );
}

#[test]
fn outcome_attainment_and_successes_captured() {
    use crate::domain::success::{Anatomy, SuccessFields};
    use crate::domain::success_plan::{
        Kpi, Milestone, Objective, ObjectiveStatus, PlanFields, PlanStatus,
    };
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let objective = |kpis: Vec<Kpi>, milestones: Vec<Milestone>| Objective {
        id: Uuid::now_v7(),
        title: "o".into(),
        outcome: None,
        weight: 1.0,
        due_date: None,
        status: ObjectiveStatus::InProgress,
        kpis,
        milestones,
        created_at: None,
    };
    let milestone = |done| Milestone {
        id: Uuid::now_v7(),
        title: "m".into(),
        owner: None,
        due_date: None,
        done,
        done_on: None,
        created_at: None,
    };
    let logins = Kpi {
        id: Uuid::now_v7(),
        name: "Logins".into(),
        metric_key: Some("logins".into()),
        unit: None,
        baseline: 0.0,
        target: 100.0,
        current: None,
        created_at: None,
        history: Vec::new(),
    };
    let plan = |status, start, objectives| SuccessPlan {
        id: Uuid::now_v7(),
        account_id: Uuid::nil(),
        fields: PlanFields {
            name: "p".into(),
            owner: None,
            status,
            status_reason: None,
            start_date: start,
            target_date: date(2026, 12, 28),
            template_id: None,
        },
        objectives,
        version: 1,
        created_at: day(2026, 7, 1),
        updated_at: day(2026, 7, 1),
    };
    // A: milestones 1 of 2 (0.5) and logins 0 → 100; C is a draft; D
    // starts in Q4 with nothing in it (progress 0).
    let a = plan(
        PlanStatus::Active,
        date(2026, 7, 1),
        vec![
            objective(vec![], vec![milestone(true), milestone(false)]),
            objective(vec![logins], vec![]),
        ],
    );
    let r = AccountRecord {
        plans: vec![
            a,
            plan(PlanStatus::Draft, date(2026, 7, 1), vec![]),
            plan(PlanStatus::Active, date(2026, 10, 15), vec![]),
        ],
        kpi_observations: HashMap::from([(
            "logins".to_owned(),
            vec![(day(2026, 9, 15), 40.0), (day(2026, 10, 5), 90.0)],
        )]),
        // The first win reapplied in August and twice in October, the
        // second once in October, the third never.
        successes: [
            (
                date(2026, 7, 1),
                &[(2026, 8, 15), (2026, 10, 3), (2026, 10, 20)][..],
            ),
            (date(2026, 9, 30), &[(2026, 10, 10)][..]),
            (date(2026, 10, 1), &[][..]),
        ]
        .map(|(achieved_on, reused)| Success {
            id: Uuid::now_v7(),
            account_id: Uuid::nil(),
            fields: SuccessFields {
                title: "win".into(),
                plan_id: None,
                objective_id: None,
                achieved_on,
                anatomy: Anatomy::default(),
            },
            reuses: reused
                .iter()
                .map(|&(y, m, d)| RecordedReuse {
                    id: Uuid::now_v7(),
                    account_id: Uuid::nil(),
                    plan_id: None,
                    objective_id: None,
                    applied_on: date(y, m, d),
                    outcome: "again".into(),
                    result: None,
                    recorded_at: day(2026, 10, 21),
                })
                .collect(),
            version: 1,
            created_at: day(2026, 10, 2),
            updated_at: day(2026, 10, 2),
        })
        .to_vec(),
        ..AccountRecord::default()
    };
    let midnight = |y, m, d| at(y, m, d, 0, 0, 0);
    let q3 = Period {
        start: midnight(2026, 7, 1),
        end: midnight(2026, 10, 1),
        zone: Zone::default(),
    };
    let q4 = Period {
        start: midnight(2026, 10, 1),
        end: midnight(2027, 1, 1),
        zone: Zone::default(),
    };
    let read = |key: &str, p| r.reading(builtin::metric(key).unwrap(), p);
    // Q3: A only, (0.5 + 40/100) / 2 = 0.45.
    assert!(close(read("outcome_attainment", q3).ok(), 45.0));
    // Q4: A is (0.5 + 0.9) / 2 = 0.7, D is 0: (0.7 + 0) / 2 = 0.35.
    assert!(close(read("outcome_attainment", q4).ok(), 35.0));
    assert_eq!(read("successes_captured", q3), Ok(2.0));
    assert_eq!(read("successes_captured", q4), Ok(1.0));
    // Reused wins count once each, whenever they were achieved.
    assert_eq!(read("successes_reused", q3), Ok(1.0));
    assert_eq!(read("successes_reused", q4), Ok(2.0));
    let before = Period {
        start: midnight(2026, 4, 1),
        end: midnight(2026, 7, 1),
        zone: Zone::default(),
    };
    assert_eq!(
        read("outcome_attainment", before),
        Err(NoData::NoActivePlans)
    );
}

/// Weekly logins rose, yet a running quarter read against a whole one falls.
/// Today is 2026-08-27, day 58 of Q3: 58 days to its end. The previous
/// quarter's same span runs from 1 April to the end of 28 May.
/// Q2 logins: 40 (10 Apr) + 42 (20 May) in the span, 900 (15 Jun) after it:
/// 82 like for like, 982 whole. Q3 to date: 45 (10 Jul) + 54 (20 Aug) = 99;
/// 120 on 1 Sep is after now. Change 99 − 82 = 17, 17 / 82 × 100 = 20.731707 %.
#[test]
fn a_running_quarter_is_compared_with_the_same_span_of_the_previous_one() {
    let logins = vec![
        (day(2026, 4, 10), 40.0),
        (day(2026, 5, 20), 42.0),
        (day(2026, 6, 15), 900.0),
        (day(2026, 7, 10), 45.0),
        (day(2026, 8, 20), 54.0),
        (day(2026, 9, 1), 120.0),
    ];
    let record = AccountRecord {
        observations: [("logins".to_owned(), logins)].into(),
        ..AccountRecord::default()
    };
    let cal = FiscalCalendar::default();
    let mut periods = periods(cal, "2026-Q3");
    let (q2, q3) = (periods[2].1, periods[3].1);
    let end_of_today = at(2026, 8, 28, 0, 0, 0);
    let (reviewed, comparison) = Comparison::at(q3, q2, end_of_today);
    assert_eq!(reviewed.end, end_of_today);
    let Comparison::SameSpan(span) = comparison else {
        panic!("a running quarter compares like for like")
    };
    assert_eq!((span.start, span.end), (q2.start, at(2026, 5, 29, 0, 0, 0)));
    periods[3].1 = reviewed;
    let defs = builtin::metrics()
        .iter()
        .map(|m| (m.key.clone(), m.clone()))
        .collect();
    let set = MetricSet {
        key: "usage".into(),
        label: "Usage".into(),
        description: None,
        metrics: vec![SetMetric {
            metric: "logins".into(),
            target: None,
            weight: 1.0,
            green_at: None,
            red_at: None,
        }],
    };
    let r = review(&set, &defs, &record, &periods, comparison);
    let l = line(&r, "logins");
    assert_eq!(
        (l.reading, l.previous, l.previous_full_quarter),
        (Ok(99.0), Some(82.0), Some(982.0))
    );
    assert_eq!(l.change, Some(17.0));
    assert!(close(l.change_pct, 20.731_707_317_073_17));
    assert_eq!(comparison.basis(), "same_span_of_previous_quarter");

    // An ended quarter (or one not begun) is read whole against the whole previous one.
    assert_eq!(
        Comparison::at(q3, q2, q3.end),
        (q3, Comparison::PreviousQuarter)
    );
    assert_eq!(
        Comparison::at(q3, q2, day(2026, 6, 1)),
        (q3, Comparison::PreviousQuarter)
    );
}

/// 2026-Q4 has no observation of any stock metric: each carries the level
/// it was left at in Q3, with when that was observed. A flow does not.
/// - arr: 120,000 observed 2026-09-15, as in Q3 → change 0; arr_growth 20 %.
/// - survey_nps: the last survey, 20 on 2026-09-01 (not Q3's average 30).
/// - open_support_cases: 6 from 2026-09-20; nothing before 2026-08-01, so
///   Q1 and Q2 have no value to carry.
/// - logins (flow): only Q4's own 999.
#[test]
fn stock_metrics_carry_their_last_level_into_a_quarter_without_observations() {
    let r = review_of(FiscalCalendar::default(), "2026-Q4");
    let carried = |at| {
        Some(LastObserved {
            at,
            carried_forward: true,
        })
    };
    let arr = line(&r, "arr");
    assert_eq!(
        (arr.reading, arr.previous, arr.change),
        (Ok(120_000.0), Some(120_000.0), Some(0.0))
    );
    assert_eq!(arr.last_observed, carried(day(2026, 9, 15)));
    assert_eq!(line(&r, "arr_growth").reading, Ok(20.0));
    assert_eq!(line(&r, "arr_growth").last_observed, None, "derived");
    let nps = line(&r, "survey_nps");
    assert_eq!((nps.reading, nps.previous), (Ok(20.0), Some(30.0)));
    assert_eq!(nps.last_observed, carried(day(2026, 9, 1)));
    let cases = line(&r, "open_support_cases");
    let trend: Vec<Option<f64>> = cases.trend.iter().map(|(_, v)| *v).collect();
    assert_eq!(trend, [None, None, Some(6.0), Some(6.0)]);
    assert_eq!(cases.last_observed, carried(day(2026, 9, 20)));
    let logins = line(&r, "logins");
    assert_eq!((logins.reading, logins.last_observed), (Ok(999.0), None));
    assert!(
        r.missing()
            .all(|(k, _)| !["arr", "survey_nps", "open_support_cases", "paid_up"].contains(&k))
    );

    let q3 = review_of(FiscalCalendar::default(), "2026-Q3");
    assert_eq!(
        line(&q3, "arr").last_observed,
        Some(LastObserved {
            at: day(2026, 9, 15),
            carried_forward: false
        })
    );
}

/// An unactivated executive sponsor (directionless) and a committed user:
/// weights 3 and 1, so 1 / (3 + 1) = 25 %; the user in the purchase weighs
/// 1.5, so 1.5 / 4.5 = 33.3 %; with sponsors weighing as much as users, 50 %.
#[test]
fn alignment_weighs_stakeholders_by_influence() {
    use crate::domain::stakeholder::{Influence, StakeholderRole};
    let person = |n: u128, role, involved_in_purchase, cell: &str| Classified {
        matrix: "purpose_intent".into(),
        subject_id: Uuid::from_u128(n),
        cell: cell.into(),
        closeness: 0.5,
        assessed_at: day(2026, 8, 1),
        role: Some(role),
        involved_in_purchase,
        left_on: None,
    };
    let q3 = Period {
        start: day(2026, 7, 1),
        end: at(2026, 10, 1, 0, 0, 0),
        zone: Zone::default(),
    };
    let alignment = |involved: bool, influence: Influence| {
        let r = AccountRecord {
            classifications: vec![
                person(1, StakeholderRole::ExecutiveSponsor, false, "directionless"),
                person(2, StakeholderRole::User, involved, "committed"),
            ],
            influence,
            ..AccountRecord::default()
        };
        r.reading(builtin::metric("stakeholder_alignment").unwrap(), q3)
            .unwrap()
    };
    assert_eq!(alignment(false, Influence::default()), 25.0);
    assert!(close(
        Some(alignment(true, Influence::default())),
        100.0 / 3.0
    ));
    let flat = Influence {
        buyer_and_sponsor: 1.0,
        ..Influence::default()
    };
    assert_eq!(alignment(false, flat), 50.0);
    let mut gone = person(3, StakeholderRole::Champion, true, "committed");
    gone.left_on = Some(NaiveDate::from_ymd_opt(2026, 9, 30).unwrap());
    let r = AccountRecord {
        classifications: vec![
            person(1, StakeholderRole::ExecutiveSponsor, false, "directionless"),
            gone,
        ],
        ..AccountRecord::default()
    };
    let read = r.reading(builtin::metric("stakeholder_alignment").unwrap(), q3);
    assert_eq!(
        read,
        Ok(0.0),
        "a champion gone by the quarter's last day no longer counts"
    );
}

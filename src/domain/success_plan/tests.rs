use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

fn kpi(baseline: f64, target: f64) -> Kpi {
    Kpi {
        id: Uuid::nil(),
        name: "k".into(),
        metric_key: None,
        unit: None,
        baseline,
        target,
        current: None,
        created_at: None,
        history: Vec::new(),
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn kpi_attainment_both_ways_and_clamped() {
    assert_eq!(kpi(20.0, 80.0).attainment(Some(50.0)), 0.5);
    assert_eq!(kpi(10.0, 4.0).attainment(Some(7.0)), 0.5, "lower is better");
    assert_eq!(kpi(20.0, 80.0).attainment(Some(95.0)), 1.0);
    assert_eq!(kpi(20.0, 80.0).attainment(Some(5.0)), 0.0);
    assert_eq!(kpi(10.0, 4.0).attainment(Some(12.0)), 0.0);
    assert_eq!(kpi(20.0, 80.0).attainment(None), 0.0);
    assert_eq!(kpi(5.0, 5.0).check().unwrap_err().fields(), ["target"]);
    assert_eq!(kpi(5.0, 6.0).check(), Ok(()));
    let linked_with_current = Kpi {
        metric_key: Some("logins".into()),
        current: Some(3.0),
        ..kpi(0.0, 10.0)
    };
    assert_eq!(
        linked_with_current.check().unwrap_err().fields(),
        ["current"]
    );
}

#[test]
fn objective_progress_from_its_parts() {
    assert_eq!(Objective::progress(&[0.5, 1.0], 0, 0), 0.75, "KPIs only");
    assert_eq!(Objective::progress(&[], 1, 4), 0.25, "milestones only");
    assert_eq!(
        Objective::progress(&[0.5, 1.0], 1, 4),
        0.5,
        "(0.75 + 0.25) / 2"
    );
    assert_eq!(Objective::progress(&[], 0, 0), 0.0, "neither");
}

fn milestones(done: usize, of: usize) -> Vec<Milestone> {
    (0..of)
        .map(|i| Milestone {
            id: Uuid::nil(),
            title: format!("m{i}"),
            owner: None,
            due_date: None,
            done: i < done,
            done_on: None,
            created_at: None,
        })
        .collect()
}

fn objective(weight: f64, kpis: Vec<Kpi>, ms: Vec<Milestone>) -> Objective {
    Objective {
        id: Uuid::now_v7(),
        title: "o".into(),
        outcome: None,
        weight,
        due_date: None,
        status: ObjectiveStatus::InProgress,
        kpis,
        milestones: ms,
        created_at: None,
    }
}

fn plan(objectives: Vec<Objective>) -> SuccessPlan {
    SuccessPlan {
        id: Uuid::nil(),
        account_id: Uuid::nil(),
        fields: PlanFields {
            name: "Onboarding".into(),
            owner: None,
            status: PlanStatus::Active,
            status_reason: None,
            start_date: date(2026, 1, 1),
            target_date: date(2026, 4, 11),
            template_id: None,
        },
        objectives,
        version: 1,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

#[test]
fn plan_progress_is_weighted_and_reads_linked_metrics() {
    // Objective A (weight 3): all 4 milestones done → 1.0.
    // Objective B (weight 1): KPI logins 100 → 300, observed 150 → 0.25.
    // Plan: (3 · 1.0 + 1 · 0.25) / 4 = 0.8125.
    let logins = Kpi {
        metric_key: Some("logins".into()),
        ..kpi(100.0, 300.0)
    };
    let p = plan(vec![
        objective(3.0, vec![], milestones(4, 4)),
        objective(1.0, vec![logins], vec![]),
    ]);
    let seen = Utc::now();
    let progress = p.progress(date(2026, 2, 20), Zone::default(), |m| {
        (m == "logins").then_some((150.0, seen))
    });
    assert_eq!(progress.progress, 0.8125);
    assert_eq!(progress.expected, 0.5);
    assert_eq!(progress.health, PlanHealth::OnTrack);
    assert_eq!(progress.objectives[1].kpis[0].current, Some(150.0));
    assert_eq!(progress.objectives[1].kpis[0].observed_at, Some(seen));
    let unobserved = p.progress(date(2026, 2, 20), Zone::default(), |_| None);
    assert_eq!(unobserved.progress, 0.75);
    assert_eq!(
        plan(vec![])
            .progress(date(2026, 1, 1), Zone::default(), |_| None)
            .progress,
        0.0
    );
}

#[test]
fn a_milestone_counts_from_when_it_was_done() {
    let mut p = plan(vec![objective(1.0, vec![], milestones(0, 2))]);
    let m = &mut p.objectives[0].milestones[0];
    m.done = true;
    m.settle(
        Utc.with_ymd_and_hms(2026, 2, 1, 9, 0, 0).unwrap(),
        Zone::default(),
    );
    assert_eq!(m.done_on, Some(date(2026, 2, 1)));
    assert_eq!(
        p.progress(date(2026, 1, 31), Zone::default(), |_| None)
            .progress,
        0.0
    );
    assert_eq!(
        p.progress(date(2026, 2, 1), Zone::default(), |_| None)
            .progress,
        0.5
    );
    let m = &mut p.objectives[0].milestones[1];
    m.done_on = Some(date(2026, 1, 5));
    assert_eq!(m.check(date(2026, 1, 1)).unwrap_err().fields(), ["done_on"]);
    MilestonePatch {
        done: Some(false),
        ..MilestonePatch::default()
    }
    .apply_to(&mut p.objectives[0].milestones[0]);
    assert_eq!(
        p.objectives[0].milestones[0].done_on, None,
        "undone, undated"
    );
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

#[test]
fn achieved_needs_every_objective_done_or_a_reason() {
    let mut p = plan(vec![objective(1.0, vec![], vec![])]);
    p.fields.status = PlanStatus::Achieved;
    assert_eq!(p.check_achieved().unwrap_err().fields(), ["status"]);
    p.objectives[0].status = ObjectiveStatus::Done;
    assert_eq!(p.check_achieved(), Ok(()));
    let mut empty = plan(vec![]);
    empty.fields.status = PlanStatus::Achieved;
    assert!(
        empty.check_achieved().is_err(),
        "nothing done in an empty plan"
    );
    empty.fields.status_reason = Some("customer signed off early".into());
    assert_eq!(empty.check_achieved(), Ok(()));
}

#[test]
fn dates_out_of_order_and_bad_weights_are_named() {
    let mut p = plan(vec![]);
    p.fields.target_date = p.fields.start_date;
    assert_eq!(p.check().unwrap_err().fields(), ["target_date"]);
    let mut o = objective(-1.0, vec![kpi(1.0, 1.0)], milestones(0, 1));
    o.milestones[0].due_date = Some(date(2025, 12, 31));
    assert_eq!(
        o.check(date(2026, 1, 1)).unwrap_err().fields(),
        ["weight", "kpis[0].target", "milestones[0].due_date"]
    );
    let mut p = plan(vec![objective(1.0, vec![], milestones(0, 1))]);
    p.objectives[0].milestones[0].due_date = Some(date(2026, 1, 5));
    p.fields.start_date = date(2026, 1, 6);
    assert_eq!(p.check().unwrap_err().fields(), ["start_date"]);
    let mut p = plan(vec![objective(1.0, vec![], milestones(0, 1))]);
    p.fields.start_date = date(9999, 12, 1);
    p.fields.target_date = date(9999, 12, 31);
    p.objectives[0].milestones[0].due_date = Some(date(10000, 1, 30));
    assert_eq!(
        p.check().unwrap_err().fields(),
        ["start_date"],
        "a due date past 9999"
    );
    p.fields.target_date = date(10000, 2, 1);
    assert_eq!(
        p.check().unwrap_err().fields(),
        ["target_date", "start_date"]
    );
}

#[test]
fn templates_place_due_dates_at_offsets() {
    let t = TemplateFields {
        name: "Onboarding".into(),
        description: None,
        duration_days: 90,
        objectives: vec![TemplateObjective {
            title: "Go live".into(),
            outcome: None,
            weight: Some(2.0),
            due_offset_days: Some(60),
            kpis: vec![TemplateKpi {
                name: "Weekly logins".into(),
                metric_key: Some("logins".into()),
                unit: None,
                baseline: 0.0,
                target: 200.0,
            }],
            milestones: vec![TemplateMilestone {
                title: "Kick-off".into(),
                owner: None,
                due_offset_days: Some(7),
            }],
        }],
    };
    assert_eq!(t.check(), Ok(()));
    let start = date(2026, 12, 28);
    let objectives = t.instantiate(start);
    assert_eq!(objectives[0].due_date, Some(date(2027, 2, 26)));
    assert_eq!(objectives[0].milestones[0].due_date, Some(date(2027, 1, 4)));
    assert_eq!(objectives[0].weight, 2.0);
    assert_eq!(t.target_date(start), Some(date(2027, 3, 28)));
    let mut late = t.clone();
    late.objectives[0].milestones[0].due_offset_days = Some(91);
    late.objectives[0].weight = Some(0.0);
    assert_eq!(
        late.check().unwrap_err().fields(),
        [
            "objectives[0].weight",
            "objectives[0].milestones[0].due_offset_days"
        ]
    );
}

proptest! {
    #[test]
    fn attainment_is_a_share_and_monotone(b in -1e3f64..1e3, gap in 0.01f64..1e3, c1 in -3e3f64..3e3, c2 in -3e3f64..3e3) {
        let (lo, hi) = (c1.min(c2), c1.max(c2));
        let up = |c| kpi(b, b + gap).attainment(Some(c));
        let down = |c| kpi(b, b - gap).attainment(Some(c));
        prop_assert!((0.0..=1.0).contains(&up(lo)) && (0.0..=1.0).contains(&down(lo)));
        prop_assert!(up(lo) <= up(hi));
        prop_assert!(down(hi) <= down(lo));
    }

    #[test]
    fn plan_progress_is_a_share(weights in proptest::collection::vec(0.01f64..1000.0, 0..6), done in 0usize..5) {
        let objectives: Vec<Objective> = weights.iter().map(|w| objective(*w, vec![], milestones(done.min(4), 4))).collect();
        let p = plan(objectives).progress(date(2026, 3, 1), Zone::default(), |_| None);
        prop_assert!((0.0..=1.0 + 1e-12).contains(&p.progress));
    }
}

/// A plan entered on 2026-08-01 (start 2026-07-01) with objective A: a KPI
/// typed by hand, 0 → 100, at 30 that morning and 40 that afternoon (the
/// day it was entered, so it reads as the plan's value from its start).
/// On 2026-12-02 the CSM adds objective B (one milestone, done) and types
/// 80 on A's KPI. Progress at 2026-09-30 stays A alone at 40 → 0.4; today
/// it is (0.8 + 1.0) / 2 = 0.9.
#[test]
fn a_past_progress_stays_as_it_was_when_parts_and_values_come_later() {
    let at = |m, d, h| Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap();
    let zone = Zone::default();
    let mut typed = Kpi {
        current: Some(30.0),
        ..kpi(0.0, 100.0)
    };
    typed.enter(at(8, 1, 9), zone);
    typed.current = Some(40.0);
    typed.settle(at(8, 1, 15));
    let mut p = SuccessPlan {
        created_at: at(8, 1, 9),
        ..plan(vec![objective(1.0, vec![typed], vec![])])
    };
    p.fields.start_date = date(2026, 7, 1);
    p.fields.target_date = date(2027, 1, 1);
    p.objectives[0].enter(at(8, 1, 9), zone);
    let before = p.progress(date(2026, 9, 30), zone, |_| None);
    assert_eq!(before.progress, 0.4);
    assert_eq!(
        p.progress(date(2026, 7, 15), zone, |_| None).progress,
        0.4,
        "entered after the fact, read from the start"
    );

    let today = at(12, 2, 9);
    let typed = &mut p.objectives[0].kpis[0];
    typed.current = Some(80.0);
    typed.settle(today);
    let mut b = objective(1.0, vec![], milestones(1, 1));
    b.enter(today, zone);
    p.objectives.push(b);

    assert_eq!(p.progress(date(2026, 9, 30), zone, |_| None), before);
    let now = p.progress(date(2026, 12, 2), zone, |_| None);
    assert_eq!(now.progress, 0.9);
    assert_eq!(now.objectives[0].kpis[0].current, Some(80.0));
    let history: Vec<Option<f64>> = p.objectives[0].kpis[0]
        .history
        .iter()
        .map(|v| v.value)
        .collect();
    assert_eq!(history, [Some(30.0), Some(40.0), Some(80.0)]);

    // A KPI from before values were kept keeps its one value for every day.
    let mut undated = Kpi {
        current: Some(12.0),
        ..kpi(0.0, 100.0)
    };
    undated.settle(today);
    assert_eq!(
        (undated.history.len(), undated.value_known_at(at(1, 1, 0))),
        (0, Some(12.0))
    );
}

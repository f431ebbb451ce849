//! Health and QBR use cases: one account's health as of a date, a quarter's
//! health across the book of business, and the QBR pack of an account.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use uuid::Uuid;

use super::page::paginate_ranked;
use super::portfolio::Placed;
use super::risks::AccountRisks;
use super::success_plans::today;
use super::{App, AppError, AssessedPlan, AssessedSuccess, Listed, PageRequest, Principal, now};
use crate::domain::filter::PlanFilter;
use crate::domain::filter::SuccessFilter;
use crate::domain::filter::{AccountScope, Accounts, HealthOrder, HealthRows};
use crate::domain::framework::is_key;
use crate::domain::metric::{Derivation, MetricDefinition, MetricKind, Source};
use crate::domain::metric_set::{Health, MetricSet, Rag, worst_first};
use crate::domain::observation::Observation;
use crate::domain::qbr::{
    ALIGNMENT_MATRIX, ARR, AccountRecord, Audience, Comparison, EXPANSION_EQUATION,
    EXPANSION_FRAMEWORK, Period, READINESS_MATRIX, SetReview, TREND_QUARTERS, review, set_health,
};
use crate::domain::quarter::{FiscalCalendar, Quarter, YEARS, YEARS_MESSAGE};
use crate::domain::risk::{MAX_RENEWAL_WINDOW_DAYS, Renewal};
use crate::domain::stakeholder::Influence;
use crate::domain::success_plan::{PlanStatus, SuccessPlan};
use crate::domain::{Account, Invalid, Role};
use crate::store::Page;
use crate::store::assessments::AccountBrief;
use crate::store::observations::Holders;

/// The set reviewed when a request names none.
pub const DEFAULT_METRIC_SET: &str = "qbr_traditional";

/// The most metric sets one QBR compares.
pub const MAX_COMPARED_SETS: usize = 4;

/// One account's health on a metric set, quarter to date.
#[derive(Debug, Clone)]
pub struct AccountHealth {
    pub account: Account,
    pub as_of: DateTime<Utc>,
    pub quarter: Quarter,
    pub period: Period,
    pub review: SetReview,
    /// The previous quarter's same elapsed span (its whole, once the
    /// quarter has ended), which each metric's `previous` covers.
    pub compared_with: Period,
    /// The set's health over `compared_with`: where the account stood at
    /// the same point of the previous quarter.
    pub previous_health: Health,
    /// Its renewal and what threatens it, on `as_of`'s day.
    pub risks: AccountRisks,
}

/// One account's line in a portfolio's health.
#[derive(Debug, Clone)]
pub struct HealthRow {
    pub account_id: Uuid,
    pub name: String,
    pub health: Health,
    /// Metrics of the set without data in the quarter.
    pub missing: Vec<String>,
    /// How near its renewal is on the day read.
    pub renewal: Renewal,
    /// Risks raised against it and not yet resolved.
    pub open_risks: u64,
}

/// A quarter's health across the accounts in scope.
#[derive(Debug, Clone)]
pub struct PortfolioHealth {
    pub metric_set: MetricSet,
    pub quarter: Quarter,
    pub period: Period,
    /// Accounts per colour, `no_data` included.
    pub counts: Vec<(Rag, u64)>,
    /// Worst first, a page at a time.
    pub accounts: Listed<HealthRow>,
}

impl PortfolioHealth {
    /// How many accounts in scope have this colour.
    pub fn count(&self, colour: Rag) -> u64 {
        self.counts
            .iter()
            .find(|(c, _)| *c == colour)
            .map_or(0, |(_, n)| *n)
    }
}

/// The QBR pack of one account and quarter.
#[derive(Debug, Clone)]
pub struct Qbr {
    pub account: Account,
    pub quarter: Quarter,
    pub period: Period,
    pub fiscal_year_start_month: u32,
    /// What the values cover: the quarter, or its start up to now while it runs.
    pub reviewed: Period,
    /// What `previous` means in each metric.
    pub comparison: Comparison,
    /// What each metric's `previous` covers.
    pub compared_with: Period,
    /// Who the pack is for: a customer's holds no working notes.
    pub audience: Audience,
    /// One review per metric set asked for, in the order asked.
    pub sections: Vec<SetReview>,
    /// The latest classification of the account and its stakeholders on
    /// each matrix, as of the quarter's end.
    pub classifications: Vec<Placed>,
    /// The quarter's last day, or today while it runs: what plans and
    /// successes are judged at.
    pub as_of: NaiveDate,
    /// The account's plans begun by `as_of`, with their progress then.
    pub plans: Vec<AssessedPlan>,
    /// The successes achieved in the quarter, their anatomy at `as_of`.
    pub successes: Vec<AssessedSuccess>,
    /// The renewal and what threatens it at `as_of`: the team's only.
    pub risks: Option<AccountRisks>,
}

/// Which records a set's metrics are computed from.
#[derive(Debug, Clone)]
pub(super) struct Needs {
    observed: Vec<String>,
    /// The observed metrics that are levels: their latest value before
    /// the periods read is carried into a period without observations.
    stocks: Vec<String>,
    matrices: Vec<&'static str>,
    expansion: bool,
    pub(super) plans: bool,
    successes: bool,
    /// Successes achieved before the period count too: they may be reused in it.
    reused: bool,
}

impl Needs {
    pub(super) fn of<'a>(metrics: impl IntoIterator<Item = &'a MetricDefinition>) -> Self {
        let mut n = Needs {
            observed: Vec::new(),
            stocks: Vec::new(),
            matrices: Vec::new(),
            expansion: false,
            plans: false,
            successes: false,
            reused: false,
        };
        for m in metrics {
            match (m.source, Derivation::of(&m.key)) {
                (Source::Observed, _) => {
                    n.observed.push(m.key.clone());
                    if m.kind == MetricKind::Stock {
                        n.stocks.push(m.key.clone());
                    }
                }
                (_, Some(Derivation::ArrGrowth)) => {
                    n.observed.push(ARR.to_owned());
                    n.stocks.push(ARR.to_owned());
                }
                (_, Some(Derivation::ReadinessScore)) => n.matrices.push(READINESS_MATRIX),
                (_, Some(Derivation::StakeholderAlignment)) => n.matrices.push(ALIGNMENT_MATRIX),
                (_, Some(Derivation::ExpansionReadiness)) => n.expansion = true,
                (_, Some(Derivation::OutcomeAttainment)) => n.plans = true,
                (_, Some(Derivation::SuccessesCaptured)) => n.successes = true,
                (_, Some(Derivation::SuccessesReused)) => {
                    n.successes = true;
                    n.reused = true;
                }
                _ => {}
            }
        }
        for keys in [&mut n.observed, &mut n.stocks] {
            keys.sort();
            keys.dedup();
        }
        n.matrices.sort();
        n.matrices.dedup();
        n
    }
}

/// Adds an observation to its metric's series in a record.
fn add(series: &mut HashMap<String, Vec<(DateTime<Utc>, f64)>>, o: Observation) {
    series
        .entry(o.metric)
        .or_default()
        .push((o.observed_at, o.value));
}

/// Every metric the plans' KPIs read.
fn linked_metrics(plans: &[SuccessPlan]) -> Vec<String> {
    let mut keys: Vec<String> = plans.iter().flat_map(SuccessPlan::linked_metrics).collect();
    keys.sort();
    keys.dedup();
    keys
}

fn parse_quarter(raw: Option<&str>, cal: FiscalCalendar) -> Result<Quarter, Invalid> {
    match raw {
        None => Ok(cal.containing(now())),
        Some(q) => q.parse().map_err(|why| Invalid::single("quarter", why)),
    }
}

pub(super) fn quarter_period(cal: FiscalCalendar, q: Quarter) -> Period {
    Period {
        start: cal.start(q),
        end: cal.end(q),
        zone: cal.zone(),
    }
}

impl App {
    /// The metric sets named, with the definitions of their metrics.
    async fn sets_with_metrics(
        &self,
        p: &Principal,
        field: &str,
        keys: &[String],
    ) -> Result<(Vec<MetricSet>, HashMap<String, MetricDefinition>), AppError> {
        if keys.is_empty() || keys.len() > MAX_COMPARED_SETS || keys.iter().any(|k| !is_key(k)) {
            return Err(Invalid::single(
                field,
                format!("must name 1 to {MAX_COMPARED_SETS} metric set keys"),
            )
            .into());
        }
        let mut sets = Vec::with_capacity(keys.len());
        for k in keys {
            sets.push(self.catalogued::<MetricSet>(p, k).await?.definition);
        }
        Ok((sets, self.metrics_by_key(p).await?))
    }

    /// What one account's metrics in `sets` rest on, from `from` to `to`.
    async fn account_record(
        &self,
        p: &Principal,
        account: &Account,
        needs: &Needs,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        influence: Influence,
    ) -> Result<AccountRecord, AppError> {
        let ws = p.workspace_id;
        let mut record = AccountRecord {
            customer_since: account.fields.customer_since,
            original_arr: account.fields.original_arr,
            renewal_date: account.fields.renewal_date,
            current_arr: account.fields.current_arr,
            influence,
            ..AccountRecord::default()
        };
        if !needs.observed.is_empty() {
            let one = Accounts::One(account.id);
            let levels = self
                .store
                .latest_observations(ws, one, Holders::Every, &needs.stocks, from)
                .await?;
            let in_period = self
                .store
                .observations_in_period(ws, one, &needs.observed, from, to)
                .await?;
            for o in levels.into_iter().chain(in_period) {
                add(&mut record.observations, o);
            }
        }
        if !needs.matrices.is_empty() {
            record.classifications = self
                .store
                .account_classified(ws, account.id, &needs.matrices)
                .await?;
        }
        if needs.expansion {
            record.expansions = self
                .store
                .equation_values(
                    ws,
                    Accounts::One(account.id),
                    EXPANSION_FRAMEWORK,
                    EXPANSION_EQUATION,
                    to,
                )
                .await?
                .into_iter()
                .map(|(_, t, v)| (t, v))
                .collect();
        }
        if needs.plans {
            record.plans = self.store.account_plans(ws, account.id).await?;
            let linked = linked_metrics(&record.plans);
            if !linked.is_empty() {
                // KPIs read the latest value before a period's end, however old.
                for o in self
                    .store
                    .observations_in_period(
                        ws,
                        Accounts::One(account.id),
                        &linked,
                        DateTime::<Utc>::MIN_UTC,
                        to,
                    )
                    .await?
                {
                    add(&mut record.kpi_observations, o);
                }
            }
        }
        if needs.successes {
            let filter = SuccessFilter {
                account_id: Some(account.id),
                ..SuccessFilter::default()
            };
            record.successes = self.store.successes(ws, &filter, Page::all()).await?;
        }
        Ok(record)
    }

    /// An account's health on a set, over its quarter up to `as_of` (default now).
    pub async fn account_health(
        &self,
        p: &Principal,
        account_id: Uuid,
        set_key: &str,
        as_of: Option<DateTime<Utc>>,
    ) -> Result<AccountHealth, AppError> {
        p.require_within_reach(Role::Read)?;
        let (mut sets, defs) = self
            .sets_with_metrics(p, "metric_set", &[set_key.to_owned()])
            .await?;
        let account = self.account(p, account_id).await?;
        let set = sets.remove(0);
        let as_of = as_of.unwrap_or_else(now);
        let reading = self.reading(p).await?;
        let cal = reading.calendar;
        let quarter = cal.containing(as_of);
        if !YEARS.contains(&quarter.year) {
            return Err(Invalid::single("as_of", YEARS_MESSAGE).into());
        }
        let previous = quarter_period(cal, quarter.previous());
        let through = as_of + Duration::microseconds(1);
        let (period, comparison) = Comparison::at(quarter_period(cal, quarter), previous, through);
        let compared_with = comparison.previous(previous);
        let mut needs = Needs::of(set.metrics.iter().filter_map(|m| defs.get(&m.metric)));
        // Plans off track are risks to the renewal.
        needs.plans = true;
        let record = self
            .account_record(
                p,
                &account,
                &needs,
                (previous.start, period.end),
                reading.influence,
            )
            .await?;
        let periods = [(quarter.previous(), previous), (quarter, period)];
        let review = review(&set, &defs, &record, &periods, comparison);
        let (previous_health, _) = set_health(&set, &defs, &record, compared_with);
        let health = Some((review.set.key.clone(), review.health));
        let risks = self
            .account_risks(
                p,
                &account,
                &record,
                health,
                cal.zone().day_of(as_of),
                reading,
            )
            .await?;
        Ok(AccountHealth {
            account,
            as_of,
            quarter,
            period,
            review,
            compared_with,
            previous_health,
            risks,
        })
    }

    /// The QBR pack of an account for a quarter (default: the current one),
    /// for `audience`: by default the team's, and a customer's for a key
    /// limited to accounts, which may not ask for the team's.
    pub async fn qbr(
        &self,
        p: &Principal,
        account_id: Uuid,
        set_keys: &[String],
        quarter: Option<&str>,
        audience: Option<Audience>,
    ) -> Result<Qbr, AppError> {
        p.require_within_reach(Role::Read)?;
        let audience = match (audience, p.reach.accounts()) {
            (Some(Audience::Team), Some(_)) => return Err(AppError::BeyondReach),
            (Some(chosen), _) => chosen,
            (None, Some(_)) => Audience::Customer,
            (None, None) => Audience::Team,
        };
        let reading = self.reading(p).await?;
        let cal = reading.calendar;
        let field = if set_keys.len() == 1 {
            "metric_set"
        } else {
            "compare"
        };
        let quarter = parse_quarter(quarter, cal);
        let sets = self.sets_with_metrics(p, field, set_keys).await;
        let (quarter, (sets, defs)) = match (quarter, sets) {
            (Ok(q), Ok(s)) => (q, s),
            (Err(mut e), Err(AppError::Invalid(more))) => {
                e.0.extend(more.0);
                return Err(e.into());
            }
            (Err(e), _) => return Err(e.into()),
            (_, Err(e)) => return Err(e),
        };
        let account = self.account(p, account_id).await?;
        let mut periods: Vec<(Quarter, Period)> = (0..TREND_QUARTERS as i64)
            .rev()
            .map(|n| (quarter.back(n), quarter_period(cal, quarter.back(n))))
            .collect();
        let period = quarter_period(cal, quarter);
        let previous = periods[periods.len() - 2].1;
        let end_of_today = cal.zone().end_of(today(cal.zone()));
        let (reviewed, comparison) = Comparison::at(period, previous, end_of_today);
        if let Some(last) = periods.last_mut() {
            last.1 = reviewed;
        }
        let mut needs = Needs::of(
            sets.iter()
                .flat_map(|s| &s.metrics)
                .filter_map(|m| defs.get(&m.metric)),
        );
        // The pack shows the account's plans and the quarter's successes.
        needs.plans = true;
        needs.successes = true;
        let record = self
            .account_record(
                p,
                &account,
                &needs,
                (periods[0].1.start, period.end),
                reading.influence,
            )
            .await?;
        let sections: Vec<SetReview> = sets
            .iter()
            .map(|s| review(s, &defs, &record, &periods, comparison))
            .collect();
        let classifications = if audience.sees_working_notes() {
            self.account_classifications(p, account_id).await?
        } else {
            Vec::new()
        };
        let classifications = classifications
            .into_iter()
            .filter_map(|h| {
                h.history
                    .into_iter()
                    .find(|c| c.placement.assessed_at < period.end)
            })
            .collect();
        let as_of = period.last_day().min(today(cal.zone()));
        let risks = if audience.sees_working_notes() {
            let health = sections.first().map(|s| (s.set.key.clone(), s.health));
            Some(
                self.account_risks(p, &account, &record, health, as_of, reading)
                    .await?,
            )
        } else {
            None
        };
        let plans = record
            .plans
            .iter()
            .filter(|p| p.fields.start_date <= as_of)
            .map(|p| AssessedPlan::new(p.clone(), record.plan_progress(p, as_of, cal.zone())))
            .collect();
        let successes = record
            .successes
            .iter()
            .filter(|s| period.holds_day(s.fields.achieved_on))
            .map(|s| AssessedSuccess::at(s.clone(), as_of))
            .map(|mut s| {
                if !audience.sees_working_notes() {
                    s.missing.clear();
                }
                s
            })
            .collect();
        Ok(Qbr {
            account,
            quarter,
            period,
            fiscal_year_start_month: cal.start_month(),
            reviewed,
            comparison,
            compared_with: comparison.previous(previous),
            audience,
            sections,
            classifications,
            as_of,
            plans,
            successes,
            risks,
        })
    }

    /// A quarter's health on a set for every account in scope, worst first.
    pub async fn portfolio_health(
        &self,
        p: &Principal,
        set_key: &str,
        quarter: Option<&str>,
        (scope, view): (&AccountScope, HealthRows),
        page: &PageRequest,
    ) -> Result<PortfolioHealth, AppError> {
        p.require_within_reach(Role::Read)?;
        let scope = &p.narrow(scope.clone());
        let (page, size) = page.resolve()?;
        let reading = self.reading(p).await?;
        let cal = reading.calendar;
        let quarter = parse_quarter(quarter, cal)?;
        if let Some(days) = view.renewal_within_days
            && days > MAX_RENEWAL_WINDOW_DAYS
        {
            return Err(Invalid::single(
                "renewal_within_days",
                format!("must be from 0 to {MAX_RENEWAL_WINDOW_DAYS} days"),
            )
            .into());
        }
        if !is_key(set_key) {
            // A path names a resource: one that cannot exist is not found.
            return Err(AppError::NotFound("metric set"));
        }
        let (mut sets, defs) = self
            .sets_with_metrics(p, "key", &[set_key.to_owned()])
            .await?;
        let set = sets.remove(0);
        let period = quarter_period(cal, quarter);
        let needs = Needs::of(set.metrics.iter().filter_map(|m| defs.get(&m.metric)));
        let accounts = self.store.accounts_in_scope(p.workspace_id, scope).await?;
        let book = self
            .portfolio_records(p, accounts, &needs, scope, (period, reading.influence))
            .await?;
        let mut open_risks: HashMap<Uuid, u64> = HashMap::new();
        for r in self.store.open_risks(p.workspace_id, scope).await? {
            *open_risks.entry(r.account_id).or_default() += 1;
        }
        let day = (
            period.last_day().min(today(cal.zone())),
            reading.renewal_window_days,
        );
        // A whole book's health is CPU work: off the async workers.
        let (set, rows) = tokio::task::spawn_blocking(move || {
            let rows = book.health(&set, &defs, period, day, &open_risks);
            (set, shown(rows, view))
        })
        .await
        .map_err(|e| AppError::Internal(format!("portfolio health: {e}")))?;
        let counts = Rag::ALL
            .iter()
            .copied()
            .map(|c| {
                (
                    c,
                    rows.iter().filter(|r| r.health.colour == c).count() as u64,
                )
            })
            .collect();
        Ok(PortfolioHealth {
            metric_set: set,
            quarter,
            period,
            counts,
            accounts: paginate_ranked(rows, page, size),
        })
    }

    /// The `accounts` of a scope with what `needs` names of their records in
    /// `period`: one read per kind of record, each limited to the scope in SQL.
    pub(super) async fn portfolio_records(
        &self,
        p: &Principal,
        accounts: Vec<AccountBrief>,
        needs: &Needs,
        scope: &AccountScope,
        (period, influence): (Period, Influence),
    ) -> Result<Book, AppError> {
        let ws = p.workspace_id;
        let last = period.end - Duration::microseconds(1);
        let in_scope = Accounts::InScope(scope);
        let mut book = Book::of(accounts, influence);
        if !needs.observed.is_empty() {
            let levels = self
                .store
                .latest_observations(ws, in_scope, Holders::Every, &needs.stocks, period.start)
                .await?;
            let in_period = self
                .store
                .observations_in_period(ws, in_scope, &needs.observed, period.start, period.end)
                .await?;
            for o in levels.into_iter().chain(in_period) {
                if let Some(r) = book.record(o.account_id) {
                    add(&mut r.observations, o);
                }
            }
        }
        if !needs.matrices.is_empty() {
            for (account, c) in self
                .store
                .classified_as_of(ws, scope, &needs.matrices, last)
                .await?
            {
                if let Some(r) = book.record(account) {
                    r.classifications.push(c);
                }
            }
        }
        if needs.expansion {
            for (account, t, v) in self
                .store
                .equation_values(ws, in_scope, EXPANSION_FRAMEWORK, EXPANSION_EQUATION, last)
                .await?
            {
                if let Some(r) = book.record(account) {
                    r.expansions.push((t, v));
                }
            }
        }
        if needs.plans {
            let active = PlanFilter {
                status: Some(PlanStatus::Active),
                accounts: scope.clone(),
                ..PlanFilter::default()
            };
            let plans = self.store.plans(ws, &active, Page::all()).await?;
            let linked = linked_metrics(&plans);
            for o in self
                .store
                .latest_observations(ws, in_scope, Holders::Planned, &linked, period.end)
                .await?
            {
                if let Some(r) = book.record(o.account_id) {
                    add(&mut r.kpi_observations, o);
                }
            }
            for plan in plans {
                if let Some(r) = book.record(plan.account_id) {
                    r.plans.push(plan);
                }
            }
        }
        if needs.successes {
            let in_period = SuccessFilter {
                accounts: scope.clone(),
                achieved_from: (!needs.reused).then(|| period.zone.day_of(period.start)),
                achieved_before: Some(period.zone.day_of(period.end)),
                ..SuccessFilter::default()
            };
            for s in self.store.successes(ws, &in_period, Page::all()).await? {
                if let Some(r) = book.record(s.account_id) {
                    r.successes.push(s);
                }
            }
        }
        Ok(book)
    }
}

/// The accounts of a portfolio read, each with its record, in id order.
pub(super) struct Book {
    accounts: Vec<AccountBrief>,
    pub(super) records: Vec<AccountRecord>,
    index: HashMap<Uuid, usize>,
}

impl Book {
    fn of(accounts: Vec<AccountBrief>, influence: Influence) -> Self {
        let index = accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id, i))
            .collect();
        let records = accounts
            .iter()
            .map(|a| AccountRecord {
                customer_since: a.customer_since,
                original_arr: a.original_arr,
                renewal_date: a.renewal_date,
                current_arr: a.current_arr,
                influence,
                ..AccountRecord::default()
            })
            .collect();
        Book {
            accounts,
            records,
            index,
        }
    }

    /// The account's record; `None` for an account created since the
    /// accounts were read, which the view leaves out.
    pub(super) fn record(&mut self, id: Uuid) -> Option<&mut AccountRecord> {
        self.index.get(&id).map(|&i| &mut self.records[i])
    }

    /// Every account's health on `set` in `period`, worst first.
    fn health(
        self,
        set: &MetricSet,
        defs: &HashMap<String, MetricDefinition>,
        period: Period,
        (as_of, window_days): (NaiveDate, u32),
        open_risks: &HashMap<Uuid, u64>,
    ) -> Vec<HealthRow> {
        let mut rows: Vec<HealthRow> = self
            .accounts
            .into_iter()
            .zip(&self.records)
            .map(|(account, record)| {
                let (health, missing) = set_health(set, defs, record, period);
                HealthRow {
                    account_id: account.id,
                    name: account.name,
                    health,
                    missing: missing.into_iter().map(str::to_owned).collect(),
                    renewal: Renewal::at(account.renewal_date, as_of, window_days),
                    open_risks: open_risks.get(&account.id).copied().unwrap_or(0),
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            worst_first(&a.health, &b.health).then(a.account_id.cmp(&b.account_id))
        });
        rows
    }
}

/// The rows `view` shows, in its order; `rows` come worst first.
fn shown(mut rows: Vec<HealthRow>, view: HealthRows) -> Vec<HealthRow> {
    if let Some(days) = view.renewal_within_days {
        rows.retain(|r| r.renewal.days.is_some_and(|d| d <= i64::from(days)));
    }
    if view.order == HealthOrder::Renewal {
        // Stable: worst first among equal renewals.
        rows.sort_by_key(|r| r.renewal.days.map_or((1, 0), |d| (0, d)));
    }
    rows
}

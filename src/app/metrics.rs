//! Metric definitions, metric sets and the workspace's fiscal calendar: the
//! vocabulary observations, health scores and QBRs are written in.

use std::collections::{BTreeMap, HashMap};

use super::accounts::written;
use super::catalogue::{Catalogued, Published, locked, record_removal, refuse_built_in};
use super::views::{MetricDefinitionView, MetricSetView};
use super::{App, AppError, IfMatch, Principal};
use crate::domain::builtin;
use crate::domain::event::Resource;
use crate::domain::metric::{MetricDefinition, NewMetric};
use crate::domain::metric_set::MetricSet;
use crate::domain::quarter::FiscalCalendar;
use crate::domain::rate_limit::RateLimit;
use crate::domain::risk::{DEFAULT_RENEWAL_WINDOW_DAYS, MAX_RENEWAL_WINDOW_DAYS};
use crate::domain::stakeholder::{Influence, InfluenceChange};
use crate::domain::time::Zone;
use crate::domain::{Invalid, Role};
use crate::store::definitions::{Kind, Versioned};
use crate::store::workspaces::StoredSettings;

impl Catalogued for MetricDefinition {
    const KIND: Kind = Kind::Metric;
    const NOUN: &'static str = "metric definition";
    const RESOURCE: Resource = Resource::MetricDefinition;
    type View = MetricDefinitionView;

    fn key(&self) -> &str {
        &self.key
    }

    fn built_ins() -> &'static [Self] {
        builtin::metrics()
    }
}

impl Catalogued for MetricSet {
    const KIND: Kind = Kind::MetricSet;
    const NOUN: &'static str = "metric set";
    const RESOURCE: Resource = Resource::MetricSet;
    type View = MetricSetView;

    fn key(&self) -> &str {
        &self.key
    }

    fn built_ins() -> &'static [Self] {
        builtin::metric_sets()
    }

    fn metrics_used(&self) -> Vec<&str> {
        self.metrics.iter().map(|m| m.metric.as_str()).collect()
    }
}

/// Settings that shape how a workspace's numbers are read, and how fast its
/// keys may call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorkspaceSettings {
    /// 1 (January) to 12: quarters are counted from this month.
    pub fiscal_year_start_month: u32,
    /// Where quarters turn, "today" is, and the day a bare date names.
    pub time_zone: Zone,
    /// All its keys' requests together, in place of the replica's default.
    pub rate_limit: Option<RateLimit>,
    /// How much each stakeholder's view weighs in alignment.
    pub influence: Influence,
    /// How many days ahead a renewal counts as near (for derived risks).
    pub renewal_window_days: u32,
    /// The settings' version, their ETag.
    pub version: i64,
}

/// A change of settings: `None` keeps a setting, `rate_limit: Some(None)`
/// clears the workspace's own limit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SettingsChange {
    pub fiscal_year_start_month: Option<i64>,
    pub time_zone: Option<String>,
    pub rate_limit: Option<Option<String>>,
    pub influence: InfluenceChange,
    pub renewal_window_days: Option<i64>,
}

/// How a workspace reads its numbers: what every portfolio, QBR and health
/// read follows.
#[derive(Debug, Clone, Copy)]
pub(super) struct Reading {
    pub calendar: FiscalCalendar,
    pub influence: Influence,
    pub renewal_window_days: u32,
}

impl WorkspaceSettings {
    fn stored(s: StoredSettings) -> Self {
        let calendar = stored_calendar(s.fiscal_year_start_month, &s.time_zone);
        Self {
            fiscal_year_start_month: calendar.start_month(),
            time_zone: calendar.zone(),
            rate_limit: s.rate_limit.and_then(|l| l.parse().ok()),
            influence: stored_influence(s.influence.as_deref()),
            renewal_window_days: stored_window(s.renewal_window_days),
            version: s.version,
        }
    }

    /// As stored; the built-in influence is stored as none, so a later
    /// change of the built-in reaches every workspace that kept it.
    fn to_stored(self) -> StoredSettings {
        StoredSettings {
            fiscal_year_start_month: self.fiscal_year_start_month as i32,
            rate_limit: self.rate_limit.map(|l| l.to_string()),
            version: self.version,
            time_zone: self.time_zone.to_string(),
            influence: (self.influence != Influence::default())
                .then(|| serde_json::to_string(&self.influence).unwrap_or_default()),
            renewal_window_days: self.renewal_window_days as i32,
        }
    }

    /// These settings with `change` applied, or every bad field.
    fn changed(self, change: SettingsChange) -> Result<Self, Invalid> {
        let mut e = Invalid::default();
        let mut next = self;
        if let Some(m) = change.fiscal_year_start_month {
            match u32::try_from(m).ok().and_then(FiscalCalendar::starting_in) {
                Some(calendar) => next.fiscal_year_start_month = calendar.start_month(),
                None => e.push("fiscal_year_start_month", "must be a month from 1 to 12"),
            }
        }
        if let Some(zone) = change.time_zone {
            match zone.parse() {
                Ok(zone) => next.time_zone = zone,
                Err(why) => e.push("time_zone", why),
            }
        }
        match change.rate_limit {
            None => {}
            Some(None) => next.rate_limit = None,
            Some(Some(l)) => match l.parse() {
                Ok(limit) => next.rate_limit = Some(limit),
                Err(why) => e.push("rate_limit", why),
            },
        }
        if let Some(days) = change.renewal_window_days {
            match u32::try_from(days) {
                Ok(d) if (1..=MAX_RENEWAL_WINDOW_DAYS).contains(&d) => next.renewal_window_days = d,
                _ => e.push(
                    "renewal_window_days",
                    format!("must be a whole number of days from 1 to {MAX_RENEWAL_WINDOW_DAYS}"),
                ),
            }
        }
        match self.influence.changed(change.influence, "influence") {
            Ok(influence) => next.influence = influence,
            Err(bad) => e.0.extend(bad.0),
        }
        e.into_result().map(|()| next)
    }
}

impl App {
    pub async fn metric_definitions(
        &self,
        p: &Principal,
    ) -> Result<Vec<Published<MetricDefinition>>, AppError> {
        p.require_within_reach(Role::Read)?;
        self.catalogue(p).await
    }

    pub async fn metric_definition(
        &self,
        p: &Principal,
        key: &str,
    ) -> Result<Published<MetricDefinition>, AppError> {
        p.require_within_reach(Role::Read)?;
        self.catalogued(p, key).await
    }

    /// Every metric the workspace knows, by key.
    pub(super) async fn metrics_by_key(
        &self,
        p: &Principal,
    ) -> Result<HashMap<String, MetricDefinition>, AppError> {
        Ok(self
            .catalogue::<MetricDefinition>(p)
            .await?
            .into_iter()
            .map(|m| (m.definition.key.clone(), m.definition))
            .collect())
    }

    pub async fn create_metric(
        &self,
        p: &Principal,
        metric: NewMetric,
    ) -> Result<Published<MetricDefinition>, AppError> {
        p.require(Role::Admin)?;
        metric.check()?;
        self.add_catalogued(p, metric.into_definition()).await
    }

    /// Deletes a custom metric and its observations; refused while a metric set uses it.
    pub async fn delete_metric(
        &self,
        p: &Principal,
        key: &str,
        if_match: &IfMatch,
    ) -> Result<(), AppError> {
        p.require(Role::Admin)?;
        refuse_built_in::<MetricDefinition>(key)?;
        let mut work = self.begin(p).await?;
        let result = async {
            // Plans and sets that start using the metric lock it too, so either
            // they wait for this delete (and then find no metric) or it waits
            // for them (and then finds them below).
            locked::<MetricDefinition>(&mut work, key, if_match).await?;
            let sets: Vec<Versioned<MetricSet>> = work.definitions(Kind::MetricSet).await?;
            let users: Vec<&str> = sets
                .iter()
                .map(|s| &s.definition)
                .filter(|s| s.metrics.iter().any(|m| m.metric == key))
                .map(|s| s.key.as_str())
                .collect();
            if !users.is_empty() {
                return Err(AppError::InUse(format!(
                    "metric {key:?} is used by metric set(s) {}; remove it from them first",
                    users.join(", ")
                )));
            }
            let plans = work.plans_using_metric(key).await?;
            if !plans.is_empty() {
                return Err(AppError::InUse(format!(
                    "metric {key:?} is read by KPIs of success plan(s) {}; unlink them first",
                    plans.join(", ")
                )));
            }
            work.delete_metric(key).await?;
            record_removal::<MetricDefinition>(&mut work, key).await
        }
        .await;
        work.finish(result).await
    }

    pub async fn metric_sets(&self, p: &Principal) -> Result<Vec<Published<MetricSet>>, AppError> {
        p.require_within_reach(Role::Read)?;
        self.catalogue(p).await
    }

    pub async fn metric_set(
        &self,
        p: &Principal,
        key: &str,
    ) -> Result<Published<MetricSet>, AppError> {
        p.require_within_reach(Role::Read)?;
        self.catalogued(p, key).await
    }

    /// What is wrong with a set, given the workspace's metrics.
    async fn metric_set_problems(
        &self,
        p: &Principal,
        set: &MetricSet,
    ) -> Result<Invalid, AppError> {
        let known: BTreeMap<String, _> = self
            .metrics_by_key(p)
            .await?
            .into_values()
            .map(|m| (m.key, m.direction))
            .collect();
        Ok(set.validate(&known).err().unwrap_or_default())
    }

    pub async fn create_metric_set(
        &self,
        p: &Principal,
        set: MetricSet,
    ) -> Result<Published<MetricSet>, AppError> {
        p.require(Role::Admin)?;
        self.metric_set_problems(p, &set).await?.into_result()?;
        self.add_catalogued(p, set).await
    }

    pub async fn update_metric_set(
        &self,
        p: &Principal,
        key: &str,
        set: MetricSet,
        if_match: &IfMatch,
    ) -> Result<Published<MetricSet>, AppError> {
        p.require(Role::Admin)?;
        refuse_built_in::<MetricSet>(key)?;
        let mut e = self.metric_set_problems(p, &set).await?;
        if set.key != key {
            e.push("key", "must equal the key in the path");
        }
        e.into_result()?;
        self.replace_catalogued(p, set, if_match).await
    }

    pub async fn delete_metric_set(
        &self,
        p: &Principal,
        key: &str,
        if_match: &IfMatch,
    ) -> Result<(), AppError> {
        p.require(Role::Admin)?;
        self.remove_catalogued::<MetricSet>(p, key, if_match).await
    }

    pub async fn workspace_settings(&self, p: &Principal) -> Result<WorkspaceSettings, AppError> {
        p.require(Role::Read)?;
        let stored = self.store.workspace_settings(p.workspace_id).await?;
        Ok(WorkspaceSettings::stored(stored))
    }

    /// Changes the settings (admin).
    pub async fn update_workspace_settings(
        &self,
        p: &Principal,
        change: SettingsChange,
        if_match: &IfMatch,
    ) -> Result<WorkspaceSettings, AppError> {
        p.require(Role::Admin)?;
        let mut work = self.begin(p).await?;
        let result = async {
            let current = WorkspaceSettings::stored(work.workspace_settings().await?);
            if_match.check("workspace settings", current.version)?;
            let next = current.changed(change)?;
            if next == current {
                return Ok(current);
            }
            let took = work
                .set_workspace_settings(next.to_stored(), current.version)
                .await?;
            written(
                took,
                WorkspaceSettings {
                    version: current.version + 1,
                    ..next
                },
            )
        }
        .await;
        let settings = work.finish(result).await?;
        // Keys carry their workspace's rate limit: this replica stops
        // trusting their cached copies at once.
        self.keys.forget_workspace(p.workspace_id);
        Ok(settings)
    }

    /// What reads of the workspace's numbers follow.
    pub(super) async fn reading(&self, p: &Principal) -> Result<Reading, AppError> {
        let r = self.store.reading(p.workspace_id).await?;
        Ok(Reading {
            calendar: stored_calendar(r.fiscal_year_start_month, &r.time_zone),
            influence: stored_influence(r.influence.as_deref()),
            renewal_window_days: stored_window(r.renewal_window_days),
        })
    }
}

/// The weights stored settings hold; none, or a value no longer valid, reads
/// as the built-in.
fn stored_influence(stored: Option<&str>) -> Influence {
    stored
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default()
}

/// The renewal window stored settings hold; a value out of range reads as
/// the default.
fn stored_window(days: i32) -> u32 {
    u32::try_from(days)
        .ok()
        .filter(|d| (1..=MAX_RENEWAL_WINDOW_DAYS).contains(d))
        .unwrap_or(DEFAULT_RENEWAL_WINDOW_DAYS)
}

/// The calendar stored settings describe; a value no longer valid reads as
/// its default.
fn stored_calendar(month: i32, zone: &str) -> FiscalCalendar {
    u32::try_from(month)
        .ok()
        .and_then(FiscalCalendar::starting_in)
        .unwrap_or_default()
        .in_zone(zone.parse().unwrap_or_default())
}

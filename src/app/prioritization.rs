//! Prioritisation: every account in scope ranked under a policy, each with
//! what every term contributed to its score.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use uuid::Uuid;

use super::page::paginate_ranked;
use super::success_plans::today;
use super::{App, AppError, Listed, PageRequest, Principal, now};
use crate::domain::Invalid;
use crate::domain::filter::AccountScope;
use crate::domain::framework::{Attainment, is_key};
use crate::domain::matrix;
use crate::domain::prioritization::{
    AccountField, Policy, Priority, Standing, Weighed, account_closeness, field_scores,
    hierarchy_score, ranking,
};
use crate::store::assessments::AccountBrief;

/// An account's place in a policy's ranking.
#[derive(Debug, Clone)]
pub struct RankedAccount {
    pub account_id: Uuid,
    pub name: String,
    pub priority: Priority,
}

impl App {
    /// Every account in scope ranked under a policy, a page at a time.
    pub async fn prioritization(
        &self,
        p: &Principal,
        policy_key: &str,
        scope: &AccountScope,
        tier: Option<&str>,
        page: &PageRequest,
    ) -> Result<Listed<RankedAccount>, AppError> {
        let (page, size) = page.resolve()?;
        if !is_key(policy_key) {
            return Err(Invalid::single("policy", "must be a policy key").into());
        }
        let policy = self.policy(p, policy_key).await?.definition;
        let tiers = policy.tier_keys();
        if let Some(t) = tier
            && !tiers.iter().any(|k| k == t)
        {
            let message = format!("must be a tier of the policy: {}", tiers.join(", "));
            return Err(Invalid::single("tier", message).into());
        }
        let scope = &p.narrow(scope.clone());
        let scorer = policy.scorer();
        let terms = scorer.terms();
        let (accounts, by_matrix, by_framework) = tokio::try_join!(
            async { Ok(self.store.accounts_in_scope(p.workspace_id, scope).await?) },
            self.matrix_values(p, terms, scope),
            self.framework_values(p, terms, scope),
        )?;
        let mut slots = Slots {
            width: terms.len(),
            by_account: HashMap::new(),
        };
        let by_field = field_values(&policy, terms, &accounts, today(p.zone));
        for (account, term, value) in by_matrix.into_iter().chain(by_framework).chain(by_field) {
            slots.set(account, term, value);
        }
        let values = slots.by_account;
        let slots = |a: &AccountBrief| values.get(&a.id).map_or(&[][..], Vec::as_slice);
        let mut ranked: Vec<(Standing, &AccountBrief)> = accounts
            .iter()
            .map(|a| {
                let excluded = policy.excludes(a.lifecycle_stage);
                (scorer.standing(slots(a), excluded), a)
            })
            .filter(|(s, _)| tier.is_none_or(|t| scorer.tier(s) == t))
            .collect();
        ranked.sort_by(|(x, a), (y, b)| ranking(x, y).then(a.id.cmp(&b.id)));
        let listed = paginate_ranked(ranked, page, size);
        Ok(Listed {
            items: listed
                .items
                .into_iter()
                .map(|(s, a)| RankedAccount {
                    account_id: a.id,
                    name: a.name.clone(),
                    priority: scorer.explain(slots(a), s.excluded),
                })
                .collect(),
            next_page_token: listed.next_page_token,
        })
    }

    /// Each account's closeness on each matrix the policy weighs, as
    /// (account, term slot, value): one read of the current points of the
    /// accounts in scope, stakeholders weighed by influence.
    async fn matrix_values(
        &self,
        p: &Principal,
        terms: &[(Weighed, f64)],
        scope: &AccountScope,
    ) -> Result<Vec<(Uuid, usize, f64)>, AppError> {
        let matrices: HashMap<&str, usize> = terms
            .iter()
            .enumerate()
            .filter_map(|(i, (t, _))| match t {
                Weighed::Matrix(m) => Some((m.as_str(), i)),
                _ => None,
            })
            .collect();
        if matrices.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = matrices.keys().map(|m| (*m).to_owned()).collect();
        let (defined, points, reading) = tokio::try_join!(
            self.matrices(p),
            async {
                Ok(self
                    .store
                    .current_points(p.workspace_id, &keys, scope)
                    .await?)
            },
            self.reading(p),
        )?;
        let corners: HashMap<usize, matrix::Corner> = defined
            .into_iter()
            .filter_map(|m| Some((*matrices.get(m.matrix.key.as_str())?, m.matrix.optimal)))
            .collect();
        let today = today(p.zone);
        let closeness = account_closeness(
            points.into_iter().filter_map(|c| {
                let weight = reading.influence.of_voice(c.voice.as_ref(), today);
                let term = *matrices.get(c.matrix.as_str())?;
                Some((c.account_id, term, c.point, weight))
            }),
            &corners,
        );
        Ok(closeness
            .into_iter()
            .map(|((account, term), c)| (account, term, c))
            .collect())
    }

    /// Each account's value on each equation and hierarchy term, as
    /// (account, term slot, value): one read of the latest evaluations per
    /// framework named.
    async fn framework_values(
        &self,
        p: &Principal,
        terms: &[(Weighed, f64)],
        scope: &AccountScope,
    ) -> Result<Vec<(Uuid, usize, f64)>, AppError> {
        let frameworks: BTreeSet<&str> = terms
            .iter()
            .filter_map(|(t, _)| match t {
                Weighed::Equation { framework, .. } | Weighed::Hierarchy(framework) => {
                    Some(framework.as_str())
                }
                _ => None,
            })
            .collect();
        let mut values = Vec::new();
        for framework in frameworks {
            let latest = self
                .store
                .latest_evaluations::<Attainment>(p.workspace_id, framework, now(), scope)
                .await?;
            for l in latest.iter().filter(|l| l.stakeholder_id.is_none()) {
                values.extend(
                    evaluation_values(terms, framework, &l.evaluation)
                        .map(|(term, v)| (l.account_id, term, v)),
                );
            }
        }
        Ok(values)
    }
}

/// Each account's score on each account-field term, as (account, term slot,
/// value): scored within the accounts the policy does not exclude.
fn field_values(
    policy: &Policy,
    terms: &[(Weighed, f64)],
    accounts: &[AccountBrief],
    today: NaiveDate,
) -> Vec<(Uuid, usize, f64)> {
    let scored: Vec<&AccountBrief> = accounts
        .iter()
        .filter(|a| !policy.excludes(a.lifecycle_stage))
        .collect();
    let mut values = Vec::new();
    for (term, field) in terms.iter().enumerate().filter_map(|(i, (t, _))| match t {
        Weighed::Field(f) => Some((i, *f)),
        _ => None,
    }) {
        let raw: Vec<(Uuid, f64)> = scored
            .iter()
            .filter_map(|a| Some((a.id, field_value(a, field, today)?)))
            .collect();
        values.extend(
            field_scores(field, &raw)
                .into_iter()
                .map(|(account, score)| (account, term, score)),
        );
    }
    values
}

/// Each account's value slots, one per term, filled as reads come in.
struct Slots {
    width: usize,
    by_account: HashMap<Uuid, Vec<Option<f64>>>,
}

impl Slots {
    fn set(&mut self, account: Uuid, term: usize, value: f64) {
        let width = self.width;
        self.by_account
            .entry(account)
            .or_insert_with(|| vec![None; width])[term] = Some(value);
    }
}

/// The values an account's latest evaluation on `framework` gives the
/// policy's equation and hierarchy terms, by term slot.
fn evaluation_values<'a>(
    terms: &'a [(Weighed, f64)],
    framework: &'a str,
    e: &'a Attainment,
) -> impl Iterator<Item = (usize, f64)> + 'a {
    terms
        .iter()
        .enumerate()
        .filter_map(move |(i, (t, _))| match t {
            Weighed::Equation {
                framework: f,
                equation,
            } if f == framework => e
                .equations
                .iter()
                .find(|r| &r.key == equation)
                .map(|r| (i, r.value)),
            Weighed::Hierarchy(f) if f == framework => {
                let h = e.hierarchy.as_ref()?;
                hierarchy_score(h.attained_level, h.levels()).map(|v| (i, v))
            }
            _ => None,
        })
}

/// An account's raw value of a field on `today`.
fn field_value(a: &AccountBrief, field: AccountField, today: NaiveDate) -> Option<f64> {
    match field {
        AccountField::CurrentArr => a.current_arr,
        AccountField::OriginalArr => a.original_arr,
        AccountField::DaysToRenewal => a.renewal_date.map(|d| (d - today).num_days() as f64),
    }
}

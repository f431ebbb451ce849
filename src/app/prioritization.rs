//! Prioritisation: every account in scope ranked under a policy, each with
//! what every term contributed to its score.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use uuid::Uuid;

use super::page::paginate_ranked;
use super::success_plans::today;
use super::{App, AppError, Listed, PageRequest, Principal, now};
use crate::domain::Invalid;
use crate::domain::filter::AccountScope;
use crate::domain::framework::{Evaluation, is_key};
use crate::domain::matrix;
use crate::domain::prioritization::{
    AccountField, Policy, Priority, Weighed, account_closeness, field_scores, hierarchy_score,
    ranking,
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
        let accounts = self.store.accounts_in_scope(p.workspace_id, scope).await?;
        let values = self.term_values(p, &policy, scope, &accounts).await?;
        let empty = BTreeMap::new();
        let scorer = policy.scorer();
        let mut ranked: Vec<RankedAccount> = accounts
            .into_iter()
            .map(|a| RankedAccount {
                priority: scorer.prioritize(
                    values.get(&a.id).unwrap_or(&empty),
                    policy.excludes(a.lifecycle_stage),
                ),
                account_id: a.id,
                name: a.name,
            })
            .filter(|r| tier.is_none_or(|t| r.priority.tier == t))
            .collect();
        ranked.sort_by(|a, b| {
            ranking(&a.priority, &b.priority).then(a.account_id.cmp(&b.account_id))
        });
        Ok(paginate_ranked(ranked, page, size))
    }

    /// Each account's value (0–1) on each of the policy's terms it has data
    /// for: one read per matrix set and per framework an equation or
    /// hierarchy comes from; account fields are scored within the accounts
    /// the policy does not exclude.
    async fn term_values(
        &self,
        p: &Principal,
        policy: &Policy,
        scope: &AccountScope,
        accounts: &[AccountBrief],
    ) -> Result<HashMap<Uuid, BTreeMap<Weighed, f64>>, AppError> {
        let terms: Vec<Weighed> = policy.weighed().into_iter().map(|(t, _)| t).collect();
        let mut values: HashMap<Uuid, BTreeMap<Weighed, f64>> = HashMap::new();
        let matrices: Vec<String> = terms
            .iter()
            .filter_map(|t| match t {
                Weighed::Matrix(m) => Some(m.clone()),
                _ => None,
            })
            .collect();
        if !matrices.is_empty() {
            let corners: HashMap<String, matrix::Corner> = self
                .matrices(p)
                .await?
                .into_iter()
                .map(|m| (m.matrix.key, m.matrix.optimal))
                .collect();
            let points = self.store.current_points(p.workspace_id, &matrices).await?;
            let influence = self.reading(p).await?.influence;
            let today = today(p.zone);
            let closeness = account_closeness(
                points.into_iter().map(|c| {
                    let weight = influence.of_voice(c.voice.as_ref(), today);
                    (c.account_id, c.matrix, c.point, weight)
                }),
                &corners,
            );
            for (account, by_matrix) in closeness {
                let v = values.entry(account).or_default();
                v.extend(by_matrix.into_iter().map(|(m, c)| (Weighed::Matrix(m), c)));
            }
        }
        let frameworks: BTreeSet<&str> = terms
            .iter()
            .filter_map(|t| match t {
                Weighed::Equation { framework, .. } | Weighed::Hierarchy(framework) => {
                    Some(framework.as_str())
                }
                _ => None,
            })
            .collect();
        for framework in frameworks {
            let latest = self
                .store
                .latest_evaluations(p.workspace_id, framework, now(), scope)
                .await?;
            for l in latest.into_iter().filter(|l| l.stakeholder_id.is_none()) {
                let v = values.entry(l.account_id).or_default();
                v.extend(evaluation_values(&terms, framework, &l.evaluation));
            }
        }
        let today = today(p.zone);
        let scored: Vec<&AccountBrief> = accounts
            .iter()
            .filter(|a| !policy.excludes(a.lifecycle_stage))
            .collect();
        for field in terms.iter().filter_map(|t| match t {
            Weighed::Field(f) => Some(*f),
            _ => None,
        }) {
            let raw: Vec<(Uuid, f64)> = scored
                .iter()
                .filter_map(|a| Some((a.id, field_value(a, field, today)?)))
                .collect();
            for (account, score) in field_scores(field, &raw) {
                values
                    .entry(account)
                    .or_default()
                    .insert(Weighed::Field(field), score);
            }
        }
        Ok(values)
    }
}

/// The values an account's latest evaluation on `framework` gives the
/// policy's equation and hierarchy terms.
fn evaluation_values(terms: &[Weighed], framework: &str, e: &Evaluation) -> Vec<(Weighed, f64)> {
    terms
        .iter()
        .filter_map(|t| match t {
            Weighed::Equation {
                framework: f,
                equation,
            } if f == framework => e
                .equations
                .iter()
                .find(|r| &r.key == equation)
                .map(|r| (t.clone(), r.value)),
            Weighed::Hierarchy(f) if f == framework => {
                let h = e.hierarchy.as_ref()?;
                hierarchy_score(h.attained_level, h.levels.len()).map(|v| (t.clone(), v))
            }
            _ => None,
        })
        .collect()
}

/// An account's raw value of a field on `today`.
fn field_value(a: &AccountBrief, field: AccountField, today: NaiveDate) -> Option<f64> {
    match field {
        AccountField::CurrentArr => a.current_arr,
        AccountField::OriginalArr => a.original_arr,
        AccountField::DaysToRenewal => a.renewal_date.map(|d| (d - today).num_days() as f64),
    }
}

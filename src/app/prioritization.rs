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
use crate::domain::framework::{Evaluation, is_key};
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
        let accounts = self.store.accounts_in_scope(p.workspace_id, scope).await?;
        let scorer = policy.scorer();
        let values = self
            .term_values(p, &policy, scorer.terms(), scope, &accounts)
            .await?;
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

    /// Each account's value (0–1) in the slot of each of the policy's terms
    /// it has data for: one read of the points of the matrices weighed and
    /// one per framework an equation or hierarchy comes from; account fields
    /// are scored within the accounts the policy does not exclude.
    async fn term_values(
        &self,
        p: &Principal,
        policy: &Policy,
        terms: &[(Weighed, f64)],
        scope: &AccountScope,
        accounts: &[AccountBrief],
    ) -> Result<HashMap<Uuid, Vec<Option<f64>>>, AppError> {
        let mut slots = Slots {
            width: terms.len(),
            by_account: HashMap::new(),
        };
        let matrices: HashMap<&str, usize> = terms
            .iter()
            .enumerate()
            .filter_map(|(i, (t, _))| match t {
                Weighed::Matrix(m) => Some((m.as_str(), i)),
                _ => None,
            })
            .collect();
        if !matrices.is_empty() {
            let corners: HashMap<usize, matrix::Corner> = self
                .matrices(p)
                .await?
                .into_iter()
                .filter_map(|m| Some((*matrices.get(m.matrix.key.as_str())?, m.matrix.optimal)))
                .collect();
            let keys: Vec<String> = matrices.keys().map(|m| (*m).to_owned()).collect();
            let points = self
                .store
                .current_points(p.workspace_id, &keys, scope)
                .await?;
            let influence = self.reading(p).await?.influence;
            let today = today(p.zone);
            let closeness = account_closeness(
                points.into_iter().filter_map(|c| {
                    let weight = influence.of_voice(c.voice.as_ref(), today);
                    Some((
                        c.account_id,
                        *matrices.get(c.matrix.as_str())?,
                        c.point,
                        weight,
                    ))
                }),
                &corners,
            );
            for ((account, term), c) in closeness {
                slots.set(account, term, c);
            }
        }
        let frameworks: BTreeSet<&str> = terms
            .iter()
            .filter_map(|(t, _)| match t {
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
            for l in latest.iter().filter(|l| l.stakeholder_id.is_none()) {
                for (term, v) in evaluation_values(terms, framework, &l.evaluation) {
                    slots.set(l.account_id, term, v);
                }
            }
        }
        let today = today(p.zone);
        let scored: Vec<&AccountBrief> = accounts
            .iter()
            .filter(|a| !policy.excludes(a.lifecycle_stage))
            .collect();
        for (term, field) in terms.iter().enumerate().filter_map(|(i, (t, _))| match t {
            Weighed::Field(f) => Some((i, *f)),
            _ => None,
        }) {
            let raw: Vec<(Uuid, f64)> = scored
                .iter()
                .filter_map(|a| Some((a.id, field_value(a, field, today)?)))
                .collect();
            for (account, score) in field_scores(field, &raw) {
                slots.set(account, term, score);
            }
        }
        Ok(slots.by_account)
    }
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
    e: &'a Evaluation,
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
                hierarchy_score(h.attained_level, h.levels.len()).map(|v| (i, v))
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

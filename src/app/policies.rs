//! Prioritisation policies: the built-in `default` and the workspace's own.

use super::catalogue::{Catalogued, Published};
use super::views::PolicyView;
use super::{App, AppError, IfMatch, Principal};
use crate::domain::builtin;
use crate::domain::event::Resource;
use crate::domain::prioritization::{Known, Policy};
use crate::domain::{Invalid, Role};
use crate::store::definitions::Kind;

impl Catalogued for Policy {
    const KIND: Kind = Kind::PrioritizationPolicy;
    const NOUN: &'static str = "prioritization policy";
    const RESOURCE: Resource = Resource::Policy;
    type View = PolicyView;

    fn key(&self) -> &str {
        &self.key
    }

    fn built_ins() -> &'static [Self] {
        builtin::policies()
    }
}

impl App {
    /// Built-ins first, then the workspace's policies by key.
    pub async fn policies(&self, p: &Principal) -> Result<Vec<Published<Policy>>, AppError> {
        p.require_within_reach(Role::Read)?;
        self.catalogue(p).await
    }

    pub async fn policy(&self, p: &Principal, key: &str) -> Result<Published<Policy>, AppError> {
        p.require_within_reach(Role::Read)?;
        self.catalogued(p, key).await
    }

    /// What is wrong with a definition, given the workspace's frameworks.
    async fn policy_problems(&self, p: &Principal, policy: &Policy) -> Result<Invalid, AppError> {
        let frameworks = self.frameworks(p).await?;
        let known = Known::of(frameworks.iter().map(|f| &f.framework));
        Ok(policy.validate(&known).err().unwrap_or_default())
    }

    pub async fn create_policy(
        &self,
        p: &Principal,
        policy: Policy,
    ) -> Result<Published<Policy>, AppError> {
        p.require(Role::Admin)?;
        self.policy_problems(p, &policy).await?.into_result()?;
        self.add_catalogued(p, policy).await
    }

    pub async fn update_policy(
        &self,
        p: &Principal,
        key: &str,
        policy: Policy,
        if_match: &IfMatch,
    ) -> Result<Published<Policy>, AppError> {
        p.require(Role::Admin)?;
        super::catalogue::refuse_built_in::<Policy>(key)?;
        let mut e = self.policy_problems(p, &policy).await?;
        if policy.key != key {
            e.push("key", "must equal the key in the path");
        }
        e.into_result()?;
        self.replace_catalogued(p, policy, if_match).await
    }

    pub async fn delete_policy(
        &self,
        p: &Principal,
        key: &str,
        if_match: &IfMatch,
    ) -> Result<(), AppError> {
        p.require(Role::Admin)?;
        self.remove_catalogued::<Policy>(p, key, if_match).await
    }
}

//! Prioritisation policies: the built-in `default` and the workspace's own.

use std::collections::BTreeSet;

use super::{App, AppError, Principal, now};
use crate::domain::builtin;
use crate::domain::prioritization::Policy;
use crate::domain::{Invalid, Role};
use crate::store::definitions::Kind;

const POLICY: &str = "prioritization policy";

/// A policy as published, with whether it is a built-in (read-only).
#[derive(Debug, Clone)]
pub struct PublishedPolicy {
    pub policy: Policy,
    pub built_in: bool,
}

fn built_in(p: &Policy) -> PublishedPolicy {
    PublishedPolicy {
        policy: p.clone(),
        built_in: true,
    }
}

fn custom(policy: Policy) -> PublishedPolicy {
    PublishedPolicy {
        policy,
        built_in: false,
    }
}

impl App {
    /// Built-ins first, then the workspace's policies by key.
    pub async fn policies(&self, p: &Principal) -> Result<Vec<PublishedPolicy>, AppError> {
        p.require(Role::Read)?;
        let mut all: Vec<PublishedPolicy> = builtin::policies().iter().map(built_in).collect();
        all.extend(
            self.store
                .definitions::<Policy>(p.workspace_id, Kind::PrioritizationPolicy)
                .await?
                .into_iter()
                .map(custom),
        );
        Ok(all)
    }

    pub async fn policy(&self, p: &Principal, key: &str) -> Result<PublishedPolicy, AppError> {
        p.require(Role::Read)?;
        if let Some(b) = builtin::policies().iter().find(|b| b.key == key) {
            return Ok(built_in(b));
        }
        self.store
            .definition(p.workspace_id, Kind::PrioritizationPolicy, key)
            .await?
            .map(custom)
            .ok_or(AppError::NotFound(POLICY))
    }

    /// What is wrong with a definition, given the workspace's matrices.
    async fn policy_problems(&self, p: &Principal, policy: &Policy) -> Result<Invalid, AppError> {
        let known: BTreeSet<String> = self
            .matrices(p)
            .await?
            .into_iter()
            .map(|m| m.matrix.key)
            .collect();
        Ok(policy.validate(&known).err().unwrap_or_default())
    }

    fn refuse_built_in(key: &str) -> Result<(), AppError> {
        if builtin::policies().iter().any(|b| b.key == key) {
            Err(AppError::ReadOnly(format!(
                "{key:?} is a built-in policy; create your own under a new key"
            )))
        } else {
            Ok(())
        }
    }

    pub async fn create_policy(
        &self,
        p: &Principal,
        policy: Policy,
    ) -> Result<PublishedPolicy, AppError> {
        p.require(Role::Admin)?;
        self.policy_problems(p, &policy).await?.into_result()?;
        if builtin::policies().iter().any(|b| b.key == policy.key) {
            return Err(AppError::Conflict(format!(
                "{:?} is a built-in policy",
                policy.key
            )));
        }
        self.store
            .insert_definition(
                p.workspace_id,
                Kind::PrioritizationPolicy,
                &policy.key,
                &policy,
                now(),
            )
            .await
            .map_err(|e| match AppError::from(e) {
                AppError::Conflict(_) => {
                    AppError::Conflict(format!("policy {:?} exists; PUT to change it", policy.key))
                }
                other => other,
            })?;
        Ok(custom(policy))
    }

    pub async fn update_policy(
        &self,
        p: &Principal,
        key: &str,
        policy: Policy,
    ) -> Result<PublishedPolicy, AppError> {
        p.require(Role::Admin)?;
        Self::refuse_built_in(key)?;
        let mut e = self.policy_problems(p, &policy).await?;
        if policy.key != key {
            e.push("key", "must equal the key in the path");
        }
        e.into_result()?;
        if self
            .store
            .update_definition(
                p.workspace_id,
                Kind::PrioritizationPolicy,
                key,
                &policy,
                now(),
            )
            .await?
        {
            Ok(custom(policy))
        } else {
            Err(AppError::NotFound(POLICY))
        }
    }

    pub async fn delete_policy(&self, p: &Principal, key: &str) -> Result<(), AppError> {
        p.require(Role::Admin)?;
        Self::refuse_built_in(key)?;
        if self
            .store
            .delete_definition(p.workspace_id, Kind::PrioritizationPolicy, key)
            .await? {
            Ok(())
        } else {
            Err(AppError::NotFound(POLICY))
        }
    }
}

//! Workspaces, API keys and authentication.
//!
//! A key is `csk_` and 32 random bytes (256 bits) in URL-safe base64. Only its
//! SHA-256 is stored: a key is already high-entropy, so a fast hash is safe and
//! keeps authentication to one indexed lookup per request.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use uuid::Uuid;

use super::changes::{data_of, record};
use super::page::paginate;
use super::views::ApiKeyView;
use super::{App, AppError, Listed, PageRequest, Principal, now, sha256_hex};
use crate::domain::api_key::check_new_key;
use crate::domain::event::{Change, NewEvent, Resource};
use crate::domain::validation::check_text;
use crate::domain::{ApiKey, Invalid, Reach, Role};
use crate::store::Tx;

const KEY_PREFIX: &str = "csk_";
/// Shortest key accepted from `CSAPI_BOOTSTRAP_KEY`.
const MIN_BOOTSTRAP_KEY_LEN: usize = 20;
/// The lock that key revocations take.
const ADMIN_KEYS: &str = "admin-keys";
/// The workspace made on the first start against an empty store.
pub const DEFAULT_WORKSPACE: &str = "default";

/// A freshly created key: its listing and the secret, shown this once.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub key: ApiKey,
    pub secret: String,
}

/// What a start did about the bootstrap key.
#[derive(Debug, Clone)]
pub enum Bootstrap {
    /// The store already had workspaces, and any fixed key was known.
    AlreadyDone,
    /// The `default` workspace was created with this admin key.
    Created { workspace_id: Uuid, admin: NewKey },
    /// The store already had workspaces and the fixed key is not one of
    /// their keys: it was not applied (`serve` warns and says how to add one).
    KeyNotApplied,
}

fn generate_secret() -> String {
    random_token(KEY_PREFIX)
}

/// `prefix` and 32 random bytes, URL-safe: an API key or a share link's token.
pub(super) fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// How a secret is kept: its SHA-256, never the secret.
pub(super) fn hash(secret: &str) -> String {
    sha256_hex(&[secret.as_bytes()])
}

fn new_key(name: &str, role: Role, reach: Reach, secret: String) -> NewKey {
    let key = ApiKey {
        id: Uuid::now_v7(),
        name: name.to_owned(),
        role,
        prefix: secret.chars().take(12).collect(),
        created_at: now(),
        revoked_at: None,
        reach,
    };
    NewKey { key, secret }
}

impl App {
    /// Resolves a bearer key to the workspace and role it grants.
    pub async fn authenticate(&self, secret: &str) -> Result<Principal, AppError> {
        if secret.is_empty() || secret.len() > 512 {
            return Err(AppError::Unauthenticated);
        }
        let hash = hash(secret);
        if let Some(known) = self.keys.get(&hash) {
            return Ok(known);
        }
        // Boxed: the store's future is large, and every request would carry
        // it inline though most find their key in the cache.
        let principal = Box::pin(self.store.key_owner(&hash))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        self.keys.put(hash, principal.clone());
        Ok(principal)
    }

    /// Creates a workspace and returns its first admin key.
    pub async fn create_workspace(&self, name: &str) -> Result<(Uuid, NewKey), AppError> {
        let mut e = Invalid::default();
        check_text(&mut e, "name", name, 100);
        e.into_result()?;
        self.create_workspace_with(name, generate_secret()).await
    }

    async fn create_workspace_with(
        &self,
        name: &str,
        secret: String,
    ) -> Result<(Uuid, NewKey), AppError> {
        let id = Uuid::now_v7();
        let admin = new_key("admin", Role::Admin, Reach::Workspace, secret);
        let mut tx = self.store.begin(id).await?;
        tx.create_workspace(name, now(), &admin.key, &hash(&admin.secret))
            .await?;
        tx.commit().await.map_err(|e| match AppError::from(e) {
            AppError::Duplicate(_) => {
                AppError::Duplicate(format!("a workspace named {name:?} exists"))
            }
            other => other,
        })?;
        Ok((id, admin))
    }

    /// On an empty store, creates the `default` workspace with an admin key:
    /// `fixed_key` when given (scripts, tests), else a random one.
    pub async fn bootstrap(&self, fixed_key: Option<String>) -> Result<Bootstrap, AppError> {
        if self.store.workspace_count().await? > 0 {
            return self.bootstrapped(fixed_key.as_deref()).await;
        }
        let secret = match &fixed_key {
            Some(k) if k.len() < MIN_BOOTSTRAP_KEY_LEN => {
                return Err(Invalid::single(
                    "CSAPI_BOOTSTRAP_KEY",
                    format!("must be at least {MIN_BOOTSTRAP_KEY_LEN} characters"),
                )
                .into());
            }
            Some(k) => k.clone(),
            None => generate_secret(),
        };
        match self.create_workspace_with(DEFAULT_WORKSPACE, secret).await {
            Ok((workspace_id, admin)) => Ok(Bootstrap::Created {
                workspace_id,
                admin,
            }),
            // Another replica starting at the same time made it first.
            Err(AppError::Duplicate(_)) => self.bootstrapped(fixed_key.as_deref()).await,
            Err(e) => Err(e),
        }
    }

    async fn bootstrapped(&self, fixed_key: Option<&str>) -> Result<Bootstrap, AppError> {
        match fixed_key {
            Some(k) if !self.store.key_hash_known(&hash(k)).await? => Ok(Bootstrap::KeyNotApplied),
            _ => Ok(Bootstrap::AlreadyDone),
        }
    }

    /// Issues a key for the workspace called `workspace`, without the API:
    /// the way back in when no admin key is at hand (`csapi api-key create`).
    pub async fn issue_key(
        &self,
        workspace: &str,
        name: &str,
        role: Role,
    ) -> Result<NewKey, AppError> {
        check_new_key(name, role, None)?;
        let ws = self
            .store
            .workspace_named(workspace)
            .await?
            .ok_or(AppError::NotFound("workspace"))?;
        let created = new_key(name, role, Reach::Workspace, generate_secret());
        let mut tx = self.store.begin(ws).await?;
        tx.insert_api_key(&created.key, &hash(&created.secret))
            .await?;
        record_key(&mut tx, &created.key, Change::Created).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Creates a key; with `accounts`, a read key that reaches only those
    /// accounts (a customer's own view).
    pub async fn create_api_key(
        &self,
        p: &Principal,
        name: &str,
        role: Role,
        accounts: Option<Vec<Uuid>>,
    ) -> Result<NewKey, AppError> {
        p.require(Role::Admin)?;
        check_new_key(name, role, accounts.as_deref())?;
        let reach = accounts.map_or(Reach::Workspace, |ids| Reach::Accounts(ids.into()));
        let created = new_key(name, role, reach, generate_secret());
        let mut work = self.begin(p).await?;
        let result = async {
            if let Some(ids) = created.key.reach.accounts() {
                check_accounts_exist(&mut work, ids).await?;
            }
            work.insert_api_key(&created.key, &hash(&created.secret))
                .await?;
            record_key(&mut work, &created.key, Change::Created).await
        }
        .await;
        work.finish(result).await?;
        Ok(created)
    }

    pub async fn api_keys(
        &self,
        p: &Principal,
        page: &PageRequest,
    ) -> Result<Listed<ApiKey>, AppError> {
        p.require(Role::Admin)?;
        let (page, size) = page.resolve()?;
        let rows = self.store.api_keys(p.workspace_id, page).await?;
        Ok(paginate(rows, size, |k| k.id))
    }

    pub async fn revoke_api_key(&self, p: &Principal, id: Uuid) -> Result<(), AppError> {
        p.require(Role::Admin)?;
        let mut work = self.begin(p).await?;
        let result = async {
            // Revocations queue here, so two admins revoking each other's
            // keys at once cannot both pass the last-admin check.
            work.lock_name(ADMIN_KEYS).await?;
            let key = work
                .api_key(id)
                .await?
                .ok_or(AppError::NotFound("api key"))?;
            if key.role == Role::Admin
                && key.revoked_at.is_none()
                && work.live_admin_keys().await? <= 1
            {
                return Err(AppError::InUse(
                    "this is the workspace's last admin key; create another admin key first, \
                     or the workspace could no longer be administered"
                        .into(),
                ));
            }
            if key.revoked_at.is_some() {
                return Ok(());
            }
            let at = now();
            work.revoke_api_key(id, at).await?;
            let revoked = ApiKey {
                revoked_at: Some(at),
                ..key
            };
            record_key(&mut work, &revoked, Change::Deleted).await
        }
        .await;
        work.finish(result).await?;
        self.keys.forget_key(id);
        Ok(())
    }
}

/// Not found unless every one of `ids` is an account of the workspace, as
/// for any write that names an account.
async fn check_accounts_exist(tx: &mut Tx, ids: &[Uuid]) -> Result<(), AppError> {
    for &id in ids {
        tx.account(id).await?.ok_or(AppError::NotFound("account"))?;
    }
    Ok(())
}

/// Records a key's creation or revocation: the key as listed, never its secret.
async fn record_key(tx: &mut Tx, key: &ApiKey, change: Change) -> Result<(), AppError> {
    let data = data_of(&ApiKeyView::from(key.clone()))?;
    let at = key.revoked_at.unwrap_or(key.created_at);
    record(
        tx,
        NewEvent::new(Resource::ApiKey, change, key.id, at, data),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_hashed_hex() {
        let (a, b) = (generate_secret(), generate_secret());
        assert_ne!(a, b);
        assert!(a.starts_with(KEY_PREFIX) && a.len() == KEY_PREFIX.len() + 43);
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

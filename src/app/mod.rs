//! Use cases: check the caller's role, validate with the domain, load, decide,
//! persist. Both doors (REST and gRPC) call these and nothing else.

mod accounts;
mod assessments;
mod catalogue;
mod changes;
mod delivery;
mod error;
mod exports;
mod frameworks;
mod idempotency;
mod imports;
mod key_cache;
mod metrics;
mod observations;
mod page;
mod policies;
mod portfolio;
mod precondition;
mod prioritization;
mod qbr;
mod qbr_links;
mod rate_limit;
mod risks;
mod stakeholders;
mod success_plans;
mod success_reuses;
mod successes;
pub mod views;
mod webhooks;
mod work;
mod workspaces;

use chrono::{DateTime, Utc};

pub use accounts::{Upsert, Upserted};
pub use catalogue::Published;
pub use changes::{
    Changes, ChangesQuery, DEFAULT_RETENTION as DEFAULT_EVENT_RETENTION,
    MAX_WAIT as MAX_CHANGES_WAIT,
};
pub use delivery::WebhookOptions;
pub use error::AppError;
pub use exports::{EXPORT_PAGE, ExportPlan, ExportedAccount};
pub use frameworks::{PublishedFramework, PublishedMatrix};
pub use idempotency::{Answer, Claim, IdempotencyKey, Reservation};
pub use key_cache::{DEFAULT_TTL as DEFAULT_KEY_CACHE_TTL, MAX_TTL as MAX_KEY_CACHE_TTL};
pub use metrics::{SettingsChange, WorkspaceSettings};
pub use observations::{BatchOutcome, ObservationBatch};
pub use page::{Listed, MAX_PAGE_SIZE, PageRequest};
pub use portfolio::{
    CellCount, FrameworkPortfolio, Movement, Movements, Placed, Portfolio, SubjectHistory,
    Transitions,
};
pub use precondition::{IfMatch, etag_of};
pub use prioritization::RankedAccount;
pub use qbr::{
    AccountHealth, DEFAULT_METRIC_SET, HealthRow, MAX_COMPARED_SETS, PortfolioHealth, Qbr,
};
pub use qbr_links::{SHARE_PATH, SharedQbr};
pub use rate_limit::{Allowance, Exhausted, RateLimit, RateLimits};
pub use risks::AccountRisks;
pub use stakeholders::UpsertedStakeholder;
pub use success_plans::{AssessedPlan, PlanChange, PlanQuery};
pub use successes::{AssessedSuccess, SuccessQuery};
pub use webhooks::{NewWebhook, WebhookChange, WithSecret};
pub use workspaces::{Bootstrap, NewKey};

pub use crate::domain::Principal;
use crate::domain::filter::AccountScope;
use crate::domain::{Reach, Role};
use crate::store::Store;

/// The application core, shared by both doors; cheap to clone: one shared
/// pointer, since every request clones it several times on its way through
/// the middleware and each clone of a shared counter is a cache-line trip
/// between cores.
#[derive(Clone)]
pub struct App(std::sync::Arc<Core>);

/// What the use cases reach through [`App`].
#[derive(Clone)]
pub struct Core {
    store: Store,
    limiter: std::sync::Arc<rate_limit::Limiter>,
    keys: std::sync::Arc<key_cache::KeyCache>,
    /// How long the change feed keeps an event.
    event_retention: std::time::Duration,
    /// How this replica delivers webhooks.
    webhooks: WebhookOptions,
}

impl std::ops::Deref for App {
    type Target = Core;

    fn deref(&self) -> &Core {
        &self.0
    }
}

impl App {
    /// The core over `store`, with no rate limits, trusting a resolved key
    /// for [`DEFAULT_KEY_CACHE_TTL`].
    pub fn new(store: Store) -> Self {
        Self(std::sync::Arc::new(Core {
            store,
            limiter: Default::default(),
            keys: Default::default(),
            event_retention: DEFAULT_EVENT_RETENTION,
            webhooks: WebhookOptions::default(),
        }))
    }

    /// The same core, counting requests against `limits` from now on.
    pub fn with_rate_limits(self, limits: RateLimits) -> Self {
        let limiter = std::sync::Arc::new(rate_limit::Limiter::new(limits));
        Self(std::sync::Arc::new(Core {
            limiter,
            ..std::sync::Arc::unwrap_or_clone(self.0)
        }))
    }

    /// The same core, trusting a resolved key for `ttl` (at most
    /// [`MAX_KEY_CACHE_TTL`]; zero asks the store on every request).
    pub fn with_key_cache(self, ttl: std::time::Duration) -> Self {
        let keys = std::sync::Arc::new(key_cache::KeyCache::new(ttl));
        Self(std::sync::Arc::new(Core {
            keys,
            ..std::sync::Arc::unwrap_or_clone(self.0)
        }))
    }

    /// The same core, keeping change events for `retention`.
    pub fn with_event_retention(self, retention: std::time::Duration) -> Self {
        Self(std::sync::Arc::new(Core {
            event_retention: retention,
            ..std::sync::Arc::unwrap_or_clone(self.0)
        }))
    }

    /// The same core, delivering webhooks as `options` say.
    pub fn with_webhooks(self, options: WebhookOptions) -> Self {
        Self(std::sync::Arc::new(Core {
            webhooks: options,
            ..std::sync::Arc::unwrap_or_clone(self.0)
        }))
    }

    /// Whether the store answers, for `/readyz` and gRPC health.
    pub async fn ready(&self) -> Result<(), AppError> {
        Ok(self.store.ping().await?)
    }
}

impl Principal {
    /// For a use case over the whole workspace: fails with
    /// [`AppError::Forbidden`] unless the key's role includes `role`, and with
    /// [`AppError::BeyondReach`] for a key limited to some accounts. Every use
    /// case starts here unless it keeps to the key's accounts itself, so
    /// what is not written for a limited key is refused to it.
    pub fn require(&self, role: Role) -> Result<(), AppError> {
        self.require_within_reach(role)?;
        match self.reach {
            Reach::Workspace => Ok(()),
            Reach::Accounts(_) => Err(AppError::BeyondReach),
        }
    }

    /// For a use case that keeps to the key's accounts (with [`Self::reveal`]
    /// or [`Self::narrow`]): the role check alone.
    pub fn require_within_reach(&self, role: Role) -> Result<(), AppError> {
        if self.role.allows(role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(role))
        }
    }

    /// `found` when it belongs to an account the key reaches; not found
    /// otherwise, as an id of another workspace is.
    pub fn reveal<T>(
        &self,
        found: Option<T>,
        account_of: impl Fn(&T) -> uuid::Uuid,
        what: &'static str,
    ) -> Result<T, AppError> {
        found
            .filter(|t| self.reach.includes(account_of(t)))
            .ok_or(AppError::NotFound(what))
    }

    /// `scope`, kept to the accounts the key reaches.
    pub fn narrow(&self, scope: AccountScope) -> AccountScope {
        AccountScope {
            within: self.reach.accounts().cloned(),
            ..scope
        }
    }
}

/// SHA-256 of the concatenated `parts`, as lowercase hex: key hashes and request fingerprints.
fn sha256_hex(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in parts {
        h.update(part);
    }
    let mut hex = String::with_capacity(64);
    for b in h.finalize() {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    hex
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The current time at the store's precision (microseconds).
fn now() -> DateTime<Utc> {
    crate::store::from_micros(crate::store::to_micros(Utc::now()))
}

/// A change's time: now, but never at or before the previous change, so
/// `updated_since` sees every change.
fn next_change_time(previous: DateTime<Utc>) -> DateTime<Utc> {
    now().max(previous + chrono::Duration::microseconds(1))
}

//! Authentication without a query on the hot path: the principal a key hash
//! resolved to, kept for a few seconds.
//!
//! A revocation or a settings change clears the entries it concerns in this
//! replica at once; another replica keeps its copy until the entry's time to
//! live runs out (at most [`MAX_TTL`], docs/architecture.md). Only keys that
//! resolved are kept, so guessing keys neither fills the cache nor skips the
//! database. The cache is bounded: when full, expired entries go first and,
//! if none has expired, every entry does.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::Principal;

/// The longest a key may be trusted without asking the store again.
pub const MAX_TTL: Duration = Duration::from_secs(5);
/// How long a resolved key is trusted unless configured otherwise.
pub const DEFAULT_TTL: Duration = MAX_TTL;
/// Keys held at once.
const CAPACITY: usize = 10_000;

#[derive(Debug)]
pub(super) struct KeyCache {
    ttl: Duration,
    capacity: usize,
    entries: RwLock<HashMap<String, (Principal, Instant)>>,
}

impl Default for KeyCache {
    fn default() -> Self {
        Self::new(DEFAULT_TTL)
    }
}

impl KeyCache {
    /// A cache trusting an entry for `ttl`, capped at [`MAX_TTL`]; zero keeps nothing.
    pub(super) fn new(ttl: Duration) -> Self {
        Self::bounded(ttl, CAPACITY)
    }

    fn bounded(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl: ttl.min(MAX_TTL),
            capacity,
            entries: RwLock::default(),
        }
    }

    /// The principal `hash` resolved to, while its entry is fresh.
    pub(super) fn get(&self, hash: &str) -> Option<Principal> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let (principal, at) = entries.get(hash)?;
        (at.elapsed() < self.ttl).then(|| principal.clone())
    }

    pub(super) fn put(&self, hash: String, principal: Principal) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(&hash) {
            entries.retain(|_, (_, at)| at.elapsed() < self.ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(hash, (principal, Instant::now()));
    }

    /// Drops the entries of the key `key_id`: it was revoked.
    pub(super) fn forget_key(&self, key_id: Uuid) {
        self.forget(|p| p.key_id == key_id);
    }

    /// Drops the entries of every key of `workspace`: what they carry of it changed.
    pub(super) fn forget_workspace(&self, workspace: Uuid) {
        self.forget(|p| p.workspace_id == workspace);
    }

    fn forget(&self, matches: impl Fn(&Principal) -> bool) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, (p, _)| !matches(p));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    fn principal(workspace: u128, key: u128) -> Principal {
        Principal {
            workspace_id: Uuid::from_u128(workspace),
            key_id: Uuid::from_u128(key),
            role: Role::Read,
            reach: Default::default(),
            workspace_rate_limit: None,
            zone: crate::domain::time::Zone::default(),
        }
    }

    #[test]
    fn a_fresh_entry_answers_and_an_expired_one_does_not() {
        let cache = KeyCache::new(Duration::from_millis(40));
        cache.put("h1".into(), principal(1, 1));
        assert_eq!(cache.get("h1"), Some(principal(1, 1)));
        assert_eq!(cache.get("h2"), None);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(cache.get("h1"), None);
    }

    #[test]
    fn a_zero_ttl_keeps_nothing_and_a_long_one_is_capped() {
        let off = KeyCache::new(Duration::ZERO);
        off.put("h".into(), principal(1, 1));
        assert_eq!(off.get("h"), None);
        assert_eq!(KeyCache::new(Duration::from_secs(3600)).ttl, MAX_TTL);
    }

    #[test]
    fn revoking_a_key_or_changing_a_workspace_forgets_only_its_entries() {
        let cache = KeyCache::default();
        cache.put("a".into(), principal(1, 10));
        cache.put("b".into(), principal(1, 11));
        cache.put("c".into(), principal(2, 20));
        cache.forget_key(Uuid::from_u128(10));
        assert_eq!(cache.get("a"), None);
        assert_eq!(cache.get("b"), Some(principal(1, 11)));
        cache.forget_workspace(Uuid::from_u128(1));
        assert_eq!(cache.get("b"), None);
        assert_eq!(cache.get("c"), Some(principal(2, 20)));
    }

    #[test]
    fn a_full_cache_never_holds_more_than_its_capacity() {
        let cache = KeyCache::bounded(MAX_TTL, 3);
        for i in 0..10u128 {
            cache.put(format!("h{i}"), principal(1, i));
            assert!(cache.entries.read().unwrap().len() <= 3);
        }
        assert_eq!(cache.get("h9"), Some(principal(1, 9)));
    }
}

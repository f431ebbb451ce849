//! What an API key may do. Roles are ordered: each includes the ones below
//! it. A key reaches the whole workspace, or only some of its accounts.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything in the workspace.
    Read,
    /// Also creates, changes and deletes CS records.
    Write,
    /// Also manages keys and the workspace's custom definitions.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Write, Role::Read];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Write => "write",
            Role::Admin => "admin",
        }
    }

    /// Whether a key of this role may do what needs `required`.
    pub fn allows(self, required: Role) -> bool {
        self >= required
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_nest() {
        assert!(Role::Admin.allows(Role::Write) && Role::Admin.allows(Role::Read));
        assert!(Role::Write.allows(Role::Read) && !Role::Write.allows(Role::Admin));
        assert!(!Role::Read.allows(Role::Write));
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert!("owner".parse::<Role>().is_err());
    }

    fn fields(r: Result<(), crate::domain::Invalid>) -> Vec<String> {
        r.err()
            .map_or_else(Vec::new, |e| e.0.into_iter().map(|f| f.field).collect())
    }

    #[test]
    fn only_a_read_key_may_be_limited_and_to_a_few_distinct_accounts() {
        let a = uuid::Uuid::from_u128(1);
        let b = uuid::Uuid::from_u128(2);
        assert!(check_new_key("portal", Role::Read, Some(&[a, b])).is_ok());
        assert!(check_new_key("sync", Role::Write, None).is_ok());
        assert_eq!(
            fields(check_new_key("k", Role::Write, Some(&[a]))),
            ["account_ids"]
        );
        assert_eq!(
            fields(check_new_key("k", Role::Read, Some(&[]))),
            ["account_ids"]
        );
        assert_eq!(
            fields(check_new_key("k", Role::Read, Some(&[a, b, a]))),
            ["account_ids"]
        );
        let many: Vec<_> = (0..=MAX_KEY_ACCOUNTS as u128)
            .map(uuid::Uuid::from_u128)
            .collect();
        assert_eq!(
            fields(check_new_key("k", Role::Read, Some(&many))),
            ["account_ids"]
        );
        assert_eq!(
            fields(check_new_key("", Role::Admin, Some(&[a]))),
            ["name", "account_ids"]
        );
    }

    #[test]
    fn a_limited_reach_includes_its_accounts_only() {
        let (a, b) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2));
        let reach = Reach::Accounts(vec![a].into());
        assert!(reach.includes(a) && !reach.includes(b));
        assert!(Reach::Workspace.includes(b));
        assert_eq!(Reach::Workspace.accounts(), None);
        assert_eq!(reach.accounts().map(|ids| ids.to_vec()), Some(vec![a]));
    }
}

/// A key as listed: everything but the secret, which is only ever shown once.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub id: uuid::Uuid,
    pub name: String,
    pub role: Role,
    /// The key's first characters, enough to recognise it in a list.
    pub prefix: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    pub reach: Reach,
}

/// Which accounts a key reaches. A key handed to a customer reaches their
/// own accounts only: lists and portfolio views hold nothing else, and any
/// other account's records are not found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Reach {
    #[default]
    Workspace,
    /// These accounts, and only for reading.
    Accounts(Arc<[uuid::Uuid]>),
}

impl Reach {
    /// Whether the key reaches this account's records.
    pub fn includes(&self, account: uuid::Uuid) -> bool {
        match self {
            Reach::Workspace => true,
            Reach::Accounts(ids) => ids.contains(&account),
        }
    }

    /// The accounts a limited key reaches; `None` for the whole workspace.
    pub fn accounts(&self) -> Option<&Arc<[uuid::Uuid]>> {
        match self {
            Reach::Workspace => None,
            Reach::Accounts(ids) => Some(ids),
        }
    }
}

pub const MAX_KEY_NAME_LEN: usize = 100;
/// Accounts one limited key may reach: a customer's, not a book.
pub const MAX_KEY_ACCOUNTS: usize = 100;

/// Checks what a client chooses when creating a key: a name, and accounts
/// only for a read key (a customer never writes).
pub fn check_new_key(
    name: &str,
    role: Role,
    accounts: Option<&[uuid::Uuid]>,
) -> Result<(), super::Invalid> {
    let mut e = super::Invalid::default();
    super::validation::check_text(&mut e, "name", name, MAX_KEY_NAME_LEN);
    if let Some(ids) = accounts {
        if role != Role::Read {
            e.push(
                "account_ids",
                "only a key of role read may be limited to accounts",
            );
        }
        if ids.is_empty() || ids.len() > MAX_KEY_ACCOUNTS {
            e.push(
                "account_ids",
                format!("must name 1 to {MAX_KEY_ACCOUNTS} accounts (leave it out for the whole workspace)"),
            );
        }
        let mut seen = ids.to_vec();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() != ids.len() {
            e.push("account_ids", "names an account twice");
        }
    }
    e.into_result()
}

/// Who a request acts for, resolved from its API key: the workspace it is
/// bound to, the key itself (idempotency keys belong to it), its role and
/// the accounts it reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub workspace_id: uuid::Uuid,
    pub key_id: uuid::Uuid,
    pub role: Role,
    pub reach: Reach,
    /// The workspace's own limit on its requests, when an admin set one.
    pub workspace_rate_limit: Option<super::rate_limit::RateLimit>,
    /// The workspace's time zone: where the days of its dates begin.
    pub zone: super::time::Zone,
}

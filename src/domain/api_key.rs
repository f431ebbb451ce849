//! What an API key may do. Roles are ordered: each includes the ones below it.

use std::fmt;
use std::str::FromStr;

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
}

pub const MAX_KEY_NAME_LEN: usize = 100;

/// Checks what a client chooses when creating a key.
pub fn check_new_key(name: &str) -> Result<(), super::Invalid> {
    let mut e = super::Invalid::default();
    super::validation::check_text(&mut e, "name", name, MAX_KEY_NAME_LEN);
    e.into_result()
}

/// Who a request acts for, resolved from its API key: the workspace it is
/// bound to, the key itself (idempotency keys belong to it) and its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub workspace_id: uuid::Uuid,
    pub key_id: uuid::Uuid,
    pub role: Role,
    /// The workspace's own limit on its requests, when an admin set one.
    pub workspace_rate_limit: Option<super::rate_limit::RateLimit>,
}

//! Pure customer-success logic: what an account or stakeholder is, what makes one
//! valid, how a change is merged. No I/O, no async: everything here is testable
//! with plain values.

/// An enum whose variants travel as fixed snake_case strings in REST and gRPC
/// alike; each variant's string must be its name in snake_case (serde's and the
/// OpenAPI schema's spelling), which the enums' tests check. Only doc comments
/// may annotate the enum: the doors publish them (`ABOUT`).
macro_rules! str_enum {
    ($(#[doc = $doc:literal])* pub enum $name:ident { $($(#[$vm:meta])* $variant:ident = $s:literal),+ $(,)? }) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vm])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The doc comment's lines, so that a door's documentation says
            /// what the code says.
            pub const ABOUT: &'static [&'static str] = &[$($doc),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $s),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = ();

            fn from_str(s: &str) -> Result<Self, ()> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or(())
            }
        }
    };
}

pub mod account;
pub mod api_key;
pub mod assessment;
pub mod attributes;
pub mod builtin;
pub mod currency;
pub mod equation;
pub mod event;
pub mod external_ref;
pub mod filter;
pub mod framework;
pub mod framework_portfolio;
pub mod hierarchy;
pub mod import;
pub mod matrix;
pub mod metric;
pub mod metric_set;
pub mod observation;
pub mod patch;
pub mod portfolio;
pub mod prioritization;
pub mod qbr;
pub mod qbr_link;
pub mod quarter;
pub mod rate_limit;
pub mod risk;
pub mod scale;
pub mod stakeholder;
pub mod success;
pub mod success_plan;
pub mod success_reuse;
pub mod time;
pub mod validation;
pub mod webhook;

pub use account::{Account, AccountFields, AccountPatch, LifecycleStage};

/// A key in words, for a label: `no_proactive_support` → "No proactive support".
pub fn words(key: &str) -> String {
    let spaced = key.replace('_', " ");
    let mut chars = spaced.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
pub use api_key::{ApiKey, Principal, Reach, Role};
pub use external_ref::{ExternalRef, RecordKey};
pub use stakeholder::{Stakeholder, StakeholderFields, StakeholderPatch, StakeholderRole};
pub use validation::{FieldError, Invalid};

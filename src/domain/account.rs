//! An account: one customer organisation a CS team serves.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::attributes::{self, Attributes};
use super::currency::{self, DEFAULT_CURRENCY};
use super::external_ref::{self, ExternalRef, check_refs};
use super::patch::set;
use super::validation::{Invalid, check_opt_email, check_opt_text, check_text};

str_enum! {
    /// Where the customer is in its journey with the product.
    pub enum LifecycleStage {
        Onboarding = "onboarding",
        Adoption = "adoption",
        Renewal = "renewal",
        Expansion = "expansion",
        AtRisk = "at_risk",
        Churned = "churned",
    }
}

pub const MAX_NAME_LEN: usize = 200;
pub const MAX_SEGMENT_LEN: usize = 100;

/// Everything a client sets on an account.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountFields {
    pub name: String,
    pub segment: Option<String>,
    /// The owning CSM's email.
    pub owner: Option<String>,
    pub lifecycle_stage: Option<LifecycleStage>,
    pub customer_since: Option<NaiveDate>,
    /// ARR when the customer signed, the base of `arr_growth`.
    pub original_arr: Option<f64>,
    /// When the customer next decides whether to renew.
    pub renewal_date: Option<NaiveDate>,
    /// When the current contract ends.
    pub contract_end: Option<NaiveDate>,
    /// What the customer pays a year now, against `original_arr` in `arr_change`.
    pub current_arr: Option<f64>,
    pub currency: String,
    pub attributes: Attributes,
    pub external_refs: Vec<ExternalRef>,
}

impl AccountFields {
    /// An account with just a name and the defaults.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            segment: None,
            owner: None,
            lifecycle_stage: None,
            customer_since: None,
            original_arr: None,
            renewal_date: None,
            contract_end: None,
            current_arr: None,
            currency: DEFAULT_CURRENCY.to_owned(),
            attributes: Attributes::new(),
            external_refs: Vec::new(),
        }
    }

    /// Validates, then puts the refs in their stored order: what every write stores.
    pub fn prepared(mut self) -> Result<Self, Invalid> {
        self.validate()?;
        external_ref::normalize(&mut self.external_refs);
        Ok(self)
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        check_text(&mut e, "name", &self.name, MAX_NAME_LEN);
        check_opt_text(&mut e, "segment", self.segment.as_deref(), MAX_SEGMENT_LEN);
        check_opt_email(&mut e, "owner", self.owner.as_deref());
        for (field, arr) in [
            ("original_arr", self.original_arr),
            ("current_arr", self.current_arr),
        ] {
            if let Some(arr) = arr
                && !(arr.is_finite() && arr >= 0.0)
            {
                e.push(field, "must be a number >= 0");
            }
        }
        if !currency::is_iso_4217(&self.currency) {
            e.push("currency", "must be an ISO 4217 code such as USD or EUR");
        }
        attributes::check_attributes(&mut e, "attributes", &self.attributes);
        check_refs(&mut e, "external_refs", &self.external_refs);
        e.into_result()
    }

    /// Makes sure the account carries `r` (the ref it is addressed by).
    pub fn ensure_ref(&mut self, r: ExternalRef) {
        external_ref::ensure(&mut self.external_refs, r);
    }
}

/// A stored account.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: Uuid,
    pub fields: AccountFields,
    /// Bumped on every change; the ETag clients send back in `If-Match`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A merge patch: `None` leaves a field alone, `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountPatch {
    pub name: Option<String>,
    pub segment: Option<Option<String>>,
    pub owner: Option<Option<String>>,
    pub lifecycle_stage: Option<Option<LifecycleStage>>,
    pub customer_since: Option<Option<NaiveDate>>,
    pub original_arr: Option<Option<f64>>,
    pub renewal_date: Option<Option<NaiveDate>>,
    pub contract_end: Option<Option<NaiveDate>>,
    pub current_arr: Option<Option<f64>>,
    pub currency: Option<String>,
    /// Merged into the current attributes (RFC 7386).
    pub attributes: Option<Attributes>,
    /// Replaces the current list.
    pub external_refs: Option<Vec<ExternalRef>>,
}

impl AccountPatch {
    pub fn apply_to(self, f: &mut AccountFields) {
        set(&mut f.name, self.name);
        set(&mut f.segment, self.segment);
        set(&mut f.owner, self.owner);
        set(&mut f.lifecycle_stage, self.lifecycle_stage);
        set(&mut f.customer_since, self.customer_since);
        set(&mut f.original_arr, self.original_arr);
        set(&mut f.renewal_date, self.renewal_date);
        set(&mut f.contract_end, self.contract_end);
        set(&mut f.current_arr, self.current_arr);
        set(&mut f.currency, self.currency);
        set(&mut f.external_refs, self.external_refs);
        if let Some(a) = self.attributes {
            attributes::merge(&mut f.attributes, a);
        }
    }

    /// The fields a merge upsert leaves: `current` with the patch applied,
    /// or, where no account exists yet, a new one made of the patch (which
    /// must then name it).
    pub fn merged_into(self, current: Option<&AccountFields>) -> Result<AccountFields, Invalid> {
        let mut fields = match (current, &self.name) {
            (Some(c), _) => c.clone(),
            (None, Some(name)) => AccountFields::named(name.clone()),
            (None, None) => {
                return Err(Invalid::single("name", "is required to create an account"));
            }
        };
        self.apply_to(&mut fields);
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: Invalid) -> Vec<String> {
        e.0.into_iter().map(|f| f.field).collect()
    }

    #[test]
    fn a_merge_keeps_what_it_does_not_mention_and_needs_a_name_to_create() {
        let mut current = AccountFields::named("Acme");
        current.segment = Some("smb".into());
        current.attributes =
            serde_json::from_value(serde_json::json!({"tier": "gold", "csm_note": "x"})).unwrap();
        let patch = AccountPatch {
            owner: Some(Some("jane@example.com".into())),
            attributes: Some(
                serde_json::from_value(serde_json::json!({"csm_note": null, "plan": "pro"}))
                    .unwrap(),
            ),
            ..AccountPatch::default()
        };
        let merged = patch.clone().merged_into(Some(&current)).unwrap();
        assert_eq!(
            (merged.name.as_str(), merged.segment.as_deref()),
            ("Acme", Some("smb"))
        );
        assert_eq!(merged.owner.as_deref(), Some("jane@example.com"));
        assert_eq!(
            serde_json::to_value(&merged.attributes).unwrap(),
            serde_json::json!({"tier": "gold", "plan": "pro"})
        );
        assert_eq!(
            fields(patch.clone().merged_into(None).unwrap_err()),
            ["name"]
        );
        let named = AccountPatch {
            name: Some("Globex".into()),
            ..patch
        };
        let new = named.merged_into(None).unwrap();
        assert_eq!(
            (new.name.as_str(), new.currency.as_str()),
            ("Globex", "USD")
        );
        assert_eq!(
            serde_json::to_value(&new.attributes).unwrap(),
            serde_json::json!({"plan": "pro"})
        );
    }

    #[test]
    fn a_named_account_is_valid_and_in_usd() {
        let a = AccountFields::named("Acme");
        assert_eq!(a.currency, "USD");
        assert_eq!(a.validate(), Ok(()));
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut a = AccountFields::named("");
        a.owner = Some("not-an-email".into());
        a.original_arr = Some(-1.0);
        a.current_arr = Some(f64::NAN);
        a.currency = "usd".into();
        a.segment = Some("s".repeat(101));
        assert_eq!(
            fields(a.validate().unwrap_err()),
            [
                "name",
                "segment",
                "owner",
                "original_arr",
                "current_arr",
                "currency"
            ]
        );
    }

    #[test]
    fn name_length_bounds() {
        assert!(AccountFields::named("x".repeat(200)).validate().is_ok());
        assert!(AccountFields::named("x".repeat(201)).validate().is_err());
    }

    #[test]
    fn patch_sets_clears_and_keeps() {
        let mut a = AccountFields::named("Acme");
        a.segment = Some("enterprise".into());
        a.owner = Some("csm@example.com".into());
        let patch = AccountPatch {
            name: Some("Acme Corp".into()),
            segment: Some(None),
            lifecycle_stage: Some(Some(LifecycleStage::AtRisk)),
            ..Default::default()
        };
        patch.apply_to(&mut a);
        assert_eq!(a.name, "Acme Corp");
        assert_eq!(a.segment, None);
        assert_eq!(a.owner.as_deref(), Some("csm@example.com"));
        assert_eq!(a.lifecycle_stage, Some(LifecycleStage::AtRisk));
    }

    #[test]
    fn ensure_ref_adds_once_in_stored_order() {
        let mut a = AccountFields::named("Acme");
        a.external_refs = vec![
            ExternalRef::new("salesforce", "1"),
            ExternalRef::new("hubspot", "h"),
        ];
        a.ensure_ref(ExternalRef::new("salesforce", "2"));
        a.ensure_ref(ExternalRef::new("hubspot", "h"));
        assert_eq!(
            a.external_refs,
            [
                ExternalRef::new("hubspot", "h"),
                ExternalRef::new("salesforce", "1"),
                ExternalRef::new("salesforce", "2")
            ]
        );
    }

    #[test]
    fn lifecycle_stage_strings_round_trip() {
        for s in LifecycleStage::ALL {
            assert_eq!(s.as_str().parse::<LifecycleStage>(), Ok(*s));
        }
        assert_eq!("at_risk".parse(), Ok(LifecycleStage::AtRisk));
        assert!("at-risk".parse::<LifecycleStage>().is_err());
    }
    #[test]
    fn serde_spelling_is_as_str() {
        for v in LifecycleStage::ALL {
            assert_eq!(
                serde_json::to_value(v).unwrap(),
                serde_json::json!(v.as_str())
            );
        }
    }
}

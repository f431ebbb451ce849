//! A stakeholder: a person at a customer whose purpose and intent shape adoption.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::attributes::{self, Attributes};
use super::external_ref::{self, ExternalRef, check_refs};
use super::patch::set;
use super::validation::{Invalid, check_opt_email, check_opt_text, check_text};

str_enum! {
    /// The part a person plays in the customer's decisions.
    pub enum StakeholderRole {
        DecisionMaker = "decision_maker",
        Champion = "champion",
        ExecutiveSponsor = "executive_sponsor",
        User = "user",
        Influencer = "influencer",
        Other = "other",
    }
}

pub const MAX_NAME_LEN: usize = 200;
pub const MAX_TITLE_LEN: usize = 200;

#[derive(Debug, Clone, PartialEq)]
pub struct StakeholderFields {
    pub name: String,
    pub email: Option<String>,
    pub title: Option<String>,
    pub role: Option<StakeholderRole>,
    /// Whether the person took part in the purchase decision.
    pub involved_in_purchase: bool,
    pub attributes: Attributes,
    pub external_refs: Vec<ExternalRef>,
}

impl StakeholderFields {
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            email: None,
            title: None,
            role: None,
            involved_in_purchase: false,
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
        check_opt_email(&mut e, "email", self.email.as_deref());
        check_opt_text(&mut e, "title", self.title.as_deref(), MAX_TITLE_LEN);
        attributes::check_attributes(&mut e, "attributes", &self.attributes);
        check_refs(&mut e, "external_refs", &self.external_refs);
        e.into_result()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stakeholder {
    pub id: Uuid,
    pub account_id: Uuid,
    pub fields: StakeholderFields,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StakeholderPatch {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub title: Option<Option<String>>,
    pub role: Option<Option<StakeholderRole>>,
    pub involved_in_purchase: Option<bool>,
    pub attributes: Option<Attributes>,
    pub external_refs: Option<Vec<ExternalRef>>,
}

impl StakeholderPatch {
    pub fn apply_to(self, f: &mut StakeholderFields) {
        set(&mut f.name, self.name);
        set(&mut f.email, self.email);
        set(&mut f.title, self.title);
        set(&mut f.role, self.role);
        set(&mut f.involved_in_purchase, self.involved_in_purchase);
        set(&mut f.external_refs, self.external_refs);
        if let Some(a) = self.attributes {
            attributes::merge(&mut f.attributes, a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_fields_are_all_named() {
        let mut s = StakeholderFields::named(" ");
        s.email = Some("jane@".into());
        s.title = Some("t".repeat(201));
        let e = s.validate().unwrap_err();
        let names: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["name", "email", "title"]);
    }

    #[test]
    fn patch_toggles_purchase_involvement() {
        let mut s = StakeholderFields::named("Jane");
        StakeholderPatch {
            involved_in_purchase: Some(true),
            role: Some(Some(StakeholderRole::Champion)),
            ..Default::default()
        }
        .apply_to(&mut s);
        assert!(s.involved_in_purchase);
        assert_eq!(s.role, Some(StakeholderRole::Champion));
        assert_eq!(s.validate(), Ok(()));
    }
    #[test]
    fn serde_spelling_is_as_str() {
        for v in StakeholderRole::ALL {
            assert_eq!(
                serde_json::to_value(v).unwrap(),
                serde_json::json!(v.as_str())
            );
        }
    }
}

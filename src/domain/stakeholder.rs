//! A stakeholder: a person at a customer whose purpose and intent shape adoption.

use chrono::{DateTime, NaiveDate, Utc};
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

/// How much each stakeholder's view counts where a team's alignment is
/// summed up: the people who sign and sponsor weigh most, and taking part in
/// the purchase adds to anyone's weight.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Influence {
    /// The economic buyer (`decision_maker`) and the executive sponsor.
    pub buyer_and_sponsor: f64,
    pub champion: f64,
    /// Everyone else, and a stakeholder without a role.
    pub others: f64,
    /// Applied on top when `involved_in_purchase`.
    pub purchase_multiplier: f64,
}

impl Default for Influence {
    fn default() -> Self {
        Self {
            buyer_and_sponsor: 3.0,
            champion: 2.0,
            others: 1.0,
            purchase_multiplier: 1.5,
        }
    }
}

/// The largest weight or multiplier a workspace may set: enough to let one
/// role outweigh a room, small enough that no sum overflows meaning.
pub const MAX_INFLUENCE: f64 = 100.0;

/// A change of influence weights: each one given replaces its own.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct InfluenceChange {
    pub buyer_and_sponsor: Option<f64>,
    pub champion: Option<f64>,
    pub others: Option<f64>,
    pub purchase_multiplier: Option<f64>,
}

impl Influence {
    /// These weights with `change` applied; each weight must be above 0 and
    /// at most [`MAX_INFLUENCE`], and the multiplier at least 1 (taking part
    /// in the purchase never lessens a voice). Errors are named under `at`.
    pub fn changed(self, change: InfluenceChange, at: &str) -> Result<Self, Invalid> {
        let mut e = Invalid::default();
        let mut next = self;
        for (field, slot, asked, least) in [
            (
                "buyer_and_sponsor",
                &mut next.buyer_and_sponsor,
                change.buyer_and_sponsor,
                None,
            ),
            ("champion", &mut next.champion, change.champion, None),
            ("others", &mut next.others, change.others, None),
            (
                "purchase_multiplier",
                &mut next.purchase_multiplier,
                change.purchase_multiplier,
                Some(1.0),
            ),
        ] {
            let Some(v) = asked else { continue };
            let fits = v.is_finite() && v <= MAX_INFLUENCE && least.map_or(v > 0.0, |l| v >= l);
            if fits {
                *slot = v;
            } else {
                let floor = least.map_or("above 0".to_owned(), |l| format!("at least {l}"));
                e.push(
                    format!("{at}.{field}"),
                    format!("must be {floor} and at most {MAX_INFLUENCE}"),
                );
            }
        }
        e.into_result().map(|()| next)
    }

    /// The weight of a stakeholder with this role and part in the purchase.
    pub fn weight(&self, role: Option<StakeholderRole>, involved_in_purchase: bool) -> f64 {
        let base = match role {
            Some(StakeholderRole::DecisionMaker | StakeholderRole::ExecutiveSponsor) => {
                self.buyer_and_sponsor
            }
            Some(StakeholderRole::Champion) => self.champion,
            _ => self.others,
        };
        if involved_in_purchase {
            base * self.purchase_multiplier
        } else {
            base
        }
    }
}

/// What a stakeholder's view weighs, and until when it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Voice {
    pub role: Option<StakeholderRole>,
    pub involved_in_purchase: bool,
    pub left_on: Option<NaiveDate>,
}

impl Influence {
    /// The weight of a subject's view on `day`: 1 for the account itself,
    /// its influence for a stakeholder, and nothing once they have left.
    pub fn of_voice(&self, voice: Option<&Voice>, day: NaiveDate) -> f64 {
        match voice {
            None => 1.0,
            Some(v) if v.left_on.is_some_and(|left| left <= day) => 0.0,
            Some(v) => self.weight(v.role, v.involved_in_purchase),
        }
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
    /// The day they left the customer: from then on their view no longer
    /// counts, and a departed champion is a risk.
    pub left_on: Option<NaiveDate>,
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
            left_on: None,
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

impl StakeholderFields {
    /// Makes sure the stakeholder carries `r` (the ref it is addressed by).
    pub fn ensure_ref(&mut self, r: ExternalRef) {
        external_ref::ensure(&mut self.external_refs, r);
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
    pub left_on: Option<Option<NaiveDate>>,
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
        set(&mut f.left_on, self.left_on);
        set(&mut f.external_refs, self.external_refs);
        if let Some(a) = self.attributes {
            attributes::merge(&mut f.attributes, a);
        }
    }

    /// The fields a merge upsert leaves: `current` with the patch applied,
    /// or, where no stakeholder exists yet, a new one made of the patch
    /// (which must then name them).
    pub fn merged_into(
        self,
        current: Option<&StakeholderFields>,
    ) -> Result<StakeholderFields, Invalid> {
        let mut fields = match (current, &self.name) {
            (Some(c), _) => c.clone(),
            (None, Some(name)) => StakeholderFields::named(name.clone()),
            (None, None) => {
                return Err(Invalid::single(
                    "name",
                    "is required to create a stakeholder",
                ));
            }
        };
        self.apply_to(&mut fields);
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn influence_changes_one_weight_at_a_time_within_bounds() {
        let change = InfluenceChange {
            champion: Some(4.0),
            ..InfluenceChange::default()
        };
        let next = Influence::default().changed(change, "influence").unwrap();
        assert_eq!((next.champion, next.buyer_and_sponsor), (4.0, 3.0));
        let bad = InfluenceChange {
            buyer_and_sponsor: Some(0.0),
            others: Some(f64::NAN),
            purchase_multiplier: Some(0.5),
            champion: Some(101.0),
        };
        assert_eq!(
            Influence::default()
                .changed(bad, "influence")
                .unwrap_err()
                .fields(),
            [
                "influence.buyer_and_sponsor",
                "influence.champion",
                "influence.others",
                "influence.purchase_multiplier"
            ]
        );
    }

    #[test]
    fn buyers_and_sponsors_weigh_most_and_the_purchase_adds_half() {
        let i = Influence::default();
        let w = |role, involved| i.weight(role, involved);
        assert_eq!(w(Some(StakeholderRole::DecisionMaker), false), 3.0);
        assert_eq!(w(Some(StakeholderRole::ExecutiveSponsor), true), 4.5);
        assert_eq!(w(Some(StakeholderRole::Champion), false), 2.0);
        assert_eq!(w(Some(StakeholderRole::User), true), 1.5);
        assert_eq!(w(Some(StakeholderRole::Influencer), false), 1.0);
        assert_eq!(w(None, false), 1.0);
    }

    #[test]
    fn a_merge_keeps_what_it_does_not_mention_and_needs_a_name_to_create() {
        let mut current = StakeholderFields::named("Raj");
        current.title = Some("CTO".into());
        current.attributes = serde_json::from_str(r#"{"tier": "a", "keep": 1}"#).unwrap();
        let patch = StakeholderPatch {
            email: Some(Some("raj@acme.example".into())),
            attributes: Some(serde_json::from_str(r#"{"tier": null, "new": 2}"#).unwrap()),
            ..Default::default()
        };
        let merged = patch.clone().merged_into(Some(&current)).unwrap();
        assert_eq!(
            (merged.name.as_str(), merged.title.as_deref()),
            ("Raj", Some("CTO"))
        );
        assert_eq!(merged.email.as_deref(), Some("raj@acme.example"));
        assert_eq!(
            serde_json::to_string(&merged.attributes).unwrap(),
            r#"{"keep":1,"new":2}"#
        );
        let unnamed = patch.merged_into(None).unwrap_err();
        assert_eq!(unnamed.fields(), ["name"]);
        let mut with_ref = StakeholderFields::named("Mei");
        with_ref.ensure_ref(ExternalRef::new("hubspot", "c-7"));
        with_ref.ensure_ref(ExternalRef::new("hubspot", "c-7"));
        assert_eq!(with_ref.external_refs, [ExternalRef::new("hubspot", "c-7")]);
    }

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

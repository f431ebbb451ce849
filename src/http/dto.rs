//! JSON shapes shared by several resources.

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::app::Listed;
use crate::domain::ExternalRef;
use crate::domain::currency::CODES;
pub use crate::domain::patch::{double_option, present};

/// Free-form JSON object (at most 16 KiB).
pub type Object = crate::domain::attributes::Attributes;

/// The same record in another system.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalRefDto {
    /// The other system, e.g. `salesforce`, `gainsight`.
    #[schema(pattern = "^[a-z0-9_-]{1,64}$")]
    pub system: String,
    /// Its id there.
    #[schema(min_length = 1, max_length = 200, pattern = r"[^ \t\n\r\f\v]")]
    pub id: String,
}

pub fn refs_from(dtos: Vec<ExternalRefDto>) -> Vec<ExternalRef> {
    dtos.into_iter()
        .map(|d| ExternalRef::new(d.system, d.id))
        .collect()
}

pub fn refs_to(refs: Vec<ExternalRef>) -> Vec<ExternalRefDto> {
    refs.into_iter()
        .map(|r| ExternalRefDto {
            system: r.system,
            id: r.id,
        })
        .collect()
}

/// One page of a list; pass `next_page_token` back as `page_token` for the next.
#[derive(Debug, Serialize, ToSchema)]
pub struct Listing<T> {
    pub items: Vec<T>,
    /// Absent on the last page.
    pub next_page_token: Option<String>,
}

impl<T> Listing<T> {
    pub fn from_listed<U>(listed: Listed<U>, view: impl Fn(U) -> T) -> Self {
        Self {
            items: listed.items.into_iter().map(view).collect(),
            next_page_token: listed.next_page_token,
        }
    }
}

/// An ISO 4217 currency code.
pub struct CurrencyCode;

impl PartialSchema for CurrencyCode {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("ISO 4217 currency code"))
            .enum_values(Some(CODES.iter().copied()))
            .into()
    }
}

impl ToSchema for CurrencyCode {}

/// An optional integer that also takes JSON's `7.0` (JSON Schema counts it an integer).
pub fn whole_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<f64>::deserialize(d)? {
        None => Ok(None),
        Some(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => Ok(Some(v as i64)),
        Some(_) => Err(serde::de::Error::custom("must be a whole number")),
    }
}

//! JSON shapes shared by several resources.

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{IntoParams, PartialSchema, ToSchema};

pub use crate::app::views::{ExternalRefDto, refs_from};
use crate::app::{Listed, PageRequest};
use crate::domain::currency::CODES;
pub use crate::domain::patch::{double_option, present};

/// Free-form JSON object (at most 16 KiB).
pub type Object = crate::domain::attributes::Attributes;

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

/// A page of a list that takes no filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    #[param(minimum = 1, maximum = 1000)]
    pub page_size: Option<i64>,
    /// `next_page_token` of the previous page.
    #[param(pattern = "^[0-9a-f]{32}$")]
    pub page_token: Option<String>,
}

impl From<PageQuery> for PageRequest {
    fn from(q: PageQuery) -> Self {
        PageRequest {
            page_size: q.page_size,
            page_token: q.page_token,
        }
    }
}

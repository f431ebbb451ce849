//! Merge-patch helpers shared by every patchable record.

use serde::{Deserialize, Deserializer};

/// Replaces `slot` when the patch carries a value. For an optional field `T` is
/// itself an `Option`, so `Some(None)` clears it and `None` leaves it alone.
pub fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

/// Tells a present `null` (clear the field) from an absent field (leave it).
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A field a patch may leave out (keep it) but not set to `null`: required
/// fields cannot be cleared, and a `null` for one is refused rather than ignored.
pub fn present<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    match Option::<T>::deserialize(d)? {
        Some(v) => Ok(Some(v)),
        None => Err(serde::de::Error::custom(
            "is required and cannot be cleared: leave it out to keep it",
        )),
    }
}

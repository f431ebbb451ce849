//! Merge-patch helpers shared by every patchable record.

/// Replaces `slot` when the patch carries a value. For an optional field `T` is
/// itself an `Option`, so `Some(None)` clears it and `None` leaves it alone.
pub fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

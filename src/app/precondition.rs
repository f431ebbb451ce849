//! Optimistic concurrency: clients send back the ETag they read, and a write
//! over a newer version is refused instead of silently losing a change.

use super::AppError;

/// The ETag of a record at `version`.
pub fn etag_of(version: i64) -> String {
    format!("\"{version}\"")
}

/// An `If-Match` condition: `None` means unconditional.
#[derive(Debug, Clone, Default)]
pub struct IfMatch(pub Option<String>);

impl IfMatch {
    /// Passes when absent, `*`, or listing the current ETag (weak or strong, quoted or not).
    pub(super) fn check(&self, resource: &'static str, version: i64) -> Result<(), AppError> {
        let Some(header) = self.0.as_deref().filter(|h| !h.trim().is_empty()) else {
            return Ok(());
        };
        let current = etag_of(version);
        let matches = header.split(',').map(str::trim).any(|tag| {
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            tag == "*" || tag == current || tag == version.to_string()
        });
        if matches {
            Ok(())
        } else {
            Err(AppError::PreconditionFailed { resource, current })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_rules() {
        for ok in [
            None,
            Some("*"),
            Some("\"3\""),
            Some("W/\"3\""),
            Some("\"1\", \"3\""),
            Some("3"),
        ] {
            assert!(
                IfMatch(ok.map(String::from)).check("account", 3).is_ok(),
                "{ok:?}"
            );
        }
        for bad in ["\"2\"", "W/\"4\"", "x"] {
            assert!(
                IfMatch(Some(bad.into())).check("account", 3).is_err(),
                "{bad}"
            );
        }
    }
}

//! What identifies a recording, and the checks that make its names safe to use in paths.
//!
//! Call ids and tenant names end up as file names in the spool and as segments of object keys,
//! so they are validated once, here, before anything touches a disk or a store.

use serde::{Deserialize, Serialize};

/// The longest call id or tenant name accepted (S3 keys are limited to 1024 bytes in total).
pub const MAX_NAME_LEN: usize = 128;

/// Describes one call's recording. `started_at_unix_ms` is the wall-clock time of connect; it
/// decides the date folder of the object key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingMeta {
    pub call_id: String,
    pub tenant: String,
    pub started_at_unix_ms: i64,
}

impl RecordingMeta {
    /// Checks that the call id and tenant are safe path segments.
    pub fn validate(&self) -> Result<(), InvalidName> {
        validate_segment("call id", &self.call_id)?;
        validate_segment("tenant", &self.tenant)?;
        Ok(())
    }
}

/// A leg of the call, and the WAV channel it is written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// The caller from the trunk: the left channel.
    Customer,
    /// The agent's softphone: the right channel.
    Agent,
}

impl Channel {
    /// Position in an interleaved stereo frame.
    pub fn index(self) -> usize {
        match self {
            Channel::Customer => 0,
            Channel::Agent => 1,
        }
    }
}

/// A call id or tenant that cannot be used as a file name or object key segment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value:?} is not a safe name: {reason}")]
pub struct InvalidName {
    pub what: &'static str,
    pub value: String,
    pub reason: &'static str,
}

/// Accepts ASCII letters, digits and `-_.@+=`, not starting with a dot, at most
/// [`MAX_NAME_LEN`] bytes. SIP Call-IDs and UUIDs fit; `/`, `..`, spaces and control characters do
/// not.
pub fn validate_segment(what: &'static str, value: &str) -> Result<(), InvalidName> {
    let fail = |reason| {
        Err(InvalidName {
            what,
            value: value.chars().take(MAX_NAME_LEN).collect(),
            reason,
        })
    };
    if value.is_empty() {
        return fail("it is empty");
    }
    if value.len() > MAX_NAME_LEN {
        return fail("it is longer than 128 bytes");
    }
    if value.starts_with('.') {
        return fail("it starts with a dot");
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-_.@+=".contains(c);
    if !value.chars().all(allowed) {
        return fail("only ASCII letters, digits and - _ . @ + = are allowed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical_ids_are_accepted() {
        for ok in [
            "a84b4c76e66710@pc33.example.com",
            "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
            "call_1",
            "x=y+z",
        ] {
            assert_eq!(validate_segment("call id", ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn path_tricks_are_refused_with_a_reason() {
        for (bad, reason) in [
            ("", "it is empty"),
            ("..", "it starts with a dot"),
            (".hidden", "it starts with a dot"),
            (
                "a/b",
                "only ASCII letters, digits and - _ . @ + = are allowed",
            ),
            (
                "a\\b",
                "only ASCII letters, digits and - _ . @ + = are allowed",
            ),
            (
                "a b",
                "only ASCII letters, digits and - _ . @ + = are allowed",
            ),
            (
                "é",
                "only ASCII letters, digits and - _ . @ + = are allowed",
            ),
            (
                "a\0",
                "only ASCII letters, digits and - _ . @ + = are allowed",
            ),
        ] {
            let err = validate_segment("call id", bad).unwrap_err();
            assert_eq!(err.reason, reason, "{bad:?}");
        }
        let long = "x".repeat(MAX_NAME_LEN + 1);
        assert_eq!(
            validate_segment("tenant", &long).unwrap_err().reason,
            "it is longer than 128 bytes"
        );
    }

    #[test]
    fn meta_checks_both_names() {
        let meta = RecordingMeta {
            call_id: "ok".into(),
            tenant: "../etc".into(),
            started_at_unix_ms: 0,
        };
        assert_eq!(meta.validate().unwrap_err().what, "tenant");
    }
}

//! The digest that tells a retried event from a different event reusing its id: SHA-256 over
//! the body's canonical JSON (object keys sorted at every level, no insignificant whitespace).
//! Canonical rather than raw bytes, so a sender that re-serialises the same event for a retry
//! (another key order, other spacing) is still recognised as retrying.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Hex SHA-256 of `body`'s canonical form. `body` is already known to be JSON.
pub fn canonical_digest(body: &Value) -> String {
    let canonical = serde_json::to_string(&sorted(body)).expect("JSON values serialise");
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(text: &str) -> String {
        canonical_digest(&serde_json::from_str(text).unwrap())
    }

    #[test]
    fn the_same_event_serialised_differently_has_one_digest() {
        assert_eq!(
            digest(r#"{"event_id":"1","type":"held","call_id":"c"}"#),
            digest(r#"{ "call_id" : "c", "event_id": "1", "type": "held" }"#)
        );
    }

    #[test]
    fn a_different_event_under_the_same_id_has_another_digest() {
        assert_ne!(
            digest(r#"{"event_id":"1","call_id":"c","type":"held"}"#),
            digest(r#"{"event_id":"1","call_id":"c","type":"resumed"}"#)
        );
    }
}

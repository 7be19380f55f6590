//! The caller's number: attacker-controlled input, already classified by the edge.

use callbridge_phone::CallerId;
use serde::{Deserialize, Serialize};

/// The customer's number as the telephony edge classified it.
///
/// Phone-number parsing and normalisation live in another crate; the edge hands the core either a
/// normalised number or the reason there is none. The core still double-checks the shape of a
/// `Dialable` number before it lets it reach a CRM lookup (see [`CallerNumber::lookup_number`]):
/// caller IDs are attacker-controlled and a mistake at the edge must not become a CRM query.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum CallerNumber {
    /// A number the edge normalised (E.164, or a national short number), e.g. `+442071234567`.
    Dialable(String),
    /// The caller withheld their number (anonymous, private, restricted).
    Withheld,
    /// Something arrived that is not a usable number; the raw value, for the record only.
    Invalid(String),
}

/// Why a caller's number cannot be looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoLookupReason {
    /// The caller withheld their number.
    Withheld,
    /// The caller ID is not a plausible phone number.
    Unusable,
}

/// Digits a number may have, without the leading `+` (E.164 allows 15; short codes have 3).
const MIN_DIGITS: usize = 3;
const MAX_DIGITS: usize = 17;

impl CallerNumber {
    /// The number to look up in the CRM, or why there is none.
    ///
    /// Only an optional `+` followed by 3 to 17 ASCII digits, not all zeros, passes. Anything
    /// else (letters, `^`, spaces, `javascript:`, "anonymous" marked dialable by mistake) is
    /// refused, so no such value can ever reach a CRM query.
    pub fn lookup_number(&self) -> Result<&str, NoLookupReason> {
        match self {
            CallerNumber::Dialable(number) if is_plausible_number(number) => Ok(number),
            CallerNumber::Dialable(_) | CallerNumber::Invalid(_) => Err(NoLookupReason::Unusable),
            CallerNumber::Withheld => Err(NoLookupReason::Withheld),
        }
    }

    /// The caller as an agent or a Case description may show it: the number if it is usable,
    /// otherwise a fixed phrase (never the raw attacker-supplied text).
    pub fn for_display(&self) -> &str {
        match self.lookup_number() {
            Ok(number) => number,
            Err(NoLookupReason::Withheld) => "withheld number",
            Err(NoLookupReason::Unusable) => "unknown number",
        }
    }
}

/// The classification `callbridge-phone` made at the edge (the one place numbers are parsed):
/// only a validated E.164 number becomes dialable; an invalid caller ID keeps the reason, never
/// the raw text.
impl From<CallerId> for CallerNumber {
    fn from(caller: CallerId) -> CallerNumber {
        match caller {
            CallerId::Dialable(e164) => CallerNumber::Dialable(String::from(e164)),
            CallerId::Withheld => CallerNumber::Withheld,
            CallerId::Invalid { reason, .. } => CallerNumber::Invalid(reason.to_string()),
        }
    }
}

fn is_plausible_number(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or(number);
    (MIN_DIGITS..=MAX_DIGITS).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && digits.bytes().any(|b| b != b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalised_numbers_can_be_looked_up() {
        for ok in ["+442071234567", "0207123456", "112", "+15551234567"] {
            assert_eq!(
                CallerNumber::Dialable(ok.into()).lookup_number(),
                Ok(ok),
                "{ok}"
            );
        }
    }

    #[test]
    fn garbage_marked_dialable_is_refused_before_any_lookup() {
        for bad in [
            "",
            "+",
            "12",
            "anonymous",
            "javascript:alert(1)",
            "+44^ORphone!=x",
            "+44 20 7123 4567",
            "0000000",
            "+123456789012345678",
            "١٢٣٤٥٦",
        ] {
            assert_eq!(
                CallerNumber::Dialable(bad.into()).lookup_number(),
                Err(NoLookupReason::Unusable),
                "{bad:?}"
            );
        }
        assert_eq!(
            CallerNumber::Withheld.lookup_number(),
            Err(NoLookupReason::Withheld)
        );
    }

    #[test]
    fn the_edges_classification_becomes_the_callers_number_without_its_raw_text() {
        let jp = callbridge_phone::Region::parse("JP").unwrap();
        let classified = |raw| CallerNumber::from(callbridge_phone::classify(raw, jp));
        assert_eq!(
            classified("03-1234-5678"),
            CallerNumber::Dialable("+81312345678".into())
        );
        assert_eq!(classified("anonymous"), CallerNumber::Withheld);
        let CallerNumber::Invalid(reason) = classified("x^NQactive=true") else {
            panic!("garbage must be invalid");
        };
        assert!(!reason.contains("NQactive"), "{reason}");
    }

    #[test]
    fn display_never_echoes_the_raw_caller_id() {
        let hostile = CallerNumber::Invalid("<script>".into());
        assert_eq!(hostile.for_display(), "unknown number");
        assert_eq!(CallerNumber::Withheld.for_display(), "withheld number");
    }
}

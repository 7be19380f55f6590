//! The caller's number: attacker-controlled input, already classified by the edge.

use callbridge_phone::{CallerId, E164};
use serde::{Deserialize, Serialize};

/// The customer's number as the edge classified it.
///
/// Phone-number parsing and normalisation live in `callbridge-phone`, at the edge (the SIP path
/// and the call-events API): the core gets either a validated E.164 number or the reason there
/// is none. Caller IDs are attacker-controlled; because a dialable number is an [`E164`] (only
/// `+` and digits, by construction), nothing else can ever reach a CRM lookup.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum CallerNumber {
    /// A number the edge validated, e.g. `+442071234567`.
    Dialable(E164),
    /// The caller withheld their number (anonymous, private, restricted).
    Withheld,
    /// Something arrived that is not a usable number; why, for the record only.
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

impl CallerNumber {
    /// The number to look up in the CRM, or why there is none.
    pub fn lookup_number(&self) -> Result<&E164, NoLookupReason> {
        match self {
            CallerNumber::Dialable(number) => Ok(number),
            CallerNumber::Invalid(_) => Err(NoLookupReason::Unusable),
            CallerNumber::Withheld => Err(NoLookupReason::Withheld),
        }
    }

    /// The caller as an agent or a Case description may show it: the number if it is usable,
    /// otherwise a fixed phrase (never the raw attacker-supplied text).
    pub fn for_display(&self) -> &str {
        match self.lookup_number() {
            Ok(number) => number.as_str(),
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
            CallerId::Dialable(e164) => CallerNumber::Dialable(e164),
            CallerId::Withheld => CallerNumber::Withheld,
            CallerId::Invalid { reason, .. } => CallerNumber::Invalid(reason.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dialable(number: &str) -> CallerNumber {
        CallerNumber::Dialable(E164::parse(number).unwrap())
    }

    #[test]
    fn normalised_numbers_can_be_looked_up() {
        for ok in ["+442071234567", "+15551234567"] {
            assert_eq!(
                dialable(ok).lookup_number().map(E164::as_str),
                Ok(ok),
                "{ok}"
            );
        }
    }

    /// A dialable number is an `E164`, so garbage cannot even be marked dialable: every value
    /// the core once had to refuse at lookup time is refused when the number is made.
    #[test]
    fn garbage_can_never_be_marked_dialable_so_never_reaches_a_lookup() {
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
            assert!(E164::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            CallerNumber::Withheld.lookup_number(),
            Err(NoLookupReason::Withheld)
        );
        assert_eq!(
            CallerNumber::Invalid("javascript:alert(1)".into()).lookup_number(),
            Err(NoLookupReason::Unusable)
        );
    }

    #[test]
    fn the_edges_classification_becomes_the_callers_number_without_its_raw_text() {
        let jp = callbridge_phone::Region::parse("JP").unwrap();
        let classified = |raw| CallerNumber::from(callbridge_phone::classify(raw, jp));
        assert_eq!(classified("03-1234-5678"), dialable("+81312345678"));
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

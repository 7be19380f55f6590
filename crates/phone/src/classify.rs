//! [`classify`]: what an untrusted caller ID is.

use crate::e164::E164;
use crate::lex::{self, Lexed};
use crate::numbering::{self, Reading};
use crate::reason::{InvalidReason, MAX_INPUT_CHARS};
use crate::region::Region;

/// What a caller ID turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerId {
    /// A number that can be looked up and dialled back.
    Dialable(E164),
    /// The caller withheld the number (`anonymous`, `restricted`, blank,
    /// all zeros, ...). Never looked up.
    Withheld,
    /// Not a usable number. Never looked up.
    Invalid {
        /// The input, cut to its first 64 characters. Attacker-controlled:
        /// escape it wherever it is shown or logged.
        raw: String,
        /// Why, in words a person can act on (`Display`).
        reason: InvalidReason,
    },
}

impl CallerId {
    /// The number, when dialable.
    pub fn dialable(&self) -> Option<&E164> {
        match self {
            Self::Dialable(number) => Some(number),
            _ => None,
        }
    }
}

/// Classifies a caller ID from a SIP `From`/`P-Asserted-Identity` user part
/// (or the whole `sip:`/`tel:` URI) or from the call-events API.
///
/// Accepted: `+15551234567`, `tel:+1-555-123-4567`,
/// `sip:+15551234567@host;user=phone`, national numbers of
/// `default_region` (`0312345678` in `JP`, `(669) 262-7777` in `US`), the
/// region's own international prefix, and `00` / `011` prefixes. An
/// extension (`ext. 12`, `x12`, `#12`, `;ext=12`) is dropped.
///
/// The number must be at least *possible* for its country (see [`E164`]);
/// when both a literal and an international-prefix reading exist, a *valid*
/// reading wins over a merely possible one.
pub fn classify(raw: &str, default_region: Region) -> CallerId {
    match read(raw, default_region) {
        Ok(Some(number)) => CallerId::Dialable(number),
        Ok(None) => CallerId::Withheld,
        Err(reason) => CallerId::Invalid {
            raw: raw.chars().take(MAX_INPUT_CHARS).collect(),
            reason,
        },
    }
}

/// `Ok(None)` = withheld.
fn read(raw: &str, region: Region) -> Result<Option<E164>, InvalidReason> {
    if lex::too_long(raw) {
        return Err(InvalidReason::TooLong);
    }
    let part = lex::strip_uri(raw)?;
    if lex::is_withheld_token(part.text) {
        return Ok(None);
    }
    let lexed = lex::lex_number(part)?;
    if lexed.digits.is_empty() {
        return Err(InvalidReason::NoDigits);
    }
    if lexed.digits.bytes().all(|b| b == b'0') {
        return Ok(None);
    }
    interpret(&lexed, region).map(Some)
}

/// Picks the trusted reading of lexically clean digits, or says why none.
pub(crate) fn interpret(lexed: &Lexed, region: Region) -> Result<E164, InvalidReason> {
    let (readings, complaint) = numbering::readings(lexed, region);
    if let Some(reading) = numbering::best(&readings) {
        return E164::parse(&reading.e164).map_err(|_| not_possible(reading, region));
    }
    match readings.first() {
        Some(reading) if !(8..=15).contains(&reading.digit_count()) => {
            Err(InvalidReason::BadLength {
                read_as: reading.e164.clone(),
            })
        }
        Some(reading) => Err(not_possible(reading, region)),
        None => Err(InvalidReason::NotANumber {
            region,
            detail: complaint.unwrap_or_else(|| "unreadable".to_owned()),
        }),
    }
}

fn not_possible(reading: &Reading, region: Region) -> InvalidReason {
    InvalidReason::NotPossible {
        read_as: reading.e164.clone(),
        region,
    }
}

//! [`match_stored`]: the client-side re-check of a value the CRM returned,
//! with a sentence saying why it matched.

use crate::e164::E164;
use crate::lex::{self, Lexed};
use crate::numbering::{self, Reading, Via};
use crate::reason::{printable, MAX_INPUT_CHARS};
use crate::region::Region;
use crate::variants::{suffix_key, SUFFIX_DIGITS};

/// Tenant settings for matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MatchOptions {
    /// Accept a stored value whose last N digits equal the caller's when it
    /// cannot be read as a number, or has no country code while the caller
    /// is from another region than the tenant's. `None` (default) = off.
    /// Values outside 7..=10 are clamped; [`MatchOptions::with_suffix_digits`]
    /// refuses them instead.
    pub suffix_digits: Option<usize>,
}

/// A suffix length outside 7..=10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("suffix matching uses 7 to 10 digits, not {0}")]
pub struct SuffixDigitsError(pub usize);

impl MatchOptions {
    /// Suffix fallback on with `digits` (7..=10) digits.
    pub fn with_suffix_digits(digits: usize) -> Result<Self, SuffixDigitsError> {
        if SUFFIX_DIGITS.contains(&digits) {
            Ok(Self {
                suffix_digits: Some(digits),
            })
        } else {
            Err(SuffixDigitsError(digits))
        }
    }
}

/// Which rule matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchKind {
    /// The stored text is the caller's E.164 number itself.
    ExactE164,
    /// The stored text, read in the tenant's region (or, failing that, the
    /// caller's), is the caller's number.
    SameNumberDifferentFormat,
    /// Only the last `digits` digits agree (configured fallback; can be a
    /// different number).
    Suffix {
        /// How many digits were compared.
        digits: usize,
    },
}

/// A stored CRM value that matches the caller, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberMatch {
    /// Which rule matched.
    pub kind: MatchKind,
    /// The stored value, exactly as the CRM returned it.
    pub stored: String,
    /// Why, for an agent or admin ("stored '03-1234-5678' is +81312345678
    /// in region JP, same as the caller"). Quotes the stored value with
    /// non-ASCII and invisible characters escaped.
    pub explanation: String,
}

/// [`match_stored_with`] with default options (no suffix fallback).
pub fn match_stored(stored: &str, caller: &E164, default_region: Region) -> Option<NumberMatch> {
    match_stored_with(stored, caller, default_region, &MatchOptions::default())
}

/// Re-checks one stored CRM value against the caller.
///
/// The stored text is read like a caller ID (extension dropped, national
/// numbers in `default_region`); when that gives no *valid* number and no
/// country code was written, it is also read in the caller's region. It
/// matches when the reading is the caller's number. With
/// [`MatchOptions::suffix_digits`] set, a value that cannot be read, or that
/// has no country code while the caller is from another region, matches on
/// its last digits. A value with an explicit country code that reads as
/// another number never matches. Values over 64 characters never match.
pub fn match_stored_with(
    stored: &str,
    caller: &E164,
    default_region: Region,
    options: &MatchOptions,
) -> Option<NumberMatch> {
    if lex::too_long(stored) {
        return None;
    }
    let shown = printable(stored, MAX_INPUT_CHARS);
    let found = |kind, explanation| {
        Some(NumberMatch {
            kind,
            stored: stored.to_owned(),
            explanation,
        })
    };
    if stored.trim_matches([' ', '\t']) == caller.as_str() {
        return found(
            MatchKind::ExactE164,
            format!("stored '{shown}' is the caller's number {caller} in E.164 form"),
        );
    }
    let lexed = lex::strip_uri(stored).and_then(lex::lex_number);
    let why_suffix = match &lexed {
        Err(reason) => format!("stored '{shown}' is not a clean phone number ({reason})"),
        Ok(lexed) if lexed.digits.is_empty() => return None,
        Ok(lexed) => {
            let (readings, _) = numbering::readings(lexed, default_region);
            let reading = numbering::best(&readings);
            if let Some(reading) = reading.filter(|r| r.e164 == caller.as_str()) {
                return found(
                    MatchKind::SameNumberDifferentFormat,
                    format!(
                        "stored '{shown}' is {caller} in region {default_region}{}, \
                         same as the caller{}",
                        via_note(reading),
                        extension_note(lexed)
                    ),
                );
            }
            let national = !has_country_code(lexed, reading, default_region);
            if let Some(explanation) = national
                .then(|| in_caller_region(lexed, reading, caller, default_region, &shown))
                .flatten()
            {
                return found(MatchKind::SameNumberDifferentFormat, explanation);
            }
            let caller_elsewhere = caller.region() != Some(default_region);
            match reading {
                None => {
                    format!("stored '{shown}' is not a possible number in region {default_region}")
                }
                Some(reading) if national && caller_elsewhere => format!(
                    "stored '{shown}' has no country code; in region {default_region} it is {}, \
                     but the caller {caller} is from {}",
                    reading.e164,
                    caller.region().map_or_else(
                        || "outside any single region".to_owned(),
                        |r| format!("region {r}")
                    ),
                ),
                Some(_) => return None,
            }
        }
    };
    suffix_match(stored, lexed.as_ref().ok(), caller, options, &why_suffix)
}

/// The opt-in fallback: the last N digits of the stored value (extension
/// excluded when it could be lexed) equal the caller's.
fn suffix_match(
    stored: &str,
    lexed: Option<&Lexed>,
    caller: &E164,
    options: &MatchOptions,
    why: &str,
) -> Option<NumberMatch> {
    let digits = options
        .suffix_digits?
        .clamp(*SUFFIX_DIGITS.start(), *SUFFIX_DIGITS.end());
    let key = suffix_key(caller, digits);
    let stored_digits = match lexed {
        Some(lexed) => lexed.digits.clone(),
        None => stored.chars().filter(char::is_ascii_digit).collect(),
    };
    (key.len() == digits && stored_digits.ends_with(&key)).then(|| NumberMatch {
        kind: MatchKind::Suffix { digits },
        stored: stored.to_owned(),
        explanation: format!(
            "{why}; its last {digits} digits {key} equal the caller's ({caller}), \
             accepted by the suffix fallback, which can also match a different number"
        ),
    })
}

/// A reading in the caller's region, tried when the tenant's region gave
/// no valid number and no country code was written.
fn in_caller_region(
    lexed: &Lexed,
    reading: Option<&Reading>,
    caller: &E164,
    default_region: Region,
    shown: &str,
) -> Option<String> {
    let caller_region = caller.region().filter(|r| *r != default_region)?;
    if reading.is_some_and(|r| r.valid) {
        return None;
    }
    let (readings, _) = numbering::readings(lexed, caller_region);
    let theirs = numbering::best(&readings).filter(|r| r.e164 == caller.as_str())?;
    Some(format!(
        "stored '{shown}' is not a valid number in region {default_region}; read as a national \
         number of region {caller_region} (the caller's) it is {}{}, same as the caller{}",
        theirs.e164,
        via_note(theirs),
        extension_note(lexed)
    ))
}

/// Written with `+`, an international prefix, or a country code the
/// library recognised, i.e. not a bare national number.
fn has_country_code(lexed: &Lexed, reading: Option<&Reading>, region: Region) -> bool {
    lexed.plus
        || reading.is_some_and(|r| {
            r.via != Via::AsWritten || !r.e164.starts_with(&format!("+{}", region.country_code()))
        })
}

fn via_note(reading: &Reading) -> String {
    match reading.via {
        Via::AsWritten => String::new(),
        Via::InternationalPrefix(prefix) => {
            format!(" (after the international prefix {prefix})")
        }
    }
}

fn extension_note(lexed: &Lexed) -> String {
    lexed
        .extension
        .as_ref()
        .map(|ext| format!("; extension {ext} ignored"))
        .unwrap_or_default()
}

//! [`E164`]: a phone number in canonical E.164 form.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use phonenumber::PhoneNumber;
use serde::{Deserialize, Serialize};

use crate::numbering;
use crate::region::Region;

/// Fewest digits after the `+`.
pub const MIN_DIGITS: usize = 8;
/// Most digits after the `+` (ITU-T E.164).
pub const MAX_DIGITS: usize = 15;

/// A phone number in canonical E.164 form, e.g. `+819012345678`.
///
/// Invariants, checked by every constructor ([`E164::parse`], `FromStr`,
/// `TryFrom<String>`, serde):
/// - `+` followed by 8 to 15 ASCII digits, the first not `0`;
/// - the country code is one the numbering data knows;
/// - the text is what the numbering library itself writes for that number
///   (canonical: no trunk prefix, no separators);
/// - the number is at least *possible* for its country (fits the general
///   numbering pattern and length; numbers from ranges newer than the data
///   and fictional ranges such as +1 555 are possible but not *valid*).
///
/// The text therefore only ever contains `+` and `0-9`: safe to put into a
/// query or a log as is.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct E164 {
    text: String,
    country_code_len: usize,
    region: Option<Region>,
    number: PhoneNumber,
}

/// Why a string is not an [`E164`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum E164Error {
    /// No leading `+`.
    #[error("an E.164 number starts with '+'")]
    MissingPlus,
    /// Something other than `0-9` after the `+`.
    #[error("an E.164 number has only the digits 0-9 after the '+', with no separators")]
    NotDigits,
    /// Fewer than 8 or more than 15 digits.
    #[error("an E.164 number has 8 to 15 digits after the '+'; this has {digits}")]
    Length {
        /// How many digits there were.
        digits: usize,
    },
    /// Country codes never start with 0.
    #[error("a country code never starts with 0")]
    LeadingZero,
    /// The numbering library cannot read it (e.g. unknown country code).
    #[error("not a phone number: {detail}")]
    Unreadable {
        /// The numbering library's own wording.
        detail: String,
    },
    /// Readable, but written differently from the canonical form.
    #[error("not canonical: the same number is written {canonical}")]
    NotCanonical {
        /// The canonical form.
        canonical: String,
    },
    /// Does not fit the numbering plan of its country.
    #[error("not a possible number for country code +{country_code}")]
    NotPossible {
        /// The country calling code.
        country_code: u16,
    },
}

impl E164 {
    /// Parses and checks a canonical E.164 string (see the type's invariants).
    /// To read free-form or national input, use [`crate::classify`].
    pub fn parse(text: &str) -> Result<Self, E164Error> {
        let digits = text.strip_prefix('+').ok_or(E164Error::MissingPlus)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E164Error::NotDigits);
        }
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) {
            return Err(E164Error::Length {
                digits: digits.len(),
            });
        }
        if digits.starts_with('0') {
            return Err(E164Error::LeadingZero);
        }
        let (number, canonical, possible) = numbering::parse_international(text)
            .map_err(|detail| E164Error::Unreadable { detail })?;
        if canonical != text {
            return Err(E164Error::NotCanonical { canonical });
        }
        let country_code = number.code().value();
        if !possible {
            return Err(E164Error::NotPossible { country_code });
        }
        let region = numbering::region_of(&number);
        Ok(Self {
            text: canonical,
            country_code_len: country_code.to_string().len(),
            region,
            number,
        })
    }

    /// The canonical text, e.g. `"+819012345678"`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The country calling code, e.g. `81`.
    pub fn country_code(&self) -> u16 {
        self.number.code().value()
    }

    /// The digits after the country code, without trunk prefix, e.g.
    /// `"9012345678"` for `+819012345678`.
    pub fn national_significant_number(&self) -> &str {
        &self.text[1 + self.country_code_len..]
    }

    /// The region the numbering data attributes the number to (`US` or `CA`
    /// for `+1`), or `None` for non-geographic codes (`+800`) and numbers of
    /// a shared country code that match no single region's ranges.
    pub fn region(&self) -> Option<Region> {
        self.region
    }

    /// The library's view, for formatting.
    pub(crate) fn library(&self) -> &PhoneNumber {
        &self.number
    }
}

impl PartialEq for E164 {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for E164 {}

impl Hash for E164 {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl PartialOrd for E164 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for E164 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.text.cmp(&other.text)
    }
}

impl fmt::Debug for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "E164({})", self.text)
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for E164 {
    type Err = E164Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for E164 {
    type Error = E164Error;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<E164> for String {
    fn from(number: E164) -> Self {
        number.text
    }
}

impl AsRef<str> for E164 {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_exposes_its_parts() {
        let jp = E164::parse("+819012345678").unwrap();
        assert_eq!(jp.as_str(), "+819012345678");
        assert_eq!(jp.country_code(), 81);
        assert_eq!(jp.national_significant_number(), "9012345678");
        assert_eq!(jp.region().map(|r| r.to_string()).as_deref(), Some("JP"));

        let us = E164::parse("+16692627777").unwrap();
        assert_eq!(us.country_code(), 1);
        assert_eq!(us.national_significant_number(), "6692627777");
        assert_eq!(us.region().map(|r| r.to_string()).as_deref(), Some("US"));

        let toll_free = E164::parse("+80012345678").unwrap();
        assert_eq!(toll_free.country_code(), 800);
        assert_eq!(toll_free.region(), None);
    }

    #[test]
    fn e164_keeps_leading_zeros_of_the_national_number() {
        let rome = E164::parse("+390612345678").unwrap();
        assert_eq!(rome.national_significant_number(), "0612345678");
        // The library's own `country().id()` says `None` here.
        assert_eq!(rome.region().map(|r| r.to_string()).as_deref(), Some("IT"));
    }

    #[test]
    fn e164_constructor_rejects_everything_but_canonical_form() {
        let cases: &[(&str, E164Error)] = &[
            ("819012345678", E164Error::MissingPlus),
            ("+81 90 1234 5678", E164Error::NotDigits),
            ("+８１9012345678", E164Error::NotDigits),
            ("+1234567", E164Error::Length { digits: 7 }),
            ("+1234567890123456", E164Error::Length { digits: 16 }),
            ("+0812345678", E164Error::LeadingZero),
        ];
        for (text, expected) in cases {
            assert_eq!(&E164::parse(text).unwrap_err(), expected, "{text}");
        }
        // The trunk prefix 0 does not belong in E.164.
        assert_eq!(
            E164::parse("+8109012345678").unwrap_err(),
            E164Error::NotCanonical {
                canonical: "+819012345678".into()
            }
        );
        assert_eq!(
            E164::parse("+11551234567").unwrap_err(),
            E164Error::NotPossible { country_code: 1 }
        );
        assert!(
            E164::parse("+99912345678").is_err(),
            "unassigned country code"
        );
    }

    #[test]
    fn e164_round_trips_through_serde_and_validates_on_the_way_in() {
        let number: E164 = serde_json::from_str("\"+16692627777\"").unwrap();
        assert_eq!(serde_json::to_string(&number).unwrap(), "\"+16692627777\"");
        assert!(serde_json::from_str::<E164>("\"+1^NQactive=true\"").is_err());
    }
}

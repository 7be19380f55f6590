//! [`Region`]: a tenant's default region, an ISO 3166 alpha-2 code that the
//! numbering data knows.

use std::fmt;
use std::str::FromStr;

use phonenumber::country;
use phonenumber::metadata::DATABASE;
use serde::{Deserialize, Serialize};

use crate::reason::printable;

/// An ISO 3166 alpha-2 region code with telephone numbering data, such as
/// `JP` or `US`.
///
/// Invariant: the code is two upper-case ASCII letters and the numbering
/// data has an entry for it (so national numbers can be read in it).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Region(country::Id);

/// Why a region code from configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    /// Not two ASCII letters.
    #[error(
        "region \"{input}\" is not a two-letter ISO 3166 country code; \
         write it like \"JP\" or \"US\""
    )]
    Malformed {
        /// The offending input, made printable and shortened.
        input: String,
    },
    /// Two letters, but no numbering data exists for them.
    #[error("region \"{code}\" has no telephone numbering data; {hint}")]
    Unknown {
        /// The upper-cased code.
        code: String,
        /// What to do about it.
        hint: &'static str,
    },
}

impl Region {
    /// Parses a region code from configuration. Case-insensitive (`jp` is
    /// read as `JP`); surrounding whitespace is an error, not trimmed.
    pub fn parse(input: &str) -> Result<Self, RegionError> {
        let bytes = input.as_bytes();
        if bytes.len() != 2 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return Err(RegionError::Malformed {
                input: printable(input, 16),
            });
        }
        let code = input.to_ascii_uppercase();
        let unknown = || RegionError::Unknown {
            code: code.clone(),
            hint: if code == "UK" {
                "the United Kingdom's ISO 3166 code is \"GB\""
            } else {
                "check the ISO 3166 alpha-2 code of the tenant's country"
            },
        };
        let id: country::Id = code.parse().map_err(|_| unknown())?;
        // The parser unwraps this lookup for its default region, so a region
        // without data must never reach it.
        if DATABASE.by_id(id.as_ref()).is_none() {
            return Err(unknown());
        }
        Ok(Self(id))
    }

    /// The two-letter code, e.g. `"JP"`.
    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }

    /// The country calling code of this region (`81` for `JP`, `1` for `US`).
    pub fn country_code(&self) -> u16 {
        DATABASE
            .by_id(self.as_str())
            .map(|meta| meta.country_code())
            .unwrap_or(0)
    }

    pub(crate) fn id(self) -> country::Id {
        self.0
    }

    /// Wraps a library id, keeping the invariant (data must exist).
    pub(crate) fn from_id(id: country::Id) -> Option<Self> {
        DATABASE.by_id(id.as_ref()).map(|_| Self(id))
    }
}

impl FromStr for Region {
    type Err = RegionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Region {
    type Error = RegionError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Region> for String {
    fn from(region: Region) -> Self {
        region.as_str().to_owned()
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Region({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_parses_upper_and_lower_case() {
        assert_eq!(Region::parse("JP").unwrap().as_str(), "JP");
        assert_eq!(Region::parse("us").unwrap().as_str(), "US");
        assert_eq!(Region::parse("JP").unwrap().country_code(), 81);
        assert_eq!(Region::parse("US").unwrap().country_code(), 1);
    }

    #[test]
    fn region_rejects_malformed_codes_with_a_clear_error() {
        for bad in ["", "J", "JPN", " JP", "J1", "日本", "J\u{200F}"] {
            let err = Region::parse(bad).unwrap_err();
            assert!(matches!(err, RegionError::Malformed { .. }), "{bad:?}");
            assert!(err.to_string().contains("two-letter"), "{err}");
        }
    }

    #[test]
    fn region_rejects_codes_without_numbering_data() {
        let err = Region::parse("ZZ").unwrap_err();
        assert!(matches!(err, RegionError::Unknown { .. }));
        let uk = Region::parse("UK").unwrap_err().to_string();
        assert!(uk.contains("\"GB\""), "{uk}");
    }

    #[test]
    fn region_round_trips_through_serde() {
        let region: Region = serde_json::from_str("\"JP\"").unwrap();
        assert_eq!(serde_json::to_string(&region).unwrap(), "\"JP\"");
        assert!(serde_json::from_str::<Region>("\"Japan\"").is_err());
    }
}

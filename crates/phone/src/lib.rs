//! Caller-ID classification and explainable phone-number matching.
//!
//! # Invariants
//!
//! - **No IO.** Pure functions over strings; no sockets, files or clocks.
//! - **The only place that parses phone numbers.** Every other crate gets an
//!   [`E164`], a [`CallerId`] or a [`NumberMatch`] from here; inside this
//!   crate only `numbering.rs` calls the `phonenumber` library.
//! - **Caller IDs are attacker-controlled.** [`classify`] accepts a narrow
//!   alphabet (digits, a leading `+`, space `-` `.` `(` `)` `/`, one
//!   extension) and refuses everything else with a reason a person can act
//!   on, before the library sees it. What reaches a CRM query is an
//!   [`E164`] (only `+` and digits), a [`storage_variants`] entry (only `+`,
//!   digits, space `-` `.` `(` `)`) or a [`suffix_key`] (only digits).
//!   Callers still escape them for their query language.
//! - **Withheld and invalid numbers are never looked up**: they are not
//!   [`CallerId::Dialable`].
//! - **Matching is explainable.** The CRM query ([`storage_variants`],
//!   [`suffix_key`]) is a heuristic; [`match_stored`] re-reads each returned
//!   value and says which rule matched and why.
//! - **Bounded work.** Inputs over 64 characters are refused unread;
//!   variant lists have at most [`MAX_VARIANTS`] entries.
//! - **The one shared side effect** is on the `phonenumber` library's own
//!   process-wide pattern cache: first use raises it from 100 to
//!   [`PATTERN_CACHE_CAPACITY`] compiled patterns, so callers from many
//!   countries do not make it thrash; [`warm_up`] fills it at start-up.
//!
//! # Example
//!
//! ```
//! use callbridge_phone::{classify, match_stored, storage_variants, CallerId, MatchKind, Region};
//!
//! let jp = Region::parse("JP").unwrap();
//! let CallerId::Dialable(caller) = classify("sip:+81312345678@trunk.example;user=phone", jp)
//! else { unreachable!() };
//! assert_eq!(caller.as_str(), "+81312345678");
//! assert!(storage_variants(&caller).contains(&"03-1234-5678".to_owned()));
//!
//! let found = match_stored("03-1234-5678", &caller, jp).unwrap();
//! assert_eq!(found.kind, MatchKind::SameNumberDifferentFormat);
//! assert_eq!(
//!     found.explanation,
//!     "stored '03-1234-5678' is +81312345678 in region JP, same as the caller"
//! );
//! assert_eq!(classify("anonymous", jp), CallerId::Withheld);
//! assert!(matches!(classify("x^NQactive=true", jp), CallerId::Invalid { .. }));
//! ```

mod classify;
mod e164;
mod lex;
mod matching;
mod numbering;
mod reason;
mod region;
mod variants;
mod warm;

pub use classify::{classify, CallerId};
pub use e164::{E164Error, E164, MAX_DIGITS, MIN_DIGITS};
pub use matching::{
    match_stored, match_stored_with, MatchKind, MatchOptions, NumberMatch, SuffixDigitsError,
};
pub use numbering::PATTERN_CACHE_CAPACITY;
pub use reason::{InvalidReason, MAX_INPUT_CHARS};
pub use region::{Region, RegionError};
pub use variants::{storage_variants, suffix_key, MAX_VARIANTS, SUFFIX_DIGITS};
pub use warm::warm_up;

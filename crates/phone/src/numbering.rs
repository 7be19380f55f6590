//! The one module that calls the numbering library's parser. It only ever
//! sees `+` and ASCII digits (see `lex`), and its results are judged here:
//! *valid* (the number is in an assigned range of the library's data) or
//! *possible* (it fits its country's general numbering pattern and length).
//!
//! The library compiles its metadata patterns lazily into one process-wide
//! LRU cache of 100 entries. One region's traffic needs about 25 of them and
//! each further caller country 10-25 more, so with callers from more than a
//! few countries the cache thrashes and a parse recompiles patterns (several
//! milliseconds). The first use here raises the capacity to
//! [`PATTERN_CACHE_CAPACITY`] (entries cost about 100 KiB each, and only
//! exist once used).

use std::sync::Once;

use phonenumber::country;
use phonenumber::metadata::{Descriptor, DATABASE};
use phonenumber::{Metadata, PhoneNumber};

use crate::lex::Lexed;
use crate::region::Region;

/// Compiled patterns the library may keep cached (its own default is 100).
pub const PATTERN_CACHE_CAPACITY: usize = 512;

/// Raises the library's pattern cache to [`PATTERN_CACHE_CAPACITY`], once.
fn ensure_cache_capacity() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let cache = DATABASE.cache();
        // A poisoned lock makes every later parse panic inside the library
        // anyway; leave it alone here.
        if let Ok(mut cache) = cache.lock() {
            if cache.capacity() < PATTERN_CACHE_CAPACITY {
                cache.set_capacity(PATTERN_CACHE_CAPACITY);
            }
        };
    });
}

/// How a reading was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    /// As written: `+` and country code, or national in the default region
    /// (the library also applies the region's own international prefix).
    AsWritten,
    /// After removing an international prefix the library did not apply for
    /// the default region (`00`, or `011` from NANP).
    InternationalPrefix(&'static str),
}

/// One way of reading a digit string.
#[derive(Debug, Clone)]
pub(crate) struct Reading {
    /// `+` and digits.
    pub e164: String,
    pub valid: bool,
    pub possible: bool,
    pub via: Via,
}

impl Reading {
    pub(crate) fn digit_count(&self) -> usize {
        self.e164.len() - 1
    }
}

/// All readings of a lexed number in `region`, most literal first, plus the
/// library's complaint about the literal one when it could not be read.
pub(crate) fn readings(lexed: &Lexed, region: Region) -> (Vec<Reading>, Option<String>) {
    ensure_cache_capacity();
    let mut attempts: Vec<(String, Via)> = Vec::with_capacity(2);
    if lexed.plus {
        attempts.push((format!("+{}", lexed.digits), Via::AsWritten));
    } else {
        attempts.push((lexed.digits.clone(), Via::AsWritten));
        for prefix in ["00", "011"] {
            let rest = lexed.digits.strip_prefix(prefix);
            if let Some(rest) = rest.filter(|rest| !rest.starts_with('0') && rest.len() >= 8) {
                attempts.push((format!("+{rest}"), Via::InternationalPrefix(prefix)));
            }
        }
    }
    let mut found = Vec::with_capacity(attempts.len());
    let mut complaint = None;
    for (index, (text, via)) in attempts.into_iter().enumerate() {
        match phonenumber::parse(Some(region.id()), &text) {
            Ok(number) => {
                let (valid, possible) = judge(&number);
                found.push(Reading {
                    e164: e164_text(&number),
                    valid,
                    possible,
                    via,
                });
            }
            Err(err) if index == 0 => complaint = Some(err.to_string()),
            Err(_) => {}
        }
    }
    (found, complaint)
}

/// The reading to trust: the first valid one, else the first possible one,
/// in both cases within E.164's 8..=15 digits.
pub(crate) fn best(readings: &[Reading]) -> Option<&Reading> {
    let fits = |r: &&Reading| (8..=15).contains(&r.digit_count());
    readings
        .iter()
        .filter(fits)
        .find(|r| r.valid)
        .or_else(|| readings.iter().filter(fits).find(|r| r.possible))
}

/// What lexically clean national `digits` read as in `region` (the best
/// reading's E.164 text).
pub(crate) fn reads_as(digits: &str, region: Region) -> Option<String> {
    let lexed = Lexed {
        plus: false,
        digits: digits.to_owned(),
        extension: None,
    };
    let (found, _) = readings(&lexed, region);
    best(&found).map(|reading| reading.e164.clone())
}

/// The region whose national spelling a number has: its own, else the main
/// region of its country code (`US` for an unassigned `+1` range); `None`
/// for non-geographic codes.
pub(crate) fn home_region(number: &PhoneNumber) -> Option<Region> {
    region_of(number).or_else(|| {
        DATABASE
            .by_code(&number.code().value())?
            .into_iter()
            .find(|meta| meta.is_main_country_for_code())
            .and_then(|meta| meta.id().parse::<country::Id>().ok())
            .and_then(Region::from_id)
    })
}

/// Example national significant numbers (fixed line, mobile) of a region,
/// from the numbering data.
pub(crate) fn examples(region: Region) -> Vec<String> {
    DATABASE
        .by_id(region.as_str())
        .map(|meta| {
            let d = meta.descriptors();
            [d.fixed_line(), d.mobile()]
                .into_iter()
                .flatten()
                .filter_map(|desc| desc.example().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Reads an E.164 string with no default region.
pub(crate) fn parse_international(text: &str) -> Result<(PhoneNumber, String, bool), String> {
    ensure_cache_capacity();
    let number = phonenumber::parse(None, text).map_err(|err| err.to_string())?;
    let (_, possible) = judge(&number);
    let canonical = e164_text(&number);
    Ok((number, canonical, possible))
}

/// The region a number belongs to, like the library's
/// `PhoneNumber::country().id()` but keeping the national number's leading
/// zeros: the library drops them there, so every Italian number (+39 06...)
/// came back without a region.
pub(crate) fn region_of(number: &PhoneNumber) -> Option<Region> {
    let national = number.national().to_string();
    let ids = DATABASE.region(&number.code().value())?;
    let id = match ids.as_slice() {
        [only] => *only,
        _ => ids.iter().copied().find(|id| {
            DATABASE
                .by_id(*id)
                .is_some_and(|meta| belongs_to(meta, &national))
        })?,
    };
    // Non-geographic codes ("001") are not a `country::Id`.
    id.parse::<country::Id>().ok().and_then(Region::from_id)
}

/// For regions sharing a country code: the region's leading digits when it
/// has them, else some number type of the region fits.
fn belongs_to(meta: &Metadata, national: &str) -> bool {
    if let Some(leading) = meta.leading_digits() {
        return leading.find(national).is_some_and(|m| m.start() == 0);
    }
    meta.descriptors().general().is_match(national)
        && type_descriptors(meta).any(|desc| desc.is_match(national))
}

/// `+`, country code, national significant number (with its leading zeros).
/// Built by hand: the library's formatter fails (and `to_string` panics) for
/// country codes without data.
fn e164_text(number: &PhoneNumber) -> String {
    format!("+{}{}", number.code().value(), number.national())
}

/// (valid, possible); valid implies possible.
///
/// Valid is the library's `is_valid` (an assigned range). Possible is
/// libphonenumber's "possible number" rule, made by hand because this crate
/// never fills the general descriptor's possible lengths (its `is_match`
/// then only checks a prefix): some region sharing the country code has a
/// number type whose lengths include the national number's length, and
/// whose general pattern matches its start.
fn judge(number: &PhoneNumber) -> (bool, bool) {
    let valid = number.is_valid();
    let national = number.national().to_string();
    let length = u16::try_from(national.len()).unwrap_or(u16::MAX);
    let possible = valid
        || DATABASE
            .by_code(&number.code().value())
            .is_some_and(|metas| {
                metas.iter().any(|meta| {
                    type_descriptors(meta).any(|desc| desc.possible_length().contains(&length))
                        && meta.descriptors().general().is_match(&national)
                })
            });
    (valid, possible)
}

/// The descriptors of whole-number types (not short codes, emergency, ...).
fn type_descriptors(meta: &Metadata) -> impl Iterator<Item = &Descriptor> {
    let d = meta.descriptors();
    [
        d.fixed_line(),
        d.mobile(),
        d.toll_free(),
        d.premium_rate(),
        d.shared_cost(),
        d.personal_number(),
        d.voip(),
        d.pager(),
        d.uan(),
        d.voicemail(),
    ]
    .into_iter()
    .flatten()
}

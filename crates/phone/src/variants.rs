//! What to ask the CRM for: [`storage_variants`] for an exact-match (`=`)
//! query, [`suffix_key`] for an optional `LIKE` fallback.

use std::fmt::Write as _;
use std::ops::RangeInclusive;

use phonenumber::{Mode, PhoneNumber};

use crate::e164::E164;
use crate::numbering;

/// Most strings [`storage_variants`] returns.
pub const MAX_VARIANTS: usize = 16;

/// Allowed lengths of a suffix key.
pub const SUFFIX_DIGITS: RangeInclusive<usize> = 7..=10;

/// The ways a CRM realistically holds `number` in a free-form phone column
/// (ServiceNow `ph_number` stores text as typed), for an exact-match query:
/// E.164 (`+819012345678`), the library's international
/// (`+81 90-1234-5678`) and national (`090-1234-5678`) formats, national
/// digits (`09012345678`), and derived spellings: hyphen/space variants of
/// the international and national forms, NANP's `669-262-7777`,
/// `669.262.7777`, `1-669-262-7777`, `+1 669 262 7777`, ..., Japan's
/// `03(1234)5678`.
///
/// This is a heuristic to keep the CRM query exact and indexed; it cannot
/// know every spelling. Whatever comes back must be re-checked with
/// [`crate::match_stored`], which decides. The order is stable (most common
/// first), without duplicates, at most [`MAX_VARIANTS`] entries, and every
/// entry only contains `+`, `0-9`, space, `-`, `.`, `(`, `)`; values must
/// still be escaped for the query language they go into.
pub fn storage_variants(number: &E164) -> Vec<String> {
    let mut out = Variants::default();
    let cc = number.country_code();
    let nsn = number.national_significant_number();
    out.push(number.as_str());

    let library = number.library();
    let international = render(library, Mode::International);
    // National spellings are only offered when their digits read back as
    // this number in its home region: where the library has no national
    // format (it then prints the bare national number) or the number has no
    // region (+800), a national spelling would be another number or none.
    let home = numbering::home_region(library);
    let reads_back = |digits: &str| {
        home.and_then(|region| numbering::reads_as(digits, region))
            .is_some_and(|e164| e164 == number.as_str())
    };
    let national = render(library, Mode::National)
        .filter(|text| digits_of(text).ends_with(nsn) && reads_back(&digits_of(text)));
    if let Some(text) = &international {
        out.push(text);
    }
    if let Some(text) = &national {
        out.push(text);
        out.push(&digits_of(text));
    }
    if cc == 1 && nsn.len() == 10 {
        let (area, exchange, line) = (&nsn[..3], &nsn[3..6], &nsn[6..]);
        nanp(
            &mut out,
            area,
            exchange,
            line,
            reads_back(nsn),
            reads_back(&format!("1{nsn}")),
        );
    }
    let prefix = format!("+{cc} ");
    let international_groups = international
        .as_deref()
        .and_then(|text| text.strip_prefix(&prefix))
        .map(groups_of)
        .filter(|groups| groups.concat() == nsn && groups.len() > 1);
    if let Some(groups) = international_groups {
        out.push(&format!("+{cc} {}", groups.join("-")));
        out.push(&format!("+{cc}-{}", groups.join("-")));
        out.push(&format!("+{cc} {}", groups.join(" ")));
    }
    let national_groups = national
        .as_deref()
        .map(groups_of)
        .filter(|groups| groups.len() > 1);
    if let Some(groups) = national_groups {
        out.push(&groups.join("-"));
        out.push(&groups.join(" "));
        if cc == 81 && groups.len() == 3 {
            out.push(&format!("{}({}){}", groups[0], groups[1], groups[2]));
        }
    }
    out.0
}

/// The last `digits` digits of the national significant number, for a
/// `LIKE`/`ENDSWITH` fallback query. `digits` is clamped to
/// [`SUFFIX_DIGITS`]; a national number shorter than that gives all its
/// digits. Only ever contains `0-9`.
pub fn suffix_key(number: &E164, digits: usize) -> String {
    let digits = digits.clamp(*SUFFIX_DIGITS.start(), *SUFFIX_DIGITS.end());
    let nsn = number.national_significant_number();
    nsn[nsn.len().saturating_sub(digits)..].to_owned()
}

/// NANP spellings, most common first; the national ones (`local`) and those
/// with the trunk `1` (`trunk`) only when they read back as the number.
fn nanp(out: &mut Variants, area: &str, exchange: &str, line: &str, local: bool, trunk: bool) {
    if local {
        out.push(&format!("({area}) {exchange}-{line}"));
        out.push(&format!("{area}-{exchange}-{line}"));
        out.push(&format!("{area}.{exchange}.{line}"));
        out.push(&format!("{area}{exchange}{line}"));
    }
    out.push(&format!("+1 {area}-{exchange}-{line}"));
    out.push(&format!("+1 {area} {exchange} {line}"));
    if trunk {
        out.push(&format!("1-{area}-{exchange}-{line}"));
        out.push(&format!("1{area}{exchange}{line}"));
    }
    out.push(&format!("+1-{area}-{exchange}-{line}"));
    out.push(&format!("+1 ({area}) {exchange}-{line}"));
    if trunk {
        out.push(&format!("1 ({area}) {exchange}-{line}"));
    }
    if local {
        out.push(&format!("{area} {exchange} {line}"));
    }
}

/// The library's rendering, or `None` where it has no format (its
/// `to_string` would panic for unknown country codes; `write!` reports it).
fn render(number: &PhoneNumber, mode: Mode) -> Option<String> {
    let mut text = String::new();
    write!(text, "{}", number.format().mode(mode)).ok()?;
    let safe = text
        .bytes()
        .all(|b| b.is_ascii_digit() || b" +-.()".contains(&b));
    safe.then_some(text)
}

fn digits_of(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

fn groups_of(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|group| !group.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Ordered, de-duplicated, capped list.
#[derive(Default)]
struct Variants(Vec<String>);

impl Variants {
    fn push(&mut self, text: &str) {
        if self.0.len() < MAX_VARIANTS && !self.0.iter().any(|known| known == text) {
            self.0.push(text.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e164(text: &str) -> E164 {
        E164::parse(text).unwrap()
    }

    #[test]
    fn variants_of_a_japanese_mobile_start_with_the_briefed_forms() {
        let variants = storage_variants(&e164("+819012345678"));
        assert_eq!(
            &variants[..4],
            [
                "+819012345678",
                "+81 90-1234-5678",
                "090-1234-5678",
                "09012345678"
            ]
        );
        for expected in ["+81-90-1234-5678", "+81 90 1234 5678", "090 1234 5678"] {
            assert!(
                variants.iter().any(|v| v == expected),
                "{expected}: {variants:?}"
            );
        }
    }

    #[test]
    fn variants_of_a_tokyo_landline_include_hyphen_and_space_forms() {
        let variants = storage_variants(&e164("+81312345678"));
        for expected in [
            "+81312345678",
            "+81 3-1234-5678",
            "+81-3-1234-5678",
            "+81 3 1234 5678",
            "03-1234-5678",
            "0312345678",
            "03(1234)5678",
        ] {
            assert!(
                variants.iter().any(|v| v == expected),
                "{expected}: {variants:?}"
            );
        }
    }

    #[test]
    fn variants_of_a_nanp_number_include_every_briefed_spelling() {
        let variants = storage_variants(&e164("+16692627777"));
        for expected in [
            "+16692627777",
            "(669) 262-7777",
            "669-262-7777",
            "669.262.7777",
            "6692627777",
            "+1 669-262-7777",
            "+1 669 262 7777",
            "1-669-262-7777",
        ] {
            assert!(
                variants.iter().any(|v| v == expected),
                "{expected}: {variants:?}"
            );
        }
    }

    #[test]
    fn variants_are_unique_bounded_and_query_safe() {
        for text in [
            "+819012345678",
            "+81312345678",
            "+16692627777",
            "+15551234567",
            "+442071234567",
            "+390612345678",
            "+80012345678",
            "+4930123456",
            "+60600000000",
        ] {
            let variants = storage_variants(&e164(text));
            assert!(variants.len() <= MAX_VARIANTS, "{text}: {variants:?}");
            let mut unique = variants.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), variants.len(), "{text}: {variants:?}");
            for variant in &variants {
                assert!(
                    variant
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b" +-.()".contains(&b)),
                    "{variant:?}"
                );
            }
        }
    }

    #[test]
    fn national_spellings_are_left_out_when_they_would_read_as_another_number() {
        // No national format in the data: the bare national number would be
        // read as something else in Malaysia.
        let variants = storage_variants(&e164("+60600000000"));
        assert!(variants.iter().all(|v| v.starts_with('+')), "{variants:?}");
        // Non-geographic: no national spelling at all.
        let variants = storage_variants(&e164("+80012345678"));
        assert!(variants.iter().all(|v| v.starts_with('+')), "{variants:?}");
        // Unassigned +1 range: national spellings are read in the US.
        let variants = storage_variants(&e164("+15551234567"));
        assert!(
            variants.contains(&"(555) 123-4567".to_owned()),
            "{variants:?}"
        );
    }

    #[test]
    fn suffix_key_is_the_last_national_digits_clamped_to_seven_through_ten() {
        let number = e164("+16692627777");
        assert_eq!(suffix_key(&number, 7), "2627777");
        assert_eq!(suffix_key(&number, 10), "6692627777");
        assert_eq!(suffix_key(&number, 3), "2627777");
        assert_eq!(suffix_key(&number, 99), "6692627777");
        assert_eq!(suffix_key(&e164("+81312345678"), 10), "312345678");
    }
}

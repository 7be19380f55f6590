//! Properties over generated input: no panics, and the E.164 invariant.

use callbridge_phone::{
    classify, match_stored, match_stored_with, storage_variants, CallerId, MatchKind, MatchOptions,
    Region, E164,
};
use proptest::prelude::*;

fn regions() -> impl Strategy<Value = Region> {
    prop::sample::select(vec![
        "JP", "US", "GB", "DE", "FR", "IN", "BR", "IT", "AU", "CN", "RU", "MY", "BY",
    ])
    .prop_map(|code| Region::parse(code).unwrap())
}

/// Strings close to phone numbers, to reach the parser and not only the lexer.
fn phone_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[+]?[0-9]{1,18}",
        "[+]?[0-9 ().\\-/]{0,30}",
        "(tel:|sip:|sips:)?[+]?[0-9\\-]{4,20}(@[a-z0-9.]{1,10}(;user=phone)?)?",
        "[+]?[0-9 \\-]{6,20}( ?(ext\\.?|x|#|;ext=) ?[0-9]{0,12})?",
        "(00|011|010)[0-9]{6,15}",
    ]
}

fn assert_e164_invariant(number: &E164) {
    let text = number.as_str();
    let digits = text.strip_prefix('+').expect("starts with +");
    assert!((8..=15).contains(&digits.len()), "{text}");
    assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{text}");
    assert!(!digits.starts_with('0'), "{text}");
    assert_eq!(E164::parse(text).as_ref(), Ok(number), "{text}");
    let cc = number.country_code().to_string();
    assert_eq!(
        format!("+{cc}{}", number.national_significant_number()),
        text
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn classify_never_panics_on_arbitrary_strings(raw in any::<String>(), region in regions()) {
        if let CallerId::Dialable(number) = classify(&raw, region) {
            assert_e164_invariant(&number);
        }
    }

    #[test]
    fn dialable_outputs_always_satisfy_the_e164_invariant(raw in phone_like(), region in regions()) {
        if let CallerId::Dialable(number) = classify(&raw, region) {
            assert_e164_invariant(&number);
        }
    }

    #[test]
    fn invalid_reasons_never_echo_non_ascii_input(raw in any::<String>(), region in regions()) {
        if let CallerId::Invalid { reason, raw: kept } = classify(&raw, region) {
            let text = reason.to_string();
            prop_assert!(text.is_ascii(), "{text}");
            prop_assert!(kept.chars().count() <= 64);
        }
    }

    #[test]
    fn inputs_with_characters_outside_the_alphabet_are_never_dialable(
        prefix in "[+]?[0-9 ]{0,10}",
        // (Blanks at either end are trimmed, so tab is not in this set.)
        bad in "[\\^%,=!<>'\"`*&|\\\\\\n\\r\\x00\u{80}-\u{10FFFF}]",
        suffix in "[0-9 ]{0,10}",
        region in regions(),
    ) {
        let raw = format!("{prefix}{bad}{suffix}");
        prop_assert!(!matches!(classify(&raw, region), CallerId::Dialable(_)), "{raw:?}");
    }

    #[test]
    fn match_stored_never_panics_and_suffix_needs_the_option(
        stored in prop_oneof![any::<String>(), phone_like()],
        caller in phone_like(),
        region in regions(),
    ) {
        if let CallerId::Dialable(caller) = classify(&caller, region) {
            if let Some(found) = match_stored(&stored, &caller, region) {
                let is_suffix = matches!(found.kind, MatchKind::Suffix { .. });
                prop_assert!(!is_suffix, "{:?}", found);
            }
            let options = MatchOptions::with_suffix_digits(7).unwrap();
            let _ = match_stored_with(&stored, &caller, region, &options);
        }
    }

    #[test]
    fn storage_variants_of_any_dialable_number_re_match(raw in phone_like(), region in regions()) {
        if let CallerId::Dialable(number) = classify(&raw, region) {
            // National spellings are read in the number's region, or for an
            // unassigned range of a shared code, its main region (US for +1).
            let home = number.region().unwrap_or(region);
            let variants = storage_variants(&number);
            prop_assert!(!variants.is_empty() && variants.len() <= 16);
            prop_assert_eq!(&variants[0], number.as_str());
            let international_only = number.region().is_none();
            for variant in variants {
                if international_only && !variant.starts_with('+') {
                    continue;
                }
                let found = match_stored(&variant, &number, home);
                prop_assert!(found.is_some(), "{:?} does not re-match {} in {}", variant, number, home);
            }
        }
    }
}

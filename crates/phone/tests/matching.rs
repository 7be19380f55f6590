//! Rules of `match_stored` and how they fit `storage_variants`.

use callbridge_phone::{
    classify, match_stored, match_stored_with, storage_variants, suffix_key, CallerId, MatchKind,
    MatchOptions, NumberMatch, Region, E164,
};

fn jp() -> Region {
    Region::parse("JP").unwrap()
}

fn us() -> Region {
    Region::parse("US").unwrap()
}

fn number(text: &str) -> E164 {
    E164::parse(text).unwrap()
}

#[track_caller]
fn matched(stored: &str, caller: &str, region: Region) -> NumberMatch {
    match_stored(stored, &number(caller), region)
        .unwrap_or_else(|| panic!("{stored:?} should match {caller} in {region}"))
}

fn suffix(digits: usize) -> MatchOptions {
    MatchOptions::with_suffix_digits(digits).unwrap()
}

#[test]
fn demo_data_formats_match_the_caller() {
    let cases = [
        ("+81 3-1234-5678", "+81312345678", jp()),
        ("03-1234-5678", "+81312345678", jp()),
        ("(669) 262-7777", "+16692627777", us()),
        ("858-287-7800 ext. 12", "+18582877800", us()),
        ("+81-6-6123-4567", "+81661234567", jp()),
        ("080-1111-2222", "+818011112222", jp()),
        ("+81 80 1111 2222", "+818011112222", jp()),
    ];
    for (stored, caller, region) in cases {
        let found = matched(stored, caller, region);
        assert_eq!(found.kind, MatchKind::SameNumberDifferentFormat, "{stored}");
        assert_eq!(found.stored, stored);
    }
}

#[test]
fn the_e164_form_itself_is_an_exact_match() {
    let found = matched("+16692627777", "+16692627777", jp());
    assert_eq!(found.kind, MatchKind::ExactE164);
    assert_eq!(
        found.explanation,
        "stored '+16692627777' is the caller's number +16692627777 in E.164 form"
    );
}

#[test]
fn a_national_stored_value_matches_a_caller_written_internationally() {
    let CallerId::Dialable(caller) = classify("+81 80 1111 2222", us()) else {
        panic!("dialable expected");
    };
    let found = match_stored("080-1111-2222", &caller, jp()).unwrap();
    assert_eq!(found.kind, MatchKind::SameNumberDifferentFormat);
    assert_eq!(
        found.explanation,
        "stored '080-1111-2222' is +818011112222 in region JP, same as the caller"
    );
}

#[test]
fn the_explanation_says_how_the_value_was_read() {
    assert_eq!(
        matched("03-1234-5678", "+81312345678", jp()).explanation,
        "stored '03-1234-5678' is +81312345678 in region JP, same as the caller"
    );
    assert_eq!(
        matched("858-287-7800 ext. 12", "+18582877800", us()).explanation,
        "stored '858-287-7800 ext. 12' is +18582877800 in region US, same as the caller; \
         extension 12 ignored"
    );
    assert_eq!(
        matched("0081312345678", "+81312345678", jp()).explanation,
        "stored '0081312345678' is +81312345678 in region JP (after the international \
         prefix 00), same as the caller"
    );
}

#[test]
fn a_national_value_of_the_callers_region_matches_when_the_tenant_region_cannot_read_it() {
    let found = matched("(669) 262-7777", "+16692627777", jp());
    assert_eq!(found.kind, MatchKind::SameNumberDifferentFormat);
    assert!(
        found
            .explanation
            .contains("read as a national number of region US (the caller's)"),
        "{}",
        found.explanation
    );
}

#[test]
fn a_different_number_does_not_match() {
    let caller = number("+81312345678");
    for stored in [
        "03-1234-5679",
        "+81 3-1234-5679",
        "06-1234-5678",
        "+1 312 345 678",
    ] {
        assert_eq!(match_stored(stored, &caller, jp()), None, "{stored}");
    }
}

#[test]
fn an_explicit_country_code_of_another_number_never_matches_even_with_suffix_on() {
    // Same last 8 digits, but the stored value says it is a UK number.
    let caller = number("+81312345678");
    let stored = "+44 20 1234 5678";
    assert_eq!(match_stored_with(stored, &caller, jp(), &suffix(8)), None);
}

#[test]
fn suffix_fallback_is_off_by_default() {
    let caller = number("+81312345678");
    assert_eq!(match_stored("Tel 03-1234-5678 (home)", &caller, jp()), None);
}

#[test]
fn suffix_fallback_matches_a_value_that_cannot_be_read() {
    let caller = number("+81312345678");
    let found = match_stored_with("Tel 03-1234-5678 (home)", &caller, jp(), &suffix(7)).unwrap();
    assert_eq!(found.kind, MatchKind::Suffix { digits: 7 });
    assert!(
        found.explanation.contains("not a clean phone number"),
        "{}",
        found.explanation
    );
    assert!(
        found.explanation.contains("last 7 digits 2345678"),
        "{}",
        found.explanation
    );
    assert!(found
        .explanation
        .contains("can also match a different number"));
}

#[test]
fn suffix_fallback_matches_a_national_value_when_the_callers_region_differs() {
    // A French caller; the JP tenant's CRM holds a national number whose
    // JP reading differs. Only the opt-in suffix rule accepts it, and says so.
    let caller = number("+33661234567");
    let stored = "06-6123-4567";
    assert_eq!(match_stored(stored, &caller, jp()), None);
    let found = match_stored_with(stored, &caller, jp(), &suffix(8)).unwrap();
    assert_eq!(found.kind, MatchKind::Suffix { digits: 8 });
    assert!(
        found.explanation.contains("has no country code"),
        "{}",
        found.explanation
    );
    assert!(
        found.explanation.contains("from region FR"),
        "{}",
        found.explanation
    );
}

#[test]
fn suffix_fallback_does_not_apply_when_the_value_reads_as_another_local_number() {
    let caller = number("+81312345678");
    assert_eq!(
        match_stored_with("06-1234-5678", &caller, jp(), &suffix(7)),
        None
    );
}

#[test]
fn suffix_digits_must_be_seven_to_ten() {
    assert!(MatchOptions::with_suffix_digits(6).is_err());
    assert!(MatchOptions::with_suffix_digits(7).is_ok());
    assert!(MatchOptions::with_suffix_digits(10).is_ok());
    let err = MatchOptions::with_suffix_digits(11).unwrap_err();
    assert_eq!(
        err.to_string(),
        "suffix matching uses 7 to 10 digits, not 11"
    );
    assert_eq!(suffix_key(&number("+16692627777"), 7), "2627777");
}

#[test]
fn injection_values_in_the_crm_never_match() {
    let caller = number("+15551234567");
    for stored in [
        "x^NQactive=true",
        "javascript:gs.getUserID()",
        "+1555^ORphone!=x",
        "%5E",
        "",
        "anonymous",
    ] {
        assert_eq!(
            match_stored_with(stored, &caller, us(), &suffix(7)),
            None,
            "{stored:?}"
        );
    }
}

#[test]
fn explanations_escape_invisible_characters_of_the_stored_value() {
    let caller = number("+81312345678");
    let stored = "03-1234-5678\u{200F}";
    let found = match_stored_with(stored, &caller, jp(), &suffix(7)).unwrap();
    assert_eq!(found.stored, stored);
    assert!(!found.explanation.contains('\u{200F}'));
    assert!(
        found.explanation.contains("\\u{200F}"),
        "{}",
        found.explanation
    );
}

#[test]
fn overlong_stored_values_never_match() {
    let caller = number("+81312345678");
    let stored = format!("03-1234-5678{}", " ".repeat(60));
    assert_eq!(match_stored_with(&stored, &caller, jp(), &suffix(7)), None);
}

#[test]
fn every_storage_variant_matches_its_number_again() {
    for text in [
        "+81312345678",
        "+819012345678",
        "+81661234567",
        "+818011112222",
        "+81112345678",
        "+16692627777",
        "+18582877800",
        "+15551234567",
        "+14165550123",
        "+442071234567",
        "+390612345678",
        "+4930123456",
        "+33661234567",
        "+61212345678",
    ] {
        let caller = number(text);
        let region = caller.region().unwrap_or_else(us);
        for variant in storage_variants(&caller) {
            let found = match_stored(&variant, &caller, region)
                .unwrap_or_else(|| panic!("{variant:?} does not re-match {text} in {region}"));
            assert_ne!(found.kind, MatchKind::Suffix { digits: 7 });
        }
    }
}

#[test]
fn international_storage_variants_match_from_any_tenant_region() {
    let caller = number("+81312345678");
    for variant in storage_variants(&caller)
        .into_iter()
        .filter(|v| v.starts_with('+'))
    {
        assert!(match_stored(&variant, &caller, us()).is_some(), "{variant}");
    }
}

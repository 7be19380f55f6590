//! Rules of `classify`, one test per rule.

use callbridge_phone::{classify, CallerId, InvalidReason, Region};

fn jp() -> Region {
    Region::parse("JP").unwrap()
}

fn us() -> Region {
    Region::parse("US").unwrap()
}

#[track_caller]
fn dialable(raw: &str, region: Region) -> String {
    match classify(raw, region) {
        CallerId::Dialable(number) => number.as_str().to_owned(),
        other => panic!("{raw:?} in {region}: expected dialable, got {other:?}"),
    }
}

#[track_caller]
fn invalid(raw: &str, region: Region) -> InvalidReason {
    match classify(raw, region) {
        CallerId::Invalid { reason, .. } => reason,
        other => panic!("{raw:?} in {region}: expected invalid, got {other:?}"),
    }
}

#[test]
fn e164_tel_and_sip_forms_are_dialable() {
    for raw in [
        "+15551234567",
        "tel:+1-555-123-4567",
        "TEL:+1-555-123-4567",
        "sip:+15551234567@host;user=phone",
        "sips:+15551234567@10.0.0.1:5061;user=phone",
        " +1 (555) 123-4567 ",
    ] {
        assert_eq!(dialable(raw, jp()), "+15551234567", "{raw}");
        assert_eq!(dialable(raw, us()), "+15551234567", "{raw}");
    }
}

#[test]
fn national_numbers_are_read_in_the_tenant_region() {
    assert_eq!(dialable("0312345678", jp()), "+81312345678");
    assert_eq!(dialable("03-1234-5678", jp()), "+81312345678");
    assert_eq!(dialable("090/1234/5678", jp()), "+819012345678");
    assert_eq!(dialable("(669) 262-7777", us()), "+16692627777");
    assert_eq!(dialable("669.262.7777", us()), "+16692627777");
    assert_eq!(dialable("1-669-262-7777", us()), "+16692627777");
}

#[test]
fn international_prefixes_00_and_011_are_understood() {
    assert_eq!(dialable("0081312345678", jp()), "+81312345678");
    assert_eq!(dialable("00 1 669 262 7777", jp()), "+16692627777");
    assert_eq!(dialable("010 1 669 262 7777", jp()), "+16692627777");
    assert_eq!(dialable("011 81 3 1234 5678", us()), "+81312345678");
    assert_eq!(dialable("0081312345678", us()), "+81312345678");
}

#[test]
fn a_japanese_national_number_starting_011_stays_national() {
    // 011 is Sapporo's area code in Japan, not an international prefix.
    assert_eq!(dialable("011-234-5678", jp()), "+81112345678");
}

#[test]
fn demo_data_formats_are_dialable() {
    let cases = [
        ("+81 3-1234-5678", jp(), "+81312345678"),
        ("03-1234-5678", jp(), "+81312345678"),
        ("+16692627777", jp(), "+16692627777"),
        ("(669) 262-7777", us(), "+16692627777"),
        ("858-287-7800 ext. 12", us(), "+18582877800"),
        ("+81-6-6123-4567", jp(), "+81661234567"),
        ("080-1111-2222", jp(), "+818011112222"),
        ("+81 80 1111 2222", us(), "+818011112222"),
    ];
    for (raw, region, expected) in cases {
        assert_eq!(dialable(raw, region), expected, "{raw}");
    }
}

#[test]
fn extensions_are_dropped_in_every_spelling() {
    for raw in [
        "858-287-7800 ext. 12",
        "858-287-7800 x12",
        "858-287-7800#12",
        "tel:+1-858-287-7800;ext=12",
    ] {
        assert_eq!(dialable(raw, us()), "+18582877800", "{raw}");
    }
}

#[test]
fn withheld_caller_ids_are_withheld() {
    for raw in [
        "anonymous",
        "Anonymous",
        "ANONYMOUS",
        "restricted",
        "Restricted",
        "unavailable",
        "private",
        "Private",
        "unknown",
        "withheld",
        "",
        "   ",
        "0",
        "0000000000",
        "+000 000 0000",
        "sip:anonymous@anonymous.invalid",
        "sip:Anonymous@anonymous.invalid;user=phone",
        "tel:restricted",
    ] {
        assert_eq!(classify(raw, jp()), CallerId::Withheld, "{raw:?}");
    }
}

#[test]
fn injection_attempts_are_invalid_never_dialable() {
    for raw in [
        "x^NQactive=true",
        "javascript:gs.getUserID()",
        "JavaScript:gs.getUserID()",
        "+1555^ORphone!=x",
        "+15551234567^NQactive=true",
        "%5E",
        "+1555%5E1234567",
        "+15551234567,+15557654321",
        "+15551234567\nactive=true",
        "sip:+15551234567^NQ@host",
        "sip:+15551234567@host^NQactive=true",
        "'; DROP TABLE contacts; --",
        "<script>alert(1)</script>",
        "+1 555 123 4567 ORDERBYphone",
        "phone=+15551234567",
        "15551234567@evil",
    ] {
        let result = classify(raw, us());
        assert!(
            matches!(result, CallerId::Invalid { .. }),
            "{raw:?} gave {result:?}"
        );
    }
}

#[test]
fn unicode_digits_and_invisible_marks_are_invalid() {
    for raw in [
        "０３１２３４５６７８",
        "０３-1234-5678",
        "03-1234-５６７８",
        "٠٣١٢٣٤٥٦٧٨",
        "03-1234-5678\u{200F}",
        "\u{202E}8765-4321-30",
        "\u{200E}+81312345678",
        "+81\u{00A0}3 1234 5678",
        "+81\u{200B}312345678",
        "+81312345678\u{FEFF}",
        "＋81312345678",
    ] {
        let result = classify(raw, jp());
        assert!(
            matches!(result, CallerId::Invalid { .. }),
            "{raw:?} gave {result:?}"
        );
    }
}

#[test]
fn invalid_reasons_name_the_problem_and_its_position() {
    assert_eq!(
        invalid("x^NQactive=true", us()),
        InvalidReason::Letter {
            ch: 'x',
            position: 1
        }
    );
    assert_eq!(
        invalid("+1555^ORphone!=x", us()),
        InvalidReason::DisallowedCharacter {
            ch: '^',
            position: 6
        }
    );
    assert_eq!(
        invalid("%5E", us()),
        InvalidReason::PercentEncoded { position: 1 }
    );
    assert_eq!(
        invalid("javascript:gs.getUserID()", us()),
        InvalidReason::UnsupportedScheme {
            scheme: "javascript".into()
        }
    );
    assert_eq!(
        invalid("０３", jp()),
        InvalidReason::NonAsciiDigit {
            ch: '０',
            position: 1
        }
    );
    assert_eq!(
        invalid("1-800-FLOWERS", us()),
        InvalidReason::Letter {
            ch: 'F',
            position: 7
        }
    );
    assert_eq!(
        invalid("81+312345678", jp()),
        InvalidReason::MisplacedPlus { position: 3 }
    );
    assert_eq!(invalid("---", jp()), InvalidReason::NoDigits);
}

#[test]
fn invalid_reasons_read_as_instructions_without_echoing_invisible_input() {
    let reason = invalid("03-1234-5678\u{200F}", jp()).to_string();
    assert!(
        reason.contains("invisible character U+200F at position 13"),
        "{reason}"
    );
    assert!(!reason.contains('\u{200F}'), "{reason}");
    let reason = invalid("０３", jp()).to_string();
    assert!(reason.contains("use 0-9"), "{reason}");
    assert!(!reason.contains('０'), "{reason}");
    let reason = invalid("+1555^ORphone!=x", us()).to_string();
    assert!(reason.contains("'^'"), "{reason}");
    assert!(reason.contains("only digits 0-9"), "{reason}");
    let reason = invalid("javascript:gs.getUserID()", us()).to_string();
    assert!(reason.contains("only tel:, sip: and sips:"), "{reason}");
}

#[test]
fn numbers_the_library_does_not_accept_are_invalid() {
    // Unassigned country code.
    assert!(matches!(
        invalid("+999 1234 5678", jp()),
        InvalidReason::NotANumber { .. }
    ));
    // Area codes never start with 0 or 1 in NANP.
    let reason = invalid("+1 155 123 4567", jp());
    assert!(
        matches!(&reason, InvalidReason::NotPossible { read_as, .. } if read_as == "+11551234567"),
        "{reason:?}"
    );
    assert!(matches!(
        invalid("+1 055 123 4567", jp()),
        InvalidReason::NotPossible { .. }
    ));
    assert!(reason
        .to_string()
        .contains("include '+' and its country code"));
    // Too short to be a number in either region.
    assert!(matches!(classify("123", us()), CallerId::Invalid { .. }));
    assert!(matches!(classify("12345", jp()), CallerId::Invalid { .. }));
    // Longer than E.164 allows.
    assert!(matches!(
        classify("+81 90 1234 5678 9012", jp()),
        CallerId::Invalid { .. }
    ));
}

#[test]
fn fictional_and_not_yet_assigned_ranges_are_dialable_when_possible() {
    // +1 555 is not in an assigned range ("valid"), but fits NANP's plan
    // ("possible"); refusing it would break demos and stale-data cases.
    assert_eq!(dialable("+15551234567", us()), "+15551234567");
    assert_eq!(dialable("555-123-4567", us()), "+15551234567");
}

#[test]
fn overlong_input_is_refused_unread_and_raw_is_cut() {
    let raw = format!("+8131234567{}", " ".repeat(60));
    match classify(&raw, jp()) {
        CallerId::Invalid { raw: kept, reason } => {
            assert_eq!(reason, InvalidReason::TooLong);
            assert_eq!(kept.chars().count(), 64);
        }
        other => panic!("{other:?}"),
    }
    // 64 characters are still read.
    let raw = format!("+81312345678{}", " ".repeat(52));
    assert_eq!(raw.chars().count(), 64);
    assert_eq!(dialable(&raw, jp()), "+81312345678");
}

#[test]
fn a_sip_uri_without_its_scheme_is_refused_with_a_hint() {
    let reason = invalid("+15551234567@host", us());
    assert_eq!(reason, InvalidReason::SipUriWithoutScheme);
    assert!(reason.to_string().contains("sip:"));
}

#[test]
fn a_number_longer_than_its_country_allows_is_invalid() {
    // NANP national numbers have 10 digits; the library's general pattern
    // alone would accept 11 (it only checks a prefix).
    assert!(matches!(
        invalid("+1 210 000 00000", us()),
        InvalidReason::NotPossible { .. }
    ));
    assert!(matches!(
        classify("011 1 210 000 00000", us()),
        CallerId::Invalid { .. }
    ));
}

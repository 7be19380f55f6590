//! `[[tenant.disposition_codes]]`: read in order, labels per language, mistakes located.

use std::path::Path;

use callbridge_config::{Config, ConfigErrors};

const BASE: &str = "[server]\nmaster_key = \"x\"\n[[tenant]]\nid = \"acme\"\n[tenant.crm]\nkind = \"servicenow\"\n";

fn parse(extra: &str) -> Result<Config, ConfigErrors> {
    Config::parse(
        "callbridge.toml",
        &format!("{BASE}{extra}"),
        Path::new("."),
        &|_| None,
    )
}

#[test]
fn codes_are_read_in_order_with_the_english_label_as_the_japanese_default() {
    let config = parse(
        "[[tenant.disposition_codes]]\ncode = \"resolved\"\nlabel_en = \"Resolved\"\nlabel_ja = \"解決\"\n\
         [[tenant.disposition_codes]]\ncode = \"call_back\"\nlabel_en = \"Call back\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let codes: Vec<_> = config.tenants[0]
        .disposition_codes
        .iter()
        .map(|c| (c.code(), c.label_en(), c.label_ja()))
        .collect();
    assert_eq!(
        codes,
        [
            ("resolved", "Resolved", "解決"),
            ("call_back", "Call back", "Call back")
        ]
    );
}

#[test]
fn no_codes_is_an_empty_list() {
    let config = parse("").unwrap();
    assert!(config.tenants[0].disposition_codes.is_empty());
}

#[test]
fn a_bad_code_is_located_at_its_value() {
    let e = parse("[[tenant.disposition_codes]]\ncode = \"Resolved!\"\nlabel_en = \"Resolved\"\n")
        .unwrap_err();
    let e = e.first().to_string();
    assert!(
        e.starts_with("callbridge.toml:8:8: key `tenant[0].disposition_codes[0].code`"),
        "{e}"
    );
    assert!(e.contains("lowercase letters"), "{e}");
}

#[test]
fn a_missing_label_and_a_duplicate_code_are_refused() {
    let e = parse("[[tenant.disposition_codes]]\ncode = \"a\"\n").unwrap_err();
    assert!(
        e.first()
            .to_string()
            .contains("disposition_codes[0].label_en"),
        "{e}"
    );
    let twice = "[[tenant.disposition_codes]]\ncode = \"a\"\nlabel_en = \"A\"\n";
    let e = parse(&format!("{twice}{twice}")).unwrap_err();
    assert!(e.first().to_string().contains("listed twice"), "{e}");
}

//! Whatever the text, reading it never panics, and every mistake points inside the file.

use std::path::Path;

use callbridge_config::Config;
use proptest::prelude::*;

const FULL: &str = r#"[server]
listen = "127.0.0.1:8080"
master_key = "x"
max_header_bytes = 9000

[telephony]
sip_udp = "127.0.0.1:5060"
media_bind_ip = "127.0.0.1"

[[tenant]]
id = "acme"
default_region = "JP"
[tenant.crm]
kind = "servicenow"
lookup = { tables = [{ table = "t", kind = "contact", phone_columns = ["p"] }] }
[tenant.crm.link.agents]
"alice" = "alice.agent"
[tenant.telephony]
allowed_sources = ["192.0.2.0/24"]
[tenant.telephony.trunk]
host = "127.0.0.1"
caller_id = "+81312345000"
[[tenant.telephony.number]]
did = "03-1234-5000"
queue = "support"
[[tenant.telephony.queue]]
id = "support"
[[tenant.telephony.agent]]
name = "alice"
queues = ["support"]
"#;

fn check(text: &str) {
    let lines = text.lines().count().max(1);
    if let Err(errors) = Config::parse("t.toml", text, Path::new("."), &|_| None) {
        for e in errors.all() {
            if let Some(at) = e.location {
                assert!(at.line >= 1 && at.line <= lines + 1, "{e}");
                assert!(at.column >= 1, "{e}");
            }
            assert!(!e.problem.is_empty() && !e.fix.is_empty(), "{e}");
        }
    }
}

#[test]
fn the_full_file_parses() {
    let config = Config::parse("t.toml", FULL, Path::new("."), &|_| None).unwrap();
    let telephony = config.telephony.unwrap();
    assert_eq!(
        telephony.tenants[0].numbers[0].number.as_str(),
        "+81312345000"
    );
}

proptest! {
    #[test]
    fn a_damaged_file_is_refused_or_read_never_panics(
        cut in 0..FULL.len(),
        len in 0usize..12,
        insert in "[ -~\n]{0,8}",
    ) {
        let mut text = FULL.to_string();
        let start = cut.min(text.len());
        let end = (start + len).min(text.len());
        if text.is_char_boundary(start) && text.is_char_boundary(end) {
            text.replace_range(start..end, &insert);
        }
        check(&text);
    }

    #[test]
    fn any_text_is_refused_or_read_never_panics(text in "\\PC{0,200}") {
        check(&text);
    }
}

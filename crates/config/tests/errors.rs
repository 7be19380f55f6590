//! Every kind of mistake, reported as `FILE:LINE:COL: key `k`: problem. Fix: fix.` at the exact
//! place, and several mistakes in one file reported together.

use std::path::Path;

use callbridge_config::{Config, ConfigErrors, ForwardedHeader};

/// A valid file; each test breaks it one way. Lines: 1 `[server]`, 2 `listen`, 3 `master_key`,
/// 4 blank, 5 `[[tenant]]`, 6 `id`, 7 `[tenant.crm]`, 8 `kind`.
const GOOD: &str = r#"[server]
listen = "127.0.0.1:8080"
master_key = "x"

[[tenant]]
id = "acme"
[tenant.crm]
kind = "servicenow"
"#;

fn errors(text: &str) -> ConfigErrors {
    Config::parse("callbridge.toml", text, Path::new("."), &|_| None)
        .expect_err("the file should be refused")
}

fn only(text: &str) -> String {
    let errors = errors(text);
    assert_eq!(errors.all().len(), 1, "{errors}");
    errors.first().to_string()
}

#[test]
fn the_good_file_parses() {
    let config = Config::parse("callbridge.toml", GOOD, Path::new("."), &|_| None).unwrap();
    assert_eq!(config.tenants[0].crm.kind, "servicenow");
    assert!(config.telephony.is_none());
}

#[test]
fn a_syntax_error_is_located() {
    let text = GOOD.replace("listen = \"127.0.0.1:8080\"", "listen = 127.0.0.1:8080");
    let e = only(&text);
    assert!(e.starts_with("callbridge.toml:2:"), "{e}");
    assert!(e.contains("not valid TOML"), "{e}");
    assert!(e.contains(" Fix: "), "{e}");
}

#[test]
fn an_unknown_key_is_located_at_the_key_with_the_nearest_known_one() {
    assert_eq!(
        only(&GOOD.replace("listen =", "listne =")),
        "callbridge.toml:2:1: key `server.listne`: unknown key `listne` in [server]. \
         Fix: did you mean `listen`? Otherwise remove it."
    );
}

#[test]
fn a_wrong_type_is_located_at_the_value() {
    assert_eq!(
        only(&GOOD.replace("\"127.0.0.1:8080\"", "8080")),
        "callbridge.toml:2:10: key `server.listen`: expected a string, found an integer. \
         Fix: put the value in double quotes: listen = \"...\"."
    );
}

#[test]
fn a_missing_key_is_located_at_its_section() {
    assert_eq!(
        only(&GOOD.replace("master_key = \"x\"\n", "")),
        "callbridge.toml:1:1: key `server.master_key`: missing in [server]. Fix: add \
         master_key = { file = \"master.key\" } naming a file with 32 random bytes in base64 \
         (openssl rand -base64 32 > master.key)."
    );
}

#[test]
fn a_bad_value_is_located_at_the_value() {
    let e = only(&GOOD.replace("\"127.0.0.1:8080\"", "\"localhost:8080\""));
    assert!(
        e.starts_with(
            "callbridge.toml:2:10: key `server.listen`: \"localhost:8080\" is not an IP address and port"
        ),
        "{e}"
    );
    assert!(e.ends_with("Fix: write an address like listen = \"127.0.0.1:8080\" (or \"0.0.0.0:8080\" for every interface)."), "{e}");
}

#[test]
fn a_cross_reference_to_an_unknown_queue_is_located_at_the_reference() {
    let text = format!(
        "{GOOD}\n[telephony]\nsip_udp = \"127.0.0.1:5060\"\nmedia_bind_ip = \"127.0.0.1\"\n\n\
         [[tenant.telephony.queue]]\nid = \"support\"\n\n\
         [[tenant.telephony.agent]]\nname = \"alice\"\nqueues = [\"support\", \"sales\"]\n"
    );
    let line = text
        .lines()
        .position(|l| l.starts_with("queues ="))
        .unwrap()
        + 1;
    assert_eq!(
        only(&text),
        format!(
            "callbridge.toml:{line}:22: key `tenant[0].telephony.agent[0].queues[1]`: no queue \
             \"sales\" is defined for this tenant. Fix: name one of its queues (\"support\"), or \
             add a [[tenant.telephony.queue]] with this id."
        )
    );
}

#[test]
fn a_phone_number_is_refused_with_the_phone_crates_reason() {
    let text = format!(
        "{GOOD}\n[telephony]\nsip_udp = \"127.0.0.1:5060\"\nmedia_bind_ip = \"127.0.0.1\"\n\n\
         [tenant.telephony.trunk]\nhost = \"127.0.0.1\"\ncaller_id = \"+1 555 123 0000\"\n"
    );
    let e = errors(&text);
    let e = e.first();
    assert_eq!(e.key, "tenant[0].telephony.trunk.caller_id");
    assert_eq!(
        e.problem,
        "\"+1 555 123 0000\" is not an E.164 number: an E.164 number has only the digits 0-9 \
         after the '+', with no separators"
    );
}

#[test]
fn every_mistake_in_a_file_is_reported_in_file_order() {
    let text = GOOD
        .replace("\"127.0.0.1:8080\"", "8080")
        .replace("id = \"acme\"", "id = \"acme/x\"\nregion = \"JP\"");
    let errors = errors(&text);
    let shown: Vec<String> = errors
        .all()
        .iter()
        .map(|e| {
            let at = e.location.unwrap();
            format!("{}:{} {}", at.line, at.column, e.key)
        })
        .collect();
    assert_eq!(
        shown,
        [
            "2:10 server.listen",
            "6:6 tenant[0].id",
            "7:1 tenant[0].region"
        ]
    );
    assert_eq!(errors.to_string().lines().count(), 3);
}

#[test]
fn an_unreadable_file_says_so_without_a_position() {
    let e = Config::load(Path::new("/nonexistent/callbridge.toml")).unwrap_err();
    let e = e.first().to_string();
    assert!(
        e.starts_with("/nonexistent/callbridge.toml: cannot read the file: "),
        "{e}"
    );
}

#[test]
fn a_crm_section_without_kind_or_crm_is_refused_at_the_tenant() {
    assert_eq!(
        only(&GOOD.replace("kind = \"servicenow\"\n", "")),
        "callbridge.toml:7:1: key `tenant[0].crm.kind`: missing: the section does not say \
         which CRM it is. Fix: add kind = \"servicenow\" to the section."
    );
}

#[test]
fn the_crm_section_keeps_where_each_key_is_for_the_adapter() {
    let text = format!(
        "{GOOD}instance_url = \"https://acme.example\"\n[tenant.crm.case]\ntable = \"x\"\n"
    );
    let config = Config::parse("callbridge.toml", &text, Path::new("."), &|_| None).unwrap();
    let crm = &config.tenants[0].crm;
    let e = crm.error("case.table", "bad table", "write another");
    assert_eq!(
        e.to_string(),
        "callbridge.toml:11:9: key `tenant[0].crm.case.table`: bad table. Fix: write another."
    );
    assert!(!crm.table.contains_key("kind"));
}

#[test]
fn a_table_where_an_array_of_tables_belongs_says_how_to_write_it() {
    let e = errors(&GOOD.replace("[[tenant]]", "[tenant]"));
    let e = e.first();
    assert_eq!(e.key, "tenant");
    assert_eq!(e.location.unwrap().line, 5);
    assert_eq!(e.fix, "write each entry as its own [[tenant]] section");
}

#[test]
fn https_needs_both_files_each_readable() {
    let dir = std::env::temp_dir().join(format!("callbridge-config-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cert.pem"), "x").unwrap();
    std::fs::write(dir.join("key.pem"), "x").unwrap();
    let with = |lines: &str| {
        let text = GOOD.replace(
            "master_key = \"x\"",
            &format!("master_key = \"x\"\n{lines}"),
        );
        Config::parse("callbridge.toml", &text, &dir, &|_| None).map_err(|e| e.first().clone())
    };
    assert_eq!(with("").unwrap().server.tls, None);
    let tls = with("tls_certificate = \"cert.pem\"\ntls_private_key = \"key.pem\"")
        .unwrap()
        .server
        .tls
        .unwrap();
    assert_eq!(tls.certificate, dir.join("cert.pem"));
    assert_eq!(tls.private_key, dir.join("key.pem"));

    let err = with("tls_certificate = \"cert.pem\"").unwrap_err();
    assert_eq!(err.key, "server.tls_private_key");
    assert!(err.fix.contains("HTTPS needs both"), "{err}");
    let err = with("tls_private_key = \"key.pem\"").unwrap_err();
    assert_eq!(err.key, "server.tls_certificate");
    assert!(err.fix.contains("HTTPS needs both"), "{err}");
    let err = with("tls_certificate = \"missing.pem\"\ntls_private_key = \"key.pem\"").unwrap_err();
    assert_eq!(err.key, "server.tls_certificate");
    assert_eq!(err.location.unwrap().line, 4);
    assert!(err.problem.contains("missing.pem"), "{err}");
    assert!(err.fix.contains("point it at a PEM file"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn trusted_proxies_are_addresses_or_networks_and_the_header_one_of_two() {
    let with = |lines: &str| {
        let text = GOOD.replace(
            "master_key = \"x\"",
            &format!("master_key = \"x\"\n{lines}"),
        );
        Config::parse("callbridge.toml", &text, Path::new("."), &|_| None)
            .map_err(|e| e.first().clone())
    };
    let default = with("").unwrap().server.proxies;
    assert!(default.networks.is_empty(), "nothing is trusted by default");
    assert_eq!(default.header, ForwardedHeader::XForwardedFor);
    let proxies = with("trusted_proxies = [\"10.0.0.5\", \"192.168.0.0/16\", \"fd00::/8\"]\nforwarded_header = \"forwarded\"")
        .unwrap()
        .server
        .proxies;
    assert_eq!(proxies.networks.len(), 3);
    assert_eq!(proxies.header, ForwardedHeader::Forwarded);
    assert!(proxies.trusts("192.168.4.1".parse().unwrap()));
    assert!(proxies.trusts("fd12::1".parse().unwrap()));
    assert!(!proxies.trusts("10.0.0.6".parse().unwrap()));

    let err = with("trusted_proxies = [\"10.0.0.5\", \"proxy.example\"]").unwrap_err();
    assert_eq!(err.key, "server.trusted_proxies[1]");
    assert_eq!(err.location.unwrap().line, 4);
    assert!(err.problem.contains("proxy.example"), "{err}");
    assert!(err.fix.contains("host names are not resolved"), "{err}");
    let err = with("trusted_proxies = [\"10.0.0.0/33\"]").unwrap_err();
    assert!(
        err.problem.contains("prefix length must be 0 to 32"),
        "{err}"
    );
    let err = with("trusted_proxies = \"10.0.0.5\"").unwrap_err();
    assert_eq!(err.key, "server.trusted_proxies");
    let err = with("forwarded_header = \"X-Real-IP\"").unwrap_err();
    assert_eq!(err.key, "server.forwarded_header");
    assert!(
        err.fix.contains("\"X-Forwarded-For\" or \"Forwarded\""),
        "{err}"
    );
}

#[test]
fn recording_settings_are_read_and_their_mistakes_located() {
    let with = |section: &str| format!("{GOOD}[tenant.recordings]\n{section}\n");
    let config = Config::parse(
        "callbridge.toml",
        &with("allow_download = true\nretention_days = 90"),
        Path::new("."),
        &|_| None,
    )
    .unwrap();
    let policy = config.tenants[0].recordings;
    assert!(policy.allow_download);
    assert_eq!(policy.retention_days, Some(90));
    let defaults = Config::parse("callbridge.toml", GOOD, Path::new("."), &|_| None).unwrap();
    assert_eq!(
        defaults.tenants[0].recordings,
        callbridge_config::RecordingPolicy::default()
    );
    let zero = only(&with("retention_days = 0"));
    assert!(
        zero.starts_with("callbridge.toml:10:")
            && zero.contains("tenant[0].recordings.retention_days"),
        "{zero}"
    );
    assert!(zero.contains("from 1 to 36500"), "{zero}");
    let typo = only(&with("allow_downlaod = true"));
    assert!(typo.contains("did you mean `allow_download`"), "{typo}");
}

#[test]
fn audit_retention_is_read_with_its_default_and_its_mistakes_located() {
    let with = |section: &str| format!("{GOOD}[tenant.audit]\n{section}\n");
    let defaults = Config::parse("callbridge.toml", GOOD, Path::new("."), &|_| None).unwrap();
    assert_eq!(defaults.tenants[0].audit.retention_days, 400);
    let config = Config::parse(
        "callbridge.toml",
        &with("retention_days = 730"),
        Path::new("."),
        &|_| None,
    )
    .unwrap();
    assert_eq!(config.tenants[0].audit.retention_days, 730);
    let zero = only(&with("retention_days = 0"));
    assert!(
        zero.starts_with("callbridge.toml:10:") && zero.contains("tenant[0].audit.retention_days"),
        "{zero}"
    );
    assert!(zero.contains("from 1 to 36500"), "{zero}");
    let text = only(&with("retention_days = \"forever\""));
    assert!(text.contains("a whole number"), "{text}");
    let typo = only(&with("retention = 30"));
    assert!(typo.contains("did you mean `retention_days`"), "{typo}");
}

#[test]
fn a_tenants_timezone_is_an_iana_name_and_a_wrong_one_is_located() {
    let defaults = Config::parse("callbridge.toml", GOOD, Path::new("."), &|_| None).unwrap();
    assert_eq!(defaults.tenants[0].timezone.iana_name(), Some("UTC"));
    let with = |line: &str| GOOD.replacen("[[tenant]]\n", &format!("[[tenant]]\n{line}\n"), 1);
    let tokyo = Config::parse(
        "callbridge.toml",
        &with("timezone = \"Asia/Tokyo\""),
        Path::new("."),
        &|_| None,
    )
    .unwrap();
    assert_eq!(tokyo.tenants[0].timezone.iana_name(), Some("Asia/Tokyo"));
    let wrong = only(&with("timezone = \"Tokyo/Japan\""));
    assert!(wrong.contains("tenant[0].timezone"), "{wrong}");
    assert!(
        wrong.contains("\"Tokyo/Japan\" is not a time zone"),
        "{wrong}"
    );
    assert!(wrong.contains("Asia/Tokyo"), "{wrong}");
}

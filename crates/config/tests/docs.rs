//! `docs/configuration.md` is the contract third-party admins read: its example must parse, and
//! its key tables must list exactly the keys the code reads.

use std::collections::BTreeSet;
use std::path::Path;

use callbridge_config::Config;

fn docs() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md"),
    )
    .unwrap()
}

/// Every ```toml block after the `## Example` heading.
fn example() -> String {
    let docs = docs();
    let from = docs.find("## Example").expect("the docs have an example");
    let rest = &docs[from..];
    let start = rest.find("```toml\n").unwrap() + "```toml\n".len();
    let end = rest[start..].find("```").unwrap();
    rest[start..start + end].to_string()
}

#[test]
fn the_documented_example_parses() {
    let env = |name: &str| Some(format!("value of {name}"));
    let config = Config::parse("example.toml", &example(), Path::new("."), &env)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.tenants[0].id.as_str(), "acme");
}

/// The keys a table documents: the first column of each row under `heading` (up to the next
/// heading), split on ", " for rows that name two keys.
fn documented(heading: &str) -> BTreeSet<String> {
    let docs = docs();
    let start = docs
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading} in the docs"));
    let rest = &docs[start + heading.len()..];
    let end = [rest.find("\n#"), rest.find("\n`[")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(rest.len());
    rest[..end]
        .lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|l| {
            let cell = l.split('|').nth(1).unwrap().trim().to_string();
            cell.split(", ")
                .map(|k| k.trim_matches('`').to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The table and the code agree both ways: a key nobody reads is refused with the list of the
/// keys the code reads, and that list is the documented keys plus the sub-sections
/// (`subsections`) documented under their own headings. `wrap` puts one `key = value` line into a
/// whole file.
fn check_both_ways(
    documented: &BTreeSet<String>,
    subsections: &[&str],
    wrap: impl Fn(&str) -> String,
) {
    let errors =
        Config::parse("t.toml", &wrap("zzzzzzzz = 1"), Path::new("."), &|_| None).unwrap_err();
    let unknown = errors
        .all()
        .iter()
        .find(|e| e.problem.starts_with("unknown key `zzzzzzzz`"))
        .unwrap_or_else(|| panic!("zzzzzzzz was not refused: {errors}"));
    let read: BTreeSet<String> = unknown
        .fix
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    let mut expected = documented.clone();
    expected.extend(subsections.iter().map(|s| s.to_string()));
    assert_eq!(read, expected, "keys the code reads vs. keys the docs list");
}

const TENANT: &str = "[[tenant]]\nid = \"acme\"\n[tenant.crm]\nkind = \"x\"\n";

#[test]
fn the_server_keys_are_documented_exactly() {
    let keys = documented("## `[server]`");
    assert!(keys.contains("master_key"), "{keys:?}");
    check_both_ways(&keys, &[], |line| format!("[server]\n{line}\n{TENANT}"));
}

#[test]
fn the_tenant_keys_are_documented_exactly() {
    let keys = documented("## `[[tenant]]` (one per contact center)");
    assert!(keys.contains("default_region"), "{keys:?}");
    check_both_ways(
        &keys,
        &[
            "audit",
            "crm",
            "recordings",
            "servicenow",
            "telephony",
            "disposition_codes",
        ],
        |line| {
            format!(
                "[server]\nmaster_key = \"x\"\n[[tenant]]\n{line}\n[tenant.crm]\nkind = \"x\"\n"
            )
        },
    );
}

#[test]
fn the_disposition_code_keys_are_documented_exactly() {
    let keys = documented("Each `[[tenant.disposition_codes]]`:");
    assert!(keys.contains("label_ja"), "{keys:?}");
    check_both_ways(&keys, &[], |line| {
        format!(
            "[server]\nmaster_key = \"x\"\n{TENANT}[[tenant.disposition_codes]]\n\
             code = \"a\"\nlabel_en = \"A\"\n{line}\n"
        )
    });
}

#[test]
fn the_telephony_keys_are_documented_exactly() {
    let keys = documented("## `[telephony]` (optional: the SIP trunk, media and recording)");
    assert!(keys.contains("rtp_ports"), "{keys:?}");
    check_both_ways(&keys, &[], |line| {
        format!("[server]\nmaster_key = \"x\"\n{TENANT}[telephony]\n{line}\n")
    });
}

#[test]
fn the_queue_keys_are_documented_exactly() {
    let keys = documented("`[[tenant.telephony.queue]]`:");
    assert!(keys.contains("wrap_up_secs"), "{keys:?}");
    check_both_ways(&keys, &[], |line| {
        format!(
            "[server]\nmaster_key = \"x\"\n{TENANT}[telephony]\nsip_udp = \"127.0.0.1:5060\"\n\
             media_bind_ip = \"127.0.0.1\"\n[[tenant.telephony.queue]]\n{line}\n"
        )
    });
}

/// `[telephony]` plus one tenant's telephony sub-table `header` holding `line`.
fn in_tenant_table(header: &str, line: &str) -> String {
    format!(
        "[server]\nmaster_key = \"x\"\n{TENANT}[telephony]\nsip_udp = \"127.0.0.1:5060\"\n\
         media_bind_ip = \"127.0.0.1\"\n{header}\n{line}\n"
    )
}

#[test]
fn the_tenant_telephony_sub_tables_are_documented_exactly() {
    let cases: [(&str, &str, &[&str]); 5] = [
        (
            "### `[tenant.telephony]`",
            "[tenant.telephony]",
            &["trunk", "number", "queue", "agent", "recordings"],
        ),
        (
            "`[tenant.telephony.trunk]`, how outbound (click-to-dial) calls leave:",
            "[tenant.telephony.trunk]",
            &[],
        ),
        (
            "`[[tenant.telephony.number]]`, one per number (DID) customers call:",
            "[[tenant.telephony.number]]",
            &[],
        ),
        (
            "`[[tenant.telephony.agent]]`:",
            "[[tenant.telephony.agent]]",
            &[],
        ),
        (
            "`[tenant.telephony.recordings]`, where recordings are kept:",
            "[tenant.telephony.recordings]",
            &[],
        ),
    ];
    for (heading, header, subsections) in cases {
        let keys = documented(heading);
        assert!(!keys.is_empty(), "{heading}");
        check_both_ways(&keys, subsections, |line| in_tenant_table(header, line));
    }
}

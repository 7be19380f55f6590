//! Tenants kept in the store composed with the file's: read by the file's own reader, so a
//! mistake names the text, line, column, key and fix; ids and numbers unique across both; a
//! store tenant's `{ store = ".." }` secrets resolved from its own sealed secrets only.

use std::collections::BTreeMap;
use std::path::Path;

use callbridge_config::{Config, OnDuplicate, Secret, StoredTenant, TenantSource};

const FILE: &str = r#"[server]
listen = "127.0.0.1:8080"
master_key = "x"

[telephony]
sip_udp = "127.0.0.1:5060"
media_bind_ip = "127.0.0.1"

[[tenant]]
id = "acme"
[tenant.crm]
kind = "servicenow"
client_secret = { env = "ACME" }
[tenant.telephony]
allowed_sources = ["192.0.2.10"]
[[tenant.telephony.queue]]
id = "support"
[[tenant.telephony.number]]
did = "+15551230001"
queue = "support"
"#;

fn file() -> Config {
    Config::parse(
        "callbridge.toml",
        FILE,
        Path::new("/etc/callbridge"),
        &|_| None,
    )
    .unwrap()
}

fn stored(id: &str, version: i64, text: &str, secrets: &[(&str, &str)]) -> StoredTenant {
    StoredTenant {
        id: id.to_string(),
        version,
        text: text.to_string(),
        secrets: secrets
            .iter()
            .map(|(name, value)| (name.to_string(), Secret::new(*value)))
            .collect::<BTreeMap<_, _>>(),
    }
}

const GLOBEX: &str = r#"[[tenant]]
id = "globex"
default_region = "JP"
[tenant.crm]
kind = "servicenow"
client_secret = { store = "crm.client_secret" }
[tenant.telephony]
allowed_sources = ["192.0.2.20"]
[[tenant.telephony.queue]]
id = "sales"
[[tenant.telephony.number]]
did = "+15551230002"
queue = "sales"
"#;

#[test]
fn store_tenants_join_the_files_with_their_source_and_telephony() {
    let composed = file()
        .compose(
            &[stored("globex", 3, GLOBEX, &[("crm.client_secret", "s")])],
            &|_| None,
            OnDuplicate::Refuse,
        )
        .unwrap();
    let config = composed.config;
    let ids: Vec<_> = config.tenants.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["acme", "globex"]);
    assert_eq!(
        config.tenants[0].source,
        TenantSource::File {
            path: "callbridge.toml".into()
        }
    );
    assert_eq!(config.tenants[1].source, TenantSource::Store { version: 3 });
    assert_eq!(config.tenants[1].crm.file, "store:globex@v3");
    let telephony = config.telephony.unwrap();
    assert_eq!(telephony.tenants.len(), 2);
    assert_eq!(
        telephony.tenants[1].numbers[0].number.as_str(),
        "+15551230002"
    );
    assert!(composed.shadowed.is_empty());
    // Composing the composed configuration again starts from its file tenants only.
    let again = file().compose(&[], &|_| None, OnDuplicate::Refuse).unwrap();
    assert_eq!(again.config.tenants.len(), 1);
}

#[test]
fn a_wrong_value_names_its_text_key_and_fix() {
    let text = GLOBEX.replace("default_region = \"JP\"", "default_region = \"Japan\"");
    let errors = file()
        .compose(
            &[stored("globex", 2, &text, &[])],
            &|_| None,
            OnDuplicate::Refuse,
        )
        .unwrap_err();
    let error = errors
        .at_key("tenant[0].default_region")
        .expect("the region is named");
    assert_eq!(error.file, "store:globex@v2");
    assert_eq!(error.location.map(|l| (l.line, l.column)), Some((3, 18)));
    assert!(error.fix.contains("ISO 3166"), "{error}");
    let unknown = GLOBEX.replace("default_region", "default_regoin");
    let errors = file()
        .compose(
            &[stored("globex", 2, &unknown, &[])],
            &|_| None,
            OnDuplicate::Refuse,
        )
        .unwrap_err();
    assert_eq!(
        errors.first().to_string(),
        "store:globex@v2:3:1: key `tenant[0].default_regoin`: unknown key `default_regoin` in \
         [tenant]. Fix: did you mean `default_region`? Otherwise remove it."
    );
}

#[test]
fn a_duplicate_id_is_refused_on_save_and_left_out_at_start() {
    let text = GLOBEX.replace("id = \"globex\"", "id = \"acme\"");
    let duplicate = [stored("acme", 1, &text, &[])];
    let refused = file()
        .compose(&duplicate, &|_| None, OnDuplicate::Refuse)
        .unwrap_err();
    assert_eq!(refused.first().key, "tenant[0].id");
    assert!(
        refused
            .first()
            .problem
            .contains("already used by the configuration file"),
        "{refused}"
    );
    let started = file()
        .compose(&duplicate, &|_| None, OnDuplicate::FileWins)
        .unwrap();
    assert_eq!(started.config.tenants.len(), 1);
    assert!(!started.config.tenants[0].source.is_store());
    assert_eq!(started.shadowed.len(), 1);
}

#[test]
fn a_text_whose_id_differs_from_its_row_or_routes_a_taken_number_is_refused() {
    let renamed = file()
        .compose(
            &[stored(
                "globex",
                1,
                &GLOBEX.replace("\"globex\"", "\"other\""),
                &[],
            )],
            &|_| None,
            OnDuplicate::Refuse,
        )
        .unwrap_err();
    assert!(
        renamed
            .first()
            .problem
            .contains("kept for tenant \"globex\""),
        "{renamed}"
    );
    let taken = GLOBEX.replace("+15551230002", "+15551230001");
    let errors = file()
        .compose(
            &[stored("globex", 1, &taken, &[])],
            &|_| None,
            OnDuplicate::Refuse,
        )
        .unwrap_err();
    let error = errors
        .at_key("tenant[0].telephony.number[0].did")
        .expect("the number");
    assert!(
        error.problem.contains("routed twice (also by tenant acme)"),
        "{error}"
    );
    let two = format!("{GLOBEX}\n[[tenant]]\nid = \"x\"\n");
    let errors = file()
        .compose(
            &[stored("globex", 1, &two, &[])],
            &|_| None,
            OnDuplicate::Refuse,
        )
        .unwrap_err();
    assert!(
        errors.first().problem.contains("one [[tenant]] table"),
        "{errors}"
    );
}

#[test]
fn store_secrets_resolve_for_their_tenant_and_are_refused_in_the_file() {
    let file_text = FILE.replace("{ env = \"ACME\" }", "{ store = \"crm.client_secret\" }");
    let in_file = Config::parse("callbridge.toml", &file_text, Path::new("."), &|_| None);
    // The CRM section is the adapter's: the file accepts the shape, the adapter's resolve refuses it.
    let section = in_file.unwrap().tenants[0].crm.clone();
    let source: callbridge_config::SecretSource =
        section.table["client_secret"].clone().try_into().unwrap();
    let refused = section.secret("client_secret", &source).unwrap_err();
    assert!(
        refused.problem.contains("only a tenant kept in the store"),
        "{refused}"
    );
    let trunk = FILE.replace(
        "allowed_sources = [\"192.0.2.10\"]",
        "allowed_sources = [\"192.0.2.10\"]\n[tenant.telephony.trunk]\nhost = \"192.0.2.10\"\ncaller_id = \"+15551230000\"\npassword = { store = \"p\" }",
    );
    let errors = Config::parse("callbridge.toml", &trunk, Path::new("."), &|_| None).unwrap_err();
    assert!(
        errors
            .first()
            .problem
            .contains("only a tenant kept in the store"),
        "{errors}"
    );

    let composed = file()
        .compose(
            &[stored(
                "globex",
                1,
                GLOBEX,
                &[("crm.client_secret", "from-store")],
            )],
            &|_| None,
            OnDuplicate::Refuse,
        )
        .unwrap();
    let section = composed.config.tenants[1].crm.clone();
    let source: callbridge_config::SecretSource =
        section.table["client_secret"].clone().try_into().unwrap();
    assert_eq!(
        section.secret("client_secret", &source).unwrap().expose(),
        "from-store"
    );
    let missing = file()
        .compose(
            &[stored("globex", 1, GLOBEX, &[])],
            &|_| None,
            OnDuplicate::Refuse,
        )
        .unwrap()
        .config
        .tenants[1]
        .crm
        .clone();
    let error = missing.secret("client_secret", &source).unwrap_err();
    assert_eq!(error.key, "tenant[0].crm.client_secret");
    assert!(error.fix.contains("console"), "{error}");
}

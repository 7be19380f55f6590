//! The configuration file as the server reads it: `callbridge-config` for the file, then each
//! tenant's CRM section by the adapter of its kind (ServiceNow here, as the binary registers it).

use std::path::Path;

use callbridge_config::{Config, ConfigError, IdentityField, Location, TenantConfig};

const MINIMAL: &str = r#"
[server]
master_key = { env = "MASTER" }

[[tenant]]
id = "acme"
default_region = "JP"

[tenant.servicenow]
instance_url = "https://acme.service-now.com"
client_id = "0123456789abcdef0123456789abcdef"
client_secret = { env = "SN_SECRET" }
"#;

fn env(name: &str) -> Option<String> {
    match name {
        "MASTER" => Some("bWFzdGVy".into()),
        "SN_SECRET" => Some("s3cret".into()),
        _ => None,
    }
}

/// Parses like the server's start does: the file, then each tenant's CRM section by the
/// adapter of its kind (ServiceNow here, as the binary registers it).
/// The first mistake is returned (each test makes one).
fn parse(text: &str) -> Result<Config, ConfigError> {
    let config = Config::parse("callbridge.toml", text, Path::new("."), &env)
        .map_err(|errors| errors.first().clone())?;
    let kinds = callbridge_integration::crm::CrmRegistry::new().with(std::sync::Arc::new(
        callbridge_servicenow::adapter::ServiceNowKind,
    ));
    callbridge_integration::crm::check_tenants(&kinds, &config)
        .map_err(|errors| errors.first().clone())?;
    Ok(config)
}

/// The tenant's ServiceNow settings, as the adapter reads them.
fn sn(tenant: &TenantConfig) -> callbridge_servicenow::adapter::ServiceNowConfig {
    callbridge_servicenow::adapter::ServiceNowConfig::from_section(&tenant.crm).unwrap()
}

use callbridge_servicenow::adapter::ServiceGrant;

#[test]
fn a_minimal_file_gets_working_defaults() {
    let config = parse(MINIMAL).unwrap();
    assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
    let tenant = &config.tenants[0];
    assert_eq!(tenant.default_region.as_str(), "JP");
    let sn = &sn(tenant);
    assert_eq!(sn.client_secret.expose(), "s3cret");
    assert!(matches!(sn.service_grant, ServiceGrant::ClientCredentials));
    assert_eq!(sn.case.table.as_str(), "sn_customerservice_case");
    assert_eq!(sn.case.correlation_column.as_str(), "correlation_id");
    assert_eq!(sn.lookup.tables.len(), 2);
    assert!(tenant.policy.auto_case_inbound && !tenant.policy.auto_case_outbound);
}

#[test]
fn errors_name_the_file_the_key_and_the_reason() {
    let bad_table = MINIMAL.to_string() + "\n[tenant.servicenow.case]\ntable = \"Case Table\"\n";
    let err = parse(&bad_table).unwrap_err();
    assert_eq!(err.key, "tenant[0].servicenow.case.table");
    // The adapter's mistakes are located like the file's own: at the value.
    let line = bad_table
        .lines()
        .position(|l| l.starts_with("table ="))
        .unwrap()
        + 1;
    assert!(
        err.to_string().starts_with(&format!(
            "callbridge.toml:{line}:9: key `tenant[0].servicenow.case.table`: "
        )),
        "{err}"
    );
    assert!(err.to_string().contains(" Fix: "), "{err}");
}

#[test]
fn a_misspelt_key_is_an_error_with_its_position() {
    let text = MINIMAL.replace("default_region", "default_regoin");
    let err = parse(&text).unwrap_err();
    assert!(err.problem.contains("default_regoin"), "{err}");
    assert_eq!(err.key, "tenant[0].default_regoin");
    assert_eq!(err.location, Some(Location { line: 7, column: 1 }));
    assert!(err.fix.contains("did you mean `default_region`"), "{err}");
}

#[test]
fn a_missing_secret_variable_is_named() {
    let text = MINIMAL.replace("SN_SECRET", "NOT_SET_ANYWHERE");
    let err = parse(&text).unwrap_err();
    assert_eq!(err.key, "tenant[0].servicenow.client_secret");
    assert_eq!(
        err.problem,
        "environment variable NOT_SET_ANYWHERE is not set"
    );
}

#[test]
fn an_unknown_region_is_refused() {
    let err = parse(&MINIMAL.replace("\"JP\"", "\"Japan\"")).unwrap_err();
    assert_eq!(err.key, "tenant[0].default_region");
}

#[test]
fn plain_http_is_only_allowed_to_loopback() {
    let remote = MINIMAL.replace(
        "https://acme.service-now.com",
        "http://acme.service-now.com",
    );
    assert_eq!(
        parse(&remote).unwrap_err().key,
        "tenant[0].servicenow.instance_url"
    );
    let local = MINIMAL.replace("https://acme.service-now.com", "http://127.0.0.1:8443/");
    assert_eq!(
        sn(&parse(&local).unwrap().tenants[0]).instance_url,
        "http://127.0.0.1:8443"
    );
}

#[test]
fn the_password_grant_needs_a_user_and_password() {
    let text = MINIMAL.replace(
        "client_secret =",
        "service_grant = \"password\"\nclient_secret =",
    );
    assert_eq!(
        parse(&text).unwrap_err().key,
        "tenant[0].servicenow.service_user"
    );
}

#[test]
fn tenant_ids_are_unique_and_url_safe() {
    let twice = format!(
        "{MINIMAL}\n{}",
        &MINIMAL[MINIMAL.find("[[tenant]]").unwrap()..]
    );
    assert_eq!(parse(&twice).unwrap_err().key, "tenant[1].id");
    let bad = MINIMAL.replace("id = \"acme\"", "id = \"acme/../x\"");
    assert_eq!(parse(&bad).unwrap_err().key, "tenant[0].id");
}

#[test]
fn lookup_columns_are_validated_like_sys_dictionary_names() {
    let text = MINIMAL.to_string()
        + "\n[[tenant.servicenow.lookup.tables]]\ntable = \"customer_contact\"\nkind = \"contact\"\nphone_columns = [\"phone^ORactive=true\"]\n";
    let err = parse(&text).unwrap_err();
    assert_eq!(
        err.key,
        "tenant[0].servicenow.lookup.tables[0].phone_columns[0]"
    );
}

#[test]
fn a_bad_short_description_template_is_refused() {
    let text = MINIMAL.replace(
        "default_region = \"JP\"",
        "default_region = \"JP\"\nshort_description = \"Call from {callr}\"",
    );
    assert_eq!(parse(&text).unwrap_err().key, "tenant[0].short_description");
}

#[test]
fn the_link_identity_policy_defaults_to_user_name_or_email_and_takes_an_admin_mapping() {
    let config = parse(MINIMAL).unwrap();
    let link = &config.tenants[0].link;
    assert_eq!(
        link.match_fields,
        [IdentityField::UserName, IdentityField::Email]
    );
    assert!(link.agents.is_empty());

    let mapped = format!(
        "{MINIMAL}\n[tenant.servicenow.link]\nmatch_fields = [\"email\"]\n\n\
         [tenant.servicenow.link.agents]\n\"alice\" = \"alice.agent\"\n"
    );
    let config = parse(&mapped).unwrap();
    let link = &config.tenants[0].link;
    assert_eq!(link.match_fields, [IdentityField::Email]);
    assert_eq!(link.agents["alice"], "alice.agent");
}

#[test]
fn a_link_policy_that_names_an_unknown_field_or_lets_nobody_link_is_refused() {
    let unknown = format!("{MINIMAL}\n[tenant.servicenow.link]\nmatch_fields = [\"phone\"]\n");
    let e = parse(&unknown).unwrap_err();
    assert_eq!(e.key, "tenant[0].servicenow.link.match_fields[0]");
    assert!(e.fix.contains("\"user_name\" and/or \"email\""), "{e}");

    let nobody = format!("{MINIMAL}\n[tenant.servicenow.link]\nmatch_fields = []\n");
    let e = parse(&nobody).unwrap_err();
    assert_eq!(e.key, "tenant[0].servicenow.link.match_fields");
    assert!(e.problem.contains("no agent could link"), "{e}");

    let bad_agent =
        format!("{MINIMAL}\n[tenant.servicenow.link.agents]\n\"acme:alice\" = \"alice.agent\"\n");
    let e = parse(&bad_agent).unwrap_err();
    assert_eq!(e.key, "tenant[0].servicenow.link.agents.acme:alice");
}

/// `MINIMAL` with its CRM section written as `[tenant.crm] kind = "servicenow"`, and `extra`
/// sub-sections of it.
fn tagged(extra: &str) -> String {
    MINIMAL.replace("[tenant.servicenow]", "[tenant.crm]\nkind = \"servicenow\"")
        + &extra.replace("[tenant.servicenow.", "[tenant.crm.")
}

#[test]
fn the_tagged_crm_section_and_the_older_servicenow_section_configure_the_same_tenant() {
    let extra = r#"
[tenant.servicenow.case]
caller_number_column = "u_caller_number"

[[tenant.servicenow.lookup.tables]]
table = "customer_contact"
kind = "contact"
phone_columns = ["phone"]

[tenant.servicenow.link.agents]
alice = "alice.agent"
"#;
    let older = parse(&(MINIMAL.to_string() + extra)).unwrap();
    let newer = parse(&tagged(extra)).unwrap();
    // Every setting the adapter reads; Debug covers them all (secrets print redacted, so
    // compare those through `expose`).
    let (a, b) = (&sn(&older.tenants[0]), &sn(&newer.tenants[0]));
    assert_eq!(older.tenants[0].link, newer.tenants[0].link);
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    assert_eq!(a.client_secret.expose(), b.client_secret.expose());
    assert_eq!(
        b.case.caller_number_column.as_ref().unwrap().as_str(),
        "u_caller_number"
    );
    assert_eq!(b.lookup.tables.len(), 1);
    assert_eq!(
        newer.tenants[0].link.agents.get("alice").unwrap(),
        "alice.agent"
    );
}

#[test]
fn errors_in_the_tagged_section_name_its_keys() {
    let err = parse(&tagged(
        "\n[tenant.servicenow.case]\ntable = \"Case Table\"\n",
    ))
    .unwrap_err();
    assert_eq!(err.key, "tenant[0].crm.case.table");
    let err = parse(&MINIMAL.replace("[tenant.servicenow]", "[tenant.crm]\nkind = \"salesforce\""))
        .unwrap_err();
    assert!(err.problem.contains("salesforce"), "{err}");
    assert!(err.fix.contains("servicenow"), "{err}");
    assert_eq!(err.key, "tenant[0].crm.kind");
}

#[test]
fn a_tenant_without_a_crm_or_with_both_forms_is_refused_naming_the_key() {
    let cut = MINIMAL.find("[tenant.servicenow]").unwrap();
    let err = parse(&MINIMAL[..cut]).unwrap_err();
    assert_eq!(err.key, "tenant[0].crm");
    assert!(err.fix.contains("kind = \"servicenow\""), "{err}");

    let both = MINIMAL.to_string()
        + "\n[tenant.crm]\nkind = \"servicenow\"\ninstance_url = \"https://acme.service-now.com\"\n\
           client_id = \"x\"\nclient_secret = \"y\"\n";
    let err = parse(&both).unwrap_err();
    assert_eq!(err.key, "tenant[0].crm");
    assert!(err.fix.contains("keep one"), "{err}");
}

#[test]
fn a_misspelt_key_in_the_crm_section_is_located_by_the_adapters_check() {
    let text = MINIMAL.to_string() + "\n[tenant.servicenow.case]\ntabel = \"x\"\n";
    let err = parse(&text).unwrap_err();
    assert_eq!(err.key, "tenant[0].servicenow.case.tabel");
    let line = text.lines().position(|l| l.starts_with("tabel")).unwrap() + 1;
    assert_eq!(err.location, Some(Location { line, column: 9 }));
    assert!(err.problem.starts_with("unknown field `tabel`"), "{err}");
}

#[test]
fn https_needs_both_files_each_readable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), "x").unwrap();
    std::fs::write(dir.path().join("key.pem"), "x").unwrap();
    let with = |lines: &str| {
        let text = MINIMAL.replace(
            "master_key = { env = \"MASTER\" }",
            &format!("master_key = {{ env = \"MASTER\" }}\n{lines}"),
        );
        Config::parse("callbridge.toml", &text, dir.path(), &env)
    };
    assert_eq!(with("").unwrap().server.tls, None);
    let tls = with("tls_certificate = \"cert.pem\"\ntls_private_key = \"key.pem\"")
        .unwrap()
        .server
        .tls
        .unwrap();
    assert_eq!(tls.certificate, dir.path().join("cert.pem"));
    assert_eq!(tls.private_key, dir.path().join("key.pem"));

    let errors = with("tls_certificate = \"cert.pem\"").unwrap_err();
    let err = errors.first();
    assert_eq!(err.key, "server.tls_private_key");
    assert!(err.to_string().contains("HTTPS needs both"), "{err}");
    let errors = with("tls_private_key = \"key.pem\"").unwrap_err();
    let err = errors.first();
    assert_eq!(err.key, "server.tls_certificate");
    assert!(err.to_string().contains("HTTPS needs both"), "{err}");
    let errors =
        with("tls_certificate = \"missing.pem\"\ntls_private_key = \"key.pem\"").unwrap_err();
    let err = errors.first();
    assert_eq!(err.key, "server.tls_certificate");
    assert!(err.to_string().contains("missing.pem"), "{err}");
    assert!(err.to_string().contains("point it at a PEM file"), "{err}");
}

#[test]
fn the_case_columns_callbridge_writes_are_each_their_own() {
    // The Case's title: a recording link there would be overwritten by it on every Case.
    let title = MINIMAL.to_string()
        + "\n[tenant.servicenow.case]\nrecording_url_column = \"short_description\"\n";
    let err = parse(&title).unwrap_err();
    assert_eq!(err.key, "tenant[0].servicenow.case.recording_url_column");
    assert!(
        err.to_string()
            .contains("\"short_description\" is the Case's short description"),
        "{err}"
    );
    let shared = MINIMAL.to_string()
        + "\n[tenant.servicenow.case]\ncaller_number_column = \"u_number\"\nrecording_url_column = \"u_number\"\n";
    let err = parse(&shared).unwrap_err();
    assert_eq!(err.key, "tenant[0].servicenow.case.recording_url_column");
    assert!(
        err.to_string()
            .contains("\"u_number\" is also the caller_number_column"),
        "{err}"
    );
    // Each its own: accepted.
    let own = MINIMAL.to_string()
        + "\n[tenant.servicenow.case]\ncaller_number_column = \"u_number\"\nrecording_url_column = \"u_link\"\n";
    assert!(parse(&own).is_ok());
}

//! `callbridge doctor` against the in-process sandbox: set up right (everything passes), then
//! set up wrong in one way per test, asserting the failing check and that its fix names the
//! setup step that repairs it. The sandbox is configured the way a ServiceNow admin would,
//! through its Table API as admin over HTTPS.

use callbridge_config::Config;
use callbridge_integration::crm::CrmRegistry;
use callbridge_integration::doctor::{self, render_text, Check, DoctorOptions, Report, Status};
use callbridge_sandbox::{start, RunningSandbox, SandboxOptions};
use reqwest::Method;
use serde_json::{json, Value};

/// The CRM kinds doctor checks with: ServiceNow, as the binary registers it.
fn crm_kinds() -> CrmRegistry {
    CrmRegistry::new().with(std::sync::Arc::new(
        callbridge_servicenow::adapter::ServiceNowKind,
    ))
}

const PUBLIC_URL: &str = "https://callbridge.example.test";
const INTEGRATION_USER: &str = "callbridge.integration";
const AGENT_ROLE: &str = "sn_customerservice_agent";

/// A running sandbox and an admin's HTTPS client for it.
struct Lab {
    sandbox: Option<RunningSandbox>,
    base: String,
    http: reqwest::Client,
    admin: (String, String),
    client_id: String,
    client_secret: String,
    integration_password: String,
    dir: tempfile::TempDir,
}

/// The admin setup steps a correct installation has done; tests leave one out or do it wrong.
#[derive(Clone, Copy)]
struct Setup {
    cc_property: bool,
    application_user: bool,
    redirect: bool,
    /// (internal_type, max_length) of u_recording_url; None: not created.
    recording_column: Option<(&'static str, &'static str)>,
    delete_acl: bool,
    /// OpenFrame > Configurations: a row opening the softphone, and its origin allowed.
    openframe: bool,
}

impl Setup {
    fn right() -> Setup {
        Setup {
            cc_property: true,
            application_user: true,
            redirect: true,
            recording_column: Some(("url", "1024")),
            delete_acl: true,
            openframe: true,
        }
    }
}

impl Lab {
    async fn start() -> Lab {
        let sandbox = start(SandboxOptions::default())
            .await
            .expect("sandbox starts");
        let ca = std::fs::read(sandbox.ca_path.as_ref().expect("HTTPS sandbox has a CA"))
            .expect("CA readable");
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("sandbox-ca.pem"), &ca).expect("CA written");
        let http = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("CA is PEM"))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client builds");
        let c = sandbox.credentials.clone();
        let integration_password = c.password(INTEGRATION_USER).expect("seeded").to_string();
        Lab {
            base: sandbox.base_url.clone(),
            sandbox: Some(sandbox),
            http,
            admin: (c.admin_user, c.admin_password),
            client_id: c.client_id,
            client_secret: c.client_secret,
            integration_password,
            dir,
        }
    }

    /// Callbridge's own instance setup (`callbridge_servicenow::setup`), with the softphone.
    async fn apply_setup(&self) {
        use callbridge_servicenow::{setup, Auth, Instance, InstanceConfig, TableClient};
        let ca = std::fs::read(self.dir.path().join("sandbox-ca.pem")).expect("CA");
        let instance =
            Instance::new(InstanceConfig::new(self.base.clone()).with_root_ca_pem(ca)).unwrap();
        let redirect_url = format!("{PUBLIC_URL}/api/v1/crm/oauth/callback");
        let softphone = format!("{PUBLIC_URL}/?tenant=acme");
        let plan =
            setup::SetupPlan::for_default_config(&self.client_id, INTEGRATION_USER, &redirect_url)
                .with_softphone(&softphone);
        setup::apply(
            &TableClient::new(instance),
            &Auth::basic(&self.admin.0, &self.admin.1),
            &plan,
        )
        .await
        .expect("setup applies");
    }

    async fn started(setup: Setup) -> Lab {
        let lab = Lab::start().await;
        lab.set_up(setup).await;
        lab
    }

    async fn shutdown(mut self) {
        if let Some(s) = self.sandbox.take() {
            s.shutdown().await;
        }
    }

    /// An admin request; returns the status and the JSON body (Null when there is none).
    async fn admin(
        &self,
        method: Method,
        path: &str,
        query: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .basic_auth(&self.admin.0, Some(&self.admin.1))
            .header("accept", "application/json");
        if let Some(q) = query {
            request = request.query(&[("sysparm_query", q)]);
        }
        if let Some(b) = body {
            request = request.json(&b);
        }
        let response = request.send().await.expect("admin request completes");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body readable");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn rows(&self, table: &str, query: &str) -> Vec<Value> {
        let (status, body) = self
            .admin(
                Method::GET,
                &format!("/api/now/table/{table}"),
                Some(query),
                None,
            )
            .await;
        assert_eq!(status, 200, "reading {table} where {query}: {body}");
        body["result"].as_array().expect("a list").clone()
    }

    async fn sys_id(&self, table: &str, query: &str) -> String {
        let rows = self.rows(table, query).await;
        assert_eq!(rows.len(), 1, "one {table} row where {query}: {rows:?}");
        rows[0]["sys_id"].as_str().expect("sys_id").to_string()
    }

    async fn insert(&self, table: &str, body: Value) -> String {
        let (status, reply) = self
            .admin(
                Method::POST,
                &format!("/api/now/table/{table}"),
                None,
                Some(body),
            )
            .await;
        assert_eq!(status, 201, "inserting into {table}: {reply}");
        reply["result"]["sys_id"]
            .as_str()
            .expect("sys_id")
            .to_string()
    }

    async fn update(&self, table: &str, sys_id: &str, body: Value) {
        let (status, reply) = self
            .admin(
                Method::PATCH,
                &format!("/api/now/table/{table}/{sys_id}"),
                None,
                Some(body),
            )
            .await;
        assert_eq!(status, 200, "updating {table}/{sys_id}: {reply}");
    }

    async fn set_property(&self, name: &str, value: &str) {
        let existing = self.rows("sys_properties", &format!("name={name}")).await;
        match existing.first() {
            Some(row) => {
                let id = row["sys_id"].as_str().expect("sys_id");
                self.update("sys_properties", id, json!({"value": value}))
                    .await;
            }
            None => {
                self.insert(
                    "sys_properties",
                    json!({"name": name, "value": value, "type": "true|false"}),
                )
                .await;
            }
        }
    }

    async fn user_id(&self, user_name: &str) -> String {
        self.sys_id("sys_user", &format!("user_name={user_name}"))
            .await
    }

    async fn role_id(&self, role: &str) -> String {
        self.sys_id("sys_user_role", &format!("name={role}")).await
    }

    /// What the admin does in System OAuth, System Properties, the Dictionary and ACLs.
    async fn set_up(&self, setup: Setup) {
        if setup.cc_property {
            self.set_property(
                "glide.oauth.inbound.client.credential.grant_type.enabled",
                "true",
            )
            .await;
        }
        let registry = self
            .rows("oauth_entity", &format!("client_id={}", self.client_id))
            .await;
        let entry = registry.first().expect("the registered client");
        let entry_id = entry["sys_id"].as_str().expect("sys_id").to_string();
        if setup.application_user {
            let user = self.user_id(INTEGRATION_USER).await;
            self.update("oauth_entity", &entry_id, json!({"user": user}))
                .await;
        }
        if setup.redirect {
            let existing = entry["redirect_url"].as_str().unwrap_or_default();
            let urls = format!("{existing},{PUBLIC_URL}/api/v1/crm/oauth/callback");
            self.update("oauth_entity", &entry_id, json!({"redirect_url": urls}))
                .await;
        }
        if let Some((internal_type, max_length)) = setup.recording_column {
            self.insert(
                "sys_dictionary",
                json!({
                    "name": "sn_customerservice_case",
                    "element": "u_recording_url",
                    "internal_type": internal_type,
                    "max_length": max_length,
                    "column_label": "Recording",
                }),
            )
            .await;
        }
        if setup.openframe {
            self.insert(
                "sn_openframe_configuration",
                json!({"name": "Callbridge", "url": format!("{PUBLIC_URL}/?tenant=acme"), "active": "true"}),
            )
            .await;
            self.set_property(
                "glide.ui.concourse.onmessage_enforce_same_origin_whitelist",
                PUBLIC_URL,
            )
            .await;
        }
        if setup.delete_acl {
            let acl = self
                .insert(
                    "sys_security_acl",
                    json!({"name": "sn_customerservice_case", "operation": "delete", "type": "record"}),
                )
                .await;
            let role = self.role_id(AGENT_ROLE).await;
            self.insert(
                "sys_security_acl_role",
                json!({"sys_security_acl": acl, "sys_user_role": role}),
            )
            .await;
        }
    }

    /// User Administration > Users > callbridge.integration > Roles: remove `role`.
    async fn revoke(&self, user_name: &str, role: &str) {
        let user = self.user_id(user_name).await;
        let role = self.role_id(role).await;
        let grant = self
            .sys_id("sys_user_has_role", &format!("user={user}^role={role}"))
            .await;
        let (status, body) = self
            .admin(
                Method::DELETE,
                &format!("/api/now/table/sys_user_has_role/{grant}"),
                None,
                None,
            )
            .await;
        assert_eq!(status, 204, "revoking {role}: {body}");
    }

    /// The tenant's configuration: client credentials unless `servicenow_extra` says otherwise,
    /// with `sections` (lookup tables, case columns) appended.
    fn config_with(&self, secret: &str, servicenow_extra: &str, sections: &str) -> Config {
        let text = format!(
            r#"
[server]
public_url = "{PUBLIC_URL}"
master_key = "doctor-tests-do-not-encrypt-anything"

[[tenant]]
id = "acme"
default_region = "US"

[tenant.servicenow]
instance_url = "{base}"
ca_file = "sandbox-ca.pem"
client_id = "{id}"
client_secret = "{secret}"
{servicenow_extra}

{sections}
"#,
            base = self.base,
            id = self.client_id,
        );
        Config::parse("doctor-test.toml", &text, self.dir.path(), &|_| None)
            .expect("test configuration is valid")
    }

    fn config(&self) -> Config {
        self.config_with(&self.client_secret, "", "")
    }
}

/// The one tenant's checks. Every scenario here reads its report through this, so every check
/// doctor produces in any of them (passes, failures with their fixes, skips with their reasons)
/// must read in Japanese too: a title, detail or fix with English and no Japanese fails here.
fn tenant_checks(report: &Report) -> &[Check] {
    assert_eq!(report.tenants.len(), 1, "{report:#?}");
    let checks = &report.tenants[0].checks;
    for c in checks {
        let missing = c.missing_japanese();
        assert!(
            missing.is_empty(),
            "{} ({:?}) has no Japanese {missing:?}: {c:#?}",
            c.id,
            c.status
        );
    }
    checks
}

fn check<'a>(report: &'a Report, id: &str) -> &'a Check {
    tenant_checks(report)
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id} in:\n{}", render_text(report)))
}

/// Asserts that `id` has `status` and that its fix mentions every one of `words`.
fn assert_check(report: &Report, id: &str, status: Status, words: &[&str]) {
    let c = check(report, id);
    assert_eq!(c.status, status, "{id}:\n{}", render_text(report));
    let fix = c
        .fix
        .as_deref()
        .unwrap_or_else(|| panic!("{id} has no fix:\n{}", render_text(report)));
    for word in words {
        assert!(
            fix.contains(word),
            "the fix of {id} should mention {word:?}: {fix}"
        );
    }
}

/// The check the service account cannot make: system properties are admin-only.
const ADMIN_ONLY: &str = "openframe.origin";

/// Everything except `except` passed (the admin-only check is skipped, saying why).
fn assert_others_pass(report: &Report, except: &[&str]) {
    for c in tenant_checks(report) {
        if c.id == ADMIN_ONLY && !except.contains(&ADMIN_ONLY) {
            assert_eq!(
                c.status,
                Status::Skipped,
                "{}:\n{}",
                c.id,
                render_text(report)
            );
            assert!(c.detail.contains("check by hand"), "{}", c.detail);
            continue;
        }
        if !except.contains(&c.id.as_str()) {
            assert_eq!(c.status, Status::Pass, "{}:\n{}", c.id, render_text(report));
        }
    }
}

fn ids(report: &Report) -> Vec<String> {
    tenant_checks(report).iter().map(|c| c.id.clone()).collect()
}

/// The checks of the default configuration, in order.
const DEFAULT_IDS: &[&str] = &[
    "instance.reachable",
    "oauth.service_grant",
    "oauth.authorize_redirect",
    "access.dictionary",
    "table.lookup.customer_contact",
    "column.lookup.customer_contact.phone",
    "column.lookup.customer_contact.mobile_phone",
    "column.lookup.customer_contact.name",
    "column.lookup.customer_contact.account",
    "table.lookup.csm_consumer",
    "column.lookup.csm_consumer.business_phone",
    "column.lookup.csm_consumer.mobile_phone",
    "column.lookup.csm_consumer.name",
    "table.case",
    "column.case.correlation",
    "column.case.recording_url",
    "column.case.contact",
    "column.case.account",
    "column.case.consumer",
    "column.case.assigned_to",
    "access.read.customer_contact",
    "access.read.csm_consumer",
    "access.create_case",
    "rate_limit",
    "openframe.panel",
    "openframe.origin",
    "agents.linked",
];

#[tokio::test]
async fn a_correct_setup_passes_every_check_and_leaves_no_probe_behind() {
    let lab = Lab::started(Setup::right()).await;
    let report = doctor::run(&lab.config(), &crm_kinds(), None).await;
    assert_eq!(ids(&report), DEFAULT_IDS);
    assert_others_pass(&report, &[]);
    assert!(!report.failed());
    assert!(check(&report, "oauth.service_grant")
        .detail
        .contains(INTEGRATION_USER));
    assert!(check(&report, "rate_limit")
        .detail
        .contains("no REST API rate-limit rule applies"));
    let probes = lab
        .rows(
            "sn_customerservice_case",
            "correlation_idSTARTSWITHcallbridge-doctor-",
        )
        .await;
    assert!(probes.is_empty(), "the probe Case was deleted: {probes:?}");

    let text = render_text(&report);
    assert_eq!(
        text.lines().filter(|l| l.starts_with("  PASS  ")).count(),
        DEFAULT_IDS.len() - 1,
        "{text}"
    );
    assert!(
        text.contains("26 passed, 0 warnings, 0 failed, 1 skipped"),
        "{text}"
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["tenants"][0]["tenant"], "acme");
    assert_eq!(json["tenants"][0]["checks"][0]["id"], "instance.reachable");
    assert_eq!(json["tenants"][0]["checks"][0]["status"], "pass");
    lab.shutdown().await;
}

#[tokio::test]
async fn a_missing_recording_column_says_to_create_it() {
    let lab = Lab::started(Setup {
        recording_column: None,
        ..Setup::right()
    })
    .await;
    let report = doctor::run(&lab.config(), &crm_kinds(), Some("acme")).await;
    assert_check(
        &report,
        "column.case.recording_url",
        Status::Fail,
        &[
            "System Definition > Dictionary",
            "create column u_recording_url on sn_customerservice_case, type URL, max length ≥",
        ],
    );
    assert_others_pass(&report, &["column.case.recording_url"]);
    assert!(report.failed());
    lab.shutdown().await;
}

#[tokio::test]
async fn a_recording_column_too_short_for_our_links_says_how_long_it_must_be() {
    let lab = Lab::started(Setup {
        recording_column: Some(("string", "40")),
        ..Setup::right()
    })
    .await;
    let report = doctor::run(&lab.config(), &crm_kinds(), None).await;
    // https://callbridge.example.test/recordings/ + a 64-character call id
    let longest = PUBLIC_URL.len() + "/recordings/".len() + 64;
    assert_check(
        &report,
        "column.case.recording_url",
        Status::Fail,
        &[
            "System Definition > Dictionary",
            "u_recording_url",
            &format!("Max length to at least {longest}"),
        ],
    );
    let detail = &check(&report, "column.case.recording_url").detail;
    assert!(detail.contains("max length 40"), "{detail}");
    assert_others_pass(&report, &["column.case.recording_url"]);
    lab.shutdown().await;
}

#[tokio::test]
async fn a_service_user_without_the_agent_role_is_told_which_role_to_grant() {
    let lab = Lab::started(Setup::right()).await;
    lab.revoke(INTEGRATION_USER, AGENT_ROLE).await;
    let report = doctor::run(&lab.config(), &crm_kinds(), None).await;
    let grant = [
        "User Administration > Users",
        "grant role sn_customerservice_agent to callbridge.integration",
        "log in again",
    ];
    assert_check(
        &report,
        "access.read.customer_contact",
        Status::Fail,
        &grant,
    );
    assert_check(
        &report,
        "access.read.csm_consumer",
        Status::Fail,
        &["User Administration > Users", AGENT_ROLE],
    );
    assert_check(&report, "access.create_case", Status::Fail, &grant);
    // The agent role also carried sn_openframe_user: doctor says which role lets it look.
    assert_check(
        &report,
        "openframe.panel",
        Status::Warn,
        &["grant sn_openframe_user to callbridge.integration"],
    );
    assert_others_pass(
        &report,
        &[
            "access.read.customer_contact",
            "access.read.csm_consumer",
            "access.create_case",
            "openframe.panel",
        ],
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn a_wrong_client_secret_points_at_the_application_registry() {
    let lab = Lab::started(Setup::right()).await;
    let report = doctor::run(
        &lab.config_with("not-the-secret", "", ""),
        &crm_kinds(),
        None,
    )
    .await;
    assert_check(
        &report,
        "oauth.service_grant",
        Status::Fail,
        &[
            "System OAuth > Application Registry",
            "Client Secret",
            &lab.client_id,
        ],
    );
    assert_eq!(check(&report, "instance.reachable").status, Status::Pass);
    assert_eq!(
        check(&report, "oauth.authorize_redirect").status,
        Status::Pass
    );
    // Agents' checks use the agents' own tokens, not the service credential.
    for c in tenant_checks(&report)
        .iter()
        .skip(3)
        .filter(|c| c.id != "agents.linked")
    {
        assert_eq!(
            c.status,
            Status::Skipped,
            "{}:\n{}",
            c.id,
            render_text(&report)
        );
        assert!(
            c.detail.contains("oauth.service_grant failed"),
            "{}",
            c.detail
        );
    }
    assert_eq!(ids(&report), DEFAULT_IDS, "skipped checks keep their ids");
    lab.shutdown().await;
}

#[tokio::test]
async fn a_disabled_client_credentials_grant_explains_both_possible_causes() {
    let lab = Lab::started(Setup {
        cc_property: false,
        ..Setup::right()
    })
    .await;
    let report = doctor::run(&lab.config(), &crm_kinds(), None).await;
    assert_check(
        &report,
        "oauth.service_grant",
        Status::Fail,
        &[
            "System Properties",
            "glide.oauth.inbound.client.credential.grant_type.enabled = true",
            "OAuth Application User",
            // The instance answers a wrong secret the same way, so that is named too.
            "Client Secret",
        ],
    );
    let detail = &check(&report, "oauth.service_grant").detail;
    assert!(detail.contains("same answer"), "{detail}");
    lab.shutdown().await;
}

#[tokio::test]
async fn a_misspelt_lookup_table_is_named_with_a_suggestion() {
    let lab = Lab::started(Setup::right()).await;
    let lookup = r#"
[[tenant.servicenow.lookup.tables]]
table = "customer_contacts"
kind = "contact"
phone_columns = ["phone", "mobile_phone"]
"#;
    let report = doctor::run(
        &lab.config_with(&lab.client_secret, "", lookup),
        &crm_kinds(),
        None,
    )
    .await;
    assert_check(
        &report,
        "table.lookup.customer_contacts",
        Status::Fail,
        &[
            "System Definition > Tables",
            "tenant.servicenow.lookup.tables[0].table",
            "did you mean customer_contact?",
        ],
    );
    for id in [
        "column.lookup.customer_contacts.phone",
        "column.lookup.customer_contacts.account",
        "access.read.customer_contacts",
    ] {
        let c = check(&report, id);
        assert_eq!(c.status, Status::Skipped, "{id}");
        assert!(
            c.detail.contains("table.lookup.customer_contacts failed"),
            "{}",
            c.detail
        );
    }
    assert_eq!(check(&report, "table.case").status, Status::Pass);
    assert_eq!(check(&report, "access.create_case").status, Status::Pass);
    lab.shutdown().await;
}

#[tokio::test]
async fn case_columns_are_checked_against_what_callbridge_writes() {
    let lab = Lab::started(Setup::right()).await;
    let case = r#"
[tenant.servicenow.case]
caller_number_column = "u_caller_number"
contact_column = "opened_by"
"#;
    let config = lab.config_with(&lab.client_secret, "", case);
    let report = doctor::run(&config, &crm_kinds(), None).await;
    assert_check(
        &report,
        "column.case.caller_number",
        Status::Fail,
        &[
            "System Definition > Dictionary",
            "create column u_caller_number on sn_customerservice_case, type String",
        ],
    );
    // opened_by references sys_user, but Callbridge writes customer_contact sys_ids there.
    assert_check(
        &report,
        "column.case.contact",
        Status::Warn,
        &["tenant.servicenow.case.contact_column", "customer_contact"],
    );
    assert_others_pass(
        &report,
        &["column.case.caller_number", "column.case.contact"],
    );

    lab.insert(
        "sys_dictionary",
        json!({"name": "sn_customerservice_case", "element": "u_caller_number", "internal_type": "string", "max_length": "40", "column_label": "Caller number"}),
    )
    .await;
    let report = doctor::run(&config, &crm_kinds(), None).await;
    assert_eq!(
        check(&report, "column.case.caller_number").status,
        Status::Pass
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn an_unregistered_redirect_uri_says_which_uri_to_register() {
    let lab = Lab::started(Setup {
        redirect: false,
        ..Setup::right()
    })
    .await;
    let report = doctor::run(&lab.config(), &crm_kinds(), None).await;
    assert_check(
        &report,
        "oauth.authorize_redirect",
        Status::Fail,
        &[
            "System OAuth > Application Registry",
            "Redirect URL",
            "https://callbridge.example.test/api/v1/crm/oauth/callback",
        ],
    );
    assert_others_pass(&report, &["oauth.authorize_redirect"]);
    lab.shutdown().await;
}

#[tokio::test]
async fn a_refused_probe_delete_warns_which_case_to_delete_by_hand() {
    let lab = Lab::started(Setup {
        delete_acl: false,
        ..Setup::right()
    })
    .await;
    let report = doctor::run(&lab.config(), &crm_kinds(), None).await;
    let probes = lab
        .rows(
            "sn_customerservice_case",
            "correlation_idSTARTSWITHcallbridge-doctor-",
        )
        .await;
    assert_eq!(probes.len(), 1, "the probe stays when deleting is refused");
    let number = probes[0]["number"].as_str().expect("number");
    assert_check(
        &report,
        "access.create_case",
        Status::Warn,
        &["delete Case", number, "callbridge-doctor-"],
    );
    assert_others_pass(&report, &["access.create_case"]);
    assert!(!report.failed(), "a warning is not a failure");
    lab.shutdown().await;
}

#[tokio::test]
async fn no_write_skips_the_probe_case() {
    let lab = Lab::started(Setup::right()).await;
    let report = doctor::run_with(
        &lab.config(),
        &crm_kinds(),
        None,
        DoctorOptions { write_probe: false },
    )
    .await;
    let c = check(&report, "access.create_case");
    assert_eq!(c.status, Status::Skipped);
    assert!(c.detail.contains("--no-write"), "{}", c.detail);
    assert_others_pass(&report, &["access.create_case"]);
    let probes = lab
        .rows(
            "sn_customerservice_case",
            "correlation_idSTARTSWITHcallbridge-doctor-",
        )
        .await;
    assert!(probes.is_empty());
    lab.shutdown().await;
}

#[tokio::test]
async fn a_rate_limit_rule_is_compared_with_requests_per_hour() {
    let lab = Lab::started(Setup::right()).await;
    let user = lab.user_id(INTEGRATION_USER).await;
    lab.insert(
        "sys_rate_limit_rules",
        json!({"name": "Integrations", "type": "user", "user": user, "request_limit": "1000"}),
    )
    .await;
    let unpaced = doctor::run(&lab.config(), &crm_kinds(), None).await;
    assert_check(
        &unpaced,
        "rate_limit",
        Status::Warn,
        &["requests_per_hour = 900", "REST API Rate Limits"],
    );
    assert!(check(&unpaced, "rate_limit").detail.contains("1000"));

    let too_fast = doctor::run(
        &lab.config_with(&lab.client_secret, "requests_per_hour = 5000", ""),
        &crm_kinds(),
        None,
    )
    .await;
    assert_check(
        &too_fast,
        "rate_limit",
        Status::Warn,
        &["lower tenant.servicenow.requests_per_hour to 1000"],
    );

    let paced = doctor::run(
        &lab.config_with(&lab.client_secret, "requests_per_hour = 800", ""),
        &crm_kinds(),
        None,
    )
    .await;
    assert_eq!(
        check(&paced, "rate_limit").status,
        Status::Pass,
        "{}",
        render_text(&paced)
    );
    lab.shutdown().await;
}

#[tokio::test]
async fn the_password_grant_tells_a_wrong_password_from_a_wrong_client() {
    let lab = Lab::started(Setup::right()).await;
    let password = |pw: &str| {
        format!("service_grant = \"password\"\nservice_user = \"{INTEGRATION_USER}\"\nservice_password = \"{pw}\"")
    };
    let good = doctor::run(
        &lab.config_with(&lab.client_secret, &password(&lab.integration_password), ""),
        &crm_kinds(),
        None,
    )
    .await;
    assert_others_pass(&good, &[]);

    let wrong_password = doctor::run(
        &lab.config_with(&lab.client_secret, &password("wrong"), ""),
        &crm_kinds(),
        None,
    )
    .await;
    assert_check(
        &wrong_password,
        "oauth.service_grant",
        Status::Fail,
        &[
            "User Administration > Users",
            INTEGRATION_USER,
            "service_password",
        ],
    );

    let wrong_secret = doctor::run(
        &lab.config_with("wrong", &password(&lab.integration_password), ""),
        &crm_kinds(),
        None,
    )
    .await;
    assert_check(
        &wrong_secret,
        "oauth.service_grant",
        Status::Fail,
        &["Application Registry", "Client Secret"],
    );
    assert!(check(&wrong_secret, "oauth.service_grant")
        .detail
        .contains("Basic authentication works"));
    lab.shutdown().await;
}

#[tokio::test]
async fn an_untrusted_certificate_asks_for_the_ca_file() {
    let lab = Lab::started(Setup::right()).await;
    let mut config = lab.config();
    config.tenants[0].crm.table.remove("ca_file");
    let report = doctor::run(&config, &crm_kinds(), None).await;
    assert_check(&report, "instance.reachable", Status::Fail, &["ca_file"]);
    for c in tenant_checks(&report).iter().skip(1) {
        assert_eq!(c.status, Status::Skipped, "{}", c.id);
    }
    assert_eq!(ids(&report), DEFAULT_IDS);
    lab.shutdown().await;
}

#[tokio::test]
async fn an_unknown_tenant_is_reported_not_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"
[server]
master_key = "x"

[[tenant]]
id = "acme"

[tenant.servicenow]
instance_url = "https://acme.invalid"
client_id = "id"
client_secret = "secret"
"#;
    let config = Config::parse("t.toml", text, dir.path(), &|_| None).unwrap();
    let report = doctor::run(&config, &crm_kinds(), Some("globex")).await;
    assert_check(&report, "config.tenant", Status::Fail, &["acme"]);
    assert!(report.failed());
}

#[tokio::test]
async fn callbridge_setup_creates_the_openframe_row_once_and_doctor_finds_it() {
    let lab = Lab::started(Setup {
        openframe: false,
        ..Setup::right()
    })
    .await;
    let report = doctor::run(&lab.config(), &crm_kinds(), None).await;
    assert_check(
        &report,
        "openframe.panel",
        Status::Warn,
        &[
            "OpenFrame > Configurations",
            &format!("{PUBLIC_URL}/"),
            "sn_openframe_user",
        ],
    );

    lab.apply_setup().await;
    lab.apply_setup().await;
    let rows = lab
        .rows("sn_openframe_configuration", "name=Callbridge")
        .await;
    assert_eq!(rows.len(), 1, "one row after two runs: {rows:?}");
    assert_eq!(rows[0]["url"], format!("{PUBLIC_URL}/?tenant=acme"));
    assert_eq!(rows[0]["active"], "true");
    assert_eq!(rows[0]["width"], "360");
    assert_eq!(rows[0]["height"], "560");
    let property = lab
        .rows(
            "sys_properties",
            "name=glide.ui.concourse.onmessage_enforce_same_origin_whitelist",
        )
        .await;
    assert_eq!(property.len(), 1);
    assert_eq!(property[0]["value"], PUBLIC_URL);

    let report = doctor::run(&lab.config(), &crm_kinds(), None).await;
    assert_eq!(check(&report, "openframe.panel").status, Status::Pass);
    assert_others_pass(&report, &[]);

    // Deactivated by an admin: doctor says which switch to turn back on.
    let id = rows[0]["sys_id"].as_str().unwrap();
    lab.update("sn_openframe_configuration", id, json!({"active": "false"}))
        .await;
    let report = doctor::run(&lab.config(), &crm_kinds(), None).await;
    assert_check(
        &report,
        "openframe.panel",
        Status::Warn,
        &["Active", "Callbridge"],
    );
    lab.shutdown().await;
}

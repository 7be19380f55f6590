//! The console's Setup API (`docs/console-api.md`, "Setup") over real HTTP against the
//! ServiceNow sandbox: the values shown read-only for a tenant from the configuration file
//! (secrets never), each step's live checks from the tenant's real doctor, the instance's
//! dictionary, the recording-link column created only with an instance admin's sign-in, and
//! who may call it.

mod support;

use callbridge_store::{AuditFilter, Role, Store};
use serde_json::{json, Value};
use support::console::{add_account, Answer, Tab, PASSWORD};
use support::{World, TENANT};

async fn add(store: &Store, user: &str, role: Role) {
    add_account(store, TENANT, user, role).await;
}

fn value<'a>(values: &'a Value, key: &str) -> &'a Value {
    values
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["key"] == key)
        .unwrap_or_else(|| panic!("no value {key} in {values}"))
}

fn check<'a>(answer: &'a Value, id: &str) -> &'a Value {
    answer["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {answer}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_tenants_setup_is_shown_read_only_without_its_secret() {
    let world = World::start().await;
    add(&world.server.store, "ada", Role::Admin).await;
    let ada = Tab::of(&world, TENANT, "ada").await;
    let Answer {
        status, body, text, ..
    } = ada.get("/api/v1/console/setup").await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(body["tenant"], TENANT);
    assert_eq!(body["provisioned"], "file");
    assert_eq!(body["file"], "test.toml");
    assert_eq!(body["editable"], false);
    assert_eq!(
        body["steps"],
        json!(["connection", "tables", "roles", "recordings"])
    );
    assert_eq!(body["crm"], "ServiceNow");
    let connection = &body["connection"]["values"];
    assert_eq!(
        value(connection, "instance_url")["value"],
        world.sandbox.base_url.as_str()
    );
    assert_eq!(
        value(connection, "client_id")["value"],
        world.sandbox.credentials.client_id.as_str()
    );
    assert_eq!(
        value(connection, "client_secret"),
        &json!({"key": "client_secret", "value": null, "secret": true, "set": true})
    );
    assert!(
        !text.contains(&world.sandbox.credentials.client_secret),
        "the client secret was sent: {text}"
    );
    assert_eq!(
        body["connection"]["registration"],
        json!({
            "menu": "System OAuth > Application Registry",
            "redirect_url": format!("{}/api/v1/crm/oauth/callback", world.public_url),
        })
    );
    let tables = &body["tables"]["values"];
    assert_eq!(
        value(tables, "case.table")["value"],
        "sn_customerservice_case"
    );
    assert_eq!(
        value(tables, "case.recording_url_column")["value"],
        "u_recording_url"
    );
    assert_eq!(
        value(tables, "lookup.tables[0].phone_columns")["value"],
        "phone, mobile_phone"
    );
    assert_eq!(
        body["roles"]["needs"],
        json!([
            {"table": "customer_contact", "purpose": "caller lookup", "role": "sn_customerservice_agent"},
            {"table": "csm_consumer", "purpose": "caller lookup", "role": "sn_customerservice_agent"},
            {"table": "sn_customerservice_case", "purpose": "Cases", "role": "sn_customerservice_agent"},
        ])
    );
    // No telephony in this configuration: nothing is recorded here.
    assert_eq!(body["recordings"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_step_runs_the_tenants_doctor_now_and_a_wrong_secret_fails_with_its_fix() {
    let world = World::start().await;
    add(&world.server.store, "ada", Role::Admin).await;
    let ada = Tab::of(&world, TENANT, "ada").await;

    let Answer {
        status,
        body: connection,
        text,
        ..
    } = ada
        .get("/api/v1/console/setup/steps/connection/checks")
        .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(connection["step"], "connection");
    assert_eq!(check(&connection, "instance.reachable")["status"], "pass");
    assert_eq!(check(&connection, "oauth.service_grant")["status"], "pass");
    // Only the step's own checks.
    for c in connection["checks"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        assert!(
            ["instance.", "oauth.", "rate_limit", "openframe."]
                .iter()
                .any(|p| id.starts_with(p)),
            "{id} is not a connection check"
        );
    }

    let Answer {
        body: tables, text, ..
    } = ada.get("/api/v1/console/setup/steps/tables/checks").await;
    assert_eq!(
        check(&tables, "access.dictionary")["status"],
        "pass",
        "{text}"
    );
    assert_eq!(check(&tables, "table.case")["status"], "pass", "{text}");
    assert_eq!(
        check(&tables, "column.case.recording_url")["status"],
        "pass",
        "{text}"
    );
    // No probe Case is written from the console.
    assert_eq!(check(&tables, "access.create_case")["status"], "skipped");
    assert_eq!(tables["summary"]["fail"], 0, "{text}");

    let Answer {
        body: roles, text, ..
    } = ada.get("/api/v1/console/setup/steps/roles/checks").await;
    assert_eq!(check(&roles, "agents.linked")["status"], "pass", "{text}");
    let Answer {
        body: recordings, ..
    } = ada
        .get("/api/v1/console/setup/steps/recordings/checks")
        .await;
    assert_eq!(recordings["checks"], json!([]));

    let Answer {
        status,
        body: unknown,
        ..
    } = ada.get("/api/v1/console/setup/steps/numbers/checks").await;
    assert_eq!(status, 404);
    assert_eq!(unknown["error"]["code"], "no_such_step");

    // The same tenant with a wrong client secret: the step shows doctor's failure and its fix.
    let dir = tempfile::tempdir().unwrap();
    let mut config = world.config.clone();
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    config.server.database_url = format!("sqlite://{}", dir.path().join("wrong.db").display());
    config.tenants[0]
        .crm
        .table
        .insert("client_secret".into(), "not-the-secret".into());
    let wrong = callbridge_web::start(&config, support::fast_outbox(), &support::crm_kinds())
        .await
        .unwrap();
    add(&wrong.store, "ada", Role::Admin).await;
    let base = format!("http://{}", wrong.addr);
    // The copy keeps the first server's public URL: its pages are the allowed origin.
    let ada = Tab::sign_in(
        &world.http,
        &base,
        &world.public_url,
        TENANT,
        "ada",
        PASSWORD,
    )
    .await
    .unwrap();
    let Answer {
        body: connection,
        text,
        ..
    } = ada
        .get("/api/v1/console/setup/steps/connection/checks")
        .await;
    let grant = check(&connection, "oauth.service_grant");
    assert_eq!(grant["status"], "fail", "{text}");
    assert!(
        grant["fix"].as_str().unwrap().contains("client"),
        "the failure says how to fix it: {grant}"
    );
    assert!(!text.contains("not-the-secret"), "{text}");
    let Answer {
        status,
        body: schema,
        ..
    } = ada.get("/api/v1/console/setup/schema").await;
    assert_eq!(status, 502);
    assert_eq!(schema["error"]["code"], "crm_unavailable");
    wrong.shutdown().await;
}

/// Every request the sandbox has answered since its counts were reset.
async fn instance_requests(world: &World) -> u64 {
    let counts = world.admin().requests().await;
    counts
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_steps_checks_ask_the_instance_only_for_that_step() {
    let world = World::start().await;
    add(&world.server.store, "ada", Role::Admin).await;
    let ada = Tab::of(&world, TENANT, "ada").await;
    // The whole doctor, as `callbridge doctor --no-write` runs it: what each view used to ask.
    world.admin().reset_requests().await;
    let report = callbridge_integration::doctor::run_with(
        &world.config,
        &support::crm_kinds(),
        Some(TENANT),
        callbridge_integration::doctor::DoctorOptions { write_probe: false },
    )
    .await;
    assert!(!report.failed(), "{report:?}");
    let whole = instance_requests(&world).await;
    let mut asked = Vec::new();
    for step in ["connection", "tables", "roles"] {
        world.admin().reset_requests().await;
        let answer = ada
            .get(&format!("/api/v1/console/setup/steps/{step}/checks"))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.body["summary"]["fail"], 0, "{}", answer.text);
        asked.push(instance_requests(&world).await);
    }
    eprintln!("instance requests: whole doctor {whole}; connection, tables, roles {asked:?}");
    for (step, n) in ["connection", "tables", "roles"].iter().zip(&asked) {
        assert!(*n < whole, "{step} asked {n} of the whole doctor's {whole}");
    }
    // Roles needs only the instance reachable and each linked agent's own token (none here).
    assert!(asked[2] <= 2, "roles asked {}", asked[2]);
    world.stop().await;
}

/// Every check a step shows, walked for a tenant with a linked agent: in `?lang=ja` each has
/// its title, detail and (where English has one) fix in Japanese, marked so (a new check
/// without Japanese fails here; `tests/doctor.rs` walks the failing ones).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_setup_check_reads_in_japanese() {
    let world = World::start().await;
    add(&world.server.store, "ada", Role::Admin).await;
    world.link("alice", "alice.agent").await;
    let ada = Tab::of(&world, TENANT, "ada").await;
    let mut walked = 0;
    for step in ["connection", "tables", "roles"] {
        let answer = ada
            .get(&format!(
                "/api/v1/console/setup/steps/{step}/checks?lang=ja"
            ))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.body["lang"], "ja");
        for c in answer.body["checks"].as_array().unwrap() {
            assert_eq!(c["title_lang"], "ja", "{step}: {c}");
            assert!(!c["title"].as_str().unwrap().is_ascii(), "{step}: {c}");
            assert_eq!(c["detail_lang"], "ja", "{step}: {c}");
            assert!(!c["detail"].as_str().unwrap().is_ascii(), "{step}: {c}");
            match c["fix"].as_str() {
                Some(fix) => {
                    assert_eq!(c["fix_lang"], "ja", "{step}: {c}");
                    assert!(!fix.is_ascii(), "{step}: {c}");
                }
                None => assert_eq!(c["fix_lang"], Value::Null, "{step}: {c}"),
            }
            walked += 1;
        }
    }
    assert!(walked >= 20, "only {walked} checks");
    let roles = ada
        .get("/api/v1/console/setup/steps/roles/checks?lang=ja")
        .await;
    assert_eq!(
        check(&roles.body, "agent.alice.crm_access")["title"],
        "エージェント alice の CRM アカウントが発信者テーブルとケース テーブルを読める"
    );
    // English without the parameter; an unknown language or parameter is refused.
    let english = ada.get("/api/v1/console/setup/steps/roles/checks").await;
    assert_eq!(english.body["lang"], "en");
    let alice = check(&english.body, "agent.alice.crm_access");
    assert_eq!(
        (&alice["title_lang"], &alice["detail_lang"]),
        (&json!("en"), &json!("en"))
    );
    assert!(
        alice["detail"]
            .as_str()
            .unwrap()
            .starts_with("alice (ServiceNow user alice.agent) can read"),
        "{alice}"
    );
    assert_eq!(
        check(&roles.body, "agent.alice.crm_access")["detail"],
        "alice（ServiceNow ユーザー alice.agent）はすべての発信者テーブルとケース テーブルを読めます"
    );
    let unknown = ada
        .get("/api/v1/console/setup/steps/roles/checks?lang=fr")
        .await;
    assert_eq!((unknown.status, unknown.code()), (400, "bad_request"));
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dictionary_is_read_and_the_recording_column_is_created_only_by_an_instance_admin() {
    let world = World::start().await;
    let store = &world.server.store;
    add(store, "ada", Role::Admin).await;
    let ada = Tab::of(&world, TENANT, "ada").await;

    let Answer {
        status,
        body: schema,
        text,
        ..
    } = ada.get("/api/v1/console/setup/schema").await;
    assert_eq!(status, 200, "{text}");
    let case = &schema["tables"][0];
    assert_eq!(
        (case["role"].as_str(), case["name"].as_str()),
        (Some("case"), Some("sn_customerservice_case"))
    );
    let recording = case["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "u_recording_url")
        .unwrap();
    assert_eq!(recording["kind"], "url");
    assert_eq!(schema["recording_column"], "u_recording_url");
    assert_eq!(schema["recording_column_exists"], true);
    let offered = schema["recording_columns"].as_array().unwrap();
    assert!(offered.contains(&json!("u_recording_url")), "{schema}");
    // A 40-character caller number column cannot hold a link; the call id's column is taken.
    assert!(!offered.contains(&json!("u_caller_number")), "{schema}");
    assert!(!offered.contains(&json!("correlation_id")), "{schema}");
    // The Case's title is Callbridge's to write: a link there would be overwritten.
    assert!(!offered.contains(&json!("short_description")), "{schema}");
    // The platform's own long text columns mean something else to those who write them.
    let platform_text = case["columns"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "description");
    assert!(
        platform_text,
        "the sandbox's Case has a description: {schema}"
    );
    assert!(!offered.contains(&json!("description")), "{schema}");
    assert!(!offered.contains(&json!("correlation_display")), "{schema}");
    let min = schema["recording_min_length"].as_u64().unwrap();
    assert_eq!(
        min as usize,
        format!("{}/recordings/", world.public_url).len() + 64
    );
    let lookups: Vec<&str> = schema["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["role"] == "lookup")
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(lookups, ["customer_contact", "csm_consumer"]);

    let new_column = |user: &str, password: &str| {
        json!({
            "name": "u_call_link",
            "label": "Call link",
            "type": "string_full_utf8",
            "admin_user": user,
            "admin_password": password,
        })
    };
    let path = "/api/v1/console/setup/recording-column";
    // An agent of the instance may not change its schema: the instance refuses, as a real one.
    let agent_password = world.sandbox.credentials.password("alice.agent").unwrap();
    let Answer {
        status,
        body: refused,
        ..
    } = ada
        .post(path, new_column("alice.agent", agent_password))
        .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (422, Some("crm_refused"))
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("needs the admin role"),
        "{refused}"
    );
    let Answer {
        status,
        body: wrong,
        ..
    } = ada
        .post(path, new_column("admin", "not-the-password"))
        .await;
    assert_eq!(
        (status, wrong["error"]["code"].as_str()),
        (422, Some("crm_refused"))
    );
    let Answer { status, body: bad, .. } = ada
        .post(
            path,
            json!({"name": "call_link", "label": "x", "type": "url", "admin_user": "a", "admin_password": "b"}),
        )
        .await;
    assert_eq!(
        (status, bad["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );

    let credentials = &world.sandbox.credentials;
    let Answer {
        status,
        body: created,
        ..
    } = ada
        .post(
            path,
            new_column(&credentials.admin_user, &credentials.admin_password),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["column"]["name"], "u_call_link");
    assert_eq!(created["column"]["kind"], "string_full_utf8");
    assert_eq!(created["column"]["max_length"], 1024);
    let Answer { body: schema, .. } = ada.get("/api/v1/console/setup/schema").await;
    assert!(
        schema["recording_columns"]
            .as_array()
            .unwrap()
            .contains(&json!("u_call_link")),
        "{schema}"
    );
    let Answer {
        status,
        body: again,
        ..
    } = ada
        .post(
            path,
            new_column(&credentials.admin_user, &credentials.admin_password),
        )
        .await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (409, Some("column_exists"))
    );

    let audit: Vec<(String, String, String)> = store
        .admin_audit(&AuditFilter::all(TENANT, 100))
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.target, e.outcome.as_str().to_string()))
        .collect();
    let row = |target: &str, outcome: &str| {
        (
            "setup.recording_column".to_string(),
            target.to_string(),
            outcome.to_string(),
        )
    };
    assert_eq!(
        audit,
        [
            row("crm:case.u_call_link", "refused"),
            row("crm:case.u_call_link", "done"),
            row("crm:case.call_link", "refused"),
            row("crm:case.u_call_link", "refused"),
            row("crm:case.u_call_link", "refused"),
        ]
    );
    let entries = store
        .admin_audit(&AuditFilter::all(TENANT, 100))
        .await
        .unwrap();
    for entry in &entries {
        assert!(
            !entry.detail.contains(&credentials.admin_password),
            "{}",
            entry.detail
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_reach_setup() {
    let world = World::start().await;
    let store = &world.server.store;
    add(store, "sam", Role::Supervisor).await;
    add(store, "alice", Role::Agent).await;
    let sam = Tab::of(&world, TENANT, "sam").await;
    let alice = Tab::of(&world, TENANT, "alice").await;
    for path in [
        "/api/v1/console/setup",
        "/api/v1/console/setup/steps/connection/checks",
        "/api/v1/console/setup/schema",
        "/api/v1/console/setup/schema/tables",
        "/api/v1/console/setup/schema/tables/customer_contact",
    ] {
        let Answer { status, body, .. } = sam.get(path).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("not_an_admin")),
            "{path}"
        );
        let Answer { status, body, .. } = alice.get(path).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("not_staff")),
            "{path}"
        );
        let anonymous = world
            .http
            .get(format!("{}{path}", world.public_url))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401, "{path}");
    }
    let credentials = &world.sandbox.credentials;
    let body = json!({
        "name": "u_by_agent", "label": "x", "type": "url",
        "admin_user": credentials.admin_user, "admin_password": credentials.admin_password,
    });
    let Answer {
        status,
        body: refused,
        ..
    } = alice
        .post("/api/v1/console/setup/recording-column", body.clone())
        .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (403, Some("not_staff"))
    );
    let Answer { status, .. } = sam
        .post("/api/v1/console/setup/recording-column", body)
        .await;
    assert_eq!(status, 403);
    // Nothing was created on the instance.
    let found = world
        .admin()
        .get("sys_dictionary", &[("sysparm_query", "element=u_by_agent")])
        .await;
    assert_eq!(found["result"], json!([]), "{found}");
}

// Issue 11: the tables step offers the instance's caller tables, a custom one included, and
// describes the one an admin picks before anything is saved; a wrong name is refused at the
// field, an unknown table says so, and another tenant's admin reads only their own tenant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_lists_the_instances_caller_tables_and_describes_a_custom_one() {
    let world = World::start().await;
    add(&world.server.store, "ada", Role::Admin).await;
    let ada = Tab::of(&world, TENANT, "ada").await;
    let instance = world.admin();
    let contact = instance
        .get(
            "sys_db_object",
            &[("sysparm_query", "name=customer_contact")],
        )
        .await["result"][0]["sys_id"]
        .as_str()
        .unwrap()
        .to_string();
    instance
        .post(
            "/api/now/table/sys_db_object",
            json!({"name": "u_vip_customer", "label": "VIP customer", "super_class": contact}),
        )
        .await;
    instance
        .post(
            "/api/now/table/sys_dictionary",
            json!({"name": "u_vip_customer", "element": "u_direct_line", "internal_type": "ph_number",
                   "max_length": "40", "column_label": "Direct line"}),
        )
        .await;

    let Answer {
        status,
        body: listed,
        text,
        ..
    } = ada.get("/api/v1/console/setup/schema/tables").await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(listed["limit"], 500);
    assert_eq!(listed["truncated"], false);
    let vip = listed["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "u_vip_customer")
        .unwrap_or_else(|| panic!("no u_vip_customer in {listed}"));
    assert_eq!(vip["label"], "VIP customer");
    assert_eq!(vip["extends"], json!(["customer_contact", "sys_user"]));
    assert_eq!(vip["kind"], "contact");
    let phones = vip["phone_columns"].as_array().unwrap();
    assert!(phones.contains(&json!("u_direct_line")), "{vip}");
    assert!(phones.contains(&json!("mobile_phone")), "{vip}");

    let Answer {
        status,
        body: described,
        text,
        ..
    } = ada
        .get("/api/v1/console/setup/schema/tables/u_vip_customer")
        .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        (described["role"].as_str(), described["label"].as_str()),
        (Some("lookup"), Some("VIP customer"))
    );
    let column = |name: &str| {
        described["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {described}"))
            .clone()
    };
    assert_eq!(column("u_direct_line")["kind"], "ph_number");
    assert_eq!(column("u_direct_line")["label"], "Direct line");
    assert_eq!(column("account")["reference"], "customer_account");
    assert_eq!(column("name")["kind"], "string");

    // Not a table name: refused at the field, with what a name looks like.
    let bad = ada
        .get("/api/v1/console/setup/schema/tables/VIP%20customers")
        .await;
    assert_eq!(
        (bad.status, bad.code()),
        (400, "invalid_table"),
        "{}",
        bad.text
    );
    assert_eq!(bad.body["error"]["fields"][0]["key"], "table");
    assert!(
        bad.body["error"]["fields"][0]["fix"]
            .as_str()
            .unwrap()
            .contains("System Definition > Tables"),
        "{}",
        bad.text
    );
    // No such table on the instance: a 404 that says where to look.
    let unknown = ada
        .get("/api/v1/console/setup/schema/tables/u_no_such_table")
        .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (404, "no_such_table"),
        "{}",
        unknown.text
    );
    assert!(unknown.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("u_no_such_table"));

    // Another tenant's admin reads their own tenant's instance (here one that does not
    // answer), never this one's.
    world
        .server
        .directory
        .create(
            &callbridge_core::TenantId::new("globex"),
            "[[tenant]]\nid = \"globex\"\nname = \"Globex\"\n\n[tenant.crm]\nkind = \"servicenow\"\n\
             instance_url = \"https://127.0.0.1:9\"\nclient_id = \"globex\"\n\
             client_secret = { store = \"crm.client_secret\" }\n",
            vec![(
                "crm.client_secret".into(),
                callbridge_config::Secret::new("globex-secret".to_string()),
            )],
            "test",
        )
        .await
        .unwrap();
    add_account(&world.server.store, "globex", "gus", Role::Admin).await;
    let gus = Tab::of(&world, "globex", "gus").await;
    instance.reset_requests().await;
    for path in [
        "/api/v1/console/setup/schema/tables",
        "/api/v1/console/setup/schema/tables/u_vip_customer",
    ] {
        let other = gus.get(path).await;
        assert_eq!(
            (other.status, other.code()),
            (502, "crm_unavailable"),
            "{path}: {}",
            other.text
        );
    }
    let requests = instance.requests().await;
    assert!(
        requests
            .as_object()
            .unwrap()
            .keys()
            .all(|k| k.contains("x_cb_sandbox")),
        "another tenant's admin reached this tenant's instance: {requests}"
    );
    world.stop().await;
}

// The CRM's refusal says what to grant: a service account without personalize_dictionary
// (the sandbox's carol.norole, signing in by the password grant) reads no table definition.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_that_may_not_read_the_dictionary_is_told_which_role_to_grant() {
    let world = World::start().await;
    let credentials = &world.sandbox.credentials;
    let text = format!(
        "[[tenant]]\nid = \"initech\"\nname = \"Initech\"\n\n[tenant.crm]\nkind = \"servicenow\"\n\
         instance_url = \"{}\"\nca_file = \"ca.pem\"\nclient_id = \"{}\"\n\
         client_secret = {{ store = \"crm.client_secret\" }}\nservice_grant = \"password\"\n\
         service_user = \"carol.norole\"\nservice_password = {{ store = \"crm.service_password\" }}\n",
        world.sandbox.base_url, credentials.client_id
    );
    world
        .server
        .directory
        .create(
            &callbridge_core::TenantId::new("initech"),
            &text,
            vec![
                (
                    "crm.client_secret".into(),
                    callbridge_config::Secret::new(credentials.client_secret.clone()),
                ),
                (
                    "crm.service_password".into(),
                    callbridge_config::Secret::new(
                        credentials.password("carol.norole").unwrap().to_string(),
                    ),
                ),
            ],
            "test",
        )
        .await
        .unwrap();
    add_account(&world.server.store, "initech", "ian", Role::Admin).await;
    let ian = Tab::of(&world, "initech", "ian").await;
    let refused = ian
        .get("/api/v1/console/setup/schema/tables/customer_contact")
        .await;
    assert_eq!(
        (refused.status, refused.code()),
        (422, "crm_refused"),
        "{}",
        refused.text
    );
    let message = refused.body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("this account needs the personalize_dictionary role")
            && message.contains("give the service account the personalize_dictionary role"),
        "{message}"
    );
    let listed = ian.get("/api/v1/console/setup/schema/tables").await;
    assert_eq!(
        (listed.status, listed.code()),
        (502, "crm_unavailable"),
        "{}",
        listed.text
    );
    assert!(
        listed.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("give the service account the personalize_dictionary role"),
        "{}",
        listed.text
    );
    world.stop().await;
}

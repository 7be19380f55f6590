//! The console's API (`docs/console-api.md`) as a script or the console page uses it: real HTTP
//! against a real server on loopback. Roles, tenant isolation, CRM link revocation and the
//! outbox run against the ServiceNow sandbox; a second, two-tenant server with the in-memory
//! CRM checks that one tenant's session sees nothing of the other's.

mod support;

use std::sync::Arc;
use std::time::Duration;

use callbridge_config::Config;
use callbridge_crm::Crm;
use callbridge_integration::runtime::OutboxOptions;
use callbridge_store::{AuditFilter, OutboxItem, Role, SecretKey, Store};
use callbridge_testkit::MemoryCrm;
use reqwest::Method;
use serde_json::{json, Value};
use support::console::{add_account as add, Tab, PASSWORD};
use support::{World, TENANT};

/// The tenant's admin audit, newest first, as (actor, action, target, outcome).
async fn admin_audit(store: &Store, tenant: &str) -> Vec<(String, String, String, String)> {
    store
        .admin_audit(&AuditFilter::all(tenant, 1000))
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action, e.target, e.outcome.as_str().to_string()))
        .collect()
}

fn row(actor: &str, action: &str, target: &str, outcome: &str) -> (String, String, String, String) {
    (actor.into(), action.into(), target.into(), outcome.into())
}

#[tokio::test]
async fn a_supervisor_and_an_agent_are_refused_the_admin_routes_and_the_refusal_is_audited() {
    let world = World::start().await;
    let store = &world.server.store;
    add(store, TENANT, "ada", Role::Admin).await;
    add(store, TENANT, "sam", Role::Supervisor).await;
    add(store, TENANT, "alice", Role::Agent).await;
    let (ada, sam, alice) = (
        Tab::of(&world, TENANT, "ada").await,
        Tab::of(&world, TENANT, "sam").await,
        Tab::of(&world, TENANT, "alice").await,
    );

    let routes = [
        "/api/v1/console/accounts",
        "/api/v1/console/outbox",
        "/api/v1/console/audit/listen",
        "/api/v1/console/audit/admin",
    ];
    for path in routes {
        assert_eq!(ada.get(path).await.status, 200, "{path}");
        let refused = sam.get(path).await;
        assert_eq!(
            (refused.status, refused.code()),
            (403, "not_an_admin"),
            "{path}"
        );
        assert!(
            refused.message().contains("supervisor account"),
            "{}",
            refused.message()
        );
        let refused = alice.get(path).await;
        assert_eq!(
            (refused.status, refused.code()),
            (403, "not_staff"),
            "{path}"
        );
        let anonymous = world
            .http
            .get(format!("{}{path}", world.public_url))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401, "{path}");
        let body: Value = anonymous.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_signed_in");
    }

    let attempt = sam
        .change(
            Method::POST,
            "/api/v1/console/accounts",
            json!({"user": "eve", "role": "admin"}),
        )
        .await;
    assert_eq!((attempt.status, attempt.code()), (403, "not_an_admin"));
    assert!(store.account(TENANT, "eve").await.unwrap().is_none());
    let revoke = alice
        .change(
            Method::DELETE,
            "/api/v1/console/accounts/bob/crm-link",
            json!({}),
        )
        .await;
    assert_eq!(revoke.code(), "not_staff");
    assert_eq!(
        admin_audit(store, TENANT).await,
        [
            row("alice", "crm_link.revoke", "bob", "refused"),
            row("sam", "account.create", "-", "refused"),
        ]
    );
    let entries = store
        .admin_audit(&AuditFilter::all(TENANT, 10))
        .await
        .unwrap();
    assert_eq!(entries[1].source, "127.0.0.1");
    assert!(
        entries[1].detail.starts_with("not_an_admin: "),
        "{}",
        entries[1].detail
    );
}

#[tokio::test]
async fn changing_requests_need_an_allowed_origin_and_the_sessions_csrf_token() {
    let world = World::start().await;
    let store = &world.server.store;
    add(store, TENANT, "ada", Role::Admin).await;
    let ada = Tab::of(&world, TENANT, "ada").await;
    let body = json!({"user": "dan", "role": "agent"}).to_string();
    let path = "/api/v1/console/accounts";

    let forged = ada
        .change_with(
            Method::POST,
            path,
            Some(&ada.csrf),
            Some("https://evil.example"),
            body.clone(),
        )
        .await;
    assert_eq!((forged.status, forged.code()), (403, "bad_origin"));
    let no_token = ada
        .change_with(
            Method::POST,
            path,
            None,
            Some(&world.public_url),
            body.clone(),
        )
        .await;
    assert_eq!((no_token.status, no_token.code()), (403, "bad_csrf_token"));
    let other_token = ada
        .change_with(Method::POST, path, Some("AAAA"), None, body.clone())
        .await;
    assert_eq!(other_token.code(), "bad_csrf_token");
    assert!(store.account(TENANT, "dan").await.unwrap().is_none());

    // A script without a browser sends no Origin: the session and its token suffice.
    let scripted = ada
        .change_with(Method::POST, path, Some(&ada.csrf), None, body)
        .await;
    assert_eq!(scripted.status, 201, "{}", scripted.text);
    let audit = admin_audit(store, TENANT).await;
    assert_eq!(
        audit,
        [
            row("ada", "account.create", "dan", "done"),
            row("ada", "account.create", "-", "refused"),
            row("ada", "account.create", "-", "refused"),
            row("ada", "account.create", "-", "refused"),
        ]
    );
}

#[tokio::test]
async fn an_admin_creates_an_account_resets_its_password_changes_its_role_and_disables_it() {
    let world = World::start().await;
    let store = &world.server.store;
    add(store, TENANT, "ada", Role::Admin).await;
    let ada = Tab::of(&world, TENANT, "ada").await;

    let created = ada
        .change(
            Method::POST,
            "/api/v1/console/accounts",
            json!({"user": "dan", "role": "agent", "display_name": "Dan Ito"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["account"]["user"], "dan");
    assert_eq!(created.body["account"]["display_name"], "Dan Ito");
    assert_eq!(created.body["account"]["role"], "agent");
    assert_eq!(created.body["account"]["crm_link"]["state"], "not_linked");
    let first = created.body["one_time_password"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(first.len(), 20);
    let dan = Tab::at(&world, TENANT, "dan", &first)
        .await
        .expect("the one-time password signs in");

    let again = ada
        .change(
            Method::POST,
            "/api/v1/console/accounts",
            json!({"user": "dan", "role": "admin"}),
        )
        .await;
    assert_eq!((again.status, again.code()), (409, "account_exists"));

    let reset = ada
        .change(
            Method::POST,
            "/api/v1/console/accounts/dan/password",
            json!({}),
        )
        .await;
    assert_eq!(reset.status, 200, "{}", reset.text);
    let second = reset.body["one_time_password"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(first, second);
    assert_eq!(
        dan.get("/api/v1/session").await.status,
        401,
        "the reset ended dan's session"
    );
    assert!(Tab::at(&world, TENANT, "dan", &first).await.is_err());
    let dan = Tab::at(&world, TENANT, "dan", &second)
        .await
        .expect("the new password signs in");

    let promoted = ada
        .change(
            Method::PATCH,
            "/api/v1/console/accounts/dan",
            json!({"role": "supervisor"}),
        )
        .await;
    assert_eq!(promoted.status, 200, "{}", promoted.text);
    assert_eq!(promoted.body["account"]["role"], "supervisor");
    assert_eq!(
        promoted.body["account"]["crm_link"],
        Value::Null,
        "only agents link"
    );
    assert_eq!(
        dan.get("/api/v1/session").await.status,
        401,
        "a new role signs in again"
    );

    let disabled = ada
        .change(
            Method::PATCH,
            "/api/v1/console/accounts/dan",
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(disabled.body["account"]["disabled"], true);
    assert!(Tab::at(&world, TENANT, "dan", &second).await.is_err());
    let listed = ada.get("/api/v1/console/accounts").await;
    let users: Vec<(&str, bool)> = listed.body["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["user"].as_str().unwrap(),
                a["disabled"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(users, [("ada", false), ("dan", true)]);
    assert_eq!(listed.body["crm_links"], true);
    let enabled = ada
        .change(
            Method::PATCH,
            "/api/v1/console/accounts/dan",
            json!({"disabled": false}),
        )
        .await;
    assert_eq!(enabled.body["account"]["disabled"], false);

    let own = ada
        .change(
            Method::PATCH,
            "/api/v1/console/accounts/ada",
            json!({"disabled": true}),
        )
        .await;
    assert_eq!((own.status, own.code()), (409, "own_account"));
    let missing = ada
        .change(
            Method::POST,
            "/api/v1/console/accounts/nobody/password",
            json!({}),
        )
        .await;
    assert_eq!((missing.status, missing.code()), (404, "no_such_account"));

    let audit = admin_audit(store, TENANT).await;
    assert_eq!(
        audit,
        [
            row("ada", "account.reset_password", "nobody", "refused"),
            row("ada", "account.disable", "ada", "refused"),
            row("ada", "account.enable", "dan", "done"),
            row("ada", "account.disable", "dan", "done"),
            row("ada", "account.role", "dan", "done"),
            row("ada", "account.reset_password", "dan", "done"),
            row("ada", "account.create", "dan", "refused"),
            row("ada", "account.create", "dan", "done"),
        ]
    );
    // No password is ever written to the audit.
    for entry in store
        .admin_audit(&AuditFilter::all(TENANT, 100))
        .await
        .unwrap()
    {
        assert!(!entry.detail.contains(&first) && !entry.detail.contains(&second));
    }
    let role_row = ada
        .get("/api/v1/console/audit/admin?user=dan&outcome=allowed")
        .await;
    let actions: Vec<&str> = role_row.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "account.enable",
            "account.disable",
            "account.role",
            "account.reset_password",
            "account.create"
        ]
    );
    assert_eq!(
        role_row.body["entries"][2]["detail"],
        "role agent → supervisor; the account's sessions ended"
    );

    let csv = ada
        .get("/api/v1/console/audit/admin?format=csv&outcome=refused")
        .await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    assert!(csv.headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"admin-audit-demo-"));
    let lines: Vec<&str> = csv.text.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "at,actor,action,target,call_id,source,outcome,detail"
    );
    assert_eq!(
        lines.len(),
        2 + 3,
        "header, three refusals, the final line end"
    );
    assert!(
        lines[1].contains(",ada,account.reset_password,nobody,,127.0.0.1,refused,"),
        "{}",
        lines[1]
    );
}

#[tokio::test]
async fn bad_input_is_answered_400_with_what_to_fix_and_changes_nothing() {
    let world = World::start().await;
    let store = &world.server.store;
    add(store, TENANT, "ada", Role::Admin).await;
    let ada = Tab::of(&world, TENANT, "ada").await;
    let create = |body: &'static str| {
        ada.change_with(
            Method::POST,
            "/api/v1/console/accounts",
            Some(&ada.csrf),
            Some(&world.public_url),
            body.to_string(),
        )
    };
    for (body, says) in [
        ("not json", "the body is not JSON"),
        ("[1]", "must be a JSON object"),
        (r#"{"role": "agent"}"#, "\"user\" is missing"),
        (r#"{"user": "dan"}"#, "\"role\" is missing"),
        (
            r#"{"user": "dan", "role": "owner"}"#,
            "it must be agent, supervisor or admin",
        ),
        (
            r#"{"user": "dan smith", "role": "agent"}"#,
            "is not a user name",
        ),
        (
            r#"{"user": "dan", "role": "agent", "password": "x"}"#,
            "unknown field \"password\"",
        ),
    ] {
        let answer = create(body).await;
        assert_eq!(
            (answer.status, answer.code()),
            (400, "bad_request"),
            "{body}"
        );
        assert!(
            answer.message().contains(says),
            "{body}: {}",
            answer.message()
        );
    }
    assert_eq!(store.accounts(Some(TENANT)).await.unwrap().len(), 1);
    let nothing = ada
        .change(Method::PATCH, "/api/v1/console/accounts/ada", json!({}))
        .await;
    assert!(
        nothing.message().contains("nothing to change"),
        "{}",
        nothing.message()
    );
    let bad_id = ada
        .change(Method::POST, "/api/v1/console/outbox/abc/replay", json!({}))
        .await;
    assert_eq!((bad_id.status, bad_id.code()), (400, "bad_request"));
    for (query, says) in [
        ("from=last+week", "RFC 3339"),
        ("outcome=maybe", "outcome=allowed or outcome=refused"),
        ("limit=5000", "over 1000"),
        ("tenant=other", "unknown parameter"),
    ] {
        let answer = ada
            .get(&format!("/api/v1/console/audit/listen?{query}"))
            .await;
        assert_eq!(
            (answer.status, answer.code()),
            (400, "bad_request"),
            "{query}"
        );
        assert!(
            answer.message().contains(says),
            "{query}: {}",
            answer.message()
        );
    }
    // Each refused change is in the audit too.
    let audit = admin_audit(store, TENANT).await;
    assert_eq!(audit.len(), 9);
    assert!(audit.iter().all(|(_, _, _, outcome)| outcome == "refused"));
}

#[tokio::test]
async fn revoking_an_agents_crm_link_from_the_console_unlinks_them_as_disconnect_does() {
    let world = World::start().await;
    let store = &world.server.store;
    add(store, TENANT, "ada", Role::Admin).await;
    add(store, TENANT, "alice", Role::Agent).await;
    add(store, TENANT, "bob", Role::Agent).await;
    world.link("alice", "alice.agent").await;
    let ada = Tab::of(&world, TENANT, "ada").await;
    let listed = ada.get("/api/v1/console/accounts").await;
    let link_of = |body: &Value, user: &str| {
        body["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["user"] == user)
            .unwrap()["crm_link"]
            .clone()
    };
    let alice = link_of(&listed.body, "alice");
    assert_eq!(alice["state"], "linked");
    assert_eq!(alice["crm_user"], "alice.agent");
    assert!(alice["linked_at"].is_string());
    assert_eq!(alice["refused_at"], Value::Null);
    assert_eq!(link_of(&listed.body, "bob")["state"], "not_linked");
    assert_eq!(link_of(&listed.body, "ada"), Value::Null);

    let revoked = ada
        .change(
            Method::DELETE,
            "/api/v1/console/accounts/alice/crm-link",
            json!({}),
        )
        .await;
    assert_eq!(revoked.status, 204, "{}", revoked.text);
    assert!(store.link(TENANT, "alice").await.unwrap().is_none());
    let after = ada.get("/api/v1/console/accounts").await;
    assert_eq!(link_of(&after.body, "alice")["state"], "not_linked");
    let not_agent = ada
        .change(
            Method::DELETE,
            "/api/v1/console/accounts/ada/crm-link",
            json!({}),
        )
        .await;
    assert_eq!((not_agent.status, not_agent.code()), (409, "not_an_agent"));
    let entries = store
        .admin_audit(&AuditFilter::all(TENANT, 10))
        .await
        .unwrap();
    assert_eq!(entries[1].action, "crm_link.revoke");
    assert_eq!(entries[1].target, "alice");
    assert_eq!(
        entries[1].detail,
        "revoked the CRM tokens at the CRM and deleted them"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_lettered_case_replayed_from_the_console_appears_once_in_the_crm() {
    let world = World::start().await;
    let store = &world.server.store;
    add(store, TENANT, "ada", Role::Admin).await;
    world.link("alice", "alice.agent").await;
    let ada = Tab::of(&world, TENANT, "ada").await;
    let admin = world.admin();
    // The CRM refuses the Case once: a refusal is not retried, it is dead-lettered at once.
    admin
        .fault(json!({"kind": "status", "status": 403, "count": 1,
                      "path_prefix": "/api/now/v2/table/sn_customerservice_case"}))
        .await;
    let call = format!("call-console-{}", support::rand_suffix());
    world
        .call(
            &call,
            &[
                json!({"type": "offered", "agent": "alice", "caller": "+18582877834"}),
                json!({"type": "answered", "agent": "alice"}),
                json!({"type": "connected", "agent": "alice"}),
            ],
        )
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let dead = loop {
        let listed = ada.get("/api/v1/console/outbox").await;
        let items = listed.body["items"].as_array().cloned().unwrap_or_default();
        if let Some(item) = items.iter().find(|i| i["status"] == "dead") {
            break item.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no dead letter: {}",
            listed.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(dead["kind"], "create_case");
    assert_eq!(dead["call_id"], call.as_str());
    assert!(
        dead["dead_reason"].as_str().unwrap().contains("403"),
        "the CRM's answer is shown: {dead}"
    );
    assert!(world.cases(&call).await.is_empty());
    let id = dead["id"].as_i64().unwrap();

    // Discarding needs a dead letter; replaying one twice is refused the second time.
    let replayed = ada
        .change(
            Method::POST,
            &format!("/api/v1/console/outbox/{id}/replay"),
            json!({}),
        )
        .await;
    assert_eq!(replayed.status, 200, "{}", replayed.text);
    assert_eq!(replayed.body["item"]["status"], "pending");
    let case = world.one_case(&call, Duration::from_secs(15)).await;
    assert_eq!(case["correlation_id"], call.as_str());
    let twice = ada
        .change(
            Method::POST,
            &format!("/api/v1/console/outbox/{id}/replay"),
            json!({}),
        )
        .await;
    assert_eq!((twice.status, twice.code()), (409, "not_a_dead_letter"));
    let discard = ada
        .change(
            Method::POST,
            &format!("/api/v1/console/outbox/{id}/discard"),
            json!({}),
        )
        .await;
    assert_eq!(discard.code(), "not_a_dead_letter");
    assert_eq!(world.cases(&call).await.len(), 1);
    let audit = store
        .admin_audit(&AuditFilter {
            call: Some(call.clone()),
            ..AuditFilter::all(TENANT, 10)
        })
        .await
        .unwrap();
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .map(|e| (e.action.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("outbox.discard", "refused"),
            ("outbox.replay", "refused"),
            ("outbox.replay", "done")
        ]
    );
    assert_eq!(audit[2].target, format!("outbox:{id}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_case_whose_earlier_attempt_reached_the_crm_is_found_not_created_again() {
    let world = World::start().await;
    let store = &world.server.store;
    add(store, TENANT, "ada", Role::Admin).await;
    world.link("alice", "alice.agent").await;
    let ada = Tab::of(&world, TENANT, "ada").await;
    world
        .admin()
        .fault(json!({"kind": "status", "status": 403, "count": 1,
                      "path_prefix": "/api/now/v2/table/sn_customerservice_case"}))
        .await;
    let call = format!("call-lost-{}", support::rand_suffix());
    world
        .call(
            &call,
            &[
                json!({"type": "offered", "agent": "alice", "caller": "+18582877834"}),
                json!({"type": "answered", "agent": "alice"}),
                json!({"type": "connected", "agent": "alice"}),
            ],
        )
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let id = loop {
        let dead = store.dead_letters(TENANT).await.unwrap();
        if let Some(d) = dead.first() {
            break d.id.0;
        }
        assert!(tokio::time::Instant::now() < deadline, "no dead letter");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // As if the refused attempt had in fact written the Case (its answer lost on the way).
    world
        .admin()
        .post(
            "/api/now/table/sn_customerservice_case",
            json!({"short_description": "written before the replay", "correlation_id": call}),
        )
        .await;
    assert_eq!(world.cases(&call).await.len(), 1);
    let replayed = ada
        .change(
            Method::POST,
            &format!("/api/v1/console/outbox/{id}/replay"),
            json!({}),
        )
        .await;
    assert_eq!(replayed.status, 200, "{}", replayed.text);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let item = store
            .outbox_item(callbridge_store::OutboxId(id))
            .await
            .unwrap()
            .unwrap();
        if item.status == callbridge_store::OutboxStatus::Done {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the replay did not finish: {item:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        world.cases(&call).await.len(),
        1,
        "found, not created again"
    );
}

/// A server with two tenants on the in-memory CRM.
struct TwoTenants {
    server: callbridge_web::RunningServer,
    http: reqwest::Client,
    url: String,
    _dir: tempfile::TempDir,
}

async fn two_tenants() -> TwoTenants {
    let dir = tempfile::tempdir().unwrap();
    let key = SecretKey::generate().to_base64();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let tenant = |id: &str| {
        format!(
            r#"
[[tenant]]
id = "{id}"
default_region = "US"

[tenant.servicenow]
instance_url = "https://{id}.example.com"
client_id = "unused"
client_secret = "unused"
"#
        )
    };
    let toml = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"{url}\"\ndatabase_url = \"sqlite://{db}\"\nmaster_key = \"{key}\"\n{}{}",
        tenant("acme"),
        tenant("globex"),
        db = dir.path().join("callbridge.db").display(),
    );
    let config = Config::parse("test.toml", &toml, dir.path(), &|_| None).unwrap();
    let crm: Arc<dyn Crm> = Arc::new(MemoryCrm::new());
    let server = callbridge_web::start_with(
        &config,
        OutboxOptions::default(),
        Box::new(move |_, _| Ok(crm.clone())),
    )
    .await
    .unwrap();
    TwoTenants {
        server,
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
        url,
        _dir: dir,
    }
}

#[tokio::test]
async fn a_session_of_one_tenant_sees_and_changes_nothing_of_another() {
    let center = two_tenants().await;
    let store = &center.server.store;
    add(store, "acme", "ada", Role::Admin).await;
    add(store, "acme", "alice", Role::Agent).await;
    add(store, "globex", "gus", Role::Admin).await;
    add(store, "globex", "gina", Role::Agent).await;
    let globex_item = store
        .enqueue(OutboxItem::new(
            "globex",
            "create_case",
            "g-call",
            json!({"v": 1}),
        ))
        .await
        .unwrap()
        .id;
    store
        .claim_due(time::OffsetDateTime::now_utc(), 10, Duration::from_secs(60))
        .await
        .unwrap();
    store.dead_letter(globex_item, "refused").await.unwrap();
    let ada = Tab::sign_in(
        &center.http,
        &center.url,
        &center.url,
        "acme",
        "ada",
        PASSWORD,
    )
    .await
    .unwrap();
    let gus = Tab::sign_in(
        &center.http,
        &center.url,
        &center.url,
        "globex",
        "gus",
        PASSWORD,
    )
    .await
    .unwrap();
    gus.change(
        Method::PATCH,
        "/api/v1/console/accounts/gina",
        json!({"role": "supervisor"}),
    )
    .await;

    let users: Vec<String> = ada.get("/api/v1/console/accounts").await.body["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["user"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(users, ["ada", "alice"]);
    assert_eq!(
        ada.get("/api/v1/console/outbox").await.body["items"],
        json!([])
    );
    assert_eq!(
        gus.get("/api/v1/console/outbox").await.body["items"][0]["id"],
        globex_item.0
    );
    assert_eq!(
        ada.get("/api/v1/console/audit/admin").await.body["entries"],
        json!([])
    );

    // Another tenant's account or item is "no such", exactly like one that does not exist.
    for (method, path, body) in [
        (
            Method::PATCH,
            "/api/v1/console/accounts/gina".to_string(),
            json!({"disabled": true}),
        ),
        (
            Method::POST,
            "/api/v1/console/accounts/gina/password".to_string(),
            json!({}),
        ),
        (
            Method::DELETE,
            "/api/v1/console/accounts/gina/crm-link".to_string(),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/console/outbox/{}/replay", globex_item.0),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/console/outbox/{}/discard", globex_item.0),
            json!({}),
        ),
    ] {
        let answer = ada.change(method, &path, body).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.text);
        assert!(
            ["no_such_account", "no_such_item"].contains(&answer.code()),
            "{path}"
        );
    }
    let gina = store.account("globex", "gina").await.unwrap().unwrap();
    assert!(!gina.disabled);
    assert_eq!(gina.role, Role::Supervisor);
    assert_eq!(store.dead_letters("globex").await.unwrap().len(), 1);
    // An account of the same name in the other tenant is that tenant's own.
    let created = ada
        .change(
            Method::POST,
            "/api/v1/console/accounts",
            json!({"user": "gina", "role": "agent"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        admin_audit(store, "globex").await,
        [row("gus", "account.role", "gina", "done")]
    );
    assert_eq!(admin_audit(store, "acme").await.len(), 6);
    center.server.shutdown().await;
}

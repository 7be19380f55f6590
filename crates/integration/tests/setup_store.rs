//! The console's Setup for a tenant kept in the store (`docs/console-api.md`, "Setup", `PUT
//! /api/v1/console/setup/steps/{step}`) over real HTTP against the ServiceNow sandbox: shown as
//! editable with its version, a wrong value refused at its key with the fix, a new client
//! secret saved write-only, used at once and checked again live, a stale version a conflict, a
//! file tenant read-only, the lookup tables and the service grant (its password write-only)
//! saved and used, and every save audited as `setup.save` without a secret. Signs in with the
//! console tests' shared client (`support::console`).

mod support;

use callbridge_config::Secret;
use callbridge_core::TenantId;
use callbridge_store::{AuditFilter, Role};
use serde_json::{json, Value};
use support::console::{add_account, Answer, Tab};
use support::{World, TENANT};

const GLOBEX: &str = "globex";

/// An admin of `tenant`, made and signed in.
async fn admin(world: &World, tenant: &str, user: &str) -> Tab {
    add_account(&world.server.store, tenant, user, Role::Admin).await;
    Tab::of(world, tenant, user).await
}

fn grant(checks: &Value) -> &str {
    checks["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "oauth.service_grant")
        .unwrap_or_else(|| panic!("no oauth.service_grant in {checks}"))["status"]
        .as_str()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_store_tenants_steps_are_saved_used_at_once_and_checked_again() {
    let world = World::start().await;
    let text = format!(
        "[[tenant]]\nid = \"globex\"\nname = \"Globex\"\n\n[tenant.crm]\nkind = \"servicenow\"\n\
         instance_url = \"{}\"\nca_file = \"ca.pem\"\nclient_id = \"{}\"\n\
         client_secret = {{ store = \"crm.client_secret\" }}\n",
        world.sandbox.base_url, world.sandbox.credentials.client_id
    );
    world
        .server
        .directory
        .create(
            &TenantId::new(GLOBEX),
            &text,
            vec![(
                "crm.client_secret".into(),
                Secret::new(world.sandbox.credentials.client_secret.clone()),
            )],
            "test",
        )
        .await
        .unwrap();
    let ada = admin(&world, GLOBEX, "ada").await;

    let Answer {
        status,
        body: overview,
        ..
    } = ada.get("/api/v1/console/setup").await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(overview["provisioned"], "store");
    assert_eq!(overview["editable"], true);
    assert_eq!(overview["version"], 1);
    assert_eq!(overview["file"], Value::Null);

    let path = "/api/v1/console/setup/steps/connection";
    let instance = world.sandbox.base_url.as_str();
    let client_id = world.sandbox.credentials.client_id.as_str();

    // A wrong value: refused at its key with the fix; nothing saved.
    let Answer {
        status,
        body: refused,
        ..
    } = ada
        .put(
            path,
            json!({"version": 1, "instance_url": "ftp://globex", "client_id": client_id}),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["code"], "invalid_settings");
    let field = &refused["error"]["fields"][0];
    assert_eq!(field["key"], "crm.instance_url", "{refused}");
    assert!(
        field["fix"].as_str().unwrap().contains("https"),
        "{refused}"
    );

    // A wrong client secret, saved: used at once, and the checks run again say so.
    let Answer { status, body: saved, text, .. } = ada
        .put(
            path,
            json!({"version": 1, "instance_url": instance, "client_id": client_id, "client_secret": "not-the-secret"}),
        )
        .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        (saved["version"].as_i64(), saved["applied"].as_bool()),
        (Some(2), Some(true))
    );
    assert_eq!(grant(&saved["checks"]), "fail", "{saved}");
    assert!(!text.contains("not-the-secret"));
    // The right one, without touching the rest: the next check passes.
    let Answer {
        status,
        body: saved,
        ..
    } = ada
        .put(
            path,
            json!({"version": 2, "instance_url": instance, "client_id": client_id,
                   "client_secret": world.sandbox.credentials.client_secret}),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(grant(&saved["checks"]), "pass", "{saved}");
    // Without a secret, the one kept stays.
    let Answer {
        status,
        body: saved,
        ..
    } = ada
        .put(
            path,
            json!({"version": 3, "instance_url": instance, "client_id": client_id}),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(grant(&saved["checks"]), "pass", "{saved}");

    // A stale version is a conflict.
    let Answer {
        status,
        body: stale,
        ..
    } = ada
        .put(
            path,
            json!({"version": 2, "instance_url": instance, "client_id": client_id}),
        )
        .await;
    assert_eq!(
        (status, stale["error"]["code"].as_str()),
        (409, Some("version_conflict"))
    );

    // The tables step: the Case columns.
    let Answer { status, body: saved, text, .. } = ada
        .put(
            "/api/v1/console/setup/steps/tables",
            json!({"version": 4, "case": {"recording_url_column": "u_recording_url", "caller_number_column": "u_caller_number"}}),
        )
        .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(saved["version"], 5);
    let Answer { body: overview, .. } = ada.get("/api/v1/console/setup").await;
    let caller = overview["tables"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["key"] == "case.caller_number_column")
        .unwrap()
        .clone();
    assert_eq!(caller["value"], "u_caller_number");
    let Answer {
        status,
        body: roles,
        ..
    } = ada
        .put("/api/v1/console/setup/steps/roles", json!({"version": 5}))
        .await;
    assert_eq!(
        (status, roles["error"]["code"].as_str()),
        (404, Some("not_editable"))
    );

    // The lookup tables: which customer tables and phone columns are searched, in this order.
    let Answer { status, body: saved, text, .. } = ada
        .put(
            "/api/v1/console/setup/steps/tables",
            json!({"version": 5, "lookup_tables": [
                {"table": "csm_consumer", "kind": "consumer", "phone_columns": ["mobile_phone"]},
                {"table": "customer_contact", "kind": "contact", "phone_columns": ["phone", "mobile_phone"], "account_column": "account"}]}),
        )
        .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(saved["version"], 6);
    let Answer { body: overview, .. } = ada.get("/api/v1/console/setup").await;
    let value = |key: &str| {
        overview["tables"]["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["key"] == key)
            .unwrap_or_else(|| panic!("no {key} in {overview}"))["value"]
            .clone()
    };
    assert_eq!(value("lookup.tables[0].table"), "csm_consumer");
    assert_eq!(value("lookup.tables[0].phone_columns"), "mobile_phone");
    assert_eq!(
        value("lookup.tables[1].phone_columns"),
        "phone, mobile_phone"
    );
    // A lookup table without a phone column: refused at its key, nothing saved.
    let Answer { status, body: refused, .. } = ada
        .put(
            "/api/v1/console/setup/steps/tables",
            json!({"version": 6, "lookup_tables": [{"table": "customer_contact", "kind": "contact", "phone_columns": []}]}),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(
        refused["error"]["fields"][0]["key"],
        "crm.lookup.tables[0].phone_columns"
    );

    // The service grant: a password grant with its user and a write-only password, used at
    // once (a wrong password fails the live check), then back to the client's own grant.
    let Answer {
        status,
        body: saved,
        text,
        ..
    } = ada
        .put(
            path,
            json!({"version": 6, "instance_url": instance, "client_id": client_id,
                   "service_grant": "password", "service_user": "svc.callbridge",
                   "service_password": "wrong-service-password"}),
        )
        .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(saved["version"], 7);
    assert!(!text.contains("wrong-service-password"));
    assert_eq!(grant(&saved["checks"]), "fail", "{saved}");
    let Answer { body: overview, .. } = ada.get("/api/v1/console/setup").await;
    let connection = |overview: &Value, key: &str| {
        overview["connection"]["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["key"] == key)
            .cloned()
    };
    assert!(!overview.to_string().contains("wrong-service-password"));
    let user = connection(&overview, "service_user").unwrap();
    assert_eq!(user["value"], "svc.callbridge", "{overview}");
    let password = connection(&overview, "service_password").unwrap();
    assert_eq!(
        (&password["secret"], &password["set"], &password["value"]),
        (&json!(true), &json!(true), &Value::Null)
    );
    // Saved again without the user or the password: both are kept.
    let Answer {
        status, body: kept, ..
    } = ada
        .put(
            path,
            json!({"version": 7, "instance_url": instance, "client_id": client_id,
                   "service_grant": "password", "service_user": null}),
        )
        .await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!(
        grant(&kept["checks"]),
        "fail",
        "the wrong password is kept: {kept}"
    );
    let Answer {
        status,
        body: saved,
        ..
    } = ada
        .put(
            path,
            json!({"version": 8, "instance_url": instance, "client_id": client_id,
                   "service_grant": "client_credentials", "requests_per_hour": 5000}),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(grant(&saved["checks"]), "pass", "{saved}");
    let Answer { body: overview, .. } = ada.get("/api/v1/console/setup").await;
    assert_eq!(connection(&overview, "service_user"), None, "{overview}");
    assert_eq!(
        connection(&overview, "requests_per_hour").unwrap()["value"],
        "5000"
    );
    // The trust root kept as it was (none given), shown resolved.
    let ca = connection(&overview, "ca_file").unwrap();
    assert!(ca["value"].as_str().unwrap().ends_with("ca.pem"), "{ca}");
    assert_eq!(
        connection(&overview, "service_password"),
        None,
        "{overview}"
    );

    // A file tenant's admin: read-only.
    let bea = admin(&world, TENANT, "bea").await;
    let Answer {
        status, body: file, ..
    } = bea
        .put(
            path,
            json!({"version": 1, "instance_url": instance, "client_id": client_id}),
        )
        .await;
    assert_eq!(
        (status, file["error"]["code"].as_str()),
        (409, Some("read_only"))
    );
    assert!(
        file["error"]["message"]
            .as_str()
            .unwrap()
            .contains("change it there and restart"),
        "{file}"
    );

    // Every save audited, none with a secret.
    let audit = world
        .server
        .store
        .admin_audit(&AuditFilter::all(GLOBEX, 100))
        .await
        .unwrap();
    let saves: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "setup.save")
        .map(|e| (e.target.as_str(), e.outcome.as_str(), e.detail.as_str()))
        .collect();
    assert_eq!(saves.len(), 12, "{saves:?}");
    assert!(saves.iter().all(|(_, _, d)| !d.contains("not-the-secret")
        && !d.contains("wrong-service-password")
        && !d.contains(world.sandbox.credentials.client_secret.as_str())));
    assert!(
        saves.contains(&(
            "setup:connection",
            "done",
            "version 2: connection instance_url, client_id, a new client_secret; applied"
        )),
        "{saves:?}"
    );
    assert!(
        saves.contains(&(
            "setup:connection",
            "done",
            "version 7: connection instance_url, client_id, service_grant password, service_user, a new service_password; applied"
        )),
        "{saves:?}"
    );
    assert!(saves
        .iter()
        .any(|(t, o, _)| *t == "setup:connection" && *o == "refused"));
    world.stop().await;
}

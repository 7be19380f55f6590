//! A tenant kept in the store on a running server, against the ServiceNow sandbox: created
//! while the server runs, its admin signs in at once; a new CRM client secret saved through the
//! directory is what the tenant's CRM uses at the next request (the connection step's
//! `oauth.service_grant` fails with the wrong one, passes with the right one), without a
//! restart; after a restart the saved version is still the one used. Removed, it stops being
//! served at once: its sessions end, its admin cannot sign in, its data stays.

mod support;

use callbridge_config::toml_edit::{value, InlineTable, Table};
use callbridge_config::Secret;
use callbridge_core::TenantId;
use callbridge_store::{Role, SecretChange};
use callbridge_web::account::provision::{self, Wanted};
use futures::StreamExt;
use serde_json::{json, Value};
use support::console::{Answer, Tab, PASSWORD};
use support::World;
use tokio_tungstenite::tungstenite::Message;

const GLOBEX: &str = "globex";

fn crm(world: &World, client_secret_name: &str) -> Table {
    let mut crm = Table::new();
    crm.insert("kind", value("servicenow"));
    crm.insert("instance_url", value(world.sandbox.base_url.as_str()));
    crm.insert("ca_file", value("ca.pem"));
    crm.insert(
        "client_id",
        value(world.sandbox.credentials.client_id.as_str()),
    );
    let mut secret = InlineTable::new();
    secret.insert("store", client_secret_name.into());
    crm.insert("client_secret", value(secret));
    crm
}

/// `user` of `tenant` signing in at the server's own address, from a page of its public URL.
async fn sign_in(world: &World, tenant: &str, user: &str) -> Result<Tab, Answer> {
    let base = format!("http://{}", world.server.addr);
    Tab::sign_in(
        &world.http,
        &base,
        &world.public_url,
        tenant,
        user,
        PASSWORD,
    )
    .await
}

/// The status of a refused sign-in (`None` when it was let in).
async fn refused(world: &World, tenant: &str, user: &str) -> Option<u16> {
    sign_in(world, tenant, user).await.err().map(|a| a.status)
}

/// The status of `oauth.service_grant` in the connection step's checks, run now.
async fn grant(admin: &Tab) -> String {
    let answer = admin
        .get("/api/v1/console/setup/steps/connection/checks")
        .await;
    let body = answer.body;
    body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "oauth.service_grant")
        .unwrap_or_else(|| panic!("no oauth.service_grant in {body}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_store_tenants_change_is_used_at_once_and_after_a_restart() {
    let world = World::start().await;
    let globex = TenantId::new(GLOBEX);
    let directory = world.server.directory.clone();

    // Before it exists, nobody signs in to it.
    provision::create(
        &world.server.store,
        &Wanted {
            tenant: GLOBEX.into(),
            user: "gadmin".into(),
            display_name: "G. Admin".into(),
            role: Role::Admin,
        },
        PASSWORD,
    )
    .await
    .unwrap();
    // Its account exists already, but the tenant does not: refused as a wrong password is,
    // however often (no password can succeed, so nothing counts against the sign-in limits: a
    // sign-in tried until the server takes the tenant in is not locked out).
    for _ in 0..8 {
        assert_eq!(refused(&world, GLOBEX, "gadmin").await, Some(401));
    }

    let mut text = String::from("[[tenant]]\nid = \"globex\"\nname = \"Globex\"\n\n");
    let mut document: callbridge_config::toml_edit::DocumentMut = text.parse().unwrap();
    document["tenant"][0]["crm"] =
        callbridge_config::toml_edit::Item::Table(crm(&world, "crm.client_secret"));
    text = document.to_string();
    let created = directory
        .create(
            &globex,
            &text,
            vec![("crm.client_secret".into(), Secret::new("not-the-secret"))],
            "test",
        )
        .await
        .unwrap();
    assert_eq!(created.version, 1);

    // Created while the server runs: its admin signs in, the console shows it, its CRM is the
    // one just built.
    let admin = sign_in(&world, GLOBEX, "gadmin").await.expect("signs in");
    let Answer {
        status,
        body: setup,
        ..
    } = admin.get("/api/v1/console/setup").await;
    assert_eq!(
        (status, setup["name"].as_str()),
        (200, Some("Globex")),
        "{setup}"
    );
    assert_eq!(grant(&admin).await, "fail");

    // The right secret, saved: the next check uses it.
    let saved = directory
        .replace_section(
            &globex,
            1,
            &["crm"],
            crm(&world, "crm.client_secret"),
            vec![SecretChange::Set {
                name: "crm.client_secret".into(),
                value: Secret::new(world.sandbox.credentials.client_secret.clone()),
            }],
            "gadmin",
        )
        .await
        .unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(grant(&admin).await, "pass");

    // After a restart the tenant and its saved secret are read from the store.
    let reuse = world.stop().await;
    let world = World::start_with(support::fast_outbox(), Some(reuse)).await;
    assert_eq!(
        world.server.directory.source(&globex),
        Some(callbridge_config::TenantSource::Store { version: 2 })
    );
    let admin = sign_in(&world, GLOBEX, "gadmin")
        .await
        .expect("signs in again");
    assert_eq!(grant(&admin).await, "pass");

    // An agent's softphone of the tenant (it has no telephony: any agent name is accepted),
    // opened with a softphone ticket.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let ticket =
        callbridge_web::softphone_ticket(&world.config.server.master_key, GLOBEX, "gil", now);
    let softphone = format!(
        "ws://{}/api/v1/tenants/{GLOBEX}/agents/gil/softphone?ticket={ticket}",
        world.server.addr
    );
    let (mut gil, _) = tokio_tungstenite::connect_async(softphone.as_str())
        .await
        .unwrap();
    let welcome = gil.next().await.unwrap().unwrap();
    assert!(
        welcome.to_text().unwrap().contains("\"welcome\""),
        "{welcome}"
    );

    // Removed while the server runs: its session ends and its admin cannot sign in again; its
    // softphones are closed as signed out, and cannot connect again; the file's tenant is
    // untouched; the account stays in the store.
    world.server.directory.remove(&globex).await.unwrap();
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), gil.next())
        .await
        .expect("closed at once")
        .unwrap()
        .unwrap();
    match closed {
        Message::Close(Some(frame)) => {
            assert_eq!(
                (u16::from(frame.code), frame.reason.as_str()),
                (4401, "signed_out")
            )
        }
        other => panic!("{other:?}"),
    }
    match tokio_tungstenite::connect_async(softphone.as_str()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 404)
        }
        other => panic!("expected 404, got {:?}", other.map(|(_, r)| r)),
    }
    assert_eq!(admin.get("/api/v1/console/setup").await.status, 401);
    assert_eq!(admin.get("/api/v1/session").await.status, 401);
    assert_eq!(refused(&world, GLOBEX, "gadmin").await, Some(401));
    assert!(world
        .server
        .store
        .account(GLOBEX, "gadmin")
        .await
        .unwrap()
        .is_some());
    assert!(world.server.directory.source(&globex).is_none());
    world.stop().await;
}

/// `callbridge tenant add` runs in another process: the server takes the tenant in at its next
/// look at the store (every 5 s). Its admin signing in before that must not land on a console
/// that says the tenant has no setup: the sign-in has the server look at the store at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tenant_another_process_created_is_whole_at_its_admins_first_sign_in() {
    let world = World::start().await;
    let globex = TenantId::new(GLOBEX);
    // The CLI's own directory on the same store, as `tenant add` opens it.
    let cli = callbridge_integration::tenants::TenantDirectory::start(
        &world.config,
        world.server.store.clone(),
        None,
        std::sync::Arc::new(|_: &str| None),
    )
    .await
    .unwrap();
    let mut document: callbridge_config::toml_edit::DocumentMut =
        "[[tenant]]\nid = \"globex\"\nname = \"Globex\"\n"
            .parse()
            .unwrap();
    document["tenant"][0]["crm"] =
        callbridge_config::toml_edit::Item::Table(crm(&world, "crm.client_secret"));
    cli.create(
        &globex,
        &document.to_string(),
        vec![(
            "crm.client_secret".into(),
            Secret::new(world.sandbox.credentials.client_secret.clone()),
        )],
        "cli",
    )
    .await
    .unwrap();
    provision::create(
        &world.server.store,
        &Wanted {
            tenant: GLOBEX.into(),
            user: "gadmin".into(),
            display_name: "G. Admin".into(),
            role: Role::Admin,
        },
        PASSWORD,
    )
    .await
    .unwrap();
    assert_eq!(
        world.server.directory.source(&globex),
        None,
        "not taken in yet"
    );

    let admin = sign_in(&world, GLOBEX, "gadmin").await.expect("signs in");
    let Answer {
        status,
        body: setup,
        ..
    } = admin.get("/api/v1/console/setup").await;
    assert_eq!(
        (status, setup["name"].as_str(), setup["editable"].as_bool()),
        (200, Some("Globex"), Some(true)),
        "{setup}"
    );
    assert_eq!(grant(&admin).await, "pass");
    world.stop().await;
}

/// `POST /api/v1/session`: the status and, if refused, the error answer.
async fn sign_in_answer(world: &World, tenant: &str, user: &str) -> (u16, Value) {
    match sign_in(world, tenant, user).await {
        Ok(_) => (200, Value::Null),
        Err(refusal) => (refusal.status, refusal.body),
    }
}

/// The `[[tenant]]` text of globex with its CRM, and a call-events secret when `events`.
fn globex_text(world: &World, events: bool) -> String {
    let mut document: callbridge_config::toml_edit::DocumentMut =
        "[[tenant]]\nid = \"globex\"\nname = \"Globex\"\n"
            .parse()
            .unwrap();
    if events {
        let mut secret = InlineTable::new();
        secret.insert("store", "events.secret".into());
        document["tenant"][0]["call_events_secret"] = value(secret);
    }
    document["tenant"][0]["crm"] =
        callbridge_config::toml_edit::Item::Table(crm(world, "crm.client_secret"));
    document.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_store_tenant_no_call_can_reach_lets_its_admin_in_and_tells_its_staff_why_not() {
    let world = World::start().await;
    let globex = TenantId::new(GLOBEX);
    let directory = world.server.directory.clone();
    for (user, role) in [
        ("gadmin", Role::Admin),
        ("gus", Role::Agent),
        ("gsup", Role::Supervisor),
    ] {
        let wanted = Wanted {
            tenant: GLOBEX.into(),
            user: user.into(),
            display_name: user.into(),
            role,
        };
        provision::create(&world.server.store, &wanted, PASSWORD)
            .await
            .unwrap();
    }
    let secrets = || {
        vec![
            ("crm.client_secret".to_string(), Secret::new("s")),
            ("events.secret".to_string(), Secret::new("e")),
        ]
    };
    // As `tenant add` makes it: a CRM connection, and neither telephony nor call events.
    directory
        .create(&globex, &globex_text(&world, false), secrets(), "test")
        .await
        .unwrap();
    assert!(sign_in(&world, GLOBEX, "gadmin").await.is_ok());
    for user in ["gus", "gsup"] {
        let (status, body) = sign_in_answer(&world, GLOBEX, user).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("tenant_not_ready")),
            "{body}"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("ask your admin"), "{message}");
    }
    // A wrong password is still just a wrong password.
    let base = format!("http://{}", world.server.addr);
    let wrong = world
        .http
        .post(format!("{base}/api/v1/session"))
        .json(&json!({"tenant": GLOBEX, "user": "gus", "password": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    // Once calls can reach it (here: the call-events API), its staff sign in.
    directory.remove(&globex).await.unwrap();
    directory
        .create(&globex, &globex_text(&world, true), secrets(), "test")
        .await
        .unwrap();
    for user in ["gus", "gsup"] {
        assert!(sign_in(&world, GLOBEX, user).await.is_ok(), "{user}");
    }
    world.stop().await;
}

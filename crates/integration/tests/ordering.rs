//! Issue 8 from outside: real signed events over HTTP, in the orders PBXs deliver them, against
//! the sandbox. Each connected call gets its one Case whatever the order; every event is
//! answered with what became of it; a restart does not search the CRM again for calls whose
//! pop was shown; a lookup lost to a CRM outage is retried and the Case gets its contact.

mod support;

use std::time::Duration;

use callbridge_core::LookupStatus;
use callbridge_integration::runtime::{Notice, OutboxOptions};
use serde_json::{json, Value};
use support::{fast_outbox, rand_suffix, World};

const WAIT: Duration = Duration::from_secs(15);
/// Sofia Garcia: exactly one contact holds this number.
const SOFIA: &str = "+18582877834";

fn offered(agent: &str) -> Value {
    json!({"type": "offered", "agent": agent, "caller": SOFIA})
}

fn step(kind: &str, agent: &str) -> Value {
    json!({"type": kind, "agent": agent})
}

fn ended() -> Value {
    json!({"type": "ended", "cause": "customer_hung_up"})
}

/// Posts one event of `call`; returns (status, body).
async fn post(world: &World, call: &str, event: &Value) -> (u16, Value) {
    let mut body = event.clone();
    body["event_id"] = json!(format!("{call}-{}", rand_suffix()));
    body["call_id"] = json!(call);
    world.event(body).await
}

/// Posts the events in order and checks each answer's status code and `status`.
async fn post_expecting(world: &World, call: &str, steps: &[(Value, u16, &str)]) {
    for (event, code, status) in steps {
        let (got, body) = post(world, call, event).await;
        assert_eq!(
            (got, body["status"].as_str()),
            (*code, Some(*status)),
            "{event} -> {body}"
        );
    }
}

async fn sofia_sys_id(world: &World) -> String {
    let reply = world
        .admin()
        .get(
            "customer_contact",
            &[("sysparm_query", "first_name=Sofia^last_name=Garcia")],
        )
        .await;
    reply["result"][0]["sys_id"].as_str().unwrap().to_string()
}

/// Waits until the call's one Case names `contact`.
async fn case_with_contact(world: &World, call: &str, contact: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let case = world.one_case(call, WAIT).await;
        if case["contact"] == json!(contact) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the Case of {call} never got its contact: {case:#}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_order_events_each_give_the_connected_call_its_one_case() {
    let world = World::start().await;
    world.link("alice", "alice.agent").await;
    let sofia = sofia_sys_id(&world).await;

    // connected, offered, answered, ended
    post_expecting(
        &world,
        "order-a",
        &[
            (step("connected", "alice"), 202, "held"),
            (offered("alice"), 202, "applied"),
            (step("answered", "alice"), 200, "ignored"),
            (ended(), 202, "applied"),
        ],
    )
    .await;
    // offered, answered, ended, connected
    post_expecting(
        &world,
        "order-b",
        &[
            (offered("alice"), 202, "applied"),
            (step("answered", "alice"), 202, "applied"),
            (ended(), 202, "applied"),
            (step("connected", "alice"), 202, "applied"),
        ],
    )
    .await;
    // connected, offered (no ended yet)
    post_expecting(
        &world,
        "order-c",
        &[
            (step("connected", "alice"), 202, "held"),
            (offered("alice"), 202, "applied"),
        ],
    )
    .await;
    for call in ["order-a", "order-b", "order-c"] {
        case_with_contact(&world, call, &sofia).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_that_cannot_be_used_are_answered_with_the_reason() {
    let world = World::start().await;
    world.link("alice", "alice.agent").await;
    post_expecting(
        &world,
        "unused",
        &[
            (offered("alice"), 202, "applied"),
            (ended(), 202, "applied"),
        ],
    )
    .await;
    let (status, body) = post(&world, "unused", &json!({"type": "held"})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["status"], "ignored");
    assert_eq!(body["reason"], "call_ended");
    assert!(
        body["message"].as_str().unwrap().contains("ended"),
        "{body}"
    );

    let (status, body) = post(&world, "early", &ended()).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["reason"], "waiting_for_offer");
    let until = body["held_until"].as_str().unwrap();
    let until =
        time::OffsetDateTime::parse(until, &time::format_description::well_known::Rfc3339).unwrap();
    let left = until - time::OffsetDateTime::now_utc();
    assert!(
        left > time::Duration::minutes(4) && left <= time::Duration::minutes(5),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_does_not_search_the_crm_again_for_calls_whose_pop_was_shown() {
    let mut world = World::start().await;
    world.link("alice", "alice.agent").await;
    let calls = ["open-1", "open-2", "open-3"];
    for call in calls {
        post_expecting(&world, call, &[(offered("alice"), 202, "applied")]).await;
        world
            .notice("alice", WAIT, |n| matches!(n, Notice::ScreenPop { .. }))
            .await;
    }
    let admin = world.admin();
    let (dir, sandbox) = world.stop().await;
    admin.reset_requests().await;

    let world = World::start_with(fast_outbox(), Some((dir, sandbox))).await;
    // The replay (done before the server answers) restarts each call with its recorded lookup.
    for call in calls {
        let state = world
            .server
            .runtime
            .call_state(&World::call_id(call))
            .await
            .expect("the replayed call is open");
        assert!(
            matches!(state.lookup, LookupStatus::Done(ref found) if found.len() == 1),
            "{call}: {:?}",
            state.lookup
        );
    }
    let counts = admin.requests().await;
    let lookups: u64 = counts
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.ends_with(" batch") || k.contains(" table/customer_contact"))
        .map(|(_, v)| v.as_u64().unwrap())
        .sum();
    assert_eq!(lookups, 0, "CRM lookups after the restart: {counts}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lookup_lost_to_a_crm_outage_is_retried_and_the_case_gets_its_contact() {
    let outbox = OutboxOptions {
        max_attempts: 60,
        ..fast_outbox()
    };
    let world = World::start_with(outbox, None).await;
    world.link("alice", "alice.agent").await;
    let sofia = sofia_sys_id(&world).await;
    // The lookup fails while the instance's REST APIs answer 503; the Case is written (with
    // `contact_wait_secs = 1`) during or after the outage, and the retried lookup (5 s after
    // the failure) fills the contact in.
    world
        .admin()
        .fault(json!({"kind": "status", "status": 503, "seconds": 3, "path_prefix": "/api/now/v1/batch"}))
        .await;
    post_expecting(
        &world,
        "outage-1",
        &[
            (offered("alice"), 202, "applied"),
            (step("answered", "alice"), 202, "applied"),
            (step("connected", "alice"), 202, "applied"),
            (ended(), 202, "applied"),
        ],
    )
    .await;
    case_with_contact(&world, "outage-1", &sofia).await;
}

//! The integration end to end against the ServiceNow sandbox: screen pop, exactly one Case per
//! call, the transfer rule, CRM faults, and the signed, idempotent call-events API.

mod support;

use std::time::Duration;

use callbridge_integration::runtime::Notice;
use serde_json::{json, Value};
use support::{World, TENANT};

const WAIT: Duration = Duration::from_secs(10);

fn offered(agent: &str, caller: &str) -> Value {
    json!({"type": "offered", "agent": agent, "caller": caller})
}

fn step(kind: &str, agent: &str) -> Value {
    json!({"type": kind, "agent": agent})
}

fn table_requests(counts: &Value) -> u64 {
    counts
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.contains(" table/") || k.ends_with(" batch"))
        .map(|(_, v)| v.as_u64().unwrap())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_matching_contact_pops_and_one_case_is_written_in_two_crm_requests() {
    let mut world = World::start().await;
    world.link("alice", "alice.agent").await;
    let admin = world.admin();
    admin.reset_requests().await;

    // Sofia Garcia's business phone is stored as "+1 858 287 7834".
    world
        .call("call-sofia", &[offered("alice", "+18582877834")])
        .await;
    let pop = world
        .notice("alice", WAIT, |n| matches!(n, Notice::ScreenPop { .. }))
        .await;
    let Notice::ScreenPop { contact } = pop else {
        unreachable!()
    };
    assert_eq!(contact.name, "Sofia Garcia");
    assert_eq!(
        contact.account.as_ref().unwrap().name,
        "Pacific Crest Insurance"
    );

    world
        .call(
            "call-sofia",
            &[step("answered", "alice"), step("connected", "alice")],
        )
        .await;
    let shown = world
        .notice("alice", WAIT, |n| matches!(n, Notice::ShowCase { .. }))
        .await;
    // One lookup (both contact tables in one batch request) and one Case create; counted before
    // this test's own admin reads below.
    let counts = admin.requests().await;
    assert_eq!(
        table_requests(&counts),
        2,
        "CRM requests for one call: {counts}"
    );

    let case = world.one_case("call-sofia", WAIT).await;
    assert_eq!(case["contact"], json!(contact.id.as_str()));
    assert_eq!(
        case["account"],
        json!(contact.account.as_ref().unwrap().id.as_str())
    );
    assert_eq!(
        case["u_recording_url"],
        json!(format!("{}/recordings/call-sofia", world.public_url))
    );
    assert_eq!(case["u_caller_number"], json!("+18582877834"));
    assert_eq!(case["contact_type"], json!("phone"));
    assert_eq!(
        case["assigned_to"],
        json!(world.user_sys_id("alice.agent").await)
    );
    let Notice::ShowCase { case: shown } = shown else {
        unreachable!()
    };
    assert_eq!(shown.label, case["number"].as_str().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_number_shows_a_chooser_and_the_case_is_created_without_guessing() {
    let mut world = World::start().await;
    world.link("alice", "alice.agent").await;
    // Haruto Tanaka holds "03-1234-5678" and Yui Sato "+81 3-1234-5678": the same number.
    world
        .call("call-shared", &[offered("alice", "03-1234-5678")])
        .await;
    let chooser = world
        .notice("alice", WAIT, |n| matches!(n, Notice::ChooseContact { .. }))
        .await;
    let Notice::ChooseContact { candidates } = chooser else {
        unreachable!()
    };
    let mut names: Vec<_> = candidates.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["Haruto Tanaka", "Yui Sato"]);

    world
        .call(
            "call-shared",
            &[step("answered", "alice"), step("connected", "alice")],
        )
        .await;
    let case = world.one_case("call-shared", WAIT).await;
    assert_eq!(
        case["contact"],
        json!(""),
        "the Case must not guess a contact"
    );
    assert_eq!(case["u_caller_number"], json!("+81312345678"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_number_offers_a_new_contact() {
    let mut world = World::start().await;
    world.link("alice", "alice.agent").await;
    world
        .call("call-new", &[offered("alice", "+81 75-123-4567")])
        .await;
    let offer = world
        .notice("alice", WAIT, |n| matches!(n, Notice::NewContact { .. }))
        .await;
    assert_eq!(
        offer,
        Notice::NewContact {
            number: "+81751234567".into()
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_case_when_the_first_answerer_had_no_crm_link_even_after_a_transfer() {
    let mut world = World::start().await;
    world.link("alice", "alice.agent").await;
    world
        .call(
            "call-transfer",
            &[
                offered("carol", "+18582877834"),
                step("answered", "carol"),
                step("connected", "carol"),
                json!({"type": "transferred", "agent": "carol", "to_agent": "alice"}),
                offered("alice", "+18582877834"),
                step("answered", "alice"),
                step("connected", "alice"),
            ],
        )
        .await;
    let told = world
        .notice("alice", WAIT, |n| {
            matches!(n, Notice::Message { text, .. } if text.contains("had no linked CRM account"))
        })
        .await;
    assert!(matches!(told, Notice::Message { .. }));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        world.cases("call-transfer").await.is_empty(),
        "no Case may be auto-created"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crm_outage_delays_the_case_but_never_duplicates_or_loses_it() {
    let mut world = World::start().await;
    world.link("alice", "alice.agent").await;
    let admin = world.admin();
    // The Case table answers 503 three times, then a 429 asks us to wait a second.
    admin
        .fault(json!({"kind": "status", "status": 503, "count": 3, "path_prefix": "/api/now/v2/table/sn_customerservice_case"}))
        .await;
    admin
        .fault(json!({"kind": "status", "status": 429, "retry_after_secs": 1, "count": 1, "path_prefix": "/api/now/v2/table/sn_customerservice_case"}))
        .await;
    world
        .call(
            "call-outage",
            &[
                offered("alice", "+18582877834"),
                step("answered", "alice"),
                step("connected", "alice"),
            ],
        )
        .await;
    world
        .notice(
            "alice",
            WAIT,
            |n| matches!(n, Notice::Message { text, .. } if text.contains("delayed")),
        )
        .await;
    let case = world.one_case("call-outage", Duration::from_secs(20)).await;
    assert_eq!(case["correlation_id"], json!("call-outage"));
    world
        .notice("alice", WAIT, |n| matches!(n, Notice::ShowCase { .. }))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_events_are_acknowledged_once_and_never_make_a_second_case() {
    let world = World::start().await;
    world.link("alice", "alice.agent").await;
    let offer = json!({"event_id": "e-1", "call_id": "call-dup", "type": "offered", "agent": "alice", "caller": "+18582877834"});
    assert_eq!(world.event(offer.clone()).await.0, 202);
    let (status, body) = world.event(offer).await;
    assert_eq!((status, body["status"].clone()), (200, json!("duplicate")));
    // A second `connected` under a new event id is a new event repeating a known fact: the
    // sender is told it changed nothing.
    for (id, kind, code, status) in [
        ("e-2", "answered", 202, "applied"),
        ("e-3", "connected", 202, "applied"),
        ("e-4", "connected", 200, "ignored"),
    ] {
        let body = json!({"event_id": id, "call_id": "call-dup", "type": kind, "agent": "alice"});
        let (got, reply) = world.event(body).await;
        assert_eq!(
            (got, reply["status"].clone()),
            (code, json!(status)),
            "{reply}"
        );
    }
    world.one_case("call-dup", WAIT).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_tampered_or_malformed_events_are_refused_with_a_reason() {
    let world = World::start().await;
    let url = format!("{}/api/v1/tenants/{TENANT}/call-events", world.public_url);
    let body = json!({"event_id": "x", "call_id": "c", "type": "held"}).to_string();

    let unsigned = world
        .http
        .post(&url)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    let reason: Value = unsigned.json().await.unwrap();
    assert!(reason["error"]["message"]
        .as_str()
        .unwrap()
        .contains("X-Callbridge-Signature"));

    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let signature =
        callbridge_integration::events_api::signature::sign(b"wrong", now, body.as_bytes());
    let forged = world
        .http
        .post(&url)
        .header("x-callbridge-signature", signature)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);

    let (status, reason) = world
        .event(json!({"event_id": "y", "call_id": "c", "type": "answered"}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(reason["error"]["field"], json!("agent"));

    let (status, reason) = world
        .event(json!({"event_id": "z", "call_id": "c", "type": "exploded"}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(reason["error"]["code"], json!("invalid_json"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_whose_crm_sign_in_is_revoked_is_told_to_relink() {
    let mut world = World::start().await;
    world.link("alice", "alice.agent").await;
    // The instance forgets every token: refreshes are refused too.
    let admin = world.admin();
    admin
        .post(
            "/api/x_cb_sandbox/clock",
            json!({"advance_seconds": 8_640_000 + 10}),
        )
        .await;
    world
        .call("call-relink", &[offered("alice", "+18582877834")])
        .await;
    world
        .notice("alice", WAIT, |n| matches!(n, Notice::Message { text, .. } if text.contains("Link your CRM account again")))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_connected_just_before_a_stop_still_gets_its_one_case_after_restart() {
    let world = World::start().await;
    world.link("alice", "alice.agent").await;
    // A finished call, Case written, before the stop: replay must not touch it.
    world
        .call(
            "call-before",
            &[
                offered("alice", "+18582877834"),
                step("answered", "alice"),
                step("connected", "alice"),
            ],
        )
        .await;
    world.one_case("call-before", WAIT).await;
    world
        .call(
            "call-before",
            &[json!({"type": "ended", "cause": "customer_hung_up"})],
        )
        .await;
    // A shared number: the Case waits (contact_wait = 1 s) for the agent to choose, and the
    // process stops inside that wait, before the Case intent reached the outbox.
    world
        .call(
            "call-crash",
            &[
                offered("alice", "03-1234-5678"),
                step("answered", "alice"),
                step("connected", "alice"),
            ],
        )
        .await;
    let (dir, sandbox) = world.stop().await;
    let world = World::start_with(support::fast_outbox(), Some((dir, sandbox))).await;
    let case = world.one_case("call-crash", WAIT).await;
    assert_eq!(case["u_caller_number"], json!("+81312345678"));
    assert_eq!(world.cases("call-before").await.len(), 1);
}

//! A call in progress survives the agent's softphone going away (`docs/softphone-protocol.md`,
//! "A call survives a lost softphone"), over the real WebSocket with a real call: sipp as the
//! customer, str0m softphones as the agent's audio. A reconnect within the grace period gets
//! `call_snapshot` and its new audio session hears the customer again; the customer's call is
//! never dropped (sipp fails on an unexpected BYE); after the grace period, or when the
//! customer hangs up meanwhile, the next connection is told how the call ended; a sign-out
//! during the grace period ends the call at once. After-call work survives a reload the same
//! way.

mod support;

use std::time::{Duration, Instant};

use serde_json::Value;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_during_a_call_gets_the_snapshot_and_the_audio_back_and_the_customer_stays() {
    let world = World::start(Options {
        music: true,
        ..Options::default()
    })
    .await;
    let mut alice = world.agent("alice", ALICE_HZ, true).await;
    // The customer talks for 9 s and then hangs up themselves: an early BYE from us fails sipp.
    let (sipp, call) = world
        .answered_call(
            &mut alice,
            "customer_calls.xml",
            Duration::from_millis(9_000),
        )
        .await;
    let answered = Instant::now();
    alice.hears_the_customer(answered).await;

    // The page reloads: the socket closes, the audio session with it.
    alice.close().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut again = world.connect("alice").await;
    let said = again.greeting().await;
    let types: Vec<&str> = said.iter().map(|m| m["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["call_snapshot", "agent_state"], "{said:#?}");
    let snapshot = &said[0];
    assert_eq!(snapshot["call"], call.as_str());
    assert_eq!(snapshot["direction"], "inbound");
    assert_eq!(snapshot["customer"], CALLER);
    assert_eq!(snapshot["customer_kind"], "number");
    assert_eq!(snapshot["queue"], "support");
    assert_eq!(snapshot["held"], false);
    assert_eq!(snapshot["case"], Value::Null);
    let state = &said[1];
    assert_eq!(state["state"], "on_call");
    assert_eq!(state["call"], call.as_str());

    // A new audio session: the customer is bridged to it again.
    let reconnected = Instant::now();
    again.connect_audio(ALICE_HZ).await;
    again
        .expect_where("agent_state", |v| {
            v["state"] == "on_call" && v["detail"].as_str().unwrap().contains("back on your call")
        })
        .await;
    again.hears_the_customer(reconnected).await;

    // The customer ends the call when they mean to: one call, answered, hung up by them.
    sipp.success().await;
    let ended = again.expect("call_ended").await;
    assert_eq!(ended["cause"], "customer_hung_up");
    let record = world.call_record(&call).await;
    assert_eq!(record.outcome, "answered");
    let full: Value = serde_json::from_str(&record.record).unwrap();
    assert_eq!(full["end_cause"], "customer_hung_up", "{full}");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_tab_takes_the_call_over_instead_of_ending_it() {
    let world = World::start(Options::default()).await;
    let mut first = world.agent("alice", ALICE_HZ, true).await;
    let (sipp, call) = world
        .answered_call(
            &mut first,
            "customer_calls.xml",
            Duration::from_millis(8_000),
        )
        .await;

    // The second tab connects while the first is still connected (4001 for the first).
    let mut second = world.connect("alice").await;
    // Messages already on their way to the first tab (its audio, CRM news) may come before the
    // close; the close must follow.
    let mut before_close = Vec::new();
    while let Some(message) = first.next().await {
        before_close.push(message);
        assert!(
            before_close.len() < 50,
            "the first tab's socket is closed: {before_close:#?}"
        );
    }
    let said = second.greeting().await;
    assert_eq!(said[0]["type"], "call_snapshot", "{said:#?}");
    assert_eq!(said[0]["call"], call.as_str());
    assert!(!said.iter().any(|m| m["type"] == "call_ended"), "{said:#?}");
    let moved = Instant::now();
    second.connect_audio(ALICE_HZ).await;
    second.hears_the_customer(moved).await;
    sipp.success().await;
    assert_eq!(
        second.expect("call_ended").await["cause"],
        "customer_hung_up"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_customer_hanging_up_during_the_grace_period_is_told_to_the_next_connection() {
    let world = World::start(Options::default()).await;
    let mut alice = world.agent("alice", ALICE_HZ, true).await;
    let (sipp, call) = world
        .answered_call(
            &mut alice,
            "customer_calls.xml",
            Duration::from_millis(2_500),
        )
        .await;
    alice.close().await;
    // The customer hangs up while the softphone is away.
    sipp.success().await;
    let mut again = world.connect("alice").await;
    let said = again.greeting().await;
    let types: Vec<&str> = said.iter().map(|m| m["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["call_ended", "agent_state"], "{said:#?}");
    assert_eq!(said[0]["call"], call.as_str());
    assert_eq!(said[0]["cause"], "customer_hung_up");
    assert_eq!(said[1]["state"], "offline");
    let record = world.call_record(&call).await;
    let full: Value = serde_json::from_str(&record.record).unwrap();
    assert_eq!(full["end_cause"], "customer_hung_up", "{full}");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_grace_period_the_call_ends_as_agent_lost_and_the_customer_gets_a_bye() {
    let world = World::start(Options::default()).await;
    let mut alice = world.agent("alice", ALICE_HZ, true).await;
    // This customer stays until we hang up: sipp succeeds only on our BYE.
    let (sipp, call) = world
        .answered_call(&mut alice, "customer_waits_for_bye.xml", Duration::ZERO)
        .await;
    let lost_at = Instant::now();
    alice.close().await;
    sipp.success().await;
    let waited = lost_at.elapsed();
    assert!(
        waited >= Duration::from_secs(19),
        "the call waited for the grace period, not {waited:?}"
    );
    let mut again = world.connect("alice").await;
    let said = again.greeting().await;
    assert_eq!(said[0]["type"], "call_ended", "{said:#?}");
    assert_eq!(said[0]["cause"], "agent_lost");
    assert_eq!(said[1]["state"], "offline");
    let record = world.call_record(&call).await;
    assert_eq!(record.outcome, "answered");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_during_the_grace_period_ends_the_call_at_once() {
    let world = World::start(Options::default()).await;
    let session = world.sign_in("alice").await;
    let mut alice = world.connect_signed_in("alice", &session).await;
    alice.connect_audio(ALICE_HZ).await;
    alice.set_available(true).await;
    // This customer stays until we hang up: sipp succeeds only on our BYE.
    let (sipp, call) = world
        .answered_call(&mut alice, "customer_waits_for_bye.xml", Duration::ZERO)
        .await;
    // The page goes away (the call waits for it), then the agent signs out from elsewhere.
    alice.close().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let signed_out = Instant::now();
    world.sign_out(&session).await;
    sipp.success().await;
    let waited = signed_out.elapsed();
    assert!(
        waited < Duration::from_secs(5),
        "the customer got our BYE at once, not after the grace period ({waited:?})"
    );
    let record = world.call_record(&call).await;
    assert_eq!(record.outcome, "answered");
    // The next sign-in starts afresh: no call waits, nothing resumes.
    let session = world.sign_in("alice").await;
    let mut again = world.connect_signed_in("alice", &session).await;
    let said = again.greeting().await;
    assert!(
        !said.iter().any(|m| m["type"] == "call_snapshot"),
        "{said:#?}"
    );
    assert_eq!(said.last().unwrap()["state"], "offline", "{said:#?}");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_during_after_call_work_gets_the_wrap_up_back_instead_of_a_logout() {
    let world = World::start(Options {
        wrap_up_secs: 60,
        ..Options::default()
    })
    .await;
    let mut alice = world.agent("alice", ALICE_HZ, true).await;
    let (call, wrap_up) = a_call_into_wrap_up(&world, &mut alice).await;

    // The page reloads during the after-call work.
    alice.close().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut again = world.connect("alice").await;
    let said = again.greeting().await;
    let types: Vec<&str> = said.iter().map(|m| m["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["wrap_up", "agent_state"], "{said:#?}");
    assert_eq!(said[0]["call"], call.as_str());
    assert_eq!(
        said[0]["ends_at"], wrap_up["ends_at"],
        "the wrap-up's end does not move"
    );
    let left = |m: &Value| m["ends_in_ms"].as_u64().unwrap();
    assert!(
        left(&said[0]) < left(&wrap_up),
        "what is left of the wrap-up counts down: {} ms, then {} ms",
        left(&wrap_up),
        left(&said[0])
    );
    assert_eq!(said[1]["state"], "wrap_up");
    assert_eq!(
        said[1]["detail"],
        "Your after-call work is waiting for you: connect your audio (send media_offer)."
    );

    // Until the audio is back, no calls: availability waits.
    again
        .send(serde_json::json!({"type": "set_availability", "available": true}))
        .await;
    let refused = again.expect("error").await;
    assert_eq!(
        refused["message"],
        "Your audio is reconnecting; you can become available once it is back."
    );
    again.connect_audio(ALICE_HZ).await;
    again
        .expect_where("agent_state", |v| {
            v["state"] == "wrap_up" && v["detail"] == "You are logged in and wrapping up a call."
        })
        .await;
    again.set_available(true).await;
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_after_the_wrap_up_note_was_saved_says_so_instead_of_offering_the_form_again() {
    let world = World::start(Options {
        wrap_up_secs: 60,
        ..Options::default()
    })
    .await;
    world.link("alice", "alice.agent").await;
    let mut alice = world.agent("alice", ALICE_HZ, true).await;
    let (call, _) = a_call_into_wrap_up(&world, &mut alice).await;
    // The note goes to the call's Case: wait until it exists.
    let case_shown =
        |m: &Value| m["type"] == "crm" && m["notice"]["type"] == "show_case" && m["call"] == call;
    if !alice.seen.iter().any(case_shown) {
        alice
            .expect_where("crm", |m| m["notice"]["type"] == "show_case")
            .await;
    }
    alice
        .send(serde_json::json!({
            "type": "submit_wrap_up", "call": call, "disposition": null, "notes": "Router replaced."
        }))
        .await;
    let written = alice
        .expect_where("wrap_up_status", |m| m["status"] == "written")
        .await;

    // The page reloads during the rest of the after-call work.
    alice.close().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut again = world.connect("alice").await;
    let said = again.greeting().await;
    let types: Vec<&str> = said.iter().map(|m| m["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        ["wrap_up", "wrap_up_status", "agent_state"],
        "{said:#?}"
    );
    assert_eq!(said[1]["call"], call.as_str());
    assert_eq!(said[1]["status"], "written");
    assert_eq!(said[1]["detail"], written["detail"]);
    // A second submission is refused, as before the reload.
    again
        .send(serde_json::json!({
            "type": "submit_wrap_up", "call": call, "disposition": null, "notes": "again"
        }))
        .await;
    again.expect("error").await;
    world.stop().await;
}

/// A customer's one-second call that `alice` answers; when it ends she is in after-call work
/// (the world's queues have it). The call id and its `wrap_up` message.
async fn a_call_into_wrap_up(world: &World, alice: &mut Agent) -> (String, Value) {
    let (sipp, call) = world
        .answered_call(alice, "customer_calls.xml", Duration::from_millis(1_000))
        .await;
    sipp.success().await;
    alice
        .expect_where("agent_state", |v| v["state"] == "wrap_up")
        .await;
    let wrap_up = alice.expect("wrap_up").await;
    assert_eq!(wrap_up["call"], call.as_str());
    (call, wrap_up)
}

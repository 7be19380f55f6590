//! A call in progress survives the agent's softphone going away (`docs/softphone-protocol.md`,
//! "A call survives a lost softphone"), over the real WebSocket with a real call: sipp as the
//! customer, str0m softphones as the agent's audio. A reconnect within the grace period gets
//! `call_snapshot` and its new audio session hears the customer again; the customer's call is
//! never dropped (sipp fails on an unexpected BYE); after the grace period, or when the
//! customer hangs up meanwhile, the next connection is told how the call ended.

mod support;

use std::time::{Duration, Instant};

use callbridge_audio::{tone_spans, DetectOptions};
use serde_json::Value;
use support::*;

/// Asserts the agent's new audio session hears the customer's tone.
async fn hears_the_customer(agent: &Agent, since: Instant) {
    let mut heard = Vec::new();
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        heard = agent.phone().samples_since(since);
        if !tone_spans(&heard, 8000, CUSTOMER_HZ, &DetectOptions::default()).is_empty() {
            return;
        }
    }
    panic!(
        "{} does not hear the customer's {CUSTOMER_HZ} Hz tone ({} samples)",
        agent.name,
        heard.len()
    );
}

/// The messages after `welcome` up to and including the first `agent_state`.
async fn greeting(agent: &mut Agent) -> Vec<Value> {
    let mut got = Vec::new();
    loop {
        let message = agent.next().await.expect("the connection goes on");
        let done = message["type"] == "agent_state";
        got.push(message);
        if done {
            return got;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_during_a_call_gets_the_snapshot_and_the_audio_back_and_the_customer_stays() {
    let world = World::start(Options {
        music: true,
        ..Options::default()
    })
    .await;
    let mut alice = world.agent("alice", ALICE_HZ, true).await;
    // The customer talks for 9 s and then hangs up themselves: an early BYE from us fails sipp.
    let sipp = Sipp::customer(
        world.sip,
        &scenario("customer_calls.xml"),
        CUSTOMER_HZ,
        Duration::from_millis(9_000),
        1,
    );
    let call = alice.ringing().await;
    let answered = Instant::now();
    alice.answer(&call).await;
    hears_the_customer(&alice, answered).await;

    // The page reloads: the socket closes, the audio session with it.
    alice.close().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut again = world.connect("alice").await;
    let said = greeting(&mut again).await;
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
    hears_the_customer(&again, reconnected).await;

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
    let sipp = Sipp::customer(
        world.sip,
        &scenario("customer_calls.xml"),
        CUSTOMER_HZ,
        Duration::from_millis(8_000),
        1,
    );
    let call = first.ringing().await;
    first.answer(&call).await;

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
    let said = greeting(&mut second).await;
    assert_eq!(said[0]["type"], "call_snapshot", "{said:#?}");
    assert_eq!(said[0]["call"], call.as_str());
    assert!(!said.iter().any(|m| m["type"] == "call_ended"), "{said:#?}");
    let moved = Instant::now();
    second.connect_audio(ALICE_HZ).await;
    hears_the_customer(&second, moved).await;
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
    let sipp = Sipp::customer(
        world.sip,
        &scenario("customer_calls.xml"),
        CUSTOMER_HZ,
        Duration::from_millis(2_500),
        1,
    );
    let call = alice.ringing().await;
    alice.answer(&call).await;
    alice.close().await;
    // The customer hangs up while the softphone is away.
    sipp.success().await;
    let mut again = world.connect("alice").await;
    let said = greeting(&mut again).await;
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
    let sipp = Sipp::customer(
        world.sip,
        &scenario("customer_waits_for_bye.xml"),
        CUSTOMER_HZ,
        Duration::ZERO,
        1,
    );
    let call = alice.ringing().await;
    alice.answer(&call).await;
    let lost_at = Instant::now();
    alice.close().await;
    sipp.success().await;
    let waited = lost_at.elapsed();
    assert!(
        waited >= Duration::from_secs(19),
        "the call waited for the grace period, not {waited:?}"
    );
    let mut again = world.connect("alice").await;
    let said = greeting(&mut again).await;
    assert_eq!(said[0]["type"], "call_ended", "{said:#?}");
    assert_eq!(said[0]["cause"], "agent_lost");
    assert_eq!(said[1]["state"], "offline");
    let record = world.call_record(&call).await;
    assert_eq!(record.outcome, "answered");
    world.stop().await;
}

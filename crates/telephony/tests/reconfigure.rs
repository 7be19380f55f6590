//! Telephony reconfigured while a call runs, over real SIP (sipp as the carrier) and real
//! WebRTC softphones: a number the new settings add answers, a number they remove is refused,
//! and the call in progress is not touched.

mod support;

use std::time::Duration;

use support::*;

/// The number the new settings add, routed to the "sales" queue (bob serves it, alice does not).
const NEW_DID: &str = "+81312345999";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_added_live_answers_a_removed_one_gets_404_and_the_call_in_progress_goes_on() {
    let world = World::start(Options::default()).await;
    let mut alice = world.agent("alice", ALICE_HZ, true).await;
    let mut bob = world.agent("bob", BOB_HZ, false).await;
    // A customer on the configured number talks to alice for a while.
    let (first, first_call) = world
        .answered_call(&mut alice, "customer_calls.xml", Duration::from_secs(6))
        .await;

    // New settings: the configured number goes; a new one rings the sales queue.
    let old_route = format!("did = \"{DID}\"\nqueue = \"support\"");
    assert!(world.config_text.contains(&old_route), "the route to edit");
    let text = world.config_text.replace(
        &old_route,
        &format!("did = \"{NEW_DID}\"\nqueue = \"sales\""),
    );
    let config = world.parse_config(&text);
    let applied = world.telephony.handle().reconfigure(&config).await.unwrap();
    assert_eq!(applied.numbers, 1);
    assert_eq!(applied.queues, 2);
    assert_eq!(applied.agents, 2);
    assert_eq!(applied.calls_in_progress, 1);
    assert_eq!(applied.calls_turned_away, 0);
    assert!(applied.restart_needed.is_empty(), "{applied:?}");

    // The removed number: 404, before any media is set up.
    Sipp::refused_customer(world.sip, "127.0.0.1", DID.trim_start_matches('+'), 0, 404)
        .success()
        .await;

    // The added number rings bob in sales.
    bob.set_available(true).await;
    let second = Sipp::customer_dialling(
        world.sip,
        NEW_DID,
        &scenario("customer_calls.xml"),
        CUSTOMER_HZ,
        Duration::from_millis(500),
        1,
    );
    let second_call = bob.ringing().await;
    let ring = bob.seen.last().unwrap().clone();
    assert_eq!(ring["queue"], "sales", "{ring}");
    bob.answer(&second_call).await;
    second.success().await;
    let record = world.call_record(&second_call).await;
    assert_eq!(record.outcome, "answered");
    assert_eq!(record.queue.as_deref(), Some("sales"));

    // Alice's call went on through all of it and ended when the customer hung up.
    first.success().await;
    let record = world.call_record(&first_call).await;
    assert_eq!(record.outcome, "answered");
    let full: serde_json::Value = serde_json::from_str(&record.record).unwrap();
    assert_eq!(full["end_cause"], "customer_hung_up", "{full}");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_with_a_mistake_change_nothing() {
    let world = World::start(Options::default()).await;
    let mut alice = world.agent("alice", ALICE_HZ, true).await;
    // A music file that is no WAV: the reader finds the file, the media engine cannot play it.
    std::fs::write(
        world.dir.path().join("notes.wav"),
        "meeting notes, not audio",
    )
    .unwrap();
    let text = world.config_text.replace(
        "id = \"sales\"\nwaiting = \"music\"",
        "id = \"sales\"\nwaiting = \"music\"\nmusic = \"notes.wav\"",
    );
    assert_ne!(text, world.config_text, "the queue to edit");
    let config = world.parse_config(&text);
    let err = world
        .telephony
        .handle()
        .reconfigure(&config)
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("queue sales"), "{message}");
    assert!(message.contains("notes.wav"), "{message}");
    // The configured number still answers.
    let (sipp, call) = world
        .answered_call(&mut alice, "customer_calls.xml", Duration::from_millis(300))
        .await;
    sipp.success().await;
    assert_eq!(world.call_record(&call).await.outcome, "answered");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_softphone_is_told_its_new_queues_and_the_next_one_is_welcomed_with_them() {
    let world = World::start(Options::default()).await;
    let mut alice = world.connect("alice").await;
    let mut bob = world.connect("bob").await;
    let before = "name = \"alice\"\nqueues = [\"support\"]";
    assert!(world.config_text.contains(before), "the agent to edit");
    let text = world.config_text.replace(
        before,
        "name = \"alice\"\nqueues = [\"sales\", \"support\"]",
    );
    world
        .telephony
        .handle()
        .reconfigure(&world.parse_config(&text))
        .await
        .unwrap();
    let news = alice.expect("queues").await;
    assert_eq!(
        news,
        serde_json::json!({"type": "queues", "queues": ["sales", "support"]})
    );
    // Bob's queues did not change: no news for him (his pong comes, nothing before it).
    bob.send(serde_json::json!({"type": "ping"})).await;
    bob.expect("pong").await;
    assert!(
        bob.seen.iter().all(|m| m["type"] != "queues"),
        "{:#?}",
        bob.seen
    );
    // The same settings again: no news.
    world
        .telephony
        .handle()
        .reconfigure(&world.parse_config(&text))
        .await
        .unwrap();
    alice.send(serde_json::json!({"type": "ping"})).await;
    alice.expect("pong").await;
    assert_eq!(
        alice.seen.iter().filter(|m| m["type"] == "queues").count(),
        1,
        "{:#?}",
        alice.seen
    );
    // A new connection is welcomed with the new list.
    let again = world.connect("alice").await;
    assert_eq!(
        again.seen[0]["queues"],
        serde_json::json!(["sales", "support"])
    );
    world.stop().await;
}

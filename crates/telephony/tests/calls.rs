//! Whole calls through real peers: sipp as the carrier, str0m softphones as agents, the real
//! softphone WebSocket, the switchboard, the media relay, the recorder and the integration
//! engine.

mod support;

use std::time::{Duration, Instant};

use callbridge_audio::{tone_spans, DetectOptions};
use support::*;

fn wav_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(wav_files(&path));
        } else if path.extension().is_some_and(|e| e == "wav") {
            found.push(path);
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbound_call_rings_an_agent_is_bridged_recorded_and_ends_when_the_customer_hangs_up() {
    if !have_sipp() {
        panic!("sipp is required: apt-get install sip-tester");
    }
    let world = World::start(Options::default()).await;
    let mut alice = world.agent("alice", ALICE_HZ, true).await;
    let talk_ms = 3000u64;
    let sipp = Sipp::customer(
        world.sip,
        &scenario("customer_calls.xml"),
        CUSTOMER_HZ,
        Duration::from_millis(talk_ms),
        1,
    );
    let call = alice.ringing().await;
    let ring = alice.seen.last().unwrap().clone();
    assert_eq!(
        ring["customer"], CALLER,
        "the caller's number reaches the softphone"
    );
    assert_eq!(ring["queue"], "support");
    let answered_at = Instant::now();
    alice.answer(&call).await;

    // The agent hears the customer's tone through the relay.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let heard = alice
        .phone()
        .samples_since(answered_at + Duration::from_millis(500));
    let spans = tone_spans(&heard, 8000, CUSTOMER_HZ, &DetectOptions::default());
    assert!(
        !spans.is_empty(),
        "alice hears the customer's {CUSTOMER_HZ} Hz tone"
    );

    sipp.success().await;
    let ended = alice
        .expect_where("agent_state", |v| v["state"] == "available")
        .await;
    assert_eq!(ended["call"], serde_json::Value::Null);

    // The call's record.
    let record = world
        .server
        .store
        .call_record(TENANT, &call)
        .await
        .unwrap()
        .expect("a call record");
    assert_eq!(record.outcome, "answered");
    assert_eq!(record.first_agent.as_deref(), Some("alice"));
    assert_eq!(record.customer, CALLER);

    // The recording: customer left, agent right, about as long as the conversation.
    let dir = world.recordings_dir();
    eventually("the recording is stored", Duration::from_secs(10), || {
        let found = !wav_files(&dir).is_empty();
        async move { found }
    })
    .await;
    let files = wav_files(&dir);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].to_string_lossy().contains(&call));
    let audio = callbridge_audio::read_wav(&files[0]).unwrap();
    assert_eq!(audio.rate, 8000);
    assert_eq!(audio.channels.len(), 2);
    let seconds = audio.channels[0].len() as f64 / 8000.0;
    let expected = talk_ms as f64 / 1000.0;
    assert!(
        (seconds - expected).abs() < 0.6,
        "recording lasts {seconds:.2} s, the conversation about {expected:.2} s"
    );
    let left_customer = tone_spans(
        &audio.channels[0],
        8000,
        CUSTOMER_HZ,
        &DetectOptions::default(),
    );
    let right_agent = tone_spans(
        &audio.channels[1],
        8000,
        ALICE_HZ,
        &DetectOptions::default(),
    );
    assert!(
        !left_customer.is_empty(),
        "customer's tone in the left channel"
    );
    assert!(!right_agent.is_empty(), "agent's tone in the right channel");
    assert!(
        tone_spans(
            &audio.channels[0],
            8000,
            ALICE_HZ,
            &DetectOptions::default()
        )
        .is_empty(),
        "no agent audio on the left"
    );
    assert!(
        tone_spans(
            &audio.channels[1],
            8000,
            CUSTOMER_HZ,
            &DetectOptions::default()
        )
        .is_empty(),
        "no customer audio on the right"
    );
    alice.close().await;
    world.stop().await;
}

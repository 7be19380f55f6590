//! baresip as a real remote phone (issue 4): a SIP user agent we did not write, answering and
//! placing calls over UDP on loopback with PCMU, playing a tone file and recording what it
//! hears. Both directions are checked end to end: the agent (a str0m softphone over the real
//! softphone WebSocket) and baresip each hear the other's tone, the call's stereo recording
//! has baresip on the left and the agent on the right, and the hang-up reaches the other side.
//!
//! baresip must be installed (`scripts/install-test-peers`); these tests fail, never skip,
//! without it.

mod support;

#[path = "baresip/ctrl.rs"]
mod ctrl;
#[path = "baresip/phone.rs"]
mod phone;

use std::time::{Duration, Instant};

use callbridge_audio::{tone_spans, DetectOptions, Span};
use phone::Baresip;
use serde_json::{json, Value};
use support::*;

/// How long the two sides talk before someone hangs up.
const TALK: Duration = Duration::from_millis(2500);

fn spans(samples: &[i16], hz: f64) -> Vec<Span> {
    tone_spans(samples, 8000, hz, &DetectOptions::default())
}

/// Total time `hz` is present in `samples`.
fn tone_time(samples: &[i16], hz: f64) -> Duration {
    spans(samples, hz).iter().map(Span::duration).sum()
}

fn seconds(samples: &[i16]) -> f64 {
    samples.len() as f64 / 8000.0
}

/// The agent hears baresip's tone, and not their own.
fn assert_agent_hears_baresip(agent: &Agent, since: Instant) {
    let heard = agent.phone().samples_since(since);
    assert!(
        seconds(&heard) >= 1.0,
        "the agent received {:.2} s of audio",
        seconds(&heard)
    );
    let customer = tone_time(&heard, CUSTOMER_HZ);
    assert!(
        customer.as_secs_f64() >= 0.8 * seconds(&heard),
        "the agent hears baresip's {CUSTOMER_HZ} Hz tone most of the time: {customer:?} of \
         {:.2} s ({:?})",
        seconds(&heard),
        spans(&heard, CUSTOMER_HZ)
    );
    assert!(
        spans(&heard, ALICE_HZ).is_empty(),
        "the agent's own tone does not come back"
    );
}

/// baresip heard the agent's tone for most of the call, and not its own, in PCMU both ways.
async fn assert_baresip_heard_agent(phone: &Baresip) {
    let codecs = phone.codecs_used();
    assert!(
        codecs.len() == 2 && codecs.iter().all(|codec| codec == "PCMU 8000Hz 1ch"),
        "baresip encoded and decoded PCMU, and nothing else: {codecs:?}"
    );
    let heard = phone.heard().await;
    let agent = tone_time(&heard, ALICE_HZ);
    assert!(
        agent >= TALK.mul_f64(0.7),
        "baresip heard the agent's {ALICE_HZ} Hz tone for {agent:?} of a {TALK:?} call \
         ({:.2} s recorded: {:?})",
        seconds(&heard),
        spans(&heard, ALICE_HZ)
    );
    assert!(
        spans(&heard, CUSTOMER_HZ).is_empty(),
        "baresip's own tone does not come back to it"
    );
}

/// The call's one recording: baresip (the customer) left, the agent right, as long as the
/// conversation the call record measured.
async fn assert_call_recording(world: &World, call: &str, talk_ms: u64) {
    let dir = world.recordings_dir();
    eventually("the recording is stored", Duration::from_secs(10), || {
        let found = !wav_files(&dir).is_empty();
        async move { found }
    })
    .await;
    let files = wav_files(&dir);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].to_string_lossy().contains(call), "{files:?}");
    let audio = callbridge_audio::read_wav(&files[0]).unwrap();
    assert_eq!(audio.rate, 8000);
    assert_eq!(audio.channels.len(), 2);
    let (left, right) = (&audio.channels[0], &audio.channels[1]);
    let recorded = seconds(left);
    let talked = talk_ms as f64 / 1000.0;
    assert!(
        (recorded - talked).abs() < 0.1,
        "the recording lasts {recorded:.3} s, the call record says {talked:.3} s of talk"
    );
    let customer = tone_time(left, CUSTOMER_HZ);
    let agent = tone_time(right, ALICE_HZ);
    assert!(
        customer.as_secs_f64() >= 0.7 * recorded,
        "baresip's tone fills the left channel: {customer:?} of {recorded:.2} s"
    );
    assert!(
        agent.as_secs_f64() >= 0.7 * recorded,
        "the agent's tone fills the right channel: {agent:?} of {recorded:.2} s"
    );
    assert!(
        spans(left, ALICE_HZ).is_empty(),
        "no agent audio on the left"
    );
    assert!(
        spans(right, CUSTOMER_HZ).is_empty(),
        "no customer audio on the right"
    );
}

/// The stored call-detail record, once written.
async fn call_record(world: &World, call: &str) -> (callbridge_store::CallRecordRow, Value) {
    let record = world.call_record(call).await;
    let full: Value = serde_json::from_str(&record.record).unwrap();
    (record, full)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn click_to_dial_reaches_baresip_which_answers_hears_the_agent_and_gets_the_bye() {
    let mut phone = Baresip::start(CALLER, CUSTOMER_HZ).await;
    let world = World::start(Options {
        trunk: Some(phone.sip),
        ..Options::default()
    })
    .await;
    let mut alice = world.agent("alice", ALICE_HZ, true).await;

    alice
        .send(json!({ "type": "dial", "number": "090-1234-5678" }))
        .await;
    let dialing = alice
        .expect_where("agent_state", |v| v["state"] == "dialing")
        .await;
    let call = dialing["call"].as_str().unwrap().to_string();
    let answered = phone
        .ctrl
        .expect_call_event("CALL_ESTABLISHED", Duration::from_secs(10))
        .await;
    assert_eq!(answered["direction"], "incoming", "{answered}");
    assert!(
        answered["peeruri"]
            .as_str()
            .is_some_and(|uri| uri.contains("+81312345000")),
        "baresip sees the tenant's caller ID: {answered}"
    );
    alice
        .expect_where("agent_state", |v| v["state"] == "on_call")
        .await;
    let connected = Instant::now();

    tokio::time::sleep(TALK).await;
    assert_agent_hears_baresip(&alice, connected + Duration::from_millis(300));

    alice.send(json!({ "type": "hang_up", "call": call })).await;
    let closed = phone
        .ctrl
        .expect_call_event("CALL_CLOSED", Duration::from_secs(5))
        .await;
    assert_eq!(closed["direction"], "incoming", "{closed}");
    // baresip's SIP stack reports a session ended by the peer's BYE as ECONNRESET.
    assert_eq!(
        closed["param"], "Connection reset by peer",
        "baresip's call ended by a BYE: {closed}"
    );
    alice
        .expect_where("agent_state", |v| v["state"] == "available")
        .await;

    let (record, full) = call_record(&world, &call).await;
    assert_eq!(record.outcome, "answered", "{full}");
    assert_eq!(record.direction, "outbound");
    assert_eq!(record.customer, CALLER);
    assert_eq!(full["end_cause"], "agent_hung_up", "{full}");

    assert_baresip_heard_agent(&phone).await;
    assert_call_recording(&world, &call, full["talk_ms"].as_u64().unwrap()).await;

    alice.close().await;
    phone.stop().await;
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_calls_the_did_the_agent_answers_and_baresip_hangs_up() {
    let mut phone = Baresip::start(CALLER, CUSTOMER_HZ).await;
    let world = World::start(Options::default()).await;
    let mut alice = world.agent("alice", ALICE_HZ, true).await;

    let target = format!("sip:{DID}@{}", world.sip);
    phone.ctrl.command("dial", &target).await;
    let call = alice.ringing().await;
    let ring = alice.seen.last().unwrap().clone();
    assert_eq!(
        ring["customer"], CALLER,
        "baresip's number reaches the agent"
    );
    assert_eq!(ring["queue"], "support");
    alice.answer(&call).await;
    let connected = Instant::now();
    let established = phone
        .ctrl
        .expect_call_event("CALL_ESTABLISHED", Duration::from_secs(10))
        .await;
    assert_eq!(established["direction"], "outgoing", "{established}");

    tokio::time::sleep(TALK).await;
    assert_agent_hears_baresip(&alice, connected + Duration::from_millis(300));

    phone.ctrl.command("hangup", "").await;
    phone
        .ctrl
        .expect_call_event("CALL_CLOSED", Duration::from_secs(5))
        .await;
    let ended = alice
        .expect_where("agent_state", |v| v["state"] == "available")
        .await;
    assert_eq!(ended["call"], Value::Null);

    let (record, full) = call_record(&world, &call).await;
    assert_eq!(record.outcome, "answered", "{full}");
    assert_eq!(record.direction, "inbound");
    assert_eq!(record.customer, CALLER);
    assert_eq!(record.first_agent.as_deref(), Some("alice"));
    assert_eq!(full["end_cause"], "customer_hung_up", "{full}");

    assert_baresip_heard_agent(&phone).await;
    assert_call_recording(&world, &call, full["talk_ms"].as_u64().unwrap()).await;

    alice.close().await;
    phone.stop().await;
    world.stop().await;
}

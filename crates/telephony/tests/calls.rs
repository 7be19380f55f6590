//! Whole calls through real peers: sipp as the carrier, str0m softphones as agents, the real
//! softphone WebSocket, the switchboard, the media relay, the recorder and the integration
//! engine.

mod support;

use std::time::{Duration, Instant};

use callbridge_audio::{tone_spans, DetectOptions};
use support::*;

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
    let record = world.call_record(&call).await;
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
    // The recording page finds it in the store, with its waveform beside it.
    eventually("the recording's row and peaks", Duration::from_secs(5), || {
        let store = world.server.store.clone();
        let call = call.clone();
        let peaks = std::path::PathBuf::from(format!("{}.peaks.json", files[0].display()));
        async move {
            matches!(store.recording(TENANT, &call).await, Ok(Some(r)) if r.removed_at.is_none())
                && peaks.exists()
        }
    })
    .await;
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

fn spans(samples: &[i16], hz: f64) -> Vec<callbridge_audio::Span> {
    tone_spans(samples, 8000, hz, &DetectOptions::default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_hangs_up_and_the_customer_gets_a_bye() {
    let world = World::start(Options::default()).await;
    let mut alice = world.agent("alice", ALICE_HZ, true).await;
    let sipp = Sipp::customer(
        world.sip,
        &scenario("customer_waits_for_bye.xml"),
        CUSTOMER_HZ,
        Duration::ZERO,
        1,
    );
    let call = alice.ringing().await;
    alice.answer(&call).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    alice
        .send(serde_json::json!({ "type": "hang_up", "call": call }))
        .await;
    sipp.success().await;
    alice
        .expect_where("agent_state", |v| v["state"] == "available")
        .await;
    let record = world.call_record(&call).await;
    assert_eq!(record.outcome, "answered");
    let full: serde_json::Value = serde_json::from_str(&record.record).unwrap();
    assert_eq!(full["end_cause"], "agent_hung_up", "{full}");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_nobody_answers_moves_to_the_next_agent_and_the_first_is_paused() {
    let world = World::start(Options {
        ring_timeout_secs: 5,
        ..Options::default()
    })
    .await;
    // Alice became available first, so she has idled longest and rings first.
    let mut alice = world.agent("alice", ALICE_HZ, true).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut bob = world.agent("bob", BOB_HZ, true).await;
    let sipp = Sipp::customer(
        world.sip,
        &scenario("customer_calls.xml"),
        CUSTOMER_HZ,
        Duration::from_millis(1500),
        1,
    );
    let call = alice.ringing().await;
    let bobs = bob.ringing().await;
    assert_eq!(call, bobs, "the same call moves on");
    let stopped = alice.expect("call_status").await;
    assert_eq!(stopped["status"], "ring_stopped");
    assert_eq!(stopped["reason"], "not_answered");
    // The pause says why, for programs and in words.
    let paused = alice
        .expect_where("agent_state", |v| v["state"] == "unavailable")
        .await;
    assert_eq!(
        paused["reason"],
        serde_json::json!({ "kind": "missed_call" })
    );
    assert!(
        paused["detail"]
            .as_str()
            .unwrap()
            .contains("You missed a call from +819012345678"),
        "{paused}"
    );
    bob.answer(&call).await;
    let ended = bob.expect("call_ended").await;
    assert_eq!(ended["call"], call.as_str());
    assert_eq!(ended["cause"], "customer_hung_up");
    sipp.success().await;
    let record = world.call_record(&call).await;
    assert_eq!(record.first_agent.as_deref(), Some("bob"));
    let full: serde_json::Value = serde_json::from_str(&record.record).unwrap();
    let offers = full["offers"].as_array().unwrap();
    assert_eq!(offers.len(), 2, "{full}");
    assert_eq!(offers[0]["agent"], "demo:alice");
    assert_eq!(offers[1]["agent"], "demo:bob");
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_who_gives_up_while_it_rings_is_recorded_as_abandoned() {
    let world = World::start(Options::default()).await;
    let mut alice = world.agent("alice", ALICE_HZ, true).await;
    let sipp = Sipp::customer(
        world.sip,
        &scenario("customer_gives_up.xml"),
        CUSTOMER_HZ,
        Duration::from_millis(700),
        1,
    );
    let call = alice.ringing().await;
    sipp.success().await;
    let stopped = alice.expect("call_status").await;
    assert_eq!(stopped["status"], "ring_stopped");
    assert_eq!(stopped["detail"], "The caller hung up.");
    alice
        .expect_where("agent_state", |v| v["state"] == "available")
        .await;
    let record = world.call_record(&call).await;
    assert_eq!(record.outcome, "abandoned");
    assert!(
        wav_files(&world.recordings_dir()).is_empty(),
        "nothing to record"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blind_transfer_moves_the_customer_to_another_agent_and_keeps_one_recording() {
    let world = World::start(Options::default()).await;
    let mut alice = world.agent("alice", ALICE_HZ, true).await;
    let sipp = Sipp::customer(
        world.sip,
        &scenario("customer_calls.xml"),
        CUSTOMER_HZ,
        Duration::from_millis(4000),
        1,
    );
    let call = alice.ringing().await;
    alice.answer(&call).await;
    let mut bob = world.agent("bob", BOB_HZ, true).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    alice
        .send(serde_json::json!({ "type": "transfer", "call": call, "to": { "agent": "bob" } }))
        .await;
    let ring = bob.expect("ringing").await;
    assert_eq!(ring["call"], call.as_str(), "the call keeps its id");
    assert_eq!(ring["transferred_by"], "alice");
    let answered = Instant::now();
    bob.answer(&call).await;
    alice
        .expect_where("agent_state", |v| v["state"] == "available")
        .await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let heard = bob
        .phone()
        .samples_since(answered + Duration::from_millis(300));
    assert!(
        !spans(&heard, CUSTOMER_HZ).is_empty(),
        "bob hears the customer"
    );
    sipp.success().await;

    let dir = world.recordings_dir();
    eventually("the recording is stored", Duration::from_secs(10), || {
        let found = !wav_files(&dir).is_empty();
        async move { found }
    })
    .await;
    let files = wav_files(&dir);
    assert_eq!(
        files.len(),
        1,
        "one recording for the whole call: {files:?}"
    );
    let audio = callbridge_audio::read_wav(&files[0]).unwrap();
    let right = &audio.channels[1];
    let alice_spans = spans(right, ALICE_HZ);
    let bob_spans = spans(right, BOB_HZ);
    assert!(
        !alice_spans.is_empty() && !bob_spans.is_empty(),
        "both agents on the right"
    );
    assert!(
        alice_spans.last().unwrap().end
            <= bob_spans.first().unwrap().start + Duration::from_millis(100),
        "alice before bob: {alice_spans:?} {bob_spans:?}"
    );
    let record = world.call_record(&call).await;
    assert_eq!(record.first_agent.as_deref(), Some("alice"));
    assert_eq!(record.last_agent.as_deref(), Some("bob"));
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn click_to_dial_reaches_the_customer_through_the_trunk_with_the_tenants_caller_id() {
    let port = free_port();
    let carrier = Sipp::carrier(port, &scenario("carrier_answers.xml"), 1);
    let world = World::start(Options {
        trunk: Some(format!("127.0.0.1:{port}").parse().unwrap()),
        ..Options::default()
    })
    .await;
    let mut alice = world.agent("alice", ALICE_HZ, true).await;
    alice
        .send(serde_json::json!({ "type": "dial", "number": "090-1234-5678" }))
        .await;
    let dialing = alice
        .expect_where("agent_state", |v| v["state"] == "dialing")
        .await;
    let call = dialing["call"].as_str().unwrap().to_string();
    let connected = Instant::now();
    alice
        .expect_where("agent_state", |v| v["state"] == "on_call")
        .await;
    // sipp echoes what it receives: alice hears her own tone come back over the trunk.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let heard = alice
        .phone()
        .samples_since(connected + Duration::from_millis(300));
    assert!(
        !spans(&heard, ALICE_HZ).is_empty(),
        "the trunk leg carries audio both ways"
    );
    alice
        .send(serde_json::json!({ "type": "hang_up", "call": call }))
        .await;
    carrier.success().await;
    let record = world.call_record(&call).await;
    assert_eq!(record.direction, "outbound");
    assert_eq!(
        record.customer, "+819012345678",
        "the typed national number, in E.164"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_line_is_told_to_the_agent_in_words() {
    let port = free_port();
    let carrier = Sipp::carrier(port, &scenario("carrier_busy.xml"), 1);
    let world = World::start(Options {
        trunk: Some(format!("127.0.0.1:{port}").parse().unwrap()),
        ..Options::default()
    })
    .await;
    let mut alice = world.agent("alice", ALICE_HZ, true).await;
    alice
        .send(serde_json::json!({ "type": "dial", "number": "+81 90 1234 5678" }))
        .await;
    let told = alice
        .expect_where("agent_state", |v| {
            v["detail"].as_str().is_some_and(|d| d.contains("busy"))
        })
        .await;
    assert!(
        told["detail"]
            .as_str()
            .unwrap()
            .contains("The line is busy."),
        "{told}"
    );
    carrier.success().await;
    alice
        .send(serde_json::json!({ "type": "dial", "number": "12;DROP" }))
        .await;
    let refused = alice.expect("error").await;
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("cannot be dialled"),
        "{refused}"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_agent_gets_the_screen_pop_and_one_case_with_the_permanent_recording_link() {
    let world = World::start(Options::default()).await;
    world.link("alice", "alice.agent").await;
    let mut alice = world.agent("alice", ALICE_HZ, true).await;
    let sipp = Sipp::customer(
        world.sip,
        &scenario("customer_calls.xml"),
        CUSTOMER_HZ,
        Duration::from_millis(2500),
        1,
    );
    let call = alice.ringing().await;
    let pop = alice
        .expect_where("crm", |v| v["notice"]["type"] == "screen_pop")
        .await;
    assert_eq!(pop["call"], call.as_str());
    assert_eq!(pop["notice"]["contact"]["name"], "Haruto Tanaka", "{pop}");
    alice.answer(&call).await;
    let shown = alice
        .expect_where("crm", |v| v["notice"]["type"] == "show_case")
        .await;
    let number = shown["notice"]["case"]["label"]
        .as_str()
        .unwrap()
        .to_string();
    sipp.success().await;
    eventually("the Case in the CRM", Duration::from_secs(10), || {
        let cases = world.cases_for(&call);
        async move { cases.await.len() == 1 }
    })
    .await;
    let cases = world.cases_for(&call).await;
    assert_eq!(cases.len(), 1, "exactly one Case for the call");
    let case = &cases[0];
    assert_eq!(case["number"], number.as_str());
    assert_eq!(
        case["u_recording_url"],
        format!("{}/recordings/{call}", world.public_url),
        "the Case holds the permanent link"
    );
    assert_eq!(case["u_caller_number"], CALLER);
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_case_is_created_when_the_first_agent_has_no_crm_link_even_after_a_transfer() {
    let world = World::start(Options::default()).await;
    world.link("bob", "bob.agent").await;
    let mut alice = world.agent("alice", ALICE_HZ, true).await;
    let sipp = Sipp::customer(
        world.sip,
        &scenario("customer_calls.xml"),
        CUSTOMER_HZ,
        Duration::from_millis(4000),
        1,
    );
    let call = alice.ringing().await;
    alice.answer(&call).await;
    let mut bob = world.agent("bob", BOB_HZ, true).await;
    alice
        .send(serde_json::json!({ "type": "transfer", "call": call, "to": { "agent": "bob" } }))
        .await;
    bob.expect("ringing").await;
    bob.answer(&call).await;
    sipp.success().await;
    world.call_record(&call).await;
    // Case creation waits up to contact_wait_secs (1 s) for a contact; give it well over that.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        world.cases_for(&call).await.is_empty(),
        "the first agent who answered had no CRM link: no Case"
    );
    assert!(
        !bob.seen.iter().any(|m| m["notice"]["type"] == "show_case"),
        "bob is not shown a Case: {:?}",
        bob.seen
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_that_must_not_be_taken_are_refused_with_the_right_status() {
    let world = World::start(Options::default()).await;
    let _alice = world.agent("alice", ALICE_HZ, true).await;
    let did = DID.trim_start_matches('+');
    // Not one of the tenant's carriers (its allow-list is 127.0.0.1 only).
    Sipp::refused_customer(world.sip, "127.0.0.2", did, 0, 403)
        .success()
        .await;
    // A number nobody routes.
    Sipp::refused_customer(world.sip, "127.0.0.1", "15559999999", 0, 404)
        .success()
        .await;
    // An offer without PCMU.
    Sipp::refused_customer(world.sip, "127.0.0.1", did, 8, 488)
        .success()
        .await;
    // None of them reached an agent or left a call behind.
    assert!(world
        .server
        .store
        .recent_call_records(TENANT, 10)
        .await
        .unwrap()
        .is_empty());
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_waits_with_music_and_is_held_and_resumed_by_the_agent() {
    let world = World::start(Options {
        waiting: "music",
        music: true,
        ..Options::default()
    })
    .await;
    // Logged in but away: the call waits in the queue, answered, with music.
    let mut alice = world.agent("alice", ALICE_HZ, false).await;
    let mut wall = world
        .telephony
        .handle()
        .wall()
        .subscribe(&callbridge_core::TenantId::from(TENANT))
        .await
        .expect("the wall runs");
    let sipp = Sipp::customer(
        world.sip,
        &scenario("customer_calls.xml"),
        CUSTOMER_HZ,
        Duration::from_millis(6000),
        1,
    );
    // Timed from when the call is waiting (the wall says so), not from when sipp was started:
    // on a busy machine sipp takes a while to send its INVITE.
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let change = wall.changes.recv().await.expect("the wall goes on");
            if change.contains(r#""queue":"support","waiting":1"#) {
                break;
            }
        }
    })
    .await
    .expect("the call waits in the queue");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    alice.set_available(true).await;
    let call = alice.ringing().await;
    alice.answer(&call).await;
    let talking = Instant::now();
    tokio::time::sleep(Duration::from_millis(900)).await;
    let heard = alice
        .phone()
        .samples_since(talking + Duration::from_millis(200));
    assert!(
        !spans(&heard, CUSTOMER_HZ).is_empty(),
        "alice hears the customer"
    );

    alice
        .send(serde_json::json!({ "type": "hold", "call": call, "on": true }))
        .await;
    let held = Instant::now();
    tokio::time::sleep(Duration::from_millis(900)).await;
    let during_hold = alice
        .phone()
        .samples_since(held + Duration::from_millis(300));
    assert!(
        spans(&during_hold, CUSTOMER_HZ).is_empty(),
        "on hold the agent no longer hears the customer"
    );
    alice
        .send(serde_json::json!({ "type": "hold", "call": call, "on": false }))
        .await;
    let resumed = Instant::now();
    tokio::time::sleep(Duration::from_millis(900)).await;
    let after = alice
        .phone()
        .samples_since(resumed + Duration::from_millis(300));
    assert!(
        !spans(&after, CUSTOMER_HZ).is_empty(),
        "resumed: the customer again"
    );
    sipp.success().await;

    let record = world.call_record(&call).await;
    let full: serde_json::Value = serde_json::from_str(&record.record).unwrap();
    assert!(full["wait_ms"].as_u64().unwrap() >= 1000, "{full}");
    assert_eq!(full["hold_count"], 1, "{full}");
    let dir = world.recordings_dir();
    eventually("the recording is stored", Duration::from_secs(10), || {
        let found = !wav_files(&dir).is_empty();
        async move { found }
    })
    .await;
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recordings_go_to_an_s3_compatible_store_with_an_access_key() {
    let s3 = callbridge_recording::testing::S3Server::start().await;
    let world = World::start(Options {
        s3_endpoint: Some(s3.endpoint.clone()),
        ..Options::default()
    })
    .await;
    let mut alice = world.agent("alice", ALICE_HZ, true).await;
    let sipp = Sipp::customer(
        world.sip,
        &scenario("customer_calls.xml"),
        CUSTOMER_HZ,
        Duration::from_millis(1500),
        1,
    );
    let call = alice.ringing().await;
    alice.answer(&call).await;
    sipp.success().await;
    let bucket = s3.root().join(callbridge_recording::testing::BUCKET);
    eventually(
        "the recording in the bucket",
        Duration::from_secs(15),
        || {
            let found = wav_files(&bucket)
                .iter()
                .any(|f| f.to_string_lossy().contains(&call));
            async move { found }
        },
    )
    .await;
    let object = wav_files(&bucket)
        .into_iter()
        .find(|f| f.to_string_lossy().contains(&call))
        .unwrap();
    let key = object
        .strip_prefix(&bucket)
        .unwrap()
        .to_string_lossy()
        .to_string();
    assert!(
        key.starts_with("cc/demo/"),
        "key = prefix/tenant/date/call: {key}"
    );
    let audio = callbridge_audio::read_wav(&object).unwrap();
    assert!(!spans(&audio.channels[0], CUSTOMER_HZ).is_empty());
    assert!(
        wav_files(&world.dir.path().join("spool")).is_empty(),
        "the spool is emptied once the store has the recording"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_left_by_a_crash_is_repaired_and_stored_at_the_next_start() {
    use callbridge_recording::{Channel, RecordingMeta, RecordingWriter, RtpAudio, Spool};
    let dir = tempfile::tempdir().unwrap();
    let spool = Spool::open(dir.path().join("spool")).unwrap();
    let mut writer = RecordingWriter::create(
        &spool,
        RecordingMeta {
            call_id: "call-before-the-crash".into(),
            tenant: TENANT.into(),
            started_at_unix_ms: 1_795_000_000_000,
        },
    )
    .unwrap();
    let mut tone = callbridge_audio::ToneGenerator::new(CUSTOMER_HZ, 8000.0, 8000);
    for i in 0..150u32 {
        let frame = tone.next_pcmu_frame();
        let packet = RtpAudio {
            ssrc: 7,
            sequence: i as u16,
            timestamp: i * 160,
            payload: &frame,
        };
        writer.push(
            Channel::Customer,
            Duration::from_millis(u64::from(i) * 20),
            packet,
        );
    }
    writer.tick(Duration::from_secs(3)).unwrap();
    // The process dies: no finish, no drop.
    std::mem::forget(writer);

    let world = World::start(Options {
        dir: Some(dir),
        ..Options::default()
    })
    .await;
    let recordings = world.recordings_dir();
    eventually(
        "the repaired recording is stored",
        Duration::from_secs(15),
        || {
            let found = wav_files(&recordings)
                .iter()
                .any(|f| f.to_string_lossy().contains("call-before-the-crash"));
            async move { found }
        },
    )
    .await;
    let file = wav_files(&recordings).into_iter().next().unwrap();
    let audio = callbridge_audio::read_wav(&file).unwrap();
    let seconds = audio.channels[0].len() as f64 / 8000.0;
    assert!(seconds >= 2.0, "most of the 3 s survived: {seconds:.2} s");
    assert!(!spans(&audio.channels[0], CUSTOMER_HZ).is_empty());
    world.stop().await;
}

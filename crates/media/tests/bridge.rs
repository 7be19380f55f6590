//! The relay over loopback: a plain-UDP carrier on the trunk side, the str0m test softphone
//! on the agent side.

mod support;

use std::time::{Duration, Instant};

use callbridge_audio::detect::tone_fraction;
use callbridge_audio::write_tone_wav;
use callbridge_media::testing::{dominant_tone, SoftphoneOptions};
use callbridge_media::{AgentId, CallId, DisconnectReason, MediaError, MediaEvent, Prompt, Side};
use support::*;

const CUSTOMER_HZ: f64 = 700.0;
const AGENT_HZ: f64 = 1200.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_connect_each_side_hears_the_other() {
    let (media, mut events) = start_media(|_| {});
    let call = CallId::new("call-1");
    let agent = AgentId::parse("t:agent-1").unwrap();
    let mut carrier = Carrier::bind().await;
    let leg_addr = answered_leg(&media, &call, &carrier);
    carrier.start_tone(leg_addr, CUSTOMER_HZ, None);

    let phone = connected_agent(&media, &agent, SoftphoneOptions::tone(AGENT_HZ)).await;
    assert_eq!(
        next_event(&mut events, Duration::from_secs(2), |e| match e {
            MediaEvent::AgentConnected { agent } => Some(agent.clone()),
            _ => None,
        })
        .await,
        Some(agent.clone())
    );
    // Before the bridge, neither side hears anything of the other.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(phone.counts().0, 0, "agent heard audio before connect");
    assert!(
        carrier.received().is_empty(),
        "carrier heard audio before connect"
    );

    media.connect(&call, &agent).unwrap();
    let connected_at = Instant::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let settle = connected_at + Duration::from_millis(200);

    let agent_heard = phone.samples_since(settle);
    assert!(
        agent_heard.len() >= 8000,
        "agent heard {} samples",
        agent_heard.len()
    );
    assert_eq!(
        dominant_tone(&agent_heard, &[CUSTOMER_HZ, AGENT_HZ]),
        Some(CUSTOMER_HZ)
    );
    assert!(tone_fraction(&agent_heard, 8000, CUSTOMER_HZ) > 0.8);

    let customer_heard = carrier.samples_since(settle);
    assert!(
        customer_heard.len() >= 8000,
        "customer heard {} samples",
        customer_heard.len()
    );
    assert_eq!(
        dominant_tone(&customer_heard, &[CUSTOMER_HZ, AGENT_HZ]),
        Some(AGENT_HZ)
    );
    assert!(tone_fraction(&customer_heard, 8000, AGENT_HZ) > 0.8);

    // Disconnecting stops the relay both ways.
    media.disconnect(&call).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (agent_count, carrier_count) = (phone.counts().0, carrier.received().len());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(phone.counts().0, agent_count);
    assert_eq!(carrier.received().len(), carrier_count);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_carrier_sees_one_continuous_stream_from_music_to_agent() {
    let dir = tempfile::tempdir().unwrap();
    let music = dir.path().join("music.wav");
    write_tone_wav(&music, 16_000, 400.0, 8000.0, Duration::from_millis(700)).unwrap();

    let (media, _events) = start_media(|_| {});
    let call = CallId::new("call-music");
    let agent = AgentId::parse("t:agent-music").unwrap();
    let carrier = Carrier::bind().await;
    answered_leg(&media, &call, &carrier);
    let phone = connected_agent(&media, &agent, SoftphoneOptions::tone(AGENT_HZ)).await;

    media.play(&call, Prompt::Ringback).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let music_at = Instant::now();
    media
        .play(&call, Prompt::Music(music.clone()))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let connect_at = Instant::now();
    media.connect(&call, &agent).unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    drop(phone);

    let received = carrier.received();
    let ringback: Vec<i16> = carrier
        .samples_since(received[0].at)
        .into_iter()
        .take(3200)
        .collect();
    assert!(tone_fraction(&ringback, 8000, 440.0) + tone_fraction(&ringback, 8000, 480.0) > 0.5);
    let music_heard = carrier.samples_since(music_at + Duration::from_millis(100));
    assert_eq!(
        dominant_tone(&music_heard[..4000], &[400.0, 440.0, AGENT_HZ]),
        Some(400.0)
    );
    let agent_heard = carrier.samples_since(connect_at + Duration::from_millis(200));
    assert_eq!(
        dominant_tone(&agent_heard, &[400.0, AGENT_HZ]),
        Some(AGENT_HZ)
    );

    let ssrc = received[0].header.ssrc;
    let mut markers = 0;
    for pair in received.windows(2) {
        let (a, b) = (&pair[0].header, &pair[1].header);
        assert_eq!(b.ssrc, ssrc, "SSRC changed");
        assert_eq!(
            b.sequence,
            a.sequence.wrapping_add(1),
            "sequence gap or reorder"
        );
        let ts_step = b.timestamp.wrapping_sub(a.timestamp);
        let wall = pair[1].at.duration_since(pair[0].at);
        // Timestamps follow wall time: 160 per 20 ms, within scheduling noise.
        let wall_samples = wall.as_secs_f64() * 8000.0;
        assert!(
            (f64::from(ts_step) - wall_samples).abs() < 400.0 || ts_step == 160,
            "timestamp step {ts_step} for {wall:?}"
        );
        markers += usize::from(b.marker);
    }
    assert!(markers >= 2, "each source switch is marked ({markers})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_timeout_fires_when_the_carrier_stops_sending() {
    let (media, mut events) = start_media(|c| c.media_timeout = Duration::from_millis(600));
    let call = CallId::new("call-timeout");
    let mut carrier = Carrier::bind().await;
    let leg_addr = answered_leg(&media, &call, &carrier);
    carrier.start_tone(leg_addr, CUSTOMER_HZ, None);
    // While media flows, no timeout.
    let early = next_event(&mut events, Duration::from_millis(1200), |e| match e {
        MediaEvent::MediaTimeout { call } => Some(call.clone()),
        _ => None,
    })
    .await;
    assert_eq!(early, None);
    carrier.stop_sending();
    let stopped = Instant::now();
    let fired = next_event(&mut events, Duration::from_secs(3), |e| match e {
        MediaEvent::MediaTimeout { call } => Some(call.clone()),
        _ => None,
    })
    .await;
    assert_eq!(fired, Some(call.clone()));
    let after = stopped.elapsed();
    assert!(
        after >= Duration::from_millis(550) && after < Duration::from_millis(1500),
        "{after:?}"
    );
    // Reported once, not every timeout period.
    let again = next_event(&mut events, Duration::from_millis(1500), |e| match e {
        MediaEvent::MediaTimeout { .. } => Some(()),
        _ => None,
    })
    .await;
    assert_eq!(again, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_before_the_answer_does_not_use_up_the_timeout_after_it() {
    let (media, mut events) = start_media(|c| c.media_timeout = Duration::from_millis(400));
    let call = CallId::new("call-silent-until-answered");
    let carrier = Carrier::bind().await;
    answered_leg(&media, &call, &carrier);
    // Ringing: the carrier sends nothing and the watchdog fires (the runtime ignores it).
    let early = next_event(&mut events, Duration::from_secs(2), |e| match e {
        MediaEvent::MediaTimeout { call } => Some(call.clone()),
        _ => None,
    })
    .await;
    assert_eq!(early, Some(call.clone()));
    // Answered: audio is owed from now on, so continued silence is reported again.
    media.expect_media(&call).unwrap();
    let answered = Instant::now();
    let fired = next_event(&mut events, Duration::from_secs(2), |e| match e {
        MediaEvent::MediaTimeout { call } => Some(call.clone()),
        _ => None,
    })
    .await;
    assert_eq!(fired, Some(call));
    assert!(
        answered.elapsed() >= Duration::from_millis(350),
        "a full timeout after the answer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_on_hold_does_not_time_out() {
    let (media, mut events) = start_media(|c| c.media_timeout = Duration::from_millis(300));
    let call = CallId::new("call-hold");
    let carrier = Carrier::bind().await;
    media.open_trunk_leg(&call).unwrap();
    let hold = carrier.offer().replace("a=sendrecv", "a=inactive");
    let answer = media.answer_trunk_offer(&call, hold.as_bytes()).unwrap();
    assert!(answer.contains("a=inactive"));
    let fired = next_event(&mut events, Duration::from_millis(900), |e| match e {
        MediaEvent::MediaTimeout { .. } => Some(()),
        _ => None,
    })
    .await;
    assert_eq!(fired, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtp_is_sent_where_the_carrier_really_sends_from() {
    let (media, _events) = start_media(|_| {});
    let call = CallId::new("call-latch");
    // The SDP names a port nobody reads; the carrier's media comes from another socket.
    let decoy = Carrier::bind().await;
    let mut real = Carrier::bind().await;
    let info = media.open_trunk_leg(&call).unwrap();
    media
        .answer_trunk_offer(&call, decoy.offer().as_bytes())
        .unwrap();
    media.play(&call, Prompt::Ringback).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !decoy.received().is_empty(),
        "before latching, RTP goes to the SDP address"
    );

    real.start_tone(info.local_addr, CUSTOMER_HZ, None);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let decoy_count = decoy.received().len();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        decoy.received().len(),
        decoy_count,
        "still sending to the SDP address"
    );
    assert!(
        real.received().len() >= 15,
        "latched address got {}",
        real.received().len()
    );

    // A stray sender cannot take the stream over while the latched source is active.
    let mut stray = Carrier::bind().await;
    stray.start_tone(info.local_addr, 300.0, Some(10));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        stray.received().is_empty(),
        "a stray source hijacked the stream"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_dtmf_key_press_is_reported_once() {
    let (media, mut events) = start_media(|_| {});
    let call = CallId::new("call-dtmf");
    let carrier = Carrier::bind().await;
    let leg_addr = answered_leg(&media, &call, &carrier);
    let mut seq = 1;
    carrier.send_dtmf(leg_addr, 5, 8000, &mut seq).await;
    carrier.send_dtmf(leg_addr, 5, 9600, &mut seq).await;
    carrier.send_dtmf(leg_addr, 11, 11200, &mut seq).await;
    let mut digits = Vec::new();
    while let Some(d) = next_event(&mut events, Duration::from_millis(500), |e| match e {
        MediaEvent::Dtmf { call: c, digit } if *c == call => Some(*digit),
        _ => None,
    })
    .await
    {
        digits.push(d);
    }
    assert_eq!(digits, vec!['5', '5', '#']);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tap_sees_both_sides() {
    let (media, _events) = start_media(|_| {});
    let call = CallId::new("call-tap");
    let agent = AgentId::parse("t:agent-tap").unwrap();
    let mut carrier = Carrier::bind().await;
    let leg_addr = answered_leg(&media, &call, &carrier);
    carrier.start_tone(leg_addr, CUSTOMER_HZ, None);
    let _phone = connected_agent(&media, &agent, SoftphoneOptions::tone(AGENT_HZ)).await;
    let (tap, mut tapped) = tokio::sync::mpsc::channel(1024);
    media.connect(&call, &agent).unwrap();
    media.record(&call, tap).unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    media.stop_recording(&call).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let mut customer = Vec::new();
    let mut agent_side = Vec::new();
    while let Ok(packet) = tapped.try_recv() {
        let samples: Vec<i16> = packet
            .payload
            .as_bytes()
            .iter()
            .map(|b| callbridge_audio::mulaw_decode(*b))
            .collect();
        match packet.side {
            Side::Customer => customer.extend(samples),
            Side::Agent => agent_side.extend(samples),
        }
    }
    assert!(
        customer.len() >= 6400 && agent_side.len() >= 6400,
        "{} / {}",
        customer.len(),
        agent_side.len()
    );
    assert!(tone_fraction(&customer, 8000, CUSTOMER_HZ) > 0.8);
    assert!(tone_fraction(&agent_side, 8000, AGENT_HZ) > 0.8);
    // After stop_recording the channel is released and closes.
    assert!(tapped.recv().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_moves_the_customer_to_the_second_agent() {
    let (media, _events) = start_media(|_| {});
    let call = CallId::new("call-transfer");
    let (a, b) = (
        AgentId::parse("t:agent-a").unwrap(),
        AgentId::parse("t:agent-b").unwrap(),
    );
    let mut carrier = Carrier::bind().await;
    let leg_addr = answered_leg(&media, &call, &carrier);
    carrier.start_tone(leg_addr, CUSTOMER_HZ, None);
    let phone_a = connected_agent(&media, &a, SoftphoneOptions::tone(AGENT_HZ)).await;
    let phone_b = connected_agent(&media, &b, SoftphoneOptions::tone(1600.0)).await;
    media.connect(&call, &a).unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    media.connect(&call, &b).unwrap();
    let moved_at = Instant::now();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let a_count = phone_a.counts().0;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        phone_a.counts().0,
        a_count,
        "agent A still hears the customer"
    );
    let b_heard = phone_b.samples_since(moved_at + Duration::from_millis(200));
    assert_eq!(
        dominant_tone(&b_heard, &[CUSTOMER_HZ, AGENT_HZ, 1600.0]),
        Some(CUSTOMER_HZ)
    );
    let customer = carrier.samples_since(moved_at + Duration::from_millis(200));
    assert_eq!(dominant_tone(&customer, &[AGENT_HZ, 1600.0]), Some(1600.0));
    let received = carrier.received();
    assert!(received
        .windows(2)
        .all(|w| w[1].header.sequence == w[0].header.sequence.wrapping_add(1)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_announcement_reports_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("closed.wav");
    write_tone_wav(&path, 8000, 500.0, 8000.0, Duration::from_millis(300)).unwrap();
    let (media, mut events) = start_media(|_| {});
    let call = CallId::new("call-announce");
    let carrier = Carrier::bind().await;
    answered_leg(&media, &call, &carrier);
    let started = Instant::now();
    media.play(&call, Prompt::Announcement(path)).await.unwrap();
    let finished = next_event(&mut events, Duration::from_secs(2), |e| match e {
        MediaEvent::PromptFinished { call } => Some(call.clone()),
        _ => None,
    })
    .await;
    assert_eq!(finished, Some(call));
    assert!(started.elapsed() >= Duration::from_millis(280));
    assert_eq!(carrier.received().len(), 15);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_browser_is_reported_disconnected() {
    let (media, mut events) = start_media(|c| c.agent_timeout = Duration::from_millis(800));
    let agent = AgentId::parse("t:agent-gone").unwrap();
    let phone = connected_agent(&media, &agent, SoftphoneOptions::tone(AGENT_HZ)).await;
    drop(phone);
    let gone = next_event(&mut events, Duration::from_secs(3), |e| match e {
        MediaEvent::AgentDisconnected { agent, reason } => Some((agent.clone(), *reason)),
        _ => None,
    })
    .await;
    assert_eq!(gone, Some((agent.clone(), DisconnectReason::Silence)));
    let call = CallId::new("call-late");
    media.open_trunk_leg(&call).unwrap();
    assert!(matches!(
        media.connect(&call, &agent),
        Err(MediaError::AgentGone(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_offers_and_unknown_ids_are_typed_errors() {
    let (media, _events) = start_media(|_| {});
    let call = CallId::new("call-488");
    media.open_trunk_leg(&call).unwrap();
    let opus_only = "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 8\r\n";
    assert!(matches!(
        media.answer_trunk_offer(&call, opus_only.as_bytes()),
        Err(MediaError::Sdp(
            callbridge_media::sdp::SdpError::NoUsableCodec { .. }
        ))
    ));
    assert!(matches!(
        media.open_trunk_leg(&call),
        Err(MediaError::LegExists(_))
    ));
    let nobody = CallId::new("nobody");
    assert!(matches!(
        media.disconnect(&nobody),
        Err(MediaError::UnknownCall(_))
    ));
    assert!(matches!(
        media.connect(&call, &AgentId::parse("t:ghost").unwrap()),
        Err(MediaError::UnknownAgent(_))
    ));
    assert!(matches!(
        media.open_agent_session(&AgentId::parse("t:a").unwrap(), "{\"type\":\"offer\"}"),
        Err(MediaError::WebRtc(_))
    ));
    assert!(media.close_trunk_leg(&call));
    assert!(!media.close_trunk_leg(&call));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outbound_offer_and_answer_set_up_the_leg() {
    let (media, _events) = start_media(|_| {});
    let call = CallId::new("call-out");
    let carrier = Carrier::bind().await;
    let info = media.open_trunk_leg(&call).unwrap();
    let offer = media.trunk_offer(&call).unwrap();
    assert!(offer.contains(&format!(
        "m=audio {} RTP/AVP 0 101",
        info.public_addr.port()
    )));
    media
        .apply_trunk_answer(&call, carrier.offer().as_bytes())
        .unwrap();
    media.play(&call, Prompt::Silence).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(carrier.received().len() >= 8);
    assert!(carrier
        .received()
        .iter()
        .all(|r| r.payload.iter().all(|b| *b == 0xFF)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_dtmf_reaches_the_carrier_as_telephone_events() {
    let (media, _events) = start_media(|_| {});
    let call = CallId::new("call-agent-dtmf");
    let agent = AgentId::parse("t:agent-dtmf").unwrap();
    let carrier = Carrier::bind().await;
    answered_leg(&media, &call, &carrier);
    let phone = connected_agent(&media, &agent, SoftphoneOptions::tone(AGENT_HZ)).await;
    media.connect(&call, &agent).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    phone.send_dtmf('7');
    tokio::time::sleep(Duration::from_millis(600)).await;
    let events: Vec<_> = carrier
        .received()
        .into_iter()
        .filter(|r| r.header.payload_type == 101)
        .collect();
    assert!(!events.is_empty(), "no telephone-event reached the carrier");
    let parsed: Vec<_> = events
        .iter()
        .map(|r| callbridge_media::rtp::TelephoneEvent::parse(&r.payload).unwrap())
        .collect();
    assert!(parsed.iter().all(|e| e.event == 7), "{parsed:?}");
    assert!(
        parsed.iter().any(|e| e.end),
        "the end of the key press was relayed"
    );
    let timestamp = events[0].header.timestamp;
    assert!(
        events.iter().all(|r| r.header.timestamp == timestamp),
        "one event, one timestamp"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reinvite_to_hold_stops_audio_to_the_carrier() {
    let (media, _events) = start_media(|_| {});
    let call = CallId::new("call-reinvite");
    let carrier = Carrier::bind().await;
    answered_leg(&media, &call, &carrier);
    media.play(&call, Prompt::Ringback).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!carrier.received().is_empty());
    let hold = carrier.offer().replace(
        &format!("c=IN IP4 {}", carrier.addr.ip()),
        "c=IN IP4 0.0.0.0",
    );
    media.answer_trunk_offer(&call, hold.as_bytes()).unwrap();
    assert!(media.trunk_remote(&call).unwrap().is_hold());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let held = carrier.received().len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        carrier.received().len(),
        held,
        "audio sent to a held carrier"
    );
    // Resume: audio flows again.
    media
        .answer_trunk_offer(&call, carrier.offer().as_bytes())
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(carrier.received().len() > held + 5);
}

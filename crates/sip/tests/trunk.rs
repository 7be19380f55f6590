//! The endpoint against real sipp carriers on loopback: inbound calls (sipp as the calling
//! carrier), outbound calls (sipp as the answering carrier), bad input and floods.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use callbridge_sip::{
    DigestCredentials, FloodLimit, OutboundInvite, SipConfig, SipEndpoint, SipEvent, Transport,
    TrunkTarget,
};
use support::*;

macro_rules! require_sipp {
    () => {
        if !sipp_available() {
            return;
        }
    };
}

/// Variant names of the recorded events, in order.
fn kinds(recorded: &[Recorded]) -> Vec<String> {
    recorded
        .iter()
        .map(|r| match r {
            Recorded::Event(event) => format!("{event:?}")
                .split([' ', '(', '{'])
                .next()
                .unwrap()
                .to_string(),
            Recorded::Reinvite { .. } => "Reinvite".to_string(),
        })
        .collect()
}

/// Starts an endpoint with `config`, runs one sipp carrier scenario against it with the lead
/// applying `policy`, and returns what the lead saw.
async fn inbound(
    scenario_file: &str,
    policy: Policy,
    config: SipConfig,
    transport: Transport,
) -> (Vec<Recorded>, SipEndpoint) {
    let (endpoint, events) = SipEndpoint::start(config).await.unwrap();
    let mut recorded = spawn_lead(endpoint.clone(), events, policy);
    let addrs = endpoint.local_addrs();
    let (target, tcp) = match transport {
        Transport::Udp => (addrs.udp.unwrap(), false),
        Transport::Tcp => (addrs.tcp.unwrap(), true),
    };
    Sipp::client(scenario_file, target, "127.0.0.1", tcp)
        .run()
        .await
        .assert_success(scenario_file);
    let seen = drain(&mut recorded).await;
    wait_no_legs(&endpoint).await;
    (seen, endpoint)
}

fn incoming(recorded: &[Recorded]) -> &callbridge_sip::IncomingCall {
    match &recorded[0] {
        Recorded::Event(SipEvent::IncomingCall(call)) => call,
        other => panic!("first event is not IncomingCall: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_call_answered_then_carrier_hangs_up() {
    require_sipp!();
    let (seen, endpoint) = inbound(
        "uac_call.xml",
        Policy::RingThenAnswer,
        loopback_config(),
        Transport::Udp,
    )
    .await;
    assert_eq!(kinds(&seen), ["IncomingCall", "Confirmed", "RemoteHangUp"]);
    let call = incoming(&seen);
    assert_eq!(call.to_user, "+15550001000");
    assert_eq!(call.from_user, "+15551230001");
    assert_eq!(call.from_display.as_deref(), Some("Carrier Caller"));
    assert_eq!(call.transport, Transport::Udp);
    assert!(call.offer.as_deref().unwrap().contains("m=audio"));
    assert_eq!(call.source.ip().to_string(), "127.0.0.1");
    endpoint.shutdown();
}

/// The caller's number is the From URI's, whatever the display name holds (a quoted string
/// may contain `<`, quotes and even a URI), and a `tel:` URI is handed on whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_caller_is_the_from_uri_whatever_the_display_name_and_a_tel_uri_too() {
    require_sipp!();
    for (scenario, caller) in [
        ("uac_call_markup_name.xml", "+15551230001"),
        ("uac_call_tel_uri.xml", "tel:+1-555-123-0001"),
    ] {
        let (seen, endpoint) = inbound(
            scenario,
            Policy::RingThenAnswer,
            loopback_config(),
            Transport::Udp,
        )
        .await;
        assert_eq!(
            kinds(&seen),
            ["IncomingCall", "Confirmed", "RemoteHangUp"],
            "{scenario}"
        );
        assert_eq!(incoming(&seen).from_user, caller, "{scenario}");
        endpoint.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_call_we_hang_up_with_bye() {
    require_sipp!();
    let (seen, endpoint) = inbound(
        "uac_we_hang_up.xml",
        Policy::AnswerThenHangUp,
        loopback_config(),
        Transport::Udp,
    )
    .await;
    // Our own hang-up produces no event.
    assert_eq!(kinds(&seen), ["IncomingCall", "Confirmed"]);
    endpoint.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offerless_invite_gets_its_answer_from_the_ack() {
    require_sipp!();
    let (seen, endpoint) = inbound(
        "uac_offerless.xml",
        Policy::RingThenAnswer,
        loopback_config(),
        Transport::Udp,
    )
    .await;
    assert_eq!(kinds(&seen), ["IncomingCall", "Confirmed", "RemoteHangUp"]);
    assert_eq!(incoming(&seen).offer, None);
    match &seen[1] {
        Recorded::Event(SipEvent::Confirmed { ack_sdp, .. }) => {
            assert!(ack_sdp.as_deref().unwrap().contains("m=audio"))
        }
        other => panic!("{other:?}"),
    }
    endpoint.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_media_183_carries_sdp_before_the_answer() {
    require_sipp!();
    let (seen, endpoint) = inbound(
        "uac_early_media.xml",
        Policy::EarlyMediaThenAnswer,
        loopback_config(),
        Transport::Udp,
    )
    .await;
    assert_eq!(kinds(&seen), ["IncomingCall", "Confirmed", "RemoteHangUp"]);
    endpoint.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_before_answer_gets_200_and_487() {
    require_sipp!();
    let (seen, endpoint) = inbound(
        "uac_cancel.xml",
        Policy::RingOnly,
        loopback_config(),
        Transport::Udp,
    )
    .await;
    assert_eq!(kinds(&seen), ["IncomingCall", "Cancelled"]);
    endpoint.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_crossing_our_200_leaves_the_call_up_until_the_lead_hangs_up() {
    require_sipp!();
    let (seen, endpoint) = inbound(
        "uac_cancel_race.xml",
        Policy::AnswerThenHangUp,
        loopback_config(),
        Transport::Udp,
    )
    .await;
    assert_eq!(kinds(&seen), ["IncomingCall", "Confirmed"]);
    endpoint.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_reinvite_is_answered_and_info_dtmf_is_reported() {
    require_sipp!();
    let (seen, endpoint) = inbound(
        "uac_hold_and_dtmf.xml",
        Policy::RingThenAnswer,
        loopback_config(),
        Transport::Udp,
    )
    .await;
    assert_eq!(
        kinds(&seen),
        [
            "IncomingCall",
            "Confirmed",
            "Reinvite",
            "Dtmf",
            "RemoteHangUp"
        ]
    );
    match &seen[2] {
        Recorded::Reinvite { sdp, .. } => assert!(sdp.as_deref().unwrap().contains("a=sendonly")),
        other => panic!("{other:?}"),
    }
    match &seen[3] {
        Recorded::Event(SipEvent::Dtmf {
            digit, duration_ms, ..
        }) => {
            assert_eq!(*digit, '7');
            assert_eq!(*duration_ms, Some(160));
        }
        other => panic!("{other:?}"),
    }
    endpoint.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_calls_get_486_and_403() {
    require_sipp!();
    for status in [486, 403] {
        let (seen, endpoint) = inbound(
            "uac_rejected.xml",
            Policy::Reject(status),
            loopback_config(),
            Transport::Udp,
        )
        .await;
        assert_eq!(kinds(&seen), ["IncomingCall"], "status {status}");
        endpoint.shutdown();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_ping_is_answered_200_with_allow() {
    require_sipp!();
    let (seen, endpoint) = inbound(
        "options.xml",
        Policy::RingThenAnswer,
        loopback_config(),
        Transport::Udp,
    )
    .await;
    assert!(seen.is_empty());
    endpoint.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_timer_without_refresh_ends_the_call() {
    require_sipp!();
    let config = SipConfig {
        session_expires: Some(Duration::from_secs(2)),
        ..loopback_config()
    };
    let (seen, endpoint) = inbound(
        "uac_session_timer.xml",
        Policy::RingThenAnswer,
        config,
        Transport::Udp,
    )
    .await;
    assert_eq!(
        kinds(&seen),
        ["IncomingCall", "Confirmed", "SessionExpired"]
    );
    endpoint.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbound_call_over_tcp() {
    require_sipp!();
    let (seen, endpoint) = inbound(
        "uac_call.xml",
        Policy::RingThenAnswer,
        loopback_config(),
        Transport::Tcp,
    )
    .await;
    assert_eq!(kinds(&seen), ["IncomingCall", "Confirmed", "RemoteHangUp"]);
    assert_eq!(incoming(&seen).transport, Transport::Tcp);
    endpoint.shutdown();
}

/// Sends one datagram from `socket` and returns the first response line, if any arrives.
async fn exchange(
    socket: &tokio::net::UdpSocket,
    target: SocketAddr,
    bytes: &[u8],
) -> Option<String> {
    socket.send_to(bytes, target).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let (len, _) = tokio::time::timeout(Duration::from_millis(500), socket.recv_from(&mut buf))
        .await
        .ok()?
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..len]).to_string();
    Some(text.lines().next().unwrap_or_default().to_string())
}

fn raw_invite(skip: &str) -> Vec<u8> {
    [
        "INVITE sip:+15550001000@127.0.0.1 SIP/2.0",
        "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-raw-1",
        "From: <sip:+15551230001@127.0.0.1>;tag=raw1",
        "To: <sip:+15550001000@127.0.0.1>",
        "Call-ID: raw-call-1",
        "CSeq: 1 INVITE",
        "Content-Length: 0",
    ]
    .iter()
    .filter(|line| !line.starts_with(skip))
    .map(|line| format!("{line}\r\n"))
    .collect::<String>()
    .into_bytes()
    .into_iter()
    .chain(*b"\r\n")
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_get_400_or_are_dropped_and_calls_still_work() {
    require_sipp!();
    let (endpoint, events) = SipEndpoint::start(loopback_config()).await.unwrap();
    let mut recorded = spawn_lead(endpoint.clone(), events, Policy::RingThenAnswer);
    let target = endpoint.local_addrs().udp.unwrap();
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();

    for (header, reason) in [
        ("Call-ID", "Missing Call-ID header"),
        ("CSeq", "Missing CSeq header"),
        ("From", "Missing From header"),
        ("To:", "Missing To header"),
    ] {
        let line = exchange(&socket, target, &raw_invite(header)).await;
        assert_eq!(
            line.as_deref(),
            Some(format!("SIP/2.0 400 {reason}").as_str())
        );
    }
    // Garbage and a message cut before its blank line are dropped without a word.
    assert_eq!(
        exchange(&socket, target, b"\x16\x03\x01 not sip at all").await,
        None
    );
    let complete = raw_invite("nothing");
    assert_eq!(
        exchange(&socket, target, &complete[..complete.len() / 2]).await,
        None
    );
    // sipp sends a Content-Length larger than the body.
    Sipp::client("uac_bad_content_length.xml", target, "127.0.0.1", false)
        .run()
        .await
        .assert_success("uac_bad_content_length");

    let counters = endpoint.gate_counters();
    assert_eq!(counters.unparseable_dropped, 2);
    assert_eq!(counters.invalid_rejected, 5);
    // The endpoint carries on: a normal call after all that.
    Sipp::client("uac_call.xml", target, "127.0.0.1", false)
        .run()
        .await
        .assert_success("uac_call after bad input");
    let seen = drain(&mut recorded).await;
    assert_eq!(kinds(&seen), ["IncomingCall", "Confirmed", "RemoteHangUp"]);
    endpoint.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_source_is_limited_while_another_gets_through() {
    require_sipp!();
    let config = SipConfig {
        flood_limit: Some(FloodLimit {
            requests_per_second: 20,
            burst: 20,
        }),
        ..loopback_config()
    };
    let (endpoint, events) = SipEndpoint::start(config).await.unwrap();
    let _recorded = spawn_lead(endpoint.clone(), events, Policy::RingThenAnswer);
    let target = endpoint.local_addrs().udp.unwrap();
    let flooder = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let sent = 300;
    for n in 0..sent {
        let options = format!(
            "OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\n\
             Via: SIP/2.0/UDP {local};branch=z9hG4bK-flood-{n}\r\n\
             From: <sip:flood@127.0.0.1>;tag=f{n}\r\nTo: <sip:ping@127.0.0.1>\r\n\
             Call-ID: flood-{n}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
            local = flooder.local_addr().unwrap()
        );
        flooder.send_to(options.as_bytes(), target).await.unwrap();
        if n % 20 == 19 {
            // Pace the burst a little so the kernel's socket buffer does not drop any.
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    let mut answered = 0;
    let mut buf = vec![0u8; 4096];
    while let Ok(Ok(_)) =
        tokio::time::timeout(Duration::from_millis(700), flooder.recv_from(&mut buf)).await
    {
        answered += 1;
    }
    // The burst of 20, plus what 20/s refills while the datagrams are sent.
    assert!(
        (20..=40).contains(&answered),
        "{answered} of {sent} answered"
    );
    let dropped = endpoint.gate_counters().flood_dropped;
    assert!(dropped >= 200, "only {dropped} dropped");
    assert!(dropped + answered <= sent);
    // Another source is not affected.
    Sipp::client("options.xml", target, "127.0.0.2", false)
        .run()
        .await
        .assert_success("options from a second source");
    endpoint.shutdown();
}

/// Starts sipp as the answering carrier, then sends our INVITE to it.
async fn outbound(
    scenario_file: &str,
    transport: Transport,
    credentials: Option<DigestCredentials>,
) -> Vec<Recorded> {
    let (endpoint, events) = SipEndpoint::start(loopback_config()).await.unwrap();
    let mut recorded = spawn_lead(endpoint.clone(), events, Policy::RingThenAnswer);
    let tcp = transport == Transport::Tcp;
    let port = if tcp {
        free_tcp_port("127.0.0.1")
    } else {
        free_udp_port("127.0.0.1")
    };
    let carrier = tokio::spawn(Sipp::server(scenario_file, "127.0.0.1", port, tcp).run());
    // Let sipp bind before we call it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    endpoint
        .invite(OutboundInvite {
            target: TrunkTarget {
                host: "127.0.0.1".into(),
                port,
                transport,
            },
            from_user: "+15557770000".into(),
            from_display: Some("Acme Support".into()),
            to_user: "+15558889999".into(),
            credentials,
            sdp_offer: ANSWER_SDP.into(),
        })
        .unwrap();
    carrier.await.unwrap().assert_success(scenario_file);
    let seen = drain(&mut recorded).await;
    wait_no_legs(&endpoint).await;
    endpoint.shutdown();
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_call_answered_then_we_hang_up() {
    require_sipp!();
    let seen = outbound("uas_answer.xml", Transport::Udp, None).await;
    assert_eq!(kinds(&seen), ["OutboundProgress", "OutboundAnswered"]);
    match &seen[1] {
        Recorded::Event(SipEvent::OutboundAnswered { sdp, .. }) => {
            assert!(sdp.as_deref().unwrap().contains("m=audio"))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_call_to_a_busy_number_fails_with_486() {
    require_sipp!();
    let seen = outbound("uas_busy.xml", Transport::Udp, None).await;
    assert_eq!(kinds(&seen), ["OutboundFailed"]);
    match &seen[0] {
        Recorded::Event(SipEvent::OutboundFailed { status, reason, .. }) => {
            assert_eq!(*status, 486);
            assert_eq!(reason, "Busy Here");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_digest_challenge_is_answered_with_the_credentials() {
    require_sipp!();
    let credentials = DigestCredentials {
        username: "tenant7".into(),
        password: "s3cret-pass".into(),
        realm: None,
    };
    let seen = outbound("uas_auth.xml", Transport::Udp, Some(credentials)).await;
    assert_eq!(kinds(&seen), ["OutboundAnswered"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_call_over_tcp() {
    require_sipp!();
    let seen = outbound("uas_answer.xml", Transport::Tcp, None).await;
    assert_eq!(kinds(&seen), ["OutboundProgress", "OutboundAnswered"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_to_a_closed_tcp_port_fails() {
    // rsipstack does not fail a refused TCP connect at once: the INVITE transaction waits for
    // Timer B (64*T1 = 32 s), so this test takes that long.
    let (endpoint, mut events) = SipEndpoint::start(loopback_config()).await.unwrap();
    let leg = endpoint
        .invite(OutboundInvite {
            target: TrunkTarget {
                host: "127.0.0.1".into(),
                port: free_tcp_port("127.0.0.1"),
                transport: Transport::Tcp,
            },
            from_user: "100".into(),
            from_display: None,
            to_user: "200".into(),
            credentials: None,
            sdp_offer: ANSWER_SDP.into(),
        })
        .unwrap();
    let event = tokio::time::timeout(Duration::from_secs(40), events.recv())
        .await
        .unwrap()
        .unwrap();
    match event {
        SipEvent::OutboundFailed {
            leg: failed,
            status,
            ..
        } => {
            assert_eq!(failed, leg);
            assert!(status == 408 || status == 503, "status {status}");
        }
        other => panic!("{other:?}"),
    }
    wait_no_legs(&endpoint).await;
    endpoint.shutdown();
}

#[tokio::test]
async fn commands_on_unknown_legs_and_bad_requests_are_refused() {
    let (endpoint, _events) = SipEndpoint::start(loopback_config()).await.unwrap();
    let ghost = callbridge_sip::LegId(999);
    assert_eq!(
        endpoint.answer(ghost, ANSWER_SDP.into()),
        Err(callbridge_sip::SipError::UnknownLeg(ghost))
    );
    assert_eq!(
        endpoint.reject(ghost, 200),
        Err(callbridge_sip::SipError::InvalidStatus(200))
    );
    let bad = endpoint.invite(OutboundInvite {
        target: TrunkTarget {
            host: "127.0.0.1".into(),
            port: 5060,
            transport: Transport::Udp,
        },
        from_user: "100".into(),
        from_display: None,
        to_user: "evil@host".into(),
        credentials: None,
        sdp_offer: String::new(),
    });
    assert!(matches!(
        bad,
        Err(callbridge_sip::SipError::InvalidTarget(_))
    ));
    endpoint.shutdown();
}

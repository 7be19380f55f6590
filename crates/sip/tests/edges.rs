//! What a carrier, or anyone else, gets at the edges: SIP versions, methods and Request-URIs we
//! refuse, datagrams larger than 8 KiB, and the limits on TCP connections. Raw sockets only, so
//! every byte sent is the one under test.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use callbridge_sip::{SipConfig, SipEndpoint, SipEvent, TcpLimits};
use support::loopback_config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

/// Sends one datagram and returns the first final response (provisional ones are skipped).
async fn final_response(socket: &UdpSocket, target: SocketAddr, bytes: &[u8]) -> Option<String> {
    socket.send_to(bytes, target).await.unwrap();
    let mut buf = vec![0u8; 65_535];
    loop {
        let (len, _) = tokio::time::timeout(Duration::from_secs(2), socket.recv_from(&mut buf))
            .await
            .ok()?
            .unwrap();
        let text = String::from_utf8_lossy(&buf[..len]).to_string();
        if !text.starts_with("SIP/2.0 1") {
            return Some(text);
        }
    }
}

fn request(
    socket: &UdpSocket,
    start_line: &str,
    method: &str,
    call_id: &str,
    body: &str,
) -> Vec<u8> {
    let local = socket.local_addr().unwrap();
    let content_type = if body.is_empty() {
        String::new()
    } else {
        "Content-Type: application/sdp\r\n".to_string()
    };
    format!(
        "{start_line}\r\n\
         Via: SIP/2.0/UDP {local};branch=z9hG4bK-{call_id}\r\n\
         From: <sip:+15551230001@127.0.0.1>;tag=edge\r\n\
         To: <sip:+15550001000@127.0.0.1>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 1 {method}\r\n\
         Contact: <sip:carrier@{local}>\r\n\
         Max-Forwards: 70\r\n\
         {content_type}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// An SDP offer padded with attribute lines to `size` bytes, as a carrier's SBC with many
/// codecs and crypto suites might send.
fn large_sdp(size: usize) -> String {
    let mut sdp = String::from(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
    );
    let mut n = 0;
    while sdp.len() < size {
        sdp.push_str(&format!("a=x-padding-{n:05}:{}\r\n", "p".repeat(40)));
        n += 1;
    }
    sdp
}

async fn start(config: SipConfig) -> (SipEndpoint, tokio::sync::mpsc::Receiver<SipEvent>) {
    SipEndpoint::start(config).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn udp_datagrams_over_8_kib_are_received_whole() {
    let (endpoint, mut events) = start(loopback_config()).await;
    let target = endpoint.local_addrs().udp.unwrap();
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();

    // A 9 KB OPTIONS (the padding rides in the body) is answered, not lost.
    let padding = "x".repeat(9_000);
    let options = request(
        &socket,
        "OPTIONS sip:127.0.0.1 SIP/2.0",
        "OPTIONS",
        "big-options",
        &padding,
    );
    assert!(options.len() > 9_000);
    let reply = final_response(&socket, target, &options).await;
    assert!(
        reply
            .as_deref()
            .is_some_and(|r| r.starts_with("SIP/2.0 200 OK\r\n")),
        "{reply:?}"
    );

    // A 9.5 KB INVITE reaches the runtime with its whole SDP and its real source.
    let sdp = large_sdp(9_500);
    let invite = request(
        &socket,
        "INVITE sip:+15550001000@127.0.0.1 SIP/2.0",
        "INVITE",
        "big-invite",
        &sdp,
    );
    socket.send_to(&invite, target).await.unwrap();
    let call = loop {
        match tokio::time::timeout(Duration::from_secs(2), events.recv()).await {
            Ok(Some(SipEvent::IncomingCall(call))) => break call,
            Ok(Some(_)) => continue,
            other => panic!("no IncomingCall for a 9.5 KB INVITE: {other:?}"),
        }
    };
    assert_eq!(call.offer.as_deref(), Some(sdp.as_str()));
    assert_eq!(call.source, socket.local_addr().unwrap());
    endpoint.reject(call.leg, 486).unwrap();
    let mut buf = vec![0u8; 65_535];
    let busy = loop {
        let (len, _) = tokio::time::timeout(Duration::from_secs(2), socket.recv_from(&mut buf))
            .await
            .expect("the 486 arrives")
            .unwrap();
        let text = String::from_utf8_lossy(&buf[..len]).to_string();
        if !text.starts_with("SIP/2.0 1") {
            break text;
        }
    };
    assert!(busy.starts_with("SIP/2.0 486 Busy Here\r\n"), "{busy}");
    endpoint.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_versions_methods_and_request_uris_get_505_501_and_400() {
    let (endpoint, _events) = start(loopback_config()).await;
    let target = endpoint.local_addrs().udp.unwrap();
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();

    let version = request(
        &socket,
        "OPTIONS sip:127.0.0.1 SIP/3.0",
        "OPTIONS",
        "v3",
        "",
    );
    let reply = final_response(&socket, target, &version).await.unwrap();
    assert!(
        reply.starts_with("SIP/2.0 505 Version Not Supported\r\n"),
        "{reply}"
    );

    let uri = request(&socket, "INVITE not%a%uri SIP/2.0", "INVITE", "bad-uri", "");
    let reply = final_response(&socket, target, &uri).await.unwrap();
    assert!(
        reply.starts_with("SIP/2.0 400 Malformed Request-URI\r\n"),
        "{reply}"
    );

    let method = request(
        &socket,
        "FOOBAR sip:127.0.0.1 SIP/2.0",
        "FOOBAR",
        "foobar",
        "",
    );
    let reply = final_response(&socket, target, &method).await.unwrap();
    assert!(
        reply.starts_with("SIP/2.0 501 Not Implemented\r\n"),
        "{reply}"
    );
    assert!(
        reply.contains("Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE\r\n"),
        "{reply}"
    );
    assert!(reply.contains("CSeq: 1 FOOBAR\r\n"), "{reply}");
    endpoint.shutdown();
}

fn tcp_config(limits: TcpLimits) -> SipConfig {
    SipConfig {
        tcp_limits: limits,
        ..loopback_config()
    }
}

/// `true` when the server has closed `stream` (end of stream or reset) within `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue, // a response: keep waiting for the close
        }
    }
}

fn tcp_options(stream: &TcpStream, call_id: &str) -> Vec<u8> {
    let local = stream.local_addr().unwrap();
    format!(
        "OPTIONS sip:127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/TCP {local};branch=z9hG4bK-{call_id}\r\n\
         From: <sip:carrier@127.0.0.1>;tag=t\r\nTo: <sip:127.0.0.1>\r\n\
         Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_connections_over_the_per_source_cap_are_closed_at_once() {
    let (endpoint, _events) = start(tcp_config(TcpLimits {
        max_connections_per_source: 4,
        ..TcpLimits::default()
    }))
    .await;
    let target = endpoint.local_addrs().tcp.unwrap();
    let mut streams = Vec::new();
    for _ in 0..6 {
        streams.push(TcpStream::connect(target).await.unwrap());
    }
    let mut closed = Vec::new();
    for stream in &mut streams {
        closed.push(closed_within(stream, Duration::from_millis(300)).await);
    }
    assert_eq!(closed, [false, false, false, false, true, true]);

    // Closing one frees its slot for the next connection.
    drop(streams.remove(0));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = TcpStream::connect(target).await.unwrap();
    assert!(!closed_within(&mut again, Duration::from_millis(300)).await);
    endpoint.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tcp_connection_without_a_complete_message_is_closed_after_the_first_message_timeout() {
    let (endpoint, _events) = start(tcp_config(TcpLimits {
        first_message_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(60),
        ..TcpLimits::default()
    }))
    .await;
    let target = endpoint.local_addrs().tcp.unwrap();

    // A byte every 200 ms keeps the idle timer alive but never completes a message.
    let mut trickle = TcpStream::connect(target).await.unwrap();
    let started = std::time::Instant::now();
    let mut closed = false;
    for byte in b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP"
        .iter()
        .cycle()
        .take(20)
    {
        if trickle.write_all(&[*byte]).await.is_err()
            || closed_within(&mut trickle, Duration::from_millis(200)).await
        {
            closed = true;
            break;
        }
    }
    assert!(closed, "the trickling connection is still open after 4 s");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // A connection that delivers a message is not subject to it.
    let mut talker = TcpStream::connect(target).await.unwrap();
    let options = tcp_options(&talker, "tcp-talker");
    talker.write_all(&options).await.unwrap();
    assert!(!closed_within(&mut talker, Duration::from_millis(1500)).await);
    endpoint.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_tcp_connection_is_closed_after_the_idle_timeout() {
    let (endpoint, _events) = start(tcp_config(TcpLimits {
        idle_timeout: Duration::from_secs(1),
        ..TcpLimits::default()
    }))
    .await;
    let target = endpoint.local_addrs().tcp.unwrap();
    let mut stream = TcpStream::connect(target).await.unwrap();
    let options = tcp_options(&stream, "tcp-idle");
    stream.write_all(&options).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let len = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..len]).starts_with("SIP/2.0 200 OK"));
    let started = std::time::Instant::now();
    assert!(closed_within(&mut stream, Duration::from_secs(3)).await);
    assert!(
        started.elapsed() >= Duration::from_millis(800),
        "{:?}",
        started.elapsed()
    );
    endpoint.shutdown();
}

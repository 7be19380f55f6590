//! What a carrier, or anyone else, gets at the edges: SIP versions, methods and Request-URIs we
//! refuse, datagrams larger than 8 KiB, and the limits on TCP connections. Raw sockets only, so
//! every byte sent is the one under test.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use callbridge_sip::{SipConfig, SipEndpoint, SipEvent};
use support::loopback_config;
use tokio::net::UdpSocket;

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

fn request(socket: &UdpSocket, start_line: &str, method: &str, call_id: &str, body: &str) -> Vec<u8> {
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
    let options = request(&socket, "OPTIONS sip:127.0.0.1 SIP/2.0", "OPTIONS", "big-options", &padding);
    assert!(options.len() > 9_000);
    let reply = final_response(&socket, target, &options).await;
    assert!(
        reply.as_deref().is_some_and(|r| r.starts_with("SIP/2.0 200 OK\r\n")),
        "{reply:?}"
    );

    // A 9.5 KB INVITE reaches the runtime with its whole SDP and its real source.
    let sdp = large_sdp(9_500);
    let invite = request(&socket, "INVITE sip:+15550001000@127.0.0.1 SIP/2.0", "INVITE", "big-invite", &sdp);
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

    let version = request(&socket, "OPTIONS sip:127.0.0.1 SIP/3.0", "OPTIONS", "v3", "");
    let reply = final_response(&socket, target, &version).await.unwrap();
    assert!(reply.starts_with("SIP/2.0 505 Version Not Supported\r\n"), "{reply}");

    let uri = request(&socket, "INVITE not%a%uri SIP/2.0", "INVITE", "bad-uri", "");
    let reply = final_response(&socket, target, &uri).await.unwrap();
    assert!(reply.starts_with("SIP/2.0 400 Malformed Request-URI\r\n"), "{reply}");

    let method = request(&socket, "FOOBAR sip:127.0.0.1 SIP/2.0", "FOOBAR", "foobar", "");
    let reply = final_response(&socket, target, &method).await.unwrap();
    assert!(reply.starts_with("SIP/2.0 501 Not Implemented\r\n"), "{reply}");
    assert!(
        reply.contains("Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE\r\n"),
        "{reply}"
    );
    assert!(reply.contains("CSeq: 1 FOOBAR\r\n"), "{reply}");
    endpoint.shutdown();
}

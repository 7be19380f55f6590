//! The gate every incoming message passes before rsipstack sees it: flood limit, then
//! inspection. It decides; the transports (see `transport.rs`) carry out the decision.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rsipstack::sip::headers::untyped::ToTypedHeader;
use rsipstack::sip::{Header, Headers, Request, Response, SipMessage, StatusCode, Version};
use tracing::{debug, info, warn};

use crate::error::Defect;
use crate::flood::{FloodGuard, FloodLimit, LogThrottle};
use crate::inspect::{self, Examined};

/// What to do with one incoming message.
pub(crate) enum Verdict {
    /// Hand it to the SIP stack.
    Pass,
    /// Do not hand it on; answer with this response instead.
    Reply(Box<SipMessage>),
    /// Do not hand it on and say nothing.
    Drop,
}

/// Counts of messages the gate kept from the stack, since the endpoint started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GateCounters {
    /// Datagrams that were not SIP at all (dropped silently).
    pub unparseable_dropped: u64,
    /// Invalid requests answered with `400 <reason>`.
    pub invalid_rejected: u64,
    /// Invalid responses and ACKs (never answered, so dropped).
    pub invalid_dropped: u64,
    /// Requests over a source's flood limit (dropped silently).
    pub flood_dropped: u64,
}

#[derive(Default)]
struct Counters {
    unparseable_dropped: AtomicU64,
    invalid_rejected: AtomicU64,
    invalid_dropped: AtomicU64,
    flood_dropped: AtomicU64,
}

/// How often each kind of noise may reach the log.
const LOG_INTERVAL: Duration = Duration::from_secs(10);

pub(crate) struct Screen {
    flood: Option<FloodGuard>,
    counters: Counters,
    flood_log: LogThrottle,
    invalid_log: LogThrottle,
    server_name: String,
}

impl Screen {
    pub(crate) fn new(flood_limit: Option<FloodLimit>, server_name: String) -> Self {
        let now = Instant::now();
        Screen {
            flood: flood_limit.map(|limit| FloodGuard::new(limit, now)),
            counters: Counters::default(),
            flood_log: LogThrottle::new(LOG_INTERVAL),
            invalid_log: LogThrottle::new(LOG_INTERVAL),
            server_name,
        }
    }

    pub(crate) fn counters(&self) -> GateCounters {
        GateCounters {
            unparseable_dropped: self.counters.unparseable_dropped.load(Ordering::Relaxed),
            invalid_rejected: self.counters.invalid_rejected.load(Ordering::Relaxed),
            invalid_dropped: self.counters.invalid_dropped.load(Ordering::Relaxed),
            flood_dropped: self.counters.flood_dropped.load(Ordering::Relaxed),
        }
    }

    /// A raw datagram: keep-alives pass, then flood limit, then full inspection.
    pub(crate) fn datagram(&self, bytes: &[u8], source: SocketAddr) -> Verdict {
        // CRLF keep-alives (RFC 5626) are answered by the stack itself.
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Verdict::Pass;
        }
        let is_request = !bytes.starts_with(b"SIP/");
        if is_request && !self.admit(source.ip()) {
            return Verdict::Drop;
        }
        match inspect::examine(bytes) {
            Examined::Valid(_) => Verdict::Pass,
            Examined::Invalid(message, defect) => self.refuse(&message, defect, source),
            Examined::Unparseable(reason) => {
                self.counters
                    .unparseable_dropped
                    .fetch_add(1, Ordering::Relaxed);
                debug!(%source, %reason, len = bytes.len(), "dropping unparseable SIP datagram");
                Verdict::Drop
            }
        }
    }

    /// A message a stream transport already framed and parsed.
    pub(crate) fn framed(&self, message: &SipMessage, source: SocketAddr) -> Verdict {
        if matches!(message, SipMessage::Request(_)) && !self.admit(source.ip()) {
            return Verdict::Drop;
        }
        match inspect::validate(message) {
            Ok(_) => Verdict::Pass,
            Err(defect) => self.refuse(message, defect, source),
        }
    }

    fn admit(&self, source: IpAddr) -> bool {
        let Some(flood) = &self.flood else {
            return true;
        };
        let now = Instant::now();
        if flood.admit(source, now) {
            return true;
        }
        self.counters.flood_dropped.fetch_add(1, Ordering::Relaxed);
        if let Some(suppressed) = self.flood_log.should_log(now) {
            warn!(%source, suppressed, "SIP flood: dropping requests over the per-source limit");
        }
        false
    }

    /// Invalid requests get a `400` naming the defect; responses and ACKs are never answered.
    fn refuse(&self, message: &SipMessage, defect: Defect, source: SocketAddr) -> Verdict {
        if let Some(suppressed) = self.invalid_log.should_log(Instant::now()) {
            info!(%source, %defect, suppressed, "refusing invalid SIP message");
        }
        match message {
            SipMessage::Request(request) if request.method != rsipstack::sip::Method::Ack => {
                self.counters
                    .invalid_rejected
                    .fetch_add(1, Ordering::Relaxed);
                Verdict::Reply(Box::new(refusal(request, &defect, &self.server_name)))
            }
            _ => {
                self.counters
                    .invalid_dropped
                    .fetch_add(1, Ordering::Relaxed);
                Verdict::Drop
            }
        }
    }
}

/// `400 <defect>` (or `501` / `505`, see [`Defect::status`]) echoing whatever transaction
/// headers the request did carry. Always `SIP/2.0`: the only version we speak.
fn refusal(request: &Request, defect: &Defect, server_name: &str) -> SipMessage {
    let mut headers = Headers::default();
    for header in request.headers.iter() {
        match header {
            Header::Via(_) | Header::From(_) | Header::CallId(_) | Header::CSeq(_) => {
                headers.push(header.clone())
            }
            Header::To(to) => {
                let tagged = match to.typed() {
                    Ok(typed) if typed.tag().is_none() => {
                        to.with_tag(rsipstack::transaction::make_tag())
                    }
                    _ => to.clone(),
                };
                headers.push(Header::To(tagged));
            }
            _ => {}
        }
    }
    if matches!(defect, Defect::UnknownMethod(_)) {
        headers.push(Header::Allow(crate::dispatch::ALLOWED.into()));
    }
    headers.push(Header::Server(server_name.to_string().into()));
    headers.push(Header::ContentLength(0u32.into()));
    SipMessage::Response(Response {
        status_code: StatusCode::Other(defect.status(), defect.to_string()),
        wire_reason: None,
        version: Version::V2,
        headers,
        body: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "127.0.0.1:5999";

    #[test]
    fn an_invite_without_call_id_is_answered_400_naming_it() {
        let screen = Screen::new(None, "test".into());
        let bytes = b"INVITE sip:1@127.0.0.1 SIP/2.0\r\n\
            Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-x\r\n\
            From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:1@127.0.0.1>\r\n\
            CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
        let Verdict::Reply(reply) = screen.datagram(bytes, SOURCE.parse().unwrap()) else {
            panic!("expected a 400 reply");
        };
        let text = String::from_utf8(reply.to_bytes()).unwrap();
        assert!(
            text.starts_with("SIP/2.0 400 Missing Call-ID header\r\n"),
            "{text}"
        );
        assert!(text.contains("branch=z9hG4bK-x"), "{text}");
        assert!(text.contains(";tag="), "the To header gets a tag: {text}");
        assert_eq!(screen.counters().invalid_rejected, 1);
    }

    fn request(start_line: &str, method: &str) -> Vec<u8> {
        format!(
            "{start_line}\r\n\
             Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-c\r\n\
             From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:1@127.0.0.1>\r\n\
             Call-ID: conf1\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
        )
        .into_bytes()
    }

    fn reply_text(screen: &Screen, bytes: &[u8]) -> String {
        match screen.datagram(bytes, SOURCE.parse().unwrap()) {
            Verdict::Reply(reply) => String::from_utf8(reply.to_bytes()).unwrap(),
            Verdict::Pass => panic!("passed to the stack"),
            Verdict::Drop => panic!("dropped silently"),
        }
    }

    #[test]
    fn a_request_of_another_sip_version_is_answered_505_in_sip_2_0() {
        let screen = Screen::new(None, "test".into());
        let text = reply_text(
            &screen,
            &request("OPTIONS sip:1@127.0.0.1 SIP/3.0", "OPTIONS"),
        );
        assert!(
            text.starts_with("SIP/2.0 505 Version Not Supported\r\n"),
            "{text}"
        );
        assert!(text.contains("Call-ID: conf1"), "{text}");
    }

    #[test]
    fn a_malformed_request_uri_is_answered_400_naming_it() {
        let screen = Screen::new(None, "test".into());
        for uri in ["not%a%uri", "sip:1@127.0.0.1%zz", "sip:%"] {
            let text = reply_text(
                &screen,
                &request(&format!("INVITE {uri} SIP/2.0"), "INVITE"),
            );
            assert!(
                text.starts_with("SIP/2.0 400 Malformed Request-URI\r\n"),
                "{uri}: {text}"
            );
        }
        for uri in [
            "sip:1@127.0.0.1",
            "sips:+15551234@carrier.example:5061;user=phone",
            "tel:+15551234",
        ] {
            let bytes = request(&format!("INVITE {uri} SIP/2.0"), "INVITE");
            assert!(
                matches!(
                    screen.datagram(&bytes, SOURCE.parse().unwrap()),
                    Verdict::Pass
                ),
                "{uri} must pass"
            );
        }
    }

    #[test]
    fn an_unknown_method_is_answered_501_with_allow() {
        let screen = Screen::new(None, "test".into());
        let text = reply_text(
            &screen,
            &request("FOOBAR sip:1@127.0.0.1 SIP/2.0", "FOOBAR"),
        );
        assert!(
            text.starts_with("SIP/2.0 501 Not Implemented\r\n"),
            "{text}"
        );
        assert!(
            text.contains("Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE"),
            "{text}"
        );
        assert!(text.contains("CSeq: 1 FOOBAR"), "{text}");
        assert!(text.contains("branch=z9hG4bK-c"), "{text}");
        assert_eq!(screen.counters().invalid_rejected, 1);
    }

    #[test]
    fn garbage_is_dropped_and_counted_and_keepalives_pass() {
        let screen = Screen::new(None, "test".into());
        let source = SOURCE.parse().unwrap();
        assert!(matches!(
            screen.datagram(b"\x00\x01junk", source),
            Verdict::Drop
        ));
        assert!(matches!(
            screen.datagram(b"\r\n\r\n", source),
            Verdict::Pass
        ));
        assert_eq!(screen.counters().unparseable_dropped, 1);
    }

    #[test]
    fn requests_over_the_limit_are_dropped_but_responses_are_not_limited() {
        let screen = Screen::new(
            Some(FloodLimit {
                requests_per_second: 1,
                burst: 2,
            }),
            "test".into(),
        );
        let source = SOURCE.parse().unwrap();
        let options = b"OPTIONS sip:1@127.0.0.1 SIP/2.0\r\n\
            Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-o\r\n\
            From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:1@127.0.0.1>\r\n\
            Call-ID: o1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
        let passed = (0..10)
            .filter(|_| matches!(screen.datagram(options, source), Verdict::Pass))
            .count();
        assert_eq!(passed, 2);
        assert_eq!(screen.counters().flood_dropped, 8);
        let response = b"SIP/2.0 200 OK\r\n\
            Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-r\r\n\
            From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:1@127.0.0.1>;tag=2\r\n\
            Call-ID: r1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
        assert!(matches!(screen.datagram(response, source), Verdict::Pass));
    }
}

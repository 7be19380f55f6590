//! Parse-level inspection of one SIP message: never panics, whatever the bytes.
//!
//! rsipstack's parser is lenient on purpose (a missing or garbled Content-Length becomes 0, a
//! message without Call-ID parses fine and is later dropped without an answer). This module
//! puts a strict gate in front of it: it parses with rsipstack, then checks what RFC 3261
//! requires before a transaction can exist (Via, From with tag, To, Call-ID, CSeq matching the
//! method) and that Content-Length tells the truth. Its verdict decides whether a datagram is
//! handed to the stack, answered with `400 <what was wrong>`, or dropped.

use rsipstack::sip::headers::untyped::ToTypedHeader;
use rsipstack::sip::{Header, SipMessage, Version};

use crate::error::{Defect, SipError};

/// What a valid message is, in plain types (the fuzzable result of [`inspect_message`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSummary {
    /// Request method and URI, or response status.
    pub kind: MessageKind,
    pub call_id: String,
    pub cseq: u32,
    /// The CSeq method (for a response: the method of the request it answers).
    pub cseq_method: String,
    pub from_tag: Option<String>,
    pub to_tag: Option<String>,
    /// Bytes of body the message carries (after Content-Length truncation).
    pub body_len: usize,
}

/// Request or response, as carried by the start line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageKind {
    Request { method: String, uri: String },
    Response { status: u16 },
}

/// Parses and validates one complete SIP message (a UDP datagram, or one framed stream
/// message). Suitable as a fuzz target: every input yields `Ok` or a typed error.
pub fn inspect_message(bytes: &[u8]) -> Result<MessageSummary, SipError> {
    match examine(bytes) {
        Examined::Valid(summary) => Ok(summary),
        Examined::Invalid(_, defect) => Err(SipError::Invalid(defect)),
        Examined::Unparseable(reason) => Err(SipError::Unparseable(reason)),
    }
}

/// The full verdict, keeping the parsed message so a `400` can echo its headers.
pub(crate) enum Examined {
    Valid(MessageSummary),
    Invalid(Box<SipMessage>, Defect),
    Unparseable(String),
}

/// Raw-bytes inspection: parse, then check Content-Length against the bytes actually present.
pub(crate) fn examine(bytes: &[u8]) -> Examined {
    let message = match SipMessage::try_from(bytes) {
        Ok(message) => message,
        Err(error) => {
            return match unknown_method(bytes) {
                Some(refused) => refused,
                None => Examined::Unparseable(error.to_string()),
            }
        }
    };
    // The parser found the blank line, otherwise it would have failed above.
    let available = body_start(bytes).map_or(0, |start| bytes.len() - start);
    if let Err(defect) = check_content_length(&message, Some(available)) {
        return Examined::Invalid(Box::new(message), defect);
    }
    match validate(&message) {
        Ok(summary) => Examined::Valid(summary),
        Err(defect) => Examined::Invalid(Box::new(message), defect),
    }
}

/// Validation of an already parsed message (stream transports frame by Content-Length, so only
/// the header rules apply there).
pub(crate) fn validate(message: &SipMessage) -> Result<MessageSummary, Defect> {
    if let SipMessage::Request(request) = message {
        // Checked first: nothing else in a message of another version can be trusted to
        // mean what SIP/2.0 says it means.
        if request.version != Version::V2 {
            return Err(Defect::UnsupportedVersion(request.version.to_string()));
        }
    }
    check_content_length(message, None)?;
    let headers = headers_of(message);

    let via =
        first(headers, |h| matches!(h, Header::Via(_))).ok_or(Defect::MissingHeader("Via"))?;
    if let Header::Via(via) = via {
        via.typed().map_err(|_| Defect::MalformedHeader("Via"))?;
    }

    let from = headers.iter().find_map(|h| match h {
        Header::From(from) => Some(from),
        _ => None,
    });
    let from = from.ok_or(Defect::MissingHeader("From"))?;
    let from_tag = from
        .tag()
        .map_err(|_| Defect::MalformedHeader("From"))?
        .map(|tag| tag.value().to_string());

    let to = headers.iter().find_map(|h| match h {
        Header::To(to) => Some(to),
        _ => None,
    });
    let to = to.ok_or(Defect::MissingHeader("To"))?;
    let to_tag = to
        .tag()
        .map_err(|_| Defect::MalformedHeader("To"))?
        .map(|tag| tag.value().to_string());

    let call_id = headers.iter().find_map(|h| match h {
        Header::CallId(call_id) => Some(call_id.value().trim().to_string()),
        _ => None,
    });
    let call_id = call_id.ok_or(Defect::MissingHeader("Call-ID"))?;
    if call_id.is_empty() {
        return Err(Defect::MalformedHeader("Call-ID"));
    }

    let cseq = headers.iter().find_map(|h| match h {
        Header::CSeq(cseq) => Some(cseq),
        _ => None,
    });
    let cseq = cseq.ok_or(Defect::MissingHeader("CSeq"))?;
    let seq = cseq.seq().map_err(|_| Defect::MalformedHeader("CSeq"))?;
    let cseq_method = cseq
        .method()
        .map_err(|_| Defect::MalformedHeader("CSeq"))?
        .to_string();

    let kind = match message {
        SipMessage::Request(request) => {
            let method = request.method.to_string();
            if method != cseq_method {
                return Err(Defect::CSeqMethodMismatch {
                    cseq: cseq_method,
                    method,
                });
            }
            if from_tag.is_none() {
                return Err(Defect::MissingFromTag);
            }
            if !request_uri_is_valid(&request.uri) {
                return Err(Defect::MalformedRequestUri);
            }
            MessageKind::Request {
                method,
                uri: request.uri.to_string(),
            }
        }
        SipMessage::Response(response) => MessageKind::Response {
            status: response.status_code.code(),
        },
    };

    Ok(MessageSummary {
        kind,
        call_id,
        cseq: seq,
        cseq_method,
        from_tag,
        to_tag,
        body_len: body_of(message).len(),
    })
}

/// Every Content-Length header must be a decimal number, all must agree, and (when the raw
/// byte count is known) the number must not exceed the bytes after the blank line.
fn check_content_length(message: &SipMessage, available: Option<usize>) -> Result<(), Defect> {
    let mut declared: Option<usize> = None;
    for header in headers_of(message).iter() {
        if let Header::ContentLength(length) = header {
            let value = length.value().trim();
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Defect::InvalidContentLength);
            }
            let value: usize = value.parse().map_err(|_| Defect::InvalidContentLength)?;
            match declared {
                Some(previous) if previous != value => return Err(Defect::InvalidContentLength),
                _ => declared = Some(value),
            }
        }
    }
    if let (Some(declared), Some(available)) = (declared, available) {
        if declared > available {
            return Err(Defect::ContentLengthExceedsBody {
                declared,
                available,
            });
        }
    }
    Ok(())
}

/// A request whose start line is well formed except that its method is one the parser does
/// not know. RFC 3261 §8.2.1 wants `501` with `Allow`, not silence; rsipstack refuses to parse
/// unknown methods, so the message is parsed again with a placeholder method only to recover
/// the transaction headers the `501` must echo (the placeholder is never handed on).
fn unknown_method(bytes: &[u8]) -> Option<Examined> {
    let line_end = bytes.windows(2).position(|w| w == b"\r\n")?;
    let start_line = std::str::from_utf8(&bytes[..line_end]).ok()?;
    let mut parts = start_line.splitn(3, ' ');
    let (method, uri, version) = (parts.next()?, parts.next()?, parts.next()?);
    if method.is_empty() || !method.bytes().all(is_token_byte) || uri.is_empty() {
        return None;
    }
    if method.parse::<rsipstack::sip::Method>().is_ok() || !version.starts_with("SIP/") {
        return None;
    }
    let mut substituted = format!("OPTIONS {uri} {version}").into_bytes();
    substituted.extend_from_slice(&bytes[line_end..]);
    let message = SipMessage::try_from(substituted.as_slice()).ok()?;
    if let SipMessage::Request(request) = &message {
        if request.version != Version::V2 {
            return Some(Examined::Invalid(
                Box::new(message.clone()),
                Defect::UnsupportedVersion(request.version.to_string()),
            ));
        }
    }
    Some(Examined::Invalid(
        Box::new(message),
        Defect::UnknownMethod(method.to_string()),
    ))
}

/// RFC 3261 §25.1 `token` characters.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&byte)
}

/// A Request-URI we can route on: `sip:`/`sips:` with a host, or `tel:` with a number, and
/// every `%` starting a two-digit hex escape. rsipstack accepts a URI without a scheme (it
/// reads `not%a%uri` as a host name), so this is checked here.
fn request_uri_is_valid(uri: &rsipstack::sip::Uri) -> bool {
    use rsipstack::sip::uri::Scheme;
    let text = uri.to_string();
    if !escapes_are_valid(&text) {
        return false;
    }
    match &uri.scheme {
        Some(Scheme::Sip | Scheme::Sips) => !uri.host_with_port.host.to_string().is_empty(),
        Some(Scheme::Other(other)) if other.eq_ignore_ascii_case("tel") => {
            text.len() > "tel:".len()
        }
        _ => false,
    }
}

fn escapes_are_valid(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = bytes.get(at + 1..at + 3);
            if !hex.is_some_and(|pair| pair.iter().all(u8::is_ascii_hexdigit)) {
                return false;
            }
            at += 3;
        } else {
            at += 1;
        }
    }
    true
}

fn body_start(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map(|at| at + 4)
}

fn first(headers: &rsipstack::sip::Headers, wanted: impl Fn(&Header) -> bool) -> Option<&Header> {
    headers.iter().find(|h| wanted(h))
}

pub(crate) fn headers_of(message: &SipMessage) -> &rsipstack::sip::Headers {
    match message {
        SipMessage::Request(request) => &request.headers,
        SipMessage::Response(response) => &response.headers,
    }
}

pub(crate) fn body_of(message: &SipMessage) -> &[u8] {
    match message {
        SipMessage::Request(request) => &request.body,
        SipMessage::Response(response) => &response.body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite(extra_headers: &str, body: &str) -> Vec<u8> {
        format!(
            "INVITE sip:100@127.0.0.1 SIP/2.0\r\n\
             Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n\
             From: <sip:alice@127.0.0.1>;tag=abc\r\n\
             To: <sip:100@127.0.0.1>\r\n\
             Call-ID: c1@127.0.0.1\r\n\
             CSeq: 1 INVITE\r\n\
             {extra_headers}\r\n{body}"
        )
        .into_bytes()
    }

    fn without(bytes: &[u8], header_prefix: &str) -> Vec<u8> {
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        text.split("\r\n")
            .filter(|line| !line.starts_with(header_prefix))
            .collect::<Vec<_>>()
            .join("\r\n")
            .into_bytes()
    }

    #[test]
    fn a_complete_invite_is_summarised() {
        let summary = inspect_message(&invite("Content-Length: 4\r\n", "v=0\n")).unwrap();
        assert_eq!(
            summary.kind,
            MessageKind::Request {
                method: "INVITE".into(),
                uri: "sip:100@127.0.0.1".into()
            }
        );
        assert_eq!(summary.call_id, "c1@127.0.0.1");
        assert_eq!(summary.cseq, 1);
        assert_eq!(summary.from_tag.as_deref(), Some("abc"));
        assert_eq!(summary.to_tag, None);
        assert_eq!(summary.body_len, 4);
    }

    #[test]
    fn each_mandatory_header_is_named_when_missing() {
        let complete = invite("Content-Length: 0\r\n", "");
        for (prefix, name) in [
            ("Via:", "Via"),
            ("From:", "From"),
            ("To:", "To"),
            ("Call-ID:", "Call-ID"),
            ("CSeq:", "CSeq"),
        ] {
            let error = inspect_message(&without(&complete, prefix)).unwrap_err();
            assert_eq!(error, SipError::Invalid(Defect::MissingHeader(name)));
            assert_eq!(
                Defect::MissingHeader(name).to_string(),
                format!("Missing {name} header")
            );
        }
    }

    #[test]
    fn content_length_must_be_numeric_and_not_exceed_the_body() {
        assert_eq!(
            inspect_message(&invite("Content-Length: ten\r\n", "")).unwrap_err(),
            SipError::Invalid(Defect::InvalidContentLength)
        );
        assert_eq!(
            inspect_message(&invite("Content-Length: 100\r\n", "v=0\n")).unwrap_err(),
            SipError::Invalid(Defect::ContentLengthExceedsBody {
                declared: 100,
                available: 4
            })
        );
        assert_eq!(
            inspect_message(&invite("Content-Length: 1\r\nContent-Length: 2\r\n", "ab"))
                .unwrap_err(),
            SipError::Invalid(Defect::InvalidContentLength)
        );
    }

    #[test]
    fn cseq_method_must_match_and_from_needs_a_tag() {
        let text = String::from_utf8(invite("Content-Length: 0\r\n", "")).unwrap();
        let mismatched = text.replace("CSeq: 1 INVITE", "CSeq: 1 BYE");
        assert!(matches!(
            inspect_message(mismatched.as_bytes()).unwrap_err(),
            SipError::Invalid(Defect::CSeqMethodMismatch { .. })
        ));
        let untagged = text.replace(";tag=abc", "");
        assert_eq!(
            inspect_message(untagged.as_bytes()).unwrap_err(),
            SipError::Invalid(Defect::MissingFromTag)
        );
        let bad_cseq = text.replace("CSeq: 1 INVITE", "CSeq: one INVITE");
        assert_eq!(
            inspect_message(bad_cseq.as_bytes()).unwrap_err(),
            SipError::Invalid(Defect::MalformedHeader("CSeq"))
        );
    }

    #[test]
    fn garbage_and_truncation_are_unparseable() {
        assert!(matches!(
            inspect_message(b"hello world"),
            Err(SipError::Unparseable(_))
        ));
        let complete = invite("Content-Length: 0\r\n", "");
        let truncated = &complete[..complete.len() / 2];
        assert!(matches!(
            inspect_message(truncated),
            Err(SipError::Unparseable(_))
        ));
    }

    #[test]
    fn responses_are_summarised_with_their_status() {
        let response = b"SIP/2.0 486 Busy Here\r\n\
            Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-9\r\n\
            From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\n\
            Call-ID: r1\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n";
        let summary = inspect_message(response).unwrap();
        assert_eq!(summary.kind, MessageKind::Response { status: 486 });
        assert_eq!(summary.cseq_method, "INVITE");
        assert_eq!(summary.to_tag.as_deref(), Some("2"));
    }

    mod never_panics {
        use super::*;
        use proptest::prelude::*;

        const SEED: &str = "INVITE sip:100@127.0.0.1 SIP/2.0\r\n\
            Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\n\
            From: \"A\" <sip:alice@127.0.0.1>;tag=abc\r\n\
            To: <sip:100@127.0.0.1>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n\
            Contact: <sip:alice@127.0.0.1:5070>\r\nContent-Length: 4\r\n\r\nv=0\n";

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(4000))]

            #[test]
            fn on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
                let _ = inspect_message(&bytes);
            }

            #[test]
            fn on_mutated_messages(
                edits in proptest::collection::vec((0usize..SEED.len(), any::<u8>()), 1..12),
                cut in 0usize..=SEED.len(),
            ) {
                let mut bytes = SEED.as_bytes().to_vec();
                for (at, byte) in edits {
                    bytes[at] = byte;
                }
                bytes.truncate(cut.max(1));
                let _ = inspect_message(&bytes);
            }

            #[test]
            fn on_header_soup(lines in proptest::collection::vec(
                "(Via|From|To|Call-ID|CSeq|Content-Length|Contact|f|t|v|i|l|m): ?[ -~]{0,40}", 0..10)
            ) {
                let text = format!("OPTIONS sip:x@y SIP/2.0\r\n{}\r\n\r\n", lines.join("\r\n"));
                let _ = inspect_message(text.as_bytes());
            }
        }
    }
}

//! Typed errors: what was wrong with a message, a command or the endpoint.

use crate::LegId;

/// Why a message that parsed is still not an acceptable SIP message.
///
/// The `Display` text is used verbatim as the reason phrase of the response we answer with
/// ([`Defect::status`]: 400, or 501 / 505 with their standard phrases), so it names the
/// offending header the way a carrier's engineer would look for it in a trace.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Defect {
    /// A header every request and response must carry (RFC 3261 §8.1.1) is absent.
    #[error("Missing {0} header")]
    MissingHeader(&'static str),
    /// The header is present but its value does not parse.
    #[error("Malformed {0} header")]
    MalformedHeader(&'static str),
    /// The From header of a request has no tag, so no dialog or transaction can be keyed on it.
    #[error("Missing From tag")]
    MissingFromTag,
    /// The CSeq method differs from the request method (RFC 3261 §8.1.1.5).
    #[error("CSeq method {cseq} does not match request method {method}")]
    CSeqMethodMismatch { cseq: String, method: String },
    /// Content-Length is not a decimal number, or two Content-Length headers disagree.
    #[error("Invalid Content-Length")]
    InvalidContentLength,
    /// Content-Length announces more bytes than the datagram carries (RFC 3261 §18.3).
    #[error("Content-Length {declared} exceeds body of {available} bytes")]
    ContentLengthExceedsBody { declared: usize, available: usize },
    /// The Request-URI has no `sip:`, `sips:` or `tel:` scheme, no host, or a broken `%`
    /// escape (RFC 3261 §19.1.1, §25.1).
    #[error("Malformed Request-URI")]
    MalformedRequestUri,
    /// The start line names a SIP version other than 2.0 (RFC 3261 §8.2.2: 505).
    #[error("Version Not Supported")]
    UnsupportedVersion(String),
    /// A well-formed method token we do not implement (RFC 3261 §8.2.1: 501 with Allow).
    #[error("Not Implemented")]
    UnknownMethod(String),
}

impl Defect {
    /// The status code a request with this defect is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Defect::UnsupportedVersion(_) => 505,
            Defect::UnknownMethod(_) => 501,
            _ => 400,
        }
    }
}

/// Everything this crate can refuse or fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SipError {
    /// The bytes are not a SIP message at all (no header/body separator, bad start line, ...).
    #[error("unparseable SIP message: {0}")]
    Unparseable(String),
    /// The bytes parse as SIP but the message breaks a rule we enforce.
    #[error("invalid SIP message: {0}")]
    Invalid(Defect),
    /// No live leg has this id (never existed, or already ended).
    #[error("{0} does not exist or has ended")]
    UnknownLeg(LegId),
    /// The command does not apply to the leg in its current state.
    #[error("{leg} cannot {action} while {state}")]
    WrongState {
        leg: LegId,
        action: &'static str,
        state: &'static str,
    },
    /// A status code that is not a final failure response (300-699).
    #[error("status {0} is not a final failure response (300-699)")]
    InvalidStatus(u16),
    /// An outbound target or number that cannot be turned into a SIP URI.
    #[error("invalid outbound request: {0}")]
    InvalidTarget(String),
    /// A listener could not be bound.
    #[error("cannot listen on {transport} {addr}: {reason}")]
    Bind {
        transport: &'static str,
        addr: std::net::SocketAddr,
        reason: String,
    },
    /// The configuration is unusable (for example no listener at all).
    #[error("invalid SIP configuration: {0}")]
    Config(String),
    /// The underlying SIP stack refused the operation.
    #[error("SIP stack error: {0}")]
    Stack(String),
}

impl SipError {
    /// Wraps an error of the underlying stack without exposing its type.
    pub(crate) fn stack(error: impl std::fmt::Display) -> Self {
        SipError::Stack(error.to_string())
    }
}

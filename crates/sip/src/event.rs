//! What the endpoint tells the runtime: one stream of typed events, keyed by leg.

use std::net::SocketAddr;

use tokio::sync::oneshot;

use crate::config::Transport;

/// One SIP call leg on the trunk side (an inbound INVITE or one we sent). Never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LegId(pub u64);

impl std::fmt::Display for LegId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sip-leg-{}", self.0)
    }
}

/// A new inbound call: answer with `ringing`, `answer` or `reject`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingCall {
    pub leg: LegId,
    /// Address the INVITE came from (for the tenant's trunk allow-list).
    pub source: SocketAddr,
    pub transport: Transport,
    pub call_id: String,
    /// The caller id as the carrier sent it in From: the user part of a `sip:` URI, or a whole
    /// `tel:` URI; empty when it has neither. Untrusted: classify it before use.
    pub from_user: String,
    pub from_display: Option<String>,
    /// User part of the Request-URI: the DID dialled.
    pub to_user: String,
    /// The SDP offer; `None` for an offerless INVITE (our 200 carries the offer and the answer
    /// arrives in `SipEvent::Confirmed::ack_sdp`).
    pub offer: Option<String>,
}

/// The runtime's answer to a re-INVITE: `Ok(sdp)` sends 200 with that SDP, `Err(status)`
/// refuses it (for example 488); the call continues either way.
pub type ReinviteReply = oneshot::Sender<Result<String, u16>>;

/// Everything that happens on the trunk side.
///
/// Each leg ends with exactly one of `Cancelled`, `RemoteHangUp`, `OutboundFailed`,
/// `SessionExpired` or `Lost`, unless the runtime ended it itself (`reject`, `hang_up`), in
/// which case no event follows.
#[derive(Debug)]
pub enum SipEvent {
    IncomingCall(IncomingCall),
    /// The carrier ACKed our 200: the inbound call is up.
    Confirmed {
        leg: LegId,
        ack_sdp: Option<String>,
    },
    /// The caller gave up before the call was answered (CANCEL; we sent 487).
    Cancelled {
        leg: LegId,
    },
    /// The far end sent BYE.
    RemoteHangUp {
        leg: LegId,
    },
    /// Hold, resume or a media change mid-call. `sdp` is `None` for an offerless re-INVITE,
    /// whose reply must then carry an offer.
    Reinvite {
        leg: LegId,
        sdp: Option<String>,
        reply: ReinviteReply,
    },
    /// A DTMF digit signalled by SIP INFO (`application/dtmf-relay` or `application/dtmf`).
    Dtmf {
        leg: LegId,
        digit: char,
        duration_ms: Option<u32>,
    },
    /// 180 or 183 to our INVITE; `sdp` is early media.
    OutboundProgress {
        leg: LegId,
        status: u16,
        sdp: Option<String>,
    },
    /// 200 to our INVITE (already ACKed).
    OutboundAnswered {
        leg: LegId,
        sdp: Option<String>,
    },
    /// Our INVITE failed: the carrier's final status and reason phrase (486 busy, 480/408 no
    /// answer, 403/404/603 rejected, 401/407 if the credentials were refused), or 503 when the
    /// trunk could not be reached.
    OutboundFailed {
        leg: LegId,
        status: u16,
        reason: String,
    },
    /// The session timer ran out without a refresh; we sent BYE.
    SessionExpired {
        leg: LegId,
    },
    /// The leg died without the far end saying so (our 200 was never ACKed, or the
    /// transport failed); we sent BYE where that was still possible.
    Lost {
        leg: LegId,
        reason: String,
    },
}

impl SipEvent {
    /// The leg this event is about.
    pub fn leg(&self) -> LegId {
        match self {
            SipEvent::IncomingCall(call) => call.leg,
            SipEvent::Confirmed { leg, .. }
            | SipEvent::Cancelled { leg }
            | SipEvent::RemoteHangUp { leg }
            | SipEvent::Reinvite { leg, .. }
            | SipEvent::Dtmf { leg, .. }
            | SipEvent::OutboundProgress { leg, .. }
            | SipEvent::OutboundAnswered { leg, .. }
            | SipEvent::OutboundFailed { leg, .. }
            | SipEvent::SessionExpired { leg }
            | SipEvent::Lost { leg, .. } => *leg,
        }
    }
}

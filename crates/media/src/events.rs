//! What the media engine tells the telephony runtime.

use callbridge_core::{AgentId, CallId};

/// Why an agent's media session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisconnectReason {
    /// Nothing arrived from the browser for the configured `agent_timeout`.
    Silence,
    /// ICE or DTLS reported the peer gone, or the peer closed the connection.
    PeerGone,
}

/// Something that happened on a media path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    /// The agent's WebRTC session finished ICE and DTLS: audio can flow.
    AgentConnected { agent: AgentId },
    /// The agent's WebRTC session ended by itself (never after `close_agent_session`, nor for a
    /// session replaced by a new `open_agent_session`); the softphone must offer again.
    AgentDisconnected {
        agent: AgentId,
        reason: DisconnectReason,
    },
    /// The customer sent no RTP for `media_timeout` while the call was up and not on hold.
    MediaTimeout { call: CallId },
    /// The customer pressed a key (RFC 4733), reported once per key press.
    Dtmf { call: CallId, digit: char },
    /// A prompt that plays once (an announcement) reached its end.
    PromptFinished { call: CallId },
}

//! Why an outbound call was not answered, in words an agent understands.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why the trunk could not connect an outbound call.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutboundFailure {
    /// The called line is busy (486 / 600).
    Busy,
    /// Nobody answered in time (408 / 480, or our own answer timeout).
    NoAnswer,
    /// The called party declined the call (603).
    Declined,
    /// The number does not exist or is not reachable from our trunk (404 / 484 / 604).
    InvalidNumber,
    /// The trunk or the network could not be reached (timeouts, 503, transport errors).
    Unreachable,
    /// The trunk refused the call for a reason of its own.
    Rejected { status: u16 },
    /// The called party hung up before the call was answered.
    EndedBeforeAnswer,
    /// The tenant has no trunk to place calls on (a configuration gap; the trunk was never
    /// asked).
    NoTrunk,
    /// Every media port in the configured range is in use (the trunk was never asked).
    NoAudioPort,
    /// Callbridge could not place the call for a reason of its own; `detail` is for the record
    /// and the logs (it may name internals), the agent is told a fixed sentence.
    NotPlaced { detail: String },
}

impl OutboundFailure {
    /// What the agent is told.
    pub fn message(&self) -> String {
        match self {
            OutboundFailure::Busy => "The line is busy.".to_owned(),
            OutboundFailure::NoAnswer => "Nobody answered the call.".to_owned(),
            OutboundFailure::Declined => "The person you called declined the call.".to_owned(),
            OutboundFailure::InvalidNumber => {
                "The number you dialled does not exist or cannot be reached.".to_owned()
            }
            OutboundFailure::Unreachable => {
                "The phone network could not be reached; try again in a moment.".to_owned()
            }
            OutboundFailure::Rejected { status } => {
                format!("The phone network refused the call (SIP status {status}).")
            }
            OutboundFailure::EndedBeforeAnswer => {
                "The call ended before it was answered.".to_owned()
            }
            OutboundFailure::NoTrunk => {
                "Outbound calls are not set up for your contact center (no trunk configured)."
                    .to_owned()
            }
            OutboundFailure::NoAudioPort => {
                "No audio port is free for the call right now; try again in a moment.".to_owned()
            }
            OutboundFailure::NotPlaced { .. } => {
                "The call could not be placed because of a problem on our side; try again in a moment."
                    .to_owned()
            }
        }
    }

    /// A short word for logs and CDR columns.
    pub fn as_word(&self) -> &'static str {
        match self {
            OutboundFailure::Busy => "busy",
            OutboundFailure::NoAnswer => "no_answer",
            OutboundFailure::Declined => "declined",
            OutboundFailure::InvalidNumber => "invalid_number",
            OutboundFailure::Unreachable => "unreachable",
            OutboundFailure::Rejected { .. } => "rejected",
            OutboundFailure::EndedBeforeAnswer => "ended_before_answer",
            OutboundFailure::NoTrunk => "no_trunk",
            OutboundFailure::NoAudioPort => "no_audio_port",
            OutboundFailure::NotPlaced { .. } => "not_placed",
        }
    }
}

impl fmt::Display for OutboundFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

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
        }
    }
}

impl fmt::Display for OutboundFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

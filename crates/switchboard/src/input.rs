//! What the runtime tells the switchboard: agents' actions and the telephony facts of calls.

use callbridge_core::{AgentId, CallId, CallerNumber, QueueId, TenantId, TransferTarget, E164};
use serde::{Deserialize, Serialize};

use crate::agent::UnavailableReason;
use crate::outbound::OutboundFailure;

/// A side of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Leg {
    Customer,
    Agent,
}

/// An input to the [`Switchboard`](crate::Switchboard).
///
/// Inputs may be duplicated, late or out of order (an answer after a hang-up, a second hang-up);
/// the switchboard ignores what no longer applies and never ends a call twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Input {
    // ----- agents -----
    /// The agent's softphone and media session are up; they serve these queues of `tenant`.
    /// Sent again while online, it replaces the agent's queues and keeps their state.
    AgentOnline {
        agent: AgentId,
        tenant: TenantId,
        queues: Vec<QueueId>,
        /// Start Available (`true`) or Unavailable("away").
        available: bool,
    },
    /// The agent is ready for calls (also ends a wrap-up early).
    SetAvailable {
        agent: AgentId,
    },
    /// The agent pauses.
    SetUnavailable {
        agent: AgentId,
        reason: UnavailableReason,
    },
    /// The agent signed out (or their softphone is gone for good): a call ringing there moves
    /// on, a call in progress ends.
    AgentOffline {
        agent: AgentId,
    },
    /// The agent's softphone went away without signing out (its socket closed or failed, it
    /// was replaced by another tab, or its audio session died). A call in progress waits for
    /// the agent for the grace period (`SwitchboardConfig::agent_grace`), the customer hearing
    /// the queue's music; the agent's next `AgentOnline` within it takes the call back. In any
    /// other state this is [`Input::AgentOffline`].
    AgentLost {
        agent: AgentId,
    },

    // ----- inbound -----
    /// A customer called `dialled`, which routes to `queue` of `tenant`. The runtime assigned the
    /// call id.
    InboundCall {
        call: CallId,
        tenant: TenantId,
        queue: QueueId,
        customer: CallerNumber,
        dialled: String,
    },
    /// The agent accepted the call ringing at them.
    Answer {
        agent: AgentId,
        call: CallId,
    },
    /// The agent rejected the call ringing at them; it moves on, with no penalty.
    Decline {
        agent: AgentId,
        call: CallId,
    },

    // ----- outbound (click-to-dial) -----
    /// An available agent asks to call `to` (validated by `callbridge-phone` at the edge) on a
    /// call id the runtime assigned.
    Dial {
        agent: AgentId,
        call: CallId,
        to: E164,
    },
    /// The far end is ringing (180/183).
    OutboundRinging {
        call: CallId,
    },
    /// The far end answered (200).
    OutboundAnswered {
        call: CallId,
    },
    /// The outbound call could not be connected.
    OutboundFailed {
        call: CallId,
        failure: OutboundFailure,
    },

    // ----- during a call -----
    /// Blind transfer by the connected agent, keeping the call id.
    Transfer {
        agent: AgentId,
        call: CallId,
        to: TransferTarget,
    },
    Hold {
        agent: AgentId,
        call: CallId,
    },
    Resume {
        agent: AgentId,
        call: CallId,
    },
    /// The agent pressed hang up: ends a connected call, cancels an outbound call not yet
    /// answered, declines a ringing one.
    AgentHangUp {
        agent: AgentId,
        call: CallId,
    },

    // ----- the customer leg and the network -----
    /// The customer's leg ended (BYE, CANCEL).
    CustomerHungUp {
        call: CallId,
    },
    /// The announcement the switchboard asked for has finished playing.
    PromptFinished {
        call: CallId,
    },
    /// No media arrived from `leg` for the configured time.
    MediaTimeout {
        call: CallId,
        leg: Leg,
    },
    /// The trunk or the signalling failed for this call; `detail` is for the record.
    TrunkFailed {
        call: CallId,
        detail: String,
    },
}

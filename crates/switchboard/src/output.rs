//! What the switchboard asks the runtime to do.

use callbridge_core::{
    AgentId, CallId, CallerNumber, Direction, EndCause, Event, QueueId, TenantId,
};
use serde::{Deserialize, Serialize};

use crate::agent::AgentState;
use crate::cdr::Cdr;
use crate::refusal::Refusal;

/// Audio the customer hears when they are not bridged to an agent.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "queue", rename_all = "snake_case")]
pub enum Prompt {
    /// A ringing tone (in-band, for calls already answered).
    Ringback,
    /// The queue's music; `None` is the tenant's default music (calls that have no queue).
    Music(Option<QueueId>),
    /// The queue's announcement; the runtime reports its end with
    /// [`Input::PromptFinished`](crate::Input::PromptFinished).
    Announcement(QueueId),
    Silence,
}

/// Why a ring stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopRinging {
    /// Nobody answered within the ring timeout.
    NotAnswered,
    /// The agent declined.
    Declined,
    /// The customer hung up.
    CustomerHungUp,
    /// The call ended for another reason (failure, overflow).
    CallEnded,
    /// The agent's softphone went away.
    AgentOffline,
}

/// A command for the runtime. Execute in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Output {
    /// An event for the integration engine (`callbridge-core`) of the call's tenant: the
    /// switchboard knows the tenant of every call, so the runtime never has to look it up.
    Integration { tenant: TenantId, event: Event },

    // ----- the customer leg -----
    /// Send 180 Ringing on the unanswered inbound call.
    RingbackCustomer { call: CallId },
    /// Answer the inbound call (200 OK).
    AnswerCustomer { call: CallId },
    /// Play this to the customer until told otherwise (a `Bridge` replaces it).
    PlayToCustomer { call: CallId, prompt: Prompt },
    /// Reject the unanswered inbound call with this SIP status.
    RejectCustomer {
        call: CallId,
        status: u16,
        reason: String,
    },
    /// Hang up the answered customer leg (BYE).
    HangUpCustomer { call: CallId },

    // ----- media -----
    /// Connect the customer and the agent's media session (this ends any prompt).
    Bridge { call: CallId, agent: AgentId },
    /// Disconnect the agent from the customer.
    Unbridge { call: CallId },
    /// Start the call's one recording (once per call, at the first connect).
    StartRecording { call: CallId },
    /// Stop and finish the call's recording (once, when the call ends).
    StopRecording { call: CallId },

    // ----- agents -----
    /// Ring the agent's softphone.
    RingAgent {
        agent: AgentId,
        call: CallId,
        customer: CallerNumber,
        queue: Option<QueueId>,
        direction: Direction,
        /// Set when a colleague transferred the call to this agent or their queue.
        transferred_by: Option<AgentId>,
    },
    /// Stop ringing the agent's softphone.
    StopRinging {
        agent: AgentId,
        call: CallId,
        why: StopRinging,
    },
    /// The answered call the agent was connected to (or holding) has ended, and why. Comes
    /// before the `AgentUpdate` that moves the agent on (wrap-up or available).
    CallEnded {
        agent: AgentId,
        call: CallId,
        cause: EndCause,
        /// The call ended because the agent's softphone did not come back within the grace
        /// period (`cause` is then `Failed`).
        agent_lost: bool,
    },
    /// The agent's state changed; `message` says it in words (including why an outbound call
    /// failed, or what happened to their call).
    AgentUpdate {
        agent: AgentId,
        state: AgentState,
        message: String,
    },
    /// The agent's request was turned down.
    Refused {
        agent: AgentId,
        call: Option<CallId>,
        refusal: Refusal,
    },

    // ----- outbound -----
    /// Place the call on the tenant's trunk, with the tenant's caller id. Report back with
    /// `OutboundRinging` / `OutboundAnswered` / `OutboundFailed`.
    Originate {
        call: CallId,
        tenant: TenantId,
        agent: AgentId,
        to: String,
    },
    /// Abandon the outbound attempt (CANCEL).
    CancelOriginate { call: CallId },

    /// The call is over: its one record.
    CallRecord(Box<Cdr>),

    // ----- for observers -----
    /// The call joined `queue` and waits there for an agent (it still waits while it rings at
    /// one); it leaves when an agent answers it or it ends. Nothing to carry out: it tells
    /// observers (the supervisor's wall) what no other output says.
    CallQueued {
        tenant: TenantId,
        call: CallId,
        queue: QueueId,
        customer: CallerNumber,
        direction: Direction,
    },
}

impl Output {
    /// The call this output is about, if any.
    pub fn call(&self) -> Option<&CallId> {
        match self {
            Output::Integration { event, .. } => event.call(),
            Output::RingbackCustomer { call }
            | Output::AnswerCustomer { call }
            | Output::PlayToCustomer { call, .. }
            | Output::RejectCustomer { call, .. }
            | Output::HangUpCustomer { call }
            | Output::Bridge { call, .. }
            | Output::Unbridge { call }
            | Output::StartRecording { call }
            | Output::StopRecording { call }
            | Output::RingAgent { call, .. }
            | Output::StopRinging { call, .. }
            | Output::CallEnded { call, .. }
            | Output::Originate { call, .. }
            | Output::CancelOriginate { call }
            | Output::CallQueued { call, .. } => Some(call),
            Output::CallRecord(cdr) => Some(&cdr.call),
            Output::Refused { call, .. } => call.as_ref(),
            Output::AgentUpdate { .. } => None,
        }
    }
}

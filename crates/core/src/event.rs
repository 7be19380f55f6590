//! What the runtime tells the core: telephony facts, CRM results and agent actions.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::caller::CallerNumber;
use crate::ids::{AgentId, CallId, CaseRef, ContactRef, QueueId, RecordingLocator, TenantId};

/// Who placed the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The customer called the contact center.
    Inbound,
    /// An agent called the customer (for example click-to-dial).
    Outbound,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        })
    }
}

/// Where a call was transferred to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferTarget {
    /// Straight to an agent.
    Agent(AgentId),
    /// To a queue; an agent is offered the call later.
    Queue(QueueId),
}

/// Why a call ended.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndCause {
    /// The customer hung up.
    CustomerHungUp,
    /// The agent hung up.
    AgentHungUp,
    /// The customer hung up before anyone answered.
    Abandoned,
    /// The call failed (network, media, trunk); the detail is for logs.
    Failed(String),
}

/// Why a CRM lookup failed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LookupFailure {
    /// The agent's CRM authorisation expired or was revoked.
    RelinkRequired,
    /// The CRM could not answer (down, slow, refused); the detail is shown to the agent.
    Unavailable(String),
}

/// The outcome of a [`Command::LookupContacts`](crate::Command::LookupContacts).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LookupResult {
    /// The records whose phone numbers match (possibly none).
    Matches(Vec<ContactRef>),
    /// No answer.
    Failed(LookupFailure),
}

/// An input to the [`Engine`](crate::Engine).
///
/// Events may arrive duplicated, late or out of order; the engine ignores what it cannot use and
/// never lets such an event create a second Case or lose one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The call is ringing at `agent`. The first offer of a call id creates the call; later ones
    /// (ring-all, re-offer after a transfer) ring it at more agents, and their tenant, direction
    /// and customer are ignored (a call keeps those for its whole life).
    CallOffered {
        call: CallId,
        tenant: TenantId,
        direction: Direction,
        /// The customer's number as the edge classified it.
        customer: CallerNumber,
        agent: AgentId,
    },
    /// `agent` answered the call.
    AgentAnswered { call: CallId, agent: AgentId },
    /// `agent` and the customer are connected (media flows).
    Connected { call: CallId, agent: AgentId },
    /// `from` handed the call over.
    Transferred {
        call: CallId,
        from: AgentId,
        to: TransferTarget,
    },
    /// The customer was put on hold.
    Held { call: CallId },
    /// The customer was taken off hold.
    Resumed { call: CallId },
    /// The call is over.
    Ended { call: CallId, cause: EndCause },
    /// The call's recording is stored.
    RecordingReady {
        call: CallId,
        recording: RecordingLocator,
    },
    /// Answer to a [`Command::LookupContacts`](crate::Command::LookupContacts).
    LookupCompleted {
        call: CallId,
        agent: AgentId,
        result: LookupResult,
    },
    /// The agent picked a contact in the chooser, or created one through "new contact".
    ContactChosen {
        call: CallId,
        agent: AgentId,
        contact: ContactRef,
    },
    /// The CRM created the call's Case (answer to [`Command::CreateCase`](crate::Command::CreateCase)).
    CaseCreated { call: CallId, case: CaseRef },
    /// The CRM holds a Case with this call's correlation id (answer to
    /// [`Command::FindCase`](crate::Command::FindCase)).
    CaseFound { call: CallId, case: CaseRef },
    /// The CRM holds no Case with this call's correlation id.
    CaseNotFound { call: CallId },
    /// Creating the Case failed. `permanent`: the write left the retry budget (it is in the
    /// dead-letter list); otherwise the outbox keeps retrying.
    CaseCreateFailed {
        call: CallId,
        reason: String,
        permanent: bool,
    },
    /// The agent linked (`true`) or unlinked their CRM account.
    AgentLinkChanged { agent: AgentId, linked: bool },
    /// The agent asked for the call's Case by hand.
    ManualCaseRequested { call: CallId, agent: AgentId },
}

impl Event {
    /// The call this event is about, if any.
    pub fn call(&self) -> Option<&CallId> {
        match self {
            Event::CallOffered { call, .. }
            | Event::AgentAnswered { call, .. }
            | Event::Connected { call, .. }
            | Event::Transferred { call, .. }
            | Event::Held { call }
            | Event::Resumed { call }
            | Event::Ended { call, .. }
            | Event::RecordingReady { call, .. }
            | Event::LookupCompleted { call, .. }
            | Event::ContactChosen { call, .. }
            | Event::CaseCreated { call, .. }
            | Event::CaseFound { call, .. }
            | Event::CaseNotFound { call }
            | Event::CaseCreateFailed { call, .. }
            | Event::ManualCaseRequested { call, .. } => Some(call),
            Event::AgentLinkChanged { .. } => None,
        }
    }
}

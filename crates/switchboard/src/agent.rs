//! Agents: what each one is doing, as the switchboard sees it.

use std::fmt;

use callbridge_core::{CallId, QueueId, TenantId, Timestamp};
use serde::{Deserialize, Serialize};

/// Why an agent does not take calls.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "text", rename_all = "snake_case")]
pub enum UnavailableReason {
    /// The agent said they are away.
    Away,
    /// A call rang until the ring timeout; the agent is paused until they come back.
    MissedCall,
    /// A reason the agent picked (break, training, ...), shown as given.
    Other(String),
}

impl fmt::Display for UnavailableReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnavailableReason::Away => f.write_str("away"),
            UnavailableReason::MissedCall => f.write_str("missed a call"),
            UnavailableReason::Other(text) => f.write_str(text),
        }
    }
}

/// What an agent is doing.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AgentState {
    /// No softphone connected.
    Offline,
    /// Waiting for a call since `since` (when they last became available).
    Available { since: Timestamp },
    /// Logged in but not taking calls.
    Unavailable { reason: UnavailableReason },
    /// A call is ringing at the agent.
    Ringing { call: CallId },
    /// The agent placed an outbound call that is not answered yet.
    Dialing { call: CallId },
    /// The agent is connected to a call (possibly holding it).
    OnCall { call: CallId },
    /// After a call; available again at `until` (or earlier if the agent says so).
    WrapUp { until: Timestamp },
}

impl AgentState {
    /// The state in a few words, for the agent and for refusals.
    pub fn describe(&self) -> String {
        match self {
            AgentState::Offline => "offline".to_owned(),
            AgentState::Available { .. } => "available".to_owned(),
            AgentState::Unavailable { reason } => format!("unavailable: {reason}"),
            AgentState::Ringing { .. } => "a call is ringing".to_owned(),
            AgentState::Dialing { .. } => "placing a call".to_owned(),
            AgentState::OnCall { .. } => "on a call".to_owned(),
            AgentState::WrapUp { .. } => "wrapping up a call".to_owned(),
        }
    }

    /// The call the agent is busy with, if any.
    pub fn call(&self) -> Option<&CallId> {
        match self {
            AgentState::Ringing { call }
            | AgentState::Dialing { call }
            | AgentState::OnCall { call } => Some(call),
            _ => None,
        }
    }
}

/// A logged-in agent. Offline agents are not kept.
#[derive(Clone, Debug)]
pub(crate) struct Agent {
    pub tenant: TenantId,
    /// The queues this agent serves (all of the agent's tenant), sorted, without duplicates.
    pub queues: Vec<QueueId>,
    pub state: AgentState,
    /// The agent's place in the idle order while Available: `(since, sequence)`.
    pub idle_key: Option<IdleKey>,
    /// Identifies the current wrap-up, so a stale wrap-up timer does nothing.
    pub wrap_up_id: u64,
    /// The call the current (or last) wrap-up is about: what a reconnecting softphone's
    /// disposition form is for.
    pub wrap_up_call: Option<CallId>,
    /// While a call rings here: when the agent had become available. If the ring is withdrawn
    /// through no fault of theirs (the caller hung up), they get their place in the idle order
    /// back.
    pub resume_since: Option<Timestamp>,
    /// Set while the agent's softphone is gone (socket or audio lost, not signed out) and their
    /// call waits for them: the grace period ends at `until`.
    pub lost: Option<Lost>,
}

/// An agent's softphone went away during a call; the call waits until `until`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Lost {
    pub until: Timestamp,
    /// Identifies this loss, so a stale grace timer does nothing.
    pub id: u64,
}

/// Orders available agents: earliest `since` first, ties by the order they became available.
pub(crate) type IdleKey = (Timestamp, u64);

//! Requests the switchboard turns down, with the reason the agent is shown.

use std::fmt;

use callbridge_core::{AgentId, CallId, QueueId};
use serde::{Deserialize, Serialize};

/// Why an agent's request was not carried out. Each has a message for the softphone.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refusal {
    /// The agent is not logged in (their softphone is not connected).
    NotLoggedIn,
    /// The transfer target is not available. `state` says what they are doing.
    AgentNotAvailable { agent: AgentId, state: String },
    /// The agent must be available to place a call. `state` says what they are doing.
    NotAvailableToDial { state: String },
    /// The agent is busy with a call and cannot change their availability now.
    BusyWithCall { call: CallId },
    /// The call is unknown or over.
    CallNotFound { call: CallId },
    /// The call is not ringing at this agent (someone else took it, or it moved on).
    NotRingingForYou { call: CallId },
    /// The agent is not connected to the call.
    NotOnCall { call: CallId },
    /// The call is already on hold.
    AlreadyOnHold { call: CallId },
    /// The call is not on hold.
    NotOnHold { call: CallId },
    /// The queue does not exist in the agent's contact center.
    UnknownQueue { queue: QueueId },
    /// Nobody is logged in to the queue, so a transfer there would not be answered.
    QueueHasNoAgents { queue: QueueId },
    /// The queue is full.
    QueueFull { queue: QueueId },
    /// The target agent is in another contact center.
    AgentInAnotherTenant { agent: AgentId },
    /// An agent cannot transfer a call to themselves.
    TransferToSelf,
    /// The call id is already in use (the runtime assigns fresh ids).
    CallIdInUse { call: CallId },
    /// The agent is already logged in for another contact center.
    TenantMismatch,
    /// The agent's audio is reconnecting after their softphone went away; the call waits.
    AudioReconnecting { call: CallId },
    /// The agent's audio is reconnecting during their after-call work: no calls until it is back.
    AudioReconnectingAfterCall,
}

impl Refusal {
    /// The message shown to the agent.
    pub fn message(&self) -> String {
        match self {
            Refusal::NotLoggedIn => {
                "You are not logged in; reconnect the softphone and try again.".to_owned()
            }
            Refusal::AgentNotAvailable { agent, state } => {
                // The agent's own colleagues: their name, as the softphone lists them (an
                // `AgentId` displays as `tenant:name`, which is for logs and the wire).
                let agent = agent.name();
                format!("{agent} is not available ({state}); the call stays with you.")
            }
            Refusal::NotAvailableToDial { state } => {
                format!("You can place a call only when you are available (you are {state}).")
            }
            Refusal::BusyWithCall { .. } => {
                "You are busy with a call; change your availability after it.".to_owned()
            }
            Refusal::CallNotFound { .. } => "This call is over or unknown.".to_owned(),
            Refusal::NotRingingForYou { .. } => {
                "This call is no longer ringing for you.".to_owned()
            }
            Refusal::NotOnCall { .. } => "You are not connected to this call.".to_owned(),
            Refusal::AlreadyOnHold { .. } => "The call is already on hold.".to_owned(),
            Refusal::NotOnHold { .. } => "The call is not on hold.".to_owned(),
            Refusal::UnknownQueue { queue } => format!("There is no queue called {queue}."),
            Refusal::QueueHasNoAgents { queue } => {
                format!("Nobody is logged in to queue {queue}; the call stays with you.")
            }
            Refusal::QueueFull { queue } => {
                format!("Queue {queue} is full; the call stays with you.")
            }
            Refusal::AgentInAnotherTenant { agent } => {
                let agent = agent.name();
                format!("{agent} works for another contact center.")
            }
            Refusal::TransferToSelf => "You cannot transfer a call to yourself.".to_owned(),
            Refusal::CallIdInUse { .. } => {
                "The call could not be placed (its id is already in use); try again.".to_owned()
            }
            Refusal::TenantMismatch => {
                "You are already logged in for another contact center.".to_owned()
            }
            Refusal::AudioReconnecting { .. } => {
                "Your audio is reconnecting; the call waits for you. Try again once it is back."
                    .to_owned()
            }
            Refusal::AudioReconnectingAfterCall => {
                "Your audio is reconnecting; you can become available once it is back.".to_owned()
            }
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

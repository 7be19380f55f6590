//! What the engine did with one event, so that whoever sent it can be told.

use std::fmt;

use crate::time::Timestamp;

/// The engine's answer about one event ([`Engine::handle_with_verdict`](crate::Engine::handle_with_verdict)).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The event was used (it changed the call, or was answered with a notice).
    Applied,
    /// The call has not been offered yet: the event is kept and applied when the offer arrives,
    /// if it arrives before `until`; after that it is dropped.
    Held { until: Timestamp },
    /// The event was not used, for this reason.
    Ignored(Ignored),
}

/// Why an event was not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ignored {
    /// It repeats what the engine already knows about the call (harmless; nothing to fix).
    AlreadyKnown,
    /// It contradicts a later state of the call, e.g. a transfer by an agent who no longer holds
    /// it, or an old answer after the call moved on.
    Stale,
    /// The call ended, and this kind of event means nothing after the end (hold, transfer, ...).
    CallEnded,
    /// The call ended long enough ago that the engine closed its books on it.
    CallSettled,
    /// No call with this id was offered, and this kind of event is not held for one (Case and
    /// contact results, agents' requests).
    UnknownCall,
    /// The agent was never offered the call nor on it.
    NotOnCall,
    /// The agent has no linked CRM account, so cannot ask for a Case.
    AgentNotLinked,
    /// The call has not been offered yet and the engine holds as many early events as it may
    /// (per call or in total); send it again later.
    HoldFull,
}

impl Ignored {
    /// A stable, machine-readable code (used by the call-events API's answers).
    pub fn code(self) -> &'static str {
        match self {
            Ignored::AlreadyKnown => "already_known",
            Ignored::Stale => "stale",
            Ignored::CallEnded => "call_ended",
            Ignored::CallSettled => "call_settled",
            Ignored::UnknownCall => "unknown_call",
            Ignored::NotOnCall => "not_on_call",
            Ignored::AgentNotLinked => "agent_not_linked",
            Ignored::HoldFull => "hold_full",
        }
    }

    /// What happened, in words a sender's developer can act on.
    pub fn message(self) -> &'static str {
        match self {
            Ignored::AlreadyKnown => {
                "the engine already knows this about the call; nothing changed"
            }
            Ignored::Stale => {
                "the call has moved on since (another agent holds it now); the event was not used"
            }
            Ignored::CallEnded => {
                "the call has ended and this kind of event has no effect after the end"
            }
            Ignored::CallSettled => {
                "the call ended and its records were closed; events for it are no longer used"
            }
            Ignored::UnknownCall => {
                "no call with this call_id was offered; send the call's offered event first"
            }
            Ignored::NotOnCall => "the agent was never offered this call nor on it",
            Ignored::AgentNotLinked => {
                "the agent has no linked CRM account; link it before asking for a Case"
            }
            Ignored::HoldFull => {
                "too many events are waiting for calls not offered yet; send this one again later"
            }
        }
    }
}

impl fmt::Display for Ignored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

//! One call's routing state, and the view of it the runtime can query.

use callbridge_core::{AgentId, CallerNumber, Direction, QueueId, TenantId, Timestamp};
use callbridge_kernel::time::WallTime;
use serde::{Deserialize, Serialize};

use crate::cdr::{CdrDraft, Outcome};

/// Orders waiting calls: earliest wait start first, ties by arrival order. The sequence number
/// also identifies one stay in a queue, so a stale max-wait timer does nothing.
pub(crate) type WaitKey = (Timestamp, u64);

/// One stay of a call in a queue: from joining it until an agent answers or the call leaves.
#[derive(Clone, Debug)]
pub(crate) struct QueueVisit {
    pub queue: QueueId,
    pub wait_key: WaitKey,
    /// When the caller has waited as long as the queue allows.
    pub deadline: Timestamp,
    /// Agents who already let this call ring or declined it during this stay; others go first.
    pub tried: Vec<AgentId>,
    /// The colleague who transferred the call into this queue, if any.
    pub transferred_by: Option<AgentId>,
}

/// How a ringing call got to the agent, which decides where it goes if they do not answer.
#[derive(Clone, Debug)]
pub(crate) enum Route {
    /// Offered by a queue: the next agent of the queue is tried.
    Queue(QueueVisit),
    /// Blind-transferred to this agent: the call falls back to its queue, if it has one.
    Direct { transferred_by: AgentId },
}

impl Route {
    pub fn queue(&self) -> Option<&QueueId> {
        match self {
            Route::Queue(visit) => Some(&visit.queue),
            Route::Direct { .. } => None,
        }
    }

    pub fn transferred_by(&self) -> Option<&AgentId> {
        match self {
            Route::Queue(visit) => visit.transferred_by.as_ref(),
            Route::Direct { transferred_by } => Some(transferred_by),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Phase {
    /// Between places: just arrived, or its ring ended and it is being placed again. Never
    /// visible between two inputs.
    Routing,
    /// Waiting in a queue for an available agent.
    Queued(QueueVisit),
    /// Ringing at one agent.
    Ringing {
        agent: AgentId,
        ring_id: u64,
        deadline: Timestamp,
        route: Route,
    },
    /// The customer and an agent are connected (or the agent holds the call).
    Connected {
        agent: AgentId,
        held: bool,
        /// The queue the agent took the call from (decides the agent's wrap-up).
        queue: Option<QueueId>,
        /// When this agent was connected (wall time: a reconnecting softphone's call timer).
        since: WallTime,
        /// The agent's softphone is away (the grace period): the call is unbridged and the
        /// customer hears music until the agent is back.
        away: bool,
    },
    /// An agent's outbound call, not answered yet.
    Dialing {
        agent: AgentId,
        far_end_ringing: bool,
        deadline: Timestamp,
    },
    /// The queue could not serve the call; its announcement plays, then the call ends.
    Announcing { queue: QueueId, outcome: Outcome },
}

#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub tenant: TenantId,
    pub direction: Direction,
    pub customer: CallerNumber,
    /// Whether the customer's leg is answered (inbound: we sent 200; outbound: they answered).
    pub answered: bool,
    pub recording: bool,
    /// The queue the call belongs to now: its music, and where it falls back after a failed
    /// transfer to an agent.
    pub queue: Option<QueueId>,
    pub phase: Phase,
    pub cdr: CdrDraft,
}

impl Call {
    /// The agent currently connected to (or holding) the call.
    pub fn holder(&self) -> Option<&AgentId> {
        match &self.phase {
            Phase::Connected { agent, .. } => Some(agent),
            _ => None,
        }
    }

    pub fn view(&self) -> CallView {
        let status = match &self.phase {
            Phase::Routing => CallStatus::Routing,
            Phase::Queued(visit) => CallStatus::Queued {
                queue: visit.queue.clone(),
                since: visit.wait_key.0,
            },
            Phase::Ringing { agent, .. } => CallStatus::Ringing {
                agent: agent.clone(),
            },
            Phase::Connected {
                agent, held: false, ..
            } => CallStatus::Connected {
                agent: agent.clone(),
            },
            Phase::Connected {
                agent, held: true, ..
            } => CallStatus::OnHold {
                agent: agent.clone(),
            },
            Phase::Dialing {
                agent,
                far_end_ringing,
                ..
            } => CallStatus::Dialing {
                agent: agent.clone(),
                far_end_ringing: *far_end_ringing,
            },
            Phase::Announcing { queue, .. } => CallStatus::Announcing {
                queue: queue.clone(),
            },
        };
        CallView {
            tenant: self.tenant.clone(),
            direction: self.direction,
            customer: self.customer.clone(),
            queue: self.queue.clone(),
            status,
            first_agent: self.cdr.first_agent.clone(),
            holder: self.holder().cloned(),
            answered: self.answered,
            recording: self.recording,
            transfers: self.cdr.transfers.len(),
        }
    }
}

/// Where a call in progress is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CallStatus {
    /// Being placed (only seen inside the switchboard).
    Routing,
    Queued {
        queue: QueueId,
        since: Timestamp,
    },
    Ringing {
        agent: AgentId,
    },
    Connected {
        agent: AgentId,
    },
    OnHold {
        agent: AgentId,
    },
    Dialing {
        agent: AgentId,
        far_end_ringing: bool,
    },
    Announcing {
        queue: QueueId,
    },
}

/// A snapshot of a call in progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallView {
    pub tenant: TenantId,
    pub direction: Direction,
    pub customer: CallerNumber,
    /// The queue the call belongs to now.
    pub queue: Option<QueueId>,
    pub status: CallStatus,
    /// The agent who answered first.
    pub first_agent: Option<AgentId>,
    /// The agent who holds the call now (connected or holding it).
    pub holder: Option<AgentId>,
    /// Whether the customer's leg is answered.
    pub answered: bool,
    pub recording: bool,
    pub transfers: usize,
}
